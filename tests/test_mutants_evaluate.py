"""engine/evaluate.py as a reviewer reads it, for the mutants `make mutation` left (bench/mutation/README.md): the
not-in-force and not-applicable summaries, a scope rule's reason and approval duration, the evidence passed on,
and an id that changes with the policy's content."""

from __future__ import annotations

import json
import textwrap

import pytest

from priorauth.case.provenance import Evidence, FhirElement
from priorauth.engine import CompiledPolicies
from priorauth.engine.evaluate import determine
from priorauth.intake import parse_case
from priorauth.policy.loader import load_policies

POLICY = textwrap.dedent("""\
    id: acme-ip-003
    payer: acme
    payer_name: Acme Health
    number: IP-003
    title: Intrathecal pumps
    version: "{version}"
    effective: {effective}
    end: {end}
    source: {{file: acme.txt, sha256: "0000000000000000000000000000000000000000000000000000000000000000"}}
    covered_kinds: [trial, implant]
    approval_duration: {{trial: 2 weeks, replacement: 1 year, refill: 3 months}}
    applies_to: {applies_to}
    documentation:
      - {{id: doc-record, section: D, quote: q, text: the treating physician's record}}
    scope:
      - {{id: replacement-approved, section: A.1, quote: q, when: {{kind: [replacement]}}, decision: approve,
         reason: replacements need no review}}
      - {{id: refill-refer, section: A.2, quote: q, when: {{kind: [refill]}}, decision: refer,
         reason: refills go to a reviewer}}
    criteria:
      id: c
      section: C
      quote: q
      all:
        - {{id: adult, section: C.1, quote: q, request: r, test: {{fact: member.age_years, gte: 18}}}}
    """)

CASE = {"format": "priorauth-case/1", "id": "e-1", "submitted": "2025-06-02",
        "member": {"birth_date": "1960-02-01", "payer": "acme"},
        "request": {"kind": "trial", "route": "intrathecal", "indication": "noncancer_pain",
                    "service_date": "2025-06-20"}}


def compiled(tmp_path, knowledge, applies_to: str = "{indication: [noncancer_pain, cancer_pain]}",
             versions=(("2025-01-01", "2025-01-01", "2025-12-31"), ("2026-01-01", "2026-01-01", "null")),
             name: str = "p") -> CompiledPolicies:
    folder = tmp_path / name / "acme" / "ip-003"
    folder.mkdir(parents=True)
    for i, (version, effective, end) in enumerate(versions):
        (folder / f"policy-{i}.yaml").write_text(POLICY.format(version=version, effective=effective, end=end,
                                                               applies_to=applies_to))
    return CompiledPolicies(load_policies(tmp_path / name), knowledge)


def case(**request):
    doc = json.loads(json.dumps(CASE))
    doc["request"].update(request)
    return parse_case(json.dumps(doc))


def test_no_version_in_force_names_every_version_and_its_dates(tmp_path, knowledge):
    d = determine(case(service_date="2024-06-20"), compiled(tmp_path, knowledge), "acme-ip-003")
    assert d.decision == "not_applicable" and d.policy_version is None
    assert d.summary == ("No version of acme-ip-003 is in force on the date of service 2024-06-20 (known versions: "
                         "2025-01-01 (2025-01-01–2025-12-31), 2026-01-01 (2026-01-01–open)). The earliest version of "
                         "acme-ip-003 on file takes effect 2025-01-01; check the date of service.")
    assert [(f.kind, f.severity) for f in d.findings if f.kind == "policy_version"] == [("policy_version", "warning")]


def test_a_date_after_the_latest_version_warns_that_a_newer_one_is_probably_in_force(tmp_path, knowledge):
    policies = compiled(tmp_path, knowledge, versions=(("2025-01-01", "2025-01-01", "2025-12-31"),))
    d = determine(case(service_date="2026-03-02"), policies, "acme-ip-003")
    assert d.decision == "not_applicable"
    (warning,) = [f for f in d.findings if f.kind == "policy_version"]
    assert warning.severity == "warning"
    assert warning.message == ("The latest version of acme-ip-003 on file ended 2025-12-31: a newer version is "
                               "probably in force; load it before relying on this determination.")
    assert d.summary.endswith(warning.message)


@pytest.mark.parametrize(("applies_to", "request_", "summary"), [
    ("{kind: [implant], route: [epidural]}", {},
     "it governs kind implant; route epidural; this request: kind trial; route intrathecal"),
    ("{indication: [spasticity]}", {}, "it governs indication spasticity; this request: indication noncancer_pain"),
    ("{age_under: 18}", {}, "it governs age_under 18; this request: age_under 65"),
    ("{not: {indication: [noncancer_pain]}}", {}, "it governs other requests"),
    ("{drugs_any: [baclofen]}", {}, "it governs drugs_any baclofen"),
    ("{route: [epidural]}", {"route": None}, "it governs route epidural; this request: route not documented"),
])
def test_the_not_applicable_summary_says_what_the_policy_governs(tmp_path, knowledge, applies_to, request_, summary):
    d = determine(case(**request_), compiled(tmp_path, knowledge, applies_to), "acme-ip-003")
    assert d.decision == "not_applicable" and d.policy_version.id == "acme-ip-003"
    assert d.summary == f"Acme Health IP-003 does not apply to this request ({summary})."


