"""The audit hash chain on SQLite and PostgreSQL: intact after real work, and any edit or deletion detected."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from priorauth.service.audit.chain import verify
from priorauth.service.auth.users import User, add_user
from priorauth.service.http.body import parse_case
from priorauth.service.http.schemas import ReviewIn
from priorauth.service.workflow import cases, reviews
from priorauth.service.workflow.state import Store

from .helpers import cli, denied_case


@pytest.fixture
def store(database):
    store = Store.open(database)
    yield store
    store.close()


@pytest.fixture
def filled(store):
    """A store with users, cases, a re-evaluation, reads and a review; returns (store, ids)."""
    import json

    sub, _ = add_user(store.engine, "clinic", "submitter", "clinic-a")
    rev, _ = add_user(store.engine, "rita", "reviewer", None)
    ids = []
    for i in range(3):
        body = json.dumps(denied_case(f"audit-{i}")).encode()
        ids.append(json.loads(cases.submit(store, sub, body, parse_case(body), None)[1])["id"])
    body = json.dumps(denied_case("audit-0")).encode()
    cases.add_documents(store, sub, ids[0], body, parse_case(body), None)
    cases.read(store, rev, ids[1])
    view = cases.read(store, rev, ids[0])
    det = next(d for d in view["determinations"] if d["decision"] == "deny")
    reviews.review(store, rev, ids[0], ReviewIn(policy=det["policy"], decision="deny", rationale="see criteria",
                                                criteria=[det["reasons"][0]["criterion"]]), None)
    return store, ids


def sql(store: Store, *statements: str) -> None:
    with store.engine.begin() as conn:
        for s in statements:
            conn.execute(text(s))


def unlock(store: Store, table: str) -> str:
    """What a database administrator could do first: drop the trigger that refuses edits."""
    if store.engine.dialect.name == "sqlite":
        return f"DROP TRIGGER {table}_no_update; DROP TRIGGER {table}_no_delete"
    return f"DROP TRIGGER {table}_immutable ON {table}"


def tamper(store: Store, table: str, statement: str) -> None:
    sql(store, *unlock(store, table).split("; "), statement)


def test_chain_is_intact_after_work_and_the_cli_says_so(filled):
    store, _ = filled
    result = verify(store.engine)
    assert result.ok, result.problems
    assert result.events == 2 + 3 + 1 + 2 + 1  # users, submissions, re-evaluation, reads, review
    proc = cli("audit", "verify", env={"PRIORAUTH_DATABASE_URL": str(store.engine.url.render_as_string(False))})
    assert proc.returncode == 0, proc.stderr
    assert f"{result.events} events" in proc.stdout


def test_cli_exits_nonzero_on_tampering(filled):
    store, _ = filled
    tamper(store, "audit_events", "UPDATE audit_events SET actor = 'someone-else' WHERE seq = 3")
    proc = cli("audit", "verify", env={"PRIORAUTH_DATABASE_URL": str(store.engine.url.render_as_string(False))})
    assert proc.returncode == 1
    assert "TAMPERED" in proc.stderr and "event 3" in proc.stderr


@pytest.mark.parametrize(("table", "statement", "expected"), [
    ("audit_events", "UPDATE audit_events SET details = '{}' WHERE seq = 4", "event 4: contents"),
    ("audit_events", "DELETE FROM audit_events WHERE seq = 5", "event 5: missing"),
    ("audit_events", "DELETE FROM audit_events WHERE seq = (SELECT MAX(seq) FROM audit_events)", "audit head"),
    ("determinations", "UPDATE determinations SET result = REPLACE(result, '\"deny\"', '\"approve\"')",
     "does not match the audit trail"),
    ("determinations", "DELETE FROM determinations WHERE id NOT IN (SELECT determination_id FROM reviews)",
     "recorded in the audit trail but missing"),
    ("case_revisions", "UPDATE case_revisions SET body = REPLACE(body, 'not_cleared', 'cleared')",
     "body does not match"),
    ("reviews", "UPDATE reviews SET rationale = 'approved after all'", "review 1: does not match"),
])
def test_any_edit_or_deletion_is_detected(filled, table, statement, expected):
    store, _ = filled
    tamper(store, table, statement)
    result = verify(store.engine)
    assert not result.ok
    assert any(expected in p for p in result.problems), result.problems


@pytest.mark.parametrize("table", ["audit_events", "determinations", "case_revisions", "reviews"])
def test_append_only_tables_refuse_updates_and_deletes(filled, table):
    store, _ = filled
    with pytest.raises(Exception, match="immutable"):
        sql(store, f"DELETE FROM {table}")
    with pytest.raises(Exception, match="immutable"):
        sql(store, f"UPDATE {table} SET created_at = created_at" if table != "audit_events"
            else "UPDATE audit_events SET at = at")
    assert verify(store.engine).ok


def test_head_edit_is_detected(filled):
    store, _ = filled
    sql(store, "UPDATE audit_head SET hash = '" + "1" * 64 + "'")
    assert any("audit head" in p for p in verify(store.engine).problems)


def test_users_cli_prints_the_token_last_and_stores_only_its_hash(database):
    env = {"PRIORAUTH_DATABASE_URL": database}
    proc = cli("users", "add", "nurse.joy", "--role", "submitter", "--org", "clinic-x", env=env)
    assert proc.returncode == 0, proc.stderr
    token = proc.stdout.split()[-1]
    assert token.startswith("pa_") and len(token) > 40
    store = Store.open(database)
    try:
        user = store.tokens.lookup(token)
        assert user == User(user.id, "nurse.joy", "submitter", "clinic-x")
        with store.engine.connect() as conn:
            stored = conn.execute(text("SELECT token_hash FROM users WHERE name = 'nurse.joy'")).scalar_one()
        assert token not in stored and len(stored) == 64
    finally:
        store.close()
    assert cli("users", "add", "nurse.joy", "--role", "admin", env=env).returncode == 2  # taken
    assert cli("users", "add", "x", "--role", "submitter", env=env).returncode == 2  # no --org
    assert cli("users", "add", "y", "--role", "reviewer", "--org", "o", env=env).returncode == 2
    listing = cli("users", "list", env=env).stdout
    assert "nurse.joy" in listing and token not in listing


def test_the_default_database_is_a_file_under_the_data_directory(tmp_path):
    env = {"PRIORAUTH_DATABASE_URL": "", "PRIORAUTH_DATA_DIR": str(tmp_path / "d")}
    assert cli("users", "add", "a", "--role", "admin", env=env).returncode == 0
    assert (tmp_path / "d" / "priorauth.db").is_file()
    assert cli("audit", "verify", env=env).returncode == 0
    missing = cli("audit", "verify", env={**env, "PRIORAUTH_DATA_DIR": str(tmp_path / "empty")})
    assert missing.returncode == 2 and "nothing to verify" in missing.stderr


def test_documents_keep_revision_one(filled):
    store, ids = filled
    with store.engine.connect() as conn:
        revs = conn.execute(text("SELECT revision FROM case_revisions WHERE case_id = :c ORDER BY revision"),
                            {"c": ids[0]}).scalars().all()
        dets = conn.execute(text("SELECT DISTINCT revision FROM determinations WHERE case_id = :c"),
                            {"c": ids[0]}).scalars().all()
    assert revs == [1, 2] and sorted(dets) == [1, 2]


def test_migrations_go_down_and_up_again(database):
    from alembic import command
    from sqlalchemy import inspect

    from priorauth.service.store.db import alembic_config, make_engine, migrate, schema_is_current

    engine = make_engine(database)
    try:
        assert schema_is_current(engine)
        with engine.connect() as conn:
            command.downgrade(alembic_config(conn), "base")
            conn.commit()
        assert not schema_is_current(engine)
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        migrate(engine)
        assert schema_is_current(engine)
        assert {"cases", "determinations", "audit_events"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_a_rewritten_event_with_a_recomputed_hash_breaks_the_link_to_the_next(filled):
    """An insider who holds the key rewrites event 4 and recomputes its own hash: its contents now match its
    hash, so only the link check (event 5's prev_hash) can catch it."""
    from sqlalchemy import select

    from priorauth.service.audit.chain import event_hash
    from priorauth.service.store import models as m
    from priorauth.service.store.audit_key import audit_key

    store, _ = filled
    with store.engine.connect() as conn:
        row = conn.execute(select(m.audit_events).where(m.audit_events.c.seq == 4)).one()
    forged = '{"forged": true}'
    digest = event_hash(audit_key(store.engine.url), 4, m.iso(row.at), row.actor, row.role, row.action, row.case_id,
                        forged, row.prev_hash)
    tamper(store, "audit_events", f"UPDATE audit_events SET details = '{forged}', hash = '{digest}' WHERE seq = 4")
    problems = verify(store.engine).problems
    assert not any("event 4: contents" in p for p in problems), problems  # the forgery is self-consistent
    assert any("event 5: prev_hash does not match" in p for p in problems), problems
