"""A seventh payer as a contributor would add it: one folder (policy, notes, cases) beside the shipped policies,
with a payer id no code knows, an applicability block and a referral to Medicare's NCD. Used by the routing tests
and the service test; synthetic throughout."""

from __future__ import annotations

import hashlib
import json
import shutil
import textwrap
from pathlib import Path

from priorauth.policy.loader import default_policy_dir

PAYER = "zenith-mutual"
POLICY_ID = "zenith-ip-7"
SOURCE_NAME = "zenith-ip-7.txt"
SOURCE_TEXT = textwrap.dedent("""\
    Zenith Mutual Medical Policy IP-7, Intrathecal pumps.
    Applies to commercial and Medicare Advantage members.
    Medicare Advantage members are reviewed under Medicare coverage guidance.
    1. Members must be at least 21 years old.
    2. No active infection.
    """)

POLICY = textwrap.dedent("""\
    id: {policy_id}
    payer: {payer}
    payer_name: Zenith Mutual
    number: IP-7
    title: Intrathecal pumps
    version: "2025-01"
    effective: 2025-01
    lines_of_business: [commercial, medicare-advantage]
    applies_to: {{line_of_business: [commercial, medicare-advantage]}}
    source: {{file: {source}, sha256: {sha}}}
    scope:
      - id: medicare-advantage
        section: Zenith 0
        quote: Medicare Advantage members are reviewed under Medicare coverage guidance.
        when: {{line_of_business: [medicare-advantage]}}
        decision: refer
        refer_to: medicare-ncd-280-14
        reason: Medicare Advantage members are decided under NCD 280.14.
    covered_kinds: [trial]
    approval_duration: {{trial: 2 weeks}}
    criteria:
      id: zenith
      section: Zenith 1-2
      quote: Members must be at least 21 years old.
      all:
        - id: age-21
          section: Zenith 1
          quote: Members must be at least 21 years old.
          request: Provide the date of birth.
          test: {{fact: member.age_years, gte: 21}}
        - id: no-infection
          section: Zenith 2
          quote: No active infection.
          request: State whether there is an active infection.
          test: {{none_present: [clinical.findings.active_infection], undocumented: absent}}
    """)

BASE_CASE = {"format": "priorauth-case/1", "submitted": "2025-06-02",
             "member": {"birth_date": "1990-01-01", "payer": PAYER, "line_of_business": "commercial"},
             "request": {"kind": "trial", "route": "intrathecal", "indication": "noncancer_pain",
                         "service_date": "2025-06-20", "drugs": [{"name": "morphine"}]}}


def case(case_id: str, member: dict | None = None, request: dict | None = None, clinical: dict | None = None) -> dict:
    doc = json.loads(json.dumps(BASE_CASE))
    doc["id"] = case_id
    doc["member"].update(member or {})
    doc["request"].update(request or {})
    if clinical:
        doc["clinical"] = clinical
    return doc


CASES = {
    "approve": (case("approve"), {"decision": "approve"}),
    "deny-age": (case("deny-age", {"birth_date": "2006-01-01"}), {"decision": "deny", "cites": ["age-21"]}),
    "deny-infection": (case("deny-infection", clinical={"findings": {"active_infection": True}}),
                       {"decision": "deny", "cites": ["no-infection"]}),
    "pend-birth-date": (case("pend-birth-date", {"birth_date": None}), {"decision": "pend", "requests": ["age-21"]}),
    "medicaid-not-applicable": (case("medicaid-not-applicable", {"line_of_business": "medicaid"}),
                                {"decision": "not_applicable"}),
    # under the NCD's opioid use: life expectancy and the behavioral attempts are not documented
    "medicare-advantage-governed-by-ncd": (
        case("medicare-advantage-governed-by-ncd", {"line_of_business": "medicare-advantage"}),
        {"decision": "pend", "governed_by": "medicare-ncd-280-14",
         "requests": ["opioid-life-expectancy", "opioid-noninvasive-failed", "opioid-behavioral"]}),
}


def write_seventh(root: Path) -> tuple[Path, Path]:
    """Copy the shipped policies to root/policies and add the seventh payer's folder; its source goes to
    root/seeds. Returns (policies dir, sources dir)."""
    policies = root / "policies"
    shutil.copytree(default_policy_dir(), policies)
    seeds = root / "seeds"
    seeds.mkdir()
    (seeds / SOURCE_NAME).write_text(SOURCE_TEXT)
    folder = policies / PAYER / "ip-7"
    (folder / "cases").mkdir(parents=True)
    (folder / "NOTES.md").write_text("# Zenith Mutual IP-7: readings\n\n- Synthetic, for the routing tests.\n")
    sha = hashlib.sha256(SOURCE_TEXT.encode()).hexdigest()
    (folder / "policy.yaml").write_text(POLICY.format(policy_id=POLICY_ID, payer=PAYER, source=SOURCE_NAME, sha=sha))
    expected = {}
    for stem, (doc, want) in CASES.items():
        member = {k: v for k, v in doc["member"].items() if v is not None}
        (folder / "cases" / f"{stem}.json").write_text(json.dumps({**doc, "member": member}, indent=1))
        expected[stem] = want
    (folder / "cases" / "expected.yaml").write_text(json.dumps(expected, indent=1))  # JSON is YAML
    return policies, seeds
