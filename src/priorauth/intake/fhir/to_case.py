"""A PAS request as a priorauth case, every fact with the FHIR element it came from, and what was not mapped.

Claim: identifier → case id, `created` → submitted (the submitter's local date, as written), the items' CPT and
HCPCS codes (under any of their URIs) → procedure codes and the request kind, `item.serviced[x]` → service
date, `diagnosis` (codes or Conditions) → ICD-10-CM codes and the indication. Patient → birth date, sex, state.
Coverage → payer (payers.yaml and each loaded policy's `payer_name`) and line of business (Source of Payment
Typology). MedicationRequest → drugs and route. QuestionnaireResponse → the case fields its items name.
DocumentReference (text) → notes. Anything else is listed as not mapped, never dropped silently.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from priorauth.case.model import Case
from priorauth.case.provenance import Evidence, FhirElement
from priorauth.errors import FhirError, field_path
from priorauth.intake.fhir.document import FhirInput, Resource, claim_required, merge
from priorauth.intake.fhir.medication import read_medication
from priorauth.intake.fhir.questionnaire import read_answers
from priorauth.intake.fhir.terms import Systems, payer_directory, systems
from priorauth.knowledge.tables import Knowledge

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_FULL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Resources read for facts; others are listed as not mapped.
_READ = ("Claim", "Patient", "Coverage", "Organization", "MedicationRequest", "Medication", "QuestionnaireResponse",
         "DocumentReference", "Condition")


@dataclass(frozen=True)
class Unmapped:
    element: str  # `Observation/pain1` or a FHIRPath within a resource
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"element": self.element, "reason": self.reason}


@dataclass(frozen=True)
class ClaimItem:
    sequence: int | None
    codes: tuple[str, ...]
    governed: bool = False  # an intrathecal or epidural drug-delivery service: the policies decide it
    cancelled: bool = False  # a Claim Update removed it (infoCancelled): nothing to decide


@dataclass(frozen=True)
class FhirMapping:
    """The outcome of mapping one FHIR input. `case` is None when no policy here governs it (`not_applicable`
    says why: not a request, no pump service, a payer without policies)."""

    shape: str
    case: Case | None
    evidence: Evidence
    unmapped: tuple[Unmapped, ...]
    not_applicable: str | None = None
    claim: dict[str, Any] | None = None  # the Claim as received (the response points at it)
    items: tuple[ClaimItem, ...] = ()
    related: tuple[tuple[str, dict[str, Any]], ...] = ()  # (fullUrl, resource): the Claim's patient, insurer, provider

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"input": self.shape}
        if self.not_applicable:
            out["not_applicable"] = self.not_applicable
        if self.case is not None:
            out["case"] = self.case.model_dump(mode="json", exclude_defaults=True)
            paths = list(self.evidence.sources)
            out["sources"] = {path: [s.to_dict() for s in self.evidence.sources[path]] for path in paths
                              if not any(p.startswith(path + ".") for p in paths)}  # fields, not whole records
        out["unmapped"] = [u.to_dict() for u in self.unmapped]
        return out


@dataclass
class _Builder:
    inp: FhirInput
    knowledge: Knowledge
    terms: Systems
    doc: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, list[FhirElement]] = field(default_factory=dict)
    unmapped: list[Unmapped] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    used: set[str] = field(default_factory=set)  # roots of the resources facts were read from
    at: dict[str, str] = field(default_factory=dict)  # case path -> FHIRPath from the input's root
    payer_names: list[str] = field(default_factory=list)

    def put(self, path: str, value: Any, res: Resource, fhirpath: str, overwrite: bool = False) -> None:
        """Set a case field (`request.drugs[1].name`) and record its source."""
        node: Any = self.doc
        parts = re.findall(r"[^.\[\]]+|\[\d+\]", path)
        for k, part in enumerate(parts):
            if part.startswith("["):
                continue
            nxt = parts[k + 1] if k + 1 < len(parts) else None
            if nxt is None:
                if part in node and not overwrite:
                    return  # the first source of a value wins
                node[part] = value
            elif nxt.startswith("["):
                items, index = node.setdefault(part, []), int(nxt[1:-1])
                last = k + 2 == len(parts)
                while len(items) <= index:
                    items.append(None if last else {})
                if last:
                    items[index] = value
                else:
                    node = items[index]
            else:
                node = node.setdefault(part, {})
        self.sources.setdefault(path, []).append(FhirElement(res.type, res.id, fhirpath))
        self.at.setdefault(path, res.root + fhirpath[len(res.type):] if fhirpath.startswith(res.type) else res.root)
        self.used.add(res.root)

    def has(self, path: str) -> bool:
        node: Any = self.doc
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
        return True

    def skip(self, res: Resource, where: str, reason: str) -> None:
        self.unmapped.append(Unmapped(f"{res.label} {where}".rstrip(), reason))

    def resolve(self, ref: Any, wanted: str, res: Resource, where: str) -> Resource | None:
        """A Reference's target: inside the referring resource (`#id`, a contained resource) or in the Bundle."""
        local = ref.get("reference") if isinstance(ref, dict) else None
        if isinstance(local, str) and local.startswith("#"):
            for k, inner in enumerate(res.data.get("contained") or []):
                if isinstance(inner, dict) and inner.get("id") == local[1:] and inner.get("resourceType") == wanted:
                    return Resource(inner, f"{res.root}.contained[{k}]")
            self.skip(res, where, f"contained resource {local!r} is not a {wanted} of this {res.type}")
            return None
        target = self.inp.resolve(ref)
        if target is None:
            if isinstance(ref, dict) and ref.get("reference"):
                self.skip(res, where, f"reference {ref['reference']!r} is not in the Bundle")
            return None
        if target.type != wanted:
            self.skip(res, where, f"refers to a {target.type}, not a {wanted}")
            return None
        if target.root in self.inp.invalid:
            return None  # listed with its problems
        return target


