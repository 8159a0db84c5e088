"""The Claim's own facts: the case id, the submission and service dates, the procedure codes and the request kind
they tell, the ICD-10-CM diagnoses and the indication they tell."""

from __future__ import annotations

from typing import Any

from priorauth.intake.fhir.document import FhirInput, Resource
from priorauth.intake.fhir.mapping import DATE, Builder, ClaimItem


def items_of(b: Builder, claim: Resource) -> list[ClaimItem]:
    """Each Claim item's CPT and HCPCS codes (other systems are listed as not mapped), in the Claim's order."""
    out = []
    for i, item in enumerate(claim.data.get("item") or []):
        seq = item.get("sequence") if isinstance(item.get("sequence"), int) else None
        if is_cancelled(item):
            out.append(ClaimItem(seq, (), False, True))
            continue
        found = []
        for j, coding in enumerate((item.get("productOrService") or {}).get("coding") or []):
            code = coding.get("code") if isinstance(coding, dict) else None
            if not isinstance(code, str):
                continue
            if coding.get("system") in b.terms.procedure:
                found.append(code.strip().upper())
            else:
                b.skip(claim, f"Claim.item[{i}].productOrService.coding[{j}]",
                       f"{coding.get('system')}#{code} is not a CPT or HCPCS code")
        out.append(ClaimItem(seq, tuple(found), any(b.knowledge.codes.procedure(c).valid for c in found)))
    return out


CANCELLED = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/extension-infoCancelled"


def is_cancelled(element: dict[str, Any]) -> bool:
    """An item (or supportingInfo entry) a Claim Update removed: the infoCancelled modifier extension, true."""
    return any(isinstance(x, dict) and x.get("url") == CANCELLED and x.get("valueBoolean") is True
               for x in element.get("modifierExtension") or [])


def claim_facts(b: Builder, claim: Resource, items: list[ClaimItem]) -> None:
    c = claim.data
    ident = next(((i, x["value"]) for i, x in enumerate(c.get("identifier") or [])
                  if isinstance(x, dict) and isinstance(x.get("value"), str)), None)
    if ident:
        b.put("id", ident[1], claim, f"Claim.identifier[{ident[0]}].value")
    elif claim.id:
        b.put("id", claim.id, claim, "Claim.id")
    else:
        b.problems.append(("Claim.identifier", "the Claim has no identifier and no id"))
    created = c.get("created")
    if isinstance(created, str) and DATE.match(created):
        b.put("submitted", created[:10], claim, "Claim.created")  # the local date as the submitter wrote it
    else:
        b.problems.append(("Claim.created", "no full date: the submission date is required"))
    pump_codes = [code for item in items for code in item.codes]
    for i, code in enumerate(dict.fromkeys(pump_codes)):
        where = next(f"Claim.item[{k}].productOrService" for k, item in enumerate(items) if code in item.codes)
        b.put(f"request.procedure_codes[{i}]", code, claim, where)
    dates = []
    for k, item in enumerate(c.get("item") or []):
        if not any(b.knowledge.codes.procedure(code).valid for code in items[k].codes):
            continue
        day = item.get("servicedDate") or (item.get("servicedPeriod") or {}).get("start")
        if isinstance(day, str) and DATE.match(day):
            element = "servicedDate" if item.get("servicedDate") else "servicedPeriod.start"
            dates.append((day[:10], f"Claim.item[{k}].{element}"))
    for s, info in enumerate(c.get("supportingInfo") or []):
        code = ((info.get("category") or {}).get("coding") or [{}])[0].get("code")
        day = info.get("timingDate") or (info.get("timingPeriod") or {}).get("start")
        if not dates and code == "patientEvent" and isinstance(day, str) and DATE.match(day):
            dates.append((day[:10], f"Claim.supportingInfo[{s}].timing[x]"))
    if dates:
        day, where = min(dates)
        b.put("request.service_date", day, claim, where)
    elif isinstance(created, str) and DATE.match(created):
        b.put("request.service_date", created[:10], claim, "Claim.created")
        b.skip(claim, "Claim.item.serviced[x]", "no service date on the drug-delivery items: the submission date "
               "is used as the date of service")
    for k, dx in enumerate(c.get("diagnosis") or []):
        _diagnosis(b, claim, dx, f"Claim.diagnosis[{k}]")


