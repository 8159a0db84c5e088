"""The evidence stage: one behaviour per test, on short synthetic snippets written from the policies' criteria (not
from the corpus). Each fact's span is the note's own text."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from priorauth.evidence.extractor import checked, extract_note
from priorauth.evidence.model import Fact, NoteEvidence
from priorauth.evidence.rules_data import Anchor, anchors, rules

DAY = dt.date(2025, 3, 14)


def facts(text: str, day: dt.date = DAY) -> dict[str, list]:
    found = extract_note(text, day)
    for f in found.facts:
        assert text[f.start:f.end] == f.text
    out: dict[str, list] = {}
    for f in found.facts:
        out.setdefault(f.path, []).append(f)
    return out


def value(text: str, path: str):
    got = facts(text).get(path)
    assert got, f"{path} not found in {text!r}: {facts(text)}"
    return got[0].value


def absent(text: str, path: str) -> bool:
    return path not in facts(text)


def aside(text: str) -> dict[str, str]:
    return {s.rule: s.why for s in extract_note(text, DAY).set_aside}


PAIN = "Chronic low back pain. "  # a note about the pain the therapy treats


# --- modifiers -------------------------------------------------------------------------------------------------

def test_a_negated_finding_is_a_fact_that_it_is_absent():
    f = facts(PAIN + "No evidence of infection.")["clinical.findings.active_infection"][0]
    assert f.value is False and f.modifier_names == ["negated"]


def test_a_field_answered_denied_is_negated_and_a_leading_denies_still_is():
    got = facts(PAIN + "ROS: Denies SI. Suicidal ideation: DENIED. Psychosis: none.")
    assert [f.value for f in got["clinical.psychiatric.suicidality"]] == [False, False]
    assert got["clinical.psychiatric.active_psychosis"][0].value is False


def test_no_right_before_a_finding_negates_it_even_when_the_finding_starts_with_active():
    assert value(PAIN + "Afebrile - no active infection.", "clinical.findings.active_infection") is False


def test_a_question_mark_before_a_finding_makes_it_uncertain():
    assert absent(PAIN + "Forgetful; ?mild cognitive impairment, MoCA not yet done.",
                  "clinical.psychiatric.compromised_cognition")


def test_would_reconsider_once_is_a_plan():
    assert absent(PAIN + "Would reconsider intrathecal therapy once two consecutive UDS are negative.",
                  "clinical.drug_screens[]")


def test_surgery_not_indicated_is_a_fact_that_surgery_is_not_indicated():
    assert value(PAIN + "Neurosurgery: further decompression or fusion would not be expected to help.",
                 "clinical.surgery_indicated") is False
    assert value(PAIN + "Spine surgery 02/2025: surgery not indicated.", "clinical.surgery_indicated") is False


def test_an_infection_at_the_site_is_local():
    assert value(PAIN + "No evidence of infection at the planned site.", "clinical.findings.local_infection") is False


def test_denial_of_suicidal_ideation_is_no_suicidality():
    assert value(PAIN + "She denies suicidal ideation or intent.", "clinical.psychiatric.suicidality") is False


def test_an_affirmed_finding_is_present():
    assert value(PAIN + "MRI shows discitis at L4-5.", "clinical.findings.active_infection") is True


def test_a_skin_infection_at_the_site_is_the_local_finding():
    assert value(PAIN + "Exam: cellulitis over the planned pump pocket.", "clinical.findings.local_infection") is True


def test_a_relative_as_an_event_or_an_informant_does_not_make_the_members_condition_the_relatives():
    text = "Psychiatric history: history of depression, resolved - one episode after her father's death."
    assert value(text, "clinical.psychiatric.untreated_major_depression") is False
    assert value("No cognitive concerns per daughter.", "clinical.psychiatric.compromised_cognition") is False
    assert absent("Mother with depression, untreated.", "clinical.psychiatric.untreated_major_depression")


def test_respiratory_depression_is_not_depression_and_screens_and_scores_are_read():
    depression = "clinical.psychiatric.untreated_major_depression"
    assert absent(PAIN + "Trial: no respiratory depression, no nausea.", depression)
    assert value("Depression: PHQ-9 of 3.", "clinical.psychiatric.untreated_major_depression") is False
    assert value("C-SSRS negative.", "clinical.psychiatric.suicidality") is False
    assert value("MoCA 18/30, deficits in memory.", "clinical.psychiatric.compromised_cognition") is True
    assert value("MoCA 28/30.", "clinical.psychiatric.compromised_cognition") is False
    assert value("Limited social support.", "clinical.psychiatric.untreated_psychosocial_issues") is True


def test_a_relatives_condition_is_not_the_members():
    text = PAIN + "Mother with depression. Brother with opioid addiction."
    assert absent(text, "clinical.psychiatric.untreated_major_depression") and absent(text, "clinical.substance_use")
    assert set(aside(text).values()) == {"family"}


def test_the_family_history_section_is_the_familys():
    text = "HPI: " + PAIN + "\nFamily History:\nMultiple sclerosis, severe depression, untreated.\n"
    assert absent(text, "clinical.psychiatric.untreated_major_depression")


def test_a_plan_is_not_a_completed_trial():
    text = PAIN + "If the intrathecal trial gives 50% relief, she would like to proceed with the implant."
    assert absent(text, "clinical.trial_result.pain_reduction_percent")
    assert absent(text, "clinical.trial_result.patient_accepts")


def test_a_conditional_treatment_is_not_one_tried():
    assert absent(PAIN + "May need physical therapy in the future.", "clinical.treatments[]")


def test_an_uncertain_finding_is_set_aside():
    text = PAIN + "Possible infection at the incision."
    assert absent(text, "clinical.findings.active_infection") and absent(text, "clinical.findings.local_infection")
    assert "uncertain" in aside(text).values()


def test_history_in_remission_is_history_not_current_use():
    f = facts(PAIN + "h/o opioid use disorder, in sustained remission x5 years.")["clinical.substance_use"][0]
    assert f.value == "history" and "historical" in f.modifier_names


def test_denied_substance_abuse_is_none():
    assert value(PAIN + "Denies alcohol or illicit drug abuse.", "clinical.substance_use") == "none"


def test_active_use_is_active():
    assert value(PAIN + "Reports ongoing cocaine use.", "clinical.substance_use") == "active"


def test_not_only_is_not_a_negation():
    text = PAIN + "The pain is not only in the back but also in both legs; osteomyelitis is present."
    assert value(text, "clinical.findings.active_infection") is True


def test_no_change_in_is_not_a_negation():
    assert value("Spasticity clinic. No change in her spasticity; Modified Ashworth 4 in both legs.",
                 "clinical.spasticity.ashworth") == 4


def test_resolved_depression_is_not_untreated():
    assert value(PAIN + "History of depression, now well controlled on sertraline.",
                 "clinical.psychiatric.untreated_major_depression") is False


def test_untreated_depression_is_flagged():
    text = PAIN + "Severe major depression, untreated."
    assert value(text, "clinical.psychiatric.untreated_major_depression") is True


# --- the trial --------------------------------------------------------------------------------------------------

def test_the_trials_scores_before_and_after():
    got = facts("Intrathecal morphine trial: VAS 8/10 -> 3/10.")
    assert got["clinical.trial_result.pain_before"][0].value == 8
    assert got["clinical.trial_result.pain_after"][0].value == 3


def test_the_trials_percent_relief():
    assert value("Intrathecal hydromorphone trial gave approximately 70% improvement.",
                 "clinical.trial_result.pain_reduction_percent") == 70


def test_relief_from_an_injection_is_not_the_trials():
    text = PAIN + "ESI x3 with 50% relief for 2 weeks."
    assert absent(text, "clinical.trial_result.pain_reduction_percent")


def test_the_trials_method_days_and_wish():
    got = facts("Intrathecal trial via temporary catheter. Observed for 3 days. "
                "She wishes to proceed with the implant.")
    assert got["clinical.trial_result.method"][0].value == "temporary_catheter"
    assert got["clinical.trial_result.observation_days"][0].value == 3
    assert got["clinical.trial_result.patient_accepts"][0].value is True


def test_the_trials_side_effects():
    assert value("Intrathecal trial: no side effects.", "clinical.trial_result.side_effects") == "none"
    assert value("Intrathecal trial: mild pruritus only.", "clinical.trial_result.side_effects") == "minimal"


def test_the_trials_function():
    assert value("During the intrathecal trial she reported improved function.",
                 "clinical.trial_result.function_improved") is True
    assert value("During the intrathecal trial there was no functional improvement.",
                 "clinical.trial_result.function_improved") is False



def test_a_side_effect_that_resolved_is_one_the_trial_had():
    text = "Intrathecal trial.\n- Side effects: mild pruritus, resolved with an antihistamine."
    assert value(text, "clinical.trial_result.side_effects") == "minimal"


def test_a_single_intrathecal_injection_is_the_trials_method_though_it_is_an_injection():
    text = "Intrathecal trial. Ziconotide 2.4 mcg single intrathecal injection."
    assert value(text, "clinical.trial_result.method") == "single_injection"


def test_a_gain_told_as_a_story_is_function_improved_only_beside_a_comparison():
    told = "Intrathecal trial, day 2: walked the corridor twice with a walker, versus one door length before."
    assert value(told, "clinical.trial_result.function_improved") is True
    assert absent("Intrathecal trial, day 2: walked to the bathroom.", "clinical.trial_result.function_improved")


def test_self_care_done_alone_during_the_trial_is_adl_improved():
    text = "Intrathecal trial: she was able to wash her face and hair at the sink."
    assert value(text, "clinical.trial_result.adl_improved") is True

# --- treatments, evaluations, screens ---------------------------------------------------------------------------

def test_a_failed_treatment_with_its_weeks():
    [f] = facts(PAIN + "PT x12 wks ending 01/2025 without relief.")["clinical.treatments[]"]
    assert f.value == {"type": "physical_therapy", "outcome": "failed", "start": "2024-11-08", "end": "2025-01-31"}


def test_side_effects_make_a_treatment_intolerable():
    [f] = facts(PAIN + "Gabapentin caused sedation.")["clinical.treatments[]"]
    assert f.value["type"] == "oral_nonopioid_analgesics" and f.value["outcome"] == "intolerable_side_effects"


def test_failed_because_of_a_side_effect_is_intolerable_and_a_dose_in_the_mention_gives_its_schedule():
    f = value("Spasticity clinic. Failed PO baclofen 15 mg TID x 12 wks - sedation, drooling -> d/c'd.",
              "clinical.treatments[]")
    assert f["type"] == "oral_baclofen" and f["outcome"] == "intolerable_side_effects" and f["schedule"] == "fixed"
    plain = value(PAIN + "Failed gabapentin.", "clinical.treatments[]")
    assert plain["outcome"] == "failed"  # no side effect named: a failure


def test_stopped_in_a_month_is_the_courses_end():
    f = value(PAIN + "Tramadol 50 mg TID was stopped in 01/2025 because of nausea.", "clinical.treatments[]")
    assert f["end"] == "2025-01-31" and f["outcome"] == "intolerable_side_effects"


def test_a_dated_course_takes_the_outcome_the_note_states_elsewhere():
    text = PAIN + "Plan of care: PT x12 wks ending 01/2025.\n\nAssessment: physical therapy was not helpful."
    found = facts(text)["clinical.treatments[]"]
    assert [(f.text, f.value.get("outcome"), f.value.get("end")) for f in found] == [
        ("PT", "failed", "2025-01-31"), ("physical therapy was not helpful", "failed", None)]
    disagree = PAIN + "PT x12 wks ending 01/2025.\nPhysical therapy helped at first. Later physical therapy was not " \
                      "helpful."  # which was the course's outcome? the note does not say: the course says nothing
    assert "2025-01-31" not in [f.value.get("end") for f in facts(disagree)["clinical.treatments[]"]]
    assert aside(disagree) == {"tx_pt": "no_value"}


def test_an_outcome_after_a_semicolon_is_the_treatments_when_no_other_treatment_is_named_there():
    assert value(PAIN + "Tramadol 50 mg BID was tried briefly; she became confused.",
                 "clinical.treatments[]")["outcome"] == "intolerable_side_effects"
    found = facts(PAIN + "Tramadol was tried in 2023; gabapentin caused dizziness.")["clinical.treatments[]"]
    assert [f.value["type"] for f in found] == ["oral_nonopioid_analgesics"]  # the next clause is gabapentin's


def test_more_ways_of_saying_a_therapy_failed():
    for said in ("PT x10 wks ending 11/2024 - no functional gain.", "Discharged from skilled PT; goals not met.",
                 "ESI x3 - each lasted under two weeks.", "Medial branch blocks (10/2024): ~4 h relief."):
        assert value(PAIN + said, "clinical.treatments[]")["outcome"] == "failed", said


def test_an_unticked_option_on_a_form_says_nothing_and_the_conclusion_is_the_evaluation():
    text = "PSYCHOLOGICAL EVALUATION\n\nRESULT: [x] CLEARED   [ ] CLEARED WITH CONDITIONS   [ ] NOT CLEARED\n"
    [f] = facts(text)["clinical.evaluations[]"]
    assert f.value["result"] == "cleared"  # "NOT CLEARED" is an option nobody ticked
    said = "Recommendation: From a psychological standpoint she is cleared to proceed with the trial."
    [g] = facts(said)["clinical.evaluations[]"]
    assert g.value["result"] == "cleared" and "cleared" in g.text  # the span reaches the conclusion


def test_a_relatives_experience_cited_as_the_reason_does_not_make_a_refusal_the_relatives():
    text = PAIN + "Neurosurgery recommended decompression; the patient declines surgery, citing fear after his " \
                  "brother's complicated spine operation."
    assert value(text, "clinical.surgery_refused") is True


def test_oral_baclofens_response_and_the_test_doses_span_reach_the_words_that_say_it():
    text = "Spasticity clinic. Oral baclofen 20 mg TID for 26 weeks: confusion and slurred speech."
    [f] = facts(text)["clinical.spasticity.oral_response"]
    assert f.value == "intolerant" and f.text.startswith("Oral baclofen") and f.text.endswith("confusion")
    [g] = facts("ITB test dose 50 mcg: response favorable, tone reduced.")["clinical.spasticity.test_dose_response"]
    assert g.value == "favorable" and "favorable" in g.text


def test_a_list_of_negations_does_not_negate_an_item_that_states_its_own_normal_value():
    text = PAIN + "MRI 01/2025: no epidural disease, no vertebral metastases, thecal sac patent."
    assert value(text, "clinical.findings.csf_obstruction") is False  # patent: no obstruction, said so
    assert value(text, "clinical.findings.tumor_thecal_encroachment") is False


def test_the_date_heading_a_trials_own_procedure_note_is_the_trials_date():
    note = "INTRATHECAL MORPHINE TRIAL - PROCEDURE NOTE\nDOS: 08/20/2024\n\nIntrathecal trial: pain 8/10, then 3/10."
    assert value(note, "clinical.trial_result.date") == "2024-08-20"
    later = "ITB PROGRAM - SCREENING TEST DOSE FOLLOW-UP\nDate: 2025-05-27\n\nSpasticity: tone improved."
    assert absent(later, "clinical.trial_result.date")  # written after the test dose: its date is not the dose's
    consult = "PAIN CONSULT\nDate: 08/20/2024\n\nWe discussed an intrathecal trial."
    assert absent(consult, "clinical.trial_result.date")


def test_no_alcohol_or_drug_use_in_a_social_history_is_no_substance_use():
    assert value("SH: no alcohol or drug use.", "clinical.substance_use") == "none"
    assert value("Non-smoker, no alcohol.", "clinical.substance_use") == "none"
    assert absent("No drug allergies.", "clinical.substance_use")


def test_a_treatment_still_taken_that_does_not_work_has_failed():
    text = PAIN + "She currently takes oxycodone 10 mg every 6 hours since 2023 with inadequate relief."
    assert value(text, "clinical.treatments[]")["outcome"] == "failed"


def test_a_treatment_still_taken_with_partial_relief_is_ongoing():
    assert value(PAIN + "Tapentadol 50 mg as needed, partial relief.", "clinical.treatments[]")["outcome"] == "ongoing"


def test_each_list_item_after_a_line_break_has_its_own_outcome():
    text = PAIN + "Tried:\n - Home exercises daily - ongoing, no\n   benefit.\n - Naproxen 500 mg BID - failed.\n"
    got = {f.value["type"]: f.value["outcome"] for f in facts(text)["clinical.treatments[]"]}
    assert got == {"home_exercise_program": "failed", "nsaids": "failed"}


def test_brand_names_are_their_treatments():
    assert value(PAIN + "The Duragesic patch did not help.", "clinical.treatments[]")["type"] == "transdermal_opioids"


def test_pt_means_physical_therapy_only_in_capitals():
    text = PAIN + "The pt reports PT helped a little but failed to last."
    [f] = facts(text)["clinical.treatments[]"]
    assert text[f.start:f.end] == "PT helped"  # the treatment, up to what it did


def test_a_treatment_never_tried_is_not_one():
    assert absent(PAIN + "She has not tried physical therapy.", "clinical.treatments[]")


def test_a_mental_health_evaluation_and_its_result():
    text = PAIN + "Psychological evaluation on 01/15/2025: cleared for intrathecal therapy."
    [f] = facts(text)["clinical.evaluations[]"]
    assert f.value == {"type": "mental_health", "result": "cleared", "date": "2025-01-15"}


def test_a_specialist_who_finds_no_surgical_option():
    [f] = facts("Follow-up.\n" + PAIN + "Neurosurgery consult: not a surgical candidate.")["clinical.evaluations[]"]
    assert f.value == {"type": "specialist", "specialty": "neurosurgery", "result": "other_treatments_failed"}
    assert value(PAIN + "Neurosurgery consult: not a surgical candidate.", "clinical.surgery_indicated") is False


def test_a_drug_screen_with_its_date_and_result():
    [f] = facts(PAIN + "UDS on 02/10/2025 was negative.")["clinical.drug_screens[]"]
    assert f.value == {"date": "2025-02-10", "result": "negative"}


def test_surgery_refused():
    assert value(PAIN + "He declined further spine surgery.", "clinical.surgery_refused") is True


# --- dates, prognosis, spasticity, the pain -------------------------------------------------------------------

@pytest.mark.parametrize(("text", "onset"), [
    ("Low back pain for the past 18 months.", "2023-09-14"),
    ("Pain since March 2023.", "2023-03-31"),
    ("Pain began 3 weeks ago.", "2025-02-21"),
    ("Pain since the 2021 fusion.", "2021-12-31"),
])
def test_the_pain_onset_counts_from_the_notes_date(text, onset):
    assert value(text, "clinical.pain_onset") == onset


def test_the_life_expectancy_lower_bound():
    assert value("Oncology: metastatic prostate cancer, prognosis 6 to 12 months.",
                 "clinical.life_expectancy_months") == 6
    assert value("Cancer pain. Life expectancy greater than 1 year.", "clinical.life_expectancy_months") == 12


def test_an_upper_bound_is_no_estimate():
    assert absent("Cancer pain. Life expectancy less than 3 months.", "clinical.life_expectancy_months")


def test_spasticity_scores_origin_and_oral_baclofen():
    got = facts("Spasticity due to multiple sclerosis. Modified Ashworth 3, Penn spasm score 3. Oral baclofen for "
                "12 weeks without benefit.")
    assert got["clinical.spasticity.origin"][0].value == "spinal"
    assert got["clinical.spasticity.ashworth"][0].value == 3 and got["clinical.spasticity.penn"][0].value == 3
    assert got["clinical.spasticity.oral_baclofen_weeks"][0].value == 12
    assert got["clinical.spasticity.oral_response"][0].value == "unresponsive"


def test_the_etiology_in_the_notes_words():
    assert value("Assessment: failed back surgery syndrome with chronic pain.", "clinical.pain_etiology") == \
        "failed back surgery syndrome"


def test_a_cause_that_describes_another_is_not_a_second_cause():
    got = facts("Assessment: failed back surgery syndrome with persistent radicular pain.")["clinical.pain_etiology"]
    assert [f.value for f in got] == ["failed back surgery syndrome"]


def test_nkda_is_no_drug_allergy():
    assert value(PAIN + "Allergies: NKDA.", "clinical.findings.drug_allergy") is False


# --- notes about something else -------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Post-op day 1 after inguinal hernia repair. On-Q pain pump in place, no signs of infection.",
    "Type 1 diabetes. Insulin pump settings reviewed; denies hypoglycemia.",
])
def test_a_note_about_another_pump_yields_nothing(text):
    found = extract_note(text, DAY)
    assert found.facts == () and not found.relevant


@pytest.mark.parametrize("text", ["", "   \n\t ", ".", "?", "x" * 5000])
def test_an_empty_or_odd_note_yields_nothing_and_never_fails(text):
    assert extract_note(text, DAY).facts == ()


WORDS = ["no", "not", "pain", "PT", "x12", "wks", "01/2025", "8/10", "->", "3/10", "60%", "relief", "trial",
         "intrathecal", "denies", "SI", "mother", "h/o", "ESI", "?", ";", "but", "Ashworth", "1+", "since", "2021",
         "failed", "UDS", "negative", "life", "expectancy", "months", "\n", "Plan:", "Assessment:", ",", ".", "MS"]


@given(st.lists(st.sampled_from(WORDS) | st.text(max_size=6), max_size=60))
@settings(max_examples=150, deadline=None)
def test_any_text_gives_facts_whose_spans_are_the_notes_own(words):
    text = " ".join(words)
    found = extract_note(text, DAY)
    assert all(text[f.start:f.end] == f.text and f.start < f.end for f in found.facts)


# --- the contract ---------------------------------------------------------------------------------------------

def test_a_fact_whose_span_is_not_the_notes_text_is_dropped():
    text = "Denies SI."
    bad = NoteEvidence((Fact("clinical.psychiatric.suicidality", False, 0, 6, "denies", "llm"),
                        Fact("clinical.nonsense", True, 0, 6, "Denies", "llm")))
    kept = checked(text, bad)
    assert kept.facts == () and len(kept.dropped) == 2


def test_cli_extract_json_is_one_object_per_note(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text(PAIN + "Intrathecal trial gave 60% relief.", encoding="utf-8")
    b.write_text("Insulin pump check.", encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "priorauth", "extract", str(a), str(b), "--date", "2025-03-14",
                          "--format", "json"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    first, second = (json.loads(line) for line in out.stdout.splitlines())
    [f] = [f for f in first["facts"] if f["path"] == "clinical.trial_result.pain_reduction_percent"]
    assert (f["value"], f["text"]) == (60, "60% relief")
    assert first["note"] == str(a) and second["facts"] == [] and second["relevant"] is False
    assert set(f) >= {"path", "value", "start", "end", "text", "modifiers", "rule", "confidence"}


def test_cli_extract_names_an_unreadable_note(tmp_path):
    out = subprocess.run([sys.executable, "-m", "priorauth", "extract", str(tmp_path / "missing.txt")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "missing.txt: cannot read the note" in out.stderr and "Traceback" not in out.stderr


def test_no_model_is_loaded_at_import():
    code = "import sys, priorauth.evidence.extractor, priorauth.evidence.rule_based; print('spacy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "False", out.stderr


# --- the first-word prefilter ---------------------------------------------------------------------------------

CORPUS_NOTES = sorted((Path(__file__).resolve().parent.parent / "corpus" / "notes").glob("*.txt"))


@pytest.mark.parametrize("rule", rules(), ids=lambda r: r.id)
def test_every_match_of_a_rule_starts_with_one_of_its_first_words(rule):
    """A note is not scanned for a pattern where none of its first words occurs: sound only if every match starts
    with one of them (or, with `back`, holds one after at most that many runs of whitespace). Checked on the corpus
    and on text made of the rules' own words."""
    texts = [p.read_text(encoding="utf-8") for p in CORPUS_NOTES] + [" ".join(WORDS), " ".join(WORDS).upper()]
    for rx, anchor in zip(rule.patterns, rule.anchors, strict=True):
        if anchor is None:
            continue
        ignore_case = bool(rx.flags & re.IGNORECASE)
        for text in texts:
            for m in rx.finditer(text):
                said = m.group(0).lower() if ignore_case else m.group(0)
                opening = [said[w.start():] for w in re.finditer(r"(?<!\w)\S", said)
                           if len(re.findall(r"\s+", said[:w.start()])) <= anchor.back]
                assert any(o.startswith(anchor.words) for o in opening), (rx.pattern, said, anchor)


