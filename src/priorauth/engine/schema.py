"""The published JSON Schema of a determination (`priorauth schema determination`).

Written out rather than derived, because it is a contract with other programs; tests validate every
determination the policy cases produce against it, so it cannot drift from `record.py`.
"""

from __future__ import annotations

from typing import Any

from priorauth.engine.findings import KINDS, SEVERITIES
from priorauth.engine.record import FORMAT
from priorauth.vocab import DECISIONS, NODE_STATUSES

_STR = {"type": "string"}
_OPT_STR = {"type": ["string", "null"]}
_DATE = {"type": "string", "format": "date"}


def _object(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties, "additionalProperties": False}


_SOURCE = {"oneOf": [
    _object(["kind", "path"], {"kind": {"const": "case"}, "path": _STR}),
    _object(["kind", "resource_type", "id", "fhirpath"],
            {"kind": {"const": "fhir"}, "resource_type": _STR, "id": _OPT_STR, "fhirpath": _STR}),
    _object(["kind", "note", "start", "end", "text", "rule", "modifiers"],
            {"kind": {"const": "note"}, "note": {"type": "integer"}, "start": {"type": "integer"},
             "end": {"type": "integer"}, "text": _STR, "rule": _STR, "modifiers": {"type": "array", "items": _STR}}),
]}

_CRITERION = _object(["id", "verdict", "section", "quote"], {
    "id": _STR, "verdict": {"enum": list(NODE_STATUSES)}, "section": _STR, "quote": _STR, "title": _STR,
    "operator": {"type": "string", "pattern": r"^(all|any|first|not|at_least \d+)$"},
    "detail": _STR, "interpretation": _STR,
    "facts": {"type": "object", "description": "fact path -> value read (null: not documented)"},
    "sources": {"type": "object", "additionalProperties": {"type": "array", "items": {"$ref": "#/$defs/source"}},
                "description": "the sources intake recorded for a fact; see default_source for the others"},
    "children": {"type": "array", "items": {"$ref": "#/$defs/criterion"}},
})

_REQUEST = _object(["criterion", "section", "request"], {
    "criterion": _STR, "section": _STR, "quote": _STR, "request": _STR, "finding": _STR,
    "one_of": {"type": "array", "items": {"$ref": "#/$defs/request"}},
})


def determination_schema() -> dict[str, Any]:
    policy_version = _object(
        ["id", "version", "payer", "payer_id", "number", "title", "effective", "end", "content_sha256",
         "engine_version"],
        {"id": _STR, "version": _STR, "payer": _STR, "payer_id": _STR, "number": _STR, "title": _STR,
         "effective": _DATE, "end": {"type": ["string", "null"], "format": "date"}, "content_sha256": _OPT_STR,
         "engine_version": _STR})
    reason = _object(["section", "quote"], {
        "criterion": _STR, "rule": _STR, "section": _STR, "quote": _STR, "finding": _STR,
        "contraindication": {"const": True}})
    finding = _object(["kind", "severity", "message"], {
        "kind": {"enum": list(KINDS)}, "severity": {"enum": list(SEVERITIES)}, "message": _STR,
        "code": _STR, "drug": _STR})
    checklist = _object(["id", "section", "text"], {"id": _STR, "section": _STR, "text": _STR})
    governed_by = _object(["policy", "rule", "section", "quote", "policy_version"], {
        "policy": _STR, "rule": _STR, "section": _STR, "quote": _STR, "policy_version": policy_version})
    required = ["format", "id", "policy", "decision", "summary", "policy_version", "governed_by",
                "engine_version", "knowledge",
                "input_sha256", "as_of", "reasons", "documentation_requests", "documentation_checklist",
                "approval_duration", "findings", "not_met_criteria"]
    schema = _object(required, {
        "format": {"const": FORMAT},
        "id": {"type": "string", "pattern": "^[0-9a-f]{32}$",
               "description": "content address of (input, policy version, as-of date, engine, knowledge)"},
        "policy": _STR, "decision": {"enum": list(DECISIONS)}, "summary": _STR,
        "review_required": {"const": True}, "notice": _STR,
        "policy_version": {"oneOf": [policy_version, {"type": "null"}]},
        "governed_by": {"oneOf": [governed_by, {"type": "null"}],
                        "description": "the scope rule of `policy` that referred the request to the policy that "
                                       "governs it, and that policy's version; the decision, reasons, requests "
                                       "and criteria are then that policy's"},
        "engine_version": _STR,
        "knowledge": {"type": "object", "additionalProperties": _STR},
        "input_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "as_of": _DATE,
        "reasons": {"type": "array", "items": reason},
        "documentation_requests": {"type": "array", "items": {"$ref": "#/$defs/request"}},
        "documentation_checklist": {"type": "array", "items": checklist},
        "approval_duration": _OPT_STR,
        "findings": {"type": "array", "items": finding},
        "not_met_criteria": {"type": "array", "items": _STR,
                             "description": "what a denial may cite: the decisive reasons, then every not-met node"},
        "criteria": {"$ref": "#/$defs/criterion"},
        "default_source": {
            "oneOf": [_object(["kind"], {"kind": {"const": "case"}}), {"type": "null"}],
            "description": "where a documented fact whose `sources` the tree does not list came from: "
                           "{kind: case} is the case document, at the fact's own path; null: not known"},
    })
    schema["$defs"] = {"criterion": _CRITERION, "request": _REQUEST, "source": _SOURCE}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": f"priorauth determination, format {FORMAT}", **schema}
