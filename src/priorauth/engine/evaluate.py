"""Evaluate a case against policies: a pure function of (case, policy version, as-of date).

Order of questions, per policy: is a version in force on the date of service; does a scope rule decide
(not addressed, referred elsewhere, excluded, no review needed); is the request kind covered; then the
criteria tree in three-valued logic: met -> approve, not met -> deny (a recommendation for a clinical
reviewer, never a final denial), unknown -> pend with the documentation to request.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from priorauth import __version__
from priorauth.case.model import Case
from priorauth.engine.compiled import ALL, ANY, NOT, SKIPPED, TEST, Trace, compiled, evaluate, holds
from priorauth.engine.facts import Facts, facts_for
from priorauth.engine.logic import MET, NOT_MET, UNKNOWN
from priorauth.engine.predicates import DETAIL, FULL, Outcome
from priorauth.knowledge.findings import Finding, case_findings, policy_findings
from priorauth.policy.loader import PolicySet
from priorauth.policy.model import Node, Policy

REVIEW_NOTICE = ("Recommendation only: an adverse outcome must be reviewed and finalized by a clinical "
                 "reviewer; the engine never issues a denial on its own.")


@dataclass
class Determination:
    policy: str
    decision: str
    summary: str
    policy_version: dict[str, Any] | None = None
    reasons: list[dict[str, Any]] = field(default_factory=list)
    documentation_requests: list[dict[str, Any]] = field(default_factory=list)
    documentation_checklist: list[dict[str, Any]] = field(default_factory=list)
    approval_duration: str | None = None
    trace: Trace | None = None
    facts: Facts | None = None
    findings: list[Finding] = field(default_factory=list)

    def to_dict(self, explain: str = "full") -> dict[str, Any]:
        out: dict[str, Any] = {"policy": self.policy, "decision": self.decision, "summary": self.summary}
        if self.decision in ("deny", "refer"):
            out["review_required"] = True
            out["notice"] = REVIEW_NOTICE if self.decision == "deny" else "Manual review: " + self.summary
        out["policy_version"] = self.policy_version
        out["reasons"] = self.reasons
        out["documentation_requests"] = self.documentation_requests
        out["documentation_checklist"] = self.documentation_checklist
        out["approval_duration"] = self.approval_duration
        out["findings"] = [f.to_dict() for f in self.findings]
        if self.trace is not None and self.facts is not None and explain != "summary":
            out["criteria"] = trace_to_dict(self.trace, self.facts, only_failing=explain == "fails")
        return out


def _explained(t: Trace, facts: Facts, level: int = DETAIL) -> Outcome | None:
    return t.predicate(facts, level) if t.predicate is not None and t.verdict != SKIPPED else None


_OPERATOR = {ALL: "all", ANY: "any", NOT: "not"}


def trace_to_dict(t: Trace, facts: Facts, only_failing: bool = False) -> dict[str, Any]:
    """The criteria tree as JSON: verdict, citation, facts read and explanation for every node."""
    program, verdicts = t.program, t.verdicts
    nodes, ops, preds, kids = program.nodes, program.ops, program.preds, program.kids

    def build(i: int) -> dict[str, Any]:
        n = nodes[i]
        verdict = verdicts[i]
        out: dict[str, Any] = {"id": n.id, "verdict": verdict, "section": n.section, "quote": n.quote}
        if n.title:
            out["title"] = n.title
        op = ops[i]
        if op != TEST:
            out["operator"] = _OPERATOR.get(op) or f"at_least {n.at_least}"
        if verdict == SKIPPED:
            out["detail"] = "does not apply to this request"
        elif op == TEST:
            outcome = preds[i](facts, FULL)
            if outcome.detail:
                out["detail"] = outcome.detail
            if outcome.facts:
                out["facts"] = {k: _jsonable(v) for k, v in outcome.facts.items()}
        if n.interpretation:
            out["interpretation"] = n.interpretation
        children = [k for k in kids[i] if not only_failing or verdicts[k] in (NOT_MET, UNKNOWN)]
        if children:
            out["children"] = [build(k) for k in children]
        return out

    return build(t.index)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def _cite(node: Node) -> dict[str, Any]:
    return {"criterion": node.id, "section": node.section, "quote": node.quote}


def deny_reasons(t: Trace, facts: Facts) -> list[dict[str, Any]]:
    """The not-met criteria on the decisive path, deepest first."""
    program, verdicts = t.program, t.verdicts
    out: list[dict[str, Any]] = []

    def visit(i: int) -> None:
        n = program.nodes[i]
        if n.test is not None or n.not_ is not None:
            outcome = _explained(Trace(program, i, verdicts), facts)
            reason = _cite(n) | {"finding": outcome.detail if outcome else f"{n.title or n.id} is not met"}
            if n.contraindication:
                reason["contraindication"] = True
            out.append(reason)
            return
        before = len(out)
        for k in program.kids[i]:
            if verdicts[k] == NOT_MET:
                visit(k)
        if n.contraindication and len(out) == before:
            out.append(_cite(n) | {"contraindication": True})

    if t.verdict == NOT_MET:
        visit(t.index)
    return out


def documentation_requests(t: Trace, facts: Facts) -> list[dict[str, Any]]:
    """Unknown criteria that could still lead to approval, each phrased as an actionable request."""
    program, verdicts = t.program, t.verdicts

    def visit(i: int) -> list[dict[str, Any]]:
        n = program.nodes[i]
        if n.test is not None:
            outcome = _explained(Trace(program, i, verdicts), facts)
            return [_cite(n) | {"request": n.request, "finding": outcome.detail if outcome else ""}]
        if n.not_ is not None:
            return [_cite(n) | {"request": n.request or f"documentation for {n.title or n.id}"}]
        unknown = [k for k in program.kids[i] if verdicts[k] == UNKNOWN]
        if n.any is not None and len(unknown) > 1:
            options = [r for k in unknown for r in visit(k)]
            choices = [_alternative(o["request"]) for o in options if "request" in o]
            return [{"criterion": n.id, "section": n.section, "one_of": options,
                     "request": "Any one of: " + " OR ".join(f"({i}) {c}" for i, c in enumerate(choices, 1))}]
        return [r for k in unknown for r in visit(k)]

    return visit(t.index) if t.verdict == UNKNOWN else []


def _alternative(request: str) -> str:
    """A request phrased as an alternative ("Or document ...") reads as a choice in a list."""
    return request[3].upper() + request[4:] if request.lower().startswith("or ") else request


_VERSION_INFO: dict[tuple[int, str | None], dict[str, Any]] = {}


def _version_info(policy: Policy, content_hash: str | None) -> dict[str, Any]:
    return {
        "id": policy.id, "version": policy.version, "payer": policy.payer_name, "number": policy.number,
        "title": policy.title, "effective": policy.effective.isoformat(),
        "end": policy.end.isoformat() if policy.end else None, "content_sha256": content_hash,
        "engine_version": __version__,
    }


def determine(facts: Facts, policy_id: str, versions: list[Policy],
              hashes: dict[tuple[str, str], str] | None = None,
              case_level: list[Finding] | None = None) -> Determination:
    """One policy's determination for one case, with the reviewer's findings.

    `case_level` are the findings that do not depend on the policy (computed once per case by
    `evaluate_case`); the policy's own code lists and checks are added here.
    """
    day = facts.case.request.service_date
    policy = next((p for p in reversed(versions) if p.in_force(day)), None)
    d = _decide(facts, policy_id, versions, policy, hashes)
    d.findings = list(case_level or [])
    if policy is not None:
        d.findings += policy_findings(facts.case, policy)
    return d


def _decide(facts: Facts, policy_id: str, versions: list[Policy], policy: Policy | None,
            hashes: dict[tuple[str, str], str] | None) -> Determination:
    if policy is None:
        day = facts.case.request.service_date
        spans = ", ".join(f"{p.version} ({p.effective}–{p.end or 'open'})" for p in versions)
        return Determination(policy_id, "not_applicable",
                             f"No version of {policy_id} is in force on the date of service {day} "
                             f"(known versions: {spans}).")
    content_hash = (hashes or {}).get((policy.id, policy.version))
    info = _VERSION_INFO.get((id(policy), content_hash))
    if info is None:  # computed once per loaded policy version
        info = _VERSION_INFO[(id(policy), content_hash)] = _version_info(policy, content_hash)
    kind = facts.kind
    checklist = [{"id": d.id, "section": d.section, "text": d.text}
                 for d in policy.documentation if holds(d.when, facts)]
    for rule in policy.scope:
        if holds(rule.when, facts):
            reason = {"rule": rule.id, "section": rule.section, "quote": rule.quote, "finding": rule.reason}
            return Determination(policy.id, rule.decision, rule.reason, info, reasons=[reason],
                                 approval_duration=policy.approval_duration.get(kind)
                                 if rule.decision == "approve" else None)
    if kind not in policy.covered_kinds:
        return Determination(policy.id, "refer",
                             f"{policy.payer_name} {policy.number} states no criteria for a {kind} request; "
                             "refer for manual review.", info, documentation_checklist=checklist)
    trace = evaluate(compiled(policy.criteria), facts)
    if trace.verdict == MET:
        duration = policy.approval_duration.get(kind)
        summary = "Every applicable criterion is met on documented facts."
        return Determination(policy.id, "approve", summary, info, documentation_checklist=checklist,
                             approval_duration=duration, trace=trace, facts=facts)
    if trace.verdict == NOT_MET:
        reasons = deny_reasons(trace, facts)
        summary = "Not met: " + "; ".join(f"{r['section']} ({r['criterion']})" for r in reasons)
        return Determination(policy.id, "deny", summary, info, reasons=reasons,
                             documentation_checklist=checklist, trace=trace, facts=facts)
    requests = documentation_requests(trace, facts)
    summary = f"Documentation missing for {len(requests)} criterion group(s); no criterion is documented as failed."
    return Determination(policy.id, "pend", summary, info, documentation_requests=requests,
                         documentation_checklist=checklist, trace=trace, facts=facts)


def evaluate_case(case: Case, policies: PolicySet, as_of: dt.date | None = None,
                  only: list[str] | None = None) -> list[Determination]:
    """Determinations for every policy (or those in `only`), in policy-set order.

    A member whose payer is known is evaluated only against that payer's policies.
    """
    facts = facts_for(case, as_of)
    ids = only or [pid for pid in policies.ids
                   if case.member.payer is None or policies.latest(pid).payer == case.member.payer]
    shared = case_findings(case)
    return [determine(facts, pid, policies.get(pid), policies.hashes, shared) for pid in ids]
