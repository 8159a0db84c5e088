"""The member: birth date, sex and state from the Patient; the payer and line of business from the Coverage."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from priorauth.intake.fhir.document import Resource
from priorauth.intake.fhir.mapping import FULLDATE, Builder
from priorauth.intake.fhir.terms import payer_directory


def member(b: Builder, claim: Resource) -> None:
    patient = b.resolve(claim.data.get("patient"), "Patient", claim, "Claim.patient")
    if patient is None:
        return
    p = patient.data
    birth = p.get("birthDate")
    if isinstance(birth, str) and FULLDATE.match(birth):
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


def payer(b: Builder, claim: Resource, policy_payers: Mapping[str, str]) -> str | None:
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


def _line_of_business(b: Builder, coverage: Resource | None, payer: str) -> None:
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
