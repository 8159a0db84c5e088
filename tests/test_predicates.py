"""Each leaf predicate decides met, not met and unknown as case-format.md defines them."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from priorauth.case.model import Case
from priorauth.engine.facts import facts_for
from priorauth.engine.predicates import compile_test
from priorauth.knowledge import open_knowledge
from priorauth.policy.leaf_tests import parse_test

KNOWLEDGE = open_knowledge()

BASE = {
    "format": "priorauth-case/1", "id": "p1", "submitted": "2025-06-02",
    "member": {"birth_date": "1970-01-01"},
    "request": {"kind": "trial", "indication": "noncancer_pain", "service_date": "2025-06-20"},
}


def verdict(test: dict, clinical: dict | None = None, request: dict | None = None, as_of=None) -> str:
    doc = json.loads(json.dumps(BASE))
    doc["clinical"] = clinical or {}
    doc["request"].update(request or {})
    facts = facts_for(Case.model_validate_json(json.dumps(doc)), as_of)  # drug names as written
    predicate = compile_test(*parse_test(test), KNOWLEDGE)
    fast, detail, full = predicate(facts), predicate(facts, 1), predicate(facts, 2)
    assert fast == detail.verdict == full.verdict  # the fast and explaining paths never disagree
    assert detail.detail == full.detail and full.detail
    return fast


def test_fact_comparisons_and_undocumented():
    t = {"fact": "clinical.life_expectancy_months", "gte": 3}
    assert verdict(t, {"life_expectancy_months": 3}) == "met"
    assert verdict(t, {"life_expectancy_months": 2.9}) == "not_met"
    assert verdict(t) == "unknown"
    strict = {"fact": "clinical.trial_result.pain_reduction", "gt": 50}
    assert verdict(strict, {"trial_result": {"pain_before": 8, "pain_after": 4}}) == "not_met"
    assert verdict(strict, {"trial_result": {"pain_reduction_percent": 51}}) == "met"
    assert verdict({"fact": "clinical.substance_use", "ne": "active", "undocumented": "met"}) == "met"
    assert verdict({"fact": "clinical.pain_etiology", "present": True}, {"pain_etiology": "CRPS"}) == "met"
    assert verdict({"fact": "request.trial_observation_days", "between": [1, 2]}, None,
                   {"trial_observation_days": 3}) == "not_met"


def test_none_present_exclusion_vs_eliminated():
    excl = {"none_present": ["clinical.findings.coagulopathy"], "undocumented": "absent"}
    elim = {"none_present": ["clinical.findings.coagulopathy"], "undocumented": "unknown"}
    assert verdict(excl) == "met"
    assert verdict(elim) == "unknown"
    assert verdict(elim, {"findings": {"coagulopathy": False}}) == "met"
    assert verdict(excl, {"findings": {"coagulopathy": True}}) == "not_met"


OPIOIDS = {"treatment": {"types": ["systemic_opioids"], "schedule": "fixed", "min_days": 42,
                         "qualify_without_trial": ["contraindicated"]}}


@pytest.mark.parametrize("treatment,expected", [
    ({"start": "2025-01-01", "end": "2025-02-11", "schedule": "fixed", "outcome": "failed"}, "met"),  # 42 days
    ({"start": "2025-01-01", "end": "2025-02-10", "schedule": "fixed", "outcome": "failed"}, "unknown"),  # 41
    ({"start": "2025-01-01", "end": "2025-04-01", "schedule": "prn", "outcome": "failed"}, "unknown"),
    ({"start": "2025-01-01", "end": "2025-04-01", "schedule": "fixed", "outcome": "effective"}, "not_met"),
    ({"outcome": "contraindicated"}, "met"),
    ({"start": "2025-01-01", "schedule": "fixed", "outcome": "ongoing"}, "unknown"),
])
def test_treatment(treatment, expected):
    assert verdict(OPIOIDS, {"treatments": [{"type": "systemic_opioids", **treatment}]}) == expected


def test_treatment_absent_is_unknown():
    assert verdict(OPIOIDS) == "unknown"


ACTIVE = {"therapy_duration": {"types": ["physical_therapy", "home_exercise_program"], "min_months": 6,
                               "within_months": 12}}


def test_therapy_duration_window_and_union():
    # Submitted 2025-06-02: the window starts 2024-06-02; 183 days are needed.
    inside = [{"type": "physical_therapy", "start": "2024-07-01", "end": "2024-10-15", "outcome": "failed"},
              {"type": "home_exercise_program", "start": "2024-09-01", "end": "2025-01-15", "outcome": "failed"}]
    assert verdict(ACTIVE, {"treatments": inside}) == "met"
    old = [{"type": "physical_therapy", "start": "2023-01-01", "end": "2024-05-01", "outcome": "failed"}]
    assert verdict(ACTIVE, {"treatments": old}) == "unknown"
    short = [{"type": "physical_therapy", "start": "2025-01-01", "end": "2025-05-01", "outcome": "failed"}]
    assert verdict(ACTIVE, {"treatments": short}) == "unknown"
    worked = [{"type": "physical_therapy", "start": "2024-07-01", "end": "2025-05-01", "outcome": "effective"}]
    assert verdict(ACTIVE, {"treatments": worked}) == "not_met"
    straddling = [{"type": "physical_therapy", "start": "2024-01-01", "end": "2024-12-01", "outcome": "failed"}]
    assert verdict(ACTIVE, {"treatments": straddling}) == "met"  # 2024-06-02..2024-12-01 = 183 days


def test_therapy_duration_window_is_exactly_twelve_months():
    """Both sides of the window's first day (submitted 2025-06-02: 2024-06-02). 182 days inside the window
    plus one more day are exactly the 183 needed; a window a month longer or shorter changes the verdict."""
    inside = {"type": "physical_therapy", "start": "2024-06-03", "end": "2024-12-01", "outcome": "failed"}  # 182 d
    on_first_day = {"type": "home_exercise_program", "start": "2023-01-01", "end": "2024-06-02", "outcome": "failed"}
    day_before = {**on_first_day, "end": "2024-06-01"}
    assert verdict(ACTIVE, {"treatments": [inside, on_first_day]}) == "met"
    assert verdict(ACTIVE, {"treatments": [inside, day_before]}) == "unknown"


def test_an_effective_record_among_insufficient_ones_is_not_a_failure():
    """Not met only when every candidate record contradicts the criterion: one course that worked beside one
    too short to count leaves the criterion undocumented, not failed."""
    effective = {"type": "physical_therapy", "start": "2024-07-01", "end": "2025-05-01", "outcome": "effective"}
    short = {"type": "home_exercise_program", "start": "2025-01-01", "end": "2025-02-01", "outcome": "failed"}
    assert verdict(ACTIVE, {"treatments": [effective, short]}) == "unknown"
    assert verdict(ACTIVE, {"treatments": [effective]}) == "not_met"
    prn = {"type": "systemic_opioids", "start": "2025-01-01", "end": "2025-04-01", "schedule": "prn",
           "outcome": "failed"}
    worked = {"type": "systemic_opioids", "start": "2024-01-01", "end": "2024-04-01", "schedule": "fixed",
              "outcome": "effective"}
    assert verdict(OPIOIDS, {"treatments": [worked, prn]}) == "unknown"
    assert verdict(OPIOIDS, {"treatments": [worked]}) == "not_met"


def test_ongoing_therapy_counts_to_as_of():
    ongoing = [{"type": "physical_therapy", "start": "2024-12-01", "outcome": "ongoing"}]
    t = {"therapy_duration": {"types": ["physical_therapy"], "outcomes": ["ongoing"], "min_months": 6}}
    assert verdict(t, {"treatments": ongoing}) == "met"
    assert verdict(t, {"treatments": ongoing}, as_of=dt.date(2025, 5, 1)) == "unknown"


def test_evaluation():
    t = {"evaluation": {"type": "mental_health", "met": ["cleared"], "not_met": ["not_cleared"]}}
    assert verdict(t, {"evaluations": [{"type": "mental_health", "result": "cleared"}]}) == "met"
    assert verdict(t, {"evaluations": [{"type": "mental_health", "result": "not_cleared"}]}) == "not_met"
    assert verdict(t, {"evaluations": [{"type": "specialist", "result": "other_treatments_failed"}]}) == "unknown"


def test_elapsed_since_is_not_met_when_too_recent():
    t = {"elapsed_since": {"fact": "clinical.pain_onset", "min_months": 6}}
    assert verdict(t, {"pain_onset": "2024-12-02"}) == "met"
    assert verdict(t, {"pain_onset": "2025-02-02"}) == "not_met"  # 4 months
    assert verdict(t) == "unknown"


def test_drug_test_window():
    t = {"drug_test": {"within_months": 3}}
    assert verdict(t, {"drug_screens": [{"date": "2025-03-02", "result": "negative"}]}) == "met"
    assert verdict(t, {"drug_screens": [{"date": "2025-03-01", "result": "negative"}]}) == "unknown"
    assert verdict(t, {"drug_screens": [{"date": "2025-05-01", "result": "negative"},
                                        {"date": "2025-05-20", "result": "positive"}]}) == "not_met"


def test_drug_screens_after_the_as_of_date_do_not_count():
    """Looking back from the as-of date (submitted 2025-06-02): a screen dated later is not in the window."""
    t = {"drug_test": {"within_months": 3}}
    assert verdict(t, {"drug_screens": [{"date": "2025-06-02", "result": "negative"}]}) == "met"  # the day itself
    assert verdict(t, {"drug_screens": [{"date": "2025-06-03", "result": "negative"}]}) == "unknown"
    assert verdict(t, {"drug_screens": [{"date": "2025-05-01", "result": "negative"},
                                        {"date": "2025-06-10", "result": "positive"}]}) == "met"
    assert verdict(t, {"drug_screens": [{"date": "2025-05-01", "result": "negative"}]},
                   as_of=dt.date(2025, 4, 30)) == "unknown"


def test_drugs_allowed_or_compounded():
    t = {"drugs": {"fda_approved": True, "or_compounded": True}}
    assert verdict(t) == "unknown"
    assert verdict(t, None, {"drugs": [{"name": "morphine"}]}) == "met"
    assert verdict(t, None, {"drugs": [{"name": "hydromorphone", "compounded": False}]}) == "not_met"
    assert verdict(t, None, {"drugs": [{"name": "hydromorphone", "compounded": True}]}) == "met"
    assert verdict(t, None, {"drugs": [{"name": "snake oil", "compounded": True}]}) == "unknown"
    listed = {"drugs": {"allowed": ["morphine"]}}
    assert verdict(listed, None, {"drugs": [{"name": "morphine"}, {"name": "clonidine"}]}) == "not_met"


def test_drugs_fda_status_depends_on_route_and_indication():
    t = {"drugs": {"fda_approved": True}}
    clonidine = {"drugs": [{"name": "clonidine"}], "route": "epidural"}
    assert verdict(t, None, {**clonidine, "indication": "cancer_pain"}) == "met"  # Duraclon's labeling
    assert verdict(t, None, clonidine) == "not_met"  # non-cancer pain
    assert verdict(t, None, {"drugs": [{"name": "clonidine"}], "route": "intrathecal"}) == "not_met"
    assert verdict(t, None, {"drugs": [{"name": "baclofen"}], "indication": "spasticity"}) == "met"
    assert verdict(t, None, {"drugs": [{"name": "baclofen"}]}) == "not_met"


def test_drugs_type_and_dose_limits():
    t = {"drugs": {"suited": True, "within_limits": True}}
    def morphine(mg, conc=10, unit="mg/mL"):
        return {"drugs": [{"name": "morphine", "daily_dose": {"value": mg, "unit": "mg"},
                           "concentration": {"value": conc, "unit": unit}}]}
    assert verdict(t, None, morphine(15)) == "met"
    assert verdict(t, None, morphine(20)) == "not_met"  # Florida Blue's table: 15 mg/day
    assert verdict(t, None, morphine(10, 3.1, "%")) == "not_met"  # 31 mg/mL > 30 mg/mL
    assert verdict(t, None, {"drugs": [{"name": "morphine"}]}) == "unknown"  # dose not documented
    assert verdict(t, None, {"drugs": [{"name": "baclofen", "daily_dose": {"value": 100, "unit": "mcg"}}]}) \
        == "not_met"  # an antispasmodic for pain


@pytest.mark.parametrize("bad,message", [
    ({"fact": "clinical.pain_onsett", "present": True}, "did you mean clinical.pain_onset"),
    ({"fact": "clinical.pain_onset"}, "exactly one of"),
    ({"treatmnt": {"types": ["rest"]}}, "did you mean treatment"),
    ({"treatment": {"types": ["massage"]}}, "types"),
    ({"drug_test": {"within_months": 3}, "extra": 1}, "unexpected keys"),
])
def test_bad_tests_are_rejected_at_load(bad, message):
    with pytest.raises(ValueError) as exc:
        parse_test(bad)
    assert message in str(exc.value)


def test_drugs_include_a_class():
    t = {"drugs": {"includes_class": "opioid"}}
    assert verdict(t, None, {"drugs": [{"name": "morphine"}, {"name": "bupivacaine"}]}) == "met"
    assert verdict(t, None, {"drugs": [{"name": "ziconotide"}]}) == "not_met"
    assert verdict(t, None, {"drugs": [{"name": "ziconotide"}, {"name": "mystery"}]}) == "unknown"
    assert verdict(t) == "unknown"
    with pytest.raises(ValueError):
        parse_test({"drugs": {"includes_class": "opioid", "suited": True}})


def test_a_treatment_without_an_end_date_counts_one_day_unless_ongoing():
    """A course with a start and no end lasted, as documented, one day; an ongoing one runs to the as-of date
    (submitted 2025-06-02), and a course starting that very day has lasted one day so far."""
    t = {"treatment": {"types": ["physical_therapy"], "outcomes": ["failed", "ongoing"], "min_days": 2}}
    assert verdict(t, {"treatments": [{"type": "physical_therapy", "start": "2024-07-01", "outcome": "failed"}]}) \
        == "unknown"
    assert verdict(t, {"treatments": [{"type": "physical_therapy", "start": "2025-06-01", "outcome": "ongoing"}]}) \
        == "met"
    assert verdict(t, {"treatments": [{"type": "physical_therapy", "start": "2025-06-02", "outcome": "ongoing"}]}) \
        == "unknown"


def test_a_pain_score_barely_above_zero_does_not_overflow():
    """Found by the generated-code property test: 2e-313 before and 1 after made the reduction -infinity, and the
    trace's detail raised OverflowError. The computed reduction is floored where a documented one is."""
    from priorauth.case.model import TrialResult
    from priorauth.engine.predicates import _show

    reduction = TrialResult(pain_before=2.2250738585e-313, pain_after=1.0).reduction_percent()
    assert reduction == -10_000.0
    assert _show(float("-inf")) == "-inf"
