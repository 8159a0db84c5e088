"""priorauth: payer medical policies as data, and an engine that explains every decision."""

__version__ = "0.1.0"