def map_fhir(inp: FhirInput, knowledge: Knowledge, policy_payers: Mapping[str, str]) -> FhirMapping:
    """Map a read FHIR input (document.read_fhir) to a case. `policy_payers`: payer id -> payer name of the loaded
    policies. Raises FhirError when a request cannot become a case (every problem, each with its FHIRPath)."""
    b = _Builder(inp, knowledge, systems())
    for problems in inp.invalid.values():
        for where, message in problems:
            b.unmapped.append(Unmapped(where, f"not valid R4, not used: {message}"))
    if inp.kind != "request" or inp.claim is None:
        what = "a response" if inp.kind == "response" else "not a prior-authorization request"
        codes = _order_codes(inp)
        pump = [c for c in codes if knowledge.codes.procedure(c).valid]
        reason = (f"{inp.shape}: {what} (no PAS Claim); nothing to decide" if not pump else
                  f"{inp.shape}: orders {', '.join(pump)} are for drug delivery, but decisions are made on a PAS "
                  "Claim ($submit)")
        if codes and not pump:
            reason += f"; its services ({', '.join(codes)}) are not intrathecal or epidural drug delivery"
        return FhirMapping(inp.shape, None, Evidence(from_document=False), tuple(b.unmapped), reason)
    claim = inp.claim
    related = _related(inp, claim)
    required = claim_required(claim)
    items = _items(b, claim)
    codes = [c for item in items for c in item.codes]
    pump = [c for c in codes if knowledge.codes.procedure(c).valid]
    if not pump:
        b.unmapped += [Unmapped(where, f"not a conformant PAS Claim: {message}") for where, message in required]
        others = codes + _order_codes(inp, claim)
        listed = ", ".join(dict.fromkeys(others)) or "no procedure code"
        return FhirMapping(inp.shape, None, Evidence(from_document=False), tuple(b.unmapped),
                        f"no service of the Claim is intrathecal or epidural drug delivery ({listed})", claim.data,
                        tuple(items), related)
    _claim_facts(b, claim, items)
    for qr in inp.of_type("QuestionnaireResponse"):
        _answers(b, qr)
    _member(b, claim)
    payer = _payer(b, claim, policy_payers)
    _drugs(b)
    _request_kind(b, claim, items)
    _indication(b, claim)
    _notes(b)
    _others(b)
    if payer is None:
        name = repr(b.payer_names[0]) if b.payer_names else None
        return FhirMapping(inp.shape, None, Evidence(from_document=False), tuple(b.unmapped),
                        f"no policy here is the payer's: {name or 'the Claim names no payer'} is not a payer of the "
                        "loaded policies", claim.data, tuple(items), related)
    if required or b.problems:
        raise FhirError(merge(required, b.problems))
    case = _validate(b)
    evidence = Evidence(_with_records(b.sources), from_document=False)
    return FhirMapping(inp.shape, case, evidence, tuple(b.unmapped), None, claim.data, tuple(items), related)


