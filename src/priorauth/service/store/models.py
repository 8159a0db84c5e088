"""The store's tables (SQLAlchemy Core). The schema itself is created by the Alembic migrations.

Rows of `case_revisions`, `determinations`, `reviews` and `audit_events` are never updated or deleted
(the migrations add database triggers that refuse it); a case's mutable state is its `cases` row, guarded
by the `version` column (optimistic concurrency).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)

UTC = dt.UTC


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite hands back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def now() -> dt.datetime:
    return dt.datetime.now(UTC)


def iso(value: dt.datetime) -> str:
    """The one text form of a timestamp: UTC, microseconds, `Z`."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


metadata = MetaData()

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("org", String(100)),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime()),
    Column("expires_at", UTCDateTime()),  # the token stops working then (null: never, an older store's users)
)

cases = Table(
    "cases", metadata,
    Column("id", String(32), primary_key=True),
    Column("ref", String(200), nullable=False),
    Column("org", String(100), index=True),
    Column("payer", String(40), index=True),
    Column("status", String(30), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

case_revisions = Table(
    "case_revisions", metadata,
    Column("case_id", String(32), ForeignKey("cases.id"), primary_key=True),
    Column("revision", Integer, primary_key=True),
    Column("body", Text, nullable=False),
    Column("body_sha256", String(64), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

determinations = Table(
    "determinations", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", String(32), ForeignKey("cases.id"), nullable=False, index=True),
    Column("revision", Integer, nullable=False),
    Column("policy_id", String(100), nullable=False),
    Column("policy_version", String(50)),
    Column("policy_sha256", String(64)),
    Column("engine_version", String(30), nullable=False),
    Column("decision", String(20), nullable=False),
    Column("result", Text, nullable=False),
    Column("result_sha256", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

reviews = Table(
    "reviews", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", String(32), ForeignKey("cases.id"), nullable=False, index=True),
    Column("determination_id", Integer, ForeignKey("determinations.id"), nullable=False, unique=True),
    Column("policy_id", String(100), nullable=False),
    Column("decision", String(20), nullable=False),
    Column("rationale", Text, nullable=False),
    Column("criteria", Text, nullable=False),  # JSON list of cited criterion ids
    Column("reviewer", String(100), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys", metadata,
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_sha256", String(64), nullable=False),
    Column("case_id", String(32), ForeignKey("cases.id"), nullable=False),
    Column("response_sha256", String(64), nullable=False),  # the first response's hash; a replay shows the case
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime()),  # after this the key may be used again (a new submission)
)

audit_events = Table(
    "audit_events", metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("role", String(20), nullable=False),
    Column("action", String(40), nullable=False),
    Column("case_id", String(64), index=True),
    Column("details", Text, nullable=False),  # canonical JSON, identifiers and hashes only (no PHI)
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

audit_head = Table(
    "audit_head", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)

fhir_requests = Table(
    "fhir_requests", metadata,
    Column("id", String(32), primary_key=True),
    Column("org", String(100), index=True),
    Column("identifier", String(500), nullable=False),  # the Claim's identifier, `system|value`
    Column("case_id", String(32), ForeignKey("cases.id")),  # null: no policy here governs the request
    Column("revision", Integer, nullable=False),
    Column("status", String(20), nullable=False),  # active, or cancelled by the submitter
    Column("created_by", String(100), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("org", "identifier", name="fhir_requests_org_identifier"),
)

fhir_identifiers = Table(  # every Claim identifier a request has had (a Claim Update may bring a new one)
    "fhir_identifiers", metadata,
    Column("org", String(100), primary_key=True),
    Column("identifier", String(500), primary_key=True),
    Column("request_id", String(32), ForeignKey("fhir_requests.id"), nullable=False, index=True),
)

fhir_bundles = Table(
    "fhir_bundles", metadata,
    Column("request_id", String(32), ForeignKey("fhir_requests.id"), primary_key=True),
    Column("revision", Integer, primary_key=True),
    Column("body", Text, nullable=False),  # the request Bundle as received
    Column("body_sha256", String(64), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

fhir_subscriptions = Table(
    "fhir_subscriptions", metadata,
    Column("id", String(32), primary_key=True),
    Column("org", String(100), index=True),
    Column("endpoint", Text, nullable=False),
    Column("header", Text),  # one `Name: value` header sent with each notification (the receiver's credential)
    Column("status", String(20), nullable=False),
    Column("events", Integer, nullable=False),  # notifications sent (events-since-subscription-start)
    Column("created_by", String(100), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

IMMUTABLE_TABLES = ("case_revisions", "determinations", "reviews", "audit_events", "fhir_bundles")
# On PostgreSQL TRUNCATE skips row triggers: these tables also refuse it (a statement trigger, migration 0003).
TRUNCATE_GUARDED = (*IMMUTABLE_TABLES, "audit_head", "users", "cases", "idempotency_keys", "fhir_requests",
                    "fhir_identifiers", "fhir_subscriptions")
GENESIS_HASH = "0" * 64
