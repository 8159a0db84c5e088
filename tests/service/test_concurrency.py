"""Concurrency: 50 parallel submissions, and 50 parallel reviews and updates on one set of cases.

Updates are optimistic (version column): a request that lost the race gets 409 and retries; in the end
every update is there exactly once (version = 1 + updates, one revision per update, one review per
policy) and the audit chain verifies.
"""

from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from priorauth.service.audit.chain import verify
from priorauth.service.store.db import make_engine

from .helpers import POLICY_COUNT, case_doc

PARALLEL = 50


def _client_post(api, path: str, who: str, body: dict, headers: dict | None = None) -> httpx.Response:
    with httpx.Client(timeout=60) as client:
        return client.post(api.server.base + path, json=body, headers={**api.auth(who), **(headers or {})})


def test_50_parallel_submissions(api):
    docs = [case_doc(f"par-{i}") for i in range(PARALLEL)]
    with ThreadPoolExecutor(PARALLEL) as pool:
        responses = list(pool.map(lambda d: _client_post(api, "/v1/cases", "clinic_a", d), docs))
    assert [r.status_code for r in responses] == [201] * PARALLEL
    ids = {r.json()["id"] for r in responses}
    assert len(ids) == PARALLEL
    for r, doc in zip(responses, docs, strict=True):
        view = api.request("GET", f"/v1/cases/{r.json()['id']}", "reviewer").json()
        assert view["case"] == doc["id"] and len(view["determinations"]) == POLICY_COUNT


def test_50_parallel_retries_of_one_idempotency_key_make_one_case(api):
    key = {"Idempotency-Key": "same-key-for-everyone"}
    with ThreadPoolExecutor(PARALLEL) as pool:
        responses = list(pool.map(lambda _: _client_post(api, "/v1/cases", "clinic_a", case_doc("par-idem"), key),
                                  range(PARALLEL)))
    assert {r.status_code for r in responses} == {201}
    assert len({r.text for r in responses}) == 1
    listed = api.request("GET", "/v1/cases?per_page=100", "clinic_a").json()["items"]
    assert sum(c["case"] == "par-idem" for c in listed) == 1


def _until_done(api, path: str, who: str, body: dict, rng: random.Random) -> tuple[int, int]:
    """POST until it is not a version conflict: (final status, conflicts seen)."""
    conflicts = 0
    with httpx.Client(timeout=60) as client:
        for _ in range(200):
            r = client.post(api.server.base + path, json=body, headers=api.auth(who))
            if r.status_code != 409 or r.json()["code"] != "conflict":
                return r.status_code, conflicts
            conflicts += 1
            time.sleep(rng.uniform(0, 0.02))
    raise AssertionError(f"{path}: still conflicting after 200 tries")


def test_50_parallel_reviews_and_updates_lose_nothing(api):
    cases = [api.submit(case_doc(f"race-{i}")).json() for i in range(5)]
    ops = []
    for case in cases:
        policies = [d["policy"] for d in case["determinations"] if d["decision"] != "not_applicable"]
        assert len(policies) >= 4
        for i, policy in enumerate(policies[:5]):
            ops.append((f"/v1/cases/{case['id']}/review", "reviewer",
                        {"policy": policy, "decision": "approve" if i % 2 else "pend", "rationale": f"r{i}"}))
        for i in range(10 - len(policies[:5])):
            screens = [{"date": f"2025-05-{10 + i:02d}", "result": "negative"}]
            ops.append((f"/v1/cases/{case['id']}/documents", "clinic_a",
                        case_doc(case["case"], clinical={"drug_screens": screens})))
    assert len(ops) == PARALLEL
    rng = random.Random(7)
    with ThreadPoolExecutor(PARALLEL) as pool:
        results = list(pool.map(lambda op: _until_done(api, *op, random.Random(rng.random())), ops))
    statuses = [s for s, _ in results]
    assert statuses.count(201) + statuses.count(200) == PARALLEL, statuses
    print(f"\n{sum(c for _, c in results)} version conflicts retried")
    assert sum(c for _, c in results) > 0, "no two updates ever collided: the test did not race"
    for case in cases:
        view = api.request("GET", f"/v1/cases/{case['id']}", "admin").json()
        mine = [op for op in ops if case["id"] in op[0]]
        updates = sum("documents" in path for path, _, _ in mine)
        assert view["version"] == 1 + len(mine)
        assert view["revision"] == 1 + updates
        assert len(view["reviews"]) == len(mine) - updates
        assert {r["rationale"] for r in view["reviews"]} == {b["rationale"] for p, _, b in mine if "review" in p}
        events = api.request("GET", f"/v1/audit?case={case['id']}&per_page=500", "admin").json()["events"]
        kinds = [e["action"] for e in events]
        assert kinds.count("case.reevaluate") == updates and kinds.count("case.review") == len(mine) - updates
    engine = make_engine(api.server.db_url)
    try:
        result = verify(engine)
        assert result.ok, result.problems
    finally:
        engine.dispose()


