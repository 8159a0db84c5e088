"""What each leaf predicate tells the reviewer, and the edges of what it counts: tests written for the mutants of
engine/predicates.py that survived `make mutation` (bench/mutation/README.md).

A predicate's one-line detail is the reviewer's finding: it must name the facts that decided (the days counted and
required, the window, the schedule required, the drug and its limit, the screen's date). These tests check that
those facts are there and right, not the wording around them.
"""

from __future__ import annotations

import datetime as dt
import json

from priorauth.case.model import Case
from priorauth.engine.facts import facts_for
from priorauth.engine.predicates import FULL, compile_test
from priorauth.knowledge import open_knowledge
from priorauth.policy.leaf_tests import parse_test

KNOWLEDGE = open_knowledge()

BASE = {
    "format": "priorauth-case/1", "id": "m1", "submitted": "2025-06-02",
    "member": {"birth_date": "1970-01-01"},
    "request": {"kind": "trial", "indication": "noncancer_pain", "service_date": "2025-06-20"},
}


def explained(test: dict, clinical: dict | None = None, request: dict | None = None, as_of=None, level=FULL):
    doc = json.loads(json.dumps(BASE))
    doc["clinical"] = clinical or {}
    doc["request"].update(request or {})
    facts = facts_for(Case.model_validate_json(json.dumps(doc)), as_of)  # drug names as written
    predicate = compile_test(*parse_test(test), KNOWLEDGE)
    out = predicate(facts, level)
    assert predicate(facts) == out.verdict
    return out


def pt(start=None, end=None, outcome="failed", type_="physical_therapy", **more):
    t = {"type": type_, "outcome": outcome, **more}
    if start:
        t["start"] = start
    if end:
        t["end"] = end
    return t


# --- none_present -------------------------------------------------------------------------------------------

FINDINGS = ["clinical.findings.coagulopathy", "clinical.findings.active_infection"]


def test_none_present_names_the_findings_present_or_undocumented_by_their_last_segment():
    strict = {"none_present": FINDINGS, "undocumented": "unknown"}
    loose = {"none_present": FINDINGS, "undocumented": "absent"}
    out = explained(strict, {"findings": {"coagulopathy": False, "active_infection": True}})
    assert (out.verdict, out.detail) == ("not_met", "documented present: active_infection")
    assert out.facts == {"clinical.findings.coagulopathy": False, "clinical.findings.active_infection": True}
    out = explained(strict, {"findings": {"coagulopathy": False}})
    assert (out.verdict, out.detail) == ("unknown", "not documented as absent: active_infection")
    out = explained(strict)
    assert out.detail == "not documented as absent: coagulopathy, active_infection"
    out = explained(loose, {"findings": {"coagulopathy": False}})
    assert out.verdict == "met" and "undocumented counts as absent" in out.detail
    out = explained(strict, {"findings": {"coagulopathy": False, "active_infection": False}})
    assert (out.verdict, out.detail) == ("met", "all documented absent")
    both = explained(loose, {"findings": {"coagulopathy": True, "active_infection": True}})
    assert both.detail == "documented present: coagulopathy, active_infection"


# --- treatment ------------------------------------------------------------------------------------------------

def test_a_treatment_shortfall_names_what_is_missing():
    t = {"treatment": {"types": ["systemic_opioids"], "schedule": "fixed", "min_days": 42}}
    out = explained(t, {"treatments": [pt("2025-01-01", "2025-01-10", type_="systemic_opioids", schedule="fixed")]})
    assert out.verdict == "unknown" and "10 days documented" in out.detail and "42 required" in out.detail
    out = explained(t, {"treatments": [pt("2025-01-01", "2025-04-10", type_="systemic_opioids", schedule="prn")]})
    assert "schedule prn" in out.detail and "fixed required" in out.detail
    out = explained(t, {"treatments": [pt("2025-01-01", "2025-04-10", type_="systemic_opioids")]})
    assert "schedule not documented" in out.detail
    out = explained(t, {"treatments": [pt("2025-01-01", "2025-04-10", outcome=None, type_="systemic_opioids",
                                          schedule="fixed")]})
    assert "outcome not documented" in out.detail
    out = explained(t, {"treatments": [pt("2025-01-01", "2025-04-10", outcome="ongoing", type_="systemic_opioids",
                                          schedule="fixed")]})
    assert "outcome ongoing" in out.detail


