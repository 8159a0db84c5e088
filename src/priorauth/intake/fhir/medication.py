"""A MedicationRequest as the case's drugs: the drug by RxNorm ingredient or by name (generic, brand or salt),
the concentration from the product's strength, the daily dose from the dose and its timing, and the route.

An RxNorm display carries the strength ("morphine sulfate 25 MG/ML Injectable Solution"); a Medication resource
may carry it as ingredient.strength (a Ratio of mass to volume). A dose is daily when its timing says how often
(`frequency` per `period` `periodUnit`) or when it is a rate per day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from priorauth.intake.fhir.terms import Systems
from priorauth.knowledge.drugs import DrugTable

_STRENGTH = re.compile(r"(\d+(?:\.\d+)?)\s*(MG|MCG|UG)\s*/\s*ML\b", re.IGNORECASE)
_MASS = {"mg": "mg", "mcg": "mcg", "ug": "mcg", "µg": "mcg", "ucg": "mcg"}
_PER_DAY = {"d": 1.0, "h": 24.0, "min": 1440.0, "wk": 1 / 7, "(24.h)": 1.0, "24.h": 1.0, "day": 1.0}


@dataclass
class DrugRead:
    """What one MedicationRequest says: the drugs (case JSON, with the FHIRPath each value came from), the route,
    and what could not be read."""

    drugs: list[tuple[dict[str, Any], dict[str, str]]] = field(default_factory=list)  # (drug, field -> fhirpath)
    route: tuple[str, str] | None = None  # (route, fhirpath)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def read_medication(mr: dict[str, Any], medication: dict[str, Any] | None, table: DrugTable,
                    terms: Systems) -> DrugRead:
    out = DrugRead()
    concept, where = (mr.get("medicationCodeableConcept"), "MedicationRequest.medicationCodeableConcept")
    if not isinstance(concept, dict) and medication is not None:
        concept, where = medication.get("code"), "Medication.code"
    names, texts, name_at = _names(concept, where, table, terms)
    if not names:
        label = texts[0] if texts else None
        if label is None:
            out.skipped.append(("MedicationRequest.medication[x]", "no medication named"))
            return out
        names = [label.casefold().strip()]  # unknown to the table: kept, so the review shows it
    strength = _strength(texts, medication) if len(names) == 1 else None
    dose = _daily_dose(mr)
    for name in names:
        drug: dict[str, Any] = {"name": name}
        paths = {"name": name_at}
        if len(names) > 1:
            drug["compounded"] = True  # several drugs in one product: a compounded admixture
            paths["compounded"] = name_at
        if strength:
            drug["concentration"], paths["concentration"] = strength
        if dose and len(names) == 1:
            drug["daily_dose"], paths["daily_dose"] = dose
        elif dose:
            out.skipped.append((dose[1], "one dose for a product of several drugs: not split between them"))
        out.drugs.append((drug, paths))
    out.route = _route(mr, terms)
    return out


def _names(concept: Any, where: str, table: DrugTable, terms: Systems) -> tuple[list[str], list[str], str]:
    """(generic names, the concept's texts, the FHIRPath the names came from)."""
    if not isinstance(concept, dict):
        return [], [], where
    texts = []
    for i, coding in enumerate(concept.get("coding") or []):
        if not isinstance(coding, dict):
            continue
        if coding.get("system") in terms.rxnorm and isinstance(coding.get("code"), str):
            name = table.by_rxnorm(coding["code"])
            if name:
                return [name], _texts(concept), f"{where}.coding[{i}].code"
        if isinstance(coding.get("display"), str):
            texts.append(coding["display"])
            found = table.named_in(coding["display"])
            if found:
                return found, _texts(concept), f"{where}.coding[{i}].display"
    if isinstance(concept.get("text"), str):
        texts.insert(0, concept["text"])
        found = table.named_in(concept["text"])
        if found:
            return found, texts, f"{where}.text"
    return [], texts, where


def _texts(concept: dict[str, Any]) -> list[str]:
    codings = [c for c in concept.get("coding") or [] if isinstance(c, dict)]
    out = [c["display"] for c in codings if isinstance(c.get("display"), str)]
    return out + ([concept["text"]] if isinstance(concept.get("text"), str) else [])


def _strength(texts: list[str], medication: dict[str, Any] | None) -> tuple[dict[str, Any], str] | None:
    for ingredient_i, ingredient in enumerate((medication or {}).get("ingredient") or []):
        ratio = ingredient.get("strength") if isinstance(ingredient, dict) else None
        num, den = (ratio or {}).get("numerator") or {}, (ratio or {}).get("denominator") or {}
        unit = _MASS.get(str(num.get("code") or num.get("unit") or "").casefold())
        if unit and str(den.get("code") or den.get("unit") or "").casefold() == "ml" \
                and _number(num.get("value")) and _number(den.get("value")):
            value = num["value"] / den["value"]
            return {"value": value, "unit": f"{unit}/mL"}, f"Medication.ingredient[{ingredient_i}].strength"
    for text in texts:
        m = _STRENGTH.search(text)
        if m:
            unit = _MASS[m.group(2).casefold()]
            return {"value": float(m.group(1)), "unit": f"{unit}/mL"}, "MedicationRequest.medication[x] (strength)"
    return None


def _daily_dose(mr: dict[str, Any]) -> tuple[dict[str, Any], str] | None:
    for i, dosage in enumerate(mr.get("dosageInstruction") or []):
        if not isinstance(dosage, dict):
            continue
        for j, dr in enumerate(dosage.get("doseAndRate") or []):
            where = f"MedicationRequest.dosageInstruction[{i}].doseAndRate[{j}]"
            if not isinstance(dr, dict):
                continue
            rate = dr.get("rateQuantity")
            if isinstance(rate, dict) and _number(rate.get("value")):
                unit = str(rate.get("code") or rate.get("unit") or "")
                mass, _, per = unit.partition("/")
                if _MASS.get(mass.casefold()) and per in _PER_DAY:
                    return ({"value": rate["value"] * _PER_DAY[per], "unit": _MASS[mass.casefold()]},
                            f"{where}.rateQuantity")
            dose = dr.get("doseQuantity")
            if isinstance(dose, dict) and _number(dose.get("value")):
                unit = _MASS.get(str(dose.get("code") or dose.get("unit") or "").casefold())
                per_day = _times_per_day(dosage.get("timing"))
                if unit and per_day is not None:
                    return ({"value": dose["value"] * per_day, "unit": unit},
                            f"{where}.doseQuantity")
    return None


def _times_per_day(timing: Any) -> float | None:
    repeat = timing.get("repeat") if isinstance(timing, dict) else None
    if not isinstance(repeat, dict):
        return None
    freq, period, unit = repeat.get("frequency", 1), repeat.get("period"), repeat.get("periodUnit")
    if not (_number(freq) and _number(period) and period > 0 and unit in _PER_DAY):
        return None
    return freq / period * _PER_DAY[unit]


def _route(mr: dict[str, Any], terms: Systems) -> tuple[str, str] | None:
    for i, dosage in enumerate(mr.get("dosageInstruction") or []):
        route = dosage.get("route") if isinstance(dosage, dict) else None
        if not isinstance(route, dict):
            continue
        for j, coding in enumerate(route.get("coding") or []):
            if isinstance(coding, dict) and terms.route_of(coding):
                return terms.route_of(coding), f"MedicationRequest.dosageInstruction[{i}].route.coding[{j}]"
        text = str(route.get("text") or "").casefold()
        for name in ("intrathecal", "epidural"):
            if name in text:
                return name, f"MedicationRequest.dosageInstruction[{i}].route.text"
    return None


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
