"""Which policy governs a request: the payer, the policy's `applies_to`, scope rules that refer to another policy
(Florida Blue's and UHC's Medicare Advantage members to NCD 280.14), and a seventh payer added as a folder."""

from __future__ import annotations

import datetime as dt
import json
import textwrap

import pytest

from conftest import needs_shared, run_cli
from priorauth.case.model import Case
from priorauth.engine import CompiledPolicies
from priorauth.engine.evaluate import evaluate_case
from priorauth.engine.facts import facts_for
from priorauth.engine.program import Condition
from priorauth.errors import CaseError, PolicyError
from priorauth.intake import parse_case
from priorauth.policy.lint import lint_paths
from priorauth.policy.loader import load_policies, load_policy_file
from priorauth.policy.model import When
from priorauth.tester.policy_cases import run_policy_cases
from seventh_payer import PAYER, POLICY_ID, write_seventh

NCD = "medicare-ncd-280-14"

# A noncancer morphine trial complete for the NCD's opioid use (and for Florida Blue's and UHC's own criteria).
MEMBER = {"birth_date": "1960-02-01", "sex": "female"}
DOC = {
    "format": "priorauth-case/1", "id": "route-1", "submitted": "2025-06-02", "member": MEMBER,
    "request": {"kind": "trial", "route": "intrathecal", "indication": "noncancer_pain", "service_date": "2025-06-20",
                "drugs": [{"name": "morphine", "daily_dose": {"value": 0.5, "unit": "mg"}}]},
    "clinical": {"life_expectancy_months": 120, "behavioral_factors_addressed": True,
                 "treatments": [{"type": "systemic_opioids", "start": "2024-01-01", "end": "2024-12-31",
                                 "schedule": "fixed", "outcome": "failed"}]},
}


def case(**member):
    return parse_case(json.dumps({**DOC, "member": {**MEMBER, **member}}))


def test_a_medicare_advantage_member_of_florida_blue_or_uhc_is_decided_under_the_ncd(policies):
    for payer, rule, section in (("florida-blue", "scope-medicare-advantage", "Florida Blue Program Exceptions"),
                                 ("uhc", "scope-medicare-advantage", "UHC Instructions for Use")):
        [d] = evaluate_case(case(payer=payer, line_of_business="medicare-advantage"), policies)
        direct = evaluate_case(case(payer="medicare", line_of_business="medicare-advantage"), policies)[0]
        assert d.policy != NCD and d.policy_version.payer == payer
        assert d.governed_by is not None and d.governed_by.policy.id == NCD and d.governed_by.rule == rule
        assert d.governed_by.section == section
        # the decision and everything it rests on are the NCD's
        assert (d.decision, d.reasons, d.documentation_requests) == \
            (direct.decision, direct.reasons, direct.documentation_requests)
        assert d.criteria.id == direct.criteria.id
        assert d.decision == "approve" and "NCD 280.14" in d.summary
        out = d.to_dict()
        assert out["governed_by"]["policy"] == NCD and out["governed_by"]["rule"] == rule
        assert out["policy_version"]["id"] == d.policy and out["governed_by"]["policy_version"]["id"] == NCD
        assert d.id != direct.id  # a different record: the referral is part of what decided it


def test_a_commercial_member_is_not_governed_by_the_ncd(policies):
    for payer in ("florida-blue", "uhc"):
        [d] = evaluate_case(case(payer=payer, line_of_business="commercial"), policies)
        assert d.governed_by is None and d.to_dict()["governed_by"] is None
        assert d.criteria is not None and d.criteria.id != "ncd-280-14"


def test_the_ncd_applies_only_to_documented_medicare_members(policies):
    for lob, expected in ((None, "not_applicable"), ("commercial", "not_applicable"), ("medicaid", "not_applicable"),
                          ("medicare", "approve"), ("medicare-advantage", "approve")):
        member = {"line_of_business": lob} if lob else {}
        d = next(d for d in evaluate_case(case(**member), policies) if d.policy == NCD)
        assert d.decision == expected, (lob, d.summary)
        if expected == "not_applicable":
            assert "it governs line_of_business medicare, medicare-advantage" in d.summary
            assert f"this request: line_of_business {lob or 'not documented'}" in d.summary


def test_a_payer_no_policy_belongs_to_is_refused_with_a_suggestion(policies):
    with pytest.raises(CaseError, match="did you mean medicare"):
        evaluate_case(case(payer="medicar"), policies)


def condition(knowledge, **when):
    return Condition(When.model_validate(when), knowledge)


