"""Synthetic PAS request Bundles (tests/fhir/bundles, written from the PAS IG and the policy texts, each with the
case file that carries the same facts): the Bundle and its case file get the same determinations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from priorauth.engine.evaluate import evaluate_case
from priorauth.intake import load_case
from priorauth.intake.fhir import map_request

BUNDLES = Path(__file__).parent / "fhir" / "bundles"
PAIRED = sorted(p for p in BUNDLES.glob("*.json") if not p.name.endswith(".case.json"))


def outcome(d) -> tuple:
    return (d.policy, d.decision, d.documentation_requests, d.reasons,
            d.governed_by.policy.id if d.governed_by else None)


@pytest.mark.parametrize("bundle", PAIRED, ids=lambda p: p.stem)
def test_a_bundle_is_decided_as_its_case_file(bundle, policies):
    mapping = map_request(json.loads(bundle.read_bytes()), policies)
    case_file = bundle.with_name(bundle.stem + ".case.json")
    if not case_file.exists():  # a service the policies do not govern
        assert mapping.case is None and "is intrathecal or epidural drug delivery" in mapping.not_applicable
        return
    expected = load_case(case_file)
    assert mapping.case is not None, mapping.not_applicable
    assert mapping.case.model_dump() == expected.model_dump()
    got = [outcome(d) for d in evaluate_case(mapping.case, policies, evidence=mapping.evidence)]
    assert got == [outcome(d) for d in evaluate_case(expected, policies)]


def test_the_bundles_cover_every_kind_and_payer():
    cases = [json.loads(p.read_text()) for p in BUNDLES.glob("*.case.json")]
    assert {c["request"]["kind"] for c in cases} == {"trial", "implant", "refill", "replacement", "revision",
                                                     "removal"}
    assert {c["member"]["payer"] for c in cases} == {"uhc", "florida-blue", "hcsc", "moda", "caresource", "medicare"}
    assert {c["request"]["indication"] for c in cases} == {"cancer_pain", "noncancer_pain", "spasticity"}
