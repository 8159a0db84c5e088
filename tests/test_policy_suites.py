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
    assert report.unspecified == []  # every pend states its requests, every deny its citations


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


def _flipped(tmp_path, edit) -> list:
    """Run HCSC's cases from a copy of the policies with one edit made to its expected.yaml."""
    import shutil

    from priorauth.policy.loader import default_policy_dir

    folder = tmp_path / "policies"
    shutil.copytree(default_policy_dir(), folder)
    expected = folder / "hcsc" / "sur707-008" / "cases" / "expected.yaml"
    expected.write_text(edit(expected.read_text()))
    report = run_policy_cases(CompiledPolicies(load_policies(folder), POLICIES.knowledge), "hcsc-sur707-008")
    return [p for r in report.results for p in r.problems]


def test_a_wrong_criterion_verdict_fails(tmp_path):
    """The per-criterion expectations are compared, not just the decision."""
    problems = _flipped(tmp_path, lambda t: t.replace("A.2-mental-health: met", "A.2-mental-health: unknown", 1))
    assert any("criterion A.2-mental-health: met, expected unknown" in p for p in problems), problems


def test_a_wrong_request_or_citation_fails(tmp_path):
    problems = _flipped(tmp_path, lambda t: t.replace("requests: [A.2-evaluation]", "requests: [A.2-pain]", 1))
    assert any(p.startswith("requests: missing A.2-pain; unexpected A.2-evaluation") for p in problems), problems
    cited = _flipped(tmp_path / "2", lambda t: t.replace("cites: [", "cites: [hcsc, ", 1))
    assert any(p.startswith("cites: missing hcsc") for p in cited), cited
