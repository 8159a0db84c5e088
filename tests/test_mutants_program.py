"""The compiled program's `when` and the record's operator names (mutation testing, bench/mutation/README.md).

docs/policy-format.md: a `when` holds when every key given holds (`kind`, `indication`, `route`,
`line_of_business`, `age_under` in years at the date of service, `drugs_any`); a criterion whose `when` does
not hold is skipped (`not_applicable`). The record names each group's operator as the policy file does.
"""

from __future__ import annotations

import json

import pytest

from priorauth.engine.facts import facts_for
from priorauth.engine.program import Program
from priorauth.intake import parse_case
from priorauth.policy.model import Node


def leaf(i: int, **extra) -> dict:
    return {"id": f"leaf-{i}", "section": "s", "quote": "q", "request": "r",
            "test": {"fact": "clinical.findings.sepsis", "eq": False}, **extra}


def program(group: dict, knowledge) -> Program:
    return Program(Node.model_validate({"id": "root", "section": "s", "quote": "q", **group}), knowledge)


def status(when: dict, knowledge, *, birth_date: str = "1970-01-01", state: str | None = None, **request) -> str:
    """The status of a criterion with this `when`, for a trial on 2025-06-20 (sepsis documented absent)."""
    p = program({"all": [leaf(0, when=when)]}, knowledge)
    member = {"birth_date": birth_date, "line_of_business": "commercial", **({"state": state} if state else {})}
    doc = {"format": "priorauth-case/1", "id": "t", "submitted": "2025-06-02", "member": member,
           "request": {"kind": "trial", "indication": "noncancer_pain", "service_date": "2025-06-20", **request},
           "clinical": {"findings": {"sepsis": False}}}
    return p.run(facts_for(parse_case(json.dumps(doc))))[0]


@pytest.mark.parametrize(("when", "req", "expected"), [
    ({"route": ["intrathecal"]}, {"route": "intrathecal"}, "met"),
    ({"route": ["intrathecal"]}, {"route": "epidural"}, "not_applicable"),
    ({"line_of_business": ["commercial"]}, {}, "met"),
    ({"line_of_business": ["medicaid"]}, {}, "not_applicable"),
])
def test_a_when_on_route_or_line_of_business(knowledge, when, req, expected):
    assert status(when, knowledge, **req) == expected


def test_a_when_on_the_members_state(knowledge):
    assert status({"state": ["AR"]}, knowledge, state="AR") == "met"
    assert status({"state": ["AR"]}, knowledge, state="OH") == "not_applicable"
    assert status({"state": ["AR"]}, knowledge) == "not_applicable"
    assert status({"state": ["AR", "undocumented"]}, knowledge) == "met"


def test_a_refer_criterion_says_a_reviewer_decides_it(knowledge):
    p = program({"all": [{"id": "r", "section": "s", "quote": "q", "request": "x", "refer": "InterQual criteria"}]},
                knowledge)
    doc = {"format": "priorauth-case/1", "id": "t", "submitted": "2025-06-02",
           "request": {"kind": "trial", "indication": "noncancer_pain", "service_date": "2025-06-20"}}
    explained: dict = {}
    statuses = p.run(facts_for(parse_case(json.dumps(doc))), explained)
    [(i, outcome)] = explained.items()
    assert statuses[i] == "unknown" and outcome.detail == "for a reviewer: InterQual criteria"


def test_age_under_is_years_at_the_date_of_service(knowledge):
    # Born 2008-06-20: the member turns 17 on the date of service (2025-06-20), so age_under 18 holds.
    assert status({"age_under": 18}, knowledge, birth_date="2008-06-20") == "met"
    assert status({"age_under": 17}, knowledge, birth_date="2008-06-20") == "not_applicable"  # 17 is not < 17
    assert status({"age_under": 18}, knowledge, birth_date="1970-01-01") == "not_applicable"


def test_the_record_names_each_operator_as_the_policy_file_does(knowledge):
    p = program({"all": [
        {"id": "a", "section": "s", "quote": "q", "any": [leaf(1), leaf(2)]},
        {"id": "n", "section": "s", "quote": "q", "not": leaf(3)},
        {"id": "k", "section": "s", "quote": "q", "at_least": 2, "of": [leaf(4), leaf(5), leaf(6)]},
        {"id": "f", "section": "s", "quote": "q", "first": [leaf(7, when={"route": ["epidural"]}), leaf(8)]},
    ]}, knowledge)
    operators = {label[0]: label[4] for label in p.table.labels}
    assert operators == {"root": "all", "a": "any", "n": "not", "k": "at_least 2", "f": "first",
                         **{f"leaf-{i}": None for i in range(1, 9)}}
