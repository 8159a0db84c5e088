"""The evidence stage's rules added on 2026-12-02 (second session), one behaviour per test, on short synthetic
snippets written for the test (not copied from the corpus)."""

from __future__ import annotations

import datetime as dt

import pytest

from priorauth.evidence import timex
from priorauth.evidence.extractor import extract_note

DAY = dt.date(2025, 7, 14)
PAIN = "Chronic low back pain. "
TRIAL = "INTRATHECAL MORPHINE TRIAL - PROCEDURE NOTE\nChronic low back pain. Intrathecal morphine trial.\n"
TX = "clinical.treatments[]"


def facts(text: str, path: str) -> list:
    found = extract_note(text, DAY)
    for f in found.facts:
        assert text[f.start:f.end] == f.text
    return [f for f in found.facts if f.path == path]


def values(text: str, path: str) -> list:
    return [f.value for f in facts(text, path)]


def one(text: str, path: str):
    got = values(text, path)
    assert len(got) == 1, f"{path} in {text!r}: {got}"
    return got[0]


def reasons(text: str) -> dict[str, str]:
    return {s.rule: s.why for s in extract_note(text, DAY).set_aside}


# --- dates -----------------------------------------------------------------------------------------------------------

def test_a_year_at_the_end_of_a_sentence_is_a_date():
    f = one(PAIN + "Lyrica 100 mg TID - marked leg edema, discontinued 2023.", TX)
    assert f["end"] == "2023-12-31"


def test_each_year_of_a_range_is_a_date():
    f = one(PAIN + "Cymbalta 60 mg daily for one year (2023-2024) - ineffective.", TX)
    assert (f["start"], f["end"]) == ("2023-12-31", "2024-12-31")


def test_a_number_word_with_tens_and_units_is_a_duration():
    [d] = timex.durations_in("taken for twenty-six weeks")
    assert (d.count, d.unit) == (26, "week")


def test_a_month_named_without_its_year_is_the_latest_such_month():
    f = one(PAIN + "Home PT was started in May but stopped after 3 visits because it increased her pain.", TX)
    assert f["start"] == "2025-05-31"


def test_a_date_before_a_treatment_in_a_list_is_the_previous_items():
    text = PAIN + "He takes oxycodone since 2024 with limited benefit, and duloxetine 60 mg daily since 2023, " \
                  "no clear benefit."
    f = next(v for v in values(text, TX) if v["type"] == "oral_nonopioid_analgesics")
    assert f["start"] == "2023-12-31"


def test_tapered_off_after_a_semicolon_is_the_courses_end():
    f = one(PAIN + "Norco 10/325 QID from 2022; tapered off 04/2025 because it did nothing for the pain.", TX)
    assert (f["start"], f["end"]) == ("2022-12-31", "2025-04-30")


def test_started_or_switched_to_before_a_drug_dates_its_start():
    f = one(PAIN + "Switched to methadone by palliative care in 12/2024 without adequate relief.", TX)
    assert f["start"] == "2024-12-31" and f["outcome"] == "failed"


def test_through_between_two_dates_is_a_course_from_the_first():
    f = one("PT DISCHARGE SUMMARY\n" + PAIN + "Certification period: 12/02/2024 through 03/21/2025 - 16 weeks; goals "
            "not met.", TX)
    assert (f["start"], f["end"]) == ("2024-12-02", "2025-03-21")


def test_radiation_is_given_on_a_day():
    f = one(PAIN + "Completed radium-223 in 05/2025 and palliative RT to L4-S1 in 07/2025; modest benefit that has "
            "faded.", TX)
    assert (f["start"], f["end"], f["outcome"]) == ("2025-07-31", "2025-07-31", "failed")


def test_a_repeat_to_come_is_not_the_injections_date():
    f = one(PAIN + "Botulinum toxin to left biceps 06/2025: effective, due for repeat in 09/2025.", TX)
    assert (f["start"], f["end"]) == ("2025-06-30", "2025-06-30")


def test_a_series_of_injections_runs_from_the_first_to_the_last():
    f = one(PAIN + "ESI x2 (03/2025, 05/2025) - failed.", TX)
    assert (f["start"], f["end"]) == ("2025-03-31", "2025-05-31")


def test_a_ketamine_infusion_is_an_injectable_analgesic():
    assert one(PAIN + "Ketamine infusion 07/2025 helped 2 days only.", TX)["type"] == "injectable_analgesics"


# --- treatments: outcome and schedule ----------------------------------------------------------------------------

def test_a_frequency_followed_by_prn_is_as_needed():
    assert one(PAIN + "Percocet 5/325 q6h PRN since 01/2025 - minimal relief.", TX)["schedule"] == "prn"


def test_at_bedtime_is_a_fixed_schedule():
    assert one(PAIN + "Valium 5 mg at bedtime x6 weeks: no change in spasms.", TX)["schedule"] == "fixed"


def test_hydromorphone_er_is_a_systemic_opioid():
    assert one(PAIN + "Current: hydromorphone ER 16 mg daily, pain still 7/10.", TX)["schedule"] == "fixed"


def test_hydrocodone_acetaminophen_is_one_opioid_not_also_acetaminophen():
    # (no dev note says it)
    assert [v["type"] for v in values(PAIN + "Hydrocodone-acetaminophen 10/325 as needed, ineffective.", TX)] == [
        "systemic_opioids"]


def test_a_treatments_span_runs_to_its_outcome():
    [f] = facts(PAIN + "Gabapentin was ineffective.", TX)
    assert f.text == "Gabapentin was ineffective"


def test_the_same_treatment_named_again_after_a_semicolon_takes_that_clauses_outcome():
    text = PAIN + "Oral baclofen taken for 12 weeks; any higher dose caused leg weakness - oral baclofen intolerant."
    [f] = facts(text, TX)
    assert f.start == len(PAIN) and f.value["outcome"] == "intolerable_side_effects"


def test_two_outcomes_of_one_kind_in_a_sentence_are_two_facts():
    text = PAIN + "Pain despite oral morphine 60 mg q4h; opioids limited by delirium and myoclonus."
    assert sorted(v["outcome"] for v in values(text, TX)) == ["failed", "intolerable_side_effects"]


def test_unresponsive_to_a_drug_is_that_drugs_failure_not_the_one_before():
    text = PAIN + "Intolerant of oral baclofen, unresponsive to dantrolene."
    got = {v["type"]: v["outcome"] for v in values(text, TX)}
    assert got == {"oral_baclofen": "intolerable_side_effects", "oral_antispasmodic": "failed"}


def test_stopped_because_it_increased_pain_after_but_is_unable_to_complete():
    f = one(PAIN + "PT for 16 visits in 2023 but stopped because each session increased her pain.", TX)
    assert f["outcome"] == "unable_to_complete"


def test_relief_that_goes_on_with_continued_use_is_ongoing():
    f = one(PAIN + "Home TENS unit gives relief and he uses it daily, which he will continue.", TX)
    assert f["outcome"] == "ongoing"


def test_continue_with_a_frequency_after_a_home_program_is_ongoing():
    assert one(PAIN + "Independent with HEP, continue 3-4 times weekly.", TX)["outcome"] == "ongoing"


def test_continue_in_a_plan_says_nothing_of_the_outcome():
    assert values(PAIN + "Plan: Continue gabapentin.", TX) == []


def test_adherent_to_a_home_program_is_ongoing_and_none_of_negates_nothing():
    text = PAIN + "She was adherent to her home program, yet she reached none of her goals."
    assert one(text, TX)["outcome"] == "ongoing"


def test_a_relative_who_does_the_stretching_does_not_make_it_the_relatives():
    f = one(PAIN + "Daily home stretching by parents, ongoing.", TX)
    assert f["type"] == "home_exercise_program"


def test_an_episode_of_care_is_a_course_of_physical_therapy():
    f = one("PT DISCHARGE SUMMARY\n" + PAIN + "Episode of care 03/10/2025-06/02/2025 (12 weeks): goals not met.", TX)
    assert f["type"] == "physical_therapy" and f["outcome"] == "failed"


def test_a_dorsal_column_stimulator_trial_is_a_treatment():
    assert one(PAIN + "Dorsal column stimulator trial in 2021 was unsuccessful.", TX)["outcome"] == "failed"


# --- the trial -----------------------------------------------------------------------------------------------------

def test_a_single_intrathecal_bolus_is_a_single_injection():
    assert one(TRIAL + "Method: single intrathecal bolus at L3-4.", "clinical.trial_result.method") == \
        "single_injection"


def test_a_method_in_the_notes_title_is_a_heading():
    text = "SINGLE-SHOT INTRATHECAL TRIAL\n" + PAIN + "Morphine 0.2 mg given."
    assert values(text, "clinical.trial_result.method") == []


def test_a_scheduled_test_dose_is_not_done():
    text = PAIN + "Plan: Schedule intrathecal baclofen test dose (50 mcg bolus via lumbar puncture)."
    assert values(text, "clinical.trial_result.method") == []


def test_side_effects_answered_after_a_colon():
    assert one(TRIAL + "Side effects: tolerable - one episode of nausea.", "clinical.trial_result.side_effects") == \
        "tolerable"


def test_a_side_effect_settled_and_called_tolerable_after_a_dash():
    text = TRIAL + "Generalized itching at hour 6, settled with one dose of nalbuphine - tolerable."
    assert one(text, "clinical.trial_result.side_effects") == "tolerable"


def test_a_mild_transient_leg_heaviness_is_a_minimal_side_effect():
    text = TRIAL + "Mild transient leg heaviness for 2 hours, resolved."
    assert one(text, "clinical.trial_result.side_effects") == "minimal"


def test_tolerated_well_alone_is_the_procedure_not_side_effects():
    assert values(TRIAL + "Morphine 0.2 mg given. Patient tolerated well.", "clinical.trial_result.side_effects") == []


def test_side_effects_not_had_are_none():
    text = TRIAL + "Relief 60%. Walked 300 feet (baseline 40 feet). No nausea or pruritus."
    assert one(text, "clinical.trial_result.side_effects") == "none"


def test_side_effects_not_had_are_not_none_when_one_was_had():
    text = TRIAL + "Relief 60%. Mild pruritus. No nausea or vomiting."
    assert values(text, "clinical.trial_result.side_effects") == ["minimal"]


