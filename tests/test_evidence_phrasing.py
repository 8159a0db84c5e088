"""Common clinical phrasings, one behaviour per test, in sentences of our own (written from how notes are usually
worded, not from corpus notes): negation cues beyond "no" and "denies", the words that date a course, trial scores."""

from __future__ import annotations

import datetime as dt

import pytest

from priorauth.evidence.extractor import extract_note

DAY = dt.date(2025, 11, 20)


def one(text: str, path: str):
    found = [f for note in [extract_note(text, DAY)] for f in note.facts if f.path == path]
    assert len(found) == 1, found
    return found[0]


def test_a_test_that_excluded_a_condition_negates_it():
    fact = one("Psychiatric screening excluded psychosis.", "clinical.psychiatric.active_psychosis")
    assert fact.value is False and [m.category for m in fact.modifiers] == ["negated"]


def test_a_condition_that_was_excluded_is_negated():
    fact = one("Active psychosis was excluded by the evaluating psychologist.", "clinical.psychiatric.active_psychosis")
    assert fact.value is False


def test_a_condition_that_cannot_be_excluded_is_not_negated():
    found = [f for f in extract_note("Psychosis cannot be excluded at this time.", DAY).facts
             if f.path == "clinical.psychiatric.active_psychosis"]
    assert all(f.value is not False for f in found), found


def test_neither_nor_negates_the_condition():
    fact = one("Neither depression nor anxiety was evident on exam.", "clinical.psychiatric.untreated_major_depression")
    assert fact.value is False


def test_discontinued_in_a_year_ends_the_course_that_year():
    fact = one("Duragesic was discontinued in 2023 because of sedation.", "clinical.treatments[]")
    assert fact.value.get("end") == "2023-12-31", fact.value


def test_prior_to_the_trial_gives_the_pain_before():
    fact = one("Intrathecal morphine trial 10/14/2025. Prior to the trial her pain was 8/10.",
               "clinical.trial_result.pain_before")
    assert fact.value == 8


def test_afterwards_in_a_trials_sentence_gives_the_pain_after():
    fact = one("Intrathecal morphine trial 10/14/2025: pain 8/10 at baseline; afterwards it was 2/10.",
               "clinical.trial_result.pain_after")
    assert fact.value == 2


def test_pain_that_dropped_to_after_the_trial_is_the_pain_after():
    fact = one("Intrathecal trial on 10/14/2025. Following the trial her pain dropped to 3/10.",
               "clinical.trial_result.pain_after")
    assert fact.value == 3


def test_a_cause_after_a_negation_is_present():
    fact = one("The psychologist did not clear her for the implant because of untreated depression.",
               "clinical.psychiatric.untreated_major_depression")
    assert fact.value is True and fact.modifiers == ()


def test_did_not_clear_is_a_mental_health_evaluation_not_cleared():
    fact = one("The psychologist did not clear her for the implant.", "clinical.evaluations[]")
    assert fact.value["type"] == "mental_health" and fact.value["result"] == "not_cleared"


def test_oral_baclofen_without_adequate_tone_reduction_failed():
    fact = one("Oral baclofen for spasticity over 10 weeks without adequate tone reduction.", "clinical.treatments[]")
    assert fact.value["type"] == "oral_baclofen" and fact.value["outcome"] == "failed"


def test_an_answer_after_a_dash_negates_the_condition():
    fact = one("Psychosis - negative.", "clinical.psychiatric.active_psychosis")
    assert fact.value is False


def test_cognition_that_appears_impaired_is_compromised():
    fact = one("Poor historian; cognition appears impaired.", "clinical.psychiatric.compromised_cognition")
    assert fact.value is True


def test_walking_farther_during_a_trial_is_improved_function():
    fact = one("Intrathecal morphine trial: VAS 8/10 to 3/10, walking farther.",
               "clinical.trial_result.function_improved")
    assert fact.value is True


def test_absent_before_a_condition_negates_it():
    fact = one("Absent suicidal ideation.", "clinical.psychiatric.suicidality")
    assert fact.value is False


def test_bleeding_disorders_in_the_plural_are_a_coagulopathy():
    fact = one("Denies bleeding disorders.", "clinical.findings.coagulopathy")
    assert fact.value is False


def test_a_forms_answer_no_after_a_question_mark_negates():
    fact = one("Infection? No.", "clinical.findings.active_infection")
    assert fact.value is False


def _trial_facts(text: str) -> list:
    return [f for f in extract_note(text, DAY).facts if f.path.startswith("clinical.trial_result")]


def test_a_trials_goal_is_not_its_result():
    assert _trial_facts("Intrathecal trial next week. The goal of the intrathecal trial is a 50% reduction in pain.") \
        == []


def test_a_trials_success_criteria_are_not_its_result():
    assert _trial_facts("Intrathecal morphine trial. Success criteria for the trial: >50% relief, improved function.") \
        == []


def test_what_a_successful_trial_is_defined_as_is_not_its_result():
    assert _trial_facts("A successful intrathecal trial is defined as 50% or greater pain relief.") == []


def test_expected_to_live_at_least_a_year_is_twelve_months():
    fact = one("Metastatic pancreatic cancer; expected to live at least a year.", "clinical.life_expectancy_months")
    assert fact.value == 12


def test_spasm_frequency_with_penn_in_parentheses_is_the_penn_score():
    fact = one("Spasticity with spasm frequency (Penn) 3.", "clinical.spasticity.penn")
    assert fact.value == 3


TRIAL = "Intrathecal morphine trial via temporary catheter, 11/17/2025 to 11/19/2025. "


def test_a_range_of_relief_is_its_lower_bound():
    fact = one(TRIAL + "Patient reported 60-70% improvement in pain.", "clinical.trial_result.pain_reduction_percent")
    assert fact.value == 60


def test_no_side_effects_other_than_one_names_that_one():
    values = [f.value for f in _trial_facts(TRIAL + "No side effects other than mild itching.")
              if f.path == "clinical.trial_result.side_effects"]
    assert values == ["minimal"]


def test_pain_that_went_from_one_number_to_another_gives_both_scores():
    found = {f.path: f.value for f in _trial_facts(TRIAL + "Pain went from 9 to 4.")}
    assert found.get("clinical.trial_result.pain_before") == 9 and found.get("clinical.trial_result.pain_after") == 4


