"""The cross-policy view of shared concepts: each policy's reading in common terms, and every difference either
the same reading or one the policy's NOTES.md explains."""

from __future__ import annotations

import json
import re

import pytest

from conftest import run_cli
from priorauth.policy.concepts import differing, readings
from priorauth.policy.loader import load_policies

PS = load_policies()
FOUND = list(readings([PS.latest(pid) for pid in PS.ids]))


def by(concept: str) -> dict[tuple[str, str], str]:
    return {(r.policy, r.criterion): r.reading for r in FOUND if r.concept == concept}


def test_systemic_opioids_are_read_with_or_without_transdermal_as_each_text_says():
    opioids = by("systemic-opioids-tried")
    assert opioids[("caresource-ar-mm-1502", "IV.G-medication-failed")] == "transdermal not counted"
    assert opioids[("floridablue-09-j1000-31", "I.2-systemic-opioids")].startswith(
        "transdermal counted; fixed schedule; at least 42 days")
    # every policy that leaves transdermal opioids out says why in its notes
    for (policy_id, _), reading in opioids.items():
        if reading.startswith("transdermal not counted"):
            notes = (PS.file_of(PS.latest(policy_id)).parent / "NOTES.md").read_text()
            assert "transdermal" in notes.lower(), policy_id


def test_the_trial_threshold_differs_only_where_the_text_says_greater_than():
    relief = by("trial-pain-relief")
    strict = {key for key, reading in relief.items() if reading == "> 50"}
    assert strict == {("hcsc-sur707-008", "B.2-greater-than-50")}
    assert "trial-pain-relief" in differing(FOUND)


def test_each_mental_health_evaluation_names_the_question_it_answers():
    evaluations = by("mental-health-evaluation")
    assert len(evaluations) >= 4
    assert all(reading.startswith("cleared answers: “") for reading in evaluations.values())
    assert len(set(evaluations.values())) == len(evaluations)  # four different questions


def test_the_cli_lists_readings_and_refuses_an_unknown_concept():
    proc = run_cli("policies", "concepts", "--concept", "life-expectancy", "--json", check=True)
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert rows and {r["concept"] for r in rows} == {"life-expectancy"}
    assert {r["reading"] for r in rows} == {"≥ 3"}
    bad = run_cli("policies", "concepts", "--concept", "life-expectency")
    assert bad.returncode == 2 and "did you mean life-expectancy" in bad.stderr
    text = run_cli("policies", "concepts", check=True, env={"COLUMNS": "200"}).stdout
    assert "systemic-opioids-tried (differs)" in text


def test_policies_apply_the_shared_library_or_override_it_with_a_reason():
    evaluations = {(r.policy, r.criterion): r.library for r in FOUND if r.concept == "mental-health-evaluation"}
    assert set(evaluations.values()) == {"uses mental-health-evaluation-cleared"}
    opioids = {(r.policy, r.criterion): r.library for r in FOUND if r.concept == "systemic-opioids-tried"}
    assert opioids[("caresource-ar-mm-1502", "IV.G-medication-failed")].startswith(
        "overrides systemic-opioids-failed: The text asks for \"oral or subcutaneous medication")
    assert opioids[("floridablue-09-j1000-31", "I.2-systemic-opioids")].startswith("overrides systemic-opioids-failed")


@pytest.mark.parametrize("leaf,message", [
    ({"uses": "systemic-opioid-failed"}, "not in the concept library (did you mean systemic-opioids-failed?)"),
    ({"uses": "oral-baclofen-failed", "test": {"treatment": {"types": ["oral_baclofen"]}}},
     "writes its own test for concept oral-baclofen-failed: say why in `override`"),
    ({"override": "because", "test": {"treatment": {"types": ["oral_baclofen"]}}}, "`override` goes with `uses`"),
    ({"uses": "oral-baclofen-failed", "override": "because"}, "`override` needs the criterion's own `test`"),
])
def test_library_references_are_checked(leaf, message):
    from priorauth.policy.model import Node

    with pytest.raises(ValueError, match=re.escape(message)):
        Node.model_validate({"id": "x", "section": "s", "quote": "q", "request": "r", **leaf})


def test_a_leaf_that_uses_a_concept_decides_as_the_concept_does():
    from priorauth.policy.library import library
    from priorauth.policy.model import Node

    node = Node.model_validate({"id": "x", "section": "s", "quote": "q", "request": "r",
                                "uses": "oral-baclofen-failed"})
    assert node.test == library()["oral-baclofen-failed"]["test"] and node.spec[0] == "treatment"


def test_every_policy_reading_life_expectancy_uses_the_library_concept():
    life = [r for r in FOUND if r.concept == "life-expectancy"]
    assert len(life) >= 3 and {r.library for r in life} == {"uses life-expectancy-at-least-3-months"}
