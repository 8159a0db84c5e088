"""Telling a FHIR request from a priorauth case without importing the FHIR models (about 0.1 s of start-up that
a plain case never needs)."""

from __future__ import annotations

from typing import Any


def is_fhir(data: Any) -> bool:
    """A FHIR resource or a CDS Hooks request rather than a priorauth case."""
    return isinstance(data, dict) and ("resourceType" in data or ("hook" in data and "format" not in data))
