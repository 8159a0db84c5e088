"""Crash consistency: the server process is SIGKILLed in the middle of submissions, cycle after cycle.

Afterwards every acknowledged submission (201) and re-evaluation (200) is present and whole, no case is
half-written (each revision has its body, its determinations and its audit event), a submission retried
with its Idempotency-Key after a crash exists exactly once, and the audit chain verifies.

PRIORAUTH_CRASH_CYCLES=200 runs more cycles (a soak run; the default is 20 per backend).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
from sqlalchemy import select

from priorauth.service.audit.chain import verify
from priorauth.service.store import models as m
from priorauth.service.store.db import make_engine

from .helpers import POLICY_COUNT, REPO, add_user, case_doc, free_port

CYCLES = int(os.environ.get("PRIORAUTH_CRASH_CYCLES", "20"))
WORKERS = 4
POLICIES = POLICY_COUNT  # no payer in the documents: every policy is evaluated


class Zygote:
    def __init__(self, url: str):
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("zygote.py")), url], cwd=REPO,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def spawn(self) -> tuple[int, str]:
        for _ in range(3):
            port = free_port()
            self.proc.stdin.write(f"spawn {port}\n")
            self.proc.stdin.flush()
            pid = int(self.proc.stdout.readline())
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        return pid, base
                except httpx.HTTPError:
                    time.sleep(0.02)
            kill(pid)
        raise RuntimeError("the forked server did not come up")

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(10)


def kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    for _ in range(500):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.01)


class Load:
    """Client threads submitting keyed cases and updating acknowledged ones until the server dies."""

    def __init__(self, token: str):
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.acked: dict[str, tuple[str, str]] = {}  # case id -> (ref, body sha256)
        self.acked_docs: dict[str, int] = {}  # case id -> highest acknowledged revision
        self.pending: list[tuple[str, bytes]] = []  # (key, body) whose answer was lost: retry next cycle
        self.lock = threading.Lock()
        self.seq = self.lost = 0

    def _next(self) -> tuple[str, bytes]:
        with self.lock:
            if self.pending:
                return self.pending.pop()
            self.seq += 1
            ref = f"crash-{self.seq}"
        return ref, json.dumps(case_doc(ref)).encode()

    def worker(self, base: str, rng: random.Random) -> None:
        with httpx.Client(timeout=10) as client:
            while True:
                if self.acked and rng.random() < 0.25:
                    if not self._update(client, base, rng):
                        return
                    continue
                key, body = self._next()
                try:
                    r = client.post(base + "/v1/cases", content=body,
                                    headers={**self.headers, "Idempotency-Key": key})
                except httpx.TransportError:
                    with self.lock:
                        self.pending.append((key, body))
                        self.lost += 1
                    return
                assert r.status_code == 201, r.text
                with self.lock:
                    self.acked[r.json()["id"]] = (key, hashlib.sha256(body).hexdigest())

    def _update(self, client: httpx.Client, base: str, rng: random.Random) -> bool:
        with self.lock:
            case_id = rng.choice(list(self.acked))
        ref = self.acked[case_id][0]
        doc = case_doc(ref, clinical={"drug_screens": [{"date": "2025-05-20", "result": "negative"}]})
        try:
            r = client.post(f"{base}/v1/cases/{case_id}/documents", json=doc, headers=self.headers)
        except httpx.TransportError:
            return False
        assert r.status_code in (200, 409), r.text
        if r.status_code == 200:
            with self.lock:
                self.acked_docs[case_id] = max(self.acked_docs.get(case_id, 0), r.json()["revision"])
        return True


def test_sigkill_during_submissions_loses_nothing_acknowledged(database):
    token = add_user(database, "crash-writer", "submitter", "clinic-a")
    load, rng = Load(token), random.Random(20250601)
    zygote = Zygote(database)
    try:
        for _cycle in range(CYCLES):
            pid, base = zygote.spawn()
            threads = [threading.Thread(target=load.worker, args=(base, random.Random(rng.random())))
                       for _ in range(WORKERS)]
            before = len(load.acked)
            for t in threads:
                t.start()
            # the kill comes at a random moment once this server has acknowledged something (a slow first
            # request on a loaded machine must not make a cycle that tests nothing)
            deadline = time.monotonic() + 10
            while len(load.acked) == before and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(rng.uniform(0.05, 0.35))
            kill(pid)  # SIGKILL, with requests in flight
            for t in threads:
                t.join(30)
        pid, base = zygote.spawn()  # the last retries, on a restarted server
        for key, body in list(load.pending):
            r = httpx.post(base + "/v1/cases", content=body, headers={**load.headers, "Idempotency-Key": key})
            assert r.status_code == 201
            load.acked[r.json()["id"]] = (key, hashlib.sha256(body).hexdigest())
        kill(pid)
    finally:
        zygote.close()
    assert len(load.acked) >= CYCLES and load.acked_docs, "the load did not get going"
    print(f"\n{CYCLES} cycles: {len(load.acked)} acknowledged submissions ({load.lost} answers lost to a kill, "
          f"retried), {len(load.acked_docs)} cases updated")
    assert load.lost > 0, "no kill landed on a request in flight"
    check_store(database, load)


def check_store(url: str, load: Load) -> None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            cases = {r.id: r for r in conn.execute(select(m.cases))}
            revisions = {(r.case_id, r.revision): r.body_sha256
                         for r in conn.execute(select(m.case_revisions.c.case_id, m.case_revisions.c.revision,
                                                      m.case_revisions.c.body_sha256))}
            dets = Counter((d.case_id, d.revision) for d in conn.execute(
                select(m.determinations.c.case_id, m.determinations.c.revision)))
            logged = {(e.case_id, json.loads(e.details).get("revision")) for e in conn.execute(
                select(m.audit_events.c.case_id, m.audit_events.c.details)
                .where(m.audit_events.c.action.in_(["case.create", "case.reevaluate"])))}
        for case_id, (_ref, sha) in load.acked.items():  # every acknowledged submission, whole
            assert case_id in cases, f"acknowledged case {case_id} is missing"
            assert revisions[(case_id, 1)] == sha
        for case_id, revision in load.acked_docs.items():
            assert cases[case_id].revision >= revision and (case_id, revision) in revisions
        for case_id, row in cases.items():  # nothing half-written, acknowledged or not
            assert row.version == row.revision
            for n in range(1, row.revision + 1):
                assert (case_id, n) in revisions and dets[(case_id, n)] == POLICIES and (case_id, n) in logged
        assert len(revisions) == sum(r.revision for r in cases.values()) and sum(dets.values()) == POLICIES * len(
            revisions)
        refs = Counter(row.ref for row in cases.values())
        assert max(refs.values()) == 1, "a retried Idempotency-Key made a second case"
        result = verify(engine)
        assert result.ok, result.problems
    finally:
        engine.dispose()