def test_another_drugs_side_effect_in_its_own_clause_is_not_the_trials():
    text = TRIAL + "Assessment: tizanidine caused intolerable sedation; favorable ITB bolus."
    assert values(text, "clinical.trial_result.side_effects") == []


def test_observation_in_days_of_observation_and_hours():
    assert one(TRIAL + "Discharged next morning (1 day of observation).", "clinical.trial_result.observation_days") \
        == 1
    assert one(TRIAL + "Observed inpatient for 24 hours.", "clinical.trial_result.observation_days") == 1
    assert one(TRIAL + "Monitored inpatient for 72 hours.", "clinical.trial_result.observation_days") == 3  # (no dev
    # note says it)


def test_a_comparison_with_rather_than_is_a_functional_gain_and_its_span_runs_to_it():
    text = TRIAL + "Transferred bed-to-chair needing one helper rather than the usual two."
    [f] = facts(text, "clinical.trial_result.function_improved")
    assert f.value is True and f.text.endswith("rather than")


def test_versus_before_compares_it_is_no_differential():
    text = TRIAL + "Walked the length of the corridor twice with a walker, versus one door length before."
    assert one(text, "clinical.trial_result.function_improved") is True


def test_a_walking_distance_with_a_decimal_is_read_whole():
    [f] = facts(TRIAL + "Walked 0.25 mile further than before.", "clinical.trial_result.function_improved")
    assert "0.25" in f.text


def test_functional_and_adl_gains_are_both():
    text = TRIAL + "Assessment: positive trial with functional and ADL gains."
    assert one(text, "clinical.trial_result.function_improved") is True
    assert one(text, "clinical.trial_result.adl_improved") is True


def test_improved_step_length_is_a_functional_gain():
    assert one(TRIAL + "At 6 h: improved step length.", "clinical.trial_result.function_improved") is True


def test_a_caregiver_able_to_give_care_easily_is_an_adl_gain():
    text = TRIAL + "At 4 hours, mother able to perform perineal care easily."
    assert one(text, "clinical.trial_result.adl_improved") is True


def test_parents_report_easier_toileting_is_an_adl_gain():
    assert one(TRIAL + "Parents report easier toileting transfers.", "clinical.trial_result.adl_improved") is True


def test_shaving_without_sitting_is_an_adl_gain():
    text = TRIAL + "Stood at the sink to shave and wash up without sitting."
    assert one(text, "clinical.trial_result.adl_improved") is True


def test_household_chores_and_dressing_herself_are_adl_gains():
    # (no dev note says it)
    assert one(TRIAL + "Improved ability to perform household chores.", "clinical.trial_result.adl_improved") is True
    assert one(TRIAL + "She could dress herself without help.", "clinical.trial_result.adl_improved") is True


def test_a_disability_score_that_improved_is_a_functional_gain():
    # (no dev note says it)
    assert one(TRIAL + "Oswestry improved from 62% to 40%.", "clinical.trial_result.function_improved") is True


def test_a_physical_therapy_course_in_a_trial_note_is_not_the_trial():
    text = TRIAL + "Conservative care:\n- PT x10 wks ending 11/2024 - no functional gain\n"
    assert values(text, "clinical.trial_result.function_improved") == []


def test_walking_one_block_is_a_distance_not_a_nerve_block():
    text = TRIAL + "- Baseline pain NRS 10/10 standing; walks one block with rollator\n"
    assert one(text, "clinical.trial_result.pain_before") == 10


# --- ConText -------------------------------------------------------------------------------------------------------

def test_an_if_past_a_comma_is_not_the_mentions_condition():
    text = "Psychological evaluation. Recommendation: CLEARED for intrathecal trial and, if the trial is successful, " \
           "implantation."
    assert one(text, "clinical.evaluations[]")["result"] == "cleared"


def test_an_if_right_after_a_mention_is_its_condition():
    assert values(PAIN + "Would benefit from aquatic therapy if he undergoes a procedure.", TX) == []


def test_no_meaningful_change_negates_nothing():
    text = "Spasticity. No meaningful change in tone after either dose (Ashworth 3 before and at 4 hours)."
    assert one(text, "clinical.spasticity.ashworth") == 3


def test_no_longer_responding_does_not_negate_the_drug():
    assert one(PAIN + "She is no longer responding to MS Contin.", TX)["outcome"] == "failed"


def test_an_answer_denies_after_a_colon_is_a_negation():
    # (no dev note says it)
    assert values(PAIN + "SI: denies.", "clinical.psychiatric.suicidality") == [False]


def test_not_well_controlled_is_not_controlled():
    # (no dev note says it)
    assert one(PAIN + "Depression, not well controlled.", "clinical.psychiatric.untreated_major_depression") is True


def test_an_infection_that_has_not_resolved_is_present():
    # (no dev note says it)
    assert one(PAIN + "Infection has not resolved.", "clinical.findings.active_infection") is True


def test_not_interested_in_surgery_is_a_refusal():
    # (no dev note says it)
    assert one(PAIN + "Not interested in surgery.", "clinical.surgery_refused") is True


# --- findings, pathology, evaluations, substance use ---------------------------------------------------------------

def test_no_evidence_of_infection_beside_the_skin_is_the_general_finding():
    text = PAIN + "Skin of back intact, no evidence of infection."
    assert values(text, "clinical.findings.active_infection") == [False]
    assert values(text, "clinical.findings.local_infection") == []


def test_signs_of_infection_not_found_at_the_site_are_no_local_infection():
    assert one(PAIN + "Skin: no rash, erythema or breakdown over lumbar region.", "clinical.findings.local_infection") \
        is False


def test_a_scar_well_healed_alone_says_nothing_of_infection():
    assert values(PAIN + "Lumbar incision well healed.", "clinical.findings.local_infection") == []


def test_imaging_that_cannot_exclude_a_finding_confirms_nothing():
    text = PAIN + "MRI C-spine 2024: cannot exclude a small syrinx at C5-6."
    assert values(text, "clinical.pathology_confirmed") == []


def test_findings_imaging_did_not_find_are_not_pathology():
    text = PAIN + "MRI 01/2025: no epidural disease, no vertebral metastases, thecal sac patent."
    assert values(text, "clinical.pathology_confirmed") == []


def test_clumping_of_nerve_roots_is_a_finding():
    text = PAIN + "MRI 2025-03-04: clumping of the cauda equina nerve roots."
    assert one(text, "clinical.pathology_confirmed") is True


def test_coagulation_studies_are_not_imaging():
    # (no dev note says it)
    assert values(PAIN + "Coagulation studies normal.", "clinical.pathology_confirmed") == []


def test_a_drug_screen_takes_its_own_date():
    text = PAIN + "Pre: psychological clearance 10/2024, UDS 07/08/2025 negative."
    assert one(text, "clinical.drug_screens[]")["date"] == "2025-07-08"


def test_a_poor_operative_candidate_is_a_specialists_conclusion():
    f = one(PAIN + "Neurosurgery (03/2025) judged him a poor operative candidate.", "clinical.evaluations[]")
    assert f["specialty"] == "neurosurgery" and f["date"] == "2025-03-31"


def test_a_good_candidate_is_not_a_psychological_evaluation_in_a_note_without_one():
    text = "Spasticity clinic. Good candidate for intrathecal baclofen screening."
    assert values(text, "clinical.evaluations[]") == []


def test_a_cardiology_clearance_is_not_a_psychological_clearance():
    assert values(PAIN + "Plan: psychological evaluation; cardiology clearance.", "clinical.evaluations[]") == []


def test_addiction_medicine_is_a_specialty_not_a_substance_use():
    assert values(PAIN + "Addiction medicine to follow.", "clinical.substance_use") == []


def test_active_stimulant_use_named_in_parentheses():
    assert one(PAIN + "Active stimulant (cocaine) use.", "clinical.substance_use") == "active"


# --- the pain, spasticity, surgery ---------------------------------------------------------------------------------

def test_a_problem_lists_diagnosis_names_the_cause():
    text = "Problem list:\n1. Failed back surgery syndrome, L4-S1 - active\n2. Diabetes\n"
    assert one(text, "clinical.pain_etiology") == "failed back surgery syndrome"


def test_a_studys_consistent_with_names_the_cause():
    text = PAIN + "\nImaging:\nMRI 10/2024: clumped roots L3-S1, consistent with adhesive arachnoiditis."
    assert "arachnoiditis" in values(text, "clinical.pain_etiology")


def test_an_onset_of_low_back_pain_written_lbp():
    assert one("Referral. c/o LBP w/ bilat LE radiation x3 yrs.", "clinical.pain_onset") == "2022-07-14"


def test_an_onset_across_a_faxs_line_break():
    text = "THE PT HAS CHRONIC LOW BACK PAIN FROM L4-5\nDEGENERATIVE DISC DISEASE FOR OVER 2 YEARS."
    assert one(text, "clinical.pain_onset") == "2023-07-14"


def test_taking_a_drug_for_weeks_is_not_the_pains_onset():
    assert values(PAIN + "Now taking it for 15 weeks with good response.", "clinical.pain_onset") == []


def test_the_highest_ashworth_of_a_list_and_its_span():
    text = "Spasticity exam: Modified Ashworth: elbow flexors 3, hip adductors 4, ankle 3."
    [f] = facts(text, "clinical.spasticity.ashworth")
    assert f.value == 4 and f.text == "Modified Ashworth: elbow flexors 3, hip adductors 4"


def test_an_ashworth_after_the_test_dose_is_not_the_members():
    assert values("Spasticity. Test dose given. At 3 hours: Ashworth 1 in both knees.",
                  "clinical.spasticity.ashworth") == []


def test_a_diagnosis_before_the_stated_origin_is_kept_beside_it():
    text = "SPASTICITY CLINIC\nDiagnosis: spastic diplegic cerebral palsy - spasticity of cerebral origin."
    assert [f.text for f in facts(text, "clinical.spasticity.origin")] == [
        "cerebral palsy", "spasticity of cerebral origin"]


def test_oral_baclofen_in_a_list_takes_its_own_response():
    text = "Spasticity. Oral baclofen ineffective (unresponsive), tizanidine caused intolerable sedation."
    assert one(text, "clinical.spasticity.oral_response") == "unresponsive"


def test_lioresal_titrated_is_oral_baclofen_and_its_weeks():
    text = "Spasticity. Lioresal titrated over 12 weeks to 20 mg QID: no change in spasm frequency."
    assert one(text, "clinical.spasticity.oral_baclofen_weeks") == 12
    assert one(text, "clinical.spasticity.oral_response") == "unresponsive"