def test_a_treatment_without_a_schedule_requirement_takes_any_schedule():
    t = {"treatment": {"types": ["physical_therapy"], "min_days": 10}}
    out = explained(t, {"treatments": [pt("2025-01-01", "2025-03-01", schedule="prn")]})
    assert out.verdict == "met"
    out = explained(t, {"treatments": [pt("2025-01-01", "2025-03-01")]})
    assert out.verdict == "met"


def test_a_treatment_window_names_its_months_and_a_recent_course_qualifies():
    t = {"treatment": {"types": ["physical_therapy"], "within_months": 12}}
    old = pt("2023-01-01", "2024-06-01")  # window starts 2024-06-02
    out = explained(t, {"treatments": [old]})
    assert out.verdict == "unknown" and "not within the past 12 months" in out.detail
    assert explained(t, {"treatments": [pt("2023-01-01", "2024-06-02")]}).verdict == "met"
    # a course that starts after the as-of date is not within the look-back either
    later = explained(t, {"treatments": [pt("2025-06-03", "2025-07-01")]})
    assert later.verdict == "unknown" and "not within the past 12 months" in later.detail
    # without a window or a minimum length, dates are not needed at all
    assert explained({"treatment": {"types": ["physical_therapy"]}}, {"treatments": [pt()]}).verdict == "met"


def test_a_treatment_min_months_is_converted_to_days():
    t = {"treatment": {"types": ["physical_therapy"], "min_months": 1}}  # 30.4 days -> 31 days needed
    out = explained(t, {"treatments": [pt("2025-01-01", "2025-01-30")]})  # 30 days
    assert out.verdict == "unknown" and "30 days documented" in out.detail
    assert explained(t, {"treatments": [pt("2025-01-01", "2025-01-31")]}).verdict == "met"


def test_a_course_that_starts_after_the_as_of_date_counts_no_days():
    t = {"treatment": {"types": ["physical_therapy"], "outcomes": ["ongoing"], "min_days": 1}}
    out = explained(t, {"treatments": [pt("2025-06-03", outcome="ongoing")]})
    assert out.verdict == "unknown" and "0 days documented" in out.detail
    on_the_day = explained(t, {"treatments": [pt("2025-06-02", outcome="ongoing")]})
    assert on_the_day.verdict == "met"


def test_a_course_longer_than_the_as_of_date_is_counted_only_to_it():
    t = {"treatment": {"types": ["physical_therapy"], "min_days": 40}}
    out = explained(t, {"treatments": [pt("2025-05-01", "2025-12-31")]})
    assert out.verdict == "unknown" and "33 days documented" in out.detail  # 2025-05-01..2025-06-02


def test_the_met_detail_is_the_qualifying_treatment_and_full_shows_only_candidates():
    t = {"treatment": {"types": ["physical_therapy"], "min_days": 10}}
    short = pt("2025-01-01", "2025-01-05")
    good = pt("2025-02-01", "2025-03-01")
    other = pt("2025-01-01", "2025-03-01", type_="systemic_opioids")
    out = explained(t, {"treatments": [other, short, good]})
    assert out.verdict == "met"
    assert out.detail == "physical_therapy 2025-02-01..2025-03-01 failed"
    assert out.facts == {"clinical.treatments[1]": "physical_therapy 2025-01-01..2025-01-05 failed",
                         "clinical.treatments[2]": "physical_therapy 2025-02-01..2025-03-01 failed"}
    assert explained(t, {"treatments": [other, short, good]}, level=1).facts == {}


