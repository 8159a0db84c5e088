"""`priorauth impact`: a policy revision (HCSC's trial threshold raised from "greater than 50%" to greater than
60%) against cases whose changes are known in advance, in Markdown and HTML, with the changed rows in Parquet."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import yaml

from conftest import REPO, run_cli

HCSC = REPO / "src/priorauth/policies/hcsc/sur707-008"
BASE = HCSC / "cases/noncancer-implant-approve-51-percent.yaml"


def _candidate(tmp: Path) -> Path:
    folder = tmp / "candidate/hcsc/sur707-008"
    folder.mkdir(parents=True)
    text = (HCSC / "policy.yaml").read_text(encoding="utf-8")
    assert text.count("test: {fact: clinical.trial_result.pain_reduction, gt: 50}") == 1
    text = text.replace("test: {fact: clinical.trial_result.pain_reduction, gt: 50}",
                        "test: {fact: clinical.trial_result.pain_reduction, gt: 60}")
    text = text.replace('version: "2025-02-01"', 'version: "2027-01-01"').replace("effective: 2025-02-01",
                                                                                  "effective: 2027-01-01")
    assert text.count("\nend: 2025-12-31\n") == 1
    text = text.replace("\nend: 2025-12-31\n", "\n")  # the revision has no end date yet
    (folder / "policy.yaml").write_text(text, encoding="utf-8")
    return tmp / "candidate"


def _cases(tmp: Path) -> tuple[Path, set[str]]:
    doc = yaml.safe_load(BASE.read_text(encoding="utf-8"))
    lines = []
    for percent in (45, 51, 55, 60, 61, 80, None):
        case = json.loads(json.dumps(doc, default=str))
        case["id"] = f"trial-{percent}"
        if percent is None:
            del case["clinical"]["trial_result"]["pain_reduction_percent"]
        else:
            case["clinical"]["trial_result"]["pain_reduction_percent"] = percent
        lines.append(json.dumps(case))
    lines.append("{not json")
    path = tmp / "cases.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # greater than 50 but not greater than 60: approved before, denied after; the rest keep their decision
    return path, {"trial-51", "trial-55", "trial-60"}


def test_a_revision_flips_exactly_the_cases_it_should_and_names_the_criterion(tmp_path):
    cases, flipped = _cases(tmp_path)
    report = tmp_path / "impact.md"
    proc = run_cli("impact", str(cases), "--candidate", str(_candidate(tmp_path)), "--out", str(report),
                   "--workers", "1")
    assert proc.returncode == 1, proc.stderr  # the unreadable line
    changed = pq.read_table(tmp_path / "impact.changes.parquet").to_pylist()
    assert {r["case"] for r in changed} == flipped
    assert all((r["policy"], r["from"], r["to"]) == ("hcsc-sur707-008", "approve", "deny") for r in changed)
    assert all(r["criteria"] == ["B.2-greater-than-50"] for r in changed)
    assert {r["baseline_version"] for r in changed} == {"2025-02-01"}
    assert {r["candidate_version"] for r in changed} == {"2027-01-01"}
    text = report.read_text(encoding="utf-8")
    assert "| approve → deny | 3 |" in text
    assert "| hcsc-sur707-008 | B.2-greater-than-50 | approve → deny | 3 | trial-51, trial-55, trial-60 |" in text
    assert "8 cases, 7 determinations compared, 3 changed, 1 could not be read or decided" in text
    assert "cases.jsonl:8" in text  # the bad line, named


def test_html_report_charts_the_changes_and_workers_agree(tmp_path):
    cases, _ = _cases(tmp_path)
    candidate = _candidate(tmp_path)
    one, two = tmp_path / "one.html", tmp_path / "two.html"
    assert run_cli("impact", str(cases), "--candidate", str(candidate), "--out", str(one), "-w", "1").returncode == 1
    assert run_cli("impact", str(cases), "--candidate", str(candidate), "--out", str(two), "-w", "2").returncode == 1
    html = one.read_text(encoding="utf-8")
    assert "<svg" in html and "approve → deny" in html and ">3</text>" in html
    assert html.replace("one.changes", "two.changes") == two.read_text(encoding="utf-8")


def test_the_version_in_force_against_itself_changes_nothing(tmp_path):
    cases, _ = _cases(tmp_path)
    report = tmp_path / "same.md"
    proc = run_cli("impact", str(cases), "--candidate", "hcsc-sur707-008@2025-02-01", "--out", str(report))
    assert proc.returncode == 1, proc.stderr
    assert "No decision changes." in report.read_text(encoding="utf-8")
    assert pq.read_table(tmp_path / "same.changes.parquet").num_rows == 0


def test_a_pinned_baseline_keeps_the_other_payers_known(tmp_path):
    """`--baseline ID@VERSION` pins that version and keeps the rest of the library: a case of another payer is
    still read (no error row), and HCSC's revision flips the same three cases."""
    cases, flipped = _cases(tmp_path)
    other = json.loads(cases.read_text().splitlines()[0])
    other.update(id="other-payer", member={**other["member"], "payer": "caresource"})
    cases.write_text(cases.read_text().replace("{not json\n", json.dumps(other) + "\n"), encoding="utf-8")
    report = tmp_path / "pinned.md"
    proc = run_cli("impact", str(cases), "--baseline", "hcsc-sur707-008@2025-02-01", "--candidate",
                   str(_candidate(tmp_path)), "--out", str(report))
    assert proc.returncode == 0, proc.stderr
    assert {r["case"] for r in pq.read_table(tmp_path / "pinned.changes.parquet").to_pylist()} == flipped


def test_usage_errors(tmp_path):
    cases, _ = _cases(tmp_path)
    proc = run_cli("impact", str(cases), "--candidate", "hcsc-sur707-008@1999", "--out", str(tmp_path / "r.md"))
    assert proc.returncode == 2 and "no version '1999'" in proc.stderr and "2025-02-01" in proc.stderr
    proc = run_cli("impact", str(cases), "--candidate", str(tmp_path / "nowhere"), "--out", str(tmp_path / "r.md"))
    assert proc.returncode == 2 and "neither a folder" in proc.stderr
    proc = run_cli("impact", str(cases), "--candidate", str(_candidate(tmp_path)), "--out", str(tmp_path / "r.pdf"))
    assert proc.returncode == 2 and "Markdown" in proc.stderr
    assert not list(tmp_path.glob("r.*"))
    shutil.rmtree(tmp_path / "candidate")
