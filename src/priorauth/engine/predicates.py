"""Leaf tests compiled into predicates: pure functions of the case's facts and the knowledge given at compile.

A compiled predicate is `run(facts, explain=0)`: the verdict alone on the fast path; with explain=DETAIL
an Outcome with a one-line explanation; with explain=FULL also the facts read (path -> value, for the
trace). Every level gives the same verdict. The tests' parameters are validated by the policy format
(policy/leaf_tests.py); drug tests read the drug table of the `Knowledge` the policy set was compiled with.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any, NamedTuple

from priorauth.case.dates import add_months, covered_days, months_from, months_to_days
from priorauth.case.model import Drug, Treatment
from priorauth.case.paths import accessor
from priorauth.engine.facts import Facts
from priorauth.knowledge.drugs import DrugTable
from priorauth.knowledge.tables import Knowledge
from priorauth.policy.leaf_tests import (
    DrugsSpec,
    DrugTestSpec,
    DurationSpec,
    ElapsedSpec,
    EvaluationSpec,
    FactSpec,
    NonePresentSpec,
    Spec,
    TreatmentSpec,
)
from priorauth.vocab import MET, NOT_MET, UNKNOWN, Verdict

DETAIL, FULL = 1, 2

class Outcome(NamedTuple):
    """A leaf's explained verdict: the facts it read (path -> value) and a one-line detail. A tuple, because
    every applied leaf of every determination makes one."""

    verdict: Verdict
    facts: dict[str, Any]
    detail: str


# run(facts) -> verdict; run(facts, DETAIL or FULL) -> Outcome
Predicate = Callable[..., Any]


def compile_test(kind: str, spec: Spec, knowledge: Knowledge) -> Predicate:
    if kind == "drugs":
        return _compile_drugs(spec, knowledge.drugs)
    return _COMPILERS[kind](spec)


def _compile_fact(spec: FactSpec) -> Predicate:
    path = spec.fact
    get = accessor(path)
    missing: Verdict = {"unknown": UNKNOWN, "met": MET, "not_met": NOT_MET}[spec.undocumented]
    if spec.present:
        def check(v: Any) -> bool:
            return v not in ("", ())
        label = "documented"
    elif spec.eq is not None:
        want = spec.eq
        def check(v: Any) -> bool:
            return v == want
        label = f"= {_show(want)}"
    elif spec.ne is not None:
        avoid = spec.ne
        def check(v: Any) -> bool:
            return v != avoid
        label = f"≠ {_show(avoid)}"
    elif spec.in_ is not None:
        allowed = tuple(spec.in_)
        def check(v: Any) -> bool:
            return v in allowed
        label = "one of " + ", ".join(map(_show, allowed))
    elif spec.not_in is not None:
        banned = tuple(spec.not_in)
        def check(v: Any) -> bool:
            return v not in banned
        label = "none of " + ", ".join(map(_show, banned))
    elif spec.between is not None:
        low, high = spec.between
        def check(v: Any) -> bool:
            return low <= v <= high
        label = f"between {low:g} and {high:g}"
    else:
        op, bound = next((o, getattr(spec, o)) for o in ("gte", "gt", "lte", "lt") if getattr(spec, o) is not None)
        symbol = {"gte": "≥", "gt": ">", "lte": "≤", "lt": "<"}[op]
        cmp = {"gte": float.__ge__, "gt": float.__gt__, "lte": float.__le__, "lt": float.__lt__}[op]
        def check(v: Any) -> bool:
            return cmp(float(v), bound)
        label = f"{symbol} {bound:g}"

    def run(facts: Facts, explain: int = 0):
        value = get(facts.case)
        if value is None:
            return Outcome(missing, {path: None}, f"{path} not documented") if explain else missing
        verdict = MET if check(value) else NOT_MET
        if not explain:
            return verdict
        return Outcome(verdict, {path: value}, fact_detail(path, value, verdict, label))

    run.parts = FactParts(missing, label)  # what generated code (engine/codegen.py) inlines
    return run


class FactParts(NamedTuple):
    missing: Verdict  # the verdict of an undocumented fact
    label: str  # the comparison as the detail shows it


def fact_detail(path: str, value: Any, verdict: Verdict, label: str) -> str:
    """`clinical.surgery_indicated = false` when met by equality (saying `(= false)` again is noise), the
    comparison beside the value otherwise, and what was required when it is not met."""
    shown = _show(value)
    if verdict == MET:
        return f"{path} = {shown}" if label == f"= {shown}" else f"{path} = {shown} ({label})"
    return f"{path} = {shown} (required: {label})"


def _compile_none_present(spec: NonePresentSpec) -> Predicate:
    paths = tuple(spec.none_present)
    getters = tuple(accessor(p) for p in paths)
    absent_if_missing = spec.undocumented == "absent"

    def run(facts: Facts, explain: int = 0):
        values = [g(facts.case) for g in getters]
        if True in values:
            verdict = NOT_MET
        elif None in values and not absent_if_missing:
            verdict = UNKNOWN
        else:
            verdict = MET
        if not explain:
            return verdict
        return none_present_outcome(verdict, paths, values, absent_if_missing)

    run.parts = NonePresentParts(paths, absent_if_missing)  # what generated code (engine/codegen.py) inlines
    return run


class NonePresentParts(NamedTuple):
    paths: tuple[str, ...]
    absent_if_missing: bool


def none_present_outcome(verdict: Verdict, paths: tuple[str, ...], values, absent_if_missing: bool) -> Outcome:
    used = dict(zip(paths, values, strict=True))
    present = [_leaf(p) for p, v in used.items() if v is True]
    missing = [_leaf(p) for p, v in used.items() if v is None]
    if present:
        detail = "documented present: " + ", ".join(present)
    elif missing and not absent_if_missing:
        detail = "not documented as absent: " + ", ".join(missing)
    elif missing:
        detail = "none documented present (undocumented counts as absent here)"
    else:
        detail = "all documented absent"
    return Outcome(verdict, used, detail)


def _evidence_verdict(satisfied: bool, candidates: int, contradicted: int) -> Verdict:
    """Met when the evidence qualifies; not met only when every candidate record contradicts it."""
    if satisfied:
        return MET
    if candidates and contradicted == candidates:
        return NOT_MET
    return UNKNOWN


def treatment_interval(t: Treatment, as_of: dt.date) -> tuple[dt.date, dt.date] | None:
    if t.start is None:
        return None
    end = t.end or (as_of if t.outcome == "ongoing" else t.start)
    return (t.start, min(end, as_of)) if t.start <= as_of else None


def _compile_treatment(spec: TreatmentSpec) -> Predicate:
    types = frozenset(spec.types)
    outcomes = frozenset(spec.outcomes)
    free = frozenset(spec.qualify_without_trial)
    contradicting = frozenset(spec.contradicted_by)
    # A minimum in months is counted in calendar months from the course's first day (6 months from 1 September
    # run to 28 February); in days, as written.
    min_months = spec.min_months
    min_days = spec.min_days
    has_minimum = min_days is not None or min_months is not None

    def shortfall(t: Treatment, facts: Facts, window_start: dt.date | None) -> str | None:
        """Why a candidate treatment does not qualify, or None when it does."""
        if t.outcome in free:
            return None
        if t.outcome not in outcomes:
            return f"{t.type}: outcome {t.outcome or 'not documented'}"
        if spec.schedule and t.schedule != spec.schedule:
            return f"{t.type}: schedule {t.schedule or 'not documented'}, {spec.schedule} required"
        interval = treatment_interval(t, facts.as_of) if (window_start or has_minimum) else None
        if window_start is not None and (interval is None or interval[1] < window_start):
            return f"{t.type}: not within the past {spec.within_months} months"
        if has_minimum:
            days = (interval[1] - interval[0]).days + 1 if interval else 0
            need = min_days if min_days is not None else months_from(interval[0] if interval else facts.as_of,
                                                                     min_months)
            if days < need:
                unit = f" ({min_months:g} months from the first day)" if min_days is None else ""
                return f"{t.type}: {days} days documented, {need} required{unit}"
        return None

    def run(facts: Facts, explain: int = 0):
        window_start = add_months(facts.as_of, -spec.within_months) if spec.within_months else None
        candidates = contradicted = 0
        met = None  # index of the first qualifying treatment
        for i, t in enumerate(facts.case.clinical.treatments):
            if t.type not in types:
                continue
            candidates += 1
            if t.outcome in contradicting:
                contradicted += 1
            elif shortfall(t, facts, window_start) is None:
                met = i
                break
        return finish(facts, window_start, met, candidates, contradicted, explain)

    def finish(facts: Facts, window_start: dt.date | None, met: int | None, candidates: int, contradicted: int,
               explain: int = 0):
        """The verdict (and with `explain` its Outcome) from what the pass over the treatments counted."""
        verdict = _evidence_verdict(met is not None, candidates, contradicted)
        if not explain:
            return verdict
        treatments = facts.case.clinical.treatments
        shown = facts.shown_treatments
        used = dict(shown[i] for i, t in enumerate(treatments) if t.type in types) if explain == FULL else {}
        if met is not None:
            detail = shown[met][1]
        elif verdict == NOT_MET:
            detail = "documented as " + ", ".join(sorted(contradicting))
        elif not candidates:
            detail = "no " + " / ".join(sorted(types)) + " documented"
        else:
            reasons = [shortfall(t, facts, window_start) for t in treatments
                       if t.type in types and t.outcome not in contradicting]
            detail = "; ".join(r for r in reasons if r) or "no qualifying treatment documented"
        return Outcome(verdict, used, detail)

    run.parts = TreatmentParts(types, contradicting, spec.within_months, shortfall, finish)
    return run


class TreatmentParts(NamedTuple):
    """What generated code needs to count a treatment test inside its one pass over the treatments."""

    types: frozenset[str]
    contradicting: frozenset[str]
    within_months: int | None
    shortfall: Callable[..., str | None]  # (treatment, facts, window start) -> why it does not qualify, or None
    finish: Callable[..., Any]  # (facts, window start, met, candidates, contradicted, explain) -> verdict/Outcome


def _compile_duration(spec: DurationSpec) -> Predicate:
    types = frozenset(spec.types)
    outcomes = frozenset(spec.outcomes)
    contradicting = frozenset(spec.contradicted_by)

    def run(facts: Facts, explain: int = 0):
        intervals = []
        counted = []
        candidates = contradicted = 0
        window_start = add_months(facts.as_of, -spec.within_months) if spec.within_months else None
        for i, t in enumerate(facts.case.clinical.treatments):
            if t.type not in types:
                continue
            candidates += 1
            if t.outcome in contradicting:
                contradicted += 1
                continue
            if t.outcome not in outcomes:
                continue
            interval = treatment_interval(t, facts.as_of)
            if interval is None:
                continue
            start, end = interval
            if window_start is not None:
                if end < window_start:
                    continue
                start = max(start, window_start)
            intervals.append((start, end))
            counted.append(i)
        return finish(facts, window_start, intervals, counted, candidates, contradicted, explain)

    def finish(facts: Facts, window_start: dt.date | None, intervals: list, counted: list[int], candidates: int,
               contradicted: int, explain: int = 0):
        """The verdict (and with `explain` its Outcome) from the intervals the pass over the treatments kept."""
        days = covered_days(intervals)
        # N calendar months counted from the first day counted (the window's first day at the earliest)
        first = min(start for start, _ in intervals) if intervals else \
            (window_start or add_months(facts.as_of, -int(spec.min_months)))
        need = months_from(first, spec.min_months)
        verdict = _evidence_verdict(days >= need, candidates, contradicted)
        if not explain:
            return verdict
        used = dict(facts.shown_treatments[i] for i in counted) if explain == FULL else {}
        if verdict == NOT_MET:
            return Outcome(verdict, used, "documented as " + ", ".join(sorted(contradicting)))
        where = f" within the past {spec.within_months} months" if spec.within_months else ""
        return Outcome(verdict, used, f"{days} days of qualifying therapy{where}; "
                                      f"{need} days ({spec.min_months:g} months from {first}) required")

    run.parts = DurationParts(types, outcomes, contradicting, spec.within_months, finish)
    return run


class DurationParts(NamedTuple):
    """What generated code needs to collect a duration test's intervals inside its one pass over the treatments."""

    types: frozenset[str]
    outcomes: frozenset[str]
    contradicting: frozenset[str]
    within_months: int | None
    finish: Callable[..., Any]  # (facts, window start, intervals, counted, candidates, contradicted, explain)


