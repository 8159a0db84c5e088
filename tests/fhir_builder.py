"""A small PAS request Bundle for tests, built from the parts a test changes (synthetic: no real patient)."""

from __future__ import annotations

import base64
import copy
from typing import Any

CPT = "http://www.ama-assn.org/go/cpt"
HCPCS = "https://bluebutton.cms.gov/resources/codesystem/hcpcs"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
SOPT = "https://nahdo.org/sopt"
X12 = "https://codesystem.x12.org/005010"


def pas_bundle(codes: tuple[tuple[str, str], ...] = ((CPT, "62324"),), diagnoses: tuple[str, ...] = ("G89.4",),
               payer: str = "UnitedHealthcare", sopt: str | None = "5", birth: str = "1960-02-01",
               created: str = "2025-06-02T09:15:00-05:00", service: str = "2025-06-20",
               medications: tuple[dict[str, Any], ...] = (), answers: tuple[dict[str, Any], ...] = (),
               notes: tuple[str, ...] = (), state: str | None = "TX") -> dict[str, Any]:
    items = [{
        "extension": [
            {"url": "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/extension-serviceItemRequestType",
             "valueCodeableConcept": {"coding": [{"system": f"{X12}/1525", "code": "SC"}]}},
            {"url": "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/extension-certificationType",
             "valueCodeableConcept": {"coding": [{"system": f"{X12}/1322", "code": "I"}]}}],
        "sequence": i + 1,
        "category": {"coding": [{"system": f"{X12}/1365", "code": "2"}]},
        "productOrService": {"coding": [{"system": system, "code": code}]},
        "servicedDate": service,
        "locationCodeableConcept": {"coding": [{
            "system": "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set",
            "code": "22"}]},
    } for i, (system, code) in enumerate(codes)]
    claim = {
        "resourceType": "Claim", "id": "claim1",
        "identifier": [{"system": "urn:trnorg:1234567890", "value": "PA-0001"}],
        "status": "active",
        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "professional"}]},
        "use": "preauthorization", "patient": {"reference": "Patient/pat1"}, "created": created,
        "insurer": {"reference": "Organization/payer1"}, "provider": {"reference": "Organization/clinic1"},
        "priority": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/processpriority",
                                 "code": "normal"}]},
        "diagnosis": [{"sequence": k + 1, "diagnosisCodeableConcept": {"coding": [{"system": ICD10CM, "code": dx}]}}
                      for k, dx in enumerate(diagnoses)],
        "insurance": [{"sequence": 1, "focal": True, "coverage": {"reference": "Coverage/cov1"}}],
        "item": items,
    }
    patient = {"resourceType": "Patient", "id": "pat1", "birthDate": birth, "gender": "female",
               "name": [{"family": "Synthetic", "given": ["Test"]}]}
    if state:
        patient["address"] = [{"use": "home", "state": state}]
    coverage = {"resourceType": "Coverage", "id": "cov1", "status": "active",
                "beneficiary": {"reference": "Patient/pat1"}, "payor": [{"reference": "Organization/payer1"}]}
    if sopt:
        coverage["type"] = {"coding": [{"system": SOPT, "code": sopt}]}
    entries: list[dict[str, Any]] = [
        claim, patient, coverage,
        {"resourceType": "Organization", "id": "payer1", "name": payer},
        {"resourceType": "Organization", "id": "clinic1", "name": "Synthetic Pain Clinic"},
    ]
    for i, med in enumerate(medications):
        entries.append({"resourceType": "MedicationRequest", "id": f"mr{i + 1}", "status": "active",
                        "intent": "order", "subject": {"reference": "Patient/pat1"}, **copy.deepcopy(med)})
    if answers:
        entries.append({"resourceType": "QuestionnaireResponse", "id": "qr1", "status": "completed",
                        "subject": {"reference": "Patient/pat1"}, "item": copy.deepcopy(list(answers))})
    for i, text in enumerate(notes):
        entries.append({"resourceType": "DocumentReference", "id": f"doc{i + 1}", "status": "current",
                        "subject": {"reference": "Patient/pat1"}, "date": "2025-05-20T10:00:00-05:00",
                        "type": {"text": "Pain clinic consult"},
                        "content": [{"attachment": {"contentType": "text/plain",
                                                    "data": base64.b64encode(text.encode()).decode()}}]})
    return {"resourceType": "Bundle", "identifier": {"system": "urn:example:tx", "value": "b-1"},
            "type": "collection", "timestamp": "2025-06-02T09:15:00-05:00",
            "entry": [{"fullUrl": f"http://example.org/fhir/{r['resourceType']}/{r['id']}", "resource": r}
                      for r in entries]}


def morphine_request(display: str = "morphine sulfate 25 MG/ML Injectable Solution", dose: float = 0.5,
                     unit: str = "mg", route: str = "72607000") -> dict[str, Any]:
    return {"medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                                      "display": display}]},
            "dosageInstruction": [{
                "route": {"coding": [{"system": "http://snomed.info/sct", "code": route}]},
                "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [{"doseQuantity": {"value": dose, "unit": unit, "system": "http://unitsofmeasure.org",
                                                  "code": unit}}]}]}


def answer(link: str, **value: Any) -> dict[str, Any]:
    return {"linkId": link, "answer": [value]}


def group(link: str, *children: dict[str, Any]) -> dict[str, Any]:
    return {"linkId": link, "item": list(children)}


def pain_score(oid: str, day: str, value: Any, code: str = "72514-3", status: str = "final") -> dict[str, Any]:
    """A pain-severity Observation (0-10), to append to a Bundle's entries."""
    obs = {"resourceType": "Observation", "id": oid, "status": status,
           "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
           "subject": {"reference": "Patient/pat1"}, "effectiveDateTime": day}
    obs["valueInteger" if isinstance(value, int) else "valueQuantity"] = (
        value if isinstance(value, int) else {"value": value, "unit": "{score}"})
    return {"fullUrl": f"http://example.org/fhir/Observation/{oid}", "resource": obs}