def test_a_contradicted_course_is_skipped_and_the_next_can_qualify():
    t = {"treatment": {"types": ["physical_therapy"], "min_days": 10}}
    worked = pt("2024-01-01", "2024-03-01", outcome="effective")
    failed = pt("2025-01-01", "2025-03-01")
    assert explained(t, {"treatments": [worked, failed]}).verdict == "met"
    out = explained(t, {"treatments": [worked]})
    assert (out.verdict, out.detail) == ("not_met", "documented as effective")
    two = {"treatment": {"types": ["physical_therapy"], "contradicted_by": ["effective", "ongoing"]}}
    out = explained(two, {"treatments": [worked, pt("2025-01-01", outcome="ongoing")]})
    assert (out.verdict, out.detail) == ("not_met", "documented as effective, ongoing")


def test_no_candidate_names_every_type_looked_for():
    t = {"treatment": {"types": ["physical_therapy", "chiropractic"]}}
    out = explained(t, {"treatments": [pt(type_="systemic_opioids")]})
    assert (out.verdict, out.detail) == ("unknown", "no chiropractic / physical_therapy documented")


def test_every_shortfall_is_listed_but_not_the_contradicted_course():
    t = {"treatment": {"types": ["physical_therapy"], "min_days": 100}}
    out = explained(t, {"treatments": [pt("2025-01-01", "2025-01-10"), pt("2024-01-01", "2024-06-01", "effective"),
                                       pt("2025-02-01", "2025-02-20")]})
    assert out.verdict == "unknown"
    assert out.detail == "physical_therapy: 10 days documented, 100 required; " \
                         "physical_therapy: 20 days documented, 100 required"


def test_qualify_without_trial_needs_no_dates_schedule_or_length():
    t = {"treatment": {"types": ["systemic_opioids"], "schedule": "fixed", "min_days": 42, "within_months": 12,
                       "qualify_without_trial": ["contraindicated"]}}
    assert explained(t, {"treatments": [pt(outcome="contraindicated", type_="systemic_opioids")]}).verdict == "met"


# --- therapy_duration ----------------------------------------------------------------------------------------

def test_duration_detail_counts_days_in_the_window_and_the_months_required():
    t = {"therapy_duration": {"types": ["physical_therapy"], "min_months": 6, "within_months": 12}}
    out = explained(t, {"treatments": [pt("2024-01-01", "2024-07-01")]})  # only 2024-06-02..07-01 counts
    assert out.verdict == "unknown"
    assert out.detail.startswith("30 days of qualifying therapy within the past 12 months;")
    assert "183 days (6 months from 2024-06-02) required" in out.detail
    assert out.facts == {"clinical.treatments[0]": "physical_therapy 2024-01-01..2024-07-01 failed"}
    free = {"therapy_duration": {"types": ["physical_therapy"], "min_months": 1.5}}
    out = explained(free, {"treatments": [pt("2024-01-01", "2024-01-10")]})
    assert "10 days of qualifying therapy;" in out.detail and "47 days (1.5 months from 2024-01-01)" in out.detail


def test_months_of_therapy_are_calendar_months_from_the_first_day():
    """Six calendar months from 1 September end on 28 February (181 days); from 1 March on 31 August (184):
    both exactly six months, and a day fewer is short. Months are counted as the look-back windows count them."""
    t = {"therapy_duration": {"types": ["physical_therapy"], "min_months": 6}}
    assert explained(t, {"treatments": [pt("2024-09-01", "2025-02-28")]}).verdict == "met"
    assert explained(t, {"treatments": [pt("2024-09-01", "2025-02-27")]}).verdict == "unknown"
    assert explained(t, {"treatments": [pt("2024-03-01", "2024-08-31")]}).verdict == "met"
    assert explained(t, {"treatments": [pt("2024-03-01", "2024-08-30")]}).verdict == "unknown"
    one = {"treatment": {"types": ["physical_therapy"], "min_months": 6}}
    assert explained(one, {"treatments": [pt("2024-09-01", "2025-02-28")]}).verdict == "met"
    out = explained(one, {"treatments": [pt("2024-09-01", "2025-02-27")]})
    assert out.verdict == "unknown" and "180 days documented, 181 required (6 months from the first day)" in out.detail