def test_two_instances_on_one_postgresql_database_lose_and_duplicate_nothing(backend, database, tmp_path):
    """How a plan scales the API out: two `serve` instances on one PostgreSQL database, every submission sent
    to both at once with one Idempotency-Key; each key makes exactly one case, every response names it, and
    the trail verifies."""
    if backend != "postgresql":
        import pytest

        pytest.skip("several instances share PostgreSQL; SQLite is one server per file")
    from sqlalchemy import text

    from .helpers import Server, add_user

    token = add_user(database, "clinic", "submitter", "clinic-a")
    servers = [Server(database, tmp_path / f"i{n}.log").start() for n in range(2)]
    try:
        def send(job: tuple[int, int]) -> httpx.Response:
            i, n = job
            with httpx.Client(timeout=60) as client:
                return client.post(servers[n].base + "/v1/cases", json=case_doc(f"multi-{i}"),
                                   headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"multi-{i}"})

        jobs = [(i, n) for i in range(40) for n in (0, 1)]
        random.Random(7).shuffle(jobs)
        with ThreadPoolExecutor(40) as pool:
            answers = list(pool.map(send, jobs))
    finally:
        for s in servers:
            s.stop()
    assert all(r.status_code == 201 for r in answers), {r.status_code for r in answers}
    by_key: dict[str, set[str]] = {}
    for (i, _), r in zip(jobs, answers, strict=True):
        by_key.setdefault(f"multi-{i}", set()).add(r.json()["id"])
    assert len(by_key) == 40 and all(len(ids) == 1 for ids in by_key.values())
    engine = make_engine(database)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM cases")).scalar_one() == 40
        assert verify(engine).ok, verify(engine).problems
    finally:
        engine.dispose()


def test_50_parallel_evaluations_each_leave_one_event_and_the_chain_verifies(api):
    """Evaluation events are group-committed: every answered request's event is in the trail, once."""
    def post(i: int) -> httpx.Response:
        with httpx.Client(timeout=60) as client:
            return client.post(api.server.base + "/v1/determinations", json=case_doc(f"eval-{i}"),
                               headers={**api.auth("reviewer"), "X-Request-ID": f"group-commit-{i:04d}"})

    with ThreadPoolExecutor(PARALLEL) as pool:
        answers = list(pool.map(post, range(PARALLEL)))
    assert [r.status_code for r in answers] == [200] * PARALLEL
    seen: list[str] = []
    page, total = 1, None
    while total is None or (page - 1) * 500 < total:
        body = api.request("GET", f"/v1/audit?per_page=500&page={page}", "admin").json()
        total, page = body["total"], page + 1
        seen += [e["details"]["request"]["id"] for e in body["events"] if e["action"] == "case.evaluate"
                 and e["details"].get("request", {}).get("id", "").startswith("group-commit-")]
    assert sorted(seen) == [f"group-commit-{i:04d}" for i in range(PARALLEL)]
    engine = make_engine(api.server.db_url)
    try:
        assert verify(engine).ok
    finally:
        engine.dispose()
