"""Batch: many cases through the engine, streamed in constant memory (issue: scale). One case in, one row per
case and policy out; a case that cannot be read or decided is a row with its error, never the end of the run."""