def test_duration_counts_only_listed_outcomes_and_types_and_shows_only_what_it_counted():
    t = {"therapy_duration": {"types": ["physical_therapy"], "min_months": 1}}
    records = [pt("2025-01-01", "2025-03-01", outcome="ongoing"), pt("2025-01-01", "2025-03-01", type_="chiropractic"),
               pt("2025-04-01", "2025-04-10"), pt("2025-06-03", "2025-08-01")]
    out = explained(t, {"treatments": records})
    assert out.verdict == "unknown" and out.detail.startswith("10 days")
    assert list(out.facts) == ["clinical.treatments[2]"]
    assert explained(t, {"treatments": records}, level=1).facts == {}


def test_duration_a_contradicted_record_among_failures_still_counts_the_failures():
    t = {"therapy_duration": {"types": ["physical_therapy"], "min_months": 1}}
    worked = pt("2024-01-01", "2024-06-01", outcome="effective")
    out = explained(t, {"treatments": [worked, pt("2025-01-01", "2025-03-01")]})
    assert out.verdict == "met"
    out = explained(t, {"treatments": [worked]})
    assert (out.verdict, out.detail) == ("not_met", "documented as effective")


# --- evaluation -----------------------------------------------------------------------------------------------

MH = {"evaluation": {"type": "mental_health", "met": ["cleared"], "not_met": ["not_cleared"]}}


def ev(result, type_="mental_health", **more):
    return {"type": type_, "result": result, **more}


def test_evaluation_the_latest_decisive_result_decides():
    """A later evaluation that does not clear the member undoes an earlier clearance, and the other way round;
    an evaluation without a result decides nothing; undated ones count as older than dated ones."""
    assert explained(MH, {"evaluations": [ev("not_cleared"), ev("cleared")]}).verdict == "met"
    assert explained(MH, {"evaluations": [ev("cleared"), ev("not_cleared")]}).verdict == "not_met"
    assert explained(MH, {"evaluations": [ev("cleared", date="2025-05-01"), ev("not_cleared", date="2025-04-01")]}
                     ).verdict == "met"
    assert explained(MH, {"evaluations": [ev("not_cleared", date="2025-01-01"), ev("cleared")]}).verdict == "not_met"
    assert explained(MH, {"evaluations": [ev("not_cleared"), {"type": "mental_health"}]}).verdict == "not_met"
    assert explained(MH, {"evaluations": [{"type": "mental_health"}]}).verdict == "unknown"
    assert explained(MH, {"evaluations": [ev("other_options_remain")]}).verdict == "unknown"
    assert explained(MH, {"evaluations": [ev("cleared"), ev("other_options_remain")]}).verdict == "met"


def test_evaluation_detail_names_the_kind_and_the_deciding_result():
    out = explained(MH, {"evaluations": [ev("not_cleared"), ev("cleared", date="2025-05-01")]})
    assert out.detail == "mental-health evaluation: cleared (the latest with a result that decides)"
    assert out.facts == {"clinical.evaluations[0]": "mental_health not_cleared",
                         "clinical.evaluations[1]": "mental_health 2025-05-01 cleared"}
    out = explained(MH, {"evaluations": [ev("not_cleared")]})
    assert out.detail == "mental-health evaluation: not_cleared"
    out = explained(MH, {"evaluations": [ev("cleared", type_="specialist")]})
    assert (out.verdict, out.detail) == ("unknown", "no qualifying mental-health evaluation documented")
    assert out.facts == {}
    assert explained(MH, {"evaluations": [ev("cleared")]}, level=1).facts == {}