def _diagnosis(b: Builder, claim: Resource, dx: dict[str, Any], where: str) -> None:
    concept, res, at = dx.get("diagnosisCodeableConcept"), claim, f"{where}.diagnosisCodeableConcept"
    if concept is None and dx.get("diagnosisReference"):
        cond = b.resolve(dx["diagnosisReference"], "Condition", claim, f"{where}.diagnosisReference")
        if cond is None:
            return
        concept, res, at = cond.data.get("code"), cond, "Condition.code"
    for j, coding in enumerate((concept or {}).get("coding") or []):
        code = coding.get("code") if isinstance(coding, dict) else None
        if not isinstance(code, str):
            continue
        if coding.get("system") in b.terms.diagnosis:
            codes = b.doc.setdefault("request", {}).setdefault("diagnosis_codes", [])
            normal = _icd10(code)
            if normal not in codes:
                b.put(f"request.diagnosis_codes[{len(codes)}]", normal, res, f"{at}.coding[{j}].code")
            return
        b.skip(res, f"{at}.coding[{j}]", f"{coding.get('system')}#{code} is not an ICD-10-CM code")


def _icd10(code: str) -> str:
    """`g894` and `G894` (X12 writes codes without the dot) -> `G89.4`."""
    code = code.strip().upper()
    return code if "." in code or len(code) <= 3 else f"{code[:3]}.{code[3:]}"


def order_codes(inp: FhirInput, claim: Resource | None = None) -> list[str]:
    """Codes of the orders (DeviceRequest, ServiceRequest) a Claim points at, or of every order in the input."""
    orders = [r for r in inp.resources if r.type in ("DeviceRequest", "ServiceRequest")]
    out = []
    for r in orders:
        concept = r.data.get("codeCodeableConcept") or r.data.get("code") or {}
        for coding in concept.get("coding") or [] if isinstance(concept, dict) else []:
            if isinstance(coding, dict) and isinstance(coding.get("code"), str):
                out.append(coding["code"].strip().upper())
    return list(dict.fromkeys(out))


def request_kind(b: Builder, claim: Resource, items: list[ClaimItem]) -> None:
    if b.has("request.kind"):
        return  # answered in the questionnaire
    fit = b.knowledge.codes.fit
    codes = [c for item in items for c in item.codes]
    for kind, listname in b.terms.kinds:
        wanted = set(b.terms.replacement_codes if listname == "replacement_codes" else fit[listname])
        hit = next((k for k, item in enumerate(items) if wanted & set(item.codes)), None)
        if hit is not None:
            b.put("request.kind", kind, claim, f"Claim.item[{hit}].productOrService")
            return
    b.problems.append(("Claim.item.productOrService", f"the codes {', '.join(codes)} do not tell the request kind "
                       "(trial, implant, refill, replacement, revision, removal): answer `request.kind`"))


def indication(b: Builder, claim: Resource) -> None:
    if b.has("request.indication"):
        return
    fit = b.knowledge.codes.fit
    codes = b.doc.get("request", {}).get("diagnosis_codes", [])
    drugs = [d.get("name") for d in b.doc.get("request", {}).get("drugs", [])]
    table = b.knowledge.drugs.drugs
    antispasmodic = bool(drugs) and all(n in table and "spasticity" in table[n].used_for for n in drugs)
    cancer = next((c for c in codes if c.startswith(tuple(fit["cancer_pain"]))), None)
    spastic = next((c for c in codes if c.startswith(tuple(fit["spasticity"]))), None)
    if spastic and (antispasmodic or not cancer):
        choice, code = "spasticity", spastic
    elif cancer:
        choice, code = "cancer_pain", cancer
    elif codes:
        choice, code = ("spasticity", codes[0]) if antispasmodic else ("noncancer_pain", codes[0])
    elif antispasmodic:
        choice, code = "spasticity", None
    else:
        b.problems.append(("Claim.diagnosis", "no ICD-10-CM diagnosis: the indication (cancer pain, non-cancer pain "
                           "or spasticity) cannot be told"))
        return
    if code is None:
        b.put("request.indication", choice, claim, "MedicationRequest.medication[x]")
        return
    k = codes.index(code)
    src = b.sources[f"request.diagnosis_codes[{k}]"][0]
    b.doc["request"]["indication"] = choice
    b.sources["request.indication"] = [src]
