"""A policy's criteria tree compiled into a flat program of plain lists, so evaluation does no model lookups.

Programs belong to the compiled policy set that built them (engine/policyset.py): nothing here is cached
at module level, so reloading policies can never hand out another policy's program.
"""

from __future__ import annotations

from priorauth.engine.facts import Facts
from priorauth.engine.logic import all_of, any_of, at_least, not_of
from priorauth.engine.predicates import FULL, Outcome, compile_test
from priorauth.engine.record import NodeTable
from priorauth.knowledge.tables import Knowledge
from priorauth.policy.model import UNDOCUMENTED, Node, When
from priorauth.vocab import SKIPPED, UNKNOWN

TEST, ALL, ANY, NOT, AT_LEAST, FIRST = range(6)


class Condition:
    """A `When` as plain sets: two-valued, on request-level facts only. Drug classes come from the drug table
    the policy set is compiled with; a drug the table does not know is of no class."""

    __slots__ = ("kinds", "indications", "routes", "lobs", "states", "age_under", "drugs_any", "drugs_none",
                 "classes_any", "class_of", "negated")

    def __init__(self, when: When, knowledge: Knowledge):
        def as_set(values):
            # `undocumented` in a list matches a field the case leaves out (None)
            return frozenset(None if v == UNDOCUMENTED else v for v in values) if values is not None else None

        self.kinds = as_set(when.kind)
        self.indications = as_set(when.indication)
        self.routes = as_set(when.route)
        self.lobs = as_set(when.line_of_business)
        self.states = as_set(when.state)
        self.age_under = when.age_under
        self.drugs_any = as_set(when.drugs_any)
        self.drugs_none = as_set(when.drugs_none)
        self.classes_any = as_set(when.drug_classes_any)
        self.class_of = {name: info.drug_class for name, info in knowledge.drugs.drugs.items()} \
            if self.classes_any is not None else {}
        self.negated = Condition(when.not_, knowledge) if when.not_ is not None else None

    def holds(self, f: Facts) -> bool:
        if self.kinds is not None and f.kind not in self.kinds:
            return False
        if self.indications is not None and f.indication not in self.indications:
            return False
        if self.routes is not None and f.route not in self.routes:
            return False
        if self.lobs is not None and f.line_of_business not in self.lobs:
            return False
        if self.states is not None and f.state not in self.states:
            return False
        if self.age_under is not None and (f.age is None or f.age >= self.age_under):
            return False
        if self.drugs_any is not None and not any(d in self.drugs_any for d in f.drugs):
            return False
        if self.drugs_none is not None and any(d in self.drugs_none for d in f.drugs):
            return False
        if self.classes_any is not None and not any(self.class_of.get(d) in self.classes_any for d in f.drugs):
            return False
        if self.negated is not None and self.negated.holds(f):
            return False
        return True


def condition(when: When | None, knowledge: Knowledge) -> Condition | None:
    return Condition(when, knowledge) if when is not None else None


class Program:
    """A criteria tree flattened in post-order: children always come before their parent."""

    __slots__ = ("nodes", "ops", "preds", "whens", "kids", "ns", "spans", "guarded", "firsts", "refers", "root",
                 "table", "_plans")

    def __init__(self, root: Node, knowledge: Knowledge):
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
        self.ops = [TEST if n.test is not None or n.refer is not None
                    else ALL if n.all is not None else ANY if n.any is not None
                    else FIRST if n.first is not None else NOT if n.not_ is not None else AT_LEAST
                    for n in self.nodes]
        self.firsts = [i for i in reversed(range(len(self.nodes))) if self.ops[i] == FIRST]  # parents first
        self.preds = [compile_test(*n.spec, knowledge) if n.test is not None
                      else _referred(n.refer) if n.refer is not None else None for n in self.nodes]
        self.refers = frozenset(n.id for n in self.nodes if n.refer is not None)
        self.whens = [condition(n.when, knowledge) for n in self.nodes]
        self.ns = [n.at_least or 0 for n in self.nodes]
        self.guarded = [i for i, w in enumerate(self.whens) if w is not None]

        # What every determination's record shows of each node besides its status (record.NodeTable).
        labels = tuple((n.id, n.section, n.quote, n.title, _operator_name(op, n), n.interpretation)
                       for n, op in zip(self.nodes, self.ops, strict=True))
        self.table = NodeTable.build(labels, tuple(self.kids), self.root)
        self._plans: dict[tuple, tuple[list, list[int]]] = {}

    def _plan(self, facts: Facts) -> tuple[list, list[int]]:
        """Which nodes apply: `when` reads request-level facts only, so the answer is cached per request shape."""
        key = (facts.kind, facts.indication, facts.route, facts.line_of_business, facts.state, facts.age, facts.drugs)
        plan = self._plans.get(key)
        if plan is None:
            template: list = [None] * len(self.nodes)
            for i in self.guarded:
                if template[i] is None and not self.whens[i].holds(facts):
                    first, last = self.spans[i]
                    template[first:last + 1] = [SKIPPED] * (last - first + 1)
            for i in self.firsts:  # the first applying branch governs; the ones after it do not apply
                if template[i] is None:
                    later = [k for k in self.kids[i] if template[k] is None][1:]
                    for k in later:
                        first, last = self.spans[k]
                        template[first:last + 1] = [SKIPPED] * (last - first + 1)
            plan = (template, [i for i, v in enumerate(template) if v is None])
            if len(self._plans) < 4096:
                self._plans[key] = plan
        return plan

    def run(self, facts: Facts, explained: dict[int, Outcome] | None = None) -> list[str]:
        """Every node's status, indexed like `nodes`.

        Children come before their parent, so one forward pass combines each group from its children's
        verdicts with the tables of logic.py. With `explained`, each applied leaf is explained in the same
        pass (its predicate at FULL: verdict, facts read, detail) and its outcome stored there by index.
        """
        template, active = self._plan(facts)
        verdicts = template.copy()
        ops, preds, kids = self.ops, self.preds, self.kids
        for i in active:
            op = ops[i]
            if op == TEST:
                if explained is None:
                    verdicts[i] = preds[i](facts)
                else:
                    outcome = explained[i] = preds[i](facts, FULL)
                    verdicts[i] = outcome[0]
            elif op == ALL:
                verdicts[i] = all_of([verdicts[k] for k in kids[i]])
            elif op == ANY:
                verdicts[i] = any_of([verdicts[k] for k in kids[i]])
            elif op == NOT:
                verdicts[i] = not_of([verdicts[k] for k in kids[i]])
            elif op == FIRST:  # exactly one branch applies (the last has no `when`)
                verdicts[i] = next(verdicts[k] for k in kids[i] if verdicts[k] != SKIPPED)
            else:
                verdicts[i] = at_least(self.ns[i], [verdicts[k] for k in kids[i]])
        return verdicts


def _referred(reason: str):
    """A `refer` criterion: never met or not met on the record; a reviewer decides it."""
    outcome = Outcome(UNKNOWN, {}, f"for a reviewer: {reason}")

    def run(facts: Facts, explain: int = 0):
        return outcome if explain else UNKNOWN

    return run


def _operator_name(op: int, node: Node) -> str | None:
    """How the record names a group's operator (None for a leaf test)."""
    return {TEST: None, ALL: "all", ANY: "any", FIRST: "first", NOT: "not"}.get(op, f"at_least {node.at_least}")