def test_evaluation_by_specialty_and_within_a_window():
    t = {"evaluation": {"type": "specialist", "specialties": ["neurology"], "met": ["other_treatments_failed"],
                        "within_months": 6}}
    good = ev("other_treatments_failed", "specialist", specialty="neurology", date="2025-01-01")
    assert explained(t, {"evaluations": [good]}).verdict == "met"
    assert explained(t, {"evaluations": [{**good, "specialty": "orthopedic_surgery"}]}).verdict == "unknown"
    assert explained(t, {"evaluations": [{**good, "date": "2024-12-01"}]}).verdict == "unknown"  # window 12-02
    assert explained(t, {"evaluations": [{**good, "date": "2024-12-02"}]}).verdict == "met"
    undated = dict(good)
    del undated["date"]
    assert explained(t, {"evaluations": [undated]}).verdict == "unknown"
    anyone = {"evaluation": {"type": "specialist", "met": ["other_treatments_failed"]}}
    assert explained(anyone, {"evaluations": [undated]}).verdict == "met"


# --- elapsed_since ------------------------------------------------------------------------------------------------

def test_elapsed_since_detail_and_fractional_months():
    t = {"elapsed_since": {"fact": "clinical.pain_onset", "min_months": 6}}
    out = explained(t, {"pain_onset": "2024-12-02"})
    assert out.verdict == "met"
    assert "2024-12-02" in out.detail and "on or before 2024-12-02" in out.detail and "6 months" in out.detail
    assert out.facts == {"clinical.pain_onset": dt.date(2024, 12, 2)}
    assert explained(t, {"pain_onset": "2024-12-03"}).verdict == "not_met"
    missing = explained(t)
    assert (missing.verdict, missing.detail, missing.facts) == \
        ("unknown", "clinical.pain_onset not documented", {"clinical.pain_onset": None})
    half = {"elapsed_since": {"fact": "clinical.pain_onset", "min_months": 0.5}}  # 15.2 -> 16 days
    assert explained(half, {"pain_onset": "2025-05-17"}).verdict == "met"  # 16 days before 2025-06-02
    out = explained(half, {"pain_onset": "2025-05-18"})
    assert out.verdict == "not_met" and "on or before 2025-05-17" in out.detail and "0.5 months" in out.detail


# --- drug_test ------------------------------------------------------------------------------------------------------

def test_drug_test_details_name_the_window_and_the_latest_negative():
    t = {"drug_test": {"within_months": 3}}
    out = explained(t, {"drug_screens": [{"date": "2025-04-01", "result": "negative"},
                                         {"date": "2025-05-01", "result": "negative"},
                                         {"date": "2024-01-01", "result": "positive"}]})
    assert (out.verdict, out.detail) == ("met", "negative drug screen on 2025-05-01")
    assert out.facts == {"clinical.drug_screens[0]": "2025-04-01 negative",
                         "clinical.drug_screens[1]": "2025-05-01 negative",
                         "clinical.drug_screens[2]": "2024-01-01 positive"}
    out = explained(t, {"drug_screens": [{"date": "2025-05-01", "result": "positive"}]})
    assert (out.verdict, out.detail) == ("not_met", "positive drug screen within the last 3 months")
    out = explained(t)
    assert (out.verdict, out.detail) == ("unknown", "no drug screen between 2025-03-02 and 2025-06-02")
    assert explained(t, {"drug_screens": [{"date": "2025-05-01", "result": "negative"}]}, level=1).facts == {}


# --- drugs ----------------------------------------------------------------------------------------------------------

def drugs(*names, **request):
    return {"drugs": [n if isinstance(n, dict) else {"name": n} for n in names], **request}