def _compile_evaluation(spec: EvaluationSpec) -> Predicate:
    good = frozenset(spec.met)
    bad = frozenset(spec.not_met)
    specialties = frozenset(spec.specialties) if spec.specialties else None

    kind = spec.type.replace("_", "-")

    def matching(facts: Facts) -> list[int]:
        window_start = add_months(facts.as_of, -spec.within_months) if spec.within_months else None
        found = []
        for i, e in enumerate(facts.case.clinical.evaluations):
            if e.type != spec.type or (specialties is not None and e.specialty not in specialties):
                continue
            if window_start is not None and (e.date is None or e.date < window_start):
                continue
            found.append(i)
        return found

    def run(facts: Facts, explain: int = 0):
        evaluations = facts.case.clinical.evaluations
        matches = matching(facts) if evaluations else []
        results = [evaluations[i].result for i in matches]
        # The latest evaluation with a qualifying or disqualifying result decides: a later "not cleared"
        # undoes an earlier clearance, and a later clearance an earlier refusal. Undated evaluations count
        # as older than dated ones, and among equals the record's order stands.
        decisive = [(evaluations[i].date or dt.date.min, n, r)
                    for n, (i, r) in enumerate(zip(matches, results, strict=True)) if r in good or r in bad]
        last = max(decisive)[2] if decisive else None
        verdict = MET if last in good else NOT_MET if last is not None else UNKNOWN
        if not explain:
            return verdict
        used = {f"clinical.evaluations[{i}]": " ".join(str(x) for x in (e.type, e.specialty, e.date, e.result) if x)
                for i, e in ((i, evaluations[i]) for i in matches)} if explain == FULL else {}
        if verdict == UNKNOWN:
            return Outcome(verdict, used, f"no qualifying {kind} evaluation documented")
        return Outcome(verdict, used, f"{kind} evaluation: {last} (the latest with a result that decides)"
                       if len(decisive) > 1 else f"{kind} evaluation: {last}")

    return run


