"""The criteria tree compiled once into plain slotted objects, so evaluation does no model lookups."""

from __future__ import annotations

from priorauth.engine.facts import Facts
from priorauth.engine.logic import MET, NOT_MET, UNKNOWN, at_least, not_
from priorauth.policy.model import Node, When

SKIPPED = "not_applicable"  # a criterion whose `when` does not hold for this request

TEST, ALL, ANY, NOT, AT_LEAST = range(5)


class Condition:
    """A `When` as plain sets: two-valued, on request-level facts only."""

    __slots__ = ("kinds", "indications", "routes", "lobs", "age_under", "drugs_any")

    def __init__(self, when: When):
        def as_set(values):
            return frozenset(values) if values is not None else None

        self.kinds = as_set(when.kind)
        self.indications = as_set(when.indication)
        self.routes = as_set(when.route)
        self.lobs = as_set(when.line_of_business)
        self.age_under = when.age_under
        self.drugs_any = as_set(when.drugs_any)

    def holds(self, f: Facts) -> bool:
        if self.kinds is not None and f.kind not in self.kinds:
            return False
        if self.indications is not None and f.indication not in self.indications:
            return False
        if self.routes is not None and f.route not in self.routes:
            return False
        if self.lobs is not None and f.line_of_business not in self.lobs:
            return False
        if self.age_under is not None and (f.age is None or f.age >= self.age_under):
            return False
        if self.drugs_any is not None and not any(d in self.drugs_any for d in f.drugs):
            return False
        return True


# Models with list fields are not hashable: cache by identity, keeping the model alive beside it.
_CONDITIONS: dict[int, tuple[When, Condition]] = {}
_TREES: dict[int, tuple[Node, Program]] = {}


def condition(when: When) -> Condition:
    hit = _CONDITIONS.get(id(when))
    if hit is None:
        hit = _CONDITIONS[id(when)] = (when, Condition(when))
    return hit[1]


def holds(when: When | None, facts: Facts) -> bool:
    return when is None or condition(when).holds(facts)


class Program:
    """A criteria tree flattened in post-order: children always come before their parent."""

    __slots__ = ("nodes", "ops", "preds", "whens", "kids", "ns", "spans", "guarded", "root", "_plans")

    def __init__(self, root: Node):
        self.nodes: list[Node] = []
        self.kids: list[tuple[int, ...]] = []
        self.spans: list[tuple[int, int]] = []  # [first, last] index of each node's subtree

        def visit(node: Node) -> int:
            first = len(self.nodes)
            children = tuple(visit(c) for c in node.children)
            self.nodes.append(node)
            self.kids.append(children)
            index = len(self.nodes) - 1
            self.spans.append((first, index))
            return index

        self.root = visit(root)
        self.ops = [TEST if n.test is not None else ALL if n.all is not None else ANY if n.any is not None
                    else NOT if n.not_ is not None else AT_LEAST for n in self.nodes]
        self.preds = [n.predicate if n.test is not None else None for n in self.nodes]
        self.whens = [condition(n.when) if n.when is not None else None for n in self.nodes]
        self.ns = [n.at_least or 0 for n in self.nodes]
        self.guarded = [i for i, w in enumerate(self.whens) if w is not None]

        self._plans: dict[tuple, tuple[list, list[int]]] = {}

    def _plan(self, facts: Facts) -> tuple[list, list[int]]:
        """Which nodes apply: `when` reads request-level facts only, so the answer is cached per request shape."""
        key = (facts.kind, facts.indication, facts.route, facts.line_of_business, facts.age, facts.drugs)
        plan = self._plans.get(key)
        if plan is None:
            template: list = [None] * len(self.nodes)
            for i in self.guarded:
                if template[i] is None and not self.whens[i].holds(facts):
                    first, last = self.spans[i]
                    template[first:last + 1] = [SKIPPED] * (last - first + 1)
            plan = (template, [i for i, v in enumerate(template) if v is None])
            if len(self._plans) < 4096:
                self._plans[key] = plan
        return plan

    def run(self, facts: Facts) -> list[str]:
        """Every node's verdict, indexed like `nodes`: the whole trace, without its explanations.

        Groups are combined inline (the same tables as logic.py, which the tests hold it to): a skipped
        child is neither met, not met nor unknown, so membership tests ignore it.
        """
        template, active = self._plan(facts)
        verdicts = template.copy()
        ops, preds, kids = self.ops, self.preds, self.kids
        for i in active:
            op = ops[i]
            if op == TEST:
                verdicts[i] = preds[i](facts)
                continue
            vs = [verdicts[k] for k in kids[i]]
            if op == ALL:
                verdicts[i] = NOT_MET if NOT_MET in vs else UNKNOWN if UNKNOWN in vs else MET
            elif op == ANY:
                verdicts[i] = MET if MET in vs else UNKNOWN if UNKNOWN in vs else NOT_MET
            else:
                vs = [v for v in vs if v != SKIPPED]
                verdicts[i] = (not_(vs[0]) if vs else MET) if op == NOT else at_least(self.ns[i], vs)
        return verdicts


class Trace:
    """A view of one evaluated node: its verdict and its children's views (made on demand)."""

    __slots__ = ("program", "index", "verdicts")

    def __init__(self, program: Program, index: int, verdicts: list[str]):
        self.program = program
        self.index = index
        self.verdicts = verdicts

    @property
    def node(self) -> Node:
        return self.program.nodes[self.index]

    @property
    def verdict(self) -> str:
        return self.verdicts[self.index]

    @property
    def predicate(self):
        return self.program.preds[self.index]

    @property
    def children(self) -> tuple[Trace, ...]:
        return tuple(Trace(self.program, k, self.verdicts) for k in self.program.kids[self.index])

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


def evaluate(program: Program, facts: Facts) -> Trace:
    return Trace(program, program.root, program.run(facts))


def compiled(node: Node) -> Program:
    """The compiled program of a policy's root criterion (cached per loaded policy)."""
    hit = _TREES.get(id(node))
    if hit is None:
        hit = _TREES[id(node)] = (node, Program(node))
    return hit[1]


__all__ = ["SKIPPED", "Program", "Trace", "compiled", "evaluate", "holds"]
