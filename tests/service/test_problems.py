"""One problem+json shape for every error of every endpoint; bad input stores nothing; no PHI in logs."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from .helpers import PHI_MARKER, case_doc

PROBLEM_KEYS = {"type", "title", "status", "code", "detail", "field", "errors", "instance"}
MISSING = "0123456789abcdef0123456789abcdef"
REVIEW = {"policy": "hcsc-sur707-008", "decision": "approve", "rationale": "ok"}

# (method, path, body kind): every /v1 endpoint; {case} is replaced by a real case id.
ENDPOINTS = [
    ("POST", "/v1/determinations", "case"),
    ("POST", "/v1/cases", "case"),
    ("GET", "/v1/cases", None),
    ("GET", "/v1/cases/{case}", None),
    ("POST", "/v1/cases/{case}/documents", "case"),
    ("POST", "/v1/cases/{case}/review", "review"),
    ("GET", "/v1/policies", None),
    ("GET", "/v1/policies/hcsc-sur707-008", None),
    ("GET", "/v1/audit", None),
]
BODY_ENDPOINTS = [e for e in ENDPOINTS if e[2]]
ALLOWED = {"/v1/cases": {"POST": {"clinic_a"}}, "/v1/cases/{case}/documents": {"POST": {"clinic_a"}},
           "/v1/cases/{case}/review": {"POST": {"reviewer"}}, "/v1/audit": {"GET": {"admin"}}}


def assert_problem(r, status: int, field: str | None = "?") -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert set(body) == PROBLEM_KEYS
    assert body["status"] == status and body["type"] == f"urn:priorauth:problem:{body['code']}"
    assert isinstance(body["detail"], str) and body["detail"] and isinstance(body["errors"], list)
    if field != "?":
        assert body["field"] == field, body
    if body["field"] is not None:
        assert body["errors"][0]["field"] == body["field"]
    return body


@pytest.fixture(scope="module")
def case_id(api):
    return api.submit(case_doc("problems-1")).json()["id"]


def body_for(kind: str | None):
    return {"case": case_doc("problems-1"), "review": REVIEW, None: None}[kind]


def counts(api) -> tuple[int, int]:
    """(cases, audit events before this call)."""
    cases = api.request("GET", "/v1/cases", "admin").json()["total"]
    events = api.request("GET", "/v1/audit", "admin").json()["total"]
    return cases, events


@pytest.mark.parametrize(("method", "path", "kind"), ENDPOINTS)
def test_missing_or_wrong_token_is_401(api, case_id, method, path, kind):
    path = path.format(case=case_id)
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic dXNlcjpwdw=="},
                    {"Authorization": "Bearer"}):
        r = api.request(method, path, None, body_for(kind), headers=headers)
        assert_problem(r, 401, None)
        assert r.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("method", "path", "kind"), [e for e in ENDPOINTS if e[0] in ALLOWED.get(e[1], {})])
def test_roles_not_allowed_get_403(api, case_id, method, path, kind):
    allowed = ALLOWED[path][method]
    for who in {"clinic_a", "reviewer", "admin"} - allowed:
        r = api.request(method, path.format(case=case_id), who, body_for(kind))
        assert_problem(r, 403, None)


@pytest.mark.parametrize(("method", "path", "kind"), BODY_ENDPOINTS)
def test_bad_bodies_name_the_field_and_store_nothing(api, case_id, method, path, kind):
    who = next(iter(ALLOWED.get(path, {}).get(method, {"clinic_a"})))
    path = path.format(case=case_id)
    before = counts(api)
    json_h = {"Content-Type": "application/json"}
    assert_problem(api.request(method, path, who, b'{"format": "priorauth-case/1",', headers=json_h), 400, "(body)")
    assert_problem(api.request(method, path, who, b"", headers=json_h), 400, "(body)")
    assert_problem(api.request(method, path, who, b"\xff\xfe{}", headers=json_h), 400, "(body)")
    assert_problem(api.request(method, path, who, b"[1, 2]", headers=json_h), 422)
    if kind == "case":
        bad = case_doc("problems-1", request={"service_date": "2025-13-01"})
        assert_problem(api.request(method, path, who, bad), 422, "request.service_date")
        bad = case_doc("problems-1", clinical={"surgery_indicated": 0})
        assert_problem(api.request(method, path, who, bad), 422, "clinical.surgery_indicated")
        bad = case_doc("problems-1", member={"birth_date": PHI_MARKER})
        assert_problem(api.request(method, path, who, bad), 422, "member.birth_date")
        bad = {k: v for k, v in case_doc("problems-1").items() if k != "request"}
        assert_problem(api.request(method, path, who, bad), 422, "request")
    else:
        assert_problem(api.request(method, path, who, {**REVIEW, "decision": "maybe"}), 422, "decision")
        assert_problem(api.request(method, path, who, {**REVIEW, "rationale": "a\u0000b"}), 422, "rationale")
    huge = json.dumps({**case_doc("problems-1"), "notes": [{"text": "x" * (2 * 1024 * 1024)}]}).encode()
    assert_problem(api.request(method, path, who, huge, headers=json_h), 413, "body")
    chunked = (huge[i:i + 65536] for i in range(0, len(huge), 65536))  # no Content-Length
    assert_problem(api.client.request(method, api.server.base + path, content=chunked,
                                      headers={**json_h, **api.auth(who)}), 413, "body")
    assert_problem(api.request(method, path, who, b"a: b", headers={"Content-Type": "text/yaml"}), 415,
                   "content-type")
    cases, events = counts(api)
    assert (cases, events) == (before[0], before[1] + 2)  # only the list and audit reads of count()


def test_not_found_and_method_not_allowed(api, case_id):
    for method, path, kind in ENDPOINTS:
        if "{case}" in path:
            who = next(iter(ALLOWED.get(path, {}).get(method, {"clinic_a"})))
            r = api.request(method, path.format(case=MISSING), who, body_for(kind))
            assert_problem(r, 404, None)
    assert_problem(api.request("GET", "/v1/nothing-here", "admin"), 404, None)
    assert_problem(api.request("GET", "/v1/policies/nope", "admin"), 404, None)
    r = api.request("DELETE", f"/v1/cases/{case_id}", "admin")
    assert_problem(r, 405, None)
    assert "allow" in r.headers


def test_query_and_header_errors_name_the_field(api, case_id):
    assert_problem(api.request("GET", "/v1/cases?page=0", "admin"), 422, "page")
    assert_problem(api.request("GET", "/v1/cases?page=99999999999999999999999", "admin"), 422, "page")
    assert_problem(api.request("GET", "/v1/cases?payer=acme", "admin"), 422, "payer")
    assert_problem(api.request("GET", "/v1/audit?per_page=100000", "admin"), 422, "per_page")
    assert_problem(api.request("POST", "/v1/determinations?as_of=soon", "clinic_a", case_doc()), 422, "as_of")
    assert_problem(api.request("POST", f"/v1/cases/{case_id}/documents", "clinic_a", case_doc("problems-1"),
                               headers={"If-Match": "yesterday"}), 422, "If-Match")
    assert_problem(api.submit(case_doc("k"), headers={"Idempotency-Key": "x" * 201}), 422, "Idempotency-Key")
    assert_problem(api.submit(case_doc("x" * 201)), 422, "id")


def test_numbers_and_dates_the_engine_cannot_take_are_422_not_500(api):
    text = json.dumps(case_doc("nan-1")).replace('"clinical": {', '"clinical": {"life_expectancy_months": Infinity, ')
    r = api.request("POST", "/v1/determinations", "clinic_a", text, headers={"Content-Type": "application/json"})
    assert_problem(r, 422, "clinical.life_expectancy_months")
    text = json.dumps(case_doc("nan-2")).replace('"clinical": {', '"clinical": {"life_expectancy_months": NaN, ')
    assert_problem(api.request("POST", "/v1/cases", "clinic_a", text, headers={"Content-Type": "application/json"}),
                   422, "clinical.life_expectancy_months")
    assert_problem(api.request("POST", "/v1/determinations", "clinic_a", {**case_doc("y1"), "submitted": "0001-01-05"}),
                   422, "submitted")
    assert_problem(api.request("POST", "/v1/determinations?as_of=0001-01-05", "clinic_a", case_doc("y2")), 422, "as_of")
    assert api.request("POST", "/v1/determinations", "clinic_a",
                       case_doc("Infinity and NaN in an id are fine")).status_code == 200


@pytest.mark.parametrize(("where", "number"), [
    ('"clinical": {"life_expectancy_months": ', "1e400"),
    ('"clinical": {"life_expectancy_months": ', "-1e400"),
    ('"clinical": {"life_expectancy_months": ', "99999999"),
    ('"clinical": {"trial_result": {"pain_reduction_percent": ', "-1e400}"),
    ('"clinical": {"spasticity": {"oral_baclofen_weeks": ', "1e308}"),
])
def test_a_number_too_large_to_mean_anything_is_422_naming_it_on_every_route(api, where, number):
    """`1e400` is valid JSON and parses to infinity; it once crashed the engine with a 500."""
    text = json.dumps(case_doc("huge")).replace('"clinical": {', where + number + ", ", 1)
    for path in ("/v1/determinations", "/v1/cases"):
        r = api.request("POST", path, "clinic_a", text, headers={"Content-Type": "application/json"})
        assert r.status_code == 422, (path, r.text)
        assert "clinical." in r.text


def test_no_phi_in_the_server_log(api, case_id):
    api.submit(case_doc("phi-1"))
    api.request("POST", "/v1/determinations", "reviewer", case_doc("phi-2"))
    api.request("POST", "/v1/cases", "clinic_a", case_doc("phi-3", member={"birth_date": PHI_MARKER}))
    api.request("GET", f"/v1/cases/{case_id}", "clinic_a")
    api.request("GET", f"/v1/cases/{PHI_MARKER}", "clinic_a")  # a client that puts a name in a URL
    api.request("GET", f"/v1/{PHI_MARKER}?name={PHI_MARKER}", "clinic_a")
    log = api.server.log()
    assert f"GET /v1/cases/{case_id} 200" in log
    assert "POST /v1/cases 201" in log  # the access log is on...
    for phi in (PHI_MARKER, "1968-03-10", "G89.21", "failed back surgery", "phi-1", "phi-2"):
        assert phi not in log  # ...and holds no names, birth dates, codes, notes or case document ids


def test_unexpected_errors_are_a_500_problem_logged_by_type_only(caplog):
    from priorauth.service.http.guard import Guard

    async def broken(scope, receive, send):
        raise ValueError(f"patient {PHI_MARKER} born 1968-03-10")

    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    with caplog.at_level(logging.INFO):
        asyncio.run(Guard(broken)({"type": "http", "method": "GET", "path": "/v1/x", "headers": []}, receive, send))
    assert sent[0]["status"] == 500
    body = json.loads(sent[1]["body"])
    assert set(body) == PROBLEM_KEYS and body["code"] == "internal-error"
    assert PHI_MARKER not in caplog.text and "ValueError" in caplog.text


def test_a_payer_no_loaded_policy_belongs_to_is_an_invalid_case(api):
    """Which payers exist is the loaded policy set's to say: the case model accepts any slug, evaluation refuses."""
    for method, path in (("POST", "/v1/determinations"), ("POST", "/v1/cases")):
        r = api.request(method, path, "clinic_a", case_doc("unknown-payer", member={"payer": "acme"}))
        assert_problem(r, 422, "member.payer")
        assert "acme" in r.json()["detail"] and "hcsc" in r.json()["detail"]
    listed = api.request("GET", "/v1/cases?per_page=100", "admin").json()["items"]
    assert not [c for c in listed if c["case"] == "unknown-payer"]  # nothing was stored
