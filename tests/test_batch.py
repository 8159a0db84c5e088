"""`priorauth batch`: rows per case and policy, the same decisions as `check`, bad cases as rows, in input order
with any number of workers."""

from __future__ import annotations

import json

from conftest import CASES, needs_shared, run_cli


def _rows(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@needs_shared
def test_a_folder_gives_the_decisions_check_gives(tmp_path):
    out = tmp_path / "rows.jsonl"
    proc = run_cli("batch", str(CASES), "--out", str(out), "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    rows = _rows(out)
    checked = json.loads(run_cli("check", str(CASES), "--format", "json", "--explain", "summary", check=True).stdout)
    want = {(r["case"], d["policy"]): d["decision"] for r in checked for d in r["determinations"]}
    assert {(r["case"], r["policy"]): r["decision"] for r in rows} == want
    assert all(r["error"] is None for r in rows)
    decided = [r for r in rows if r["decision"] != "not_applicable"]
    assert decided and all(r["version"] and len(r["policy_sha256"]) == 64 for r in decided)
    assert all(set(r) >= {"source", "not_met", "unknown", "findings", "determination"} for r in rows)


def test_bad_cases_are_rows_with_their_error_and_the_run_goes_on(tmp_path):
    good = json.dumps({"format": "priorauth-case/1", "id": "ok-1", "submitted": "2025-01-02",
                       "request": {"kind": "trial", "indication": "noncancer_pain", "service_date": "2025-01-10"}})
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join([good, '{"format": "priorauth-case/1", "id": "bad-date", "submitted": "2025-13-01"}',
                                 "not json", "", good.replace("ok-1", "ok-2")]) + "\n", encoding="utf-8")
    out = tmp_path / "rows.jsonl"
    proc = run_cli("batch", str(source), "--out", str(out), "--workers", "1")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    rows = _rows(out)
    errors = [r for r in rows if r["error"]]
    assert [(r["source"].rsplit(":", 1)[1], r["case"]) for r in errors] == [("2", "bad-date"), ("3", None)]
    assert "submitted" in errors[0]["error"]
    assert {r["case"] for r in rows if not r["error"]} == {"ok-1", "ok-2"}
    assert "2 failed" in proc.stderr


@needs_shared
def test_workers_give_the_same_rows_in_the_same_order(tmp_path):
    lines = [json.dumps(json.loads(p.read_text())) for p in sorted(CASES.glob("*.json"))
             if p.name != "expected.json"]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines * 20) + "\n", encoding="utf-8")  # several chunks
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    assert run_cli("batch", str(source), "--out", str(one), "--workers", "1").returncode == 0
    assert run_cli("batch", str(source), "--out", str(two), "--workers", "2").returncode == 0
    assert one.read_bytes() == two.read_bytes()


def test_usage_errors_write_nothing(tmp_path):
    out = tmp_path / "rows.jsonl"
    assert run_cli("batch", str(tmp_path / "missing.jsonl"), "--out", str(out)).returncode == 2
    (tmp_path / "in.jsonl").write_text("{}\n")
    proc = run_cli("batch", str(tmp_path / "in.jsonl"), "--out", str(tmp_path / "rows.parquet"))
    assert proc.returncode == 2 and "Parquet" in proc.stderr
    assert not out.exists() and not (tmp_path / "rows.parquet").exists()
