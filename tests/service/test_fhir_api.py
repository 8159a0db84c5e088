"""The /fhir endpoints on a real server: $submit and $inquire answered from the engine's determinations, reviews
and resubmissions reflected, subscribers notified on loopback, and every refusal an OperationOutcome."""

from __future__ import annotations

import copy
import json
import os
import random
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from priorauth.intake.fhir.profiles import response_problems

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fhir_builder import answer, morphine_request, pas_bundle  # noqa: E402
from test_fhir_intake import mutate  # noqa: E402

BUNDLES = Path(__file__).resolve().parents[1] / "fhir" / "bundles"
FHIR = {"Content-Type": "application/fhir+json"}


def load(name: str) -> dict:
    return json.loads((BUNDLES / name).read_bytes())


def submit(api, doc, who="clinic_a"):
    return api.request("POST", "/fhir/Claim/$submit", who, json.dumps(doc), headers=FHIR)


def inquire(api, doc, who="clinic_a"):
    return api.request("POST", "/fhir/Claim/$inquire", who, json.dumps(doc), headers=FHIR)


def claim_response(bundle: dict) -> dict:
    return bundle["entry"][0]["resource"]


def actions(bundle: dict) -> set[str]:
    return {ext["extension"][0]["valueCodeableConcept"]["coding"][0]["code"]
            for item in claim_response(bundle).get("item", []) for ext in item["adjudication"][0]["extension"]}


def unique(doc: dict, value: str) -> dict:
    """The Bundle with a Claim identifier of its own (tests share one server)."""
    doc = copy.deepcopy(doc)
    doc["entry"][0]["resource"]["identifier"][0]["value"] = value
    return doc


def test_the_capability_statement_tells_what_the_server_does(api):
    from fhir.resources.R4B.capabilitystatement import CapabilityStatement

    r = api.request("GET", "/fhir/metadata")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/fhir+json")
    cs = r.json()
    CapabilityStatement.model_validate(cs)
    [claim] = [x for x in cs["rest"][0]["resource"] if x["type"] == "Claim"]
    assert {o["name"] for o in claim["operation"]} == {"submit", "inquire"}
    assert cs["fhirVersion"] == "4.0.1"


@pytest.mark.parametrize(("name", "action"), [
    ("01-uhc-trial-complete.json", "A1"), ("02-uhc-implant-incomplete.json", "A4"),
    ("06-florida-blue-refill-complete.json", "A4"), ("15-medicare-implant-complete.json", "A1"),
    ("17-knee-mri.json", "NA"),
])
def test_submit_answers_with_the_engines_decision(api, name, action):
    doc = unique(load(name), f"submit-{name}")
    r = submit(api, doc)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/fhir+json")
    bundle = r.json()
    assert response_problems(bundle, doc["entry"][0]["resource"]) == []
    assert actions(bundle) == {action}
    assert claim_response(bundle)["outcome"] == "complete"


def test_inquire_returns_the_current_response_and_only_to_its_organization(api):
    doc = unique(load("02-uhc-implant-incomplete.json"), "inquire-1")
    first = submit(api, doc).json()
    found = inquire(api, doc).json()
    assert found["resourceType"] == "Parameters"
    [param] = found["parameter"]
    assert param["name"] == "responseBundle" and actions(param["resource"]) == {"A4"}
    assert claim_response(param["resource"])["id"] == claim_response(first)["id"]
    assert inquire(api, doc, "clinic_b").json() == {"resourceType": "Parameters", "parameter": []}
    assert inquire(api, unique(doc, "never-sent")).json()["parameter"] == []