def test_two_sayings_that_surgery_is_not_indicated_in_one_sentence_are_two():
    text = PAIN + "Neurosurgery: not a surgical candidate and no further surgical option is expected to help."
    assert values(text, "clinical.surgery_indicated") == [False, False]


# --- added 2026-12-02, third session (tuned on notes 097-120's dev split) ------------------------------------------

PSYCHOSIS = "clinical.psychiatric.active_psychosis"


def test_hallucinations_a_drug_caused_are_its_side_effect_not_psychosis():
    text = PAIN + "Oxycodone ER 20 mg BID was stopped last month for vivid visual hallucinations."
    assert values(text, PSYCHOSIS) == []
    assert reasons(text)["psychosis"] == "side_effect"


def test_hallucinations_with_no_drug_beside_them_are_still_psychosis():
    assert one(PAIN + "Reports auditory hallucinations most nights.", PSYCHOSIS) is True


@pytest.mark.parametrize(("said", "path"), [
    ("Neurosurgery reviewed the MRI and does not recommend revision of the fusion.", "clinical.surgery_indicated"),
    ("Spine surgery sees no role for decompression at this time.", "clinical.surgery_indicated"),
    ("Planned entry site clean and dry.", "clinical.findings.local_infection"),
    ("Back: no erythema over the planned insertion site.", "clinical.findings.local_infection"),  # one sign
    ("Not anticoagulated.", "clinical.findings.coagulopathy"),
], ids=["does-not-recommend-surgery", "no-role-for-decompression", "site-clean-and-dry", "no-erythema-at-the-site",
        "not-anticoagulated"])
def test_a_negative_statement_is_the_fact_false(said, path):
    assert one(PAIN + said, path) is False


def test_the_word_it_does_not_make_a_stimulators_relief_the_drug_trials():
    text = TRIAL + "A spinal cord stimulator was explanted in 2024; at its best it gave him only 30% relief."
    assert values(text, "clinical.trial_result.pain_reduction_percent") == []


def test_a_percentage_nearer_the_drug_trial_than_a_stimulator_is_the_trials():
    text = PAIN + "Assessment: positive intrathecal morphine trial - 60% relief - after PT, SCS and opioids failed."
    assert one(text, "clinical.trial_result.pain_reduction_percent") == 60


def test_pain_for_roughly_four_years_is_an_onset_four_years_back():
    assert one("Low back pain, present for roughly 4 years.", "clinical.pain_onset") == "2021-07-14"


def test_pain_since_a_month_of_this_year_is_that_months_last_day():
    assert one("Hip pain since about April of this year.", "clinical.pain_onset") == "2025-04-30"


def test_pain_since_a_month_of_last_year_is_in_the_year_before():
    assert one("Hip pain since March of last year.", "clinical.pain_onset") == "2024-03-31"


SUBSTANCE = "clinical.substance_use"


def test_a_list_ending_in_other_drugs_is_no_substance_use():
    assert one(PAIN + "No tobacco, cannabis, or other drugs.", SUBSTANCE) == "none"


def test_remote_stimulant_use_is_history_even_beside_current_drinking():
    text = PAIN + "Remote cocaine use in his twenties; clean since 2012. Currently drinks 6 beers a night."
    assert values(text, SUBSTANCE) == ["history", "active"]


def test_counted_heavy_drinking_is_active_use():
    assert one(PAIN + "He drinks 4-6 beers most evenings.", SUBSTANCE) == "active"


def test_light_drinking_is_not_substance_use():
    assert values(PAIN + "Two beers on weekends.", SUBSTANCE) == []


def test_ortho_spine_saying_no_surgical_candidate_is_an_orthopedic_evaluation():
    text = PAIN + "Ortho spine saw her 02/2025: not a surgical candidate."
    got = one(text, "clinical.evaluations[]")
    assert got["specialty"] == "orthopedic_surgery" and got["result"] == "other_treatments_failed"
    assert got["date"] == "2025-02-28"


def test_a_surgeon_not_recommending_surgery_concludes_other_treatments_failed():
    text = PAIN + "Neurosurgery (08/12/2025) is not recommending further surgery."
    assert one(text, "clinical.evaluations[]")["result"] == "other_treatments_failed"


def test_a_hyphenated_temporary_catheter_is_the_trials_method():
    text = TRIAL + "A temporary-catheter intrathecal morphine trial was completed."
    assert one(text, "clinical.trial_result.method") == "temporary_catheter"


def test_48_hours_on_the_unit_is_two_observation_days():
    text = TRIAL + "He spent 48 hours on the step-down unit after the intrathecal trial catheter was placed."
    assert one(text, "clinical.trial_result.observation_days") == 2


def test_a_parenthesis_after_the_dose_is_the_items_own_outcome():
    text = PAIN + "Medications: Cymbalta 60 mg for four months without benefit, meloxicam 15 mg (GI upset, stopped)."
    got = {f.value["type"]: f.value["outcome"] for f in facts(text, TX)}
    assert got["nsaids"] == "intolerable_side_effects" and got["oral_nonopioid_analgesics"] == "failed"


def test_a_parenthesis_after_a_stated_outcome_does_not_override_it():
    text = PAIN + "Dorsal column stimulator trial in 2021 was unsuccessful (30% relief), so no implant."
    assert one(text, TX)["outcome"] == "failed"


def test_a_course_cut_short_because_it_flared_the_pain_was_not_completed():
    text = PAIN + "He did 12 visits of PT, cut short because every session flared his leg pain."
    assert one(text, TX)["outcome"] == "unable_to_complete"


def test_without_meaningful_relief_does_not_negate_the_next_drug():
    text = PAIN + "Gabapentin for a year without meaningful relief, and duloxetine, stopped for nausea."
    got = {f.value["type"]: f for f in facts(text, TX)}
    assert got["oral_nonopioid_analgesics"].value["outcome"] == "failed"
    assert "negated" not in got["oral_nonopioid_analgesics"].modifier_names


def test_heat_packs_are_ice_and_heat():
    assert one(PAIN + "Heat packs at home did not help.", TX)["type"] == "ice_heat"


def test_a_standing_frame_program_is_a_home_exercise_program():
    assert one(PAIN + "Daily standing frame program with his mother, ongoing.", TX)["type"] == "home_exercise_program"


def test_a_drug_that_barely_touches_the_pain_failed():
    assert one(PAIN + "Tramadol 50 mg barely touches the pain.", TX)["outcome"] == "failed"


def test_relief_lasting_under_a_week_each_time_is_a_failure():
    text = PAIN + "Two lumbar ESIs in 2024, each lasting under a week."
    assert one(text, TX)["outcome"] == "failed"


def test_still_uses_a_tens_unit_is_ongoing():
    assert one(PAIN + "She still uses the TENS unit nightly.", TX)["outcome"] == "ongoing"


def test_did_not_want_to_attend_therapy_is_refused():
    assert one(PAIN + "He did not want to attend physical therapy.", TX)["outcome"] == "refused"


def test_palpitations_on_a_drug_are_a_side_effect():
    text = PAIN + "Nortriptyline stopped after 3 weeks, palpitations."
    assert one(text, TX)["outcome"] == "intolerable_side_effects"


def test_not_feasible_given_a_condition_is_contraindicated():
    text = PAIN + "NSAIDs not feasible given stage 4 CKD."
    assert one(text, TX)["outcome"] == "contraindicated"


def test_the_title_ms_is_not_multiple_sclerosis():
    text = "Ms. Rivera returns for follow-up of her spasticity after a stroke."
    assert values(text, "clinical.spasticity.origin") == ["cerebral"]


def test_ms_in_capitals_is_multiple_sclerosis():
    text = "Secondary progressive MS with severe lower-extremity spasticity."
    assert values(text, "clinical.spasticity.origin") == ["spinal"]


SURGERY = "clinical.surgery_indicated"


@pytest.mark.parametrize("said", [
    "Neurosurgery 10/2025: decompression/fusion not advised given cardiomyopathy.",
    "Her spine surgeon advised against decompression and fusion.",
    "Spine surgery reviewed the MRI: not a revision candidate.",
    "Hand surgery saw him: not a surgical problem.",
    "Orthopedics has nothing further to offer surgically.",
    "Neurosurgery agrees: nothing operative is indicated.",
    "No orthopedic or neurosurgical procedure would address diffuse tone.",
    "HPB surgery reviewed the CT: no drainage or resection procedure recommended.",
    "Pancreatic adenocarcinoma, unresectable, with celiac plexus invasion.",
])
def test_ways_of_saying_surgery_is_not_indicated(said):
    assert values(PAIN + said, SURGERY) == [False]


def test_a_candidate_for_a_named_operation_is_surgery_indicated():
    text = PAIN + "Hepatobiliary surgery: he is a candidate for total pancreatectomy with islet autotransplant."
    assert values(text, SURGERY) == [True]


def test_a_header_the_rules_do_not_know_ends_the_family_history():
    text = ("FHx: son w/ schizophrenia.\n\nEVALUATIONS\n"
            "Psychology 11/20/2025: cleared for IT therapy; denies SI.\n")
    assert [e["result"] for e in values(text, "clinical.evaluations[]")] == ["cleared"]
    assert values(text, "clinical.psychiatric.active_psychosis") in ([], [False])


def test_rather_than_negates_what_follows():
    text = PAIN + "Site check: erythema at the catheter dressing, adhesive irritation rather than infection."
    assert values(text, "clinical.findings.local_infection") in ([], [False])
    text = PAIN + "Site check: erythema and purulent drainage at the incision, an infection rather than irritation."
    assert values(text, "clinical.findings.local_infection") == [True]


SUBSTANCE = "clinical.substance_use"


@pytest.mark.parametrize(("said", "value"), [
    ("Quit drinking in 2009 after a DUI, active in AA, no relapse.", "history"),
    ("h/o cannabis use, quit 2019.", "history"),
    ("She quit the cannabis gummies in 10/2025.", "history"),
    ("Cannabis use, in remission since 10/2025.", "history"),
    ("Cannabis use, daily.", "active"),
    ("No other drug use.", "none"),
    ("AUDIT-C 1, no hazardous drinking.", "none"),
    ("She does not drink and has never used drugs.", "none"),
])
def test_ways_of_saying_substance_use(said, value):
    assert values(PAIN + said, SUBSTANCE) == [value]


