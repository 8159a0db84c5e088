"""The API over a real server process, per endpoint and role rule, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import sys

import pytest

from priorauth.policy.loader import load_policies

from .helpers import CASES, POLICY_COUNT, REPO, case_doc, denied_case

needs_shared = pytest.mark.skipif(not CASES.is_dir(), reason="../shared is not beside the checkout")


def total_cases(api) -> int:
    return api.request("GET", "/v1/cases", "admin").json()["total"]


def test_healthz_needs_no_token(api):
    r = api.request("GET", "/healthz")
    assert r.status_code == 200
    from priorauth import __version__

    assert r.json() == {"status": "ok", "database": "ok", "policies": POLICY_COUNT, "version": __version__}


def test_openapi_lists_every_endpoint(api):
    spec = api.request("GET", "/openapi.json").json()
    assert set(spec["paths"]) == {"/v1/determinations", "/v1/cases", "/v1/cases/{case_id}",
                                  "/v1/cases/{case_id}/documents", "/v1/cases/{case_id}/review", "/v1/policies",
                                  "/v1/policies/{policy_id}", "/v1/audit", "/healthz", "/fhir/metadata",
                                  "/fhir/Claim/$submit", "/fhir/Claim/$inquire", "/fhir/Subscription",
                                  "/fhir/Subscription/{subscription_id}"}
    assert {"Case", "ReviewIn", "ProblemBody"} <= set(spec["components"]["schemas"])


@needs_shared
def test_determinations_are_the_cli_json_and_nothing_is_stored(api):
    import subprocess

    path = CASES / "noncancer-trial-complete.json"
    before = total_cases(api)
    r = api.request("POST", "/v1/determinations", "clinic_a", path.read_bytes(),
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 200
    cli = subprocess.run([sys.executable, "-m", "priorauth", "check", str(path), "--format", "json"],
                         capture_output=True, text=True, cwd=REPO, check=True)
    from_cli = json.loads(cli.stdout)
    assert from_cli.pop("source") == str(path)  # the file it came from: an HTTP body has none
    assert r.json() == from_cli
    assert total_cases(api) == before


def test_determinations_options_and_roles(api):
    for who in ("clinic_a", "reviewer", "admin"):
        r = api.request("POST", "/v1/determinations?policy=hcsc-sur707-008&explain=summary", who, case_doc())
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["case"] == "svc-base"
        assert [d["policy"] for d in body["determinations"]] == ["hcsc-sur707-008"]
        assert "criteria" not in body["determinations"][0]
    r = api.request("POST", "/v1/determinations?policy=nope", "clinic_a", case_doc())
    assert r.status_code == 422 and r.json()["field"] == "policy"
    # drug names: a brand name is its generic name; a misspelt one is the case's error, with "did you mean"
    brand = api.request("POST", "/v1/determinations?policy=hcsc-sur707-008&explain=full", "clinic_a",
                        case_doc(request={"drugs": [{"name": "Infumorph"}]}))
    assert brand.status_code == 200, brand.text
    assert "morphine" in brand.text and "Infumorph" not in brand.text
    typo = api.request("POST", "/v1/determinations", "clinic_a", case_doc(request={"drugs": [{"name": "morfine"}]}))
    assert typo.status_code == 422 and typo.json()["field"] == "request.drugs[0].name"
    assert "did you mean morphine?" in typo.json()["detail"]
    twice = json.dumps(case_doc()).replace('"kind"', '"kind": "refill", "kind"', 1)  # which would it be?
    repeated = api.request("POST", "/v1/determinations", "clinic_a", twice,
                           headers={"Content-Type": "application/json"})
    assert repeated.status_code == 422 and repeated.json()["field"] == "request.kind", repeated.text
    assert "given twice" in repeated.json()["detail"]


def test_submit_stores_evaluates_and_only_submitters_submit(api):
    r = api.submit(case_doc("submit-1"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert r.headers["location"] == f"/v1/cases/{body['id']}" and r.headers["etag"] == '"1"'
    assert body["case"] == "submit-1" and body["org"] == "clinic-a" and body["version"] == 1
    assert len(body["determinations"]) == POLICY_COUNT
    for d in body["determinations"]:
        assert d["decision"] in {"approve", "deny", "pend", "refer", "not_applicable"}
        assert d["revision"] == 1 and isinstance(d["determination_id"], int)
        if d["decision"] != "not_applicable":
            assert d["policy_version"]["content_sha256"] and d["policy_version"]["engine_version"]
    for who in ("reviewer", "admin"):
        r = api.submit(case_doc("submit-2"), who=who)
        assert r.status_code == 403 and r.json()["code"] == "forbidden"


def test_engine_deny_is_only_a_recommendation(api):
    body = api.submit(denied_case("deny-1")).json()
    hcsc = next(d for d in body["determinations"] if d["policy"] == "hcsc-sur707-008")
    assert hcsc["decision"] == "deny"
    assert hcsc["final_decision"] is None and hcsc["review_status"] == "review_required"
    assert body["status"] == "review_required"


def test_idempotency_key_returns_the_first_result(api):
    before = total_cases(api)
    key = {"Idempotency-Key": "retry-abc"}
    first = api.submit(case_doc("idem-1"), headers=key)
    again = api.submit(case_doc("idem-1"), headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers.get("idempotent-replayed") == "true"
    assert total_cases(api) == before + 1
    other = api.submit(case_doc("idem-1-changed"), headers=key)
    assert other.status_code == 422 and other.json()["field"] == "Idempotency-Key"
    elsewhere = api.submit(case_doc("idem-1"), who="clinic_b", headers=key)  # keys are per user
    assert elsewhere.status_code == 201 and elsewhere.json()["id"] != first.json()["id"]


def test_read_case_and_the_forbidden_case_is_a_404(api):
    cid = api.submit(case_doc("read-1")).json()["id"]
    for who in ("clinic_a", "clinic_a2", "reviewer", "admin"):
        r = api.request("GET", f"/v1/cases/{cid}", who)
        assert r.status_code == 200 and r.json()["id"] == cid and r.headers["etag"] == '"1"'
        assert r.json()["document"]["id"] == "read-1"
    hidden = api.request("GET", f"/v1/cases/{cid}", "clinic_b")
    missing = api.request("GET", "/v1/cases/0123456789abcdef0123456789abcdef", "clinic_b")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"].replace(cid, "X") == missing.json()["detail"].replace(
        "0123456789abcdef0123456789abcdef", "X")


def test_list_cases_filters_pages_and_organizations(api):
    ids_a = {api.submit(case_doc(f"list-a-{i}", member={"payer": "uhc"})).json()["id"] for i in range(3)}
    id_b = api.submit(case_doc("list-b", member={"payer": "uhc"}), who="clinic_b").json()["id"]
    seen_a = {c["id"] for c in api.request("GET", "/v1/cases?payer=uhc&per_page=100", "clinic_a").json()["items"]}
    assert ids_a <= seen_a and id_b not in seen_a
    own = api.request("GET", "/v1/cases", "clinic_a").json()["items"]
    assert own and all(c["org"] == "clinic-a" for c in own)  # an empty answer would pass `all`
    seen_r = {c["id"] for c in api.request("GET", "/v1/cases?payer=uhc&per_page=100", "reviewer").json()["items"]}
    assert ids_a | {id_b} <= seen_r
    page = api.request("GET", "/v1/cases?payer=uhc&per_page=2&page=2", "admin").json()
    assert page["page"] == 2 and len(page["items"]) == 2 and page["total"] >= 4
    everything = api.request("GET", "/v1/cases", "admin").json()["total"]
    by_status = 0
    for status in ("review_required", "documentation_requested", "decided"):
        listed = api.request("GET", f"/v1/cases?status={status}&per_page=100", "admin").json()
        assert all(c["status"] == status for c in listed["items"])
        by_status += listed["total"]
    assert by_status == everything > 0  # every case is in exactly one status: a filter that lost cases fails
    bad = api.request("GET", "/v1/cases?status=bogus", "admin")
    assert bad.status_code == 422 and bad.json()["field"] == "status"


def test_documents_reevaluate_and_keep_the_earlier_determination(api):
    first = api.submit(case_doc("docs-1")).json()
    cid = first["id"]
    updated = case_doc("docs-1", clinical={"drug_screens": [{"date": "2025-05-20", "result": "negative"}]})
    r = api.request("POST", f"/v1/cases/{cid}/documents", "clinic_a2", updated, headers={"If-Match": '"1"'})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["version"] == 2 and body["revision"] == 2 and r.headers["etag"] == '"2"'
    assert {d["revision"] for d in body["determinations"]} == {2}
    earlier = {h["determination_id"] for h in body["history"]}
    assert earlier == {d["determination_id"] for d in first["determinations"]}
    assert body["document"]["clinical"]["drug_screens"][0]["result"] == "negative"
    stale = api.request("POST", f"/v1/cases/{cid}/documents", "clinic_a", updated, headers={"If-Match": '"1"'})
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    renamed = api.request("POST", f"/v1/cases/{cid}/documents", "clinic_a", case_doc("other-id"))
    assert renamed.status_code == 422 and renamed.json()["field"] == "id"
    assert api.request("POST", f"/v1/cases/{cid}/documents", "clinic_b", updated).status_code == 404
    for who in ("reviewer", "admin"):
        assert api.request("POST", f"/v1/cases/{cid}/documents", who, updated).status_code == 403


def _hcsc(body: dict) -> dict:
    return next(d for d in body["determinations"] if d["policy"] == "hcsc-sur707-008")


def test_review_deny_must_cite_a_not_met_criterion(api):
    body = api.submit(denied_case("review-1")).json()
    cid, hcsc = body["id"], _hcsc(body)
    path = f"/v1/cases/{cid}/review"
    bare = api.request("POST", path, "reviewer", {"policy": "hcsc-sur707-008", "decision": "deny",
                                                  "rationale": "Not covered."})
    assert bare.status_code == 422 and bare.json()["field"] == "criteria"
    met = _first_met(hcsc["criteria"])
    wrong = api.request("POST", path, "reviewer", {"policy": "hcsc-sur707-008", "decision": "deny",
                                                   "rationale": "x", "criteria": [met]})
    assert wrong.status_code == 422 and wrong.json()["field"] == "criteria[0]"
    cited = hcsc["reasons"][0].get("criterion") or hcsc["reasons"][0]["rule"]
    for who in ("clinic_a", "admin"):  # neither a submitter nor an admin finalizes a denial
        r = api.request("POST", path, who, {"policy": "hcsc-sur707-008", "decision": "deny", "rationale": "x",
                                            "criteria": [cited]})
        assert r.status_code == 403
    ok = api.request("POST", path, "reviewer", {"policy": "hcsc-sur707-008", "decision": "deny",
                                                "rationale": f"Documented: {cited}."})
    assert ok.status_code == 201, ok.text
    review = ok.json()
    assert review["criteria"] == [cited] and review["reviewer"] == "reviewer" and review["case_version"] == 2
    again = api.request("POST", path, "reviewer", {"policy": "hcsc-sur707-008", "decision": "approve",
                                                   "rationale": "changed my mind"})
    assert again.status_code == 409 and again.json()["code"] == "already-finalized"
    view = api.request("GET", f"/v1/cases/{cid}", "clinic_a").json()
    final = _hcsc(view)
    assert final["final_decision"] == "deny" and final["review"]["id"] == review["id"]
    assert view["status"] == "decided" and view["version"] == 2


def _first_met(node: dict) -> str:
    if node["verdict"] == "met":
        return node["id"]
    for child in node.get("children", ()):
        found = _first_met(child)
        if found:
            return found
    return ""


def test_review_rules_for_other_decisions(api):
    body = api.submit(case_doc("review-2")).json()
    cid = body["id"]
    path = f"/v1/cases/{cid}/review"
    pend = next(d for d in body["determinations"] if d["decision"] in ("pend", "approve"))
    r = api.request("POST", path, "reviewer", {"policy": pend["policy"], "decision": "approve",
                                               "rationale": "Records reviewed by phone."}, headers={"If-Match": '"1"'})
    assert r.status_code == 201, r.text
    stale = api.request("POST", path, "reviewer", {"policy": "uhc-2022t0626c", "decision": "pend",
                                                   "rationale": "x"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 409
    unknown = api.request("POST", path, "reviewer", {"policy": "nope", "decision": "approve", "rationale": "x"})
    assert unknown.status_code == 422 and unknown.json()["field"] == "policy"
    extra = api.request("POST", path, "reviewer", {"policy": "uhc-2022t0626c", "decision": "approve",
                                                   "rationale": "x", "by": "me"})
    assert extra.status_code == 422 and extra.json()["field"] == "by"
    strict = api.request("POST", path, "reviewer", {"policy": "uhc-2022t0626c", "decision": "approve",
                                                    "rationale": 5})
    assert strict.status_code == 422 and strict.json()["field"] == "rationale"
    hidden = api.submit(case_doc("review-3"), who="clinic_b").json()["id"]
    assert api.request("POST", f"/v1/cases/{hidden}/review", "reviewer",
                       {"policy": "uhc-2022t0626c", "decision": "pend", "rationale": "more records"}).status_code == 201
    assert api.request("POST", "/v1/cases/nope/review", "reviewer",
                       {"policy": "uhc-2022t0626c", "decision": "pend", "rationale": "x"}).status_code == 404


def test_policies(api):
    listing = api.request("GET", "/v1/policies", "clinic_a").json()
    assert {p["id"] for p in listing} == set(load_policies().ids)
    assert all(p["versions"] and p["versions"][0]["content_sha256"] for p in listing)
    one = api.request("GET", "/v1/policies/hcsc-sur707-008?date=2025-06-01", "reviewer").json()
    assert one["in_force"] and one["policy"]["criteria"]["id"]
    assert api.request("GET", "/v1/policies/nope", "admin").status_code == 404
    assert api.request("GET", "/v1/policies?date=yesterday", "admin").json()["field"] == "date"


def test_audit_is_admin_only_and_records_every_step(api):
    body = api.submit(denied_case("audit-1")).json()
    cid = body["id"]
    api.request("GET", f"/v1/cases/{cid}", "reviewer")
    cited = _hcsc(body)["reasons"][0].get("criterion") or _hcsc(body)["reasons"][0]["rule"]
    api.request("POST", f"/v1/cases/{cid}/documents", "clinic_a", denied_case("audit-1"))
    api.request("GET", f"/v1/cases/{cid}", "clinic_b")  # a denied look is recorded too
    new = api.request("GET", f"/v1/cases/{cid}", "reviewer").json()
    cited = _hcsc(new)["reasons"][0].get("criterion") or _hcsc(new)["reasons"][0]["rule"]
    assert api.request("POST", f"/v1/cases/{cid}/review", "reviewer", {
        "policy": "hcsc-sur707-008", "decision": "deny", "rationale": "r", "criteria": [cited]}).status_code == 201
    for who in ("clinic_a", "reviewer"):
        assert api.request("GET", f"/v1/audit?case={cid}", who).status_code == 403
    events = api.request("GET", f"/v1/audit?case={cid}", "admin").json()["events"]
    actions = [(e["action"], e["actor"], e["role"]) for e in events]
    assert actions == [("case.create", "clinic_a", "submitter"), ("case.read", "reviewer", "reviewer"),
                       ("case.reevaluate", "clinic_a", "submitter"), ("case.read.denied", "clinic_b", "submitter"),
                       ("case.read", "reviewer", "reviewer"), ("case.review", "reviewer", "reviewer")]
    assert all(e["case"] == cid and e["at"].endswith("Z") for e in events)
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    everything = api.request("GET", "/v1/audit?per_page=500", "admin").json()
    chain = everything["events"]
    assert all(b["prev_hash"] == a["hash"] for a, b in zip(chain, chain[1:], strict=False))
