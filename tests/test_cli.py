"""The CLI as a user runs it: a subprocess, real files, exit codes and messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import CASES, SHARED, needs_shared, run_cli
from priorauth.policy.loader import load_policies

POLICY_IDS = set(load_policies().ids)  # a case with no payer is determined under every loaded policy


@needs_shared
def test_every_example_case_matches_expected_json():
    """The acceptance tests: shared/tools/check-examples against the installed CLI."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, str(SHARED / "tools" / "check-examples"),
                           f"{sys.executable} -m priorauth"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "30 of 30 expected decisions agree" in proc.stdout


@needs_shared
def test_json_output_contract():
    out = json.loads(run_cli("check", str(CASES / "noncancer-trial-complete.json"), "--format", "json",
                             check=True).stdout)
    assert out["case"] == "noncancer-trial-complete"
    assert {d["policy"] for d in out["determinations"]} == POLICY_IDS
    for d in out["determinations"]:
        assert d["decision"] in {"approve", "deny", "pend", "refer", "not_applicable"}
    # the example documents no line of business, so Medicare's NCD does not apply to it
    ncd = next(d for d in out["determinations"] if d["policy"] == "medicare-ncd-280-14")
    assert ncd["decision"] == "not_applicable" and "line_of_business not documented" in ncd["summary"]


@needs_shared
def test_text_view_shows_tree_citations_and_requests():
    out = run_cli("check", str(CASES / "noncancer-trial-missing-documents.json"), "-p", "caresource-ar-mm-1502",
                  "--explain", "full", check=True).stdout
    assert "✓" in out and "?" in out
    assert "CareSource D.IV.E" in out
    assert "Documentation to request:" in out
    assert "negative drug test result from within the last 3 months" in out


@needs_shared
def test_the_default_view_fits_a_screen_with_the_request_on_top_and_what_to_attach():
    out = run_cli("check", str(CASES / "noncancer-trial-missing-documents.json"), check=True,
                  env={"COLUMNS": "100"}).stdout
    lines = out.splitlines()
    assert len(lines) <= 60  # one screen for a typical case (five policies), where `full` is hundreds of lines
    assert lines[1] == "noncancer-trial-missing-documents" and lines[2].startswith("Request: trial · intrathecal")
    assert any(line.startswith("Member:  57 years on the date of service") for line in lines)  # values aligned
    assert "caresource-ar-mm-1502: pend: request documentation" in out
    assert "? CareSource D.IV.D.2: no drug screen between 2025-03-02 and 2025-06-02" in out
    assert "1. Provide a negative drug test result from within the last 3 months.  [CareSource" in out
    assert "To satisfy every policy above, attach:" in out
    assert "“" not in out  # no criteria tree, no quotes: those are --explain full
    full = run_cli("check", str(CASES / "noncancer-trial-missing-documents.json"), "--explain", "full",
                   check=True, env={"COLUMNS": "100"}).stdout
    assert len(full.splitlines()) > 3 * len(lines)


@needs_shared
def test_several_cases_give_json_lines_one_object_each():
    stdout = run_cli("check", str(CASES / "noncancer-trial-complete.json"),
                     str(CASES / "spasticity-baclofen-test-dose.json"), "-f", "json", "--explain", "summary",
                     check=True).stdout
    out = [json.loads(line) for line in stdout.splitlines()]  # each line is one whole object
    assert [r["case"] for r in out] == ["noncancer-trial-complete", "spasticity-baclofen-test-dose"]
    assert [r["source"] for r in out] == [str(CASES / "noncancer-trial-complete.json"),
                                          str(CASES / "spasticity-baclofen-test-dose.json")]
    assert "criteria" not in out[0]["determinations"][0]


