"""Every group operator through the evaluator production runs (the compiled program), exhaustively.

The expected verdicts come from an independent statement of Kleene's logic (not_met < unknown < met:
ALL is the minimum, ANY the maximum, NOT the mirror), not from logic.py, so a wrong table entry in
production fails here. No shipped policy uses `not` or `at_least`; these tests are their only cover.
"""

from __future__ import annotations

import itertools
import json

import pytest

from priorauth.engine.facts import facts_for
from priorauth.engine.program import Program
from priorauth.intake import parse_case
from priorauth.policy.model import Node

ORDER = {"not_met": 0, "unknown": 1, "met": 2}
VALUE = {"met": True, "not_met": False, "unknown": None}  # the boolean finding that makes a leaf so
FINDINGS = ["coagulopathy", "sepsis", "local_infection", "csf_obstruction"]


def leaf(i: int) -> dict:
    path = f"clinical.findings.{FINDINGS[i]}"
    return {"id": f"leaf-{i}", "section": "s", "quote": "q", "request": "r", "test": {"fact": path, "eq": True}}


def program(group: dict, knowledge) -> Program:
    return Program(Node.model_validate({"id": "root", "section": "s", "quote": "q", **group}), knowledge)


def facts(verdicts: tuple[str, ...]):
    findings = {FINDINGS[i]: VALUE[v] for i, v in enumerate(verdicts) if VALUE[v] is not None}
    return facts_for(parse_case(json.dumps({
        "format": "priorauth-case/1", "id": "t", "submitted": "2025-06-02",
        "request": {"kind": "trial", "indication": "noncancer_pain", "service_date": "2025-06-20"},
        "clinical": {"findings": findings}})))


def root_verdict(p: Program, verdicts: tuple[str, ...]) -> str:
    return p.run(facts(verdicts))[p.root]


def by_rank(rank: int) -> str:
    return next(v for v, r in ORDER.items() if r == rank)


COMBOS = list(itertools.product(ORDER, repeat=2))


@pytest.mark.parametrize("children", COMBOS)
def test_all_is_the_minimum(knowledge, children):
    p = program({"all": [leaf(0), leaf(1)]}, knowledge)
    assert root_verdict(p, children) == by_rank(min(ORDER[c] for c in children))


@pytest.mark.parametrize("children", COMBOS)
def test_any_is_the_maximum(knowledge, children):
    p = program({"any": [leaf(0), leaf(1)]}, knowledge)
    assert root_verdict(p, children) == by_rank(max(ORDER[c] for c in children))


@pytest.mark.parametrize("child", list(ORDER))
def test_not_mirrors(knowledge, child):
    p = program({"not": leaf(0)}, knowledge)
    assert root_verdict(p, (child,)) == by_rank(2 - ORDER[child])


@pytest.mark.parametrize("children", list(itertools.product(ORDER, repeat=3)))
def test_at_least_two_of_three(knowledge, children):
    p = program({"at_least": 2, "of": [leaf(0), leaf(1), leaf(2)]}, knowledge)
    met, unknown = children.count("met"), children.count("unknown")
    expected = "met" if met >= 2 else "not_met" if met + unknown < 2 else "unknown"
    assert root_verdict(p, children) == expected


def test_a_group_ignores_children_that_do_not_apply(knowledge):
    """A child whose `when` does not hold is neither met, not met nor unknown."""
    skipped = {**leaf(1), "when": {"kind": ["implant"]}}  # the case is a trial
    assert root_verdict(program({"all": [leaf(0), skipped]}, knowledge), ("met", "not_met")) == "met"
    assert root_verdict(program({"any": [leaf(0), skipped]}, knowledge), ("not_met", "met")) == "not_met"
    assert root_verdict(program({"not": skipped}, knowledge), ("met", "met")) == "met"
    p = program({"at_least": 1, "of": [leaf(0), skipped]}, knowledge)
    assert root_verdict(p, ("not_met", "met")) == "not_met"
    assert p.run(facts(("met", "met")))[0:2] == ["met", "not_applicable"]


def test_nested_groups(knowledge):
    """ALL(ANY(a, b), NOT(c)): the tree is combined bottom-up, each group from its own children."""
    p = program({"all": [{"id": "g", "section": "s", "quote": "q", "any": [leaf(0), leaf(1)]},
                         {"id": "n", "section": "s", "quote": "q", "not": leaf(2)}]}, knowledge)
    for a, b, c in itertools.product(ORDER, repeat=3):
        either = max(ORDER[a], ORDER[b])
        assert root_verdict(p, (a, b, c)) == by_rank(min(either, 2 - ORDER[c])), (a, b, c)


KINDS = ["trial", "implant", "refill"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("children", list(itertools.product(ORDER, repeat=3)))
def test_first_is_the_verdict_of_the_first_branch_that_applies(knowledge, kind, children):
    """FIRST(trial: a, implant: b, otherwise: c): only the governing branch counts; the others do not apply."""
    branches = [{**leaf(0), "when": {"kind": ["trial"]}}, {**leaf(1), "when": {"kind": ["trial", "implant"]}},
                leaf(2)]
    p = program({"first": branches}, knowledge)
    governing = KINDS.index(kind)
    doc = json.loads(json.dumps({
        "format": "priorauth-case/1", "id": "t", "submitted": "2025-06-02",
        "request": {"kind": kind, "indication": "noncancer_pain", "service_date": "2025-06-20"},
        "clinical": {"findings": {FINDINGS[i]: VALUE[v] for i, v in enumerate(children) if VALUE[v] is not None}}}))
    statuses = p.run(facts_for(parse_case(json.dumps(doc))))
    assert statuses[p.root] == children[governing]
    assert [s == "not_applicable" for s in statuses[:3]] == [i != governing for i in range(3)]


def test_first_needs_an_otherwise_branch(knowledge):
    with pytest.raises(ValueError, match="the last branch of `first` is the otherwise branch"):
        program({"first": [{**leaf(0), "when": {"kind": ["trial"]}}]}, knowledge)


def test_a_deny_under_first_cites_only_the_governing_branch(knowledge):
    from priorauth.engine.explain import deny_reasons

    branches = [{**leaf(0), "when": {"kind": ["implant"]}}, leaf(1)]
    p = program({"first": branches}, knowledge)
    outcomes: dict = {}
    verdicts = p.run(facts(("not_met", "not_met")), outcomes)
    assert [r.criterion for r in deny_reasons(p, verdicts, outcomes)] == ["leaf-1"]


def test_a_refer_criterion_is_never_met_or_not_met(knowledge):
    reviewer = {"id": "interqual", "section": "s", "quote": "q", "refer": "InterQual criteria decide this."}
    p = program({"all": [leaf(0), reviewer]}, knowledge)
    assert root_verdict(p, ("met",)) == "unknown" and root_verdict(p, ("not_met",)) == "not_met"
    p = program({"any": [leaf(0), reviewer]}, knowledge)
    assert root_verdict(p, ("met",)) == "met" and root_verdict(p, ("not_met",)) == "unknown"
