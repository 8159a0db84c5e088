"""The PAS response Bundle for a request, built from the engine's determinations (and a reviewer's final decision).

Review actions (X12 306, on each item's adjudication): A1 certified when the policy approves; A4 pended when
documentation is missing, when the request is referred for manual review and when the engine recommends a denial
(a recommendation goes to a clinical reviewer, never straight to the member); A3 not certified only after a
reviewer finalized the denial. An item the policies do not govern gets NA (no action required). The criteria, their
sections and quotes, and the documentation to send are process notes; the policy version is named in each.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from priorauth.case.dates import add_months
from priorauth.intake.fhir.to_case import FhirMapping
from priorauth.yamlio import load_yaml

PAS = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition"
PROFILE_RESPONSE_BUNDLE = f"{PAS}/profile-pas-response-bundle"
PROFILE_CLAIM_RESPONSE = f"{PAS}/profile-claimresponse"
X12_306 = "https://codesystem.x12.org/005010/306"
X12_98 = "https://codesystem.x12.org/005010/98"
ACTIONS = {"A1": "Certified in total", "A3": "Not Certified", "A4": "Pended", "C": "Cancelled",
           "NA": "No Action Required"}


@dataclass(frozen=True)
class FinalReview:
    """A clinical reviewer's final decision on a recommendation: `approve` or `deny`."""

    decision: str
    reviewer: str
    at: dt.datetime


def review_action(determinations: list[dict[str, Any]], review: FinalReview | None = None) -> str:
    """The X12 review action for the request's drug-delivery items (`determinations`: as `to_dict` gives them, the
    form the CLI prints and the service stores)."""
    if review is not None:
        return {"approve": "A1", "deny": "A3"}.get(review.decision, "A4")
    decisions = {d["decision"] for d in determinations}
    if not decisions or decisions == {"not_applicable"}:
        return "NA"
    if decisions <= {"approve", "not_applicable"}:
        return "A1"
    return "A4"  # pend, refer, and a recommended denial, which a reviewer decides


def review_reason(action: str, determinations: list[dict[str, Any]]) -> str | None:
    """Why the items got `action`, as a key of x12_reasons.yaml: a finalized denial, missing documentation, or
    criteria that say no or refer (a clinical reviewer decides)."""
    if action == "A3":
        return "not_medically_necessary"
    if action != "A4":
        return None
    if any(d["decision"] in ("deny", "refer") for d in determinations):
        return "clinical_review"
    return "additional_information"


@cache
def x12_reasons() -> tuple[str, dict[str, str]]:
    """The reason code system and the codes a plan has filled in (x12_reasons.yaml)."""
    raw = load_yaml((Path(__file__).parent / "x12_reasons.yaml").read_text(encoding="utf-8"))
    return raw["system"], {k: v for k, v in raw["codes"].items() if v}


def response_bundle(mapping: FhirMapping, determinations: list[dict[str, Any]], *, response_id: str,
                    created: dt.datetime, review: FinalReview | None = None, cancelled: bool = False,
                    base: str = "urn:uuid:", reasons: tuple[str, dict[str, str]] | None = None) -> dict[str, Any]:
    """The PAS response Bundle: the ClaimResponse first, then the Claim's patient and insurer as received.
    `cancelled`: the submitter cancelled the whole request (every item C). `reasons`: the X12 reason code system
    and codes by reason (default: x12_reasons.yaml)."""
    claim = mapping.claim or {}
    action = "C" if cancelled else review_action(determinations, review)
    reason_system, reason_codes = reasons if reasons is not None else x12_reasons()
    reason = review_reason(action, determinations)
    notes = ([{"number": 1, "type": "display", "text": "The request was cancelled by the submitter."}] if cancelled
             else _notes(mapping, determinations, review))
    period = _period(mapping, determinations) if action == "A1" else None
    items = []
    for item in mapping.items:
        code = "C" if item.cancelled or cancelled else action if item.governed and mapping.case is not None else "NA"
        out: dict[str, Any] = {"extension": [_authorized_provider(claim)]}
        if code == "A1":
            out["extension"].append({"url": f"{PAS}/extension-itemPreAuthIssueDate",
                                     "valueDate": created.date().isoformat()})
            if period:
                out["extension"].append({"url": f"{PAS}/extension-itemPreAuthPeriod", "valuePeriod": period})
        out["itemSequence"] = item.sequence if item.sequence is not None else len(items) + 1
        if notes:
            out["noteNumber"] = [n["number"] for n in notes]
        review_ext: list[dict[str, Any]] = [
            {"url": f"{PAS}/extension-reviewActionCode",
             "valueCodeableConcept": {"coding": [{"system": X12_306, "code": code, "display": ACTIONS[code]}]}},
            {"url": "number", "valueString": response_id}]
        if code == action and reason in reason_codes:
            review_ext.append({"url": "reasonCode", "valueCodeableConcept": {
                "coding": [{"system": reason_system, "code": reason_codes[reason]}]}})
        out["adjudication"] = [{
            "extension": [{"url": f"{PAS}/extension-reviewAction", "extension": review_ext}],
            "category": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/adjudication",
                                     "code": "submitted"}]}}]
        items.append(out)
    response: dict[str, Any] = {
        "resourceType": "ClaimResponse", "id": response_id, "meta": {"profile": [PROFILE_CLAIM_RESPONSE]},
        "status": "active",
        "type": claim.get("type") or {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type",
                                                  "code": "professional"}]},
        "use": "preauthorization",
        "patient": claim.get("patient") or {"display": "not given"},
        "created": created.isoformat(timespec="seconds"),
        "insurer": claim.get("insurer") or {"display": "not given"},
        "request": {"reference": f"Claim/{claim['id']}"} if claim.get("id") else {
            "identifier": (claim.get("identifier") or [{}])[0]},
        "outcome": "complete",
        "preAuthRef": response_id,
    }
    if claim.get("identifier"):
        response["identifier"] = claim["identifier"][:1]
    if claim.get("provider"):
        response["requestor"] = claim["provider"]
    if period:
        response["preAuthPeriod"] = period
    response["extension"] = [{"url": f"{PAS}/extension-claimResponseReviewer", "extension": [
        {"url": "wasHumanReviewedFlag", "valueBoolean": review is not None}]}]
    if items:
        response["item"] = items
    if notes:
        response["processNote"] = notes
    return {"resourceType": "Bundle", "id": f"{response_id}-bundle", "meta": {"profile": [PROFILE_RESPONSE_BUNDLE]},
            "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{_uuid(response_id)}"},
            "type": "collection", "timestamp": created.isoformat(timespec="seconds"),
            "entry": [{"fullUrl": f"{base}{_uuid(response_id)}", "resource": response},
                      *({"fullUrl": url, "resource": resource} for url, resource in mapping.related)]}


