"""What the PAS 2.2.1 profiles require of a response, checked by hand (the R4B models know R4, not PAS):
cardinalities, fixed values, extension URLs and code systems of the PAS Response Bundle and PAS ClaimResponse."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

PAS = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition"
X12_306 = "https://codesystem.x12.org/005010/306"
X12_886 = "https://codesystem.x12.org/external/886"
REVIEW_ACTION_CODES = frozenset({"A1", "A2", "A3", "A4", "A6", "C", "CT", "D", "IP", "NA"})
ITEM_EXTENSIONS = frozenset(f"{PAS}/extension-{n}" for n in (
    "itemTraceNumber", "itemPreAuthIssueDate", "itemPreAuthPeriod", "authorizationNumber",
    "administrationReferenceNumber", "itemRequestedServiceDate", "itemAuthorizedProvider",
    "itemAuthorizedDetail", "admissionDates", "dischargeDate", "communicatedDiagnosis"))
RESPONSE_EXTENSIONS = frozenset(f"{PAS}/extension-{n}" for n in (
    "transmissionIdentifiers", "administrationReferenceNumber", "claimResponseReviewer", "itemAuthorizedProvider",
    "authorizationNumber"))


def response_problems(bundle: dict[str, Any], claim: dict[str, Any] | None = None) -> list[str]:
    """Every way `bundle` falls short of the PAS Response Bundle and ClaimResponse profiles (empty: conformant).
    With the request's `claim`, the items must answer its item sequences."""
    problems = _r4(bundle)
    if bundle.get("type") != "collection":
        problems.append("Bundle.type: must be collection")
    for name in ("identifier", "timestamp"):
        if not bundle.get(name):
            problems.append(f"Bundle.{name}: required (1..1)")
    entries = bundle.get("entry") or []
    if not entries:
        return problems + ["Bundle.entry: required (1..*)"]
    for i, e in enumerate(entries):
        if not e.get("fullUrl"):
            problems.append(f"Bundle.entry[{i}].fullUrl: required (1..1)")
        for name in ("search", "request", "response"):
            if name in e:
                problems.append(f"Bundle.entry[{i}].{name}: not allowed (0..0)")
    responses = [e["resource"] for e in entries if e.get("resource", {}).get("resourceType") == "ClaimResponse"]
    if entries[0].get("resource", {}).get("resourceType") != "ClaimResponse":
        problems.append("Bundle.entry[0]: the ClaimResponse comes first")
    if len(responses) != 1:
        return problems + [f"Bundle.entry: one ClaimResponse (found {len(responses)})"]
    return problems + claim_response_problems(responses[0], claim)


def claim_response_problems(cr: dict[str, Any], claim: dict[str, Any] | None = None) -> list[str]:
    where = "ClaimResponse"
    problems = []
    fixed = {"status": "active", "use": "preauthorization"}
    for name, value in fixed.items():
        if cr.get(name) != value:
            problems.append(f"{where}.{name}: must be {value}")
    for name in ("type", "patient", "created", "insurer", "request", "outcome"):
        if not cr.get(name):
            problems.append(f"{where}.{name}: required")
    if cr.get("outcome") not in (None, "complete", "partial", "error"):
        problems.append(f"{where}.outcome: complete, partial or error (PAS), not {cr.get('outcome')!r}")
    for ext in cr.get("extension") or []:
        if ext.get("url") not in RESPONSE_EXTENSIONS:
            problems.append(f"{where}.extension: unknown URL {ext.get('url')}")
        if ext.get("url") == f"{PAS}/extension-claimResponseReviewer":
            flags = [x for x in ext.get("extension") or [] if x.get("url") == "wasHumanReviewedFlag"]
            if len(flags) != 1 or not isinstance(flags[0].get("valueBoolean"), bool):
                problems.append(f"{where}.extension[claimResponseReviewer].wasHumanReviewedFlag: required (1..1)")
    notes = {n.get("number") for n in cr.get("processNote") or []}
    for k, n in enumerate(cr.get("processNote") or []):
        if not isinstance(n.get("number"), int) or not n.get("text"):
            problems.append(f"{where}.processNote[{k}]: number (1..1) and text")
    sequences = [i.get("itemSequence") for i in cr.get("item") or []]
    if len(set(sequences)) != len(sequences):
        problems.append(f"{where}.item.itemSequence: repeated")
    if claim is not None:
        wanted = sorted(i.get("sequence") for i in claim.get("item") or [])
        if sorted(sequences) != wanted:
            problems.append(f"{where}.item.itemSequence: {sorted(sequences)} do not echo the Claim's {wanted}")
    for k, item in enumerate(cr.get("item") or []):
        problems += _item_problems(item, f"{where}.item[{k}]", notes)
    return problems


