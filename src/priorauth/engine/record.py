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
from functools import lru_cache
from typing import Any, NamedTuple

from priorauth.case.provenance import Evidence, Source
from priorauth.engine.findings import Finding
from priorauth.vocab import (
    MET,
    NOT_MET,
    REVIEW_NOTICE,
    REVIEW_REQUIRED_DECISIONS,
    SKIPPED,
    UNKNOWN,
    Decision,
    Explain,
    NodeStatus,
)

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
    operator: str | None  # all, any, first, not, at_least N; None for a leaf test
    interpretation: str | None
    detail: str
    facts: tuple[Fact, ...]
    children: tuple[Criterion, ...]

    def walk(self) -> Iterator[Criterion]:
        yield self
        for child in self.children:
            yield from child.walk()


NOT_APPLYING = "does not apply to this request"
FROM_NOTES = "from notes, unconfirmed"  # a criterion met only on facts the evidence stage read in the notes


class NodeTable(NamedTuple):
    """What the record shows of a policy's criteria besides their statuses, in program (post-) order: per node
    (id, section, quote, title, operator, interpretation) and its children. One per compiled policy, shared."""

    labels: tuple[tuple[str, str, str, str | None, str | None, str | None], ...]
    kids: tuple[tuple[int, ...], ...]
    root: int
    heads: tuple[dict[str, str | None], ...] = ()  # each node's fixed JSON (verdict to set): copied, built once
    ids: tuple[str, ...] = ()  # each node's criterion id

    @classmethod
    def build(cls, labels, kids, root: int) -> NodeTable:
        heads = []
        for node_id, section, quote, title, operator, _ in labels:
            head = {"id": node_id, "verdict": None, "section": section, "quote": quote}
            if title:
                head["title"] = title
            if operator:
                head["operator"] = operator
            heads.append(head)
        return cls(labels, kids, root, tuple(heads), tuple(label[0] for label in labels))


class EvaluatedTree(NamedTuple):
    """The criteria tree of one determination: each node's status and, for every leaf that applied, its one-line
    detail and the facts it read (path, value); `evidence` gives each fact's sources."""

    table: NodeTable
    statuses: tuple[str, ...]
    explained: Any  # per node: its Outcome or None (a tuple, or engine.explain.LeafOutcomes); never changed
    evidence: Evidence

    def with_status(self, status: str) -> list[str]:
        """The ids of the nodes with `status`, in program order (a batch asks this of every row: kept cheap)."""
        if status not in self.statuses:
            return []
        return [i for i, s in zip(self.table.ids, self.statuses, strict=True) if s == status]

    def view(self, i: int | None = None) -> Criterion:
        """The tree (or the subtree at node i) as Criterion tuples."""
        i = self.table.root if i is None else i
        node_id, section, quote, title, operator, interpretation = self.table.labels[i]
        status = self.statuses[i]
        ex = self.explained[i]
        detail, read = (NOT_APPLYING, {}) if status == SKIPPED else (ex.detail, ex.facts) if ex else ("", {})
        facts = tuple(Fact(path, value, self.evidence.of(path, value)) for path, value in read.items())
        return Criterion(node_id, status, section, quote, title, operator, interpretation, detail, facts,
                         tuple(self.view(k) for k in self.table.kids[i]))

    def render(self, only_failing: bool = False) -> dict[str, Any]:
        """The tree as JSON (`criteria` of the determination), straight from the tables: one forward pass, as the
        nodes are in post-order (children before their parent)."""
        labels, kids, heads = self.table.labels, self.table.kids, self.table.heads
        statuses, explained = self.statuses, self.explained
        # Only recorded sources are listed; any other documented fact came from the case document at its own
        # path (`default_source` of the determination), which would repeat every path of the tree.
        listed = self.evidence.recorded if self.evidence.sources else None
        root = self.table.root
        built: list[dict[str, Any] | None] = [None] * len(statuses)
        for i, status in enumerate(statuses):
            if only_failing and status != NOT_MET and status != UNKNOWN and i != root:
                continue  # not shown: its parent lists only failing children
            out = heads[i].copy()
            out["verdict"] = status
            if status == SKIPPED:
                out["detail"] = NOT_APPLYING
            else:
                ex = explained[i]
                if ex is not None:
                    detail, read = ex.detail, ex.facts
                    if detail:
                        out["detail"] = detail
                    if read:
                        out["facts"] = {path: value if value.__class__ in _PLAIN else _jsonable(value)
                                        for path, value in read.items()}
                        if listed is not None:
                            sources = {path: [src.to_dict() for src in found]
                                       for path, value in read.items() if (found := listed(path, value))}
                            if sources:
                                out["sources"] = sources
                                if status == MET and len(sources) == len(read) and all(
                                        s["kind"] == "note" for found in sources.values() for s in found):
                                    out["confirmation"] = FROM_NOTES  # met only on what notes say
            interpretation = labels[i][5]
            if interpretation:
                out["interpretation"] = interpretation
            children = kids[i]
            if children:
                shown = [built[k] for k in children if built[k] is not None] if only_failing else \
                    [built[k] for k in children]
                if shown:
                    out["children"] = shown
            built[i] = out
        return built[root]


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
        return _version_json(self, engine_version).copy()  # every determination of a version repeats it