def test_a_negative_screen_after_a_semicolon_does_not_negate_what_comes_before():
    text = PAIN + ("She does not drink and has never used drugs; UDS 10/29/24 was negative for non-prescribed "
                   "substances.")
    assert values(text, SUBSTANCE) == ["none"]


@pytest.mark.parametrize("said", [
    "T12 kyphoplasty 07/2024 helped for about six weeks, then the ache came back.",
    "s/p L4-S1 TLIF 03/2021 that helped the leg for a few months only.",
    "s/p L1 kyphoplasty 04/2024 with little lasting benefit.",
    "Aquatic PT x8 wks in 2024, minimal gain.",
    "s/p ESI x4 (last 11/2023) - relief measured in days.",
    "Percutaneous SCS trial 06/2023: <30% relief, not implanted.",
])
def test_relief_that_did_not_last_is_a_failure(said):
    assert one(PAIN + said, TX)["outcome"] == "failed"


@pytest.mark.parametrize(("said", "start", "end"), [
    ("PT x16 visits Jan-Mar 2024, no durable gain.", "2024-01-31", "2024-03-31"),
    ("PT x 10 wks Sept-Nov 2025: no durable benefit.", "2025-09-30", "2025-11-30"),
    ("Aquatic therapy Nov-Feb 2025, no benefit.", "2024-11-30", "2025-02-28"),
    ("PT x8 wks (10-12/2025) for balance - pain unchanged.", "2025-10-31", "2025-12-31"),  # the months in numbers
    ("6 wks of aquatic PT (04-05/2025), also without benefit.", "2025-04-30", "2025-05-31"),
])
def test_a_range_of_months_in_one_year_dates_the_course(said, start, end):
    course = one(PAIN + said, TX)
    assert (course["start"], course["end"]) == (start, end)


@pytest.mark.parametrize(("said", "before", "after"), [
    ("Intrathecal morphine trial: VAS 9/10 pre -> 3/10 on day 3.", 9, 3),
    ("Intrathecal trial: daily VAS went from 8/10 at baseline to 2/10 on day 3.", 8, 2),
    ("Intrathecal trial outcome: pre-injection NRS 7/10, best post-injection NRS 4/10.", 7, 4),
])
def test_trial_scores_as_the_fifth_writers_wrote_them(said, before, after):
    trial = "clinical.trial_result"
    assert (values(said, f"{trial}.pain_before"), values(said, f"{trial}.pain_after")) == ([before], [after])


def test_depression_not_currently_treated_is_untreated():
    text = PAIN + "PMH: Major depressive disorder, not currently treated."
    assert values(text, "clinical.psychiatric.untreated_major_depression") == [True]


def test_a_negative_phq2_screen_is_no_untreated_depression():
    assert values(PAIN + "Screening: PHQ-2 = 0.", "clinical.psychiatric.untreated_major_depression") == [False]
    assert values(PAIN + "Screening: PHQ-2 = 4.", "clinical.psychiatric.untreated_major_depression") == []


@pytest.mark.parametrize("said", [
    "Exam: adequate abdominal wall tissue in the right lower quadrant for a reservoir.",
    "Body habitus adequate for the pump.",
])
def test_tissue_enough_for_the_reservoir_is_adequate_body_size(said):
    assert values(PAIN + said, "clinical.findings.insufficient_body_size") == [False]


@pytest.mark.parametrize(("said", "onset"), [
    ("Axial LBP with burning down the R lateral calf into the dorsum of the foot, constant since the March 2020 "
     "fusion.", "2020-03-31"),
    ("Pain history: low back pain since a lifting injury at the warehouse in 2019, attended PT.", "2019-12-31"),
    ("Burning and allodynia of the L hand since a crush injury + ORIF of the L wrist in 01/2023.", "2023-01-31"),
])
def test_a_long_description_of_the_pain_before_since_its_onset(said, onset):
    assert values(said, "clinical.pain_onset") == [onset]


def test_a_negative_phq_screen_is_no_untreated_depression():
    assert values(PAIN + "PHQ-2 negative.", "clinical.psychiatric.untreated_major_depression") == [False]


def test_trial_scores_without_the_scale():
    text = "Intrathecal morphine trial outcome: average pain 8 -> 2 by day 3, i.e. 75% less pain."
    trial = "clinical.trial_result"
    assert (values(text, f"{trial}.pain_before"), values(text, f"{trial}.pain_after")) == ([8], [2])


def test_side_effects_tolerable_overall():
    text = ("Intrathecal morphine trial.\nAdverse effects: facial itching on day 1, settled after one dose of "
            "nalbuphine. Tolerable overall. No respiratory depression.")
    assert values(text, "clinical.trial_result.side_effects") == ["tolerable"]


@pytest.mark.parametrize("said", [
    "Neurosurgery (Dr. Q. Fabric, 08/12/2025) does not think revision or extension of the fusion would help and is "
    "not recommending further surgery.",
    "From a neurosurgical standpoint, I do not recommend further spinal surgery.",
    "No structural target for further surgery: no instability, hardware intact.",
    "Spine surgery does not recommend extension of the fusion.",
])
def test_a_surgeon_who_does_not_recommend_surgery(said):
    assert values(PAIN + said, SURGERY) == [False]


def test_each_row_of_a_table_is_its_own_sentence():
    text = (PAIN + "Treatment | Dates | Result\n"
            "Hand OT with desensitization | 01/2023 - 07/2023 | no lasting change\n"
            "Tramadol 50 mg q6h PRN | since 03/2024 | partial help, continues\n")
    found = {f["type"]: f for f in values(text, TX)}
    assert found["occupational_therapy"]["outcome"] == "failed"
    assert (found["occupational_therapy"]["start"], found["occupational_therapy"]["end"]) == ("2023-01-31",
                                                                                             "2023-07-31")
    assert found["systemic_opioids"]["outcome"] == "ongoing"


def test_a_course_to_the_present_starts_at_its_date():
    course = one(PAIN + "Home exercise program daily, 03/2024 to present, continuing.", TX)
    assert course["start"] == "2024-03-31" and "end" not in course


def test_inadequate_relief_before_the_drug_is_a_failure():
    assert one(PAIN + "Inadequate relief with transdermal fentanyl.", TX)["outcome"] == "failed"


def test_weeks_of_relief_then_back_to_baseline_is_a_failure():
    text = PAIN + "Celiac plexus block x2 (2023, 2024) - 2 to 3 wks relief each, then back to baseline."
    assert one(text, TX)["outcome"] == "failed"


def test_a_drug_said_to_be_current_is_ongoing():
    assert one(PAIN + "Nortriptyline 25 mg qhs, current.", TX)["outcome"] == "ongoing"


def test_a_course_that_ended_last_month():
    text = PAIN + "Pain psychology: 6 CBT sessions that ended last month; copes better, pain unchanged."
    course = next(f.value for f in extract_note(text, dt.date(2025, 6, 20)).facts if f.path == TX)
    assert course["end"] == "2025-05-31"


def test_a_surgery_is_dated_by_its_own_dates_not_the_next_items():
    text = PAIN + ("s/p L4-S1 TLIF 03/2021 that helped the leg for a few months only, s/p ESI x4 (last 11/2023) - "
                   "relief.")
    surgery = next(t for t in values(text, TX) if t["type"] == "spine_surgery")
    assert (surgery["start"], surgery["end"]) == ("2021-03-31", "2021-03-31")


def test_a_condition_a_pump_could_help_is_there():
    text = "He asks whether an implanted drug delivery system could help his postherpetic neuralgia."
    assert values(text, "clinical.pain_etiology") == ["postherpetic neuralgia"]


@pytest.mark.parametrize(("said", "score"), [
    ("Modified Ashworth (R): elbow flexors 2, wrist flexors 1+, hip adductors 2, knee extensors 3.", 3),
    ("Tone remains high, MAS up to 3 in the leg.", 3),
])
def test_ashworth_by_side_and_up_to(said, score):
    assert values("Spasticity clinic: spastic hemiparesis after stroke. " + said, "clinical.spasticity.ashworth") == \
        [score]


def test_an_abscess_away_from_the_site_is_an_infection_elsewhere():
    found = facts(PAIN + "Dental abscess lower L molar, on amoxicillin.", "clinical.findings.active_infection")
    assert [f.value for f in found] == [True]
    assert values(PAIN + "Dental abscess lower L molar.", "clinical.findings.local_infection") == []
    assert values(PAIN + "Small abscess at the incision.", "clinical.findings.local_infection") == [True]


@pytest.mark.parametrize("between", ["\n\nCONSERVATIVE TX (records attached)\n", "\n\n"])
def test_a_family_history_line_does_not_reach_the_next_paragraph(between):
    text = "FHx: son w/ schizophrenia." + between + "- PT 2x/wk 03/2025-06/2025: no durable benefit\n"
    assert one(text, TX)["outcome"] == "failed"


@pytest.mark.parametrize(("said", "value"), [
    ("Cocaine use - active.", "active"),
    ("He has not used cocaine since 09/2024.", "history"),
])
def test_substance_use_dashed_and_not_since(said, value):
    assert values(PAIN + said, SUBSTANCE) == [value]


@pytest.mark.parametrize(("said", "value"), [
    ("Sacral neuromodulator (InterStim, implanted 2021) for urinary retention.", [True]),
    ("No pacemaker, neurostimulator or other implanted device.", [False]),
    ("SCS trial 2023 failed, explanted.", []),
])
def test_other_programmable_implants(said, value):
    assert values(PAIN + said, "clinical.findings.other_programmable_implant") == value


def test_an_imaging_report_of_what_it_did_not_find_is_normal():
    text = PAIN + ("MRI thoracic spine 02/2024 - no cord signal change, no foraminal stenosis, no structural lesion "
                   "that would account for the pain.")
    assert values(text, "clinical.pathology_confirmed") == [False]


def test_a_mild_phq9_is_no_untreated_major_depression():
    assert values(PAIN + "PHQ-9 6 today.", "clinical.psychiatric.untreated_major_depression") == [False]
    assert values(PAIN + "PHQ-9 16 today.", "clinical.psychiatric.untreated_major_depression") == []


def test_the_trial_a_plan_describes_has_not_happened():
    text = ("Chronic low back pain, FBSS.\n\nPlan:\n- Intrathecal trial: single bolus of Infumorph 0.2 mg with "
            "overnight observation.\n- Patient wishes to proceed with the trial.\n")
    assert values(text, "clinical.trial_result.method") == []
    assert values(text, "clinical.trial_result.observation_days") == []


