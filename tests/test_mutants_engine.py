"""What the record and the routing say, written for the mutants of engine/evaluate.py, policyset.py, findings.py,
record.py and program.py that survived `make mutation` (bench/mutation/README.md)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from priorauth.engine.evaluate import determine, evaluate_case
from priorauth.errors import CaseError
from priorauth.intake import parse_case
from priorauth.vocab import REVIEW_NOTICE

NCD = "medicare-ncd-280-14"
DOC = {
    "format": "priorauth-case/1", "id": "m-eng", "submitted": "2025-06-02",
    "member": {"birth_date": "1960-02-01", "payer": "florida-blue", "line_of_business": "medicare-advantage"},
    "request": {"kind": "trial", "route": "intrathecal", "indication": "noncancer_pain", "service_date": "2025-06-20",
                "drugs": [{"name": "morphine", "daily_dose": {"value": 0.5, "unit": "mg"},
                           "concentration": {"value": 40, "unit": "mg/mL"}}]},
    "clinical": {"life_expectancy_months": 120,
                 "treatments": [{"type": "systemic_opioids", "start": "2024-01-01", "end": "2024-12-31",
                                 "schedule": "fixed", "outcome": "failed"}]},
}


def case(**member):
    doc = json.loads(json.dumps(DOC))
    doc["member"].update(member)
    return parse_case(json.dumps(doc))


def test_a_referral_is_a_record_of_its_own(policies):
    c = case()
    [referred] = evaluate_case(c, policies)
    governed = determine(c, policies, NCD)  # the same case decided under the NCD directly
    assert referred.id != governed.id and len(referred.id) == 32
    assert (referred.decision, referred.documentation_requests) == (governed.decision, governed.documentation_requests)
    assert referred.summary == ("Florida Blue 09-J1000-31 refers this request to Medicare (CMS) NCD 280.14 "
                                f"(Florida Blue Program Exceptions); under it: {governed.summary}")


def test_determine_passes_the_as_of_date_and_evidence(policies):
    c = case()
    d = determine(c, policies, NCD, as_of=dt.date(2025, 5, 1))
    assert d.as_of == dt.date(2025, 5, 1)
    assert determine(c, policies, NCD).as_of == dt.date(2025, 6, 2)


def test_the_not_applicable_summary_names_what_the_policy_governs(policies):
    d = determine(case(line_of_business="commercial"), policies, NCD)
    assert d.summary == ("Medicare (CMS) NCD 280.14 does not apply to this request (it governs line_of_business "
                         "medicare, medicare-advantage; this request: line_of_business commercial).")


def test_the_not_applicable_summary_names_the_state(policies):
    ohio = determine(case(payer="caresource", line_of_business="medicaid", state="OH"), policies,
                     "caresource-ar-mm-1502")
    assert ohio.summary.endswith("(it governs state AR, undocumented; this request: state OH).")


def test_an_unknown_payer_names_the_field_and_the_known_payers(policies):
    with pytest.raises(CaseError) as exc:
        evaluate_case(case(payer="zzzzzz"), policies)
    assert exc.value.location == "member.payer"
    assert "no policy of payer 'zzzzzz' is loaded; known: caresource, florida-blue" in str(exc.value)
    with pytest.raises(CaseError, match=r"\(did you mean uhc\?\)$"):
        evaluate_case(case(payer="uhcc"), policies)


def test_limit_findings_are_safety_findings_naming_the_drug(policies):
    [d] = evaluate_case(case(), policies)
    [conc] = [f for f in d.findings if f.kind == "concentration"]
    assert (conc.severity, conc.drug) == ("safety", "morphine")
    assert not any(f.kind == "dose" and f.severity == "info" for f in d.findings)  # the dose is documented
    doc = json.loads(json.dumps(DOC))
    del doc["request"]["drugs"][0]["daily_dose"]
    [d] = evaluate_case(parse_case(json.dumps(doc)), policies)
    [info] = [f for f in d.findings if f.kind == "dose"]
    assert (info.severity, info.drug, info.message) == ("info", "morphine", "No daily dose is documented for morphine.")


def test_the_notice_says_what_review_is_needed(policies):
    doc = json.loads(json.dumps(DOC))
    doc["member"].update(payer="medicare", line_of_business="medicare")
    doc["clinical"]["life_expectancy_months"] = 1
    deny = determine(parse_case(json.dumps(doc)), policies, NCD)
    assert deny.decision == "deny" and deny.to_dict()["notice"] == REVIEW_NOTICE
    doc["request"]["kind"] = "refill"
    refer = determine(parse_case(json.dumps(doc)), policies, NCD).to_dict()
    assert refer["decision"] == "refer" and refer["notice"] == "Manual review: " + refer["summary"]
    pend = determine(case(payer="medicare", line_of_business="medicare"), policies, NCD)
    assert pend.decision == "pend" and "notice" not in pend.to_dict()


def test_fails_shows_only_the_failing_and_unknown_branches(policies):
    doc = json.loads(json.dumps(DOC))
    doc["member"].update(payer="medicare", line_of_business="medicare")
    d = determine(parse_case(json.dumps(doc)), policies, NCD)
    assert d.decision == "pend"
    full, fails = d.to_dict("full")["criteria"], d.to_dict("fails")["criteria"]

    def ids(node):
        yield node["id"], node["verdict"]
        for child in node.get("children", []):
            yield from ids(child)

    assert {v for _, v in ids(fails)} <= {"unknown", "not_met"}
    assert ("opioid-life-expectancy", "met") in set(ids(full)) and ("opioid-behavioral", "unknown") in set(ids(fails))
    assert "criteria" not in d.to_dict("summary")
    life = next(n for n in full["children"][0]["children"] if n["id"] == "opioid-life-expectancy")
    assert life["facts"] == {"clinical.life_expectancy_months": 120}


def test_the_criteria_view_carries_each_nodes_labels(policies):
    doc = json.loads(json.dumps(DOC))
    doc["member"].update(payer="medicare", line_of_business="medicare")
    d = determine(parse_case(json.dumps(doc)), policies, NCD)
    root = d.criteria
    assert (root.id, root.section, root.operator) == ("ncd-280-14", "NCD 280.14", "first")
    assert root.quote.startswith("Medicare's National Coverage Determination on Infusion Pumps")
    opioid = root.children[0]
    assert opioid.title == "Opioid drugs intrathecally or epidurally for severe chronic intractable pain"
    assert opioid.interpretation.startswith("Governs a pain request")
    life = next(c for c in opioid.children if c.id == "opioid-life-expectancy")
    assert life.detail.startswith("clinical.life_expectancy_months = 120") and life.facts[0].value == 120
    other = root.children[-1]
    assert other.status == "not_applicable" and other.detail == "does not apply to this request"
    version = d.to_dict()["policy_version"]
    assert version["end"] is None and version["effective"] == "2004-01-01"
    hcsc = determine(case(payer="hcsc", line_of_business="commercial"), policies, "hcsc-sur707-008")
    assert hcsc.to_dict()["policy_version"]["end"] == "2025-12-31"


def test_compile_policy_keeps_its_version_and_reads_drug_classes_in_every_condition(knowledge, tmp_path):
    """engine/policyset.compile_policy: the version record is the policy's own, the id key its version and hash,
    and the scope rules, documentation items and applicability read drug classes from the drug table."""
    import textwrap

    from priorauth.engine.policyset import compile_policy
    from priorauth.engine.record import PolicyVersion
    from priorauth.policy.loader import load_policy_file

    path = tmp_path / "policy.yaml"
    path.write_text(textwrap.dedent("""\
        id: acme-ip-002
        payer: acme
        payer_name: Acme Health
        number: IP-002
        title: Intrathecal opioids
        version: "2025-01-01"
        effective: 2025-01-01
        end: 2025-12-31
        source: {file: acme.txt, sha256: "0000000000000000000000000000000000000000000000000000000000000000"}
        covered_kinds: [trial]
        applies_to: {drug_classes_any: [opioid]}
        scope:
          - {id: opioid-refill, section: A, quote: q, when: {kind: [refill], drug_classes_any: [opioid]},
             decision: refer, reason: refills go to a reviewer}
        documentation:
          - {id: doc-opioid, section: B, quote: q, text: the opioid prescription, when: {drug_classes_any: [opioid]}}
        criteria:
          id: c
          section: C
          quote: q
          all:
            - {id: no-sepsis, section: C, quote: q, request: r, test: {fact: clinical.findings.sepsis, eq: false}}
        """))
    policy = load_policy_file(path)
    compiled = compile_policy(policy, "abc123", knowledge)
    assert compiled.version == PolicyVersion("acme-ip-002", "2025-01-01", "acme", "Acme Health", "IP-002",
                                             "Intrathecal opioids", dt.date(2025, 1, 1), dt.date(2025, 12, 31),
                                             "abc123")
    assert compiled.key == "2025-01-01|abc123"
    assert compile_policy(policy, None, knowledge).key == "2025-01-01|-"
    from priorauth.engine.facts import facts_for

    doc = json.loads(json.dumps(DOC))
    doc["request"]["kind"] = "refill"
    facts = facts_for(parse_case(json.dumps(doc)))
    assert compiled.applies_to.holds(facts) and compiled.scope[0][1].holds(facts)
    assert compiled.documentation[0][1].holds(facts)
    doc["request"]["drugs"] = [{"name": "baclofen"}]
    assert not compiled.applies_to.holds(facts_for(parse_case(json.dumps(doc))))


def test_a_group_in_the_criteria_view_has_no_detail_of_its_own(policies):
    doc = json.loads(json.dumps(DOC))
    doc["member"].update(payer="medicare", line_of_business="medicare")
    tree = determine(parse_case(json.dumps(doc)), policies, NCD).criteria
    assert tree.children and tree.detail == ""  # a group is its children's verdict, not a finding