def _compile_elapsed(spec: ElapsedSpec) -> Predicate:
    path = spec.fact
    get = accessor(path)

    def cutoff_for(as_of: dt.date) -> dt.date:
        if spec.min_months == int(spec.min_months):
            return add_months(as_of, -int(spec.min_months))
        days = dt.timedelta(days=months_to_days(spec.min_months))
        return as_of - days if as_of - dt.date.min >= days else dt.date.min

    def run(facts: Facts, explain: int = 0):
        since = get(facts.case)
        if since is None:
            return Outcome(UNKNOWN, {path: None}, f"{path} not documented") if explain else UNKNOWN
        cutoff = cutoff_for(facts.as_of)
        verdict = MET if since <= cutoff else NOT_MET
        if not explain:
            return verdict
        return Outcome(verdict, {path: since},
                       f"{path} = {since}; on or before {cutoff} needed for {spec.min_months:g} months")

    run.cutoff_for = cutoff_for  # what generated code (engine/codegen.py) inlines
    return run


def _compile_drug_test(spec: DrugTestSpec) -> Predicate:
    def run(facts: Facts, explain: int = 0):
        start = add_months(facts.as_of, -spec.within_months)
        screens = facts.case.clinical.drug_screens
        recent = [s for s in screens if start <= s.date <= facts.as_of]
        if any(s.result == "positive" for s in recent):
            verdict = NOT_MET
        elif recent:
            verdict = MET
        else:
            verdict = UNKNOWN
        if not explain:
            return verdict
        used = {f"clinical.drug_screens[{i}]": f"{s.date} {s.result}"
                for i, s in enumerate(screens)} if explain == FULL else {}
        if verdict == NOT_MET:
            detail = f"positive drug screen within the last {spec.within_months} months"
        elif verdict == MET:
            detail = f"negative drug screen on {max(s.date for s in recent)}"
        else:
            detail = f"no drug screen between {start} and {facts.as_of}"
        return Outcome(verdict, used, detail)

    return run