def test_a_list_of_treatments_that_all_failed_gives_each_the_failure():
    text = PAIN + ("Good relief with the trial, mild side effects - after physical therapy, acupuncture, gabapentin "
                   "and tramadol all failed.")
    assert sorted((v["type"], v["outcome"]) for v in values(text, TX)) == [
        ("oral_nonopioid_analgesics", "failed"), ("other", "failed"), ("physical_therapy", "failed"),
        ("systemic_opioids", "failed")]


@pytest.mark.parametrize(("said", "specialty"), [
    ("Palliative care (Dr. A. Example) saw her on 03/02/2025 and agrees the oral options are exhausted.", "other"),
    ("Pain medicine saw him 03/02/2025 and agrees that systemic options are exhausted.", "pain_management"),
])
def test_a_service_that_saw_the_member_and_agrees_is_a_specialist_evaluation(said, specialty):
    assert one(PAIN + said, "clinical.evaluations[]") == {
        "type": "specialist", "specialty": specialty, "date": "2025-03-02", "result": "other_treatments_failed"}


def test_a_specialist_who_agrees_with_itb_finds_the_other_treatments_failed():
    got = one("Spasticity after stroke. Neurosurgery saw him 05/2025: agrees with ITB.", "clinical.evaluations[]")
    assert got["result"] == "other_treatments_failed"


def test_two_services_of_no_named_specialty_are_two_evaluations():
    text = PAIN + ("Vascular surgery reviewed: no surgical options. Palliative care saw him and agrees the systemic "
                   "options are exhausted.")
    assert len(values(text, "clinical.evaluations[]")) == 2


def test_a_local_infection_that_cleared_is_none_now():
    assert values(PAIN + "The cellulitis over the flank cleared after the antibiotic course.",
                  "clinical.findings.local_infection") == [False]


def test_a_without_before_and_a_new_verb_does_not_negate_it():
    text = TRIAL + "By day 2 she walked to the lobby without stopping for pain, and showered on her own."
    assert values(text, "clinical.trial_result.adl_improved") == [True]


def test_a_finding_in_a_sentence_about_another_device_is_that_devices():
    text = PAIN + "Femoral nerve catheter running; the catheter site is without redness or signs of infection."
    assert values(text, "clinical.findings.active_infection") == []
    assert values(text, "clinical.findings.local_infection") == []


def test_an_evaluation_that_is_still_needed_has_not_happened():
    text = PAIN + "She seems an appropriate candidate for a pump; a psychology evaluation is required beforehand."
    assert values(text, "clinical.evaluations[]") == []


def test_none_lasting_after_a_series_is_its_outcome_not_a_negation():
    assert one(PAIN + "Caudal ESI x2 last year, none lasting beyond ten days.", TX)["outcome"] == "failed"


@pytest.mark.parametrize("said", ["Heat/ice at home: no lasting effect.", "Ice / heat at home without lasting effect."])
def test_heat_and_ice_written_with_a_slash(said):
    assert one(PAIN + said, TX) == {"type": "ice_heat", "outcome": "failed"}


def test_a_surgery_named_as_when_another_treatment_began_is_no_outcome_of_it():
    got = values(PAIN + "Facet blocks x3 since the laminectomy, each lasting under a week.", TX)
    assert [v["type"] for v in got] == ["nerve_block"]


@pytest.mark.parametrize("said", [
    "Hydrocodone 5 mg q6h since 03/2025: partial relief only.",
    "Hydrocodone 5 mg q6h gave only partial relief.",
    "Naproxen 500 PRN - nothing.",
    "Capsaicin cream for 6 weeks: no help.",
    "Lumbar fusion 2019 and laminectomy 2021, neither relieved the back pain.",
    "Tapentadol 100 mg BID, no longer controlling the pain.",
    "L5-S1 fusion in 2020; the pain persisted.",
    "Tramadol takes the edge off, no better overall.",
    "The back pain did not improve after his fusion.",
])
def test_more_ways_of_saying_a_treatment_failed(said):
    assert {v["outcome"] for v in values(PAIN + said, TX)} == {"failed"}


@pytest.mark.parametrize(("said", "kind"), [
    ("Home stretching daily with her mother.", "home_exercise_program"),
    ("She sees a counselor every other week.", "behavioral_therapy"),
    ("Ice packs nightly to the low back.", "ice_heat"),
])
def test_a_home_program_or_therapy_said_with_how_often_goes_on(said, kind):
    assert one(PAIN + said, TX) == {"type": kind, "outcome": "ongoing"}


@pytest.mark.parametrize("said", ["Medial branch blocks x2, 3-4 weeks of benefit each.",
                                  "Vertebroplasty 02/2024: about six weeks of benefit."])
def test_weeks_of_benefit_are_a_treatment_that_wore_off(said):
    assert one(PAIN + said, TX)["outcome"] == "failed"


@pytest.mark.parametrize(("said", "value"), [
    ("Ortho spine offered him an L4-5 decompression.", [True]),
    ("Neurosurgery: the fusion is no longer recommended.", [False]),
    ("Her surgeon no longer recommends extending the fusion.", [False]),
    ("He is not a candidate for a Whipple.", [False]),
])
def test_surgery_offered_or_no_longer_recommended(said, value):
    assert values(PAIN + said, "clinical.surgery_indicated") == value


@pytest.mark.parametrize("said", [
    "A laminectomy was recommended; she has declined it.",
    "Decompression was offered and refused by the patient.",
    "He continues to decline an operation.",
    "She keeps refusing the fusion.",
])
def test_a_refused_surgery_said_with_a_pronoun_or_a_passive(said):
    assert values(PAIN + said, "clinical.surgery_refused") == [True]


def test_declining_it_in_a_sentence_about_no_surgery_is_no_refused_surgery():
    assert values(PAIN + "Physical therapy was offered; she has declined it.", "clinical.surgery_refused") == []


def test_a_surgery_that_would_be_offered_is_not_offered():
    assert values(PAIN + "If she changes her mind, we would offer a decompression.", "clinical.surgery_indicated") == []


def test_a_finding_after_a_semicolon_in_a_study_report_is_pathology():
    found = facts(PAIN + "MRI L-spine 03/2025: solid fusion; epidural fibrosis around the left S1 root.",
                  "clinical.pathology_confirmed")
    assert [(f.value, f.text) for f in found] == [(True, "epidural fibrosis around the left S1 root")]


def test_increased_uptake_on_a_bone_scan_is_pathology():
    text = "Chronic hand pain. Three-phase bone scan 02/2024 showed increased periarticular uptake in the wrist."
    assert values(text, "clinical.pathology_confirmed") == [True]


@pytest.mark.parametrize("said", ["Metastatic hormone-refractory breast cancer with bone pain.",
                                  "Stage IV non-small cell lung cancer, pain in the ribs.",
                                  "Metastatic NSCLC with rib pain."])
def test_a_cancer_named_with_hyphenated_words_or_as_nsclc(said):
    assert values(said, "clinical.pain_etiology") == ["cancer"]


def test_a_cause_of_pain_in_the_past_medical_history_is_named():
    text = "Pain clinic consult.\n\nPMH: chronic alcoholic pancreatitis, hypertension.\n"
    assert values(text, "clinical.pain_etiology") == ["chronic pancreatitis"]


@pytest.mark.parametrize(("said", "value"), [
    ("Atrial fibrillation, anticoagulated on apixaban.", [True]),
    ("DVT in 2023, treated for 3 months and no longer anticoagulated.", [False]),
    ("She is not taking anticoagulants.", [False]),
    ("Apixaban completed 02/2025.", [False]),
    ("No bleeding history.", [False]),
])
def test_anticoagulation_now_or_ended_and_a_bleeding_history(said, value):
    assert values(PAIN + said, "clinical.findings.coagulopathy") == value


def test_a_relative_named_in_a_parenthesis_is_only_that_asides():
    text = PAIN + "No pacemaker or other implanted device (her brother has a pacemaker)."
    assert values(text, "clinical.findings.other_programmable_implant") == [False]


@pytest.mark.parametrize("said", ["No other implanted programmable device.",
                                  "The insulin pump is external; it is not an implanted programmable device."])
def test_no_implanted_programmable_device(said):
    assert values(PAIN + said, "clinical.findings.other_programmable_implant") == [False]


@pytest.mark.parametrize(("said", "value"), [
    ("Since the last visit she started escitalopram with her PCP.", [False]),
    ("He began Cymbalta through his PCP and sees a counselor weekly.", [False]),
    ("Mood low. She declines an antidepressant for now.", [True]),
    ("Depression, PHQ-9 17 - declines meds.", [True]),
])
def test_an_antidepressant_started_or_declined(said, value):
    assert values(PAIN + said, "clinical.psychiatric.untreated_major_depression") == value


def test_an_antidepressant_started_then_stopped_is_no_treatment():
    text = PAIN + "She was started on sertraline in May, stopped it in July because of nausea."
    assert values(text, "clinical.psychiatric.untreated_major_depression") == []


@pytest.mark.parametrize("said", ["Heavy drinking in his twenties; no alcohol since 2018.",
                                  "H/o alcohol misuse, none since 2016."])
def test_none_since_a_year_is_a_history_of_use(said):
    assert values(PAIN + said, SUBSTANCE) == ["history"]


@pytest.mark.parametrize(("said", "value"), [
    ("Response: favorable.", ["favorable"]),
    ("Response clearly favorable.", ["favorable"]),
    ("The therapist and I judged the response favorable.", ["favorable"]),
    ("Response unfavorable.", ["unfavorable"]),
])
def test_a_test_dose_response_stated_on_its_own(said, value):
    text = "Spasticity clinic: ITB screening. Tone fell from 4 to 1 at 4 hours. " + said
    assert values(text, "clinical.spasticity.test_dose_response") == value


def test_trial_scores_with_an_arrow_and_no_scale():
    text = TRIAL + "Summary: NRS 7 -> 2 by the last day of the trial."
    assert values(text, "clinical.trial_result.pain_before") == [7]
    assert values(text, "clinical.trial_result.pain_after") == [2]


@pytest.mark.parametrize("said", ["Assessment: positive trial, 60% relief with better walking and self-care.",
                                  "Assessment: positive trial with clear gains in walking and self-care."])
