"""The case: one prior-authorization request with its documented facts, their paths and their sources."""

from priorauth.case.model import FORMAT, Case
from priorauth.case.provenance import CASE_FILE, Evidence

__all__ = ["CASE_FILE", "FORMAT", "Case", "Evidence"]
