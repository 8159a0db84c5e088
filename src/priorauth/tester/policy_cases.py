"""Each policy's own test cases (like OPA's _test.rego files) and the criterion coverage they reach.

Beside every policy file: `cases/*.json|yaml` (synthetic requests named by scenario) and
`cases/expected.yaml` mapping each case file's stem to its expected decision and, optionally, the
expected verdicts of named criteria. Coverage: for every criterion, the cases where it came out met and
where it came out not met or unknown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from priorauth.engine.evaluate import determine
from priorauth.engine.policyset import CompiledPolicies
from priorauth.engine.record import Criterion
from priorauth.errors import PolicyError, PriorAuthError
from priorauth.intake.files import load_case
from priorauth.policy.model import Policy
from priorauth.vocab import VERDICTS
from priorauth.yamlio import load_yaml

REQUIRED_DECISIONS = ("approve", "pend", "deny")


@dataclass
class CaseResult:
    policy: str
    case: str
    ok: bool
    problems: list[str] = field(default_factory=list)


@dataclass
class PolicyReport:
    policy: Policy
    results: list[CaseResult] = field(default_factory=list)
    coverage: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    missing_decisions: list[str] = field(default_factory=list)

    @property
    def gaps(self) -> dict[str, list[str]]:
        """Criteria never met, or never not-met/unknown, across the cases."""
        out = {}
        for cid, seen in self.coverage.items():
            lacking = []
            if not seen["met"]:
                lacking.append("met")
            if not seen["not_met"] and not seen["unknown"]:
                lacking.append("not met or unknown")
            if lacking:
                out[cid] = lacking
        return out

    @property
    def passed(self) -> int:
        return sum(r.ok for r in self.results)


def _collect(tree: Criterion, into: dict[str, dict[str, list[str]]], case: str) -> dict[str, str]:
    verdicts: dict[str, str] = {}
    for node in tree.walk():
        verdicts[node.id] = node.status
        if node.status in VERDICTS and node.id in into:
            into[node.id][node.status].append(case)
    return verdicts


def run_policy_cases(policies: CompiledPolicies, policy_id: str) -> PolicyReport:
    policy = policies.versions(policy_id)[-1].policy
    folder = policies.policies.file_of(policy).parent / "cases"
    report = PolicyReport(policy)
    report.coverage = {n.id: {"met": [], "not_met": [], "unknown": []} for n in policy.criteria.walk()}
    expected_file = folder / "expected.yaml"
    if not expected_file.is_file():
        report.missing_decisions = list(REQUIRED_DECISIONS)
        return report
    try:
        expected: dict[str, Any] = load_yaml(expected_file.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise PolicyError(str(expected_file), f"not valid YAML: {exc}") from None
    waivers = expected.pop("_waivers", {}) or {}
    decisions_seen = set()
    for stem, want in expected.items():
        if not isinstance(want, dict) or "decision" not in want:
            raise PolicyError(f"{expected_file}: {stem}", "needs a mapping with `decision`")
        path = next((folder / f"{stem}{ext}" for ext in (".json", ".yaml", ".yml")
                     if (folder / f"{stem}{ext}").is_file()), None)
        if path is None:
            report.results.append(CaseResult(policy_id, stem, False, [f"no case file {stem}.json or .yaml"]))
            continue
        try:
            case = load_case(path)
        except PriorAuthError as exc:
            report.results.append(CaseResult(policy_id, stem, False, [str(exc)]))
            continue
        d = determine(case, policies, policy_id)
        problems = []
        if d.decision != want["decision"]:
            problems.append(f"decision {d.decision}, expected {want['decision']} ({d.summary})")
        decisions_seen.add(d.decision)
        verdicts = _collect(d.criteria, report.coverage, stem) if d.criteria else {}
        for cid, verdict in (want.get("criteria") or {}).items():
            if cid not in report.coverage:
                problems.append(f"criterion {cid} is not in the policy")
            elif verdicts.get(cid) != verdict:
                problems.append(f"criterion {cid}: {verdicts.get(cid, 'not evaluated')}, expected {verdict}")
        report.results.append(CaseResult(policy_id, stem, not problems, problems))
    report.missing_decisions = [k for k in REQUIRED_DECISIONS if k not in decisions_seen and k not in waivers]
    return report


def run_all(policies: CompiledPolicies, only: list[str] | None = None) -> list[PolicyReport]:
    return [run_policy_cases(policies, pid) for pid in (only or policies.ids)]