def test_a_recovering_alcoholic_has_a_history_of_use():
    fact = one("He is a recovering alcoholic.", "clinical.substance_use")
    assert fact.value == "history"


def test_seen_by_psychiatry_and_a_candidate_is_a_mental_health_evaluation_cleared():
    fact = one("Seen by psychiatry in 09/2025 and felt to be a reasonable candidate for the pump.",
               "clinical.evaluations[]")
    assert fact.value["type"] == "mental_health" and fact.value["result"] == "cleared"


def test_a_specialist_with_no_further_treatment_to_offer_confirms_other_treatments_failed():
    fact = one("He was evaluated by neurology who felt there was no further treatment to offer.",
               "clinical.evaluations[]")
    assert fact.value["specialty"] == "neurology" and fact.value["result"] == "other_treatments_failed"


def test_a_specialist_who_supports_an_intrathecal_pump_confirms_other_treatments_failed():
    fact = one("Oncology consult 08/2025: oncology supports an intrathecal pump.", "clinical.evaluations[]")
    assert fact.value["specialty"] == "oncology" and fact.value["result"] == "other_treatments_failed"


def test_a_pocket_that_is_erythematous_is_a_local_infection():
    fact = one("Pocket site erythematous and tender with purulence.", "clinical.findings.local_infection")
    assert fact.value is True


def test_too_thin_to_accommodate_the_pump_is_insufficient_body_size():
    fact = one("She is too thin to accommodate the pump.", "clinical.findings.insufficient_body_size")
    assert fact.value is True


def test_an_allergy_lists_line_names_the_drug_allergy():
    fact = one("Allergies: Morphine: anaphylaxis.", "clinical.findings.drug_allergy")
    assert fact.value is True


def test_a_target_relief_is_not_the_trials_result():
    assert _trial_facts("Prior authorization requested for a morphine trial; target relief 50%.") == []


def test_a_forms_onset_field_dates_the_pain():
    assert one("Onset of pain: 2019.", "clinical.pain_onset").value == "2019-12-31"


def test_a_duration_in_brackets_after_the_pain_dates_its_onset():
    assert one("Longstanding neck pain (> 10 years).", "clinical.pain_onset").value == "2015-11-20"


def test_an_affirmation_after_a_denial_is_not_negated():
    fact = one("Denies SI, endorses depression, not on any treatment for it.",
               "clinical.psychiatric.untreated_major_depression")
    assert fact.value is True and fact.modifiers == ()


def test_not_currently_negates():
    fact = one("Not currently depressed.", "clinical.psychiatric.untreated_major_depression")
    assert fact.value is False


def test_suicidal_or_homicidal_ideation_denied_is_no_suicidality():
    fact = one("No current suicidal or homicidal ideation.", "clinical.psychiatric.suicidality")
    assert fact.value is False and [m.category for m in fact.modifiers] == ["negated"]


def test_a_former_user_is_a_history_of_substance_use():
    assert one("Former IV heroin user, clean for 8 years.", "clinical.substance_use").value == "history"


def test_none_in_years_after_a_use_is_its_past_not_a_denial():
    assert one("Remote history of cocaine use, none in 10 years.", "clinical.substance_use").value == "history"


def test_a_drop_in_ashworth_after_the_test_dose_is_favorable():
    fact = one("Test dose of 50 mcg produced a 2-point drop in Ashworth scores.",
               "clinical.spasticity.test_dose_response")
    assert fact.value == "favorable"


def test_no_drop_in_tone_after_the_test_dose_is_unfavorable():
    fact = one("Baclofen test dose: no drop in tone.", "clinical.spasticity.test_dose_response")
    assert fact.value == "unfavorable"


def test_a_poor_surgical_candidate_is_surgery_not_indicated():
    assert one("He is a poor surgical candidate.", "clinical.surgery_indicated").value is False
    assert one("She is a poor candidate for further surgery.", "clinical.surgery_indicated").value is False


def test_wishing_to_avoid_another_operation_is_a_refusal():
    assert one("She wishes to avoid another operation.", "clinical.surgery_refused").value is True


def test_an_ellipsis_leads_a_faxed_item_to_its_result():
    fact = one("CONSERVATIVE TX:\n1. PHYSICAL THERAPY 01/2024-04/2024 ... NO IMPROVEMENT\n", "clinical.treatments[]")
    assert fact.value == {"type": "physical_therapy", "outcome": "failed", "start": "2024-01-31", "end": "2024-04-30"}


def test_a_therapy_that_helped_coping_but_not_the_pain_failed():
    fact = one("She did 14 sessions of CBT, which helped her coping but not the pain itself.", "clinical.treatments[]")
    assert fact.value["outcome"] == "failed"
    fact = one("Pain psychology 8 sessions in 2024: coping improved; pain unchanged.", "clinical.treatments[]")
    assert fact.value["outcome"] == "failed"


def test_a_treatment_that_helped_the_pain_but_not_something_else_is_effective():
    assert one("Tramadol helped the pain, not the nausea.", "clinical.treatments[]").value["outcome"] == "effective"


def _trial_note(sentence: str) -> str:
    return "Intrathecal trial note.\n" + sentence + "\n"


def test_an_arrow_between_scores_with_the_scale_after_the_second():
    assert one(_trial_note("Pain 8 -> 2/10 after the trial."), "clinical.trial_result.pain_before").value == 8
    assert one(_trial_note("Pain 8 -> 2/10 after the trial."), "clinical.trial_result.pain_after").value == 2


def test_a_23_hr_observation_unit_and_observed_24_hrs_are_one_day():
    note = _trial_note("Pt admitted to the 23-hr observation unit.")
    assert one(note, "clinical.trial_result.observation_days").value == 1
    assert one(_trial_note("OBSERVED 24 HRS."), "clinical.trial_result.observation_days").value == 1


def test_self_care_done_independently_or_unassisted_is_an_adl_gain():
    note = _trial_note("PERFORMED SELF-CARE INDEPENDENTLY.")
    assert one(note, "clinical.trial_result.adl_improved").value is True
    note = _trial_note("She got up to the bathroom unassisted at +7 h.")
    assert one(note, "clinical.trial_result.adl_improved").value is True


