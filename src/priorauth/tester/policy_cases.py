"""Each policy's own test cases (like OPA's _test.rego files) and the criterion coverage they reach.

Beside every policy file: `cases/*.json|yaml` (synthetic requests named by scenario) and
`cases/expected.yaml` mapping each case file's stem to its expected decision, the expected verdicts of
named criteria (`criteria`), and what a nurse acts on: the criteria a pend requests documentation for
(`requests`), those a deny cites (`cites`), the policy a scope rule referred the request to
(`governed_by`) and the kinds of finding the reviewer must see (`findings`). Coverage: for every
criterion, the cases where it came out met and where it came out not met or unknown; for every scope
rule, the cases it decided (a rule no case reaches may be a typo in its `when`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from priorauth.engine.evaluate import determine
from priorauth.engine.policyset import CompiledPolicies
from priorauth.engine.record import Criterion, Determination
from priorauth.errors import PolicyError, PriorAuthError
from priorauth.intake.files import load_case
from priorauth.policy.model import Policy
from priorauth.vocab import VERDICTS
from priorauth.yamlio import load_yaml

REQUIRED_DECISIONS = ("approve", "pend", "deny")
# The expectation every case of a decision must state: what a pend requests, what a deny cites.
ACTIONS = {"pend": "requests", "deny": "cites"}


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
    unspecified: list[str] = field(default_factory=list)  # pend or deny cases that state no requests / cites
    rules: dict[str, list[str]] = field(default_factory=dict)  # scope rule id -> the cases it decided
    referred: frozenset[str] = frozenset()  # `refer` criteria: never met by design, so only "unknown" is asked

    @property
    def gaps(self) -> dict[str, list[str]]:
        """Criteria never met, or never not-met/unknown, across the cases."""
        out = {}
        for cid, seen in self.coverage.items():
            lacking = []
            if not seen["met"] and cid not in self.referred:
                lacking.append("met")
            if not seen["not_met"] and not seen["unknown"]:
                lacking.append("not met or unknown")
            if lacking:
                out[cid] = lacking
        return out

    @property
    def idle_rules(self) -> list[str]:
        """Scope rules that decided none of the cases."""
        return [rid for rid, decided in self.rules.items() if not decided]

    @property
    def passed(self) -> int:
        return sum(r.ok for r in self.results)


def _collect(tree: Criterion, into: dict[str, dict[str, list[str]]], case: str, suffix: str = "") -> dict[str, str]:
    verdicts: dict[str, str] = {}
    for node in tree.walk():
        verdicts[node.id] = node.status
        key = node.id + suffix
        if node.status in VERDICTS and key in into:
            into[key][node.status].append(case)
    return verdicts


def compare_criteria(want: dict[str, str], verdicts: dict[str, str], known: dict) -> list[str]:
    """Each criterion's expected verdict against the evaluated tree."""
    problems = []
    for cid, verdict in want.items():
        if cid not in known:
            problems.append(f"criterion {cid} is not in the policy")
        elif verdicts.get(cid) != verdict:
            problems.append(f"criterion {cid}: {verdicts.get(cid, 'not evaluated')}, expected {verdict}")
    return problems


def compare_actions(want: dict[str, Any], d: Determination) -> list[str]:
    """What a nurse acts on: the criteria a pend requests documentation for (`requests`, a one-of group by its
    own id) and the criteria or scope rules a deny cites (`cites`), each compared as a set."""
    problems = []
    for key, got in (("requests", {r.criterion for r in d.documentation_requests}),
                     ("cites", {r.criterion or r.rule for r in d.reasons})):
        if key not in want:
            continue
        expected = set(want[key] or [])
        if got != expected:
            missing, extra = sorted(expected - got), sorted(got - expected)
            problems.append(f"{key}: " + "; ".join(part for part in (
                f"missing {', '.join(missing)}" if missing else "", f"unexpected {', '.join(extra)}" if extra else "")
                if part))
    return problems


def run_policy_cases(policies: CompiledPolicies, policy_id: str) -> PolicyReport:
    policy = policies.versions(policy_id)[-1].policy
    folder = policies.policies.file_of(policy).parent / "cases"
    report = PolicyReport(policy)
    # Every version is self-tested: a case is decided by the version in force on its date of service, and the
    # criteria of an older version are covered as `id@version`.
    older = policies.policies.versions[policy_id][:-1]
    report.coverage = {n.id: {"met": [], "not_met": [], "unknown": []} for n in policy.criteria.walk()}
    report.coverage |= {f"{n.id}@{p.version}": {"met": [], "not_met": [], "unknown": []}
                        for p in older for n in p.criteria.walk()}
    report.rules = {rule.id: [] for rule in policy.scope}
    report.referred = frozenset(n.id for n in policy.criteria.walk() if n.refer is not None)
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
        rule = d.governed_by.rule if d.governed_by else next((r.rule for r in d.reasons if r.rule), None)
        if rule in report.rules:
            report.rules[rule].append(stem)
        governing = d.governed_by.policy.id if d.governed_by else None
        if "governed_by" in want and want["governed_by"] != governing:
            problems.append(f"governed by {governing or 'itself'}, expected {want['governed_by']}")
        if d.governed_by is None:
            version = d.policy_version.version if d.policy_version else policy.version
            suffix = "" if version == policy.version else f"@{version}"
            verdicts = _collect(d.criteria, report.coverage, stem, suffix) if d.criteria else {}
            known: dict = verdicts if suffix else report.coverage
        else:  # the criteria are the governing policy's: checked, but not this policy's coverage
            verdicts = {n.id: n.status for n in d.criteria.walk()} if d.criteria else {}
            known = verdicts
        problems += compare_criteria(want.get("criteria") or {}, verdicts, known)
        problems += compare_actions(want, d)
        if "findings" in want:  # the kinds of finding the reviewer must be shown (others may be there too)
            kinds = {f.kind for f in d.findings}
            missing = sorted(set(want["findings"] or []) - kinds)
            if missing:
                problems.append(f"findings: missing {', '.join(missing)} (got {', '.join(sorted(kinds)) or 'none'})")
        if d.decision in ACTIONS and ACTIONS[d.decision] not in want:
            report.unspecified.append(f"{stem}: a {d.decision} case without `{ACTIONS[d.decision]}`")
        report.results.append(CaseResult(policy_id, stem, not problems, problems))
    report.missing_decisions = [k for k in REQUIRED_DECISIONS if k not in decisions_seen and k not in waivers]
    return report


def run_all(policies: CompiledPolicies, only: list[str] | None = None) -> list[PolicyReport]:
    return [run_policy_cases(policies, pid) for pid in (only or policies.ids)]
