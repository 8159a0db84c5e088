"""The same clinical concept as each policy reads it: a cross-policy view for the people who maintain the policies.

Several policies ask for the same thing in their own words: a trial of systemic opioids, a mental-health
evaluation that "clears" the member, the trial's pain relief, failed oral baclofen. This module finds, in every
policy's criteria, the leaves that read each concept and states each reading in the same terms (which treatment
types count, which schedule and length, which threshold), so that a difference is visible and either fixed or
documented as that text's own reading (in the policy's NOTES.md), and which criteria apply a concept of the
shared library (policy/library.yaml) as it is or override it with a reason. Pure: it reads validated policies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from priorauth.policy.leaf_tests import DurationSpec, EvaluationSpec, FactSpec, TreatmentSpec
from priorauth.policy.model import Node, Policy

OPIOIDS = {"systemic_opioids", "transdermal_opioids"}


@dataclass(frozen=True)
class Reading:
    concept: str
    policy: str
    criterion: str
    section: str
    reading: str
    quote: str
    library: str = ""  # "uses NAME" or "overrides NAME: reason" (the shared concept library), else ""


def _treatment_reading(spec: TreatmentSpec | DurationSpec) -> str:
    parts = ["transdermal counted" if "transdermal_opioids" in spec.types else "transdermal not counted"]
    if isinstance(spec, TreatmentSpec):
        if spec.schedule:
            parts.append(f"{spec.schedule} schedule")
        if spec.min_days is not None:
            parts.append(f"at least {spec.min_days} days")
        if spec.min_months is not None:
            parts.append(f"at least {spec.min_months:g} months")
        if spec.qualify_without_trial:
            parts.append("or " + "/".join(spec.qualify_without_trial))
    else:
        parts.append(f"at least {spec.min_months:g} months in total")
    if spec.within_months:
        parts.append(f"within {spec.within_months} months")
    others = sorted(set(spec.types) - OPIOIDS)
    if others:
        parts.append(f"with {len(others)} other treatment type{'s' if len(others) > 1 else ''}")
    return "; ".join(parts)


def _systemic_opioids(node: Node) -> str | None:
    kind, spec = node.spec
    if kind in ("treatment", "therapy_duration") and OPIOIDS & set(spec.types):
        return _treatment_reading(spec)
    return None


def _mental_health(node: Node) -> str | None:
    kind, spec = node.spec
    if kind == "evaluation" and isinstance(spec, EvaluationSpec) and spec.type == "mental_health":
        # one result (`cleared`) answers each text's own question: the quote says which
        reading = f"{', '.join(spec.met)} answers: “{node.quote}”"
        if spec.not_met:
            reading += f"; not met by {', '.join(spec.not_met)}"
        return reading + (f"; within {spec.within_months} months" if spec.within_months else "")
    return None


def _fact_reading(path: str) -> Callable[[Node], str | None]:
    def read(node: Node) -> str | None:
        kind, spec = node.spec
        if kind != "fact" or not isinstance(spec, FactSpec) or spec.fact != path:
            return None
        for op, symbol in (("gt", ">"), ("gte", "≥"), ("lt", "<"), ("lte", "≤")):
            if getattr(spec, op) is not None:
                return f"{symbol} {getattr(spec, op):g}"
        for op in ("eq", "ne", "in_", "not_in", "between"):
            if getattr(spec, op) is not None:
                return f"{op.rstrip('_')} {getattr(spec, op)}"
        return "documented"
    return read


def _oral_baclofen(node: Node) -> str | None:
    kind, spec = node.spec
    if kind == "fact" and spec.fact == "clinical.spasticity.oral_response":
        return _fact_reading(spec.fact)(node) + " (documented response)"
    if kind in ("treatment", "therapy_duration") and "oral_baclofen" in spec.types:
        reading = "oral baclofen course " + ", ".join(spec.outcomes)
        minimum = getattr(spec, "min_days", None)
        return reading + (f", at least {minimum} days" if minimum else "")
    return None


# concept -> how to recognise a leaf reading it and state its reading
CONCEPTS: dict[str, Callable[[Node], str | None]] = {
    "systemic-opioids-tried": _systemic_opioids,
    "mental-health-evaluation": _mental_health,
    "trial-pain-relief": _fact_reading("clinical.trial_result.pain_reduction"),
    "life-expectancy": _fact_reading("clinical.life_expectancy_months"),
    "oral-baclofen-failed": _oral_baclofen,
}


def readings(policies: list[Policy], only: str | None = None) -> Iterator[Reading]:
    """Every leaf of every policy that reads a concept, concept by concept, in the policies' order."""
    for concept, read in CONCEPTS.items():
        if only is not None and concept != only:
            continue
        for policy in policies:
            for node in policy.criteria.walk():
                if node.test is None:
                    continue
                reading = read(node)
                if reading is not None:
                    used = "" if node.uses is None else f"overrides {node.uses}: {node.override}" \
                        if node.override else f"uses {node.uses}"
                    yield Reading(concept, policy.id, node.id, node.section, reading, node.quote, used)


def differing(found: list[Reading]) -> set[str]:
    """The concepts that policies read in more than one way."""
    by_concept: dict[str, set[str]] = {}
    for r in found:
        by_concept.setdefault(r.concept, set()).add(r.reading)
    return {c for c, seen in by_concept.items() if len(seen) > 1}