def _related(inp: FhirInput, claim: Resource) -> tuple[tuple[str, dict[str, Any]], ...]:
    """The resources the response refers to as the Claim does: its patient, insurer and provider."""
    out = []
    for key in ("patient", "insurer", "provider"):
        target = inp.resolve(claim.data.get(key))
        if target is not None and target.root not in inp.invalid and all(r is not target.data for _, r in out):
            out.append((target.full_url or f"{target.type}/{target.id}", target.data))
    return tuple(out)


def mapping_of_case(case: Case, knowledge: Knowledge) -> FhirMapping:
    """A case file as if it had come as a Claim: one item per procedure code, the case id as the identifier (for a
    response to a request that was not sent as FHIR)."""
    items = tuple(ClaimItem(i + 1, (code,), knowledge.codes.procedure(code).valid)
                  for i, code in enumerate(case.request.procedure_codes)) or (ClaimItem(1, (), True),)
    claim = {"identifier": [{"system": "urn:priorauth:case", "value": case.id}]}
    return FhirMapping("priorauth case", case, Evidence(), (), None, claim, items)


# --- the Claim ----------------------------------------------------------------------------------------------------

def _items(b: _Builder, claim: Resource) -> list[ClaimItem]:
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


def _claim_facts(b: _Builder, claim: Resource, items: list[ClaimItem]) -> None:
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
    if isinstance(created, str) and _DATE.match(created):
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
        if isinstance(day, str) and _DATE.match(day):
            element = "servicedDate" if item.get("servicedDate") else "servicedPeriod.start"
            dates.append((day[:10], f"Claim.item[{k}].{element}"))
    for s, info in enumerate(c.get("supportingInfo") or []):
        code = ((info.get("category") or {}).get("coding") or [{}])[0].get("code")
        day = info.get("timingDate") or (info.get("timingPeriod") or {}).get("start")
        if not dates and code == "patientEvent" and isinstance(day, str) and _DATE.match(day):
            dates.append((day[:10], f"Claim.supportingInfo[{s}].timing[x]"))
    if dates:
        day, where = min(dates)
        b.put("request.service_date", day, claim, where)
    elif isinstance(created, str) and _DATE.match(created):
        b.put("request.service_date", created[:10], claim, "Claim.created")
        b.skip(claim, "Claim.item.serviced[x]", "no service date on the drug-delivery items: the submission date "
               "is used as the date of service")
    for k, dx in enumerate(c.get("diagnosis") or []):
        _diagnosis(b, claim, dx, f"Claim.diagnosis[{k}]")


def _diagnosis(b: _Builder, claim: Resource, dx: dict[str, Any], where: str) -> None:
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


def _order_codes(inp: FhirInput, claim: Resource | None = None) -> list[str]:
    """Codes of the orders (DeviceRequest, ServiceRequest) a Claim points at, or of every order in the input."""
    orders = [r for r in inp.resources if r.type in ("DeviceRequest", "ServiceRequest")]
    out = []
    for r in orders:
        concept = r.data.get("codeCodeableConcept") or r.data.get("code") or {}
        for coding in concept.get("coding") or [] if isinstance(concept, dict) else []:
            if isinstance(coding, dict) and isinstance(coding.get("code"), str):
                out.append(coding["code"].strip().upper())
    return list(dict.fromkeys(out))


# --- the member, the payer ----------------------------------------------------------------------------------------

