"""Every policy carries its own cases, NOTES.md and full criterion coverage (the "require suites" rule)."""

from __future__ import annotations

import pytest

from priorauth.engine import CompiledPolicies
from priorauth.knowledge import open_knowledge
from priorauth.policy.loader import load_policies
from priorauth.tester.policy_cases import run_policy_cases

POLICIES = CompiledPolicies(load_policies(), open_knowledge())


@pytest.mark.parametrize("policy_id", POLICIES.ids)
def test_policy_cases_pass_and_cover_every_criterion_both_ways(policy_id):
    report = run_policy_cases(POLICIES, policy_id)
    failures = [f"{r.case}: {'; '.join(r.problems)}" for r in report.results if not r.ok]
    assert not failures, "\n".join(failures)
    assert len(report.results) >= 10
    assert report.gaps == {}, report.gaps
    assert report.missing_decisions == []


@pytest.mark.parametrize("policy_id", POLICIES.ids)
def test_policy_folder_has_notes_and_cases(policy_id):
    folder = POLICIES.policies.file_of(POLICIES.policies.latest(policy_id)).parent
    assert (folder / "NOTES.md").read_text().strip()
    assert (folder / "cases" / "expected.yaml").is_file()


def test_a_wrong_expectation_fails(tmp_path):
    """The suite runner can fail: flip one expected decision in a copy of a policy folder."""
    import shutil

    from priorauth.policy.loader import default_policy_dir

    folder = tmp_path / "policies"
    shutil.copytree(default_policy_dir(), folder)
    expected = folder / "hcsc" / "sur707-008" / "cases" / "expected.yaml"
    text = expected.read_text()
    assert "decision: deny" in text
    expected.write_text(text.replace("decision: deny", "decision: approve", 1))
    report = run_policy_cases(CompiledPolicies(load_policies(folder), POLICIES.knowledge), "hcsc-sur707-008")
    assert any(not r.ok for r in report.results)