def test_better_walking_and_self_care_after_a_trial(said):
    text = TRIAL + said
    assert values(text, "clinical.trial_result.function_improved") == [True]
    assert values(text, "clinical.trial_result.adl_improved") == [True]


def test_function_better_after_a_trial():
    assert values(TRIAL + "Positive trial. Function better (walking distance).",
                  "clinical.trial_result.function_improved") == [True]


def test_unresponsive_to_oral_baclofen_is_its_own_not_the_next_drugs_intolerance():
    text = "Spasticity after SCI. Unresponsive to 30 weeks of oral baclofen and intolerant of tizanidine."
    assert values(text, "clinical.spasticity.oral_response") == ["unresponsive"]


@pytest.mark.parametrize("said", ["NSAIDs avoided after a GI bleed in 2021.",
                                  "NSAIDs avoided: history of a bleeding ulcer."])
def test_a_treatment_avoided_after_a_harm_is_contraindicated(said):
    assert one(PAIN + said, TX)["outcome"] == "contraindicated"


@pytest.mark.parametrize("said", ["Chiropractic adjustments made her worse, so she quit.",
                                  "Chiropractic x4 visits: stopped, flares after each adjustment."])
def test_a_treatment_quit_because_it_made_the_pain_worse_was_not_completed(said):
    assert one(PAIN + said, TX)["outcome"] == "unable_to_complete"


def test_an_evaluations_date_is_its_own_not_an_earlier_lines():
    text = PAIN + ("CBT x8, finished 05/2025, copes better\n"
                   "Neurosurgery (Dr. A. Example, 06/20/2025) sees no surgical target.")
    assert one(text, "clinical.evaluations[]")["date"] == "2025-06-20"


@pytest.mark.parametrize("said", ["Spine surgery 03/2025: offered an L3-4 extension of the fusion.",
                                  "Hepatobiliary surgery 03/2025 - she is a candidate for total pancreatectomy."])
def test_a_surgeon_who_offers_an_operation_leaves_other_options(said):
    assert one(PAIN + said, "clinical.evaluations[]")["result"] == "other_options_remain"


def test_a_denied_list_ending_in_other_drug_use_is_no_use():
    assert values(PAIN + "Denies tobacco, cannabis or other drug use.", SUBSTANCE) == ["none"]


def test_a_family_history_line_ends_at_the_next_labelled_line():
    text = PAIN + "\nFH: father with depression.\nPsych ROS: mood fair, denies SI/HI.\n"
    assert values(text, "clinical.psychiatric.suicidality") == [False]


def test_the_si_joint_is_no_suicidal_ideation():
    assert values(PAIN + "Tender over the right SI joint.", "clinical.psychiatric.suicidality") == []


@pytest.mark.parametrize("said", ["Tizanidine 4 mg qHS: too sedated to get up for work; stopped.",
                                  "Butrans patch tried in 2024 - severe skin reaction, removed.",
                                  "Pregabalin 75 mg BID stopped after ataxia.",
                                  "Gabapentin 600 mg TID stopped for cognitive fog."])
def test_more_side_effects_that_stopped_a_drug(said):
    assert {v["outcome"] for v in values(PAIN + said, TX)} == {"intolerable_side_effects"}


@pytest.mark.parametrize(("said", "onset"), [
    ("The burning pain began after a fall from a ladder at his brother's farm in June 2021.", "2021-06-30"),
    ("Symptoms started when she lifted a heavy patient at the nursing home in May 2023.", "2023-05-31"),
    ("Leg pain present since about March of this year.", "2025-03-31"),
])
def test_an_onset_told_with_its_event_or_about(said, onset):
    assert values(said, "clinical.pain_onset") == [onset]


def test_an_onset_stops_before_a_later_worsening():
    text = "Back pain has been present since her L1 fracture in October 2022 and acutely worsened after a fall in May."
    assert values(text, "clinical.pain_onset") == ["2022-10-31"]


def test_a_course_in_progress_is_ongoing():
    got = one(PAIN + "Aquatic therapy 2x/week - in progress.", TX)
    assert got == {"type": "physical_therapy", "outcome": "ongoing"}


# --- seventh session: outcomes as clinicians state them ---------------------------------------------------------

@pytest.mark.parametrize("said", ["Caudal ESI x2, relief < 10 days each.",
                                  "L4-5 medial branch blocks x2 - RELIEF < 24 HRS."])
def test_relief_shorter_than_a_stated_time_failed(said):
    assert one(PAIN + said, TX)["outcome"] == "failed"


@pytest.mark.parametrize("said", ["L5-S1 laminectomy, which never gave her relief.",
                                  "Oxycodone 10 mg q6h, which has not controlled the pain.",
                                  "Morphine ER 30 mg BID for a year - pain remains 8/10.",
                                  "Tapentadol 50 mg PRN: pain never below 6.",
                                  "Transforaminal ESI x2 gave 1-2 weeks each.",
                                  "Caudal ESI x3, each ~2 weeks of partial relief.",
                                  "Botox to the calves 03/2025: partial, short-lived."])
def test_relief_that_never_came_or_did_not_last_failed(said):
    assert one(PAIN + said, TX)["outcome"] == "failed"


@pytest.mark.parametrize("said", ["Pool therapy x6 sessions: stopped, pain worse after every session.",
                                  "Traction aggravated her back pain and was discontinued after two visits."])
def test_a_treatment_stopped_because_it_aggravated_the_pain_was_not_completed(said):
    assert one(PAIN + said, TX)["outcome"] == "unable_to_complete"


@pytest.mark.parametrize("said", ["Dorsal root ganglion stimulator trial 02/2025: patchy coverage, not implanted.",
                                  "Spinal cord stimulator trial 02/2025 gave about 25% relief."])
def test_a_stimulator_trial_not_implanted_failed_on_its_day(said):
    got = one(PAIN + said, TX)
    assert got == {"type": "other", "outcome": "failed", "start": "2025-02-28", "end": "2025-02-28"}


def test_a_trial_told_day_by_day_ends_at_its_last_days_score():
    text = TRIAL + "Baseline NRS 7/10.\nDay 1: 5/10; day 2: 4/10; day 3: 2/10.\n"
    assert values(text, "clinical.trial_result.pain_after") == [2]


def test_a_score_by_a_day_of_the_trial_is_its_result():
    assert values(TRIAL + "She reported 4/10 by day 3.", "clinical.trial_result.pain_after") == [4]


def test_a_baseline_with_its_date_and_an_aside_before_the_score():
    text = TRIAL + "Baseline 03/02 (before the catheter): NRS 7/10."
    assert values(text, "clinical.trial_result.pain_before") == [7]


@pytest.mark.parametrize("said", ["She declines the permanent pump.", "He does not wish to pursue a permanent pump."])
def test_a_pump_declined_after_the_trial_is_not_accepted(said):
    assert values(TRIAL + said, "clinical.trial_result.patient_accepts") == [False]


@pytest.mark.parametrize("said", ["Patient accepts the permanent implant.", "They want to move on to a permanent pump.",
                                  "Her parents want the pump."])
def test_a_pump_accepted_in_other_words(said):
    assert values(TRIAL + said, "clinical.trial_result.patient_accepts") == [True]


@pytest.mark.parametrize("said", ["Bathed without her husband's help on day 2.",
                                  "Pulled on her own socks and shoes without help.", "Donned his shoes independently.",
                                  "Regained independence in dressing."])
def test_more_self_care_gains_told(said):
    assert values(TRIAL + said, "clinical.trial_result.adl_improved") == [True]


def test_a_board_transfer_on_her_own_is_a_functional_gain():
    text = TRIAL + "Did a sliding-board transfer on her own for the first time."
    assert values(text, "clinical.trial_result.function_improved") == [True]


@pytest.mark.parametrize(("said", "value"), [("Mild positional headache on day 2, settled with fluids.", "minimal"),
                                             ("Minimal and transient side effects.", "minimal"),
                                             ("Itching and nausea were intolerable.", "intolerable")])
def test_more_trial_side_effects_as_said(said, value):
    assert values(TRIAL + said, "clinical.trial_result.side_effects") == [value]


def test_a_peak_relief_is_the_trials_percentage():
    assert values(TRIAL + "70% peak relief.", "clinical.trial_result.pain_reduction_percent") == [70]


def test_a_screening_bolus_dates_the_trial():
    assert values(TRIAL + "Screening bolus 04/03/2025.", "clinical.trial_result.date") == ["2025-04-03"]


def test_an_indented_line_in_words_is_a_list_item_a_negation_does_not_cross():
    text = TRIAL + "Today:\n  No nausea\n  Showered independently\n"
    assert values(text, "clinical.trial_result.adl_improved") == [True]


@pytest.mark.parametrize("said", ["Decompression remains the treatment of choice.",
                                  "An L4-5 laminectomy, with or without fusion, is indicated.",
                                  "Distal pancreatectomy would be a reasonable surgical option.",
                                  "L4-5 laminectomy recommended by neurosurgery.",
                                  "Dr. Example offered her an L2-3 extension of the fusion."])
def test_an_operation_the_surgeon_recommends_in_other_words(said):
    assert values(PAIN + said, "clinical.surgery_indicated") == [True]


@pytest.mark.parametrize("said", ["Spine surgery review: no role for surgical stabilization.",
                                  "Neurosurgery reviewed the MRI: no further surgery.",
                                  "No further endoscopic or surgical options."])
def test_no_operation_in_other_words(said):
    assert values(PAIN + said, "clinical.surgery_indicated") == [False]


def test_no_further_surgery_since_a_year_is_a_history_not_a_conclusion():
    assert values(PAIN + "No further surgery since 2019.", "clinical.surgery_indicated") == []


@pytest.mark.parametrize(("said", "onset"), [
    ("Leg pain that started about 6 months ago when the tumour recurred.", "2025-01-14"),
    ("Low back pain since a 2019 crush injury, worse with sitting.", "2019-12-31"),
])
def test_what_follows_an_onsets_time_is_not_a_change_in_the_pain(said, onset):
    assert values(said, "clinical.pain_onset") == [onset]


@pytest.mark.parametrize(("said", "onset"), [
    ("Her neck pain dates to a rear-end collision in April 2021.", "2021-04-30"),
    ("Over the past 3 months she has developed constant rib pain.", "2025-04-14"),
    ("Axial back pain persisting > 3 years.", "2022-07-14"),
])
def test_more_onsets_as_clinicians_tell_them(said, onset):
    assert values(said, "clinical.pain_onset") == [onset]