def test_drug_details_name_the_drug_and_what_it_fails():
    fda = {"drugs": {"fda_approved": True}}
    out = explained(fda, None, drugs("clonidine", route="epidural"))
    assert out.verdict == "not_met"
    assert out.detail == "clonidine is not FDA-approved for epidural use for noncancer pain"
    out = explained({"drugs": {"fda_approved": True, "or_compounded": True}}, None, drugs("hydromorphone"))
    assert out.detail == \
        "hydromorphone is not FDA-approved for intrathecal use for noncancer pain and is not compounded"
    out = explained({"drugs": {"suited": True}}, None, drugs("baclofen"))
    assert out.detail == "baclofen is not an intrathecal agent for noncancer pain"
    out = explained({"drugs": {"suited": True}}, None, drugs("nothing known"))
    assert (out.verdict, out.detail) == ("unknown", "nothing known is not in the drug table")
    out = explained({"drugs": {"allowed": ["morphine"]}}, None, drugs("clonidine"))
    assert out.detail == "clonidine is not in the accepted list"
    assert out.facts == {"request.drug_names": ("clonidine",)}
    out = explained({"drugs": {"allowed": ["nothing known"]}}, None, drugs("nothing known"))
    assert (out.verdict, out.detail) == ("met", "nothing known accepted")


def test_the_route_defaults_to_intrathecal():
    fda = {"drugs": {"fda_approved": True}}
    assert explained(fda, None, drugs("ziconotide")).verdict == "met"
    assert explained(fda, None, drugs("ziconotide", route="epidural")).verdict == "not_met"


def test_dose_limit_details_show_the_dose_and_the_maximum():
    t = {"drugs": {"within_limits": True}}
    dose = {"name": "morphine", "daily_dose": {"value": 20, "unit": "mg"}}
    out = explained(t, None, drugs(dose))
    assert (out.verdict, out.detail) == ("not_met", "morphine 20 mg/day exceeds 15 mg")
    conc = {"name": "morphine", "daily_dose": {"value": 5, "unit": "mg"},
            "concentration": {"value": 40, "unit": "mg/mL"}}
    out = explained(t, None, drugs(conc))
    assert (out.verdict, out.detail) == ("not_met", "morphine 40 mg/mL exceeds 30 mg/mL")
    out = explained(t, None, drugs("morphine"))
    assert (out.verdict, out.detail) == ("unknown", "no daily dose documented for morphine")


def test_several_drugs_show_the_deciding_ones():
    t = {"drugs": {"suited": True, "within_limits": True}}
    ok = {"name": "morphine", "daily_dose": {"value": 5, "unit": "mg"}}
    too_much = {"name": "bupivacaine", "daily_dose": {"value": 40, "unit": "mg"}}
    out = explained(t, None, drugs(ok, too_much, "clonidine"))
    assert (out.verdict, out.detail) == ("not_met", "bupivacaine 40 mg/day exceeds 30 mg")
    out = explained(t, None, drugs(ok, "clonidine"))
    assert (out.verdict, out.detail) == ("unknown", "no daily dose documented for clonidine")
    out = explained(t, None, drugs(ok, {"name": "clonidine", "daily_dose": {"value": 0.5, "unit": "mg"}}))
    assert (out.verdict, out.detail) == ("met", "morphine accepted; clonidine accepted")
    assert out.facts == {"request.drug_names": ("morphine", "clonidine")}
    out = explained(t)
    assert (out.verdict, out.detail, out.facts) == \
        ("unknown", "no drug documented in the request", {"request.drug_names": None})


def test_includes_class_detail_lists_each_drug_with_its_class():
    t = {"drugs": {"includes_class": "opioid"}}
    out = explained(t, None, drugs("bupivacaine", "morphine"))
    assert (out.verdict, out.detail) == ("met", "includes opioid: bupivacaine (local_anesthetic), morphine (opioid)")
    assert out.facts == {"request.drug_names": ("bupivacaine", "morphine")}
    out = explained(t, None, drugs("ziconotide", "mystery"))
    assert (out.verdict, out.detail) == \
        ("unknown", "no known opioid: ziconotide (calcium_channel_blocker), mystery (not in the drug table)")
    # a known opioid decides even beside a drug the table does not know
    assert explained(t, None, drugs("mystery", "fentanyl")).verdict == "met"
    out = explained(t, None, drugs("ziconotide"))
    assert (out.verdict, out.detail) == ("not_met", "no known opioid: ziconotide (calcium_channel_blocker)")


