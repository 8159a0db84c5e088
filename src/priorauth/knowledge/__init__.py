"""Clinical knowledge: code sets, intrathecal drugs and dose limits, and the findings they give."""
