"""`priorauth batch`: rows per case and policy, the same decisions as `check`, bad cases as rows, in input order
with any number of workers."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from conftest import CASES, needs_shared, run_cli


def _rows(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@needs_shared
def test_a_folder_gives_the_decisions_check_gives(tmp_path):
    out = tmp_path / "rows.jsonl"
    proc = run_cli("batch", str(CASES), "--out", str(out), "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    rows = _rows(out)
    checked = [json.loads(line) for line in  # JSON Lines: one object per case
               run_cli("check", str(CASES), "--format", "json", "--explain", "summary", check=True).stdout.splitlines()]
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
    typo = json.loads(good)
    typo["id"], typo["request"]["drugs"] = "bad-drug", [{"name": "morfine"}]
    source.write_text("\n".join([good, '{"format": "priorauth-case/1", "id": "bad-date", "submitted": "2025-13-01"}',
                                 "not json", "", good.replace("ok-1", "ok-2"), json.dumps(typo)]) + "\n",
                      encoding="utf-8")
    out = tmp_path / "rows.jsonl"
    proc = run_cli("batch", str(source), "--out", str(out))  # the default: a worker process per core
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    rows = _rows(out)
    errors = [r for r in rows if r["error"]]
    assert [(r["source"].rsplit(":", 1)[1], r["case"]) for r in errors] == [("2", "bad-date"), ("3", None),
                                                                             ("6", "bad-drug")]
    assert "submitted" in errors[0]["error"]
    assert "request.drugs[0].name: unknown drug 'morfine' (did you mean morphine?)" in errors[2]["error"]
    assert {r["case"] for r in rows if not r["error"]} == {"ok-1", "ok-2"}
    assert "3 failed" in proc.stderr


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
    proc = run_cli("batch", str(tmp_path / "in.jsonl"), "--out", str(tmp_path / "rows.csv"))
    assert proc.returncode == 2 and "--out" in proc.stderr and "Parquet" in proc.stderr
    proc = run_cli("batch", str(tmp_path / "in.jsonl"), "--out", str(out), "--dask", "tcp://127.0.0.1:9")
    assert proc.returncode == 2 and "no Dask scheduler" in proc.stderr
    pq.write_table(pa.table({"body": ["{}"]}), tmp_path / "in.parquet")
    proc = run_cli("batch", str(tmp_path / "in.parquet"), "--out", str(out))
    assert proc.returncode == 2 and "'case' column" in proc.stderr and "body" in proc.stderr
    assert not list(tmp_path.glob("rows.*"))


def _case_lines() -> list[str]:
    return [json.dumps(json.loads(p.read_text())) for p in sorted(CASES.glob("*.json")) if p.name != "expected.json"]


@needs_shared
def test_parquet_in_and_out_hold_the_rows_jsonl_holds(tmp_path):
    texts = _case_lines() + ["not json"]
    pq.write_table(pa.table({"case": texts}), tmp_path / "in.parquet", row_group_size=3)  # several row groups
    (tmp_path / "in.jsonl").write_text("\n".join(texts) + "\n", encoding="utf-8")
    assert run_cli("batch", str(tmp_path / "in.jsonl"), "--out", str(tmp_path / "rows.jsonl"), "-w", "1",
                   "--explain", "fails").returncode == 1  # the bad line
    proc = run_cli("batch", str(tmp_path / "in.parquet"), "--out", str(tmp_path / "rows.parquet"), "-w", "1",
                   "--explain", "fails")
    assert proc.returncode == 1, proc.stderr
    table = pq.read_table(tmp_path / "rows.parquet")
    assert table.schema.field("not_met").type == pa.list_(pa.string())
    got = table.to_pylist()
    want = _rows(tmp_path / "rows.jsonl")
    assert len(got) == len(want) > len(texts)
    for g, w in zip(got, want, strict=True):
        assert g["source"].rsplit(":", 1)[1] == w["source"].rsplit(":", 1)[1]  # the row (or line) number
        assert (g["case"], g["policy"], g["decision"], g["not_met"], g["unknown"], g["error"]) == \
            (w["case"], w["policy"], w["decision"], w["not_met"], w["unknown"], w["error"])
        assert dict(g["findings"]) == w["findings"]
        assert (json.loads(g["determination"]) if g["determination"] else None) == w["determination"]
    assert got[-1]["error"] and got[-1]["source"].endswith(f":{len(texts)}")


@needs_shared
def test_a_dask_cluster_gives_the_rows_local_workers_give(tmp_path):
    from distributed import LocalCluster

    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(_case_lines() * 8) + "\n", encoding="utf-8")
    local, dask = tmp_path / "local.jsonl", tmp_path / "dask.jsonl"
    assert run_cli("batch", str(source), "--out", str(local), "--workers", "1").returncode == 0
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        # small tasks here, so both workers get several and the order of their results must be put back
        proc = run_cli("batch", str(source), "--out", str(dask), "--dask", cluster.scheduler_address, "--chunk", "5")
        assert proc.returncode == 0, proc.stderr
        assert "evaluate_chunk" in cluster.scheduler.task_prefixes  # the cases ran as tasks of this cluster
    assert dask.read_bytes() == local.read_bytes()


def test_a_repeated_key_an_alias_bomb_and_a_bad_yaml_file_are_rows_naming_the_problem(tmp_path):
    from test_case_loader import BOMB

    folder = tmp_path / "cases"
    folder.mkdir()
    good = {"format": "priorauth-case/1", "id": "ok-1", "submitted": "2025-01-02",
            "request": {"kind": "trial", "indication": "noncancer_pain", "service_date": "2025-01-10"}}
    (folder / "a.json").write_text(json.dumps(good).replace('"id"', '"id": "twice", "id"'), encoding="utf-8")
    (folder / "b.yaml").write_text(BOMB, encoding="utf-8")
    (folder / "c.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    (folder / "d.json").write_text(json.dumps(good), encoding="utf-8")
    out = tmp_path / "rows.jsonl"
    proc = run_cli("batch", str(folder), "--out", str(out), "--workers", "1")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    errors = {Path(r["source"]).name: r["error"] for r in _rows(out) if r["error"]}
    assert errors["a.json"] == "id: given twice in one object (the later value would silently replace the earlier: " \
                               "keep one)"
    assert "aliases (*name) expand to more than" in errors["b.yaml"]
    assert errors["c.yaml"].startswith("not valid YAML (line 2)")
    assert set(errors) == {"a.json", "b.yaml", "c.yaml"}
