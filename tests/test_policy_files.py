"""The policy format: load-time validation with line numbers, the linter, and a sixth payer as data only."""

from __future__ import annotations

import hashlib
import json
import shutil
import textwrap
from pathlib import Path

import pytest

from conftest import SEEDS, needs_shared, run_cli
from priorauth.engine import CompiledPolicies
from priorauth.engine.evaluate import evaluate_case
from priorauth.errors import PolicyError
from priorauth.intake import parse_case
from priorauth.policy.lint import lint_paths
from priorauth.policy.loader import default_policy_dir, load_policies, load_policy_file, policy_files

SOURCE_TEXT = "Section 1. Members must be at least 21 years old.\nSection 2. No active infection.\n"

SIXTH = textwrap.dedent("""\
    id: acme-ip-001
    payer: acme
    payer_name: Acme Health
    number: IP-001
    title: Intrathecal pumps
    version: "2025-01-01"
    effective: 2025-01-01
    source: {{file: acme.txt, sha256: {sha}}}
    covered_kinds: [trial]
    approval_duration: {{trial: 2 weeks}}
    criteria:
      id: acme
      section: Acme 1
      quote: Members must be at least 21 years old.
      all:
        - id: age-21
          section: Acme 1
          quote: at least 21 years old
          request: Provide the date of birth.
          test: {{fact: member.age_years, gte: 21}}
        - id: no-infection
          section: Acme 2
          quote: No active infection.
          request: State whether there is an active infection.
          test: {{none_present: [clinical.findings.active_infection], undocumented: absent}}
    """)


def write_sixth(folder: Path, body: str | None = None) -> Path:
    sha = hashlib.sha256(SOURCE_TEXT.encode()).hexdigest()
    d = folder / "acme" / "ip-001"
    d.mkdir(parents=True, exist_ok=True)
    (d / "NOTES.md").write_text("# Acme\n")
    p = d / "policy.yaml"
    p.write_text(body if body is not None else SIXTH.format(sha=sha))
    return p


CASE = {"format": "priorauth-case/1", "id": "c6", "submitted": "2025-06-02",
        "member": {"birth_date": "2000-01-01"},
        "request": {"kind": "trial", "indication": "noncancer_pain", "service_date": "2025-06-20"}}


def test_a_sixth_payer_needs_no_engine_code(tmp_path, knowledge):
    folder = tmp_path / "policies"
    shutil.copytree(default_policy_dir(), folder)
    write_sixth(folder)
    policies = CompiledPolicies(load_policies(folder), knowledge)
    assert "acme-ip-001" in policies.ids and len(policies.ids) == len(load_policies().ids) + 1
    young = evaluate_case(parse_case(json.dumps(CASE)), policies, only=["acme-ip-001"])[0]
    assert young.decision == "approve" and young.approval_duration == "2 weeks"
    older = dict(CASE, member={"birth_date": "2010-01-01"})
    assert evaluate_case(parse_case(json.dumps(older)), policies, only=["acme-ip-001"])[0].decision == "deny"


def test_schema_errors_carry_line_numbers(tmp_path):
    body = SIXTH.format(sha="a" * 64).replace("test: {fact: member.age_years, gte: 21}",
                                              "test: {fact: member.age_yeers, gte: 21}")
    p = write_sixth(tmp_path, body)
    with pytest.raises(PolicyError) as exc:
        load_policy_file(p)
    msg = str(exc.value)
    assert msg.startswith(f"{p}:15:") or msg.startswith(f"{p}:16:"), msg
    assert "did you mean member.age_years" in msg


def test_duplicate_ids_and_unknown_keys_rejected(tmp_path):
    dup = SIXTH.format(sha="a" * 64).replace("id: no-infection", "id: age-21")
    with pytest.raises(PolicyError, match="duplicate id 'age-21'"):
        load_policy_file(write_sixth(tmp_path, dup))
    extra = SIXTH.format(sha="a" * 64).replace("covered_kinds:", "colour: blue\ncovered_kinds:")
    with pytest.raises(PolicyError, match="colour"):
        load_policy_file(write_sixth(tmp_path, extra))


def test_leaf_without_request_is_rejected(tmp_path):
    body = SIXTH.format(sha="a" * 64).replace("      request: Provide the date of birth.\n", "")
    with pytest.raises(PolicyError, match="needs `request`"):
        load_policy_file(write_sixth(tmp_path, body))


def test_lint_checks_quotes_and_hash(tmp_path):
    sources = tmp_path / "seeds"
    sources.mkdir()
    (sources / "acme.txt").write_text(SOURCE_TEXT)
    good = write_sixth(tmp_path / "p")
    [report] = lint_paths([good], sources)
    assert report.errors == [] and report.quotes_checked == 3
    misquoted = SIXTH.format(sha=hashlib.sha256(SOURCE_TEXT.encode()).hexdigest()).replace(
        "quote: No active infection.", "quote: No infection of any kind.")
    [report] = lint_paths([write_sixth(tmp_path / "q", misquoted)], sources)
    assert any("no-infection: quote not found verbatim" in e for e in report.errors)
    (sources / "acme.txt").write_text(SOURCE_TEXT + "changed")
    [report] = lint_paths([good], sources)
    assert any("sha256 does not match" in e for e in report.errors)