# --- fact ---------------------------------------------------------------------------------------------------------
# (the policy-case tests compile the shipped policies at import, so mutmut does not tie them to these functions)

def fact(test: dict, clinical: dict | None = None, request: dict | None = None):
    out = explained(test, clinical, request)
    return out.verdict, out.detail


def test_every_fact_comparison_on_both_sides_with_its_finding():
    life = "clinical.life_expectancy_months"
    assert fact({"fact": life, "gte": 3}, {"life_expectancy_months": 3}) == \
        ("met", "clinical.life_expectancy_months = 3 (≥ 3)")
    assert fact({"fact": life, "gt": 3}, {"life_expectancy_months": 3}) == \
        ("not_met", "clinical.life_expectancy_months = 3 (required: > 3)")
    assert fact({"fact": life, "lte": 3}, {"life_expectancy_months": 2.5}) == \
        ("met", "clinical.life_expectancy_months = 2.5 (≤ 3)")
    assert fact({"fact": life, "lte": 3}, {"life_expectancy_months": 3.5})[0] == "not_met"
    assert fact({"fact": life, "lt": 3}, {"life_expectancy_months": 3}) == \
        ("not_met", "clinical.life_expectancy_months = 3 (required: < 3)")
    assert fact({"fact": life, "lt": 3}, {"life_expectancy_months": 2})[0] == "met"
    days = "request.trial_observation_days"
    for value, expected in ((0.5, "not_met"), (1, "met"), (2, "met"), (2.5, "not_met")):
        assert fact({"fact": days, "between": [1, 2]}, None, {"trial_observation_days": value})[0] == expected, value
    assert fact({"fact": days, "between": [1, 2]}, None, {"trial_observation_days": 1})[1] == \
        "request.trial_observation_days = 1 (between 1 and 2)"


def test_equality_and_membership_facts_with_their_findings():
    use = "clinical.substance_use"
    assert fact({"fact": use, "eq": "none"}, {"substance_use": "none"}) == \
        ("met", "clinical.substance_use = none")
    assert fact({"fact": use, "eq": "none"}, {"substance_use": "history"}) == \
        ("not_met", "clinical.substance_use = history (required: = none)")
    assert fact({"fact": use, "ne": "active"}, {"substance_use": "history"}) == \
        ("met", "clinical.substance_use = history (≠ active)")
    assert fact({"fact": use, "ne": "active"}, {"substance_use": "active"})[0] == "not_met"
    assert fact({"fact": use, "in": ["none", "history"]}, {"substance_use": "history"}) == \
        ("met", "clinical.substance_use = history (one of none, history)")
    assert fact({"fact": use, "in": ["none", "history"]}, {"substance_use": "active"})[0] == "not_met"
    assert fact({"fact": use, "not_in": ["history", "active"]}, {"substance_use": "none"}) == \
        ("met", "clinical.substance_use = none (none of history, active)")
    assert fact({"fact": use, "not_in": ["history", "active"]}, {"substance_use": "active"})[0] == "not_met"
    confirmed = "clinical.pathology_confirmed"
    assert fact({"fact": confirmed, "eq": True}, {"pathology_confirmed": True}) == \
        ("met", "clinical.pathology_confirmed = true")
    assert fact({"fact": confirmed, "eq": True}, {"pathology_confirmed": False}) == \
        ("not_met", "clinical.pathology_confirmed = false (required: = true)")
    assert fact({"fact": "clinical.pain_etiology", "present": True}, {"pain_etiology": "CRPS"}) == \
        ("met", "clinical.pain_etiology = CRPS (documented)")
    assert fact({"fact": "clinical.pain_etiology", "present": True}, {"pain_etiology": ""}) == \
        ("not_met", "clinical.pain_etiology =  (required: documented)")
    assert fact({"fact": "request.drug_names", "present": True}, None,
                {"drugs": [{"name": "morphine"}, {"name": "bupivacaine"}]}) == \
        ("met", "request.drug_names = morphine, bupivacaine (documented)")
    assert fact({"fact": "clinical.pain_etiology", "present": True}) == \
        ("unknown", "clinical.pain_etiology not documented")
    assert fact({"fact": "clinical.pain_etiology", "present": True, "undocumented": "not_met"})[0] == "not_met"