def test_when_negation_undocumented_and_drug_classes(knowledge):
    def facts(lob=None, drugs=("morphine",), route="intrathecal"):
        doc = json.loads(json.dumps(DOC))
        doc["member"] = {**MEMBER, **({"line_of_business": lob} if lob else {})}
        doc["request"]["drugs"] = [{"name": n} for n in drugs]
        if route:
            doc["request"]["route"] = route
        else:
            del doc["request"]["route"]
        return facts_for(Case.model_validate_json(json.dumps(doc)))  # drug names as written: the engine's reading

    undocumented = condition(knowledge, line_of_business=["undocumented"])
    assert undocumented.holds(facts()) and not undocumented.holds(facts("commercial"))
    assert condition(knowledge, route=["undocumented", "epidural"]).holds(facts(route=None))
    assert not condition(knowledge, route=["epidural"]).holds(facts(route=None))
    opioid = condition(knowledge, drug_classes_any=["opioid"])
    assert opioid.holds(facts(drugs=("bupivacaine", "fentanyl")))
    assert not opioid.holds(facts(drugs=("bupivacaine", "ziconotide")))
    assert not opioid.holds(facts(drugs=("mystery",)))  # a drug the table does not know is of no class
    none_of = condition(knowledge, drugs_none=["ziconotide"])
    assert none_of.holds(facts(drugs=("morphine",))) and not none_of.holds(facts(drugs=("morphine", "ziconotide")))
    negated = condition(knowledge, **{"not": {"drug_classes_any": ["opioid", "antispasmodic"]}})
    assert negated.holds(facts(drugs=("ziconotide",))) and not negated.holds(facts(drugs=("baclofen",)))
    both = condition(knowledge, line_of_business=["commercial"], **{"not": {"route": ["epidural"]}})
    assert both.holds(facts("commercial")) and not both.holds(facts("commercial", route="epidural"))
    assert not both.holds(facts("medicaid"))


POLICY = textwrap.dedent("""\
    id: {pid}
    payer: {payer}
    payer_name: Test
    number: T-1
    title: Test
    version: "1"
    effective: {effective}
    source: {{file: t.txt, sha256: "{sha}"}}
    scope:
      - id: onward
        section: T 0
        quote: see elsewhere
        when: {{kind: [refill]}}
        decision: {decision}
        refer_to: {target}
        reason: Decided elsewhere.
    covered_kinds: [trial]
    criteria:
      id: root
      section: T 1
      quote: alive
      request: Provide the date of birth.
      test: {{fact: member.age_years, gte: 0}}
    """)


def write_policy(folder, pid, target, decision="refer", effective="2025-01-01"):
    d = folder / pid
    d.mkdir(parents=True, exist_ok=True)
    p = d / "policy.yaml"
    p.write_text(POLICY.format(pid=pid, payer=pid, target=target, decision=decision, effective=effective,
                               sha="0" * 64))
    return p


def test_a_referral_to_no_loaded_policy_is_refused_at_load(tmp_path):
    write_policy(tmp_path, "alpha", "betta")
    write_policy(tmp_path, "beta", "gamma-x")
    with pytest.raises(PolicyError) as exc:
        load_policies(tmp_path)
    assert "scope.onward.refer_to: no policy 'betta' is loaded (did you mean beta?)" in str(exc.value)
    assert "alpha/policy.yaml" in str(exc.value)


def test_referrals_in_a_circle_are_refused_at_load(tmp_path):
    write_policy(tmp_path, "alpha", "beta")
    write_policy(tmp_path, "beta", "gamma")
    write_policy(tmp_path, "gamma", "alpha")
    with pytest.raises(PolicyError, match="refer_to goes round in a circle: alpha -> beta -> gamma -> alpha"):
        load_policies(tmp_path)
    write_policy(tmp_path / "self", "delta", "delta")
    with pytest.raises(PolicyError, match="delta -> delta"):
        load_policies(tmp_path / "self")


def test_refer_to_needs_a_refer_decision(tmp_path):
    with pytest.raises(PolicyError, match="refer_to needs decision: refer"):
        load_policy_file(write_policy(tmp_path, "alpha", "beta", decision="approve"))


@pytest.mark.parametrize("written,day,precision", [
    ("2004", dt.date(2004, 1, 1), "year"), ('"2004-06"', dt.date(2004, 6, 1), "month"),
    ("2004-06-15", dt.date(2004, 6, 15), "day")])
def test_an_effective_date_may_be_a_year_or_a_month(tmp_path, written, day, precision):
    policy = load_policy_file(write_policy(tmp_path, "alpha", "alpha", effective=written))
    assert (policy.effective, policy.effective_precision) == (day, precision)
    assert not policy.in_force(day - dt.timedelta(days=1)) and policy.in_force(day)


def test_a_bad_month_is_an_error_naming_the_field(tmp_path):
    with pytest.raises(PolicyError, match="effective"):
        load_policy_file(write_policy(tmp_path, "alpha", "alpha", effective='"2004-13"'))