def test_a_scope_rule_decides_with_its_reason_and_the_kinds_approval_duration(tmp_path, knowledge):
    policies = compiled(tmp_path, knowledge)
    approved = determine(case(kind="replacement"), policies, "acme-ip-003")
    assert (approved.decision, approved.summary, approved.approval_duration) == \
        ("approve", "replacements need no review", "1 year")
    assert approved.policy_version.id == "acme-ip-003"
    [reason] = approved.reasons
    assert (reason.rule, reason.section, reason.finding) == \
        ("replacement-approved", "A.1", "replacements need no review")
    referred = determine(case(kind="refill"), policies, "acme-ip-003")
    assert (referred.decision, referred.approval_duration) == ("refer", None)
    assert referred.reasons[0].finding == "refills go to a reviewer"
    trial = determine(case(), policies, "acme-ip-003")
    assert (trial.decision, trial.approval_duration) == ("approve", "2 weeks")


def test_determine_cites_the_evidence_it_is_given(tmp_path, knowledge):
    source = FhirElement("Patient", "p1", "Patient.birthDate")
    evidence = Evidence({"member.age_years": (source,)}, from_document=False)
    d = determine(case(), compiled(tmp_path, knowledge), "acme-ip-003", evidence=evidence)
    [leaf] = d.to_dict("full")["criteria"]["children"]
    assert leaf["sources"]["member.age_years"] == [source.to_dict()]


def test_the_id_changes_with_the_policys_content(tmp_path, knowledge):
    one = determine(case(), compiled(tmp_path, knowledge, name="a"), "acme-ip-003")
    again = determine(case(), compiled(tmp_path, knowledge, name="b"), "acme-ip-003")
    changed = determine(case(), compiled(tmp_path, knowledge, "{indication: [noncancer_pain]}", name="c"),
                        "acme-ip-003")
    assert one.id == again.id and one.id != changed.id and one.decision == changed.decision == "approve"


REFER_LEAF = ("    - {id: interqual, section: C.2, quote: the InterQual criteria, refer: InterQual 2022 criteria}\n"
              "    - {id: sepsis, section: C.3, quote: q, request: State whether sepsis is present.,\n"
              "       test: {fact: clinical.findings.sepsis, eq: false}}\n")


def test_a_criterion_left_to_a_reviewer_refers_the_request_citing_it(tmp_path, knowledge):
    folder = tmp_path / "r" / "acme" / "ip-003"
    folder.mkdir(parents=True)
    text = POLICY.format(version="2025-01-01", effective="2025-01-01", end="null", applies_to="null") + REFER_LEAF
    (folder / "policy.yaml").write_text(text)
    d = determine(case(), CompiledPolicies(load_policies(tmp_path / "r"), knowledge), "acme-ip-003")
    assert d.decision == "refer" and d.policy_version is not None and d.tree is not None
    assert d.policy == "acme-ip-003" and [c.id for c in d.documentation_checklist] == ["doc-record"]
    assert d.summary == "Refer for review: InterQual 2022 criteria (C.2)"
    [reason] = d.reasons
    assert (reason.criterion, reason.section, reason.quote, reason.finding) == \
        ("interqual", "C.2", "the InterQual criteria", "InterQual 2022 criteria")
    assert [r.criterion for r in d.documentation_requests] == ["sepsis"]  # the rest is still asked for


MODA = "moda-hcs-0044a"
MODA_CHECKLIST = ["doc-history-physical", "doc-conservative", "doc-activity"]


def moda_case(**clinical):
    doc = {"format": "priorauth-case/1", "id": "m-1", "submitted": "2025-06-02",
           "member": {"birth_date": "1960-02-01", "payer": "moda", "line_of_business": "commercial"},
           "request": {"kind": "trial", "route": "intrathecal", "indication": "noncancer_pain",
                       "service_date": "2025-06-20"}, "clinical": clinical}
    return doc


def test_each_decision_path_has_its_summary_checklist_and_version(policies):
    deny = determine(parse_case(json.dumps(moda_case(findings={"active_infection": True}))), policies, MODA)
    assert (deny.decision, deny.summary) == ("deny", "Not met: Moda II.C.d (C.d-active-infection)")
    two = determine(parse_case(json.dumps(moda_case(findings={"active_infection": True, "drug_allergy": True}))),
                    policies, MODA)
    assert two.summary.startswith("Not met: Moda II.C.") and two.summary.count("; Moda II.C.") == 1
    refill = moda_case()
    refill["request"]["kind"] = "refill"
    referred = determine(parse_case(json.dumps(refill)), policies, MODA)
    assert (referred.decision, referred.summary) == (
        "refer", "Moda Health CWQI HCS-0044A states no criteria for a refill request; refer for manual review.")
    pend = determine(parse_case(json.dumps(moda_case())), policies, MODA)
    assert pend.decision == "pend" and pend.summary.startswith("Documentation missing for ")
    for d in (deny, pend):
        assert [c.id for c in d.documentation_checklist] == MODA_CHECKLIST
    # a refer for want of criteria: the policy's checklist, then what a reviewer needs for a refill (ours)
    assert [c.id for c in referred.documentation_checklist] == MODA_CHECKLIST + [
        f"reviewer-needs-{i}" for i in range(1, 5)]
    for d in (deny, referred, pend):
        assert d.policy_version is not None and d.policy_version.id == MODA


def test_an_approval_says_every_criterion_is_met(tmp_path, knowledge):
    d = determine(case(), compiled(tmp_path, knowledge), "acme-ip-003")
    assert (d.decision, d.summary) == ("approve", "Every applicable criterion is met on documented facts.")
    assert [c.id for c in d.documentation_checklist] == ["doc-record"]