def _member(b: _Builder, claim: Resource) -> None:
    patient = b.resolve(claim.data.get("patient"), "Patient", claim, "Claim.patient")
    if patient is None:
        return
    p = patient.data
    birth = p.get("birthDate")
    if isinstance(birth, str) and _FULL_DATE.match(birth):
        b.put("member.birth_date", birth, patient, "Patient.birthDate")
    elif birth is not None:
        b.skip(patient, "Patient.birthDate", f"{birth!r} is not a full date: the age cannot be computed")
    if p.get("gender") in ("female", "male", "other", "unknown"):
        b.put("member.sex", p["gender"], patient, "Patient.gender")
    addresses = [a for a in p.get("address") or [] if isinstance(a, dict)]
    home = sorted(range(len(addresses)), key=lambda i: addresses[i].get("use") != "home")
    for i in home:
        state = addresses[i].get("state")
        if isinstance(state, str) and re.fullmatch(r"[A-Za-z]{2}", state.strip()):
            b.put("member.state", state.strip().upper(), patient, f"Patient.address[{i}].state")
            break


def _payer(b: _Builder, claim: Resource, policy_payers: Mapping[str, str]) -> str | None:
    directory = payer_directory(policy_payers)
    insurance = [x for x in claim.data.get("insurance") or [] if isinstance(x, dict)]
    chosen = next((k for k, x in enumerate(insurance) if x.get("focal") is True), 0 if insurance else None)
    coverage = None
    if chosen is not None:
        coverage = b.resolve(insurance[chosen].get("coverage"), "Coverage", claim,
                             f"Claim.insurance[{chosen}].coverage")
    candidates: list[tuple[Resource, str, Any]] = []
    if coverage is not None:
        payors = coverage.data.get("payor") or []
        candidates += [(coverage, f"Coverage.payor[{k}]", ref) for k, ref in enumerate(payors)]
    candidates.append((claim, "Claim.insurer", claim.data.get("insurer")))
    names: list[str] = []
    for res, where, ref in candidates:
        if not isinstance(ref, dict):
            continue
        org = b.inp.resolve(ref)
        org = org if org is not None and org.type == "Organization" and org.root not in b.inp.invalid else None
        found_names = [ref["display"]] if isinstance(ref.get("display"), str) else []
        idents = [(i.get("system"), i.get("value")) for i in [ref.get("identifier") or {}] if isinstance(i, dict)]
        if org is not None:
            found_names = ([org.data["name"]] if isinstance(org.data.get("name"), str) else []) \
                + [a for a in org.data.get("alias") or [] if isinstance(a, str)] + found_names
            idents += [(i.get("system"), i.get("value")) for i in org.data.get("identifier") or []
                       if isinstance(i, dict)]
        names += found_names
        payer = directory.find(found_names, idents)
        if payer:
            src = org or res
            b.put("member.payer", payer, src, "Organization.name" if org else f"{where}.display")
            _line_of_business(b, coverage, payer)
            return payer
    b.payer_names = names
    return None


def _line_of_business(b: _Builder, coverage: Resource | None, payer: str) -> None:
    if coverage is not None:
        for j, coding in enumerate((coverage.data.get("type") or {}).get("coding") or []):
            if isinstance(coding, dict) and coding.get("system") in b.terms.sopt \
                    and isinstance(coding.get("code"), str):
                lob = b.terms.line_of_business(coding["code"])
                if lob:
                    b.put("member.line_of_business", lob, coverage, f"Coverage.type.coding[{j}].code")
                    return
                b.skip(coverage, f"Coverage.type.coding[{j}]", f"payment typology {coding['code']} is none of the "
                       "lines of business the policies name")
    if payer == "medicare" and coverage is not None:
        # CMS itself as the payer is original Medicare (a Medicare Advantage plan is its own payer)
        b.put("member.line_of_business", "medicare", coverage, "Coverage.payor")


# --- drugs, questionnaire answers, notes --------------------------------------------------------------------------

def _drugs(b: _Builder) -> None:
    drugs = b.doc.setdefault("request", {}).setdefault("drugs", [])
    if drugs:  # the questionnaire answered the drugs itself
        return
    for mr in b.inp.of_type("MedicationRequest"):
        if mr.data.get("status") in ("cancelled", "entered-in-error", "stopped"):
            b.skip(mr, "", f"status {mr.data['status']}: not a current prescription")
            continue
        medication, med = None, None
        if isinstance(mr.data.get("medicationReference"), dict):
            med = b.resolve(mr.data["medicationReference"], "Medication", mr, "MedicationRequest.medicationReference")
            medication = med.data if med else None
            if med:
                b.used.add(med.root)
        read = read_medication(mr.data, medication, b.knowledge.drugs, b.terms)
        for where, reason in read.skipped:
            b.skip(mr, where, reason)
        for drug, paths in read.drugs:
            i = len(drugs)
            for key, value in drug.items():
                src = med if med is not None and paths[key].startswith("Medication.") else mr
                b.put(f"request.drugs[{i}].{key}", value, src, paths[key])
        if read.route and not b.has("request.route"):
            b.put("request.route", read.route[0], mr, read.route[1])