def _authorized_provider(claim: dict[str, Any]) -> dict[str, Any]:
    """PAS asks each item to name the provider it answers for (1..*): the Claim's provider, as a service provider."""
    ext: list[dict[str, Any]] = []
    if isinstance(claim.get("provider"), dict):
        ext.append({"url": "provider", "valueReference": claim["provider"]})
    ext.append({"url": f"{PAS}/extension-authorizedProviderType",
                "valueCodeableConcept": {"coding": [{"system": X12_98, "code": "SJ", "display": "Service Provider"}]}})
    return {"url": f"{PAS}/extension-itemAuthorizedProvider", "extension": ext}


def _notes(mapping: FhirMapping, determinations: list[dict[str, Any]], review: FinalReview | None) -> list[dict]:
    texts: list[str] = []
    if mapping.case is None:
        texts.append(f"No review is required under these policies: {mapping.not_applicable}.")
    for d in determinations:
        v = (d.get("governed_by") or {}).get("policy_version") or d.get("policy_version")
        name = f"{v['payer']} {v['number']} (version {v['version']})" if v else d["policy"]
        if review is not None:
            texts.append(f"Final decision by a clinical reviewer: {review.decision}, "
                         f"{review.at.date().isoformat()} (recommendation under {name}: {d['decision']}).")
        texts.append(f"{name}: {d['summary']}")
        for r in d.get("reasons", ()):
            finding = f" ({r['finding']})" if r.get("finding") else ""
            texts.append(f"{'Not met' if d['decision'] == 'deny' else 'Reason'}: {r['section']}: “{r['quote']}”"
                         f"{finding} [{name}]")
        for req in d.get("documentation_requests", ()):
            texts.append(_request_text(req, name))
    return [{"number": i + 1, "type": "display", "text": t} for i, t in enumerate(texts)]


def _request_text(req: dict[str, Any], name: str) -> str:
    if req.get("one_of"):
        choices = " OR ".join(f"({i + 1}) {r['request']} [{r['section']}]" for i, r in enumerate(req["one_of"]))
        return f"Send one of: {choices} [{name}]"
    quote = f": “{req['quote']}”" if req.get("quote") else ""
    return f"Send: {req['request']} [{req['section']}{quote}] [{name}]"


def _period(mapping: FhirMapping, determinations: list[dict[str, Any]]) -> dict[str, str] | None:
    """From the date of service for the policy's approval duration ("1 month", "1 year", "2 weeks")."""
    if mapping.case is None:
        return None
    start = mapping.case.request.service_date
    durations = [d["approval_duration"] for d in determinations if d.get("approval_duration")]
    if not durations:
        return {"start": start.isoformat()}
    m = re.fullmatch(r"(\d+)\s*(day|week|month|year)s?", durations[0].strip())
    if not m:
        return {"start": start.isoformat()}
    n, unit = int(m.group(1)), m.group(2)
    if unit in ("month", "year"):
        end = add_months(start, n * (12 if unit == "year" else 1)) - dt.timedelta(days=1)
    else:
        end = start + dt.timedelta(days=n * (7 if unit == "week" else 1) - 1)
    return {"start": start.isoformat(), "end": end.isoformat()}


def _uuid(response_id: str) -> str:
    """A stable UUID form of a 32-hex-digit id (other ids are hashed to one)."""
    import hashlib
    import uuid

    hexid = response_id if re.fullmatch(r"[0-9a-f]{32}", response_id) else hashlib.sha256(
        response_id.encode()).hexdigest()[:32]
    return str(uuid.UUID(hexid))