def test_lint_says_plainly_when_source_is_not_at_hand(tmp_path):
    [report] = lint_paths([write_sixth(tmp_path)], tmp_path / "nowhere")
    assert report.errors == []
    assert "not at hand" in report.notes[0]


@needs_shared
def test_shipped_policies_lint_clean():
    reports = lint_paths([default_policy_dir()], SEEDS)
    assert len(reports) == len(policy_files(default_policy_dir())) >= 5
    for r in reports:
        assert r.errors == [], r.errors
        assert r.quotes_checked > 5


@pytest.mark.parametrize("test,message", [
    ({"fact": "clinical.spasticity.test_dose_response", "eq": "favourable"}, "'favourable' is not a value the case "
     "format allows (did you mean favorable?)"),
    ({"fact": "clinical.spasticity.oral_response", "in": ["unresponsiv", "intolerant"]}, "did you mean unresponsive?"),
    ({"fact": "clinical.findings.active_infection", "eq": "yes"}, "allowed: true, false"),
    ({"fact": "clinical.pathology_confirmed", "eq": 1}, "1 is not a value"),
    ({"fact": "clinical.substance_use", "gte": 1}, "clinical.substance_use is not a number"),
    ({"none_present": ["clinical.substance_use"], "undocumented": "absent"}, "clinical.substance_use is not"),
    ({"evaluation": {"type": "mental_health", "met": ["clered"]}}, "evaluation result: 'clered'"),
    ({"evaluation": {"type": "specialist", "specialties": ["neurologist"], "met": ["other_treatments_failed"]}},
     "did you mean neurology?"),
])
def test_values_are_checked_against_the_case_format_at_load(test, message):
    from priorauth.policy.leaf_tests import parse_test

    with pytest.raises(ValueError) as exc:
        parse_test(test)
    assert message in str(exc.value)
    assert "\n" not in str(exc.value) and "pydantic" not in str(exc.value)  # one plain sentence


@pytest.mark.parametrize("edit,message", [
    (("when: {kind: [trial], drugs_any: [morphine,", "when: {kind: [trial], drugs_any: [morphin,"),
     "criterion IV.B-observation-stay: drug 'morphin' is not in the drug table (did you mean morphine?)"),
])
def test_drug_names_are_checked_against_the_drug_table(tmp_path, knowledge, edit, message):
    folder = tmp_path / "policies"
    shutil.copytree(default_policy_dir(), folder)
    target = folder / "caresource" / "ar-mm-1502" / "policy.yaml"
    text = target.read_text()
    assert edit[0] in text
    target.write_text(text.replace(edit[0], edit[1], 1))
    with pytest.raises(PolicyError) as exc:
        CompiledPolicies(load_policies(folder), knowledge)
    assert message in str(exc.value) and str(target) in str(exc.value)


def test_drug_classes_are_checked_against_the_drug_table(tmp_path, knowledge):
    folder = tmp_path / "policies"
    shutil.copytree(default_policy_dir(), folder)
    target = folder / "medicare" / "ncd-280-14" / "policy.yaml"
    text = target.read_text()
    assert "drug_classes_any: [antispasmodic]" in text
    target.write_text(text.replace("drug_classes_any: [antispasmodic]", "drug_classes_any: [antispasmotic]", 1))
    with pytest.raises(PolicyError, match="drug class 'antispasmotic' is not in the drug table "
                                          r"\(did you mean antispasmodic\?\)"):
        CompiledPolicies(load_policies(folder), knowledge)
    proc = run_cli("policies", "lint", str(target))
    assert proc.returncode == 1 and "did you mean antispasmodic" in proc.stderr


@needs_shared
def test_a_quote_must_come_from_its_sources_section(tmp_path):
    """NCD 280.14 quotes only the NCD section of the HCSC document: a quote of HCSC's own criterion is an error."""
    folder = tmp_path / "policies"
    shutil.copytree(default_policy_dir(), folder)
    target = folder / "medicare" / "ncd-280-14" / "policy.yaml"
    text = target.read_text()
    own = "Severe spasticity of cerebral or spinal cord origin in individuals who are unresponsive to or who cannot " \
          "tolerate oral baclofen therapy"
    assert own in (SEEDS / "hcsc-SUR707.008-implantable-infusion-pump.txt").read_text()
    target.write_text(text.replace("quote: Other uses of implanted infusion pumps included", f"quote: {own}", 1))
    [report] = lint_paths([target], SEEDS)
    assert any("other: quote not found verbatim in hcsc-SUR707.008-implantable-infusion-pump.txt between "
               "“Other uses of implanted” and “Coding”" in e for e in report.errors), report.errors


