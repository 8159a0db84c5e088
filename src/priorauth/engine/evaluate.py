"""Evaluate a case against policies: a pure function of (case, evidence, compiled policy set, as-of date).

Order of questions, per policy: is a version in force on the date of service; does a scope rule decide
(not addressed, referred elsewhere, excluded, no review needed); is the request kind covered; then the
criteria tree in three-valued logic: met -> approve, not met -> deny (a recommendation for a clinical
reviewer, never a final denial), unknown -> pend with the documentation to request. The result is an
immutable `Determination`; nothing here reads a file or starts a process.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from hashlib import sha256

from priorauth.case.model import Case
from priorauth.case.provenance import CASE_FILE, Evidence
from priorauth.engine.explain import LeafOutcomes, deny_reasons, documentation_requests, evaluated_tree
from priorauth.engine.facts import Facts, facts_for
from priorauth.engine.findings import Finding, case_findings, policy_findings
from priorauth.engine.policyset import CompiledPolicies, CompiledPolicy
from priorauth.engine.record import ChecklistItem, Determination, Reason, Referral
from priorauth.policy.model import Rule, When
from priorauth.vocab import MET, NOT_MET, REVIEW_NEEDS, REVIEW_NEEDS_SECTION, Decision, Explain


def input_hash(case: Case) -> str:
    """SHA-256 of the case as validated (canonical JSON of the model), the record's input reference."""
    return sha256(case.model_dump_json().encode()).hexdigest()


class _Context:
    """What every policy's determination of one case shares."""

    __slots__ = ("facts", "input_sha256", "findings", "policies", "eager")

    def __init__(self, facts: Facts, policies: CompiledPolicies, findings: tuple[Finding, ...] = (),
                 explain: Explain | str = Explain.full):
        self.facts = facts
        self.policies = policies
        # A trace to render is explained in the same pass as the verdicts; a summary explains only what it cites
        self.eager = Explain(explain) is not Explain.summary
        self.input_sha256 = input_hash(facts.case)
        self.findings = tuple(case_findings(facts.case, policies.knowledge)) + findings

    def record(self, policy_id: str, compiled: CompiledPolicy | None, decision: Decision, summary: str,
               extra_findings: tuple[Finding, ...] = (), **parts) -> Determination:
        ps = self.policies
        version = compiled.version if compiled else None
        # The id addresses the content: input, policy version and its hash, as-of date, engine and knowledge.
        key = f"{self.input_sha256}|{policy_id}|{compiled.key if compiled else '-'}|{self.facts.as_of}|{ps.salt}"
        findings = self.findings + extra_findings
        if compiled is not None:
            findings += tuple(policy_findings(self.facts.case, compiled.policy, ps.knowledge, compiled.code_systems))
        return Determination(id=sha256(key.encode()).hexdigest()[:32], policy=policy_id, decision=decision,
                             summary=summary, policy_version=version, engine_version=ps.engine_version,
                             knowledge=ps.knowledge_versions, input_sha256=self.input_sha256,
                             as_of=self.facts.as_of, findings=findings, **parts)

    def referred(self, compiled: CompiledPolicy, rule: Rule, governed: Determination) -> Determination:
        """`compiled`'s determination when its scope rule hands the request to the policy that governs it."""
        policy = compiled.policy
        target = governed.policy_version
        name = f"{target.payer_name} {target.number}" if target else governed.policy
        key = f"{governed.id}|{policy.id}|{compiled.key}|{rule.id}"
        return replace(governed, id=sha256(key.encode()).hexdigest()[:32], policy=policy.id,
                       policy_version=compiled.version,
                       summary=f"{policy.payer_name} {policy.number} refers this request to {name} "
                               f"({rule.section}); under it: {governed.summary}",
                       governed_by=Referral(rule.id, rule.section, rule.quote, target or compiled.version))


def _in_force(versions: tuple[CompiledPolicy, ...], day: dt.date) -> CompiledPolicy | None:
    return next((c for c in reversed(versions) if c.policy.in_force(day)), None)