@pytest.mark.parametrize("said", ["Afebrile; no UTI symptoms; skin intact.",
                                  "She is without signs of systemic infection; the skin of the back is intact."])
def test_an_infection_named_by_its_organ_or_systemic_is_not_the_sites(said):
    text = PAIN + said
    assert values(text, "clinical.findings.active_infection") == [False]
    assert values(text, "clinical.findings.local_infection") == []


def test_no_signs_of_infection_over_the_back_is_the_sites():
    text = PAIN + "Exam: no signs of infection over the lower back."
    assert values(text, "clinical.findings.local_infection") == [False]


EVAL = "clinical.evaluations[]"


@pytest.mark.parametrize("said", ["Psychology saw him on 03/04/2025: no psychological contraindication to a trial.",
                                  "Pain psychology (Dr. Example, PsyD) evaluated him on 03/04/2025 and found no "
                                  "psychological contraindication to a trial."])
def test_no_psychological_contraindication_clears(said):
    assert one(PAIN + said, EVAL) == {"type": "mental_health", "result": "cleared", "date": "2025-03-04"}


def test_an_opinion_not_cleared_at_this_time():
    got = one(PAIN + "\nOpinion: NOT CLEARED at this time for an intrathecal trial.", EVAL)
    assert got["result"] == "not_cleared"


def test_a_surgeon_who_recommends_a_named_operation_leaves_other_options():
    got = one(PAIN + "\nNeurosurgery saw her in 05/2025 and recommended an L4-5 laminectomy.", EVAL)
    assert got == {"type": "specialist", "specialty": "neurosurgery", "result": "other_options_remain",
                   "date": "2025-05-31"}


@pytest.mark.parametrize("said", ["Neurosurgery reviewed the films; no further surgery.",
                                  "Neurosurgery review 04/2025: the fusion is no longer recommended."])
def test_a_surgeon_with_no_further_surgery_to_offer(said):
    assert one(PAIN + "\n" + said, EVAL)["result"] == "other_treatments_failed"


PATHOLOGY = "clinical.pathology_confirmed"


@pytest.mark.parametrize("said", ["Chronic left S1 radiculopathy with epidural fibrosis on MRI.",
                                  "Left L5 radiculopathy, EMG-confirmed 02/2025."])
def test_a_finding_named_before_the_study_that_showed_it(said):
    assert values(said, PATHOLOGY) == [True]


def test_no_change_in_a_finding_on_repeat_testing_is_the_finding():
    text = "Repeat EMG 2025: no change in the chronic right L5 radiculopathy pattern."
    assert values(text, PATHOLOGY) == [True]


def test_an_abnormal_autonomic_test_confirms_pathology():
    assert values("CRPS of the left hand. QSART 03/2024 abnormal on the left.", PATHOLOGY) == [True]


@pytest.mark.parametrize("said", ["CBT x8 sessions, completed: coping improved, pain unchanged.",
                                  "Acupuncture x6 helped her sleep but not the pain itself."])
def test_a_treatment_that_helped_something_else_but_not_the_pain_failed(said):
    assert one(PAIN + said, TX)["outcome"] == "failed"


def test_a_side_effect_with_the_drug_still_taken_is_ongoing():
    assert one(PAIN + "Amitriptyline 25 mg qhs - dry mouth but he keeps taking it.", TX)["outcome"] == "ongoing"


def test_unable_to_tolerate_progression_is_a_course_not_completed():
    got = one(PAIN + "Graded PT 2x/week: unable to tolerate progression because of flares.", TX)
    assert got["outcome"] == "unable_to_complete"


def test_a_device_abandoned_as_useless_failed():
    assert one(PAIN + "Home TENS used daily, then abandoned as useless.", TX)["outcome"] == "failed"


def test_a_rotation_dates_the_new_drugs_start():
    got = one(PAIN + "Methadone rotation 03/2025: QTc prolonged, stopped.", TX)
    assert (got["outcome"], got["start"]) == ("intolerable_side_effects", "2025-03-31")


def test_a_steroid_among_the_other_treatments_has_a_schedule():
    assert one(PAIN + "Dexamethasone 4 mg daily, ongoing.", TX) == {"type": "other", "outcome": "ongoing",
                                                                   "schedule": "fixed"}


def test_oral_morphine_is_a_systemic_opioid():
    got = one(PAIN + "Intolerant of oral morphine (itching).", TX)
    assert (got["type"], got["outcome"]) == ("systemic_opioids", "intolerable_side_effects")


@pytest.mark.parametrize("said", ["ERCP with pancreatic duct stenting 03/2024: benefit lasted under 2 months.",
                                  "Lateral pancreaticojejunostomy (Puestow) 2020: helped for less than a year.",
                                  "Frey procedure 05/2022: about a year of partial relief, then the pain returned.",
                                  "ESWL of pancreatic duct stones x2 - no appreciable change."])
def test_the_drainage_of_a_pancreas_and_relief_that_ended(said):
    got = one("Chronic pancreatitis. " + said, TX)
    assert (got["type"], got["outcome"]) == ("other", "failed")


@pytest.mark.parametrize(("said", "kind", "outcome"), [
    ("Palliative SBRT to T10 06/2025: no durable benefit.", "other", "failed"),
    ("Prednisone taper 04/2025: no change in pain.", "other", "failed"),
    ("Chiro x10 visits, short-lived relief only.", "chiropractic", "failed"),
    ("Pregabalin 50 mg TID: unsteadiness, stopped.", "oral_nonopioid_analgesics", "intolerable_side_effects"),
])
def test_more_treatments_named_as_clinicians_abbreviate_them(said, kind, outcome):
    got = one(PAIN + said, TX)
    assert (got["type"], got["outcome"]) == (kind, outcome)


def test_a_drug_a_urine_screen_found_is_not_a_treatment():
    text = PAIN + "Urine drug screen last month: negative (oxycodone present, as prescribed)."
    assert values(text, TX) == []
    assert values(text, "clinical.drug_screens[]")[0]["result"] == "negative"


@pytest.mark.parametrize("said", ["L5-S1 discectomy in 2016, persistent aching pain since.",
                                  'Lumbar fusion in 2018, and she says the back pain "never went away."'])
def test_a_surgery_the_pain_outlasted_failed(said):
    got = one(PAIN + said, TX)
    assert (got["type"], got["outcome"]) == ("spine_surgery", "failed")


def test_an_as_needed_drug_taken_so_many_a_day_goes_on():
    got = one(PAIN + "Tapentadol 50 mg PRN for breakthrough pain, 2-3 doses/day.", TX)
    assert (got["outcome"], got["schedule"]) == ("ongoing", "prn")


def test_thoughts_of_harming_oneself_denied_are_no_suicidality():
    got = facts(PAIN + "She denies thoughts of harming herself.", "clinical.psychiatric.suicidality")
    assert [(f.value, f.modifier_names) for f in got] == [(False, ["negated"])]


def test_abstinent_from_alcohol_since_a_year_is_a_history():
    text = PAIN + "He has been abstinent from alcohol since 2018, and his drug screens are negative."
    assert one(text, "clinical.substance_use") == "history"


def test_a_course_after_which_the_pain_is_same_failed():
    got = one(PAIN + "Relaxation training 6 weeks, finished 03/2025, sleeps better, pain same.", TX)
    assert got["outcome"] == "failed"


def test_stenosis_in_a_studys_report_is_pathology_not_the_named_cause():
    text = PAIN + "\nCT myelogram 03/2025 showed moderate L2-3 foraminal stenosis and a solid fusion.\n"
    assert values(text, "clinical.pain_etiology") == []
    assert values(text, "clinical.pathology_confirmed") == [True]


def test_a_diagnosis_whose_own_clause_states_the_origin_is_one_saying_of_it():
    text = "Spasticity clinic.\nDx: transverse myelitis (2019), leaving spasticity of spinal origin in both legs.\n"
    got = facts(text, "clinical.spasticity.origin")
    assert [(f.value, f.text) for f in got] == [("spinal", "spasticity of spinal origin")]


def test_a_service_named_for_a_diagnosis_is_not_the_members_diagnosis():
    text = "Seen in the spinal cord injury clinic for spasticity.\nHistory: left MCA stroke 06/2023, hemiparesis.\n"
    assert values(text, "clinical.spasticity.origin") == ["cerebral"]


def test_a_drug_whose_harm_makes_it_contraindicated_is_contraindicated():
    got = values(PAIN + "Ibuprofen: upper GI bleed in 2021, so NSAIDs are now contraindicated.", TX)
    assert [v["outcome"] for v in got] == ["contraindicated"]


def test_edema_control_as_what_a_therapy_works_on_is_no_side_effect():
    got = one(PAIN + "Hand OT for edema control and desensitization, 12 visits in 2024, no lasting benefit.", TX)
    assert (got["type"], got["outcome"]) == ("occupational_therapy", "failed")


def test_an_assessments_response_to_oral_baclofen_is_no_second_course():
    text = ("Spasticity clinic.\nHistory: oral baclofen 20 mg TID for 16 weeks, stopped for sedation.\n\n"
            "Assessment: spinal-origin spasticity, intolerant of oral baclofen.\n")
    got = facts(text, TX)
    assert [(f.value["outcome"], f.text.startswith("oral baclofen 20 mg")) for f in got] == [
        ("intolerable_side_effects", True)]
    assert values(text, "clinical.spasticity.oral_response") == ["intolerant", "intolerant"]


@pytest.mark.parametrize("said", ["TRAMADOL - PT DECLINED (FEARS DEPENDENCE).", "TRAMADOL OFFERED, DECLINED BY PT."])
def test_pt_in_capitals_beside_declined_is_the_patient(said):
    got = values("CHRONIC LOW BACK PAIN.\nTREATMENTS TRIED:\n" + said + "\n", TX)
    assert [v["type"] for v in got] == ["systemic_opioids"]


def test_a_drug_that_continues_then_helps_little_goes_on():
    got = one(PAIN + "Medications tried:\n- Gabapentin 300 mg TID, continuing, little benefit.\n", TX)
    assert got["outcome"] == "ongoing"


def test_how_many_times_a_week_a_drug_is_taken_is_no_onset():
    text = PAIN + "He takes oxycodone 5 mg for pain on bad days, up to four times a week."
    assert values(text, "clinical.pain_onset") == []