def _item_problems(item: dict[str, Any], where: str, notes: set[Any]) -> list[str]:
    problems = []
    if not isinstance(item.get("itemSequence"), int) or item["itemSequence"] < 1:
        problems.append(f"{where}.itemSequence: a positive integer (1..1)")
    urls = [x.get("url") for x in item.get("extension") or []]
    problems += [f"{where}.extension: unknown URL {u}" for u in urls if u not in ITEM_EXTENSIONS]
    providers = [x for x in item.get("extension") or [] if x.get("url") == f"{PAS}/extension-itemAuthorizedProvider"]
    if not providers:
        problems.append(f"{where}.extension[authorizedProvider]: required (1..*)")
    for p in providers:
        kinds = [x for x in p.get("extension") or [] if x.get("url") == f"{PAS}/extension-authorizedProviderType"]
        if len(kinds) != 1:
            problems.append(f"{where}.extension[authorizedProvider].providerType: required (1..1)")
    problems += [f"{where}.noteNumber: {n} is no processNote" for n in item.get("noteNumber") or [] if n not in notes]
    adjudications = item.get("adjudication") or []
    if not adjudications:
        problems.append(f"{where}.adjudication: the review action is carried here")
    for j, adj in enumerate(adjudications):
        at = f"{where}.adjudication[{j}]"
        codes = [(c.get("system"), c.get("code")) for c in (adj.get("category") or {}).get("coding") or []]
        if ("http://terminology.hl7.org/CodeSystem/adjudication", "submitted") not in codes:
            problems.append(f"{at}.category: fixed to adjudication#submitted")
        actions = [x for x in adj.get("extension") or [] if x.get("url") == f"{PAS}/extension-reviewAction"]
        if len(actions) > 1:
            problems.append(f"{at}.extension[reviewAction]: at most one (0..1)")
        for action in actions:
            subs = {x.get("url"): x for x in action.get("extension") or []}
            unknown = set(subs) - {f"{PAS}/extension-reviewActionCode", "number", "reasonCode",
                                   "secondSurgicalOpinionFlag"}
            problems += [f"{at}.extension[reviewAction]: unknown sub-extension {u}" for u in sorted(unknown)]
            code = subs.get(f"{PAS}/extension-reviewActionCode")
            coding = ((code or {}).get("valueCodeableConcept") or {}).get("coding") or [{}]
            if code is None or coding[0].get("system") != X12_306 or coding[0].get("code") not in REVIEW_ACTION_CODES:
                problems.append(f"{at}.extension[reviewAction].code: an X12 306 review action code")
            if "number" in subs and not isinstance(subs["number"].get("valueString"), str):
                problems.append(f"{at}.extension[reviewAction].number: a string")
            for reason in (x for x in action.get("extension") or [] if x.get("url") == "reasonCode"):
                codings = (reason.get("valueCodeableConcept") or {}).get("coding") or []
                if not any(c.get("system") == X12_886 and c.get("code") for c in codings):
                    problems.append(f"{at}.extension[reviewAction].reasonCode: an X12 886 code (required binding)")
    return problems


def _r4(bundle: dict[str, Any]) -> list[str]:
    from fhir.resources.R4B.bundle import Bundle

    try:
        Bundle.model_validate(bundle)
    except ValidationError as exc:
        return [f"R4B: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
    return []