def _drug_check(spec: DrugsSpec, table: DrugTable, d: Drug, route: str, indication: str) -> tuple[Verdict, str]:
    """One drug against the spec: met, not met (with why) or unknown (with what is missing)."""
    if spec.allowed is not None and d.name not in spec.allowed:
        return NOT_MET, f"{d.name} is not in the accepted list"
    info = table.drugs.get(d.name)
    needs_table = spec.fda_approved or spec.suited or spec.within_limits
    if needs_table and info is None:
        return UNKNOWN, f"{d.name} is not in the drug table"
    if info is None:
        return MET, f"{d.name} accepted"
    if spec.fda_approved and not info.fda_approved_for(route, indication):
        if not (spec.or_compounded and d.compounded):
            return NOT_MET, f"{d.name} is not FDA-approved for {route} use for {indication.replace('_', ' ')}" + (
                "" if not spec.or_compounded else " and is not compounded")
    if spec.suited and not info.suited_for(indication):
        return NOT_MET, f"{d.name} is not an intrathecal agent for {indication.replace('_', ' ')}"
    if spec.dose_documented and d.daily_dose is None:
        return UNKNOWN, f"no daily dose documented for {d.name}"
    if spec.within_limits:
        if d.daily_dose is None:
            return UNKNOWN, f"no daily dose documented for {d.name}"
        dose = info.over_daily_dose(d)
        if dose is not None:  # in the maximum's unit too, when written in another ("2000 mcg/day (2 mg)")
            shown = "" if d.daily_dose.unit == "mg" else f" ({dose:g} mg)"
            return NOT_MET, (f"{d.name} {d.daily_dose.value:g} {d.daily_dose.unit}/day{shown} exceeds "
                             f"{info.max_daily_dose_mg:g} mg")
        if info.over_concentration(d) is not None:
            return NOT_MET, (f"{d.name} {d.concentration.value:g} {d.concentration.unit} exceeds "
                             f"{info.max_concentration_mg_per_ml:g} mg/mL")
    return MET, f"{d.name} accepted"