@needs_shared
def test_a_seventh_payer_is_a_folder(tmp_path, knowledge):
    """Loads, lints, self-tests, routes by its applicability block, refers Medicare Advantage to the NCD and shows
    in `check` and `policies list`, with no code that knows its payer id."""
    policies_dir, seeds = write_seventh(tmp_path)
    policies = CompiledPolicies(load_policies(policies_dir), knowledge)
    assert POLICY_ID in policies.ids and policies.for_payer(PAYER) == [POLICY_ID]
    [report] = lint_paths([policies_dir / PAYER], seeds)
    assert report.errors == [] and report.quotes_checked == 4
    report = run_policy_cases(policies, POLICY_ID)
    assert [r.problems for r in report.results if not r.ok] == []
    assert report.gaps == {} and report.idle_rules == [] and report.missing_decisions == []
    assert len(report.results) == 6

    proc = run_cli("policies", "test", "--strict", "--policies", str(policies_dir), "--policy", POLICY_ID)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    listed = run_cli("policies", "list", "--policies", str(policies_dir), check=True, env={"COLUMNS": "200"}).stdout
    assert POLICY_ID in listed and "Zenith Mutual" in listed and "2025-01 – open" in listed
    case_file = policies_dir / PAYER / "ip-7" / "cases" / "medicare-advantage-governed-by-ncd.json"
    out = json.loads(run_cli("check", str(case_file), "--policies", str(policies_dir), "--format", "json",
                             check=True).stdout)
    [d] = out["determinations"]
    assert d["policy"] == POLICY_ID and d["governed_by"]["policy"] == NCD and d["decision"] == "pend"
    text = run_cli("check", str(case_file), "--policies", str(policies_dir), check=True).stdout
    assert "Decided under Medicare (CMS) NCD 280.14" in text


REFERRING = textwrap.dedent("""\
    id: refer-inside
    payer: refer-inside
    payer_name: Test
    number: T-2
    title: Test
    version: "1"
    effective: 2025-01-01
    source: {file: t.txt, sha256: "0000000000000000000000000000000000000000000000000000000000000000"}
    covered_kinds: [trial]
    criteria:
      id: root
      section: T 1
      quote: all of
      all:
        - id: infection
          section: T 1.a
          quote: no infection
          request: State whether there is an active infection.
          test: {none_present: [clinical.findings.active_infection], undocumented: unknown}
        - id: choice
          section: T 1.b
          quote: either
          any:
            - id: adult
              section: T 1.b.i
              quote: adult
              request: Provide the date of birth.
              test: {fact: member.age_years, gte: 18}
            - id: interqual
              section: T 1.b.ii
              quote: per InterQual
              refer: InterQual criteria decide this; they are not in the policy.
    """)


def test_a_criterion_left_to_a_reviewer_refers_when_the_decision_hangs_on_it(tmp_path, knowledge):
    folder = tmp_path / "p" / "refer-inside"
    folder.mkdir(parents=True)
    (folder / "policy.yaml").write_text(REFERRING)
    ps = CompiledPolicies(load_policies(tmp_path / "p"), knowledge)

    def decide(birth, infection):
        doc = json.loads(json.dumps(DOC))
        doc["member"] = {"birth_date": birth} if birth else {}
        doc["clinical"] = {"findings": {"active_infection": infection}} if infection is not None else {}
        return evaluate_case(parse_case(json.dumps(doc)), ps)[0]

    adult, child = "1980-01-01", "2015-01-01"
    assert decide(adult, False).decision == "approve"  # the referred branch did not matter
    d = decide(child, False)
    assert d.decision == "refer" and d.reasons[0].criterion == "interqual"
    assert "InterQual criteria decide this" in d.summary and d.documentation_requests == ()
    assert decide(child, True).decision == "deny"  # a documented failure elsewhere decides
    d = decide(child, None)
    assert d.decision == "refer" and [r.criterion for r in d.documentation_requests] == ["infection"]
    # undocumented age: the reviewer's branch is one alternative among others, so it pends
    d = decide(None, False)
    assert d.decision == "pend" and d.documentation_requests[0].criterion == "choice"


def test_a_state_program_governs_only_its_state(policies):
    def caresource(**member):
        return next(d for d in evaluate_case(case(payer="caresource", line_of_business="medicaid", **member), policies)
                    if d.policy == "caresource-ar-mm-1502")

    ohio = caresource(state="OH")
    assert ohio.decision == "not_applicable" and "state AR, undocumented; this request: state OH" in ohio.summary
    assert caresource(state="AR").decision == caresource().decision != "not_applicable"
    with pytest.raises(CaseError):
        parse_case(json.dumps({**DOC, "member": {**MEMBER, "state": "Ohio"}}))
