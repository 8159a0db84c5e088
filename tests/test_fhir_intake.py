"""FHIR intake: PAS requests read with the R4B models, mapped to cases with the element each fact came from, what
was not mapped listed, and every input answered (not-applicable when no policy here governs it)."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import pytest

from conftest import SHARED, needs_shared, run_cli
from fhir_builder import CPT, HCPCS, answer, group, morphine_request, pain_score, pas_bundle
from priorauth.engine.evaluate import evaluate_case
from priorauth.errors import FhirError
from priorauth.intake.fhir import map_request, read_fhir
from priorauth.intake.fhir.to_case import map_fhir

SHARED_FHIR = sorted((SHARED / "fhir").rglob("*.json")) if SHARED else []


@needs_shared
@pytest.mark.parametrize("path", SHARED_FHIR, ids=lambda p: p.name)
def test_every_da_vinci_example_is_answered_not_failed(path, policies):
    """None of them asks for drug delivery: each is answered as needing no review here, with the reason."""
    mapping = map_request(json.loads(path.read_bytes()), policies)
    assert mapping.case is None and mapping.not_applicable
    assert mapping.to_dict()["not_applicable"] == mapping.not_applicable


@needs_shared
def test_the_shared_examples_cover_requests_responses_and_hooks(policies):
    shapes = {read_fhir(json.loads(p.read_bytes())).shape for p in SHARED_FHIR}
    assert {"PAS request Bundle", "ClaimResponse", "Bundle of ClaimResponse"} <= shapes
    assert any(s.startswith("CDS Hooks") for s in shapes)
    oxygen = map_request(json.loads((SHARED / "fhir/prior-auth-ri/bundle-prior-auth.json").read_bytes()), policies)
    assert oxygen.not_applicable == "no service of the Claim is intrathecal or epidural drug delivery (E0424)"
    # its Conditions are STU3-shaped (clinicalStatus a string): set aside and listed, not a failure
    assert any("clinicalStatus" in u.element and "not valid R4" in u.reason for u in oxygen.unmapped)


def mapped(policies, **parts):
    m = map_request(pas_bundle(**parts), policies)
    assert m.case is not None, m.not_applicable
    return m


def test_a_trial_request_maps_each_fact_to_its_element(policies):
    m = mapped(policies, medications=(morphine_request(),),
               answers=(answer("clinical.life_expectancy_months", valueDecimal=24),))
    c = m.case
    assert (c.id, str(c.submitted), c.member.payer, c.member.line_of_business, c.member.state) == \
        ("PA-0001", "2025-06-02", "uhc", "commercial", "TX")
    assert (c.request.kind, c.request.route, c.request.indication, str(c.request.service_date)) == \
        ("trial", "intrathecal", "noncancer_pain", "2025-06-20")
    assert c.request.procedure_codes == ["62324"] and c.request.diagnosis_codes == ["G89.4"]
    [drug] = c.request.drugs
    assert (drug.name, drug.concentration.value, drug.concentration.unit, drug.daily_dose.value) == \
        ("morphine", 25.0, "mg/mL", 0.5)
    assert c.clinical.life_expectancy_months == 24
    src = m.evidence.sources
    assert [s.to_dict() for s in src["member.birth_date"]] == [
        {"kind": "fhir", "resource_type": "Patient", "id": "pat1", "fhirpath": "Patient.birthDate"}]
    assert src["member.payer"][0].resource_type == "Organization"
    assert src["request.drugs[0].daily_dose"][0].fhirpath == "MedicationRequest.dosageInstruction[0].doseAndRate[0]" \
        ".doseQuantity"
    assert src["clinical.life_expectancy_months"][0].fhirpath == "QuestionnaireResponse.item[0].answer[0]"


def test_the_engine_cites_the_fhir_element_of_each_fact(policies):
    m = mapped(policies, medications=(morphine_request(),),
               answers=(answer("clinical.life_expectancy_months", valueDecimal=24),))
    [d] = evaluate_case(m.case, policies, evidence=m.evidence)
    text = json.dumps(d.to_dict("full"))
    assert '"fhirpath": "Patient.birthDate"' in text  # UHC: age 18 or over
    assert '"kind": "case"' not in text  # nothing claims to come from a case file


@pytest.mark.parametrize(("codes", "kind"), [
    (((CPT, "62324"),), "trial"), (((CPT, "62322"), (HCPCS, "J0476")), "trial"),
    (((CPT, "62362"), (HCPCS, "C1772")), "implant"), (((CPT, "62350"),), "implant"),
    (((CPT, "95990"),), "refill"), (((HCPCS, "A4220"), (CPT, "62369")), "refill"),
    (((HCPCS, "E0786"),), "replacement"), (((CPT, "62365"), (CPT, "62362")), "removal"),
    (((CPT, "62355"),), "removal"),
])
def test_the_request_kind_follows_the_codes(policies, codes, kind):
    assert mapped(policies, codes=codes).case.request.kind == kind


def test_a_replacement_or_revision_is_said_in_the_questionnaire(policies):
    """62362 is "implantation or replacement": the codes alone read as an implantation."""
    m = mapped(policies, codes=((CPT, "62362"),), answers=(answer("request.kind", valueCoding={"code": "revision"}),))
    assert m.case.request.kind == "revision"
    assert m.evidence.sources["request.kind"][0].resource_type == "QuestionnaireResponse"


@pytest.mark.parametrize(("system", "code"), [
    ("urn:oid:2.16.840.1.113883.6.12", "62324"), ("http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets", "62324"),
    ("https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets", "62324"), ("urn:oid:2.16.840.1.113883.6.285", "J0476"),
])
def test_procedure_codes_under_any_of_their_uris(policies, system, code):
    assert mapped(policies, codes=((system, code),)).case.request.procedure_codes == [code]


def test_a_service_that_is_not_drug_delivery_needs_no_review(policies):
    knee = map_request(pas_bundle(codes=((CPT, "73721"),), diagnoses=("M23.91",)), policies)
    assert knee.case is None
    assert knee.not_applicable == "no service of the Claim is intrathecal or epidural drug delivery (73721)"


@pytest.mark.parametrize(("name", "payer"), [
    ("United HealthCare Services, Inc.", "uhc"), ("UNITEDHEALTHCARE", "uhc"), ("Florida Blue", "florida-blue"),
    ("Blue Cross and Blue Shield of Florida", "florida-blue"), ("Blue Cross & Blue Shield of Texas", "hcsc"),
    ("Blue Cross Blue Shield of Illinois", "hcsc"), ("Moda Health Plan, Inc.", "moda"),
    ("CareSource PASSE", "caresource"), ("Centers for Medicare & Medicaid Services", "medicare"),
])
def test_payers_by_name_and_brand(policies, name, payer):
    assert mapped(policies, payer=name).case.member.payer == payer


def test_a_payer_without_policies_is_answered_by_name(policies):
    m = map_request(pas_bundle(payer="Maryland Capital Insurance Company"), policies)
    assert m.case is None
    assert m.not_applicable == ("no policy here is the payer's: 'Maryland Capital Insurance Company' is not a payer "
                                "of the loaded policies")


def test_a_new_payers_own_name_needs_no_directory_entry(knowledge):
    inp = read_fhir(pas_bundle(payer="Acme Health, Inc."))
    m = map_fhir(inp, knowledge, {"acme": "Acme Health"})
    assert m.case.member.payer == "acme"
    assert map_fhir(read_fhir(pas_bundle(payer="UnitedHealthcare")), knowledge, {"acme": "Acme Health"}).case is None


@pytest.mark.parametrize(("sopt", "payer", "lob"), [
    ("111", "UnitedHealthcare", "medicare-advantage"), ("1", "Centers for Medicare & Medicaid Services", "medicare"),
    ("121", "Centers for Medicare & Medicaid Services", "medicare"), ("2", "CareSource", "medicaid"),
    ("21", "CareSource", "medicaid"), ("5", "Moda Health", "commercial"), ("6", "Florida Blue", "commercial"),
    (None, "Centers for Medicare & Medicaid Services", "medicare"), (None, "UnitedHealthcare", None),
    ("9", "UnitedHealthcare", None),
])
def test_the_line_of_business_from_the_payment_typology(policies, sopt, payer, lob):
    m = mapped(policies, sopt=sopt, payer=payer)
    assert m.case.member.line_of_business == lob
    if sopt == "9":
        assert any("payment typology 9" in u.reason for u in m.unmapped)


def test_a_medicare_advantage_member_of_uhc_is_decided_under_the_ncd(policies):
    m = mapped(policies, sopt="111", medications=(morphine_request(),))
    [d] = evaluate_case(m.case, policies, evidence=m.evidence)
    assert d.policy == "uhc-2022t0626c" and d.governed_by.policy.id == "medicare-ncd-280-14"


@pytest.mark.parametrize(("bad", "message"), [
    ({"valueBoolean": "true"}, "valueBoolean is not true or false: 'true'"),
    ({"valueDecimal": "7.50"}, "valueDecimal is not a number: '7.50'"),
])
def test_answers_are_read_as_written_not_as_the_models_coerce_them(policies, bad, message):
    with pytest.raises(FhirError) as exc:
        map_request(pas_bundle(answers=({"linkId": "clinical.pathology_confirmed", "answer": [bad]},)), policies)
    assert exc.value.issues == [("Bundle.entry[5].resource.item[0].answer[0]", message)]


def test_a_wrong_value_names_the_element_it_came_from(policies):
    with pytest.raises(FhirError) as exc:
        map_request(pas_bundle(answers=(answer("clinical.substance_use", valueCoding={"code": "sometimes"}),)),
                    policies)
    [(where, message)] = exc.value.issues
    assert where == "Bundle.entry[5].resource.item[0].answer[0]"
    assert message.startswith("clinical.substance_use: Input should be 'none', 'history' or 'active'")


def test_questionnaire_records_and_unknown_items(policies):
    m = mapped(policies, answers=(
        group("clinical.treatments", answer("type", valueCoding={"code": "physical_therapy"}),
              answer("clinical.treatments.outcome", valueCoding={"code": "failed"})),
        group("clinical.treatments", answer("type", valueCoding={"code": "systemic_opioids"})),
        group("clinical.trial_result", answer("pain_before", valueInteger=8), answer("pain_after", valueInteger=3)),
        answer("favourite-colour", valueString="blue")))
    t = m.case.clinical.treatments
    assert [(x.type, x.outcome) for x in t] == [("physical_therapy", "failed"), ("systemic_opioids", None)]
    assert m.case.clinical.trial_result.reduction_percent() == pytest.approx(62.5)
    first = m.evidence.sources["clinical.treatments[1]"][0]
    assert first.fhirpath == "QuestionnaireResponse.item[1].item[0].answer[0]"
    skipped = [u.reason for u in m.unmapped if "favourite" in u.reason]
    assert skipped == ["linkId 'favourite-colour' is not a case field"]


@pytest.mark.parametrize(("med", "name", "dose", "conc"), [
    (morphine_request(display="Infumorph 25 MG/ML Injectable Solution"), "morphine", (0.5, "mg"), (25.0, "mg/mL")),
    (morphine_request(display="Prialt 0.1 MG/ML Intrathecal Solution", dose=2.4, unit="mcg"), "ziconotide",
     (2.4, "mcg"), (0.1, "mg/mL")),
    ({"medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                                "code": "1292"}]},
      "dosageInstruction": [{"doseAndRate": [{"rateQuantity": {"value": 0.2, "unit": "mg/d"}}]}]},
     "baclofen", (0.2, "mg"), None),
    (morphine_request(dose=0.25) | {"dosageInstruction": [{
        "timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}},
        "doseAndRate": [{"doseQuantity": {"value": 0.25, "unit": "mg"}}]}]}, "morphine", (0.5, "mg"), (25.0, "mg/mL")),
])
def test_drugs_by_code_or_name_with_the_daily_dose(policies, med, name, dose, conc):
    [d] = mapped(policies, medications=(med,)).case.request.drugs
    assert d.name == name and (d.daily_dose.value, d.daily_dose.unit) == pytest.approx(dose) if dose else True
    assert ((d.concentration.value, d.concentration.unit) if d.concentration else None) == conc


def test_an_admixture_is_two_compounded_drugs(policies):
    med = morphine_request(display="morphine sulfate / bupivacaine hydrochloride compounded intrathecal solution")
    m = mapped(policies, medications=(med,))
    assert [(d.name, d.compounded, d.daily_dose) for d in m.case.request.drugs] == \
        [("morphine", True, None), ("bupivacaine", True, None)]
    assert any("one dose for a product of several drugs" in u.reason for u in m.unmapped)


def test_diagnosis_codes_are_normalised_and_other_systems_listed(policies):
    b = pas_bundle(diagnoses=("g894",))
    b["entry"][0]["resource"]["diagnosis"].append(
        {"sequence": 2, "diagnosisCodeableConcept": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-9-cm",
                                                                 "code": "338.4"}]}})
    m = map_request(b, policies)
    assert m.case.request.diagnosis_codes == ["G89.4"]
    assert any("icd-9-cm#338.4 is not an ICD-10-CM code" in u.reason for u in m.unmapped)


@pytest.mark.parametrize(("diagnoses", "indication"), [
    (("C79.51",), "cancer_pain"), (("G89.3",), "cancer_pain"), (("G80.1",), "spasticity"),
    (("M96.1", "G89.29"), "noncancer_pain"),
])
def test_the_indication_from_the_diagnoses(policies, diagnoses, indication):
    assert mapped(policies, diagnoses=diagnoses).case.request.indication == indication


def test_notes_from_text_documents(policies):
    m = mapped(policies, notes=("Trial: VAS 8/10 to 3/10.",))
    [note] = m.case.notes
    assert (note.text, str(note.date), note.kind) == ("Trial: VAS 8/10 to 3/10.", "2025-05-20", "Pain clinic consult")


def test_a_nonconformant_patient_is_set_aside_and_listed(policies):
    b = pas_bundle()
    b["entry"][1]["resource"]["birthDate"] = "1960-13-01"
    m = map_request(b, policies)
    assert m.case.member.birth_date is None
    assert any(u.element == "Bundle.entry[1].resource.birthDate" and "not valid R4" in u.reason for u in m.unmapped)


@pytest.mark.parametrize(("edit", "where"), [
    (lambda b: b["entry"][0]["resource"].pop("status"), "Bundle.entry[0].resource.status"),
    (lambda b: b["entry"][0]["resource"].pop("identifier"), "Bundle.entry[0].resource.identifier"),  # PAS: 1..2
    (lambda b: b["entry"].insert(0, {"fullUrl": "urn:x", "resource": {"resourceType": "Patient"}}),
     "Bundle.entry[0].resource"),
    (lambda b: b["entry"].append(copy.deepcopy(b["entry"][0])), "Bundle.entry[5].resource"),
    (lambda b: b["entry"][0]["resource"]["item"][0].update(sequence="one"),
     "Bundle.entry[0].resource.item[0].sequence"),
])
def test_a_claim_that_cannot_be_read_is_an_error_naming_the_element(policies, edit, where):
    b = pas_bundle()
    edit(b)
    with pytest.raises(FhirError) as exc:
        map_request(b, policies)
    assert exc.value.issues[0][0] == where and exc.value.http_status == 422


def test_structurally_mutated_bundles_never_crash(policies):
    """500 bundles with elements dropped, retyped, duplicated or swapped (bench/fhir_fuzz.py runs more): each is a
    case, an answer, or a FhirError; nothing else escapes."""
    base = pas_bundle(medications=(morphine_request(),), answers=(answer("clinical.life_expectancy_months",
                                                                         valueDecimal=24),), notes=("x",))
    rng = random.Random(20261201)
    outcomes = {"case": 0, "answer": 0, "error": 0}
    for _ in range(500):
        doc = mutate(base, rng)
        try:
            m = map_request(doc, policies)
        except FhirError:
            outcomes["error"] += 1
            continue
        if m.case is None:
            outcomes["answer"] += 1
        else:
            outcomes["case"] += 1
            evaluate_case(m.case, policies, evidence=m.evidence)
    assert all(outcomes.values()), outcomes  # each outcome was reached: the mutations do bite


VALUES = [None, "", "x" * 100_000, 0, -1, 1e308, True, "true", [], {}, {"reference": "Patient/nope"}, "2025-13-45",
          "\u0000", 7.5, "7.50"]


def mutate(doc, rng: random.Random):
    doc = copy.deepcopy(doc)
    paths = list(_paths(doc))
    for _ in range(rng.randint(1, 6)):
        path = rng.choice(paths)
        parent = doc
        try:
            for key in path[:-1]:
                parent = parent[key]
            op = rng.random()
            if op < 0.3:
                del parent[path[-1]]
            elif op < 0.8:
                parent[path[-1]] = rng.choice(VALUES)
            elif op < 0.9 and isinstance(parent, list):
                parent.append(copy.deepcopy(parent[path[-1]]))
            else:
                parent[path[-1]] = copy.deepcopy(rng.choice(doc["entry"])["resource"])
        except (KeyError, IndexError, TypeError):
            pass
    return doc


def _paths(node, prefix=()):
    if prefix:
        yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*prefix, i))


def test_cli_to_case_and_check_show_the_mapping(tmp_path: Path):
    bundle = tmp_path / "pas.json"
    bundle.write_text(json.dumps(pas_bundle(medications=(morphine_request(),))))
    out = json.loads(run_cli("fhir", "to-case", str(bundle), "--format", "json", check=True).stdout)
    assert out["case"]["request"]["kind"] == "trial" and out["sources"]["member.birth_date"][0]["id"] == "pat1"
    checked = json.loads(run_cli("check", str(bundle), "--format", "json", check=True).stdout)
    assert checked["case"] == "PA-0001" and checked["fhir"]["input"] == "PAS request Bundle"
    assert [d["policy"] for d in checked["determinations"]] == ["uhc-2022t0626c"]
    text = run_cli("check", str(bundle), "--explain", "summary", check=True).stdout
    assert "Mapped from FHIR" not in text and "PAS request Bundle" in text
    broken = tmp_path / "broken.json"
    doc = pas_bundle()
    doc["entry"][0]["resource"].pop("status")
    doc["entry"][0]["resource"]["created"] = "June"
    broken.write_text(json.dumps(doc))
    proc = run_cli("fhir", "to-case", str(broken))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert lines[0].startswith(f"error [invalid-fhir]: {broken}: Bundle.entry[0].resource.")
    assert len(lines) == 2 and lines[1].startswith(f"  {broken}: Bundle.entry[0].resource.")


def test_a_contained_medication_with_its_strength(policies):
    med = {"contained": [{"resourceType": "Medication", "id": "m1",
                          "code": {"text": "Gablofen intrathecal"},
                          "ingredient": [{"itemCodeableConcept": {"text": "baclofen"},
                                          "strength": {"numerator": {"value": 1000, "unit": "mcg", "code": "ug"},
                                                       "denominator": {"value": 1, "unit": "mL", "code": "mL"}}}]}],
           "medicationReference": {"reference": "#m1"},
           "dosageInstruction": [{"doseAndRate": [{"rateQuantity": {"value": 300, "unit": "mcg/day",
                                                                    "code": "ug/(24.h)"}}]}]}
    m = mapped(policies, diagnoses=("G80.1",), medications=(med,))
    [d] = m.case.request.drugs
    assert (d.name, d.concentration.value, d.concentration.unit, d.daily_dose.value, d.daily_dose.unit) == \
        ("baclofen", 1000, "mcg/mL", 300, "mcg")
    assert m.case.request.indication == "spasticity"
    src = m.evidence.sources["request.drugs[0].concentration"][0]
    assert (src.resource_type, src.id, src.fhirpath) == ("Medication", "m1", "Medication.ingredient[0].strength")


TRIAL_DATE = (answer("date", valueDate="2025-05-10"),)


def _with_scores(policies, scores, trial=TRIAL_DATE):
    bundle = pas_bundle(answers=(group("clinical.trial_result", *trial),) if trial else ())
    bundle["entry"] += scores
    return map_request(bundle, policies)


def test_pain_scores_become_the_trials_before_and_after(policies):
    m = _with_scores(policies, [
        pain_score("p1", "2025-04-01", 9), pain_score("p2", "2025-05-02T08:00:00-05:00", 8.0),
        pain_score("p3", "2025-05-11", 4, code="38208-5"), pain_score("p4", "2025-05-13", 3.0),
        pain_score("p5", "2025-06-01", 7)], trial=(answer("date", valueDate="2025-05-10"),
                                                   answer("observation_days", valueDecimal=3)))
    t = m.case.clinical.trial_result
    assert (t.pain_before, t.pain_after) == (8.0, 3.0)  # the latest before the trial, the last within its 3 days
    assert m.evidence.sources["clinical.trial_result.pain_after"][0].to_dict() == {
        "kind": "fhir", "resource_type": "Observation", "id": "p4", "fhirpath": "Observation.valueQuantity.value"}
    reasons = {u.element: u.reason for u in m.unmapped if u.element.startswith("Observation/")}
    assert reasons["Observation/p1"].startswith("an earlier baseline before the trial (2025-04-01)")
    assert reasons["Observation/p3"].startswith("an earlier score during the trial (2025-05-11)")
    assert "after the trial's observation period (2025-05-10 to 2025-05-13)" in reasons["Observation/p5"]
    assert {"Observation/p2", "Observation/p4"}.isdisjoint(reasons)


def test_the_trial_period_is_a_week_when_its_length_is_not_given(policies):
    m = _with_scores(policies, [pain_score("a", "2025-05-17", 2), pain_score("b", "2025-05-18", 1)])
    assert m.case.clinical.trial_result.pain_after == 2.0
    assert "after the trial's observation period" in {u.element: u.reason for u in m.unmapped}["Observation/b"]


@pytest.mark.parametrize(("score", "why"), [
    (pain_score("x", "2025-05-11", 11), "without a number from 0 to 10"),
    (pain_score("x", "2025-05-11", 3, status="preliminary"), "status 'preliminary'"),
    (pain_score("x", "2025-05-11", 3) | {"resource": {**pain_score("x", "2025-05-11", 3)["resource"],
                                                      "effectiveDateTime": None}}, "without an effective date"),
])
def test_a_score_that_cannot_be_used_is_listed(policies, score, why):
    if score["resource"].get("effectiveDateTime") is None:
        score["resource"].pop("effectiveDateTime")
    m = _with_scores(policies, [score])
    assert m.case.clinical.trial_result.pain_after is None
    assert why in {u.element: u.reason for u in m.unmapped}["Observation/x"]


def test_scores_without_a_trial_date_or_beside_answers_are_listed(policies):
    m = _with_scores(policies, [pain_score("x", "2025-05-11", 3)], trial=())
    assert m.case.clinical.trial_result is None
    assert "the trial has no date" in {u.element: u.reason for u in m.unmapped}["Observation/x"]
    m = _with_scores(policies, [pain_score("x", "2025-05-11", 3)],
                     trial=(answer("date", valueDate="2025-05-10"), answer("pain_after", valueInteger=2)))
    assert m.case.clinical.trial_result.pain_after == 2
    assert "already answered by the questionnaire" in {u.element: u.reason for u in m.unmapped}["Observation/x"]


def test_other_observations_are_listed_as_not_read(policies):
    m = _with_scores(policies, [pain_score("x", "2025-05-11", 3, code="8867-4")])  # heart rate
    assert "is not read by the mapping" in {u.element: u.reason for u in m.unmapped}["Observation/x"]
