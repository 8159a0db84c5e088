"""Each policy's own test cases, run through the engine, and the criterion coverage they reach."""
