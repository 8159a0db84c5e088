"""The audit chain's contract where mutation testing found it unchecked (bench/mutation/README.md).

service/audit/chain.py: event n stores sha256(canonical [seq, at, actor, role, action, case, details,
prev_hash]); `verify` reports every edit as a problem (never crashes on what an editor left behind), names
the events a broken link joins, and returns the head it verified.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import select, text

from priorauth.service.audit.chain import event_dict, verify
from priorauth.service.auth.users import add_user
from priorauth.service.http.body import parse_case
from priorauth.service.http.schemas import ReviewIn
from priorauth.service.store import models as m
from priorauth.service.workflow import cases, reviews
from priorauth.service.workflow.state import Store
from service.helpers import denied_case, migrate


@pytest.fixture
def store(tmp_path):
    """SQLite store with two users, one denied case, a read and a review (events 1..5)."""
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    migrate(url)
    store = Store.open(url)
    sub, _ = add_user(store.engine, "clinic", "submitter", "clinic-a")
    rev, _ = add_user(store.engine, "rita", "reviewer", None)
    body = json.dumps(denied_case("mut-0")).encode()
    case_id = json.loads(cases.submit(store, sub, body, parse_case(body), None)[1])["id"]
    view = cases.read(store, rev, case_id)
    det = next(d for d in view["determinations"] if d["decision"] == "deny")
    reviews.review(store, rev, case_id, ReviewIn(policy=det["policy"], decision="deny", rationale="see criteria",
                                                 criteria=[det["reasons"][0]["criterion"]]), None)
    yield store
    store.close()


def events(store: Store) -> list:
    with store.engine.connect() as conn:
        return conn.execute(select(m.audit_events).order_by(m.audit_events.c.seq)).all()


def tamper(store: Store, table: str, statement: str, **params) -> None:
    """Drop the append-only triggers (what a database administrator could do), then edit."""
    with store.engine.begin() as conn:
        conn.execute(text(f"DROP TRIGGER {table}_no_update"))
        conn.execute(text(f"DROP TRIGGER {table}_no_delete"))
        conn.execute(text(statement), params)


def canonical_json(value) -> str:
    """Canonical JSON as an outside auditor would write it: sorted keys, no whitespace."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def test_exported_events_can_be_rechained_by_an_independent_verifier(store):
    """`audit show` / GET /v1/audit export events with event_dict; from those fields and the audit key, an
    auditor can recompute every hash and link with HMAC-SHA256 over canonical JSON, without priorauth."""
    import hmac

    with open(store.engine.url.database + ".key") as f:
        key = bytes.fromhex(f.read().strip())
    rows = events(store)
    assert len(rows) == 5
    prev = m.GENESIS_HASH
    for row in rows:
        e = event_dict(row)
        assert set(e) == {"seq", "at", "actor", "role", "action", "case", "details", "prev_hash", "hash"}
        assert (e["seq"], e["actor"], e["role"], e["action"], e["case"]) == (
            row.seq, row.actor, row.role, row.action, row.case_id)
        assert isinstance(e["details"], dict) and row.details == canonical_json(e["details"])
        assert e["at"] == m.iso(row.at) and e["prev_hash"] == prev
        payload = [e["seq"], e["at"], e["actor"], e["role"], e["action"], e["case"],
                   canonical_json(e["details"]), e["prev_hash"]]
        assert e["hash"] == hmac.new(key, canonical_json(payload).encode(), hashlib.sha256).hexdigest()
        assert e["hash"] != hashlib.sha256(canonical_json(payload).encode()).hexdigest()  # not without the key
        prev = e["hash"]


def test_verify_returns_the_head_it_verified(store):
    result = verify(store.engine)
    assert result.ok and result.events == 5
    assert result.head == events(store)[-1].hash != m.GENESIS_HASH


def test_a_broken_link_names_both_events(store):
    """Event 3 rewritten with a self-consistent hash: the problem is the link from event 4 back to event 3."""
    from priorauth.service.audit.chain import event_hash
    from priorauth.service.store.audit_key import audit_key

    row = events(store)[2]
    forged = '{"forged":true}'
    digest = event_hash(audit_key(store.engine.url), 3, m.iso(row.at), row.actor, row.role, row.action, row.case_id,
                        forged, row.prev_hash)
    tamper(store, "audit_events", "UPDATE audit_events SET details = :d, hash = :h WHERE seq = 3", d=forged, h=digest)
    assert "event 4: prev_hash does not match event 3" in verify(store.engine).problems


def test_details_that_are_not_json_are_a_problem_not_a_crash(store):
    tamper(store, "audit_events", "UPDATE audit_events SET details = 'not json' WHERE seq = 2")
    problems = verify(store.engine).problems
    assert "event 2: details are not JSON" in problems
    assert "event 2: contents do not match its hash (edited or forged)" in problems


@pytest.mark.parametrize(("details", "expected"), [
    ('{"revision": 1}', "body does not match the audit trail"),  # the body digest removed
    ('{"body_sha256": "x"}', "body does not match the audit trail"),  # the revision removed
    ('{"review": 1}', "review 1: does not match the audit trail"),  # the review digest removed
    ('{"review_sha256": "x"}', "review 1: does not match the audit trail"),
])
def test_an_event_stripped_of_a_recorded_hash_is_reported(store, details, expected):
    """An editor who removes half of what an event recorded leaves the rows it covered unaccounted for:
    verify reports them (and the edited event), it does not stop with an exception."""
    action = "case.review" if "review" in details else "case.create"
    tamper(store, "audit_events", "UPDATE audit_events SET details = :d WHERE action = :a", d=details, a=action)
    result = verify(store.engine)
    assert not result.ok
    assert any(expected in p for p in result.problems), result.problems
    assert any("contents do not match its hash" in p for p in result.problems)


@pytest.mark.parametrize(("table", "column"), [("case_revisions", "body_sha256"),
                                               ("determinations", "result_sha256")])
def test_an_edited_stored_digest_is_detected(store, table, column):
    """The row's own digest column is part of the row: rewriting it (body or result untouched) is an edit."""
    tamper(store, table, f"UPDATE {table} SET {column} = '{'0' * 64}'")
    problems = verify(store.engine).problems
    assert problems and all("does not match the audit trail" in p or "(dropped)" in p for p in problems), problems
    assert any("(dropped)" in p for p in problems)  # the tamperer's first step, dropping the triggers, shows too