def test_a_forms_substance_abuse_hx_denies_is_none():
    assert one("SUBSTANCE ABUSE HX: DENIES\n", "clinical.substance_use").value == "none"


def test_heavy_drinking_in_her_twenties_is_a_history():
    fact = one("Reports heavy alcohol use in her 20s; abstinent for over 20 years.", "clinical.substance_use")
    assert fact.value == "history"


def test_a_use_stopped_is_a_history():
    assert one("Cannabis use - stopped 09/2025.", "clinical.substance_use").value == "history"


def test_a_labelled_field_on_the_first_line_is_not_the_notes_title():
    assert one("Substance abuse hx: denies\nPlan: trial.\n", "clinical.substance_use").value == "none"
    assert [f for f in extract_note("CANCER PAIN - INTRATHECAL TRIAL\nSeen today.\n", DAY).facts
            if f.path == "clinical.pain_etiology"] == []


def test_still_after_an_arrow_is_a_failure():
    fact = one("Norco 10/325 q6h scheduled since March 2022 -> still ~8/10.", "clinical.treatments[]")
    assert fact.value["outcome"] == "failed"


def test_without_clinically_meaningful_improvement_is_a_failure():
    fact = one("16 weeks of PT, without clinically meaningful improvement in pain.", "clinical.treatments[]")
    assert fact.value["outcome"] == "failed"


def test_a_medication_taken_as_directed_is_ongoing():
    assert one("Takes prescribed oxycodone as directed.", "clinical.treatments[]").value["outcome"] == "ongoing"


def test_aquatic_exercise_is_an_exercise_program():
    fact = one("Aquatic exercise 2x/wk since spring, ongoing.", "clinical.treatments[]")
    assert fact.value == {"type": "exercise_program", "outcome": "ongoing"}


def test_a_treatment_that_may_be_helpful_is_a_suggestion_not_a_result():
    found = extract_note("CBT sessions may be helpful.", DAY).facts
    assert [f for f in found if f.path == "clinical.treatments[]"] == []


def test_drinking_before_the_accident_is_a_history():
    assert one("Binge drinking before the accident.", "clinical.substance_use").value == "history"


def test_labelled_pre_and_post_scores_without_the_scale():
    note = _trial_note("Preprocedure NRS 9; postprocedure NRS 4.")
    assert one(note, "clinical.trial_result.pain_before").value == 9
    assert one(note, "clinical.trial_result.pain_after").value == 4
    note = _trial_note("Pre: 7/10. Post: 2/10.")
    assert one(note, "clinical.trial_result.pain_before").value == 7
    assert one(note, "clinical.trial_result.pain_after").value == 2


def test_a_post_trial_duration_is_not_a_score():
    found = extract_note(_trial_note("Seen post-trial 3 days later."), DAY).facts
    assert [f for f in found if f.path == "clinical.trial_result.pain_after"] == []


def test_relief_of_greater_than_or_only_a_percent():
    note = _trial_note("Pain relief of greater than 50% was achieved for 8 hours.")
    assert one(note, "clinical.trial_result.pain_reduction_percent").value == 50
    note = _trial_note("Trial was considered a failure; pain relief was only 20%.")
    assert one(note, "clinical.trial_result.pain_reduction_percent").value == 20


def test_the_usual_side_effects_listed_and_denied_are_none():
    note = _trial_note("No nausea, pruritus, urinary retention, or respiratory depression.")
    assert one(note, "clinical.trial_result.side_effects").value == "none"


def test_is_not_present_negates_backward():
    fact = one("Psychosis is not present.", "clinical.psychiatric.active_psychosis")
    assert fact.value is False and [m.category for m in fact.modifiers] == ["negated"]


def test_fails_to_show_negates():
    fact = one("Exam fails to show any signs of cognitive impairment.", "clinical.psychiatric.compromised_cognition")
    assert fact.value is False
    assert one("Evaluation failed to identify psychosis.", "clinical.psychiatric.active_psychosis").value is False


def test_unremarkable_for_and_lacks_evidence_of_negate():
    assert one("Labs unremarkable for coagulopathy.", "clinical.findings.coagulopathy").value is False
    assert one("Lacks any evidence of infection.", "clinical.findings.active_infection").value is False


def test_no_concern_for_negates():
    fact = one("No concern for cognitive impairment.", "clinical.psychiatric.compromised_cognition")
    assert fact.value is False


def test_suicidal_said_of_the_member():
    assert one("Not suicidal.", "clinical.psychiatric.suicidality").value is False
    assert one("He is suicidal, with a plan.", "clinical.psychiatric.suicidality").value is True


def test_a_psychologist_who_did_not_recommend_proceeding_did_not_clear():
    fact = one("The psychologist did not recommend proceeding due to active substance use.", "clinical.evaluations[]")
    assert fact.value["result"] == "not_cleared"
    fact = one("The psychologist did not recommend proceeding due to active substance use.", "clinical.substance_use")
    assert fact.value == "active"


def test_a_surgeon_who_felt_surgery_would_not_help():
    text = "Orthopedic spine surgeon Dr. Ray (04/2025) felt that surgery would not help."
    assert one(text, "clinical.evaluations[]").value == {"type": "specialist", "specialty": "orthopedic_surgery",
                                                          "result": "other_treatments_failed", "date": "2025-04-30"}
    assert one(text, "clinical.surgery_indicated").value is False


def test_a_specialist_who_recommends_further_pt_leaves_options():
    fact = one("Evaluated by physiatry in May 2025; further PT recommended.", "clinical.evaluations[]")
    assert fact.value["result"] == "other_options_remain"


def test_an_oncologist_who_confirms_the_pain_is_refractory():
    fact = one("Oncology (Dr. Kim, 10/01/2025) confirms the pain is refractory to systemic therapy.",
               "clinical.evaluations[]")
    assert fact.value["result"] == "other_treatments_failed"


def test_an_mmpi_with_no_contraindication_is_a_clearance():
    fact = one("MMPI-2 and clinical interview completed 08/12/2025; no psychological contraindication.",
               "clinical.evaluations[]")
    assert fact.value == {"type": "mental_health", "result": "cleared", "date": "2025-08-12"}


