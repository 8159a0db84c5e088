"""From an evaluated program to the record's explanation: the criteria tree, deny reasons, pend requests.

Each leaf that applies is explained once, while the program runs (its predicate at FULL: the facts it
read and a one-line detail); the tree, the reasons and the requests all read those outcomes.
"""

from __future__ import annotations

from priorauth.engine.facts import Facts
from priorauth.engine.predicates import Outcome
from priorauth.engine.program import TEST, Program
from priorauth.engine.record import EvaluatedTree, Reason, Request
from priorauth.vocab import NOT_MET, UNKNOWN


def evaluated_tree(program: Program, verdicts: list[str], outcomes: dict[int, Outcome], facts: Facts) -> EvaluatedTree:
    """The record's tree: statuses, and each applied leaf's detail and facts read (rendered on demand)."""
    explained: list = [None] * len(verdicts)
    for i, outcome in outcomes.items():
        explained[i] = (outcome.detail, tuple(outcome.facts.items()))
    return EvaluatedTree(program.table, tuple(verdicts), tuple(explained), facts.evidence)


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
            return [Request(n.id, n.section, n.request or n.refer or "", quote=n.quote,
                            finding=outcome.detail if outcome else "")]
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
