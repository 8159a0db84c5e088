"""The compiled, flattened program agrees with a plain recursive evaluation in logic.py's tables."""

from __future__ import annotations

import sys
from pathlib import Path

from priorauth.engine.facts import facts_for
from priorauth.engine.logic import all_of, any_of, at_least, not_
from priorauth.engine.predicates import compile_test
from priorauth.policy.model import Node
from priorauth.vocab import SKIPPED

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from generate import generate_cases  # noqa: E402  (the benchmark's deterministic case generator)


def applies(when, case, knowledge) -> bool:
    """`when` read straight from the case (not production's compiled Condition): every key given must hold."""
    r, m = case.request, case.member
    undocumented = "undocumented"
    classes = [knowledge.drugs.drugs[d.name].drug_class if d.name in knowledge.drugs.drugs else None for d in r.drugs]
    age = None if m.birth_date is None else (
        r.service_date.year - m.birth_date.year
        - ((r.service_date.month, r.service_date.day) < (m.birth_date.month, m.birth_date.day)))
    return all((
        when.kind is None or r.kind in when.kind,
        when.indication is None or r.indication in when.indication,
        when.route is None or (r.route or undocumented) in when.route,
        when.line_of_business is None or (m.line_of_business or undocumented) in when.line_of_business,
        when.state is None or (m.state or undocumented) in when.state,
        when.age_under is None or (age is not None and age < when.age_under),
        when.drugs_any is None or any(d.name in when.drugs_any for d in r.drugs),
        when.drugs_none is None or not any(d.name in when.drugs_none for d in r.drugs),
        when.drug_classes_any is None or any(c in when.drug_classes_any for c in classes if c),
        when.not_ is None or not applies(when.not_, case, knowledge),
    ))


def reference(node: Node, facts, knowledge, out: dict[str, str]) -> str:
    """The obvious recursive evaluator: the specification the fast path must match."""
    if node.when is not None and not applies(node.when, facts.case, knowledge):
        for n in node.walk():
            out[n.id] = SKIPPED
        return SKIPPED
    if node.test is not None:
        verdict = compile_test(*node.spec, knowledge)(facts)
    elif node.refer is not None:
        verdict = "unknown"
    elif node.first is not None:  # the first branch whose `when` holds; every later branch does not apply
        chosen = next(c for c in node.first if c.when is None or applies(c.when, facts.case, knowledge))
        for c in node.first:
            if c is chosen:
                verdict = reference(c, facts, knowledge, out)
            else:
                out.update({n.id: SKIPPED for n in c.walk()})
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
