"""A PAS request as a priorauth case, every fact with the FHIR element it came from, and what was not mapped.

Claim: identifier → case id, `created` → submitted (the submitter's local date, as written), the items' CPT and
HCPCS codes (under any of their URIs) → procedure codes and the request kind, `item.serviced[x]` → service
date, `diagnosis` (codes or Conditions) → ICD-10-CM codes and the indication. Patient → birth date, sex, state.
Coverage → payer (payers.yaml and each loaded policy's `payer_name`) and line of business (Source of Payment
Typology). MedicationRequest → drugs and route. QuestionnaireResponse → the case fields its items name.
DocumentReference (text) → notes. Observation pain scores → the trial's before and after scores. Anything else
is listed as not mapped, never dropped silently.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from priorauth.case.model import Case
from priorauth.case.provenance import Evidence, FhirElement
from priorauth.errors import FhirError, field_path
from priorauth.intake.fhir.claim import claim_facts, indication, items_of, order_codes, request_kind
from priorauth.intake.fhir.document import FhirInput, Resource, claim_required, merge
from priorauth.intake.fhir.mapping import DATE, Builder, ClaimItem, FhirMapping, Unmapped, mapping_of_case
from priorauth.intake.fhir.medication import read_medication
from priorauth.intake.fhir.member import member, payer
from priorauth.intake.fhir.observation import read_pain_scores
from priorauth.intake.fhir.questionnaire import read_answers
from priorauth.intake.fhir.terms import systems
from priorauth.knowledge.tables import Knowledge

__all__ = ["ClaimItem", "FhirMapping", "Unmapped", "map_fhir", "mapping_of_case"]

def map_fhir(inp: FhirInput, knowledge: Knowledge, policy_payers: Mapping[str, str]) -> FhirMapping:
    """Map a read FHIR input (document.read_fhir) to a case. `policy_payers`: payer id -> payer name of the loaded
    policies. Raises FhirError when a request cannot become a case (every problem, each with its FHIRPath)."""
    b = Builder(inp, knowledge, systems())
    for problems in inp.invalid.values():
        for where, message in problems:
            b.unmapped.append(Unmapped(where, f"not valid R4, not used: {message}"))
    if inp.kind != "request" or inp.claim is None:
        what = "a response" if inp.kind == "response" else "not a prior-authorization request"
        codes = order_codes(inp)
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
    items = items_of(b, claim)
    codes = [c for item in items for c in item.codes]
    pump = [c for c in codes if knowledge.codes.procedure(c).valid]
    if not pump:
        b.unmapped += [Unmapped(where, f"not a conformant PAS Claim: {message}") for where, message in required]
        others = codes + order_codes(inp, claim)
        listed = ", ".join(dict.fromkeys(others)) or "no procedure code"
        return FhirMapping(inp.shape, None, Evidence(from_document=False), tuple(b.unmapped),
                        f"no service of the Claim is intrathecal or epidural drug delivery ({listed})", claim.data,
                        tuple(items), related)
    claim_facts(b, claim, items)
    for qr in inp.of_type("QuestionnaireResponse"):
        _answers(b, qr)
    member(b, claim)
    found = payer(b, claim, policy_payers)
    _drugs(b)
    read_pain_scores(b)
    request_kind(b, claim, items)
    indication(b, claim)
    _notes(b)
    _others(b)
    if found is None:
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


# --- drugs, questionnaire answers, notes --------------------------------------------------------------------------

def _drugs(b: Builder) -> None:
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


def _answers(b: Builder, qr: Resource) -> None:
    answers, skipped, problems = read_answers(qr.data, "QuestionnaireResponse")
    for a in answers:
        b.put(a.path, a.value, qr, a.fhirpath)
    for where, reason in skipped:
        b.skip(qr, where, reason)
    b.problems.extend((where.replace("QuestionnaireResponse", qr.root, 1), message) for where, message in problems)
    b.used.add(qr.root)


def _notes(b: Builder) -> None:
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
            if isinstance(day, str) and DATE.match(day):
                b.put(f"notes[{i}].date", day[:10], doc, "DocumentReference.date")
            kind = (doc.data.get("type") or {}).get("text") or next(
                (c.get("display") for c in (doc.data.get("type") or {}).get("coding") or [] if c.get("display")), None)
            if isinstance(kind, str):
                b.put(f"notes[{i}].kind", kind, doc, "DocumentReference.type")


def _others(b: Builder) -> None:
    for r in b.inp.resources:
        if r.root in b.used or r.root in b.inp.invalid or r.type == "Claim":
            continue
        if r.type in ("Practitioner", "PractitionerRole", "Location", "Organization"):
            continue  # who and where: not facts the policies read
        b.skip(r, "", f"a {r.type} is not read by the mapping: its facts are not used")


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


def _validate(b: Builder) -> Case:
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
