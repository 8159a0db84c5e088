"""The determination: an immutable record, built once by the engine, that every renderer only reads.

It holds what was decided and why (the criteria tree with each node's status, the facts each leaf read
and their sources, deny reasons, documentation requests, findings) and what it was decided with (policy
version and content hash, engine version, knowledge versions, input hash, as-of date). `to_dict` is
its JSON form, format `priorauth-determination/1` (schema: `priorauth schema determination`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from priorauth.case.provenance import Source
from priorauth.engine.findings import Finding
from priorauth.vocab import NOT_MET, REVIEW_NOTICE, REVIEW_REQUIRED_DECISIONS, UNKNOWN, Decision, Explain, NodeStatus

FORMAT = "priorauth-determination/1"


class Fact(NamedTuple):
    """One fact a leaf read: its path, its value (None: not documented) and where it was documented."""

    path: str
    value: Any
    sources: tuple[Source, ...] = ()


class Criterion(NamedTuple):
    """One node of the evaluated criteria tree."""

    id: str
    status: NodeStatus
    section: str
    quote: str
    title: str | None
    operator: str | None  # all, any, not, at_least N; None for a leaf test
    interpretation: str | None
    detail: str
    facts: tuple[Fact, ...]
    children: tuple[Criterion, ...]

    def walk(self) -> Iterator[Criterion]:
        yield self
        for child in self.children:
            yield from child.walk()

    def to_dict(self, only_failing: bool = False) -> dict[str, Any]:
        node_id, status, section, quote, title, operator, interpretation, detail, facts, children = self
        out: dict[str, Any] = {"id": node_id, "verdict": status, "section": section, "quote": quote}
        if title:
            out["title"] = title
        if operator:
            out["operator"] = operator
        if detail:
            out["detail"] = detail
        if facts:
            out["facts"] = {f[0]: _jsonable(f[1]) for f in facts}
            sources = {f[0]: [s.to_dict() for s in f[2]] for f in facts if f[2]}
            if sources:
                out["sources"] = sources
        if interpretation:
            out["interpretation"] = interpretation
        if children:
            if only_failing:
                shown = [c.to_dict(True) for c in children if c[1] == NOT_MET or c[1] == UNKNOWN]
                if shown:
                    out["children"] = shown
            else:
                out["children"] = [c.to_dict() for c in children]
        return out


class Reason(NamedTuple):
    """Why a deny (a not-met criterion on the decisive path) or a scope rule's decision."""

    section: str
    quote: str
    finding: str
    criterion: str | None = None
    rule: str | None = None
    contraindication: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"criterion": self.criterion} if self.criterion else {"rule": self.rule}
        out |= {"section": self.section, "quote": self.quote}
        if self.finding:
            out["finding"] = self.finding
        if self.contraindication:
            out["contraindication"] = True
        return out


class Request(NamedTuple):
    """What to ask the provider for: one unknown criterion, or a choice among several (`one_of`)."""

    criterion: str
    section: str
    request: str
    quote: str | None = None
    finding: str | None = None
    one_of: tuple[Request, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"criterion": self.criterion, "section": self.section}
        if self.quote is not None:
            out["quote"] = self.quote
        out["request"] = self.request
        if self.finding is not None:
            out["finding"] = self.finding
        if self.one_of:
            out["one_of"] = [r.to_dict() for r in self.one_of]
        return out


class ChecklistItem(NamedTuple):
    id: str
    section: str
    text: str


class PolicyVersion(NamedTuple):
    id: str
    version: str
    payer: str
    payer_name: str
    number: str
    title: str
    effective: dt.date
    end: dt.date | None
    content_sha256: str | None

    def to_dict(self, engine_version: str) -> dict[str, Any]:
        return {"id": self.id, "version": self.version, "payer": self.payer_name, "payer_id": self.payer,
                "number": self.number, "title": self.title, "effective": self.effective.isoformat(),
                "end": self.end.isoformat() if self.end else None, "content_sha256": self.content_sha256,
                "engine_version": engine_version}


@dataclass(frozen=True, slots=True)
class Determination:
    id: str  # content address: the same input, policy version, as-of date, engine and knowledge give the same id
    policy: str
    decision: Decision
    summary: str
    policy_version: PolicyVersion | None
    engine_version: str
    knowledge: tuple[tuple[str, str], ...]
    input_sha256: str
    as_of: dt.date
    reasons: tuple[Reason, ...] = ()
    documentation_requests: tuple[Request, ...] = ()
    documentation_checklist: tuple[ChecklistItem, ...] = ()
    approval_duration: str | None = None
    criteria: Criterion | None = None
    findings: tuple[Finding, ...] = ()
    not_met_nodes: tuple[str, ...] = ()  # ids of the tree's not-met nodes, in program order


    @property
    def review_required(self) -> bool:
        return self.decision in REVIEW_REQUIRED_DECISIONS

    @property
    def not_met_criteria(self) -> tuple[str, ...]:
        """What a denial may cite: the decisive reasons first, then every not-met node of the tree."""
        out = [r.criterion or r.rule for r in self.reasons] if self.decision == "deny" else []
        return tuple(dict.fromkeys(i for i in out + list(self.not_met_nodes) if i))

    @property
    def cited_ids(self) -> frozenset[str]:
        """Every criterion and scope rule the determination names."""
        ids = {c.id for c in self.criteria.walk()} if self.criteria is not None else set()
        ids.update(r.criterion or r.rule for r in self.reasons)
        return frozenset(i for i in ids if i)

    def to_dict(self, explain: Explain | str = Explain.full) -> dict[str, Any]:
        explain = Explain(explain)
        out: dict[str, Any] = {"format": FORMAT, "id": self.id, "policy": self.policy, "decision": self.decision,
                               "summary": self.summary}
        if self.review_required:
            out["review_required"] = True
            out["notice"] = REVIEW_NOTICE if self.decision == "deny" else "Manual review: " + self.summary
        out["policy_version"] = self.policy_version.to_dict(self.engine_version) if self.policy_version else None
        out["engine_version"] = self.engine_version
        out["knowledge"] = dict(self.knowledge)
        out["input_sha256"] = self.input_sha256
        out["as_of"] = self.as_of.isoformat()
        out["reasons"] = [r.to_dict() for r in self.reasons]
        out["documentation_requests"] = [r.to_dict() for r in self.documentation_requests]
        out["documentation_checklist"] = [c._asdict() for c in self.documentation_checklist]
        out["approval_duration"] = self.approval_duration
        out["findings"] = [f.to_dict() for f in self.findings]
        out["not_met_criteria"] = list(self.not_met_criteria)
        if self.criteria is not None and explain is not Explain.summary:
            out["criteria"] = self.criteria.to_dict(only_failing=explain is Explain.fails)
        return out


def _jsonable(value: Any) -> Any:
    if value is None or value.__class__ in (str, bool, int, float):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value
