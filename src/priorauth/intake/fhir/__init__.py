"""FHIR at the edge: a Da Vinci PAS request (a Bundle, or a lone Claim) read, checked and mapped to a case with
the FHIR element each fact came from. The engine never sees FHIR; this package never decides."""

from __future__ import annotations

from typing import Any

from priorauth.engine.policyset import CompiledPolicies
from priorauth.intake.fhir.document import FhirInput, parse_json, read_fhir
from priorauth.intake.fhir.to_case import FhirMapping, Unmapped, map_fhir
from priorauth.intake.sniff import is_fhir

__all__ = ["FhirInput", "FhirMapping", "Unmapped", "is_fhir", "map_request", "parse_json", "read_fhir"]


def map_request(data: Any, policies: CompiledPolicies) -> FhirMapping:
    """Read and map parsed FHIR JSON against the loaded policies' payers; raises FhirError."""
    return map_fhir(read_fhir(data), policies.knowledge, policies.payer_names)