def _includes_class(drug_class: str, table: DrugTable, drugs: list[Drug], explain: int):
    known = table.drugs
    classes = [known[d.name].drug_class if d.name in known else None for d in drugs]
    if drug_class in classes:
        verdict = MET
    elif None in classes:
        verdict = UNKNOWN  # a drug the table does not know might be one
    else:
        verdict = NOT_MET
    if not explain:
        return verdict
    shown = ", ".join(f"{d.name} ({c or 'not in the drug table'})" for d, c in zip(drugs, classes, strict=True))
    return Outcome(verdict, {"request.drug_names": tuple(d.name for d in drugs)},
                   f"{'includes' if verdict == MET else 'no known'} {drug_class}: {shown}")


def _compile_drugs(spec: DrugsSpec, table: DrugTable) -> Predicate:
    def run(facts: Facts, explain: int = 0):
        r = facts.case.request
        if not r.drugs:
            return Outcome(UNKNOWN, {"request.drug_names": None}, "no drug documented in the request") \
                if explain else UNKNOWN
        if spec.includes_class is not None:
            return _includes_class(spec.includes_class, table, r.drugs, explain)
        checks = [_drug_check(spec, table, d, r.route or "intrathecal", r.indication) for d in r.drugs]
        verdicts = [v for v, _ in checks]
        verdict = NOT_MET if NOT_MET in verdicts else UNKNOWN if UNKNOWN in verdicts else MET
        if not explain:
            return verdict
        shown = [why for v, why in checks if v == verdict] if verdict != MET else [why for _, why in checks]
        return Outcome(verdict, {"request.drug_names": tuple(d.name for d in r.drugs)}, "; ".join(shown))

    return run


_COMPILERS: dict[str, Callable[[Any], Predicate]] = {
    "fact": _compile_fact,
    "none_present": _compile_none_present,
    "treatment": _compile_treatment,
    "therapy_duration": _compile_duration,
    "evaluation": _compile_evaluation,
    "elapsed_since": _compile_elapsed,
    "drug_test": _compile_drug_test,
}


def _leaf(path: str) -> str:
    return path.rsplit(".", 1)[-1]


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ", ".join(map(str, value))
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)