def test_a_denial_before_an_active_use_is_none():
    assert one("No active cocaine use.", "clinical.substance_use").value == "none"
    assert one("No active substance use; OUD in sustained remission.", "clinical.substance_use").value != "active"
    assert one("He has no current drug use.", "clinical.substance_use").value == "none"


def test_marginal_benefit_and_helped_temporarily_are_failures():
    fact = one("Duloxetine 60 mg daily x 6 months, marginal benefit.", "clinical.treatments[]")
    assert fact.value["outcome"] == "failed"
    assert one("Kyphoplasty at T12 in 2024 helped temporarily.", "clinical.treatments[]").value["outcome"] == "failed"


def test_refusing_to_try_a_treatment_is_a_refusal_not_a_plan():
    assert one("She refuses to try opioids.", "clinical.treatments[]").value == {"type": "systemic_opioids",
                                                                                 "outcome": "refused"}


def test_should_she_develop_is_hypothetical():
    found = extract_note("Should she develop an infection, the pump would be removed.", DAY).facts
    assert [f for f in found if f.path == "clinical.findings.active_infection"] == []
    assert one("Infection should be treated first.", "clinical.findings.active_infection").value is True


def test_symptoms_that_date_to_a_year():
    assert one("Her symptoms date to 2016.", "clinical.pain_onset").value == "2016-12-31"


def test_pain_for_over_a_decade_is_ten_years():
    assert one("Long-standing neck pain, present for over a decade.", "clinical.pain_onset").value == "2015-11-20"


def test_survival_of_more_than_a_year():
    assert one("Oncology anticipates survival of more than a year.", "clinical.life_expectancy_months").value == 12


def test_oral_baclofen_without_adequate_relief_is_unresponsive():
    fact = one("Oral baclofen up to 80 mg/day for 4 months without adequate relief of spasticity.",
               "clinical.spasticity.oral_response")
    assert fact.value == "unresponsive"


def test_a_denied_radicular_pain_or_cancer_is_no_etiology():
    for text in ("Back pain. No radicular symptoms.", "Denies radicular pain.", "No cancer history."):
        found = extract_note(text, DAY).facts
        assert [f for f in found if f.path == "clinical.pain_etiology"] == [], text


def test_a_score_at_baseline_is_not_the_next_scores_baseline():
    note = _trial_note("Intrathecal morphine trial: NRS 8/10 at baseline, 3/10 at 6 hours.")
    assert one(note, "clinical.trial_result.pain_before").value == 8
    assert one(note, "clinical.trial_result.pain_after").value == 3


def test_a_stimulator_trials_paresthesia_coverage_is_not_the_drug_trials():
    note = ("SCS TRIAL FOLLOW-UP\nIntrathecal pump was discussed in the past.\n"
            "Paresthesia coverage was poor; 20% relief.\n")
    found = extract_note(note, DAY).facts
    assert [f for f in found if f.path.startswith("clinical.trial_result")] == []


def test_a_device_explanted_for_a_complication_is_a_prior_intolerance_not_an_infection_now():
    text = "Prior pump explanted for infection in 2021."
    assert one(text, "clinical.findings.prior_implant_intolerance").value is True
    assert [f for f in extract_note(text, DAY).facts if f.path == "clinical.findings.active_infection"] == []
    assert one("No device intolerance.", "clinical.findings.prior_implant_intolerance").value is False


def test_insufficient_subcutaneous_tissue_for_the_pump():
    fact = one("BMI of 16, insufficient subcutaneous tissue for the pump.", "clinical.findings.insufficient_body_size")
    assert fact.value is True


def _spasticity_note(sentence: str) -> str:
    return "SPASTICITY CLINIC NOTE\n" + sentence + "\n"


def test_a_baclofen_lumbar_puncture_or_trial_is_the_test_dose():
    note = _spasticity_note("Lumbar puncture with 50 mcg baclofen: positive response.")
    assert one(note, "clinical.spasticity.test_dose_response").value == "favorable"
    note = _spasticity_note("Gablofen 100 mcg trial: no significant change in tone or spasms.")
    assert one(note, "clinical.spasticity.test_dose_response").value == "unfavorable"


def test_limited_by_spasms_is_not_a_side_effect():
    fact = one(_spasticity_note("Responds partially to oral baclofen but remains limited by spasms."),
               "clinical.treatments[]")
    assert fact.value["outcome"] == "failed"


def test_months_to_live():
    text = "Her oncologist estimates she has at least 6 months to live."
    assert one(text, "clinical.life_expectancy_months").value == 6
    found = extract_note("He has less than 3 months to live.", DAY).facts
    assert [f for f in found if f.path == "clinical.life_expectancy_months"] == []  # an upper bound, set aside


def test_psych_cleared_in_a_referral():
    fact = one("Psych cleared 09/2025.", "clinical.evaluations[]")
    assert fact.value == {"type": "mental_health", "result": "cleared", "date": "2025-09-30"}


def test_injected_heroin_named_as_active_is_current_use():
    assert one("Active IV heroin use, last used two days ago.", "clinical.substance_use").value == "active"


def test_cannabis_with_its_daily_frequency_is_current_use():
    assert one("He smokes marijuana daily to sleep.", "clinical.substance_use").value == "active"
    assert one("She reports daily cannabis use.", "clinical.substance_use").value == "active"


def test_cannabis_without_a_frequency_is_not_read_as_use():
    found = extract_note("Smokes marijuana occasionally at parties.", DAY).facts
    assert [f for f in found if f.path == "clinical.substance_use"] == []


def test_a_six_pack_most_nights_is_heavy_drinking():
    assert one("He drinks a six-pack most nights.", "clinical.substance_use").value == "active"


def test_a_stomach_bleed_from_an_nsaid_is_its_side_effect():
    fact = one("Ibuprofen gave him stomach bleeding in 2023.", "clinical.treatments[]")
    assert fact.value["type"] == "nsaids" and fact.value["outcome"] == "intolerable_side_effects"


def test_a_drug_that_could_not_be_continued_was_taken_and_stopped():
    fact = one("He could not continue naproxen because of rising creatinine.", "clinical.treatments[]")
    assert fact.value["type"] == "nsaids" and fact.value["outcome"] == "intolerable_side_effects"
    assert fact.modifiers == ()


