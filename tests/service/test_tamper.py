"""Tamper evidence (issue: hardening the service): every tamper a payer's security team tried, and more, on every
sealed table and column class, on SQLite and PostgreSQL: `audit verify` must report each one.

Each tamper is what someone with write access to the database (and without the audit key) can do: drop the
append-only triggers, then edit, insert, delete, reorder or truncate, recomputing whatever plain hashes they like.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text

from priorauth.service.audit.chain import checkpoint, verify
from priorauth.service.auth.users import add_user, hash_token, revoke_user
from priorauth.service.http.body import parse_case
from priorauth.service.http.schemas import ReviewIn
from priorauth.service.store import models as m
from priorauth.service.store.seals import canonical, sha256_text
from priorauth.service.workflow import cases, reviews
from priorauth.service.workflow.state import Store

from .helpers import cli, denied_case


@pytest.fixture
def filled(database):
    """Users (one revoked), cases (one with an idempotency key), a re-evaluation, a read and a review; then a
    checkpoint, as the service takes one every minute."""
    store = Store.open(database)
    sub, _ = add_user(store.engine, "clinic", "submitter", "clinic-a")
    rev, _ = add_user(store.engine, "rita", "reviewer", None)
    add_user(store.engine, "gone", "admin", None)
    revoke_user(store.engine, "gone")
    ids = []
    for i in range(2):
        body = json.dumps(denied_case(f"tamper-{i}")).encode()
        ids.append(json.loads(cases.submit(store, sub, body, parse_case(body), f"key-{i}" if i else None)[1])["id"])
    body = json.dumps(denied_case("tamper-0")).encode()
    cases.add_documents(store, sub, ids[0], body, parse_case(body), None)
    view = cases.read(store, rev, ids[0])
    det = next(d for d in view["determinations"] if d["decision"] == "deny")
    reviews.review(store, rev, ids[0], ReviewIn(policy=det["policy"], decision="deny", rationale="see criteria",
                                                criteria=[det["reasons"][0]["criterion"]]), None)
    taken = [checkpoint(store.engine)]
    assert verify(store.engine, taken).ok, verify(store.engine, taken).problems
    yield store, ids, taken
    store.close()


def run(store: Store, *statements: str) -> None:
    with store.engine.begin() as conn:
        for s in statements:
            conn.execute(text(s))


def unlocked(store: Store, *statements: str) -> None:
    """Drop every append-only trigger first, as a database administrator could, then run the statements."""
    if store.engine.dialect.name == "sqlite":
        drops = [f"DROP TRIGGER IF EXISTS {t}_no_{e}" for t in m.IMMUTABLE_TABLES for e in ("update", "delete")]
    else:
        drops = [f"DROP TRIGGER IF EXISTS {t}_immutable ON {t}" for t in m.IMMUTABLE_TABLES] + \
                [f"DROP TRIGGER IF EXISTS {t}_no_truncate ON {t}" for t in m.TRUNCATE_GUARDED]
    run(store, *drops, *statements)


def problems(store: Store, taken) -> list[str]:
    result = verify(store.engine, taken)
    assert not result.ok, "tampering not detected"
    return result.problems


EDITS = {  # what was changed -> SQL (triggers dropped first)
    "a determination's decision, deny to approve": "UPDATE determinations SET decision = 'approve' "
                                                   "WHERE decision = 'deny'",
    "a determination's result and its digest together": "UPDATE determinations SET result = '{}', result_sha256 = "
                                                        f"'{sha256_text('{}')}'",
    "a determination's policy version": "UPDATE determinations SET policy_version = '1999'",
    "a case's organization (another one reads it)": "UPDATE cases SET org = 'clinic-b'",
    "a case's status": "UPDATE cases SET status = 'approved'",
    "a case's version": "UPDATE cases SET version = version + 1",
    "a user's role raised to admin": "UPDATE users SET role = 'admin' WHERE name = 'clinic'",
    "a user's token hash replaced": f"UPDATE users SET token_hash = '{hash_token('pa_mine')}' WHERE name = 'rita'",
    "a revoked user restored": "UPDATE users SET revoked_at = NULL WHERE name = 'gone'",
    "a user's token made to never expire": "UPDATE users SET expires_at = NULL WHERE name = 'clinic'",
    "a user's organization": "UPDATE users SET org = 'clinic-b' WHERE name = 'clinic'",
    "a review's reviewer": "UPDATE reviews SET reviewer = 'someone-else'",
    "a review's decision": "UPDATE reviews SET decision = 'approve'",
    "a review's rationale": "UPDATE reviews SET rationale = 'fine'",
    "a revision's body and its digest together": "UPDATE case_revisions SET body = '{}', body_sha256 = "
                                                 f"'{sha256_text('{}')}'",
    "a revision's author": "UPDATE case_revisions SET created_by = 'rita'",
    "an idempotency record's case": "UPDATE idempotency_keys SET case_id = (SELECT MIN(id) FROM cases)",
    "an idempotency record's expiry": "UPDATE idempotency_keys SET expires_at = NULL",
    "an event's details": "UPDATE audit_events SET details = '{}' WHERE seq = 3",
    "an event's actor": "UPDATE audit_events SET actor = 'rita' WHERE seq = 2",
    "an event's time": "UPDATE audit_events SET at = at WHERE seq = 2",  # a no-op edit: only the dropped triggers
    "the head": "UPDATE audit_head SET hash = '" + "1" * 64 + "'",
}

ADDED_OR_REMOVED = {
    "a forged admin user": "INSERT INTO users (name, role, org, token_hash, created_at) VALUES "
                           f"('eve', 'admin', NULL, '{hash_token('pa_eve')}', CURRENT_TIMESTAMP)",
    "a forged case": "INSERT INTO cases (id, ref, org, payer, status, version, revision, created_by, created_at, "
                     "updated_at) VALUES ('" + "f" * 32 + "', 'x', 'clinic-a', NULL, 'approved', 1, 1, 'clinic', "
                     "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
    "a deleted review": "DELETE FROM reviews",
    "a deleted determination": "DELETE FROM determinations WHERE id NOT IN (SELECT determination_id FROM reviews)",
    "a deleted idempotency record": "DELETE FROM idempotency_keys",
    "a deleted user": "DELETE FROM users WHERE name = 'gone'",
    "a deleted event in the middle": "DELETE FROM audit_events WHERE seq = 4",
    "the append-only triggers dropped, nothing else": "SELECT 1",
}


@pytest.mark.parametrize("what", list(EDITS))
def test_an_edit_of_any_sealed_column_is_detected(filled, what):
    store, _, taken = filled
    unlocked(store, EDITS[what])
    assert problems(store, taken)


@pytest.mark.parametrize("what", list(ADDED_OR_REMOVED))
def test_a_row_added_or_removed_outside_the_service_is_detected(filled, what):
    store, _, taken = filled
    unlocked(store, ADDED_OR_REMOVED[what])
    assert problems(store, taken)


def _last_events(store: Store, n: int) -> list:
    with store.engine.connect() as conn:
        return conn.execute(select(m.audit_events).order_by(m.audit_events.c.seq.desc()).limit(n)).all()


def test_a_truncated_tail_with_a_consistent_head_is_detected_against_a_checkpoint(filled):
    """Delete the newest events and point the head at the one left: the chain is self-consistent, so only a
    checkpoint taken before (outside the database) shows it."""
    store, _, taken = filled
    keep = _last_events(store, 3)[-1]
    unlocked(store, f"DELETE FROM audit_events WHERE seq > {keep.seq}",
             f"UPDATE audit_head SET seq = {keep.seq}, hash = '{keep.hash}'")
    assert any("truncated" in p for p in problems(store, taken))


def test_a_forged_tail_chained_with_plain_hashes_is_detected(filled):
    """Without the key, a forger can link a new event to the head only with a hash anyone can compute."""
    store, _, taken = filled
    head = _last_events(store, 1)[0]
    seq, at, details = head.seq + 1, m.iso(m.now()), canonical(["forged"])
    forged = sha256_text(canonical([seq, at, "eve", "admin", "user.create", None, details, head.hash]))
    unlocked(store, "INSERT INTO audit_events (seq, at, actor, role, action, case_id, details, prev_hash, hash) "
                    f"VALUES ({seq}, CURRENT_TIMESTAMP, 'eve', 'admin', 'user.create', NULL, '{details}', "
                    f"'{head.hash}', '{forged}')",
             f"UPDATE audit_head SET seq = {seq}, hash = '{forged}'")
    assert any(f"event {seq}: contents do not match" in p for p in problems(store, taken))


def test_a_chain_rewritten_from_the_start_is_detected(filled):
    """Every event re-hashed with plain SHA-256 and relinked, the head to match: nothing links with the key."""
    store, _, taken = filled
    with store.engine.connect() as conn:
        rows = conn.execute(select(m.audit_events).order_by(m.audit_events.c.seq)).all()
    statements, prev = [], m.GENESIS_HASH
    for r in rows:
        digest = sha256_text(canonical([r.seq, m.iso(r.at), r.actor, r.role, r.action, r.case_id, r.details, prev]))
        statements.append(f"UPDATE audit_events SET prev_hash = '{prev}', hash = '{digest}' WHERE seq = {r.seq}")
        prev = digest
    unlocked(store, *statements, f"UPDATE audit_head SET hash = '{prev}'")
    found = problems(store, [])  # even with no checkpoint to compare
    assert any("contents do not match its hash" in p for p in found)


def test_events_reordered_are_detected(filled):
    store, _, taken = filled
    unlocked(store, "UPDATE audit_events SET seq = 1000 WHERE seq = 2", "UPDATE audit_events SET seq = 2 WHERE seq = 3",
             "UPDATE audit_events SET seq = 3 WHERE seq = 1000")
    assert problems(store, taken)


def test_a_checkpoint_not_signed_with_the_key_is_refused(filled):
    store, _, taken = filled
    forged = dict(taken[0], seq=1, sig="0" * 64)
    assert any("signature does not verify" in p for p in verify(store.engine, [forged]).problems)


def test_postgresql_refuses_truncate_and_the_cli_reports_a_truncate_done_anyway(filled):
    store, _, taken = filled
    if store.engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's")
    for table in ("audit_events", "determinations", "users"):
        with pytest.raises(Exception, match="immutable"):
            run(store, f"TRUNCATE {table} CASCADE")
    unlocked(store, "TRUNCATE reviews")
    assert any("missing (deleted)" in p or "recorded in the audit trail but missing" in p
               for p in problems(store, taken))


def test_the_cli_verifies_against_the_checkpoint_file_and_without_the_key_refuses(filled, tmp_path):
    store, _, taken = filled
    url = store.engine.url.render_as_string(hide_password=False)
    file = tmp_path / "checkpoints.jsonl"
    env = {"PRIORAUTH_DATABASE_URL": url}
    made = cli("audit", "checkpoint", "--file", str(file), env=env)
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["seq"] == json.loads(file.read_text().splitlines()[0])["seq"]
    ok = cli("audit", "verify", "--checkpoints", str(file), env=env)
    assert ok.returncode == 0 and "1 checkpoint(s) agree" in ok.stdout, ok.stdout + ok.stderr
    keep = _last_events(store, 2)[-1]
    unlocked(store, f"DELETE FROM audit_events WHERE seq > {keep.seq}",
             f"UPDATE audit_head SET seq = {keep.seq}, hash = '{keep.hash}'")
    bad = cli("audit", "verify", "--checkpoints", str(file), env=env)
    assert bad.returncode == 1 and "truncated" in bad.stderr
    other_key = cli("audit", "verify", env={**env, "PRIORAUTH_AUDIT_KEY": "ab" * 32})
    assert other_key.returncode == 1 and "contents do not match its hash" in other_key.stderr


def _legacy_store(url: str, tamper: bool = False):
    """A store as the previous version left it (migration 0002, a plain SHA-256 chain), with one user and its
    event; `tamper` edits the event afterwards."""
    from alembic import command
    from sqlalchemy import insert, update

    from priorauth.service.store.db import alembic_config, make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        command.upgrade(alembic_config(conn), "0002")
        conn.commit()
    at = m.now()
    details = canonical({"user": "old-admin"})
    digest = sha256_text(canonical([1, m.iso(at), "cli", "admin", "user.create", None, details, m.GENESIS_HASH]))
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO users (name, role, org, token_hash, created_at) VALUES "
                          f"('old-admin', 'admin', NULL, '{hash_token('pa_old')}', CURRENT_TIMESTAMP)"))
        conn.execute(insert(m.audit_events).values(seq=1, at=at, actor="cli", role="admin", action="user.create",
                                                   case_id=None, details=details, prev_hash=m.GENESIS_HASH,
                                                   hash=digest))
        conn.execute(update(m.audit_head).where(m.audit_head.c.id == 1).values(seq=1, hash=digest))
    if tamper:
        drop = "DROP TRIGGER audit_events_no_update" if engine.dialect.name == "sqlite" else \
            "DROP TRIGGER audit_events_immutable ON audit_events"
        with engine.begin() as conn:
            conn.execute(text(drop))
            conn.execute(text("UPDATE audit_events SET actor = 'eve'"))
    return engine


@pytest.fixture
def empty(backend, tmp_path):
    """A new, unmigrated database of the backend."""
    from .helpers import new_database

    url, cleanup = new_database(backend, tmp_path)
    yield url
    cleanup()


def test_an_older_stores_intact_trail_is_re_keyed_on_upgrade_and_verifies(empty):
    from priorauth.service.store.db import migrate

    engine = _legacy_store(empty)
    try:
        migrate(engine)
        result = verify(engine)
        assert result.ok, result.problems
        with engine.connect() as conn:
            actions = conn.execute(select(m.audit_events.c.action).order_by(m.audit_events.c.seq)).scalars().all()
        assert actions == ["user.create", "audit.keyed"]  # the old event, now keyed; then every row recorded
    finally:
        engine.dispose()


def test_an_older_stores_tampered_trail_stops_the_upgrade(empty):
    from priorauth.service.store.db import migrate

    engine = _legacy_store(empty, tamper=True)
    try:
        with pytest.raises(Exception, match="does not verify"):
            migrate(engine)
    finally:
        engine.dispose()
