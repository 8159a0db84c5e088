"""`priorauth batch` reading the service's store: each case's current revision, every page, decided as the
service decided it."""

from __future__ import annotations

import json

from priorauth.service.auth.users import add_user
from priorauth.service.http.body import parse_case
from priorauth.service.store import export
from priorauth.service.workflow import cases
from priorauth.service.workflow.state import Store

from .helpers import case_doc, cli, denied_case


def test_the_store_is_read_a_page_at_a_time_at_each_case_current_revision(database, tmp_path, monkeypatch):
    store = Store.open(database)
    try:
        sub, _ = add_user(store.engine, "clinic", "submitter", "clinic-a")
        ids = []
        for i in range(5):
            body = json.dumps(denied_case(f"store-{i}") if i % 2 else case_doc(f"store-{i}")).encode()
            ids.append(json.loads(cases.submit(store, sub, body, parse_case(body), None)[1])["id"])
        body = json.dumps(case_doc("store-0")).encode()  # a second revision of the first case
        cases.add_documents(store, sub, ids[0], body, parse_case(body), None)
        stored = {(d["case"], d["policy"]): d["decision"] for cid in ids
                  for d in [{**x, "case": cid} for x in cases.read(store, sub, cid)["determinations"]]}
    finally:
        store.close()
    monkeypatch.setattr(export, "PAGE", 2)  # three pages for five cases
    read = list(export.current_cases(database))
    assert [s for s, _ in read] == sorted(f"db:{cid}@r{2 if cid == ids[0] else 1}" for cid in ids)
    out = tmp_path / "rows.jsonl"
    proc = cli("batch", database, "--out", str(out), "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    by_source = {r["source"].split("@")[0][3:]: r["case"] for r in rows}
    assert set(by_source) == set(ids)
    got = {(r["source"].split("@")[0][3:], r["policy"]): r["decision"] for r in rows}
    assert got == stored


def test_a_missing_store_is_a_usage_error_and_is_not_created(tmp_path):
    url = f"sqlite:///{tmp_path / 'none.db'}"
    proc = cli("batch", url, "--out", str(tmp_path / "rows.jsonl"))
    assert proc.returncode == 2 and "no such database file" in proc.stderr
    assert not (tmp_path / "none.db").exists() and not (tmp_path / "rows.jsonl").exists()