def test_too_sleepy_is_a_side_effect():
    fact = one("Tizanidine 4 mg TID made him too sleepy to drive.", "clinical.treatments[]")
    assert fact.value["outcome"] == "intolerable_side_effects"


def test_diminishing_returns_and_brief_help_are_failures():
    assert one("OxyContin 20 mg BID for 3 years; escalating doses with diminishing returns.",
               "clinical.treatments[]").value["outcome"] == "failed"
    assert one("Heat and ice at home help briefly.", "clinical.treatments[]").value["outcome"] == "failed"


def test_a_surgeon_who_says_she_would_benefit_from_a_fusion_indicates_surgery():
    text = "Orthopedic spine evaluation concluded that she would benefit from an L5-S1 fusion."
    assert one(text, "clinical.surgery_indicated").value is True
    assert one(text, "clinical.evaluations[]").value["result"] == "other_options_remain"
    assert [f for f in extract_note(text, DAY).facts if f.path == "clinical.treatments[]"] == []  # advice, not a course


def test_pain_psychology_clearance_is_an_evaluation_not_a_course_of_therapy():
    fact = one("Pain psychology clearance obtained on 10/15/2025.", "clinical.evaluations[]")
    assert fact.value == {"type": "mental_health", "result": "cleared", "date": "2025-10-15"}


def test_a_psychologist_asking_for_therapy_before_the_implant_has_not_cleared():
    fact = one("Psychologist recommends 8 sessions of CBT before proceeding with implantation.",
               "clinical.evaluations[]")
    assert fact.value["result"] == "not_cleared"


def test_years_of_pain_date_its_onset():
    assert one("He reports 8 years of bilateral leg pain.", "clinical.pain_onset").value == "2017-11-20"
    assert one("She describes a decade of low back pain.", "clinical.pain_onset").value == "2015-11-20"
    found = extract_note("After 6 weeks of PT for pain she stopped going.", DAY).facts
    assert [f for f in found if f.path == "clinical.pain_onset"] == []  # a course's weeks, not the pain's


def test_a_screen_positive_only_for_the_prescribed_opioid_is_as_expected():
    fact = one("UDS 10/02/2025: positive only for oxycodone (prescribed).", "clinical.drug_screens[]")
    assert fact.value == {"date": "2025-10-02", "result": "negative"}
    fact = one("UDS 10/02/2025: positive for cocaine and oxycodone.", "clinical.drug_screens[]")
    assert fact.value["result"] == "positive"


def test_worse_since_an_operation_is_not_the_pains_onset():
    fact = one("Axial LBP for the past 3 years, markedly worse since his L4-5 fusion in 06/2023.",
               "clinical.pain_onset")
    assert fact.value == "2022-11-20"


def test_a_neuralgia_since_an_event_dates_its_onset():
    assert one("Left T7 postherpetic neuralgia since zoster in 01/2024.", "clinical.pain_onset").value == "2024-01-31"


def test_a_drugs_duration_is_not_the_pains():
    found = extract_note("Neuropathic pain, on gabapentin for 2 years.", DAY).facts
    assert [f for f in found if f.path == "clinical.pain_onset"] == []
    assert one("Low back pain on and off for 5 years.", "clinical.pain_onset").value == "2020-11-20"


def test_a_trials_peak_reduction_with_its_percent_in_brackets():
    text = "Intrathecal trial 08/21/2025. Peak reduction 8 -> 3 (62.5%); sustained from 6 h through 18 h."
    assert one(text, "clinical.trial_result.pain_reduction_percent").value == 62.5
    assert one(text, "clinical.trial_result.pain_before").value == 8
    assert one(text, "clinical.trial_result.pain_after").value == 3
    text = "Failed intrathecal hydromorphone trial: inadequate analgesia (~33%)."
    assert one(text, "clinical.trial_result.pain_reduction_percent").value == 33


def test_a_family_that_does_not_want_the_pump_with_the_member_declines_it():
    text = "IT trial 11/02/2025. Discussed with pt and son: they do not want to go ahead with a permanent pump."
    assert one(text, "clinical.trial_result.patient_accepts").value is False


def test_side_effects_judged_intolerable():
    text = "Intrathecal trial 11/02/2025. Urinary retention and hallucinations; the team judged these intolerable."
    assert one(text, "clinical.trial_result.side_effects").value == "intolerable"


def test_a_temporary_it_catheter_is_the_trials_method():
    text = "Intrathecal trial 11/02/2025 via a temporary IT catheter placed at L1-2."
    assert one(text, "clinical.trial_result.method").value == "temporary_catheter"


def test_a_quadriplegic_cerebral_palsy_is_of_cerebral_origin():
    note = _spasticity_note("Background: spastic quadriplegic cerebral palsy (GMFCS IV) after prematurity.")
    assert one(note, "clinical.spasticity.origin").value == "cerebral"
    assert one(_spasticity_note("Quadriplegic after a C5 SCI."), "clinical.spasticity.origin").value == "spinal"


def test_a_test_doses_line_that_ends_with_its_verdict():
    note = _spasticity_note("ITB test dose 05/20/2026, baclofen 50 mcg - MAS unchanged at 4 h. Unfavorable.")
    assert one(note, "clinical.spasticity.test_dose_response").value == "unfavorable"
    note = _spasticity_note("ITB test dose 06/03/2026, baclofen 75 mcg - adductors 3 -> 1. Favorable.")
    assert one(note, "clinical.spasticity.test_dose_response").value == "favorable"


def test_a_shunt_denied_on_its_own_and_tissue_for_a_sized_pump():
    assert one("No VP shunt.", "clinical.findings.other_programmable_implant").value is False
    assert [f for f in extract_note("No shunt malfunction.", DAY).facts
            if f.path == "clinical.findings.other_programmable_implant"] == []
    fact = one("Adequate subcutaneous tissue for a 20 mL pump per surgeon.", "clinical.findings.insufficient_body_size")
    assert fact.value is False


def test_two_drugs_of_one_kind_listed_apart_are_two_courses():
    found = [f for f in extract_note("Prior meds: gabapentin (dizziness), Lyrica (confusion).", DAY).facts
             if f.path == "clinical.treatments[]"]
    assert [f.text.split()[0] for f in found] == ["gabapentin", "Lyrica"], found