@needs_shared
def test_bad_files_are_reported_every_one_and_the_good_ones_still_evaluated(tmp_path):
    good = tmp_path / "a-good.json"
    good.write_text((CASES / "noncancer-trial-complete.json").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "b-bad-date.json").write_text(json.dumps({"format": "priorauth-case/1", "id": "x",
                                                          "submitted": "2025-13-01"}), encoding="utf-8")
    (tmp_path / "c-not-json.json").write_text("{", encoding="utf-8")
    text = run_cli("check", str(tmp_path), "--explain", "summary", env={"COLUMNS": "160"})
    assert text.returncode == 2 and "Traceback" not in text.stderr
    assert "noncancer-trial-complete" in text.stdout  # the good case was evaluated
    assert "b-bad-date.json: submitted: not a date" in text.stderr and "c-not-json.json" in text.stderr
    assert "2 inputs could not be evaluated" in text.stderr
    js = run_cli("check", str(tmp_path), "-f", "json", "--explain", "summary")
    assert js.returncode == 2
    rows = [json.loads(line) for line in js.stdout.splitlines()]
    assert [r.get("case") for r in rows if "error" not in r] == ["noncancer-trial-complete"]
    errors = {Path(r["source"]).name: r["error"] for r in rows if "error" in r}
    assert set(errors) == {"b-bad-date.json", "c-not-json.json"}
    assert errors["b-bad-date.json"]["code"] == "invalid-case"
    one = run_cli("check", str(tmp_path / "c-not-json.json"), "-f", "json")
    assert one.returncode == 2 and json.loads(one.stdout)["error"]["code"] == "invalid-case"


def test_bad_case_exits_2_with_field_path_and_no_traceback(tmp_path):
    bad = tmp_path / "case.json"
    bad.write_text(json.dumps({"format": "priorauth-case/1", "id": "x", "submitted": "2024-13-01",
                               "request": {"kind": "trial", "indication": "noncancer_pain",
                                           "service_date": "2025-01-01"}}))
    proc = run_cli("check", str(bad))
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert f'{bad}: submitted: not a date: "2024-13-01"' in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_number_that_parses_to_infinity_exits_2_naming_the_field(tmp_path):
    bad = tmp_path / "case.json"
    bad.write_text('{"format": "priorauth-case/1", "id": "x", "submitted": "2025-01-01", "request": {"kind": "trial",'
                   ' "indication": "noncancer_pain", "service_date": "2025-01-02"},'
                   ' "clinical": {"trial_result": {"pain_reduction_percent": 60, "observation_days": 1e400}}}')
    proc = run_cli("check", str(bad))
    assert proc.returncode == 2 and proc.stdout == "" and "Traceback" not in proc.stderr
    assert f"{bad}: clinical.trial_result.observation_days: input should be a finite number" in proc.stderr


def test_usage_errors_exit_2(tmp_path):
    case = tmp_path / "case.json"
    case.write_text(json.dumps({"format": "priorauth-case/1", "id": "u", "submitted": "2025-06-02",
                                "request": {"kind": "trial", "indication": "noncancer_pain",
                                            "service_date": "2025-06-20"}}))
    assert run_cli("check", str(case), check=True).returncode == 0  # the case itself is fine
    proc = run_cli("check", "--as-of", "yesterday", str(case))
    assert proc.returncode == 2 and "--as-of: not a date (YYYY-MM-DD): 'yesterday'" in proc.stderr
    proc = run_cli("check", "nope.json")
    assert proc.returncode == 2 and "cannot read" in proc.stderr and "Traceback" not in proc.stderr
    assert run_cli("frobnicate").returncode == 2


@needs_shared
def test_unknown_policy_id_suggests():
    proc = run_cli("check", str(CASES / "noncancer-trial-complete.json"), "-p", "hcsc-sur707-08")
    assert proc.returncode == 2 and "did you mean hcsc-sur707-008" in proc.stderr


def test_a_payer_no_policy_belongs_to_is_that_case_s_error_and_the_others_are_evaluated(tmp_path):
    """The case model takes any payer slug; the loaded policy set says which exist (a sixth payer is a folder)."""
    good = tmp_path / "a.json"
    good.write_text(json.dumps({"format": "priorauth-case/1", "id": "a", "submitted": "2025-06-02",
                                "request": {"kind": "trial", "indication": "noncancer_pain",
                                            "service_date": "2025-06-20"}}))
    bad = tmp_path / "b.json"
    bad.write_text(json.dumps({**json.loads(good.read_text()), "id": "b", "member": {"payer": "caresourse"}}))
    proc = run_cli("check", str(good), str(bad), "--format", "json", "--explain", "summary")
    assert proc.returncode == 2
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r.get("case") for r in rows] == ["a", None]
    assert rows[1]["source"] == str(bad) and rows[1]["error"]["location"] == f"{bad}: member.payer"
    assert f"error [invalid-case]: {bad}: member.payer: no policy of payer 'caresourse'" in proc.stderr
    assert "did you mean caresource" in proc.stderr and "Traceback" not in proc.stderr


