"""Schema-driven fuzzing with schemathesis against the server's /openapi.json: never a 5xx.

Bounded: 25 examples per operation and generation mode (PRIORAUTH_FUZZ_EXAMPLES), on
each backend. Requests carry the token of the role the operation is for, and case paths point at a real
case, so the fuzzer gets past authentication into body validation, the engine and the store. Valid
(positive) data must also get documented status codes, content types and response schemas.

(Schemathesis's own `from_fixture` loader does not run on pytest 9, so each operation's Hypothesis
strategy is driven directly.)
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from .helpers import case_doc

EXAMPLES = int(os.environ.get("PRIORAUTH_FUZZ_EXAMPLES", "25"))
OPERATIONS = [("POST", "/v1/determinations"), ("POST", "/v1/cases"), ("GET", "/v1/cases"),
              ("GET", "/v1/cases/{case_id}"), ("POST", "/v1/cases/{case_id}/documents"),
              ("POST", "/v1/cases/{case_id}/review"), ("GET", "/v1/policies"), ("GET", "/v1/policies/{policy_id}"),
              ("GET", "/v1/audit"), ("GET", "/healthz"), ("GET", "/fhir/metadata"), ("POST", "/fhir/Claim/$submit"),
              ("POST", "/fhir/Claim/$inquire"), ("POST", "/fhir/Subscription"),
              ("GET", "/fhir/Subscription/{subscription_id}")]
ROLE_FOR = {("POST", "/v1/cases"): "clinic_a", ("POST", "/v1/cases/{case_id}/documents"): "clinic_a",
            ("POST", "/v1/cases/{case_id}/review"): "reviewer", ("GET", "/v1/audit"): "admin"}
CONFORMANCE = [status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def fuzz_target(api):
    case_id = api.submit(case_doc("fuzz-target")).json()["id"]
    return api, case_id, schemathesis.openapi.from_url(api.server.base + "/openapi.json")


def test_every_operation_is_fuzzed(fuzz_target):
    _, _, schema = fuzz_target
    found = {(r.ok().method.upper(), r.ok().path) for r in schema.get_all_operations()}
    assert found == set(OPERATIONS)


RUNS = [pytest.param(method, path, mode, id=f"{method} {path} {mode.value}") for method, path in OPERATIONS
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        if path not in ("/healthz", "/fhir/metadata") or mode is GenerationMode.POSITIVE]  # no input to spoil


@pytest.mark.parametrize(("method", "path", "mode"), RUNS)
def test_no_server_errors(fuzz_target, method, path, mode):
    api, case_id, schema = fuzz_target
    operation = schema[path][method]
    headers = api.auth(ROLE_FOR.get((method, path), "clinic_a"))
    fixed = {"case_id": case_id} if "{case_id}" in path else None
    checks = [not_a_server_error] + (CONFORMANCE if mode is GenerationMode.POSITIVE else [])

    @given(operation.as_strategy(generation_mode=mode, path_parameters=fixed))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
              database=None)
    def run(case):
        case.call_and_validate(headers=headers, checks=checks)

    run()


# --- non-finite and extreme numbers in every numeric field -------------------------------------------------------

def _numeric_paths(schema: dict, defs: dict, prefix: str = "") -> list[str]:
    """The dotted path of every number in the case schema (a list's items as `[0]`)."""
    if "$ref" in schema:
        return _numeric_paths(defs[schema["$ref"].split("/")[-1]], defs, prefix)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return [p for sub in schema[key] for p in _numeric_paths(sub, defs, prefix)]
    if schema.get("type") in ("number", "integer"):
        return [prefix]
    if schema.get("type") == "array":
        return _numeric_paths(schema.get("items", {}), defs, prefix + "[0]")
    return [p for name, sub in (schema.get("properties") or {}).items()
            for p in _numeric_paths(sub, defs, f"{prefix}.{name}" if prefix else name)]


def _with_number(doc: dict, path: str, literal: str) -> str:
    """The case as JSON text with the number at `path` written as `literal` (which JSON may not allow); missing
    objects and one-item lists on the way are made."""
    import json
    import re

    marker = "__NUMBER__"
    parts = re.findall(r"[^.\[\]]+|\[0\]", path)
    node: object = doc
    for i, part in enumerate(parts):
        value: object = marker if i == len(parts) - 1 else ([] if parts[i + 1] == "[0]" else {})
        if part == "[0]":
            assert isinstance(node, list)
            if not node:
                node.append(value)
            elif value == marker:
                node[0] = marker
            node = node[0]
        else:
            assert isinstance(node, dict)
            if value == marker or part not in node or not isinstance(node[part], type(value)):
                node[part] = value
            node = node[part]
    return json.dumps(doc).replace(f'"{marker}"', literal)


EXTREMES = ["1e400", "-1e400", "NaN", "Infinity", "-Infinity", "1e308", "-1e308", "4.9e-324", "-0.0",
            "123456789012345678901234567890"]


def test_every_numeric_field_takes_extreme_and_non_finite_numbers_without_a_server_error(api):
    import copy

    from priorauth.case.model import Case

    schema = Case.model_json_schema()
    paths = _numeric_paths(schema, schema.get("$defs", {}))
    assert len(paths) >= 10  # doses, scores, percentages, days, weeks, months
    for path in paths:
        for literal in EXTREMES:
            text = _with_number(copy.deepcopy(case_doc(f"extreme-{len(path)}")), path, literal)
            for route in ("/v1/determinations", "/v1/cases"):
                r = api.request("POST", route, "clinic_a", text, headers={"Content-Type": "application/json"})
                assert r.status_code < 500, (route, path, literal, r.status_code, r.text[:300])
                if literal in ("1e400", "-1e400", "NaN", "Infinity", "-Infinity", "1e308", "-1e308"):
                    assert r.status_code in (400, 422), (route, path, literal, r.status_code)