def _determine(ctx: _Context, policy_id: str) -> Determination:
    facts = ctx.facts
    versions = ctx.policies.versions(policy_id)
    compiled = _in_force(versions, facts.case.request.service_date)
    if compiled is None:
        day = facts.case.request.service_date
        spans = ", ".join(f"{c.policy.version} ({c.policy.effective}–{c.policy.end or 'open'})" for c in versions)
        warning = _no_version_warning(policy_id, versions, day)
        return ctx.record(policy_id, None, "not_applicable",
                          f"No version of {policy_id} is in force on the date of service {day} "
                          f"(known versions: {spans}). {warning.message}", extra_findings=(warning,))
    policy = compiled.policy
    kind = facts.kind
    if compiled.applies_to is not None and not compiled.applies_to.holds(facts):
        return ctx.record(policy.id, compiled, "not_applicable",
                          f"{policy.payer_name} {policy.number} does not apply to this request "
                          f"({_applies_to_text(policy.applies_to, facts)}).")
    for rule, when in compiled.scope:
        if when is None or when.holds(facts):
            if rule.refer_to is not None:
                return ctx.referred(compiled, rule, _determine(ctx, rule.refer_to))
            reason = Reason(rule.section, rule.quote, rule.reason, rule=rule.id)
            duration = policy.approval_duration.get(kind) if rule.decision == "approve" else None
            return ctx.record(policy.id, compiled, rule.decision, rule.reason, reasons=(reason,),
                              approval_duration=duration)
    checklist = tuple(item for item, when in compiled.documentation if when is None or when.holds(facts))
    if kind not in policy.covered_kinds:
        needs = tuple(ChecklistItem(f"reviewer-needs-{i}", REVIEW_NEEDS_SECTION, text)
                      for i, text in enumerate(REVIEW_NEEDS.get(kind, ()), 1))
        return ctx.record(policy.id, compiled, "refer",
                          f"{policy.payer_name} {policy.number} states no criteria for a {kind} request; "
                          "refer for manual review.", documentation_checklist=checklist + needs)
    program = compiled.program
    if ctx.eager:
        verdicts, outcomes = compiled.code.get().explained(facts)
    else:
        verdicts = compiled.code.get().verdicts(facts)
        outcomes = LeafOutcomes(program, verdicts, facts)
    tree = evaluated_tree(program, verdicts, outcomes, facts)
    verdict = verdicts[program.root]
    if verdict == MET:
        return ctx.record(policy.id, compiled, "approve", "Every applicable criterion is met on documented facts.",
                          documentation_checklist=checklist, approval_duration=policy.approval_duration.get(kind),
                          tree=tree)
    if verdict == NOT_MET:
        reasons = deny_reasons(program, verdicts, outcomes)
        summary = "Not met: " + "; ".join(f"{r.section} ({r.criterion})" for r in reasons)
        return ctx.record(policy.id, compiled, "deny", summary, reasons=reasons,
                          documentation_checklist=checklist, tree=tree)
    requests = documentation_requests(program, verdicts, outcomes)
    referred = [r for r in requests if r.criterion in program.refers]
    if referred:  # the decision hangs on a criterion the policy leaves to a reviewer
        reasons = tuple(Reason(r.section, r.quote or "", r.request, criterion=r.criterion) for r in referred)
        return ctx.record(policy.id, compiled, "refer", "Refer for review: " + "; ".join(
            f"{r.request} ({r.section})" for r in referred), reasons=reasons,
            documentation_requests=tuple(r for r in requests if r.criterion not in program.refers),
            documentation_checklist=checklist, tree=tree)
    count = f"{len(requests)} criteri{'on' if len(requests) == 1 else 'a'}"
    summary = f"Documentation missing for {count}; nothing documented fails a criterion."
    return ctx.record(policy.id, compiled, "pend", summary, documentation_requests=requests,
                      documentation_checklist=checklist, tree=tree)


def _no_version_warning(policy_id: str, versions: tuple[CompiledPolicy, ...], day: dt.date) -> Finding:
    """Not "does not govern": no version on file covers the date, so the one that does has to be found."""
    last, first = versions[-1].policy, versions[0].policy
    if last.end is not None and day > last.end:
        text = (f"The latest version of {policy_id} on file ended {last.end}: a newer version is probably in force; "
                "load it before relying on this determination.")
    elif day < first.effective:
        text = f"The earliest version of {policy_id} on file takes effect {first.effective}; check the date of service."
    else:
        text = f"No version of {policy_id} on file covers {day}; find the version in force then."
    return Finding("policy_version", "warning", text)


def _applies_to_text(when: When, facts: Facts) -> str:
    """`it governs line_of_business medicare, medicare-advantage; this request: line_of_business not documented`."""
    wanted = [(k, v) for k, v in when.model_dump(exclude_none=True, by_alias=True).items() if k != "not"]
    said = "; ".join(f"{k} {', '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in wanted)
    shown = {"kind": facts.kind, "indication": facts.indication, "route": facts.route,
             "line_of_business": facts.line_of_business, "state": facts.state, "age_under": facts.age}
    have = "; ".join(f"{k} {shown[k] if shown.get(k) is not None else 'not documented'}"
                     for k, _ in wanted if k in shown)
    return f"it governs {said or 'other requests'}" + (f"; this request: {have}" if have else "")


def evaluate_case(case: Case, policies: CompiledPolicies, as_of: dt.date | None = None,
                  only: list[str] | None = None, evidence: Evidence = CASE_FILE,
                  findings: tuple[Finding, ...] = (), explain: Explain | str = Explain.full) -> list[Determination]:
    """Determinations for every policy (or those in `only`), in policy-set order. `findings`: what the stages
    before the engine found for the reviewer (sources that disagree), carried with the case's own. `explain`:
    how they will be rendered; below `fails`, each leaf is explained only when something reads it (the same
    record, made faster).

    A member whose payer is documented is evaluated only against that payer's policies; a payer no
    loaded policy belongs to is an invalid case.
    """
    ids = policies.for_payer(case.member.payer)
    if only:
        ids = [policies.versions(pid)[0].policy.id for pid in only]
    ctx = _Context(facts_for(case, as_of, evidence), policies, findings, explain)
    return [_determine(ctx, pid) for pid in ids]


def determine(case: Case, policies: CompiledPolicies, policy_id: str, as_of: dt.date | None = None,
              evidence: Evidence = CASE_FILE, explain: Explain | str = Explain.full) -> Determination:
    """One policy's determination of one case."""
    return _determine(_Context(facts_for(case, as_of, evidence), policies, explain=explain), policy_id)


__all__ = ["Determination", "Finding", "determine", "evaluate_case", "input_hash"]
