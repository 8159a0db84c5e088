"""Pend requests where mutation testing found them unchecked (bench/mutation/README.md).

engine/explain.py: an unknown ANY with several unknown options asks for any one of them (`one_of`), and a
request phrased as an alternative ("Or document ...") reads as a choice in that list.
"""

from __future__ import annotations

import json
from pathlib import Path

from priorauth.engine.explain import deny_reasons, documentation_requests
from priorauth.engine.facts import facts_for
from priorauth.engine.program import Program
from priorauth.intake import parse_case
from priorauth.policy.model import Node


def leaf(name: str, request: str) -> dict:
    return {"id": name, "section": "s", "quote": "q", "request": request,
            "test": {"fact": f"clinical.findings.{name}", "eq": True}}


def evaluated(group: dict, knowledge, findings: dict | None = None):
    program = Program(Node.model_validate({"id": "root", "section": "s", "quote": "q", **group}), knowledge)
    facts = facts_for(parse_case(json.dumps({
        "format": "priorauth-case/1", "id": "t", "submitted": "2025-06-02",
        "request": {"kind": "trial", "indication": "noncancer_pain", "service_date": "2025-06-20"},
        "clinical": {"findings": findings or {}}})))
    outcomes: dict = {}
    verdicts = program.run(facts, outcomes)
    return program, verdicts, outcomes


def requests(group: dict, knowledge):
    return documentation_requests(*evaluated(group, knowledge))


def test_an_alternative_phrased_request_reads_as_a_choice(knowledge):
    """"Or document the sepsis work-up" becomes the choice "Document the sepsis work-up"; a request not so
    phrased is listed as written, and each option keeps its own request."""
    group = {"any": [leaf("coagulopathy", "Document the coagulation panel"),
                     leaf("sepsis", "Or document the sepsis work-up")]}
    (req,) = requests(group, knowledge)
    assert req.criterion == "root"
    assert [o.request for o in req.one_of] == ["Document the coagulation panel", "Or document the sepsis work-up"]
    assert "Document the coagulation panel" in req.request and "Document the sepsis work-up" in req.request
    assert "Or document" not in req.request and "or document" not in req.request


def test_an_or_that_is_not_an_alternative_is_left_alone(knowledge):
    """Only the word "or" opens an alternative: "Order ..." or "Orthopedic ..." are listed unchanged."""
    group = {"any": [leaf("coagulopathy", "Orthopedic consult note"), leaf("sepsis", "Order a CSF culture")]}
    (req,) = requests(group, knowledge)
    assert "Orthopedic consult note" in req.request and "Order a CSF culture" in req.request


def test_a_pending_leaf_asks_for_its_own_documentation_with_its_citation_and_finding(knowledge):
    """Each request names the unknown criterion, cites its section and quote, and carries the finding the
    criteria tree shows for that leaf (what was missing)."""
    node = {**leaf("sepsis", "Document the sepsis work-up"), "section": "Policy B.2", "quote": "no sepsis"}
    program = Program(Node.model_validate({"id": "root", "section": "s", "quote": "q", "all": [node]}), knowledge)
    facts = facts_for(parse_case(json.dumps({
        "format": "priorauth-case/1", "id": "t", "submitted": "2025-06-02",
        "request": {"kind": "trial", "indication": "noncancer_pain", "service_date": "2025-06-20"}})))
    outcomes: dict = {}
    verdicts = program.run(facts, outcomes)
    (req,) = documentation_requests(program, verdicts, outcomes)
    assert (req.criterion, req.section, req.quote, req.request) == (
        "sepsis", "Policy B.2", "no sepsis", "Document the sepsis work-up")
    leaf_index = program.nodes.index(next(n for n in program.nodes if n.id == "sepsis"))
    assert req.finding == outcomes[leaf_index].detail and req.finding


def not_group(**extra) -> dict:
    return {"id": "no-sepsis", "section": "Policy C", "quote": "absence of sepsis", **extra,
            "not": leaf("sepsis", "Document the sepsis work-up")}


def test_an_unknown_not_asks_as_a_whole(knowledge):
    """A NOT is asked for as one criterion (its own request, or documentation for it by title, else by id),
    cited with its own section and quote, not as the request of the child it negates."""
    (req,) = requests({"all": [not_group(request="Confirm sepsis was ruled out")]}, knowledge)
    assert (req.criterion, req.section, req.quote, req.request) == (
        "no-sepsis", "Policy C", "absence of sepsis", "Confirm sepsis was ruled out")
    (titled,) = requests({"all": [not_group(title="Sepsis ruled out")]}, knowledge)
    assert titled.criterion == "no-sepsis" and "Sepsis ruled out" in titled.request
    (bare,) = requests({"all": [not_group()]}, knowledge)
    assert "no-sepsis" in bare.request