def test_schema_determination_is_published():
    schema = json.loads(run_cli("schema", "determination", check=True).stdout)
    assert schema["properties"]["format"] == {"const": "priorauth-determination/1"}
    assert {"id", "decision", "policy_version", "input_sha256", "knowledge"} <= set(schema["required"])


def test_schema_case_is_published():
    schema = json.loads(run_cli("schema", "case", check=True).stdout)
    assert schema["title"].startswith("priorauth case")
    assert {"format", "id", "submitted", "request"} <= set(schema["required"])


def test_policies_commands():
    assert "hcsc-sur707-008" in run_cli("policies", "list", check=True).stdout
    shown = run_cli("policies", "show", "hcsc-sur707-008", check=True).stdout
    assert "B.2-greater-than-50" in shown and "NOTE 2" in shown
    as_json = json.loads(run_cli("policies", "show", "uhc-2022t0626c", "-f", "json", check=True).stdout)
    assert as_json["id"] == "uhc-2022t0626c"


@needs_shared
def test_policies_lint_passes():
    proc = run_cli("policies", "lint", check=True)
    assert f"{len(load_policies().ids)} policy file(s), 0 error(s)" in proc.stdout


def test_help_explains_each_command():
    out = run_cli("--help", check=True).stdout
    for verb in ("check", "demo", "policies", "schema"):
        assert verb in out
    check_help = run_cli("check", "--help", check=True).stdout
    for option in ("--policy", "--as-of", "--format", "--explain"):
        assert option in check_help


def test_implausible_dates_are_input_errors(tmp_path):
    path = tmp_path / "ancient.json"
    path.write_text(json.dumps({"format": "priorauth-case/1", "id": "x", "submitted": "0001-01-15",
                                "request": {"kind": "trial", "indication": "noncancer_pain",
                                            "service_date": "2025-01-01"}}))
    proc = run_cli("check", str(path))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "submitted: date 0001-01-15 is outside 1900-01-01..2199-12-31" in proc.stderr


@needs_shared
def test_a_folder_stands_for_its_cases():
    stdout = run_cli("check", str(CASES), "-f", "json", "--explain", "summary", check=True).stdout
    out = [json.loads(line) for line in stdout.splitlines()]
    assert sorted(r["case"] for r in out) == sorted(p.stem for p in CASES.glob("*.json") if p.name != "expected.json")


@needs_shared
def test_safety_findings_stand_beside_the_decision_even_in_the_summary(tmp_path):
    doc = json.loads((CASES / "noncancer-trial-complete.json").read_text(encoding="utf-8"))
    doc["request"]["drugs"][0]["daily_dose"] = {"value": 40, "unit": "mg"}  # morphine's maximum is 15 mg/day
    path = tmp_path / "overdose.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    out = run_cli("check", str(path), "--explain", "summary", check=True, env={"COLUMNS": "160"}).stdout
    assert out.count("‼ 1 safety") == len(POLICY_IDS)  # beside every policy's decision, approvals included
    assert "safety findings for the reviewer" in out
    assert out.count("morphine 40 mg/day exceeds the maximum recommended daily dose 15 mg") == 1  # listed once
    plain = run_cli("check", str(CASES / "noncancer-trial-complete.json"), "--explain", "summary", check=True).stdout
    assert "safety" not in plain


@needs_shared
def test_fail_on_sets_the_exit_status_for_scripts():
    pend = str(CASES / "noncancer-trial-missing-documents.json")
    assert run_cli("check", pend, "--explain", "summary").returncode == 0  # the default: a result, not a failure
    assert run_cli("check", pend, "--explain", "summary", "--fail-on", "deny,pend").returncode == 1
    assert run_cli("check", pend, "-f", "json", "--fail-on", "pend").returncode == 1
    assert run_cli("check", pend, "--explain", "summary", "--fail-on", "deny,refer").returncode == 0  # none
    bad = run_cli("check", pend, "--fail-on", "denny")
    assert bad.returncode == 2 and "did you mean deny?" in bad.stderr and "Traceback" not in bad.stderr