def test_one_regimen_joined_by_a_plus_is_one_course():
    found = [f for f in extract_note("Nucynta ER 100 mg BID + tapentadol IR 50 mg PRN, no relief.", DAY).facts
             if f.path == "clinical.treatments[]"]
    assert len(found) == 1, found


def test_a_benefit_to_mood_with_no_pain_benefit_is_a_failure_for_the_pain():
    fact = one("Cymbalta 60 mg daily since 01/2024, modest mood benefit, no pain benefit.", "clinical.treatments[]")
    assert fact.value["outcome"] == "failed"


def test_a_drug_ruled_out_by_a_condition_is_contraindicated():
    assert one("Meloxicam - stopped 2023 because of CKD stage 3b.", "clinical.treatments[]").value["outcome"] \
        == "contraindicated"
    assert one("Dantrolene - not tried given the LFT history.", "clinical.treatments[]").value["outcome"] \
        == "contraindicated"


def test_the_weeks_of_a_course_are_not_the_pains():
    found = extract_note("No meaningful gains in pain or function over 12 weeks of skilled PT.", DAY).facts
    assert [f for f in found if f.path == "clinical.pain_onset"] == []


def test_walking_so_long_daily_is_an_exercise_program_going_on():
    fact = one("She has been walking 10 min daily as tolerated.", "clinical.treatments[]")
    assert fact.value == {"type": "exercise_program", "outcome": "ongoing"}


def test_a_relative_the_member_lives_with_does_not_make_the_sentence_theirs():
    assert one("Lives with her husband and denies alcohol or drug use.", "clinical.substance_use").value == "none"
    assert one("Married, lives with wife, no tobacco, alcohol or drug use.", "clinical.substance_use").value == "none"
    assert one("She is accompanied by her son, who confirms no drug use.", "clinical.substance_use").value == "none"


def test_a_relative_the_member_lives_with_keeps_their_own_condition():
    text = "Lives with his wife, who has Parkinson disease with dementia; he is her caregiver."
    assert [f for f in extract_note(text, DAY).facts if f.path == "clinical.psychiatric.compromised_cognition"] == []


def test_a_relatives_help_no_longer_needed_is_the_members_gain():
    text = "Intrathecal trial 08/21/2025: independently dressed at 6 h, previously needs daughter's help."
    assert one(text, "clinical.trial_result.adl_improved").value is True


@pytest.mark.parametrize("said", [
    "Oral baclofen 20 mg QID for >6 months - continued spasms.",
    "Botox to hip adductors q3mo x4 (2023-2024) - focal benefit only.",
    "Refractory to gabapentinoids.",
    "Tramadol since 2023; pain benefit minimal.",
])
def test_what_a_course_left_unchanged_is_its_failure(said):
    note = _spasticity_note(said) if "baclofen" in said else said
    assert one(note, "clinical.treatments[]").value["outcome"] == "failed"


def test_a_use_disorders_history_is_history():
    assert one("Given buprenorphine and OUD history, an IT opioid would be complex.", "clinical.substance_use").value \
        == "history"


def test_diabetic_neuropathy_abbreviated_is_peripheral_neuropathy():
    assert one("A: Painful DPN, refractory.", "clinical.pain_etiology").value == "peripheral neuropathy"


def test_an_onset_after_an_operation_is_dated_by_it():
    fact = one("F/u of R lower extremity CRPS type I, onset after R ankle ORIF 08/2022.", "clinical.pain_onset")
    assert fact.value == "2022-08-31"


def test_too_high_risk_for_surgery_and_would_not_accept_an_operation():
    text = "She was turned down by two surgeons as too high risk for surgery given her cardiac history."
    assert one(text, "clinical.surgery_indicated").value is False
    assert one("She would not accept an operation now even if offered.", "clinical.surgery_refused").value is True


def test_stressors_not_yet_addressed_are_untreated_psychosocial_issues():
    text = "Unresolved grief and financial stressors not yet addressed."
    assert one(text, "clinical.psychiatric.untreated_psychosocial_issues").value is True
    text = "Psychosocial stressors have not been addressed."
    assert one(text, "clinical.psychiatric.untreated_psychosocial_issues").value is True
    text = "Psychosocial stressors have been addressed in therapy."
    assert one(text, "clinical.psychiatric.untreated_psychosocial_issues").value is False


def test_a_suicide_attempt_dated_years_back_is_not_current_suicidality():
    assert [f for f in extract_note("S/p suicide attempt in 2019.", DAY).facts
            if f.path == "clinical.psychiatric.suicidality"] == []
    assert one("Denies suicide attempts.", "clinical.psychiatric.suicidality").value is False


def test_a_pump_explanted_in_a_year_for_an_infection_is_a_prior_intolerance_and_a_past_infection():
    text = "Previous pump explanted in 2022 for a pocket infection."
    assert one(text, "clinical.findings.prior_implant_intolerance").value is True
    assert [f for f in extract_note(text, DAY).facts if f.path == "clinical.findings.local_infection"] == []


def test_a_labelled_baseline_before_the_post_trial_score():
    text = "Intrathecal morphine trial 10/14/2025: baseline NRS 8, post-trial NRS 3."
    assert one(text, "clinical.trial_result.pain_before").value == 8
    assert one(text, "clinical.trial_result.pain_after").value == 3


def test_the_score_after_told_before_the_score_before():
    text = "Intrathecal trial 10/14/2025: she reported her pain as 2/10 compared with 7/10 before."
    assert one(text, "clinical.trial_result.pain_before").value == 7
    assert one(text, "clinical.trial_result.pain_after").value == 2


def test_pain_reduced_by_more_than_half_is_fifty_percent():
    text = "Intrathecal trial 10/14/2025: pain reduced by more than half."
    assert one(text, "clinical.trial_result.pain_reduction_percent").value == 50


def test_no_meaningful_improvement_in_function_is_function_not_improved():
    text = "Intrathecal trial 10/14/2025: no meaningful improvement in function."
    assert one(text, "clinical.trial_result.function_improved").value is False


def test_no_significant_improvement_in_adls_is_adls_not_improved():
    text = "Intrathecal trial 10/14/2025: no significant improvement in activities of daily living."
    assert one(text, "clinical.trial_result.adl_improved").value is False