def test_resubmitting_with_the_missing_documentation_re_decides(api):
    doc = unique(load("02-uhc-implant-incomplete.json"), "resubmit-1")
    pended = submit(api, doc).json()
    assert actions(pended) == {"A4"}
    notes = [n["text"] for n in claim_response(pended)["processNote"]]
    assert any(t.startswith("Send one of:") and "psychosocial" in t for t in notes), notes
    more = copy.deepcopy(doc)
    qr = next(e["resource"] for e in more["entry"] if e["resource"]["resourceType"] == "QuestionnaireResponse")
    qr["item"] += [answer("clinical.psychiatric.untreated_psychosocial_issues", valueBoolean=False),
                   answer("clinical.psychiatric.untreated_major_depression", valueBoolean=False)]
    approved = submit(api, more).json()
    assert actions(approved) == {"A1"}
    assert claim_response(approved)["id"] == claim_response(pended)["id"]  # the same request
    [param] = inquire(api, doc).json()["parameter"]
    assert actions(param["resource"]) == {"A1"}


def deny_bundle(value: str) -> dict:
    doc = pas_bundle(payer="Moda Health", medications=(morphine_request(),),
                     answers=(answer("clinical.findings.active_infection", valueBoolean=True),))
    return unique(doc, value)


def case_id_of(api, ref: str) -> str:
    page = api.request("GET", "/v1/cases?per_page=100", "reviewer").json()
    return next(c["id"] for c in page["items"] if c["case"] == ref)


def finalize_denial(api, ref: str) -> str:
    """A reviewer finalizes the engine's recommended denial of the case `ref`, citing what it found not met."""
    case_id = case_id_of(api, ref)
    detail = api.request("GET", f"/v1/cases/{case_id}", "reviewer").json()
    cited = detail["determinations"][0]["not_met_criteria"]
    r = api.request("POST", f"/v1/cases/{case_id}/review", "reviewer",
                    {"policy": "moda-hcs-0044a", "decision": "deny", "rationale": "Active infection (II.C.d).",
                     "criteria": cited[:1]})
    assert r.status_code == 201, r.text
    return case_id


def test_a_denial_is_pended_until_a_reviewer_finalizes_it(api):
    doc = deny_bundle("deny-1")
    assert actions(submit(api, doc).json()) == {"A4"}
    finalize_denial(api, "deny-1")
    [param] = inquire(api, doc).json()["parameter"]
    cr = claim_response(param["resource"])
    assert actions(param["resource"]) == {"A3"}
    assert cr["extension"][0]["extension"] == [{"url": "wasHumanReviewedFlag", "valueBoolean": True}]
    assert response_problems(param["resource"], doc["entry"][0]["resource"]) == []


