"""From an evaluated program to the record's explanation: the criteria tree, deny reasons, pend requests.

Each leaf that applies is explained once, while the program runs (its predicate at FULL: the facts it
read and a one-line detail); the tree, the reasons and the requests all read those outcomes.
"""

from __future__ import annotations

from priorauth.engine.facts import Facts
from priorauth.engine.predicates import FULL, Outcome
from priorauth.engine.program import TEST, Program
from priorauth.engine.record import EvaluatedTree, Reason, Request
from priorauth.vocab import NOT_MET, SKIPPED, UNKNOWN


class LeafOutcomes:
    """The applied leaves' outcomes, each explained when first read, by the reference predicates (which the
    generated code is held to, detail for detail). A determination rendered only as a summary explains the few
    leaves its reasons and requests cite instead of all of them. Read like the tuple of an eager tree: by node
    index, None for a group or a leaf that did not apply."""

    __slots__ = ("_program", "_verdicts", "_facts", "_done")

    def __init__(self, program: Program, verdicts: list[str], facts: Facts):
        self._program, self._verdicts, self._facts = program, verdicts, facts
        self._done: dict[int, Outcome] = {}

    def get(self, i: int) -> Outcome | None:
        outcome = self._done.get(i)
        if outcome is None and self._program.ops[i] == TEST and self._verdicts[i] != SKIPPED:
            outcome = self._done[i] = self._program.preds[i](self._facts, FULL)  # a pure function: safe to repeat
        return outcome

    __getitem__ = get


def evaluated_tree(program: Program, verdicts: list[str], outcomes: dict[int, Outcome] | LeafOutcomes,
                   facts: Facts) -> EvaluatedTree:
    """The record's tree: statuses, and each applied leaf's outcome (detail and facts read, rendered on demand)."""
    explained = outcomes if isinstance(outcomes, LeafOutcomes) else tuple(map(outcomes.get, range(len(verdicts))))
    return EvaluatedTree(program.table, tuple(verdicts), explained, facts.evidence)


def deny_reasons(program: Program, verdicts: list[str], outcomes: dict[int, Outcome] | LeafOutcomes
                 ) -> tuple[Reason, ...]:
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


def documentation_requests(program: Program, verdicts: list[str], outcomes: dict[int, Outcome] | LeafOutcomes
                           ) -> tuple[Request, ...]:
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
