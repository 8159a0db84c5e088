"""Engine behaviour: versions in force, scope, deny reasons, pend requests, purity."""

from __future__ import annotations

import copy
import datetime as dt
import json

from conftest import example_case, needs_shared
from priorauth.engine.evaluate import evaluate_case
from priorauth.intake import parse_case

pytestmark = needs_shared


def case_from(name: str, **changes) -> object:
    doc = example_case(name)
    for path, value in changes.items():
        node = doc
        keys = path.split("__")
        for k in keys[:-1]:
            node = node[k]
        if value is None:
            node.pop(keys[-1], None)
        else:
            node[keys[-1]] = value
    return parse_case(json.dumps(doc))


def decisions(case, policies, **kw) -> dict[str, str]:
    return {d.policy: d.decision for d in evaluate_case(case, policies, **kw)}


def by_policy(case, policies, pid):
    return evaluate_case(case, policies, only=[pid])[0]


def test_hcsc_in_force_through_its_end_date_only(policies):
    last_day = case_from("noncancer-trial-complete", request__service_date="2025-12-31")
    assert by_policy(last_day, policies, "hcsc-sur707-008").decision == "approve"
    after = case_from("noncancer-trial-complete", request__service_date="2026-01-01")
    d = by_policy(after, policies, "hcsc-sur707-008")
    assert d.decision == "not_applicable" and "2026-01-01" in d.summary
    before = case_from("noncancer-trial-complete", request__service_date="2025-01-31")
    assert by_policy(before, policies, "hcsc-sur707-008").decision == "not_applicable"


def test_refill_is_never_judged_by_implantation_criteria(policies):
    refill = case_from("noncancer-implant-fifty-percent", request__kind="refill")
    for d in evaluate_case(refill, policies):
        if d.policy == "medicare-ncd-280-14":  # no line of business documented: the NCD does not apply
            assert d.decision == "not_applicable"
            continue
        assert d.decision == "refer", (d.policy, d.decision)
        assert d.criteria is None  # no criteria tree was applied


def test_hcsc_note_2_needs_no_review(policies):
    for kind in ("replacement", "revision", "removal"):
        case = case_from("noncancer-trial-missing-documents", request__kind=kind)
        d = by_policy(case, policies, "hcsc-sur707-008")
        assert d.decision == "approve" and d.reasons[0].section == "HCSC Coverage, NOTE 2"


def test_deny_cites_the_decisive_criterion(policies):
    d = by_policy(case_from("noncancer-implant-fifty-percent"), policies, "hcsc-sur707-008")
    assert d.decision == "deny"
    assert [r.criterion for r in d.reasons] == ["B.2-greater-than-50"]
    assert "greater than 50%" in d.reasons[0].quote
    assert "review" in d.to_dict()["notice"]


def test_pend_asks_for_exactly_the_missing_documents(policies):
    d = by_policy(case_from("noncancer-trial-missing-documents"), policies, "caresource-ar-mm-1502")
    assert d.decision == "pend"
    assert sorted(r.criterion for r in d.documentation_requests) == ["IV.D.2-negative-drug-test",
                                                                       "IV.E-psychological"]
    assert all(r.request for r in d.documentation_requests)


def test_alternatives_are_requested_as_one_of(policies):
    d = by_policy(case_from("noncancer-trial-missing-documents"), policies, "uhc-2022t0626c")
    assert d.decision == "pend"
    [group] = d.documentation_requests
    assert group.criterion == "no-psychosocial-issues" and len(group.one_of) == 2


def test_a_documented_failure_outweighs_missing_documents(policies):
    case = case_from("noncancer-trial-missing-documents", clinical__surgery_indicated=True)
    d = by_policy(case, policies, "moda-hcs-0044a")
    assert d.decision == "deny" and d.documentation_requests == ()
    assert [r.criterion for r in d.reasons] == ["h-no-surgery"]


def test_contraindication_is_flagged(policies):
    case = case_from("noncancer-trial-complete", clinical__findings__csf_obstruction=True)
    d = by_policy(case, policies, "caresource-ar-mm-1502")
    assert d.decision == "deny" and d.reasons[0].contraindication is True


def test_member_payer_limits_policies(policies):
    case = case_from("noncancer-trial-complete", member__payer="uhc")
    assert list(decisions(case, policies)) == ["uhc-2022t0626c"]


def test_as_of_moves_the_look_back_windows(policies):
    case = case_from("noncancer-trial-complete")
    pid = "caresource-ar-mm-1502"
    assert evaluate_case(case, policies, only=[pid])[0].decision == "approve"
    # Four months later the negative drug test (2025-05-05) is outside the 3-month window.
    later = evaluate_case(case, policies, as_of=dt.date(2025, 9, 10), only=[pid])[0]
    assert later.decision == "pend"
    assert "IV.D.2-negative-drug-test" in [r.criterion for r in later.documentation_requests]


def test_evaluation_is_pure_and_deterministic(policies):
    case = case_from("cancer-trial-advanced-disease")
    before = copy.deepcopy(case.model_dump())
    first = [d.to_dict() for d in evaluate_case(case, policies)]
    second = [d.to_dict() for d in evaluate_case(case, policies)]
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    assert case.model_dump() == before


def test_approval_duration_and_version_are_reported(policies):
    d = by_policy(case_from("noncancer-implant-fifty-percent"), policies, "floridablue-09-j1000-31")
    out = d.to_dict()
    assert out["approval_duration"] == "1 year"
    assert out["policy_version"]["version"] == "2016-02-15" and len(out["policy_version"]["content_sha256"]) == 64


def test_every_leaf_in_the_trace_carries_its_citation(policies):
    applied = [d for d in evaluate_case(case_from("noncancer-trial-complete"), policies) if d.criteria is not None]
    assert len(applied) >= 5
    for d in applied:
        stack = [d.to_dict()["criteria"]]
        while stack:
            node = stack.pop()
            assert node["section"] and node["quote"] and node["verdict"]
            stack.extend(node.get("children", []))
