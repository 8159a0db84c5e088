"""The case findings a reviewer reads beside the decision: each rule on both sides, with its kind, severity, the
code or drug it names, and its message (the messages are the output; the nurse's view shows them as they are)."""

from __future__ import annotations

import json

from priorauth.case.model import Case
from priorauth.engine.findings import Finding, case_findings, code_findings, drug_findings, fit_findings

BASE = {
    "format": "priorauth-case/1", "id": "f-1", "submitted": "2025-06-02",
    "member": {"birth_date": "1960-02-01", "payer": "uhc", "line_of_business": "commercial"},
    "request": {"kind": "trial", "route": "intrathecal", "indication": "noncancer_pain", "service_date": "2025-06-20"},
    "clinical": {},
}


def case(**request):
    doc = json.loads(json.dumps(BASE))
    doc["request"].update(request)
    return Case.model_validate_json(json.dumps(doc))  # drug names as written (intake would reject unknown ones)


def morphine(**fields):
    return {"name": "morphine", "daily_dose": {"value": 1, "unit": "mg"},
            "concentration": {"value": 10, "unit": "mg/mL"}, **fields}


def test_a_category_lists_its_first_eight_codes_and_marks_the_rest(knowledge):
    [m54] = code_findings(case(diagnosis_codes=["M54"]), knowledge.codes)
    assert m54 == Finding("diagnosis_code", "warning", "M54 (Dorsalgia) is a category, not a billable code; use one of "
                          "its codes: M54.0, M54.1, M54.2, M54.3, M54.4, M54.5, M54.6, M54.8 ….", code="M54")
    [g89] = code_findings(case(diagnosis_codes=["G89"]), knowledge.codes)
    assert g89.message.endswith("use one of its codes: G89.0, G89.1, G89.2, G89.3, G89.4.")  # five: no ellipsis
    [a05] = code_findings(case(diagnosis_codes=["A05"]), knowledge.codes)  # exactly eight: all shown, none left
    assert a05.message.endswith("A05.0, A05.1, A05.2, A05.3, A05.4, A05.5, A05.8, A05.9.")


def test_invalid_and_unlisted_codes(knowledge):
    found = code_findings(case(diagnosis_codes=["G89.4", "Q99.99"], procedure_codes=["62350", "99999"]),
                          knowledge.codes)
    assert found == [
        Finding("diagnosis_code", "warning", "Q99.99 is not a valid ICD-10-CM code; codes under Q99 (Other "
                "chromosome abnormalities, not elsewhere classified): Q99.0, Q99.1, Q99.2, Q99.8, Q99.9.",
                code="Q99.99"),
        Finding("procedure_code", "info", "99999 is not in the reviewed table of procedure codes for intrathecal and "
                "epidural drug delivery; check the code.", code="99999"),
    ]


def test_a_trial_or_refill_billed_with_implantation_codes(knowledge):
    trial = fit_findings(case(kind="trial", procedure_codes=["62362", "62350", "62322"]), knowledge.codes)
    assert trial == [Finding("code_fit", "warning", "A trial request is billed with implantation code(s) 62350, 62362.",
                             code="62350")]
    refill = fit_findings(case(kind="refill", procedure_codes=["62362", "62350"]), knowledge.codes)
    assert refill == [Finding("code_fit", "warning",
                              "A refill request is billed with implantation code(s) 62350, 62362.", code="62350")]
    assert fit_findings(case(kind="refill", procedure_codes=["95990"]), knowledge.codes) == []
    assert fit_findings(case(kind="implant", procedure_codes=["62362"]), knowledge.codes) == []  # an implant may


def test_an_implantation_request_without_an_implantation_code(knowledge):
    found = fit_findings(case(kind="implant", procedure_codes=["62322"]), knowledge.codes)
    assert found == [Finding("code_fit", "warning",
                             "A permanent implantation request has no implantation code (e.g. 62350, 62362).")]
    assert fit_findings(case(kind="implant", procedure_codes=[]), knowledge.codes) == []  # no codes: nothing to fit
    assert fit_findings(case(kind="trial", procedure_codes=["62322"]), knowledge.codes) == []


def test_an_indication_without_a_diagnosis_code_for_it(knowledge):
    [cancer] = fit_findings(case(indication="cancer_pain", diagnosis_codes=["M54.50"]), knowledge.codes)
    assert cancer == Finding("code_fit", "warning",
                             "A cancer pain request has no diagnosis code for it (a neoplasm code or G89.3).")
    [spasm] = fit_findings(case(indication="spasticity", diagnosis_codes=["M54.50"]), knowledge.codes)
    assert spasm == Finding("code_fit", "warning", "A spasticity request has no diagnosis code for it (a spasticity, "
                            "cerebral palsy or movement-disorder code).")
    assert fit_findings(case(indication="cancer_pain", diagnosis_codes=["M54.50", "C79.51"]), knowledge.codes) == []
    assert fit_findings(case(indication="spasticity", diagnosis_codes=["G80.0"]), knowledge.codes) == []
    assert fit_findings(case(indication="cancer_pain", diagnosis_codes=[]), knowledge.codes) == []


