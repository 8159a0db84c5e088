"""The keyed audit trail (issue: hardening the service): tokens that expire, idempotency records that keep a hash
and a reference instead of a second copy of the case and expire, TRUNCATE refused on PostgreSQL, and a trail made
before this version re-hashed with the audit key.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TRUNCATE_GUARDED = ("case_revisions", "determinations", "reviews", "audit_events", "fhir_bundles", "audit_head",
                    "users", "cases", "idempotency_keys", "fhir_requests", "fhir_identifiers", "fhir_subscriptions")


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True)))
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.add_column(sa.Column("response_sha256", sa.String(64)))
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True)))
    keys = sa.table("idempotency_keys", sa.column("user_id"), sa.column("key"), sa.column("response"),
                    sa.column("response_sha256"), sa.column("created_at"), sa.column("expires_at"))
    bind = op.get_bind()
    for row in bind.execute(sa.select(keys.c.user_id, keys.c.key, keys.c.response, keys.c.created_at)).all():
        bind.execute(sa.update(keys).where(keys.c.user_id == row.user_id, keys.c.key == row.key).values(
            response_sha256=hashlib.sha256(row.response.encode("utf-8")).hexdigest(), expires_at=row.created_at))
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.drop_column("response")
        batch.alter_column("response_sha256", existing_type=sa.String(64), nullable=False)
    if bind.dialect.name == "postgresql":
        for table in TRUNCATE_GUARDED:
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION priorauth_immutable()")
    _rekey(bind)


def _rekey(bind: sa.Connection) -> None:
    """A trail written before the key (plain SHA-256) is checked as it was, then every event is re-hashed with
    the key, and one more event records every sealed row as it is now (the old trail had no digests of them)."""
    from priorauth.service.store import models as m
    from priorauth.service.store.audit_key import audit_key
    from priorauth.service.store.seals import SEALED, canonical, event_hash, pk_of, row_digest, row_key, sha256_text

    events = m.audit_events
    rows = bind.execute(sa.select(events).order_by(events.c.seq)).all()
    if not rows:
        return
    prev = m.GENESIS_HASH
    for row in rows:
        old = sha256_text(canonical([row.seq, m.iso(row.at), row.actor, row.role, row.action, row.case_id,
                                     row.details, row.prev_hash]))
        if row.prev_hash != prev or old != row.hash:
            raise RuntimeError(f"audit event {row.seq} does not verify: the trail was changed before this upgrade; "
                               "restore it from a backup (the upgrade re-keys only an intact trail)")
        prev = row.hash
    key = audit_key(bind.engine.url)
    _triggers(bind.dialect.name, "drop")
    prev = m.GENESIS_HASH
    for row in rows:
        digest = event_hash(key, row.seq, m.iso(row.at), row.actor, row.role, row.action, row.case_id,
                            row.details, prev)
        bind.execute(sa.update(events).where(events.c.seq == row.seq).values(prev_hash=prev, hash=digest))
        prev = digest
    _triggers(bind.dialect.name, "create")
    sealed = {row_key(table, pk_of(table, r)): row_digest(table, r)
              for table in SEALED.values() for r in bind.execute(sa.select(table)).all()}
    seq, at = rows[-1].seq + 1, m.now()
    details = canonical({"legacy_events": len(rows), "rows": sealed})
    digest = event_hash(key, seq, m.iso(at), "priorauth", "system", "audit.keyed", None, details, prev)
    bind.execute(sa.insert(events).values(seq=seq, at=at, actor="priorauth", role="system", action="audit.keyed",
                                          case_id=None, details=details, prev_hash=prev, hash=digest))
    bind.execute(sa.update(m.audit_head).where(m.audit_head.c.id == 1).values(seq=seq, hash=digest))


def _triggers(dialect: str, what: str) -> None:
    if dialect == "sqlite":
        for event in ("update", "delete"):
            if what == "drop":
                op.execute(f"DROP TRIGGER audit_events_no_{event}")
            else:
                op.execute(f"CREATE TRIGGER audit_events_no_{event} BEFORE {event.upper()} ON audit_events "
                           "BEGIN SELECT RAISE(ABORT, 'audit_events rows are immutable'); END")
    elif dialect == "postgresql":
        if what == "drop":
            op.execute("DROP TRIGGER audit_events_immutable ON audit_events")
        else:
            op.execute("CREATE TRIGGER audit_events_immutable BEFORE UPDATE OR DELETE ON audit_events "
                       "FOR EACH ROW EXECUTE FUNCTION priorauth_immutable()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TRUNCATE_GUARDED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.add_column(sa.Column("response", sa.Text, nullable=False, server_default=json.dumps({})))
        batch.drop_column("response_sha256")
        batch.drop_column("expires_at")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("expires_at")