def _answers(b: _Builder, qr: Resource) -> None:
    answers, skipped, problems = read_answers(qr.data, "QuestionnaireResponse")
    for a in answers:
        b.put(a.path, a.value, qr, a.fhirpath)
    for where, reason in skipped:
        b.skip(qr, where, reason)
    b.problems.extend((where.replace("QuestionnaireResponse", qr.root, 1), message) for where, message in problems)
    b.used.add(qr.root)


def _notes(b: _Builder) -> None:
    for doc in b.inp.of_type("DocumentReference"):
        for k, content in enumerate(doc.data.get("content") or []):
            att = content.get("attachment") if isinstance(content, dict) else None
            where = f"DocumentReference.content[{k}].attachment"
            if not isinstance(att, dict):
                continue
            if not str(att.get("contentType", "")).startswith("text/") or not isinstance(att.get("data"), str):
                b.skip(doc, where, f"{att.get('contentType') or 'no content type'}: only text attachments are read")
                continue
            try:
                text = base64.b64decode(att["data"], validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                b.problems.append((f"{doc.root}.content[{k}].attachment.data", "not base64-encoded UTF-8 text"))
                continue
            i = len(b.doc.setdefault("notes", []))
            b.put(f"notes[{i}].text", text, doc, f"{where}.data")
            day = doc.data.get("date")
            if isinstance(day, str) and _DATE.match(day):
                b.put(f"notes[{i}].date", day[:10], doc, "DocumentReference.date")
            kind = (doc.data.get("type") or {}).get("text") or next(
                (c.get("display") for c in (doc.data.get("type") or {}).get("coding") or [] if c.get("display")), None)
            if isinstance(kind, str):
                b.put(f"notes[{i}].kind", kind, doc, "DocumentReference.type")


def _others(b: _Builder) -> None:
    for r in b.inp.resources:
        if r.root in b.used or r.root in b.inp.invalid or r.type == "Claim":
            continue
        if r.type in ("Practitioner", "PractitionerRole", "Location", "Organization"):
            continue  # who and where: not facts the policies read
        b.skip(r, "", f"a {r.type} is not read by the mapping: its facts are not used")


# --- kind and indication ------------------------------------------------------------------------------------------

def _request_kind(b: _Builder, claim: Resource, items: list[ClaimItem]) -> None:
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


def _indication(b: _Builder, claim: Resource) -> None:
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


# --- the case -----------------------------------------------------------------------------------------------------

def _with_records(sources: dict[str, list[FhirElement]]) -> dict[str, tuple[FhirElement, ...]]:
    """Each record of a list (`clinical.treatments[1]`) also gets the sources of its fields: the engine cites a
    treatment as a whole."""
    out = {k: tuple(v) for k, v in sources.items()}
    for path, found in sources.items():
        for m in re.finditer(r"\[\d+\]", path):
            record = path[:m.end()]
            if record != path:
                merged = out.get(record, ())
                out[record] = merged + tuple(s for s in found if s not in merged)
    return out


def _validate(b: _Builder) -> Case:
    doc = {"format": "priorauth-case/1", **b.doc}
    if not doc.get("request", {}).get("drugs"):
        doc.get("request", {}).pop("drugs", None)
    try:
        return Case.model_validate_json(json.dumps(doc))
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            path = field_path(tuple(err["loc"]))
            probe, where = path, None
            while probe and where is None:  # the element itself, else the record it belongs to
                where = b.at.get(probe)
                cut = max(probe.rfind("."), probe.rfind("["))
                probe = probe[:cut] if cut > 0 else ""
            message = err["msg"][len("Value error, "):] if err["msg"].startswith("Value error, ") else err["msg"]
            problems.append((where or b.inp.claim.root, f"{path}: {message}"))
        raise FhirError(problems) from None