def test_an_unlikely_infection_is_no_finding():
    assert [f for f in extract_note("Infection is unlikely given normal labs.", DAY).facts
            if f.path == "clinical.findings.active_infection"] == []


def test_a_negative_depression_screen_and_no_drug_allergies():
    assert one("Depression screen negative.", "clinical.psychiatric.untreated_major_depression").value is False
    assert one("No drug allergies.", "clinical.findings.drug_allergy").value is False


def test_since_mid_year_is_that_years_last_day():
    assert one("Low back pain since mid-2022.", "clinical.pain_onset").value == "2022-12-31"


def test_no_treatment_for_a_condition_does_not_deny_the_condition():
    text = "No treatment for her major depression to date."
    assert one(text, "clinical.psychiatric.untreated_major_depression").value is True
    for text in ("She was not started on antidepressants for her depression.",
                 "He has not had any treatment for his depression."):
        found = [f for f in extract_note(text, DAY).facts
                 if f.path == "clinical.psychiatric.untreated_major_depression"]
        assert all(f.value is True for f in found), (text, found)
    assert one("Denies depression; no treatment needed.", "clinical.psychiatric.untreated_major_depression").value \
        is False


def test_no_illicit_substances_detected_is_a_negative_screen():
    assert one("Drug screen: no illicit substances detected.", "clinical.drug_screens[]").value["result"] == "negative"
    assert one("UDS without illicit substances detected.", "clinical.drug_screens[]").value["result"] == "negative"
    assert one("Drug screen: illicit substances detected.", "clinical.drug_screens[]").value["result"] == "positive"


def test_positive_blood_cultures_are_a_bloodstream_infection():
    assert one("No fever today but positive blood cultures yesterday.", "clinical.findings.sepsis").value is True
    assert [f for f in extract_note("Blood cultures negative x2.", DAY).facts
            if f.path == "clinical.findings.sepsis" and f.value is True] == []


def test_a_slashed_abbreviation_ends_its_sentence():
    text = "IT trial 10/02/2025. No N/V. Pt wants pump."  # the denial of nausea does not reach the wish
    assert one(text, "clinical.trial_result.patient_accepts").value is True


def test_pain_decreased_by_a_percent_is_the_trials_relief():
    text = "Outcome of intrathecal trial: excellent; pain decreased by 80%."
    assert one(text, "clinical.trial_result.pain_reduction_percent").value == 80


def test_not_interested_in_a_permanent_pump_declines_it():
    text = "Intrathecal trial 10/02/2025. Patient is not interested in a permanent pump."
    assert one(text, "clinical.trial_result.patient_accepts").value is False


def test_a_trial_told_by_time_points_opens_with_its_baseline_and_ends_with_its_result():
    text = "Intrathecal trial 10/02/2025. Trial results: Pre 8/10, 4 h 5/10, 8 h 3/10, 24 h 3/10."
    assert one(text, "clinical.trial_result.pain_before").value == 8
    assert one(text, "clinical.trial_result.pain_after").value == 3
    text = "Intrathecal trial 10/02/2025. Day 0 NRS 8; Day 1 NRS 5; Day 2 NRS 3."
    assert one(text, "clinical.trial_result.pain_before").value == 8
    assert one(text, "clinical.trial_result.pain_after").value == 3


@pytest.mark.parametrize(("said", "specialty", "result"), [
    ("Orthopedics recommended continued conservative management.", "orthopedic_surgery", "other_options_remain"),
    ("Dr. Lee (oncology) feels that further chemotherapy is unlikely to help her pain.", "oncology",
     "other_treatments_failed"),
    ("Physiatry recommended another course of PT before considering a pump.", "physiatry", "other_options_remain"),
    ("Palliative care consulted; supports intrathecal therapy.", "other", "other_treatments_failed"),
])
def test_a_specialists_conclusion_as_consultants_word_it(said, specialty, result):
    fact = one(said, "clinical.evaluations[]")
    assert (fact.value["specialty"], fact.value["result"]) == (specialty, result)


def test_unlikely_to_help_is_a_prognosis_not_an_uncertain_mention():
    assert one("Surgery is unlikely to help; she failed PT.", "clinical.treatments[]").value["outcome"] == "failed"


def test_a_baclofen_trial_that_was_positive_or_negative():
    note = _spasticity_note("Intrathecal baclofen trial was positive.")
    assert one(note, "clinical.spasticity.test_dose_response").value == "favorable"
    note = _spasticity_note("Intrathecal baclofen trial was negative.")
    assert one(note, "clinical.spasticity.test_dose_response").value == "unfavorable"


def test_clearance_deferred_until_depression_is_treated_leaves_it_untreated():
    text = "Psychology deferred clearance until depression is treated."
    assert one(text, "clinical.psychiatric.untreated_major_depression").value is True
    assert one(text, "clinical.evaluations[]").value["result"] == "not_cleared"
    assert one("Depression, treated with sertraline.", "clinical.psychiatric.untreated_major_depression").value is False


def test_a_psychologist_who_recommends_proceeding_has_cleared():
    text = "The psychologist found no evidence of untreated psychiatric disease and recommends proceeding."
    assert one(text, "clinical.evaluations[]").value["result"] == "cleared"
    text = "Pre-surgical psychological screening completed with favorable results."
    assert one(text, "clinical.evaluations[]").value["result"] == "cleared"


def test_a_drug_that_helps_about_a_third_has_failed():
    fact = one("He takes Norco 10/325 TID, which helps about 30%.", "clinical.treatments[]")
    assert fact.value["outcome"] == "failed"


def test_a_relative_present_for_the_discussion_leaves_the_decision_the_members():
    text = "After a long discussion with her husband present, she declined surgery."
    assert one(text, "clinical.surgery_refused").value is True


def test_an_operation_said_to_be_indicated_or_a_reasonable_option():
    text = "In my opinion an L3-5 laminectomy is indicated and would improve her walking."
    assert one(text, "clinical.surgery_indicated").value is True
    assert one("A decompression remains a reasonable option.", "clinical.surgery_indicated").value is True