def test_a_percentage_is_shown_to_one_decimal():
    t = {"fact": "clinical.trial_result.pain_reduction", "gte": 50}
    assert fact(t, {"trial_result": {"pain_before": 9, "pain_after": 4}}) == \
        ("met", "clinical.trial_result.pain_reduction = 55.6 (≥ 50)")
    assert fact(t, {"trial_result": {"pain_before": 8, "pain_after": 4}})[1] == \
        "clinical.trial_result.pain_reduction = 50 (≥ 50)"


def test_the_none_present_finding_when_undocumented_counts_as_absent():
    loose = {"none_present": FINDINGS, "undocumented": "absent"}
    assert explained(loose).detail == "none documented present (undocumented counts as absent here)"


# --- more edges of treatment, duration and evaluation ---------------------------------------------------------

def test_duration_with_no_course_is_undocumented_and_counts_back_from_the_as_of_date():
    t = {"therapy_duration": {"types": ["physical_therapy"], "min_months": 6}}
    out = explained(t)
    assert (out.verdict, out.detail) == ("unknown", "0 days of qualifying therapy; 182 days (6 months from "
                                                    "2024-12-02) required")


def test_duration_two_contradicted_courses_are_not_met_and_both_outcomes_are_named():
    t = {"therapy_duration": {"types": ["physical_therapy"], "min_months": 1,
                              "contradicted_by": ["effective", "ongoing"]}}
    both = [pt("2024-01-01", "2024-06-01", outcome="effective"), pt("2025-01-01", outcome="ongoing")]
    assert explained(t, {"treatments": both}).verdict == "not_met"
    assert explained(t, {"treatments": both}).detail == "documented as effective, ongoing"
    two = [pt("2024-01-01", "2024-06-01", outcome="effective"), pt("2023-01-01", "2023-06-01", outcome="effective")]
    assert explained({"therapy_duration": {"types": ["physical_therapy"], "min_months": 1}},
                     {"treatments": two}).verdict == "not_met"


def test_duration_an_undated_or_old_course_does_not_stop_the_count():
    t = {"therapy_duration": {"types": ["physical_therapy"], "min_months": 1, "within_months": 12}}
    good = pt("2025-01-01", "2025-03-01")
    assert explained(t, {"treatments": [pt(), good]}).verdict == "met"  # no dates: skipped, not the end
    assert explained(t, {"treatments": [pt("2020-01-01", "2020-06-01"), good]}).verdict == "met"
    assert explained(t, {"treatments": [pt("2025-01-01", "2025-03-01", outcome="ongoing"), good]}).verdict == "met"


def test_a_treatment_minimum_in_months_without_a_start_date_is_zero_days():
    t = {"treatment": {"types": ["physical_therapy"], "min_months": 1}}
    out = explained(t, {"treatments": [pt()]})
    assert out.verdict == "unknown" and "0 days documented" in out.detail


def test_an_evaluation_outside_the_window_does_not_hide_a_later_one():
    t = {"evaluation": {"type": "mental_health", "met": ["cleared"], "within_months": 6}}
    old = ev("cleared", date="2020-01-01")
    recent = ev("cleared", date="2025-05-01")
    assert explained(t, {"evaluations": [old, recent]}).verdict == "met"
    assert explained(t, {"evaluations": [ev("cleared", type_="specialist"), recent]}).verdict == "met"