def test_hpb_surgery_named_with_its_surgeon_is_a_specialist_evaluation():
    text = PAIN + "HPB surgery (Dr. Q. Example, 03/2025) reviewed the MRCP: no resection is expected to help."
    got = one(text, "clinical.evaluations[]")
    assert (got["specialty"], got["date"], got["result"]) == ("other", "2025-03-31", "other_treatments_failed")


def test_hand_surgery_is_an_orthopedic_evaluation():
    text = "Chronic wrist pain, CRPS.\nHand surgery (Dr. Q. Example, 05/2025): healed, nothing further to offer."
    assert one(text, "clinical.evaluations[]")["specialty"] == "orthopedic_surgery"


def test_the_authors_own_opinion_is_an_evaluation_by_the_titles_specialty():
    text = ("ONCOLOGY FOLLOW-UP\nMetastatic lung cancer with rib pain.\n"
            "In my view the systemic and oral analgesic options are now exhausted.\n")
    got = one(text, "clinical.evaluations[]")
    assert got == {"type": "specialist", "specialty": "oncology", "result": "other_treatments_failed",
                   "date": DAY.isoformat()}


@pytest.mark.parametrize("said", ["I agree that the conservative measures have been used up.",
                                  "In my opinion there is no other reasonable noninvasive option.",
                                  "I do not think any further injections or oral agents are reasonable for him."])
def test_options_used_up_or_none_reasonable_is_other_treatments_failed(said):
    got = one("NEUROLOGY CONSULT\nPainful diabetic neuropathy.\n" + said + "\n", "clinical.evaluations[]")
    assert (got["specialty"], got["result"]) == ("neurology", "other_treatments_failed")


def test_a_dated_evaluation_and_a_later_undated_summary_are_two_sayings():
    text = (PAIN + "\nPsychology (Dr. A. Sample, PhD) evaluated him 04/10/2025 and cleared him for a trial.\n\n"
            "Assessment: failed back surgery syndrome. Psych clearance obtained.\n")
    got = values(text, "clinical.evaluations[]")
    assert [(v["result"], v.get("date")) for v in got] == [("cleared", "2025-04-10"), ("cleared", None)]


def test_a_specialist_who_sees_no_remaining_option_found_other_treatments_failed():
    text = PAIN + "\nNeurology (Dr. Q. Example, 02/2025) sees no remaining non-interventional option."
    assert one(text, "clinical.evaluations[]")["result"] == "other_treatments_failed"


@pytest.mark.parametrize("said", ["Dr. Q. Example (GI, 03/2025) saw her and felt she is not a candidate for resection.",
                                  "GI (Dr. Q. Example) saw her 03/2025 and felt she is not a candidate for resection."])
def test_gastroenterology_named_with_its_physician_is_a_specialist_evaluation(said):
    got = one("Chronic pancreatitis pain.\n" + said + "\n", "clinical.evaluations[]")
    assert (got["specialty"], got["result"], got["date"]) == ("other", "other_treatments_failed", "2025-03-31")


def test_no_further_endoscopic_or_surgical_option_is_other_treatments_failed():
    text = "Chronic pancreatitis pain.\nGI (Dr. Q. Example) 03/2025: no further endoscopic or surgical option.\n"
    assert one(text, "clinical.evaluations[]")["result"] == "other_treatments_failed"


def test_two_scores_a_comma_parts_are_two_situations_not_a_trials_course():
    text = TRIAL + "Pain history: today NRS 7/10, 9/10 by the evening.\n"
    assert values(text, "clinical.trial_result.pain_before") == []
    assert values(text, "clinical.trial_result.pain_after") == []


def test_a_negated_participle_in_the_item_before_does_not_negate_the_next_treatment():
    got = one(PAIN + "Tried: stimulator trial 2023 - failed, not implanted, TENS with no lasting relief.", TX)
    assert (got["type"], got["outcome"]) == ("tens", "failed")


def test_the_but_after_the_semicolon_clause_says_how_the_course_went():
    got = one(PAIN + "Aquatic therapy 2x/wk Feb-May 2024; he attended every session but the leg pain is unchanged.", TX)
    assert (got["outcome"], got["start"], got["end"]) == ("failed", "2024-02-29", "2024-05-31")


def test_a_month_after_abandoned_is_when_the_course_ended():
    got = one(PAIN + "Home traction unit tried, abandoned 02/2025 as unhelpful.", TX)
    assert (got["outcome"], got["end"]) == ("failed", "2025-02-28")


def test_dysthymia_is_read_as_depression():
    assert one(PAIN + "Dysthymia, on bupropion, stable.", "clinical.psychiatric.untreated_major_depression") is False


def test_a_mood_said_to_be_stable_is_no_untreated_depression():
    got = facts(PAIN + "His mood has been stable since the spring.", "clinical.psychiatric.untreated_major_depression")
    assert [f.value for f in got] == [False]


def test_cognition_said_to_be_adequate_is_not_compromised():
    assert one(PAIN + "Cognition appears adequate for consent.", "clinical.psychiatric.compromised_cognition") is False


def test_a_bare_refusal_is_of_the_surgery_the_sentence_before_names():
    text = PAIN + "\nOrtho spine offered an L4-5 fusion in 2024. Ms. Doe thought it over and has not changed her mind."
    assert values(text, "clinical.surgery_refused") == [True]


def test_continuing_to_decline_after_a_surgery_is_discussed_is_a_refusal():
    text = PAIN + "\nWe discussed that a decompression is still advised. He understands and continues to refuse."
    assert values(text, "clinical.surgery_refused") == [True]


def test_what_an_eus_confirmed_is_pathology_not_the_named_cause():
    text = "Epigastric pain.\nEUS 06/2024 confirmed changes of chronic pancreatitis with ductal stones.\n"
    assert values(text, "clinical.pain_etiology") == []


def test_a_drug_on_the_allergy_line_is_not_a_course_of_it():
    text = PAIN + "\nMeds: duloxetine 60 mg daily.\nAllergies: tramadol (vomiting), latex.\n"
    assert values(text, TX) == []


@pytest.mark.parametrize("said", ["Gabapentin 300 mg TID, dose unchanged since spring.",
                                  "Oxycodone 5 mg PRN unchanged, no escalation."])
def test_a_dose_left_unchanged_is_no_failure(said):
    assert values(PAIN + said, TX) == []


def test_a_specialist_named_with_the_physician_and_day_who_saw_the_member_is_an_evaluation():
    text = PAIN + "\nNeurology (Dr. Q. Example, 09/02/2025) reviewed the EMG with her."
    assert one(text, "clinical.evaluations[]") == {"type": "specialist", "specialty": "neurology", "date": "2025-09-02"}


def test_orthopedics_named_as_the_service_is_a_specialist_evaluation():
    text = PAIN + "\nOrthopedics (Dr. Q. Example, 04/2025) does not recommend further surgery."
    assert one(text, "clinical.evaluations[]")["specialty"] == "orthopedic_surgery"


def test_a_surgery_that_helped_for_a_while_before_the_pain_came_back_failed():
    text = PAIN + "\nShe had a laminectomy in 2021 that helped for about a year before the leg pain came back."
    assert one(text, TX)["outcome"] == "failed"


def test_a_drug_stopped_because_it_made_the_member_confused_was_intolerable():
    text = PAIN + "\nWe stopped the tapentadol last spring because it made him confused."
    assert one(text, TX)["outcome"] == "intolerable_side_effects"


def test_spine_surgery_named_with_an_ortho_spine_physician_is_an_orthopedic_evaluation():
    text = PAIN + "\nSpine surgery (Dr. Q. Example, ortho spine, 03/2025): not a candidate for further surgery."
    assert one(text, "clinical.evaluations[]")["specialty"] == "orthopedic_surgery"


def test_nothing_changed_with_a_treatment_is_a_failure():
    text = PAIN + "\nNothing changed with the home TENS unit she bought in the spring."
    assert one(text, TX)["outcome"] == "failed"


def test_a_treatment_whose_benefit_is_waning_failed():
    text = PAIN + "\nSI joint injections every 3 months since 2023, benefit now waning."
    assert one(text, TX)["outcome"] == "failed"


def test_a_course_without_a_meaningful_change_in_the_pain_failed():
    text = PAIN + "\nShe completed ten sessions of acupuncture without a meaningful change in her back pain."
    assert one(text, TX)["outcome"] == "failed"


def test_an_nsaid_stopped_with_the_kidney_named_after_it_is_contraindicated():
    text = PAIN + "\nCelecoxib 200 mg daily - discontinued, CKD stage 3b."
    assert one(text, TX)["outcome"] == "contraindicated"


def test_a_cast_abandoned_for_skin_breakdown_was_intolerable():
    text = PAIN + "\nSerial casting of the right ankle in the spring: skin breakdown at the heel, abandoned."
    assert one(text, TX)["outcome"] == "intolerable_side_effects"


def test_a_stimulator_explanted_for_a_wound_dehiscence_was_intolerable():
    text = PAIN + "\nSpinal cord stimulator implanted 2022, explanted for pocket dehiscence in 2023."
    assert one(text, TX)["outcome"] == "intolerable_side_effects"


def test_iv_dilaudid_by_pca_is_an_injectable_analgesic():
    text = PAIN + "\nIV Dilaudid PCA in hospital last month, stopped because of sedation."
    assert one(text, TX) == {"type": "injectable_analgesics", "outcome": "intolerable_side_effects"}


def test_from_a_surgical_standpoint_is_the_authors_own_specialist_opinion():
    text = ("NEUROSURGERY CONSULTATION\nChronic low back pain.\n"
            "From a surgical standpoint other options remain; he declines them.")
    got = one(text, "clinical.evaluations[]")
    assert (got["specialty"], got["result"]) == ("neurosurgery", "other_options_remain")


def test_a_sleep_benefit_beside_a_side_effect_is_no_benefit_for_the_pain():
    text = PAIN + "\nTizanidine 4 mg at bedtime - some sleep benefit, daytime sedation; stopped."
    assert one(text, TX)["outcome"] == "intolerable_side_effects"


def test_a_treatment_with_only_a_temporary_range_of_motion_gain_failed():
    text = PAIN + "\nSerial casting of both ankles last year gave a temporary range of motion gain."
    assert one(text, TX)["outcome"] == "failed"
