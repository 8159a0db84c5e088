"""From an evaluated program to the record's explanation: the criteria tree, deny reasons, pend requests.

Each leaf that applies is explained once (its predicate at FULL: the facts it read and a one-line
detail); the tree, the reasons and the requests all read those outcomes.
"""

from __future__ import annotations

from priorauth.engine.facts import Facts
from priorauth.engine.predicates import FULL, Outcome
from priorauth.engine.program import TEST, Program
from priorauth.engine.record import Criterion, Fact, Reason, Request
from priorauth.vocab import NOT_MET, SKIPPED, UNKNOWN

NOT_APPLYING = "does not apply to this request"
# NamedTuple's generated __new__ is Python code; the record builds thousands of nodes a second, so build them
# as tuples of the right type directly (same objects, a tenth of the cost).
_new = tuple.__new__


def explain_leaves(program: Program, verdicts: list[str], facts: Facts) -> dict[int, Outcome]:
    preds = program.preds
    return {i: preds[i](facts, FULL) for i, op in enumerate(program.ops) if op == TEST and verdicts[i] != SKIPPED}


def criteria_tree(program: Program, verdicts: list[str], outcomes: dict[int, Outcome], facts: Facts) -> Criterion:
    """The evaluated tree, built bottom-up (the program is in post-order). A subtree that does not apply is
    the same for every request, so it is built once per program and shared (the records are immutable)."""
    evidence = facts.evidence
    source_of = evidence.of
    labels = program.labels
    skipped = program.skipped_trees
    kids = program.kids
    built: list[Criterion | None] = [None] * len(verdicts)
    for i, status in enumerate(verdicts):
        if status == SKIPPED:
            tree = skipped.get(i)
            if tree is None:
                tree = skipped[i] = Criterion(*labels[i], NOT_APPLYING, (), tuple([built[k] for k in kids[i]]))
            built[i] = tree
            continue
        outcome = outcomes.get(i)
        if outcome is None:
            detail, read = "", ()
        else:
            detail = outcome.detail
            read = tuple([_new(Fact, (path, value, source_of(path, value))) for path, value in outcome.facts.items()])
        node_id, _, section, quote, title, operator, interpretation = labels[i]
        built[i] = _new(Criterion, (node_id, status, section, quote, title, operator, interpretation, detail, read,
                                    tuple([built[k] for k in kids[i]])))
    return built[program.root]


def deny_reasons(program: Program, verdicts: list[str], outcomes: dict[int, Outcome]) -> tuple[Reason, ...]:
    """The not-met criteria on the decisive path, deepest first."""
    out: list[Reason] = []

    def visit(i: int) -> None:
        n = program.nodes[i]
        op = program.ops[i]
        if op == TEST or n.not_ is not None:
            outcome = outcomes.get(i)
            finding = outcome.detail if outcome else f"{n.title or n.id} is not met"
            out.append(Reason(n.section, n.quote, finding, criterion=n.id, contraindication=n.contraindication))
            return
        before = len(out)
        for k in program.kids[i]:
            if verdicts[k] == NOT_MET:
                visit(k)
        if n.contraindication and len(out) == before:
            out.append(Reason(n.section, n.quote, "", criterion=n.id, contraindication=True))

    if verdicts[program.root] == NOT_MET:
        visit(program.root)
    return tuple(out)


def documentation_requests(program: Program, verdicts: list[str], outcomes: dict[int, Outcome]) -> tuple[Request, ...]:
    """Unknown criteria that could still lead to approval, each phrased as an actionable request."""

    def visit(i: int) -> list[Request]:
        n = program.nodes[i]
        if program.ops[i] == TEST:
            outcome = outcomes.get(i)
            return [Request(n.id, n.section, n.request or "", quote=n.quote, finding=outcome.detail if outcome else "")]
        if n.not_ is not None:
            return [Request(n.id, n.section, n.request or f"documentation for {n.title or n.id}", quote=n.quote)]
        unknown = [k for k in program.kids[i] if verdicts[k] == UNKNOWN]
        if n.any is not None and len(unknown) > 1:
            options = tuple(r for k in unknown for r in visit(k))
            choices = [_alternative(o.request) for o in options]
            text = "Any one of: " + " OR ".join(f"({i}) {c}" for i, c in enumerate(choices, 1))
            return [Request(n.id, n.section, text, one_of=options)]
        return [r for k in unknown for r in visit(k)]

    return tuple(visit(program.root)) if verdicts[program.root] == UNKNOWN else ()


def _alternative(request: str) -> str:
    """A request phrased as an alternative ("Or document ...") reads as a choice in a list."""
    return request[3].upper() + request[4:] if request.lower().startswith("or ") else request