@lru_cache(maxsize=1024)
def _version_json(v: PolicyVersion, engine_version: str) -> dict[str, Any]:
    return {"id": v.id, "version": v.version, "payer": v.payer_name, "payer_id": v.payer, "number": v.number,
            "title": v.title, "effective": v.effective.isoformat(), "end": v.end.isoformat() if v.end else None,
            "content_sha256": v.content_sha256, "engine_version": engine_version}


class Referral(NamedTuple):
    """The scope rule that handed a request to the policy that governs it, and that policy's version."""

    rule: str
    section: str
    quote: str
    policy: PolicyVersion

    def to_dict(self, engine_version: str) -> dict[str, Any]:
        return {"policy": self.policy.id, "rule": self.rule, "section": self.section, "quote": self.quote,
                "policy_version": self.policy.to_dict(engine_version)}


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
    tree: EvaluatedTree | None = None
    findings: tuple[Finding, ...] = ()
    # Set when a scope rule of `policy` referred the request to another policy: the decision, reasons,
    # requests and tree are then that policy's.
    governed_by: Referral | None = None

    @property
    def criteria(self) -> Criterion | None:
        """The criteria tree with every node's status, detail, facts and sources (None: no tree was applied)."""
        return self.tree.view() if self.tree is not None else None


    @property
    def review_required(self) -> bool:
        return self.decision in REVIEW_REQUIRED_DECISIONS

    @property
    def not_met_criteria(self) -> tuple[str, ...]:
        """What a denial may cite: the decisive reasons first, then every not-met node of the tree."""
        out = [r.criterion or r.rule for r in self.reasons] if self.decision == "deny" else []
        if self.tree is not None:
            out += self.tree.with_status(NOT_MET)
        return tuple(dict.fromkeys(i for i in out if i))

    @property
    def cited_ids(self) -> frozenset[str]:
        """Every criterion and scope rule the determination names."""
        ids = {label[0] for label in self.tree.table.labels} if self.tree is not None else set()
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
        out["governed_by"] = self.governed_by.to_dict(self.engine_version) if self.governed_by else None
        out["engine_version"] = self.engine_version
        out["knowledge"] = dict(self.knowledge)
        out["input_sha256"] = self.input_sha256
        out["as_of"] = self.as_of.isoformat()
        out["reasons"] = [r.to_dict() for r in self.reasons]
        out["documentation_requests"] = [r.to_dict() for r in self.documentation_requests]
        out["documentation_checklist"] = [{"id": c.id, "section": c.section, "text": c.text}  # _asdict is slower
                                          for c in self.documentation_checklist]
        out["approval_duration"] = self.approval_duration
        out["findings"] = [f.to_dict() for f in self.findings]
        out["not_met_criteria"] = list(self.not_met_criteria)
        if self.tree is not None and explain is not Explain.summary:
            out["criteria"] = self.tree.render(only_failing=explain is Explain.fails)
            out["default_source"] = {"kind": "case"} if self.tree.evidence.from_document else None
        return out


_PLAIN = (str, bool, int, float, type(None))


def _jsonable(value: Any) -> Any:
    if value is None or value.__class__ in (str, bool, int, float):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value