class Receiver:
    """A real HTTP server on loopback that keeps every notification it is sent."""

    def __init__(self, statuses: tuple[int, ...] = ()):
        """`statuses`: what to answer the first posts with (then 200)."""
        self.received: list[tuple[dict, dict]] = []
        answers = list(statuses)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append((dict(self.headers), json.loads(body)))
                self.send_response(answers.pop(0) if answers else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/notify"

    def wait(self, count: int, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.received) >= count, f"{len(self.received)} notifications"


def subscription(endpoint: str) -> dict:
    return {"resourceType": "Subscription", "status": "requested", "reason": "PAS updates",
            "criteria": "http://hl7.org/fhir/us/davinci-pas/SubscriptionTopic/PASSubscriptionTopic",
            "channel": {"type": "rest-hook", "endpoint": endpoint, "payload": "application/fhir+json",
                        "header": ["Authorization: Bearer receiver-secret"],
                        "_payload": {"extension": [{
                            "url": "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/"
                                   "backport-payload-content", "valueCode": "full-resource"}]}}}


def test_a_subscriber_receives_the_decided_response(api):
    receiver = Receiver()
    try:
        r = api.request("POST", "/fhir/Subscription", "clinic_b", json.dumps(subscription(receiver.url)),
                        headers=FHIR)
        assert r.status_code == 201, r.text
        assert api.request("GET", r.headers["Location"], "clinic_b").json()["status"] == "active"
        [(_, handshake)] = receiver.received  # sent before the subscription was answered
        assert _parameters(handshake) | {"subscription": None} == {
            "subscription": None, "topic": TOPIC, "status": "requested", "type": "handshake",
            "events-since-subscription-start": "0"}
        assert len(handshake["entry"]) == 1
        doc = deny_bundle("subscribed-1")
        assert actions(submit(api, doc, "clinic_b").json()) == {"A4"}
        case_id = finalize_denial(api, "subscribed-1")
        receiver.wait(2)
        headers, note = receiver.received[-1]
        assert headers["Authorization"] == "Bearer receiver-secret"
        assert note["type"] == "history" and note["entry"][0]["resource"]["resourceType"] == "Parameters"
        sent = note["entry"][1]["resource"]
        assert actions(sent) == {"A3"}
        [param] = inquire(api, doc, "clinic_b").json()["parameter"]
        assert claim_response(param["resource"])["id"] == claim_response(sent)["id"]
        assert actions(param["resource"]) == actions(sent)
        events = api.request("GET", f"/v1/audit?case={case_id}&per_page=500", "admin").json()["events"]
        assert {"fhir.submit", "fhir.inquire", "fhir.notify"} <= {e["action"] for e in events}
        assert all("receiver-secret" not in json.dumps(e) for e in events)
    finally:
        receiver.server.shutdown()


TOPIC = "http://hl7.org/fhir/us/davinci-pas/SubscriptionTopic/PASSubscriptionTopic"


def _parameters(note: dict) -> dict:
    return {p["name"]: next((v for k, v in p.items() if k.startswith("value")), None)
            for p in note["entry"][0]["resource"]["parameter"] if "part" not in p}


def test_a_failed_handshake_leaves_the_subscription_in_error_and_never_notified(api):
    receiver = Receiver(statuses=(503,))
    try:
        r = api.request("POST", "/fhir/Subscription", "clinic_b", json.dumps(subscription(receiver.url)),
                        headers=FHIR)
        assert r.status_code == 201 and r.json()["status"] == "error", r.text
        doc = deny_bundle("subscribed-error")
        submit(api, doc, "clinic_b")
        finalize_denial(api, "subscribed-error")
        time.sleep(1.5)
        assert [_parameters(n)["type"] for _, n in receiver.received] == ["handshake"]
    finally:
        receiver.server.shutdown()


def test_a_failed_notification_is_retried(api):
    receiver = Receiver(statuses=(200, 500))  # the handshake passes, the first notification fails
    try:
        r = api.request("POST", "/fhir/Subscription", "clinic_a2", json.dumps(subscription(receiver.url)),
                        headers=FHIR)
        assert r.json()["status"] == "active"
        submit(api, deny_bundle("subscribed-retry"), "clinic_a2")
        case_id = finalize_denial(api, "subscribed-retry")
        receiver.wait(3)
        first, second = (n for _, n in receiver.received[1:3])
        assert _parameters(first)["events-since-subscription-start"] == "1"
        assert first["entry"][1:] == second["entry"][1:]
        deadline, tries = time.monotonic() + 10, []
        while len(tries) < 2 and time.monotonic() < deadline:  # the attempt is audited after its answer
            events = api.request("GET", f"/v1/audit?case={case_id}&per_page=500", "admin").json()["events"]
            tries = [(e["details"]["attempt"], e["details"]["http_status"]) for e in events
                     if e["action"] == "fhir.notify" and e["details"]["subscription"] == r.json()["id"]]
        assert tries == [(1, 500), (2, 200)], tries
    finally:
        receiver.server.shutdown()


@pytest.mark.parametrize(("body", "status", "expression"), [
    (b"{not json", 400, None),
    (json.dumps({"resourceType": "ClaimResponse", "status": "active"}).encode(), 422, "Bundle"),
])
def test_refusals_are_operation_outcomes(api, body, status, expression):
    r = api.request("POST", "/fhir/Claim/$submit", "clinic_a", body, headers=FHIR)
    assert r.status_code == status and r.headers["content-type"].startswith("application/fhir+json")
    out = r.json()
    assert out["resourceType"] == "OperationOutcome" and out["issue"][0]["severity"] == "error"
    if expression:
        assert out["issue"][0]["expression"] == [expression]


def test_an_invalid_claim_names_every_element_and_stores_nothing(api):
    doc = unique(pas_bundle(), "invalid-1")
    doc["entry"][0]["resource"].pop("status")
    doc["entry"][0]["resource"]["created"] = "June"
    r = submit(api, doc)
    assert r.status_code == 422
    expressions = [i["expression"][0] for i in r.json()["issue"]]
    assert "Bundle.entry[0].resource.created" in expressions and "Bundle.entry[0].resource.status" in expressions
    assert inquire(api, unique(pas_bundle(), "invalid-1")).json()["parameter"] == []  # nothing half-stored


@pytest.mark.parametrize("value", ["nul\u0000inside", "x" * 600, "lone\ud800surrogate"])
def test_an_identifier_the_store_cannot_hold_is_refused(api, value):
    doc = unique(pas_bundle(codes=(("http://www.ama-assn.org/go/cpt", "73721"),)), value)
    r = submit(api, doc)
    assert r.status_code == 422
    assert r.json()["issue"][0]["expression"][0].startswith("Bundle.entry[0].resource.identifier[0]")
    found = inquire(api, doc)  # nothing stored: no answer, or the same refusal
    assert found.status_code in (200, 422) and found.json().get("parameter", []) == []


def test_updates_and_cancellations_are_refused_with_the_element(api):
    doc = unique(pas_bundle(), "cancel-1")
    ext = doc["entry"][0]["resource"]["item"][0]["extension"][1]
    ext["valueCodeableConcept"]["coding"][0]["code"] = "3"
    r = submit(api, doc)
    assert r.status_code == 422
    assert r.json()["issue"][0]["expression"] == ["Bundle.entry[0].resource.item[0].extension[certificationType]"]


def test_no_phi_reaches_the_server_log(api):
    from .helpers import PHI_MARKER

    doc = unique(pas_bundle(medications=(morphine_request(),), notes=(f"{PHI_MARKER} reports 8/10 pain.",)), "phi-1")
    doc["entry"][1]["resource"]["name"] = [{"family": PHI_MARKER}]
    assert submit(api, doc).status_code == 200
    broken = copy.deepcopy(doc)
    broken["entry"][0]["resource"]["created"] = PHI_MARKER  # refused: the message must not echo it to the log
    assert submit(api, broken).status_code == 422
    assert inquire(api, doc).status_code == 200
    assert PHI_MARKER not in api.server.log()


def test_tokens_and_roles_apply(api):
    r = api.request("POST", "/fhir/Claim/$submit", None, json.dumps(pas_bundle()), headers=FHIR)
    assert r.status_code == 401 and r.json()["issue"][0]["code"] == "login"
    r = submit(api, pas_bundle(), "reviewer")
    assert r.status_code == 403 and r.json()["resourceType"] == "OperationOutcome"


# The suite sends 600 per backend; the long run by hand: PRIORAUTH_FUZZ_BUNDLES=5000 (figures in the session notes).
MUTATED_BUNDLES = int(os.environ.get("PRIORAUTH_FUZZ_BUNDLES", "600"))


def test_mutated_bundles_never_get_a_5xx(api):
    """Structurally mutated request Bundles (dropped, retyped, duplicated and swapped elements, huge strings,
    broken references, two Claims): each is answered 200 or refused 4xx with an OperationOutcome."""
    base = pas_bundle(medications=(morphine_request(),), answers=(answer("clinical.life_expectancy_months",
                                                                         valueDecimal=24),), notes=("x",))
    rng = random.Random(7)
    seen: dict[int, int] = {}
    for i in range(MUTATED_BUNDLES):
        doc = mutate(unique(base, f"fuzz-{i}"), rng)
        r = submit(api, doc)
        seen[r.status_code] = seen.get(r.status_code, 0) + 1
        assert r.status_code < 500, r.text
        if r.status_code >= 400:
            assert r.json()["resourceType"] == "OperationOutcome"
    assert seen.get(200) and seen.get(422), seen


def claim_update(doc: dict, new_value: str, cancel: bool = False) -> dict:
    """A PAS Claim Update of `doc`'s Claim: the updated Claim first (a new identifier, Claim.related.claim), the
    Claim it updates second."""
    update = copy.deepcopy(doc)
    # an update of an update carries only the Claim it updates, not that one's own original (PAS)
    update["entry"] = [e for i, e in enumerate(update["entry"]) if i == 0 or e["resource"]["resourceType"] != "Claim"]
    original = copy.deepcopy(doc["entry"][0])
    original["fullUrl"] = "http://example.org/fhir/Claim/original"
    original["resource"]["id"] = "original"
    claim = update["entry"][0]["resource"]
    claim["identifier"][0]["value"] = new_value
    claim["related"] = [{"claim": {"reference": "Claim/original"},
                         "relationship": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/related-claim-"
                                                      "relationship", "code": "prior"}]}}]
    if cancel:
        claim["extension"] = [{"url": "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/"
                                      "extension-certificationType",
                               "valueCodeableConcept": {"coding": [{"system": "https://codesystem.x12.org/005010/1322",
                                                                    "code": "3"}]}}]
    update["entry"].insert(1, original)
    return update


