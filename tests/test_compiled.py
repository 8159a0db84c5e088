"""The compiled, flattened program agrees with a plain recursive evaluation in logic.py's tables."""

from __future__ import annotations

import sys
from pathlib import Path

from priorauth.engine.facts import facts_for
from priorauth.engine.logic import all_of, any_of, at_least, not_
from priorauth.engine.predicates import compile_test
from priorauth.engine.program import Condition
from priorauth.policy.model import Node
from priorauth.vocab import SKIPPED

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from generate import generate_cases  # noqa: E402  (the benchmark's deterministic case generator)


def reference(node: Node, facts, knowledge, out: dict[str, str]) -> str:
    """The obvious recursive evaluator: the specification the fast path must match."""
    if node.when is not None and not Condition(node.when).holds(facts):
        for n in node.walk():
            out[n.id] = SKIPPED
        return SKIPPED
    if node.test is not None:
        verdict = compile_test(*node.spec, knowledge)(facts)
    else:
        vs = [v for v in (reference(c, facts, knowledge, out) for c in node.children) if v != SKIPPED]
        if node.all is not None:
            verdict = all_of(vs)
        elif node.any is not None:
            verdict = any_of(vs)
        elif node.not_ is not None:
            verdict = not_(vs[0]) if vs else "met"
        else:
            verdict = at_least(node.at_least or 0, vs)
    out[node.id] = verdict
    return verdict


def test_flat_evaluation_matches_reference_on_generated_cases(policies):
    cases = generate_cases(400)
    checked = 0
    for case in cases:
        facts = facts_for(case)
        for pid in policies.ids:
            compiled = policies.versions(pid)[-1]
            program = compiled.program
            fast = dict(zip((n.id for n in program.nodes), program.run(facts), strict=True))
            slow: dict[str, str] = {}
            reference(compiled.policy.criteria, facts, policies.knowledge, slow)
            assert fast == slow, (case.id, pid)
            checked += 1
    assert checked == 400 * len(policies.ids)
