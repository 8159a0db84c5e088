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
    assert report.idle_rules == []  # every scope rule decides some case


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


def _copy_with(tmp_path, relative: str, edit):
    import shutil

    from priorauth.policy.loader import default_policy_dir

    folder = tmp_path / "policies"
    shutil.copytree(default_policy_dir(), folder)
    target = folder / relative
    target.write_text(edit(target.read_text()))
    return CompiledPolicies(load_policies(folder), POLICIES.knowledge)


def test_a_wrong_governing_policy_or_missing_finding_fails(tmp_path):
    ps = _copy_with(tmp_path, "uhc/2022t0626c/cases/expected.yaml",
                    lambda t: t.replace("governed_by: medicare-ncd-280-14", "governed_by: hcsc-sur707-008", 1))
    problems = [p for r in run_policy_cases(ps, "uhc-2022t0626c").results for p in r.problems]
    assert "governed by medicare-ncd-280-14, expected hcsc-sur707-008" in problems, problems
    ps = _copy_with(tmp_path / "2", "moda/hcs-0044a/cases/expected.yaml",
                    lambda t: t.replace("findings: [dose]", "findings: [dose, concentration]", 1))
    problems = [p for r in run_policy_cases(ps, "moda-hcs-0044a").results for p in r.problems]
    assert any(p.startswith("findings: missing concentration") for p in problems), problems


def test_a_scope_rule_no_case_reaches_is_a_gap(tmp_path):
    """A typo in a rule's `when` makes it dead; the coverage report names it."""
    ps = _copy_with(tmp_path, "florida-blue/09-j1000-31/policy.yaml",
                    lambda t: t.replace("when: {line_of_business: [fep]}", "when: {line_of_business: [medicaid]}", 1))
    report = run_policy_cases(ps, "floridablue-09-j1000-31")
    assert report.idle_rules == ["scope-fep"]
    assert run_policy_cases(POLICIES, "floridablue-09-j1000-31").idle_rules == []


def test_every_version_of_a_policy_is_self_tested(tmp_path):
    """An older version's criteria are covered by the cases dated while it was in force, as `id@version`."""
    import shutil

    from priorauth.policy.loader import default_policy_dir

    folder = tmp_path / "policies"
    shutil.copytree(default_policy_dir(), folder)
    uhc = folder / "uhc" / "2022t0626c"
    text = (uhc / "policy.yaml").read_text()
    old = text.replace('version: "2022-05-01"', 'version: "2021-01-01"').replace(
        "effective: 2022-05-01", "effective: 2021-01-01\nend: 2022-04-30").replace("end: null\n", "", 1)
    (uhc / "policy-2021-01-01.yaml").write_text(old)
    ps = CompiledPolicies(load_policies(folder), POLICIES.knowledge)
    assert [p.version for p in ps.policies.versions["uhc-2022t0626c"]] == ["2021-01-01", "2022-05-01"]
    report = run_policy_cases(ps, "uhc-2022t0626c")
    old_keys = [k for k in report.coverage if k.endswith("@2021-01-01")]
    assert old_keys and "uhc@2021-01-01" in report.coverage
    # the UHC cases dated before 2022-05-01 now fall under the older version; its criteria are covered by them
    # or named as gaps, never silently ignored
    covered = {k for k in old_keys if report.coverage[k]["met"] or report.coverage[k]["not_met"]
               or report.coverage[k]["unknown"]}
    assert covered and set(old_keys) - covered <= set(report.gaps)