def test_a_claim_update_re_decides_and_a_cancellation_cancels(api):
    doc = unique(load("02-uhc-implant-incomplete.json"), "update-1")
    assert actions(submit(api, doc).json()) == {"A4"}
    more = claim_update(doc, "update-1-v2")
    qr = next(e["resource"] for e in more["entry"] if e["resource"]["resourceType"] == "QuestionnaireResponse")
    qr["item"] += [answer("clinical.psychiatric.untreated_psychosocial_issues", valueBoolean=False),
                   answer("clinical.psychiatric.untreated_major_depression", valueBoolean=False)]
    r = submit(api, more)
    assert r.status_code == 200, r.text
    assert actions(r.json()) == {"A1"}
    cancel = claim_update(more, "update-1-v3", cancel=True)
    r = submit(api, cancel)
    assert r.status_code == 200, r.text
    cancelled = r.json()
    assert actions(cancelled) == {"C"} and response_problems(cancelled) == []
    [param] = inquire(api, doc).json()["parameter"]  # the original identifier finds the current answer
    assert actions(param["resource"]) == {"C"}
    again = submit(api, unique(doc, "update-1"))
    assert again.status_code == 422 and "cancelled" in again.json()["issue"][0]["details"]["text"]


def test_a_cancellation_must_be_a_claim_update_of_a_known_request(api):
    doc = unique(pas_bundle(), "cancel-2")
    doc["entry"][0]["resource"]["extension"] = claim_update(doc, "x", cancel=True)["entry"][0]["resource"]["extension"]
    r = submit(api, doc)
    assert r.status_code == 422
    assert r.json()["issue"][0]["expression"] == ["Bundle.entry[0].resource.extension[certificationType]"]
    unknown = claim_update(unique(pas_bundle(), "never-submitted"), "never-2")
    r = submit(api, unknown)
    assert r.status_code == 422 and r.json()["issue"][0]["expression"] == ["Bundle.entry[0].resource.related"]


def test_the_same_identifier_submitted_at_once_is_one_request(api):
    import httpx

    doc = unique(pas_bundle(), "race-1")  # a pump request: each attempt maps and evaluates a case
    body, statuses = json.dumps(doc), []

    def send():
        with httpx.Client(timeout=30) as c:
            statuses.append(c.post(api.server.base + "/fhir/Claim/$submit", content=body,
                                   headers={**api.auth("clinic_a"), **FHIR}).status_code)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(statuses) <= {200, 409} and 200 in statuses, statuses
    [param] = inquire(api, doc).json()["parameter"]
    assert actions(param["resource"]) == {"A4"}
    # the case and the request are one transaction: a lost race leaves no case behind
    page = api.request("GET", "/v1/cases?per_page=100", "reviewer").json()
    assert [c["case"] for c in page["items"]].count("race-1") == 1
