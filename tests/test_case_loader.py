"""The case reader: strict types, closed keys, and errors that name the file, the field and the problem."""

from __future__ import annotations

import json
import time

import pytest

from conftest import CASES, needs_shared, run_cli
from priorauth.errors import CaseError
from priorauth.intake import load_case, parse_case

MINIMAL = {
    "format": "priorauth-case/1", "id": "t1", "submitted": "2025-06-02",
    "request": {"kind": "trial", "indication": "noncancer_pain", "service_date": "2025-06-20"},
}


def with_(path: str, value) -> str:
    doc = json.loads(json.dumps(MINIMAL))
    node = doc
    keys = path.split(".")
    for k in keys[:-1]:
        node = node.setdefault(k, {})
    node[keys[-1]] = value
    return json.dumps(doc)


def error_of(text: str, name: str = "case.json") -> str:
    with pytest.raises(CaseError) as exc:
        parse_case(text, name)
    return str(exc.value)


@needs_shared
def test_every_example_case_loads():
    files = [p for p in CASES.glob("*.json") if p.name != "expected.json"]
    assert files
    for p in files:
        assert load_case(p).id == p.stem


def test_bad_date_names_field_path_and_value():
    text = with_("clinical.treatments", [{"type": "rest"}, {"type": "rest"}, {"type": "rest", "start": "2024-13-01"}])
    assert error_of(text) == 'case.json: clinical.treatments[2].start: not a date: "2024-13-01"'


@pytest.mark.parametrize("path,value,message", [
    ("request.facility_experienced", 0, "request.facility_experienced: not true or false: 0"),
    ("request.trial_observation_days", "3", 'request.trial_observation_days: not a number: "3"'),
    ("clinical.findings.sepsis", "no", 'clinical.findings.sepsis: not true or false: "no"'),
    ("clinical.life_expectancy_months", False, "clinical.life_expectancy_months: not a number: false"),
])
def test_types_are_strict(path, value, message):
    assert message in error_of(with_(path, value))


def test_unknown_keys_are_errors():
    assert "clinical.pain_onsett: unknown field" in error_of(with_("clinical.pain_onsett", "2024-01-01"))
    assert "bogus: unknown field" in error_of(with_("bogus", 1))


def test_enumerations_are_checked():
    msg = error_of(with_("request.kind", "implantation"))
    assert msg.startswith("case.json: request.kind:") and "implantation" in msg


def test_missing_required_field():
    doc = dict(MINIMAL)
    del doc["submitted"]
    assert error_of(json.dumps(doc)) == "case.json: submitted: required field is missing"


def test_trial_scores_must_agree_with_percentage():
    msg = error_of(with_("clinical.trial_result", {"pain_before": 8, "pain_after": 4, "pain_reduction_percent": 70}))
    assert "clinical.trial_result" in msg and "disagrees" in msg


def test_null_means_not_documented():
    case = parse_case(with_("clinical.surgery_indicated", None))
    assert case.clinical.surgery_indicated is None


def test_invalid_json_and_yaml():
    assert error_of("{not json").startswith("case.json: not valid JSON")
    with pytest.raises(CaseError) as exc:
        parse_case("a: [1, 2\nb: 3", "case.yaml", yaml_syntax=True)
    assert str(exc.value).startswith("case.yaml:")


def test_yaml_reads_like_json(tmp_path):
    p = tmp_path / "case.yaml"
    p.write_text(
        "format: priorauth-case/1\nid: y1\nsubmitted: 2025-06-02\n"
        "request: {kind: trial, indication: noncancer_pain, service_date: 2025-06-20}\n"
        "clinical:\n  treatments:\n    - {type: rest, start: 2025-13-01}\n"
    )
    with pytest.raises(CaseError) as exc:
        load_case(p)
    assert str(exc.value) == f'{p}: clinical.treatments[0].start: not a date: "2025-13-01"'


def test_unreadable_file(tmp_path):
    with pytest.raises(CaseError) as exc:
        load_case(tmp_path / "missing.json")
    assert "cannot read" in str(exc.value)


@pytest.mark.parametrize("written", ["Infumorph", "Duramorph", "morphine sulfate", "Morphine", "MORPHINE",
                                     " morphine "])
def test_brand_salt_and_case_variants_of_a_drug_are_its_generic_name(written):
    case = parse_case(with_("request.drugs", [{"name": written}, {"name": "Prialt"}, {"name": "Gablofen"}]))
    assert [d.name for d in case.request.drugs] == ["morphine", "ziconotide", "baclofen"]


def test_a_misspelt_drug_is_an_error_with_did_you_mean():
    msg = error_of(with_("request.drugs", [{"name": "morphine"}, {"name": "morfine"}, {"name": "Infumorf"}]))
    assert "request.drugs[1].name: unknown drug 'morfine' (did you mean morphine?)" in msg
    assert "request.drugs[2].name: unknown drug 'Infumorf' (did you mean morphine?)" in msg
    assert "request.drugs[0]" not in msg


def test_a_drug_the_table_does_not_know_is_an_error_listing_the_known_names():
    msg = error_of(with_("request.drugs", [{"name": "gabapentin"}]))
    assert "request.drugs[0].name: unknown drug 'gabapentin'; known generic names: baclofen, bupivacaine" in msg