def test_a_deny_reason_carries_the_leafs_finding(knowledge):
    """A not-met leaf on the decisive path is cited with the finding the tree shows for it."""
    node = {**leaf("sepsis", "Document the sepsis work-up"), "section": "Policy B.2", "quote": "no sepsis"}
    program, verdicts, outcomes = evaluated({"all": [node]}, knowledge, {"sepsis": False})
    (reason,) = deny_reasons(program, verdicts, outcomes)
    leaf_index = next(i for i, n in enumerate(program.nodes) if n.id == "sepsis")
    assert (reason.criterion, reason.section, reason.quote) == ("sepsis", "Policy B.2", "no sepsis")
    assert reason.finding == outcomes[leaf_index].detail and reason.finding


def test_a_not_met_not_is_the_reason_itself(knowledge):
    """A NOT whose child is met is cited as a whole (its title, else its id), not through its child."""
    program, verdicts, outcomes = evaluated({"all": [not_group(title="Sepsis ruled out")]}, knowledge,
                                            {"sepsis": True})
    (reason,) = deny_reasons(program, verdicts, outcomes)
    assert (reason.criterion, reason.section, reason.quote) == ("no-sepsis", "Policy C", "absence of sepsis")
    assert "Sepsis ruled out" in reason.finding
    program, verdicts, outcomes = evaluated({"all": [not_group()]}, knowledge, {"sepsis": True})
    assert "no-sepsis" in deny_reasons(program, verdicts, outcomes)[0].finding


def test_a_contraindication_group_not_met_without_a_not_met_child_is_still_cited(knowledge):
    """`contraindication: true` flags a deny reason: an AT_LEAST whose only children do not apply is not met
    with no not-met child to cite, so the group itself is the reason, flagged and cited."""
    group = {"id": "contra", "section": "Policy D", "quote": "one of the following", "contraindication": True,
             "at_least": 1, "of": [leaf("sepsis", "r") | {"when": {"kind": ["implant"]}}]}  # the case is a trial
    program, verdicts, outcomes = evaluated({"all": [group]}, knowledge)
    (reason,) = deny_reasons(program, verdicts, outcomes)
    assert (reason.criterion, reason.section, reason.quote) == ("contra", "Policy D", "one of the following")
    assert reason.contraindication is True and reason.finding == ""  # the group itself found nothing to quote
    assert "finding" not in reason.to_dict()


def test_the_choices_are_numbered_from_one_in_the_policys_order(knowledge):
    group = {"any": [leaf("coagulopathy", "Document the coagulation panel"),
                     leaf("sepsis", "Or document the sepsis work-up"),
                     leaf("local_infection", "Document the skin exam")]}
    (req,) = requests(group, knowledge)
    positions = [req.request.index(f"({i}) {text}") for i, text in enumerate(
        ["Document the coagulation panel", "Document the sepsis work-up", "Document the skin exam"], 1)]
    assert positions == sorted(positions)


def test_only_a_pend_asks_for_documentation(knowledge):
    """Requests are for a pend: a deny (one criterion not met beside an unknown one) asks for nothing."""
    group = {"all": [leaf("coagulopathy", "Document the coagulation panel"), leaf("sepsis", "Document sepsis")]}
    program, verdicts, outcomes = evaluated(group, knowledge, {"coagulopathy": False})
    assert verdicts[program.root] == "not_met"
    assert documentation_requests(program, verdicts, outcomes) == ()


def test_a_choice_of_documents_reads_any_one_of_numbered_or(policies):
    """The pend's request for a choice, as the nurse reads it (UHC: document the absence, or a clearance)."""
    import json as _json

    from priorauth.engine.evaluate import determine
    from priorauth.intake import load_case

    path = Path(__file__).parent / "fhir" / "bundles" / "02-uhc-implant-incomplete.case.json"
    d = determine(load_case(path), policies, "uhc-2022t0626c")
    [req] = d.documentation_requests
    assert req.request == ("Any one of: (1) " + req.one_of[0].request + " OR (2) Provide a mental-health evaluation "
                           "that cleared the member.")  # the second choice's "Or provide" reads as a choice
    assert _json.dumps(d.to_dict()).count("Any one of: (1) ") == 1
