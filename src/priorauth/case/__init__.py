"""The case: one prior-authorization request with its documented facts."""

from priorauth.case.loader import load_case, parse_case
from priorauth.case.model import Case

__all__ = ["Case", "load_case", "parse_case"]