def shipped_copy(tmp_path: Path, payer: str) -> Path:
    folder = tmp_path / "policies"
    shutil.copytree(default_policy_dir(), folder)
    [target] = (folder / payer).glob("*/policy.yaml")
    return target


@needs_shared
def test_a_quote_is_checked_within_the_section_it_cites(tmp_path):
    """CareSource VI.A quoted as VI.B: the words are in the file and in VI, but not in VI.B."""
    target = shipped_copy(tmp_path, "caresource")
    text = target.read_text()
    old = "section: CareSource D.VI.A\n          quote: active infection\n"
    assert old in text
    target.write_text(text.replace(old, old.replace("VI.A", "VI.B")))
    [report] = lint_paths([target], SEEDS)
    assert [e.split(": ", 1)[1] for e in report.errors] == [
        "VI.A-active-infection: quote not found verbatim in caresource-ar-passe-MM-1502-implantable-pain-pump.txt "
        "between “- B. insufficient body size” and “- C. prior intolerance”: \"active infection\""]


@needs_shared
def test_a_cited_section_must_have_a_span_and_each_span_a_marker(tmp_path):
    target = shipped_copy(tmp_path, "moda")
    text = target.read_text()
    target.write_text(text.replace("section: Moda III.4\n", "section: Moda IV.4\n", 1)
                      .replace('from: "- C. Contraindications"', 'from: "- C. Contra-indications"'))
    [report] = lint_paths([target], SEEDS)
    problems = [e.split(": ", 1)[1] for e in report.errors]
    assert "source moda-health-intrathecal-opioid-infusion-pump.txt: no line contains “- C. Contra-indications” " \
           "(section “Moda II.C”.from)" in problems
    assert any(p.startswith("doc-trial-response: section “Moda IV.4” is not under any of "
                            "moda-health-intrathecal-opioid-infusion-pump.txt's sections (Moda title, Moda II, ")
               for p in problems), problems


def test_a_label_falls_under_its_most_specific_section():
    from priorauth.policy.model import Source
    src = Source.model_validate({"file": "x.txt", "sha256": "0" * 64, "sections": [
        {"section": "CareSource D.I", "from": "a"}, {"section": "CareSource D.IV", "from": "b"},
        {"section": "CareSource D.IV.H", "from": "c"}, {"section": "HCSC Coverage", "from": "d"}]})
    assert src.section_for("CareSource D.IV.H.1").from_ == "c"
    assert src.section_for("CareSource D.IV.G").from_ == "b"
    assert src.section_for("CareSource D.I.B").from_ == "a" and src.section_for("CareSource D.I").from_ == "a"
    assert src.section_for("HCSC Coverage; Criteria A.2").from_ == "d"
    assert src.section_for("HCSC Coverage, NOTE 2").from_ == "d"
    assert src.section_for("CareSource D.V") is None  # not under D.I: the label goes on with a letter
    assert src.section_for("CareSource") is None


def test_a_second_source_is_named_by_the_quotes_that_cite_it(tmp_path):
    sources = tmp_path / "seeds"
    sources.mkdir()
    (sources / "acme.txt").write_text(SOURCE_TEXT)
    other = "Appendix. Members must be at least 21 years old on the date of service.\n"
    (sources / "appendix.txt").write_text(other)
    sha = hashlib.sha256(SOURCE_TEXT.encode()).hexdigest()
    body = SIXTH.format(sha=sha).replace(
        "covered_kinds:", f"sources:\n  - {{id: appendix, file: appendix.txt, sha256: "
                          f"{hashlib.sha256(other.encode()).hexdigest()}}}\ncovered_kinds:")
    cited = body.replace("  quote: Members must be at least 21 years old.\n  all:",
                         "  quote: at least 21 years old on the date of service\n  source: appendix\n  all:")
    assert "source: appendix" in cited
    [report] = lint_paths([write_sixth(tmp_path / "ok", cited)], sources)
    assert report.errors == [] and report.quotes_checked == 3
    [report] = lint_paths([write_sixth(tmp_path / "wrong", cited.replace("  source: appendix\n", ""))], sources)
    assert any("acme: quote not found verbatim in acme.txt" in e for e in report.errors)
    with pytest.raises(PolicyError, match="source 'apendix' is not in `sources` \\(did you mean appendix\\?\\)"):
        load_policy_file(write_sixth(tmp_path / "typo", cited.replace("source: appendix", "source: apendix")))


def test_the_c_yaml_loader_reads_every_policy_file_as_the_python_one_does():
    """Policies are read with libyaml (12x faster to load); it must give what PyYAML's own parser gives."""
    import yaml

    from priorauth.policy.loader import default_policy_dir, policy_files
    from priorauth.yamlio import _Loader, load_yaml

    class PurePython(yaml.SafeLoader):
        yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers

    files = policy_files(default_policy_dir())
    assert files and issubclass(_Loader, getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert load_yaml(text) == yaml.load(text, Loader=PurePython), path  # noqa: S506 - a SafeLoader