def test_a_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(MINIMAL).encode())
    assert load_case(path).id == "t1"


def test_latin1_bytes_are_named_with_their_line_and_column(tmp_path):
    path = tmp_path / "latin.json"
    text = json.dumps(MINIMAL, indent=1).replace('"t1"', '"caf\u00e9"')
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(CaseError) as exc:
        load_case(path)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "caf" in row)
    column = text.splitlines()[line - 1].index("\u00e9") + 1
    assert str(exc.value) == f"{path}:{line}: not UTF-8 text: byte 0xe9 at line {line} column {column} " \
                             "(save the file as UTF-8)"


def test_an_unknown_key_suggests_the_field_it_is_close_to():
    assert "clinical.pain_onest: unknown field (did you mean clinical.pain_onset?)" in \
        error_of(with_("clinical.pain_onest", "2024-01-01"))
    assert "request.drugs[0].daily_dos: unknown field (did you mean request.drugs[0].daily_dose?)" in \
        error_of(with_("request.drugs", [{"name": "morphine", "daily_dos": {"value": 1, "unit": "mg"}}]))
    assert "did you mean" not in error_of(with_("clinical.zzzzzz", 1))


def test_an_unquoted_code_in_yaml_says_to_quote_it():
    yaml_text = "format: priorauth-case/1\nid: y1\nsubmitted: 2025-06-02\nrequest:\n  kind: trial\n" \
                "  indication: noncancer_pain\n  service_date: 2025-06-20\n  procedure_codes: [62324]\n"
    with pytest.raises(CaseError) as exc:
        parse_case(yaml_text, "case.yaml", yaml_syntax=True)
    assert 'request.procedure_codes[0]: not a string: 62324 (write it in quotes: "62324"' in str(exc.value)


@pytest.mark.parametrize(("written", "read"), [("g89.4", "G89.4"), ("G8921", "G89.21"), (" m51.36 ", "M51.36"),
                                               ("G89", "G89"), ("not a code", "not a code")])
def test_diagnosis_codes_are_read_in_icd10cm_spelling(written, read):
    assert parse_case(with_("request.diagnosis_codes", [written])).request.diagnosis_codes == [read]


BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8))


def test_a_yaml_alias_bomb_is_refused_quickly_naming_the_file(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB, encoding="utf-8")  # 9**9 values once expanded: the CLI used to hang on it
    t0 = time.monotonic()
    proc = run_cli("check", str(path))
    assert time.monotonic() - t0 < 30 and proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"{path}" in proc.stderr and "aliases" in proc.stderr and "expand to more than" in proc.stderr


def test_yaml_aliases_within_bounds_and_merge_keys_still_read():
    merged = ("format: priorauth-case/1\nid: t1\nsubmitted: '2025-06-02'\nmember: &m {payer: moda}\n"
              "request:\n  <<: {kind: refill, indication: noncancer_pain}\n  kind: trial\n"
              "  service_date: '2025-06-20'\nclinical: {}\n")
    case = parse_case(merged, "m.yaml", yaml_syntax=True)  # a merged key the mapping overrides is not a repeat
    assert case.request.kind == "trial" and case.request.indication == "noncancer_pain" and case.member.payer == "moda"


def test_a_key_given_twice_is_an_error_in_json_and_yaml_naming_its_path():
    text = with_("clinical.pain_onset", "2020-01-01").replace('"pain_onset"',
                                                              '"pain_onset": "2019-05-01", "pain_onset"')
    assert text.count('"pain_onset"') == 2
    assert "clinical.pain_onset: given twice in one object" in error_of(text)
    yaml_text = ("format: priorauth-case/1\nid: t1\nsubmitted: '2025-06-02'\nrequest:\n  kind: trial\n"
                 "  indication: noncancer_pain\n  kind: refill\n  service_date: '2025-06-20'\n")
    with pytest.raises(CaseError) as exc:
        parse_case(yaml_text, "c.yaml", yaml_syntax=True)
    assert exc.value.location == "c.yaml:7" and "'kind' is given twice" in exc.value.message
    parse_case(with_("clinical.pain_onset", "2020-01-01"))  # one of each: fine


def test_two_files_with_one_case_id_are_both_evaluated_with_a_warning_naming_both(tmp_path):
    for name in ("a.json", "b.json"):
        (tmp_path / name).write_text(json.dumps(MINIMAL), encoding="utf-8")
    proc = run_cli("check", str(tmp_path), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert [json.loads(line)["source"] for line in proc.stdout.splitlines()] == [str(tmp_path / "a.json"),
                                                                                str(tmp_path / "b.json")]
    assert f"{tmp_path / 'b.json'}: case id 't1' is also the id of {tmp_path / 'a.json'}" in proc.stderr


def test_every_field_of_the_case_format_says_what_it_means():
    from priorauth.case import model
    from priorauth.case.descriptions import FIELDS

    schema = json.loads(run_cli("schema", "case", check=True).stdout)
    undescribed = [(name, field) for name, body in [("Case", schema), *schema["$defs"].items()]
                   for field, prop in body.get("properties", {}).items() if not prop.get("description")]
    assert undescribed == []
    stale = [(name, field) for name, fields in FIELDS.items() for field in fields
             if field not in getattr(model, name).model_fields]
    assert stale == []