def test_first_words_follow_optional_words_and_alternatives():
    assert anchors("(?:severe )?(?:lumbar|cervical) stenosis", True) == Anchor(("cervical", "lumbar", "severe"))
    assert anchors("s(?:kin|oft tissue) infection", True) == Anchor(("skin", "soft"))
    assert anchors(r"\d+% relief", True) == Anchor(tuple("0123456789"))
    assert anchors("PT", False) == Anchor(("PT",))
    assert anchors("(?:ab)+c", True) == Anchor(("ab",))
    assert anchors("(?<!respiratory.)depression", True) == Anchor(("depression",))


def test_optional_words_before_the_first_word_are_counted_not_listed():
    assert anchors("(?:[a-z-]+ ){0,3}?stenosis", True) == Anchor(("stenosis",), back=3)
    assert anchors("(?:an? )?good candidate", True) == Anchor(("good",), back=1)
    assert anchors("(?:[a-z]+ )*stenosis", True) is None
    assert anchors("[a-z]+ stenosis", True) is None


# --- one sentence per fact type the other tests do not read ---------------------------------------------------

EACH_FACT = [
    ("MRI lumbar 01/2025: severe L4-5 stenosis with nerve root compression.", "clinical.pathology_confirmed", True),
    ("MRI lumbar 01/2025: unremarkable.", "clinical.pathology_confirmed", False),
    ("CT 05/2025: diffuse pancreatic calcifications with a dilated duct.", "clinical.pathology_confirmed", True),
    ("MoCA 18/30; cognitive impairment limits device teaching.", "clinical.psychiatric.compromised_cognition", True),
    ("Alert and oriented x4, cognitively intact.", "clinical.psychiatric.compromised_cognition", False),
    ("Untreated psychosocial stressors: recent divorce, no supports.",
     "clinical.psychiatric.untreated_psychosocial_issues", True),
    ("INR 2.9 on warfarin: coagulopathy.", "clinical.findings.coagulopathy", True),
    ("CT myelogram: complete block to CSF flow at T10.", "clinical.findings.csf_obstruction", True),
    ("MRI: tumor encroaching on the thecal sac at L2.", "clinical.findings.tumor_thecal_encroachment", True),
    ("Blood cultures positive; sepsis.", "clinical.findings.sepsis", True),
    ("Papilledema; increased intracranial pressure.", "clinical.findings.increased_intracranial_pressure", True),
    ("Cardiac pacemaker in place.", "clinical.findings.other_programmable_implant", True),
    ("BMI 22, adequate subcutaneous tissue for a pump pocket.", "clinical.findings.insufficient_body_size", False),
    ("CT myelogram 03/2025: no block to contrast flow.", "clinical.findings.csf_obstruction", False),
    ("Coagulation parameters acceptable.", "clinical.findings.coagulopathy", False),
    ("Intrathecal baclofen test dose 50 mcg: favorable response, tone reduced.",
     "clinical.spasticity.test_dose_response", "favorable"),
    ("ITB test dose 50 mcg: no change in tone.", "clinical.spasticity.test_dose_response", "unfavorable"),
]


@pytest.mark.parametrize(("sentence", "path", "expected"), EACH_FACT, ids=[f"{p}={v}" for _, p, v in EACH_FACT])
def test_each_fact_type_is_read(sentence, path, expected):
    assert value(PAIN + sentence, path) == expected