@needs_shared
def test_demo_names_each_decision_that_disagrees(tmp_path):
    (tmp_path / "one.json").write_text((CASES / "noncancer-trial-complete.json").read_text(encoding="utf-8"),
                                       encoding="utf-8")
    case_id = json.loads((tmp_path / "one.json").read_text(encoding="utf-8"))["id"]
    (tmp_path / "expected.json").write_text(json.dumps({case_id: {"hcsc-sur707-008": "deny",
                                                                  "uhc-2022t0626c": "approve"}}), encoding="utf-8")
    proc = run_cli("demo", str(tmp_path), env={"COLUMNS": "160"})
    assert proc.returncode == 1
    assert "1 of 2 decisions agree" in proc.stdout
    assert f"{case_id} · hcsc-sur707-008: approve, expected deny" in proc.stdout
    assert "uhc-2022t0626c: approve, expected" not in proc.stdout


@needs_shared
def test_an_output_that_is_not_utf8_gets_no_traceback():
    case = str(CASES / "noncancer-trial-missing-documents.json")
    text = run_cli("check", case, env={"PYTHONIOENCODING": "ascii"})
    assert text.returncode == 0 and "Traceback" not in text.stderr and "caresource-ar-mm-1502" in text.stdout
    js = subprocess.run([sys.executable, "-m", "priorauth", "check", case, "-f", "json"], capture_output=True,
                        timeout=120, env={**os.environ, "PYTHONIOENCODING": "cp1252"})
    assert js.returncode == 0 and b"Traceback" not in js.stderr
    assert json.loads(js.stdout.decode("utf-8"))["case"] == "noncancer-trial-missing-documents"  # JSON is UTF-8


@needs_shared
def test_conventions_short_help_a_payer_key_for_policy_closed_formats_and_completion():
    case = str(CASES / "noncancer-trial-complete.json")
    assert "priorauth check [OPTIONS]" in run_cli("check", "-h", check=True).stdout
    assert "priorauth policies show [OPTIONS]" in run_cli("policies", "show", "-h", check=True).stdout
    assert "--install-completion" in run_cli("-h", check=True).stdout
    one = json.loads(run_cli("check", case, "-p", "hcsc", "-f", "json", "--explain", "summary", check=True).stdout)
    assert [d["policy"] for d in one["determinations"]] == ["hcsc-sur707-008"]
    near = run_cli("check", case, "-p", "hcs")
    assert near.returncode == 2 and "did you mean hcsc" in near.stderr
    for args in (["policies", "show", "hcsc-sur707-008", "-f", "yaml"], ["codes", "lookup", "G89.4", "-f", "xml"]):
        bad = run_cli(*args)
        assert bad.returncode == 2 and "is not one of" in bad.stderr and "Traceback" not in bad.stderr


def test_dates_that_contradict_each_other_are_named_and_a_far_future_one_is_warned(tmp_path):
    doc = {"format": "priorauth-case/1", "id": "typo", "submitted": "2031-05-02",
           "member": {"birth_date": "2032-01-01"},
           "request": {"kind": "trial", "indication": "noncancer_pain", "service_date": "2025-06-20"}}
    path = tmp_path / "typo.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    proc = run_cli("check", str(path), "-f", "json", "--explain", "summary")
    assert proc.returncode == 0
    assert f"warning: {path}: submitted 2031-05-02 is more than a year after today" in proc.stderr
    messages = {f["message"] for d in json.loads(proc.stdout)["determinations"] for f in d["findings"]
                if f["kind"] == "date"}
    assert "request.service_date 2025-06-20 is before submitted 2031-05-02: a prior authorization precedes the " \
           "service; check both dates." in messages
    assert "member.birth_date 2032-01-01 is after request.service_date 2025-06-20." in messages


