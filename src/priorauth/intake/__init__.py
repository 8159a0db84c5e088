"""Intake: requests as they arrive (case files today; FHIR bundles and clinical notes next) turned into a case
and the evidence of where each fact came from."""

from priorauth.intake.files import load_case, parse_case

__all__ = ["load_case", "parse_case"]
