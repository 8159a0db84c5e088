"""What each field of the case format means, for `priorauth schema case` and the API's OpenAPI document.

Kept apart from the models so the models stay readable; a test holds every field to having its line here. The
meanings are those of shared/design/case-format.md; "absent" always means "not documented", never false.
"""

from __future__ import annotations

FIELDS: dict[str, dict[str, str]] = {
    "Case": {
        "format": "The format and its version: always priorauth-case/1.",
        "id": "The request's identifier, as the submitter knows it.",
        "submitted": "When the request was received. Look-back windows (a drug screen within 3 months, "
                     "therapy within 12) count back from this date unless --as-of says otherwise.",
        "member": "The patient.",
        "request": "What is requested.",
        "clinical": "The documented clinical facts.",
        "notes": "Free-text clinical documents. Their facts fill what the structured fields leave out "
                 "(priorauth extract shows them); a structured value always wins.",
    },
    "Member": {
        "birth_date": "For the member's age on the date of service.",
        "sex": "female, male, other or unknown.",
        "payer": "The member's plan: a payer id of the loaded policies (priorauth policies list). Absent: every "
                 "policy is evaluated.",
        "line_of_business": "commercial, medicaid, medicare (traditional, fee-for-service), medicare-advantage or "
                            "fep. Policies route by it: traditional Medicare goes to NCD 280.14.",
        "state": "The member's state of residence, as its two-letter USPS code: a state program's policy governs "
                 "only its own members.",
    },
    "Request": {
        "kind": "trial (a temporary infusion or single test dose), implant (permanent implantation), refill (pump "
                "refill and maintenance), replacement (of the device), revision (of the catheter or pump) or "
                "removal.",
        "route": "intrathecal or epidural.",
        "indication": "What the therapy treats: cancer_pain, noncancer_pain or spasticity.",
        "service_date": "The planned date of service: it selects the policy version in force.",
        "procedure_codes": "CPT and HCPCS codes, e.g. 62324, or 62362 and C1772.",
        "diagnosis_codes": "ICD-10-CM codes, e.g. G89.4 (the dotless G894 and lower case are read too).",
        "drugs": "The infusion prescription, one entry per drug.",
        "pump": "The pump to be implanted or in place.",
        "trial_observation_days": "The planned inpatient or observation stay, in days, for a trial.",
        "facility_experienced": "The implanting physician and facility have experience with the procedure.",
    },
    "Drug": {
        "name": "The generic name in lower case (morphine, hydromorphone, fentanyl, sufentanil, bupivacaine, "
                "clonidine, ziconotide, baclofen, methadone). Brand, salt and case variants (Infumorph, Prialt, "
                "Lioresal) are read as their generic name; a name the drug table does not know is an error.",
        "concentration": "The drug's strength in the pump (mg/mL, mcg/mL or %).",
        "daily_dose": "The dose per day (mg or mcg).",
        "compounded": "The solution is compounded rather than a manufactured product.",
    },
    "Quantity": {
        "value": "The amount, a finite number of at least 0.",
        "unit": "mg/mL, mcg/mL or % for a concentration; mg or mcg for a daily dose.",
    },
    "Pump": {
        "type": "programmable or fixed_rate.",
        "fda_approved_for_drug": "The pump is FDA approved for the drug prescribed.",
        "labeled_for_drug_and_purpose": "The pump's FDA-approved labeling names the drug and the purpose it is "
                                        "given for (NCD 280.14).",
    },
    "Clinical": {
        "pain_onset": "The date the pain has been present since (for 'persisted at least 6 months').",
        "pain_etiology": "The documented cause of the pain, e.g. failed back surgery syndrome.",
        "pathology_confirmed": "Diagnostic testing (imaging and the like) found pathology that explains the pain.",
        "life_expectancy_months": "The documented estimate of life expectancy, in months.",
        "advanced_disease_high_risk": "Advanced cancer, limited survival and a high risk for procedures (HCSC's "
                                      "note 1).",
        "surgery_indicated": "Further surgery or treatment of the underlying condition is indicated.",
        "surgery_refused": "The member refused surgery that is indicated.",
        "treatments": "The therapies tried, each with its type, dates, schedule and outcome.",
        "evaluations": "Specialist and mental-health evaluations.",
        "drug_screens": "Urine or blood drug screens, each with its date and result.",
        "substance_use": "Documented drug or alcohol abuse or addiction: none, history (in the past) or active.",
        "psychiatric": "Psychiatric findings, each true (present) or false (documented absent).",
        "findings": "Contraindication findings, each true (present) or false (documented absent).",
        "trial_result": "The outcome of a completed trial.",
        "spasticity": "For severe spasticity: its origin, scores, oral baclofen and the test dose.",
        "behavioral_factors_addressed": "Attempts were made, and failed, to improve the physical and behavioral "
                                        "problems that may exaggerate the reaction to pain.",
        "activity_level": "The documented current level of activity, in words.",
        "drug_reasonable_and_necessary": "The drug is reasonable and necessary for this member (NCD 280.14, "
                                         "other uses).",
        "implanted_pump_necessary": "Giving the drug by an implanted pump is medically necessary (NCD 280.14, "
                                    "other uses).",
    },
    "Treatment": {
        "type": "The kind of therapy, e.g. physical_therapy, systemic_opioids, epidural_steroid_injection, "
                "oral_baclofen.",
        "start": "The date it began.",
        "end": "The date it ended. Absent with outcome ongoing: it continues on the submitted date.",
        "schedule": "For a medication: fixed (scheduled doses) or prn (as needed).",
        "outcome": "failed (ineffective), intolerable_side_effects, contraindicated, refused, unable_to_complete "
                   "(stopped for more pain or intolerance, with a documented physical reason), effective or "
                   "ongoing.",
    },
    "Evaluation": {
        "type": "specialist, or mental_health (a psychological or psychiatric evaluation).",
        "specialty": "For a specialist: orthopedic_surgery, neurology, neurosurgery, oncology, pain_management, "
                     "physiatry or other.",
        "date": "The date of the evaluation.",
        "result": "For a specialist, other_treatments_failed (other treatments failed and no other reasonable "
                  "option remains) or other_options_remain; for mental health, cleared (no inadequately "
                  "controlled mental-health problem; the pain is not due to one) or not_cleared.",
    },
    "DrugScreen": {
        "date": "The date the sample was taken.",
        "result": "negative or positive.",
    },
    "Psychiatric": {
        "active_psychosis": "Active psychosis.",
        "suicidality": "Suicidal ideation or behavior.",
        "untreated_major_depression": "Major depression that is not treated.",
        "compromised_cognition": "Compromised cognitive function.",
        "untreated_psychosocial_issues": "Psychosocial problems that are not treated.",
    },
    "Findings": {
        "active_infection": "An active infection.",
        "local_infection": "An infection at the site of the procedure.",
        "sepsis": "Sepsis.",
        "coagulopathy": "A coagulopathy (a bleeding disorder).",
        "csf_obstruction": "An obstruction of cerebrospinal fluid flow.",
        "tumor_thecal_encroachment": "Tumor encroaching on the thecal sac, or epidural metastases.",
        "increased_intracranial_pressure": "Raised intracranial pressure.",
        "insufficient_body_size": "A body size too small to hold the device.",
        "drug_allergy": "An allergy to the drug to be infused.",
        "device_component_allergy": "An allergy to a component of the device.",
        "prior_implant_intolerance": "Intolerance of an implanted device before.",
        "other_programmable_implant": "Another implanted programmable device.",
    },
    "TrialResult": {
        "date": "The date of the trial.",
        "pain_before": "The pain score before the trial, 0 to 10.",
        "pain_after": "The pain score after the trial, 0 to 10.",
        "pain_reduction_percent": "The pain reduction in percent; with both scores it must agree with them "
                                  "within 1 point (negative: the pain grew).",
        "function_improved": "Function improved during the trial.",
        "side_effects": "none, minimal, tolerable or intolerable.",
        "adl_improved": "Activities of daily living improved.",
        "adl_effect": "The effect on activities of daily living, when more than improved or not is documented: "
                      "improved, unchanged or worse.",
        "observation_days": "The length of the trial's inpatient or observation stay, in days.",
        "method": "How the trial drug was given: temporary_catheter, single_injection (a bolus or single shot) "
                  "or other.",
        "patient_accepts": "The member accepts the therapy after the trial (NCD 280.14).",
    },
    "Spasticity": {
        "origin": "cerebral or spinal.",
        "oral_baclofen_weeks": "How many weeks oral baclofen was tried.",
        "oral_response": "The response to oral baclofen: unresponsive, intolerant or responsive.",
        "ashworth": "The (modified) Ashworth score, 0 to 5.",
        "penn": "The Penn spasm frequency score, 0 to 4.",
        "test_dose_response": "The response to the intrathecal baclofen test dose: favorable or unfavorable.",
    },
    "Note": {
        "date": "The date the note was written: relative times in it ('3 weeks ago') count from it.",
        "author": "Who wrote it (a role is enough; it is shown, never logged).",
        "kind": "What it is, e.g. consult, progress note, psychological evaluation, trial procedure note.",
        "text": "The note's text, as written.",
    },
}


def describe(schema: dict, model: type) -> None:
    """pydantic's json_schema_extra hook: each property of `model`'s schema gets its meaning."""
    meanings = FIELDS.get(model.__name__, {})
    for name, prop in schema.get("properties", {}).items():
        if name in meanings:
            prop["description"] = meanings[name]