def test_case_new_writes_a_valid_template_of_what_the_policies_read_and_validate_checks_without_evaluating(
        tmp_path):
    path = tmp_path / "new.yaml"
    run_cli("case", "new", "--kind", "implant", "--indication", "spasticity", "-o", str(path), check=True)
    text = path.read_text(encoding="utf-8")
    assert "kind: implant" in text and "indication: spasticity" in text
    assert "  spasticity:\n" in text and "test_dose_response: null  # favorable | unfavorable" in text
    assert "treatments: []  # each: {type: physical_therapy" in text
    assert run_cli("case", "new", "-o", str(path)).returncode == 2  # never overwritten
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "priorauth-case/1", "id": "b", "submitted": "2025-06-02",
                               "request": {"kind": "trial", "indication": "noncancer_pain",
                                           "service_date": "2025-06-20", "drugs": [{"name": "morfine"}]}}))
    proc = run_cli("case", "validate", str(path), str(bad))
    assert proc.returncode == 2
    assert f"ok: {path} (case CHANGE-ME)" in proc.stdout
    assert "request.drugs[0].name: unknown drug 'morfine' (did you mean morphine?)" in proc.stderr
    assert run_cli("case", "validate", str(path), check=True).returncode == 0
    cancer = run_cli("case", "new", "--kind", "trial", "--indication", "cancer_pain", check=True).stdout
    assert "life_expectancy_months: null" in cancer and "spasticity:" not in cancer


@needs_shared
def test_a_refill_no_policy_has_criteria_for_says_once_what_the_reviewer_will_need(tmp_path):
    doc = json.loads((CASES / "noncancer-trial-complete.json").read_text(encoding="utf-8"))
    doc["request"]["kind"] = "refill"
    path = tmp_path / "refill.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    out = " ".join(run_cli("check", str(path), check=True, env={"COLUMNS": "140"}).stdout.split())
    assert out.count("the reviewer will need:") == 1
    assert out.count("The date of the last refill and the reservoir volume") == 1
    assert out.count("states no criteria for a refill request") == 5  # once per referring policy, not three
    js = json.loads(run_cli("check", str(path), "-f", "json", "--explain", "summary", check=True).stdout)
    refer = [d for d in js["determinations"] if d["decision"] == "refer"]
    assert refer and all(any(i["id"].startswith("reviewer-needs-") for i in d["documentation_checklist"])
                         for d in refer)
    full = " ".join(run_cli("check", str(path), "--explain", "full", check=True, env={"COLUMNS": "300"}).stdout.split())
    assert full.count("states no criteria for a refill request") == 10  # the table and each policy's header


def test_the_view_shows_symbols_for_a_quote_written_in_latex_and_the_record_keeps_it_verbatim():
    from priorauth.cli.render import plain

    quote = r"Documentation of a $\geq 50\%$ reduction in pain during trial"  # UHC 2022T0626C, as its source has it
    assert plain(quote) == "Documentation of a ≥ 50% reduction in pain during trial"
    assert plain("no $ sign here, 50%") == "no $ sign here, 50%"


def test_help_is_wrapped_to_the_terminal_and_flags_show_no_type():
    from priorauth.cli.helptext import reflow

    for columns in (80, 140):
        out = run_cli("check", "--help", check=True, env={"COLUMNS": str(columns)}).stdout
        assert "<bool>" not in out and "--no-notes" in out
        lines = out.splitlines()
        start = next(i for i, line in enumerate(lines) if line.startswith(" Decisions:"))
        para = lines[start:lines.index("", start)]
        assert len(para) > 2 and all(len(line) > columns - 20 for line in para[:-1]), para  # no break mid-way
    assert reflow("One\ntwo.\n\nA list:\n- a\n- b") == "One two.\n\nA list:\n- a\n- b"
    assert reflow("\b\nkept\nas is") == "\b\nkept\nas is"


@needs_shared
def test_the_summary_at_80_columns_heads_each_case_with_its_whole_id(tmp_path):
    names = ["noncancer-trial-missing-documents", "noncancer-trial-complete"]
    for name in names:
        (tmp_path / f"{name}.json").write_text((CASES / f"{name}.json").read_text(encoding="utf-8"), encoding="utf-8")
    narrow = run_cli("check", str(tmp_path), "--explain", "summary", check=True, env={"COLUMNS": "80"}).stdout
    lines = narrow.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert [line for line in lines if line in names] == sorted(names)  # a heading per case, never folded
    assert all(word in narrow for word in ("caresource-ar-mm-1502", "approve", "pend"))
    wide = run_cli("check", str(tmp_path), "--explain", "summary", check=True, env={"COLUMNS": "160"}).stdout
    assert "┃ case" in wide and all(f"│ {name}" in wide for name in names)  # wide enough: one table, a case column