def test_dose_and_concentration_above_the_maxima_are_safety_findings_naming_the_drug(knowledge):
    over = drug_findings(case(drugs=[morphine(daily_dose={"value": 20, "unit": "mg"},
                                              concentration={"value": 40, "unit": "mg/mL"})]), knowledge)
    assert [(f.kind, f.severity, f.drug) for f in over] == [("concentration", "safety", "morphine"),
                                                            ("dose", "safety", "morphine")]
    assert over[0].message.startswith("morphine 40 mg/mL = 40 mg/mL exceeds the maximum recommended concentration ")
    assert over[1].message.startswith("morphine 20 mg/day exceeds the maximum recommended daily dose ")
    source = knowledge.drugs.source_limits  # each limit names the table it comes from
    assert all(f.message.endswith(f" ({source}).") for f in over) and source
    assert drug_findings(case(drugs=[morphine()]), knowledge) == []
    in_mcg = drug_findings(case(drugs=[morphine(daily_dose={"value": 20000, "unit": "mcg"})]), knowledge)
    assert in_mcg[0].message.startswith("morphine 20000 mcg/day (20 mg) exceeds the maximum recommended daily dose "
                                        "15 mg")  # one unit to compare in


def test_a_missing_daily_dose_is_information_naming_the_drug(knowledge):
    doc = morphine()
    del doc["daily_dose"]
    assert drug_findings(case(drugs=[doc]), knowledge) == [
        Finding("dose", "info", "No daily dose is documented for morphine.", drug="morphine")]


def test_the_case_findings_are_the_three_kinds_in_order(knowledge):
    c = case(kind="refill", procedure_codes=["62350", "99999"], diagnosis_codes=["Q99.99"], drugs=[morphine()])
    kinds = [f.kind for f in case_findings(c, knowledge)]
    assert kinds == ["diagnosis_code", "procedure_code", "code_fit"]


FB = "floridablue-09-j1000-31"


def fb_findings(policies, **request):
    from priorauth.engine.findings import listed_systems, policy_findings

    policy = policies.versions(FB)[-1].policy
    c = case(**request)
    return policy_findings(c, policy, policies.knowledge, listed_systems(policy, policies.knowledge.codes))


def test_codes_outside_the_policys_lists(policies):
    found = fb_findings(policies, procedure_codes=["C2626", "A4300", "62350"], diagnosis_codes=["G89.21", "M54.50"])
    assert found == [
        Finding("procedure_code", "warning", "A4300 is not in Florida Blue 09-J1000-31's procedure code list (the "
                "list may not be all-inclusive).", code="A4300"),  # 62350 is CPT: the HCPCS-only list says nothing
        Finding("diagnosis_code", "info", "M54.50 is not in Florida Blue 09-J1000-31's list of diagnosis codes; "
                "G89.21 is.", code="M54.50"),
    ]
    [alone] = fb_findings(policies, diagnosis_codes=["M54.50"])
    assert alone == Finding("diagnosis_code", "warning", "M54.50 is not in Florida Blue 09-J1000-31's list of "
                            "diagnosis codes; no submitted code is.", code="M54.50")


def test_the_line_of_therapy_of_the_prescription(policies):
    assert fb_findings(policies, drugs=[morphine()]) == []
    [second] = fb_findings(policies, drugs=[morphine(), {"name": "bupivacaine"}])
    assert second == Finding("drug", "info", "bupivacaine + morphine is a second-line therapy in Florida Blue "
                             "09-J1000-31.")
    [none] = fb_findings(policies, drugs=[{"name": "ziconotide"}, {"name": "clonidine"}])
    assert none.severity == "warning" and none.message.startswith(
        "The combination clonidine + ziconotide is not among Florida Blue 09-J1000-31's first, second or third line")
    assert fb_findings(policies, indication="spasticity", drugs=[{"name": "ziconotide"}, {"name": "clonidine"}]) == []


def test_a_drug_the_table_does_not_know_and_the_drugs_after_it(knowledge):
    found = drug_findings(case(drugs=[{"name": "morphin"}, morphine(daily_dose={"value": 20, "unit": "mg"})]),
                          knowledge)
    assert found[0] == Finding("drug", "warning", "morphin is not in the intrathecal drug table: check the name and "
                               "review the prescription by hand.", drug="morphin")
    assert [(f.kind, f.drug) for f in found[1:]] == [("dose", "morphine")]  # the next drug is still checked


def test_fda_status_is_for_the_intrathecal_route_when_none_is_given(knowledge):
    clonidine = {"name": "clonidine", "daily_dose": {"value": 0.1, "unit": "mg"}}
    [f] = drug_findings(case(indication="cancer_pain", route=None, drugs=[clonidine]), knowledge)
    assert f == Finding("fda_status", "warning", "clonidine is not FDA-approved for intrathecal use for cancer pain "
                        "(FDA safety communication, 2018-11-14).", drug="clonidine")
    assert drug_findings(case(indication="cancer_pain", route="epidural", drugs=[clonidine]), knowledge) == []


def test_a_drug_that_is_not_an_agent_for_the_indication(knowledge):
    [pain] = [f for f in drug_findings(case(drugs=[{"name": "baclofen", "daily_dose": {"value": 0.2, "unit": "mg"}}]),
                                       knowledge) if f.kind == "drug"]
    assert pain == Finding("drug", "warning", "baclofen is not an intrathecal analgesic.", drug="baclofen")
    [spasm] = [f for f in drug_findings(case(indication="spasticity", drugs=[morphine()]), knowledge)
               if f.kind == "drug"]
    assert spasm == Finding("drug", "warning", "morphine is not an intrathecal antispasmodic.", drug="morphine")


def test_every_listed_code_is_named(policies):
    [f] = fb_findings(policies, diagnosis_codes=["G89.21", "G89.22", "M54.50"])
    assert f.message.endswith("; G89.21, G89.22 is.")