def test_a_flag_read_from_its_clause_spans_what_says_it():
    fact = one("Major depressive disorder, recurrent, in partial remission.",
               "clinical.psychiatric.untreated_major_depression")
    assert fact.value is False and fact.text.endswith("in partial remission")


@pytest.mark.parametrize(("said", "outcome"), [
    ("Duragesic 75 mcg/h patch after that did little.", "failed"),
    ("In-clinic TENS trial x4 sessions: relief during application, no carryover at all.", "failed"),
])
def test_relief_that_did_little_or_lasted_only_while_on(said, outcome):
    assert one(said, "clinical.treatments[]").value["outcome"] == outcome


def test_no_psychiatric_barrier_is_a_clearance():
    text = "The palliative care psychologist saw her on 10/02/2025 and found no psychiatric barrier."
    assert one(text, "clinical.evaluations[]").value == {"type": "mental_health", "result": "cleared",
                                                          "date": "2025-10-02"}


def test_fully_oriented_is_intact_cognition():
    assert one("Cognition: sharp and fully oriented.", "clinical.psychiatric.compromised_cognition").value is False


def test_a_screen_that_showed_an_unprescribed_opioid_is_positive():
    assert one("His 2025 UDS showed unprescribed oxycodone.", "clinical.drug_screens[]").value["result"] == "positive"
    text = "UDS 08/26/2025, negative for non-prescribed substances."
    assert one(text, "clinical.drug_screens[]").value["result"] == "negative"


def test_a_bolus_with_a_decimal_dose_and_its_date():
    text = "TRIAL:\nSINGLE INTRATHECAL MORPHINE BOLUS 0.5 MG ON 03/12/2026, OBSERVED 8 HRS."
    assert one(text, "clinical.trial_result.method").value == "single_injection"
    assert one(text, "clinical.trial_result.date").value == "2026-03-12"


def test_the_trial_catheters_placement_dates_the_trial():
    text = "Temporary intrathecal catheter placed L2-3 on 05/06/2025 under fluoro, tip T10."
    assert one(text, "clinical.trial_result.date").value == "2025-05-06"


def test_a_drug_that_goes_on_and_then_fails_the_pain_after_a_semicolon():
    text = "Cymbalta 60 mg daily since 08/2023 - continuing (also for mood); pain benefit minimal."
    assert one(text, "clinical.treatments[]").value["outcome"] == "failed"
    text = "Gabapentin 300 mg TID, continues; sleep is better."
    assert one(text, "clinical.treatments[]").value["outcome"] == "ongoing"


def test_a_surgery_not_declined_is_no_refusal():
    assert [f for f in extract_note("He has not declined surgery.", DAY).facts
            if f.path == "clinical.surgery_refused" and f.value is True] == []
    assert one("She does not want surgery.", "clinical.surgery_refused").value is True


def test_despite_ends_a_negations_scope():
    assert one("Her pain is not controlled despite PT.", "clinical.treatments[]").value["outcome"] == "failed"


def test_a_pump_not_declined_is_no_decline():
    for text in ("Intrathecal trial 10/02/2025. She has not declined the pump.",
                 "Intrathecal trial 10/02/2025. He never refused the implant."):
        assert [f for f in extract_note(text, DAY).facts if f.path == "clinical.trial_result.patient_accepts"] == []
    text = "Intrathecal trial 10/02/2025. She declines the permanent pump."
    assert one(text, "clinical.trial_result.patient_accepts").value is False


def test_lacking_capacity_to_consent_is_compromised_cognition():
    assert one("She lacks capacity to consent.", "clinical.psychiatric.compromised_cognition").value is True
    assert one("She has capacity to consent.", "clinical.psychiatric.compromised_cognition").value is False


def test_a_use_told_with_its_end_is_history():
    found = [f.value for f in extract_note("Not currently using any illicit drugs, but used heroin until 2020.",
                                           DAY).facts if f.path == "clinical.substance_use"]
    assert found == ["none", "history"], found


def test_aqua_therapy_stopped_for_lack_of_progress_and_a_bare_no_change():
    fact = one("Aqua therapy 2x/week x 8 weeks, discontinued for lack of progress.", "clinical.treatments[]")
    assert fact.value == {"type": "physical_therapy", "outcome": "failed"}
    assert one("Acupuncture weekly for 2 months, no change.", "clinical.treatments[]").value["outcome"] == "failed"


def test_a_trial_she_did_not_tolerate_had_intolerable_side_effects():
    text = "Intrathecal trial 10/02/2025. She did not tolerate the trial because of vomiting."
    assert one(text, "clinical.trial_result.side_effects").value == "intolerable"


def test_a_study_with_no_significant_abnormality_confirms_no_pathology():
    text = "Imaging shows no significant abnormality to explain her symptoms."
    assert one(text, "clinical.pathology_confirmed").value is False
    assert one("CT confirmed a compression fracture.", "clinical.pathology_confirmed").value is True


def test_hereditary_spastic_paraparesis_is_of_spinal_origin():
    note = _spasticity_note("Hereditary spastic paraparesis with progressive leg stiffness.")
    assert one(note, "clinical.spasticity.origin").value == "spinal"


def test_a_sign_said_absent_after_it_is_negated():
    assert one("Papilledema absent.", "clinical.findings.increased_intracranial_pressure").value is False
    assert one("Absent suicidal ideation.", "clinical.psychiatric.suicidality").value is False


def test_an_allergic_reaction_to_the_drug_is_a_drug_allergy():
    assert one("Allergic reaction to morphine with hives in 2019.", "clinical.findings.drug_allergy").value is True


@pytest.mark.parametrize(("said", "path"), [
    ("Hallucinations: no.", "clinical.psychiatric.active_psychosis"),
    ("Suicidal ideation - no.", "clinical.psychiatric.suicidality"),
    ("Cellulitis not noted.", "clinical.findings.local_infection"),
])
def test_an_answer_after_the_sign_negates_it(said, path):
    assert one(said, path).value is False


def test_not_noted_to_have_negates_what_follows():
    assert one("She was not noted to have any drug-seeking behavior.", "clinical.substance_use").value == "none"


def test_a_social_history_field_answered_none():
    assert one("Alcohol: denies.", "clinical.substance_use").value == "none"
    assert one("Drug use: none.", "clinical.substance_use").value == "none"
