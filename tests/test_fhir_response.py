"""PAS responses from the engine's determinations: the review action per item, the criteria and documentation as
process notes, and every response held to the R4B models and the PAS profiles' requirements."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest

from fhir_builder import answer, morphine_request, pas_bundle
from priorauth.case.dates import add_months
from priorauth.engine.evaluate import evaluate_case
from priorauth.intake.fhir import map_request
from priorauth.intake.fhir.claim_response import FinalReview, response_bundle, review_action
from priorauth.intake.fhir.profiles import response_problems

BUNDLES = sorted(p for p in (Path(__file__).parent / "fhir" / "bundles").glob("*.json")
                 if not p.name.endswith(".case.json"))
NOW = dt.datetime(2025, 6, 3, 14, 0, tzinfo=dt.UTC)
ACTION = {"approve": "A1", "pend": "A4", "refer": "A4", "deny": "A4"}


def respond(doc, policies, review=None):
    m = map_request(doc, policies)
    found = evaluate_case(m.case, policies, evidence=m.evidence) if m.case else []
    bundle = response_bundle(m, [d.to_dict() for d in found], response_id=found[0].id if found else "na-1",
                             created=NOW, review=review)
    return m, found, bundle


def actions(bundle):
    cr = bundle["entry"][0]["resource"]
    return [ext["extension"][0]["valueCodeableConcept"]["coding"][0]["code"]
            for item in cr.get("item", []) for ext in item["adjudication"][0]["extension"]]


@pytest.mark.parametrize("path", BUNDLES, ids=lambda p: p.stem)
def test_every_response_conforms_and_carries_the_decision(path, policies):
    doc = json.loads(path.read_bytes())
    m, found, bundle = respond(doc, policies)
    assert response_problems(bundle, m.claim) == []
    cr = bundle["entry"][0]["resource"]
    assert cr["outcome"] == "complete" and cr["request"] == {"reference": f"Claim/{m.claim['id']}"}
    if m.case is None:
        assert set(actions(bundle)) == {"NA"}
        assert cr["processNote"][0]["text"].startswith("No review is required under these policies")
        return
    [d] = found
    assert set(actions(bundle)) == {ACTION[d.decision]}
    texts = [n["text"] for n in cr["processNote"]]
    v = (d.governed_by.policy if d.governed_by else d.policy_version)
    assert any(f"{v.payer_name} {v.number} (version {v.version})" in t for t in texts)
    for req in d.documentation_requests:
        assert any(req.section in t and t.startswith(("Send:", "Send one of:")) for t in texts)


def test_a_recommended_denial_is_pended_until_a_reviewer_finalizes_it(policies):
    doc = pas_bundle(payer="Moda Health", medications=(morphine_request(),),
                     answers=(answer("clinical.findings.active_infection", valueBoolean=True),))
    m, [d], pended = respond(doc, policies)
    assert d.decision == "deny" and actions(pended) == ["A4"]
    notes = [n["text"] for n in pended["entry"][0]["resource"]["processNote"]]
    assert any(t.startswith("Not met: Moda II.C.d") for t in notes), notes
    review = FinalReview("deny", "dr-reviewer", dt.datetime(2025, 6, 4, 9, 0, tzinfo=dt.UTC))
    _, _, final = respond(doc, policies, review)
    cr = final["entry"][0]["resource"]
    assert actions(final) == ["A3"] and response_problems(final, m.claim) == []
    assert cr["extension"][0]["extension"] == [{"url": "wasHumanReviewedFlag", "valueBoolean": True}]
    assert cr["processNote"][0]["text"].startswith("Final decision by a clinical reviewer: deny, 2025-06-04")
    assert review_action([d.to_dict()], FinalReview("approve", "dr-reviewer", NOW)) == "A1"


def test_an_approval_is_valid_for_the_policys_approval_duration(policies):
    doc = json.loads((BUNDLES[0].parent / "04-florida-blue-trial-complete.json").read_bytes())
    m, [d], bundle = respond(doc, policies)
    cr = bundle["entry"][0]["resource"]
    assert d.decision == "approve" and d.approval_duration == "1 month"
    start = m.case.request.service_date
    assert cr["preAuthPeriod"]["start"] == start.isoformat()
    assert cr["preAuthPeriod"]["end"] == (add_months(start, 1) - dt.timedelta(days=1)).isoformat()
    items = cr["item"]
    assert all(any(x["url"].endswith("extension-itemPreAuthPeriod") for x in i["extension"]) for i in items)


def test_only_the_drug_delivery_items_are_decided(policies):
    doc = pas_bundle(codes=(("http://www.ama-assn.org/go/cpt", "62324"), ("http://www.ama-assn.org/go/cpt", "99213")))
    m, [d], bundle = respond(doc, policies)
    assert actions(bundle) == [ACTION[d.decision], "NA"]
    assert [i["itemSequence"] for i in bundle["entry"][0]["resource"]["item"]] == [1, 2]


@pytest.mark.parametrize(("edit", "problem"), [
    (lambda cr: cr.update(outcome="queued"), "ClaimResponse.outcome: complete, partial or error (PAS), not 'queued'"),
    (lambda cr: cr["item"][0]["extension"].pop(0), "ClaimResponse.item[0].extension[authorizedProvider]: required"),
    (lambda cr: cr["item"][0].update(itemSequence=7), "ClaimResponse.item.itemSequence: [7] do not echo the Claim's"),
    (lambda cr: cr["item"][0]["adjudication"][0]["category"]["coding"][0].update(code="eligible"),
     "ClaimResponse.item[0].adjudication[0].category: fixed to adjudication#submitted"),
    (lambda cr: cr["item"][0]["adjudication"][0]["extension"][0]["extension"][0]["valueCodeableConcept"]["coding"][0]
     .update(code="Z9"), "ClaimResponse.item[0].adjudication[0].extension[reviewAction].code"),
    (lambda cr: cr.update(status="draft"), "ClaimResponse.status: must be active"),
    (lambda cr: cr.pop("request"), "ClaimResponse.request: required"),
    (lambda cr: cr["item"][0].update(noteNumber=[99]), "ClaimResponse.item[0].noteNumber: 99 is no processNote"),
])
def test_the_profile_checks_bite(policies, edit, problem):
    m, _, bundle = respond(pas_bundle(), policies)
    broken = copy.deepcopy(bundle)
    edit(broken["entry"][0]["resource"])
    assert any(p.startswith(problem) for p in response_problems(broken, m.claim)), response_problems(broken, m.claim)


def test_cli_respond_prints_a_conformant_response(tmp_path, policies):
    from conftest import run_cli

    path = BUNDLES[0].parent / "05-florida-blue-implant-incomplete.json"
    out = json.loads(run_cli("fhir", "respond", str(path), check=True).stdout)
    assert response_problems(out, json.loads(path.read_bytes())["entry"][0]["resource"]) == []
    assert set(actions(out)) == {"A4"}
    case_file = path.with_name("05-florida-blue-implant-incomplete.case.json")
    from_case = json.loads(run_cli("fhir", "respond", str(case_file), check=True).stdout)
    assert response_problems(from_case) == [] and set(actions(from_case)) == {"A4"}


def _reason_codes(bundle):
    cr = bundle["entry"][0]["resource"]
    return [[s["valueCodeableConcept"]["coding"][0]["code"] for s in ext["extension"] if s["url"] == "reasonCode"]
            for item in cr.get("item", []) for ext in item["adjudication"][0]["extension"]]


def test_x12_reason_codes_are_sent_only_where_a_plan_filled_them_in(policies):
    """X12 licenses its reason codes: none ships, so none is sent; a plan's table adds them, by why each item got
    its action (a finalized denial, missing documentation, criteria that say no)."""
    table = ("https://codesystem.x12.org/external/886",
             {"not_medically_necessary": "R1", "additional_information": "R2", "clinical_review": "R3"})
    deny = pas_bundle(payer="Moda Health", medications=(morphine_request(),),
                      answers=(answer("clinical.findings.active_infection", valueBoolean=True),))
    m, found, shipped = respond(deny, policies)
    assert _reason_codes(shipped) == [[]]
    dicts = [d.to_dict() for d in found]
    review = FinalReview("deny", "dr-reviewer", NOW)
    for kwargs, codes in [({}, [["R3"]]), ({"review": review}, [["R1"]])]:
        bundle = response_bundle(m, dicts, response_id="r1", created=NOW, reasons=table, **kwargs)
        assert _reason_codes(bundle) == codes and response_problems(bundle, m.claim) == []
    pend = pas_bundle(codes=(("http://www.ama-assn.org/go/cpt", "62324"), ("http://www.ama-assn.org/go/cpt", "99213")))
    m, found, _ = respond(pend, policies)
    assert [d.decision for d in found] == ["pend"]
    bundle = response_bundle(m, [d.to_dict() for d in found], response_id="r2", created=NOW, reasons=table)
    assert _reason_codes(bundle) == [["R2"], []]  # the item no policy governs (NA) gets no reason
    bad = copy.deepcopy(bundle)
    sub = bad["entry"][0]["resource"]["item"][0]["adjudication"][0]["extension"][0]["extension"][-1]
    sub["valueCodeableConcept"]["coding"][0]["system"] = "urn:local"
    assert any("reasonCode: an X12 886 code" in p for p in response_problems(bad, m.claim))
