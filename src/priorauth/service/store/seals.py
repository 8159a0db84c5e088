"""How the store's rows and audit events are hashed: one canonical JSON, a row's digest over every column, an
event's keyed hash. The audit chain records these; the migrations that re-key an older trail compute the same."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from sqlalchemy import Table

from priorauth.service.store import models as m
from priorauth.service.store.audit_key import sign

# The security-relevant tables: every row the chain records a digest of (users with their roles and tokens,
# cases with their organization, revisions, determinations, reviews, idempotency records, FHIR requests).
SEALED: dict[str, Table] = {t.name: t for t in (
    m.users, m.cases, m.case_revisions, m.determinations, m.reviews, m.idempotency_keys, m.fhir_requests,
    m.fhir_identifiers, m.fhir_bundles, m.fhir_subscriptions)}


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def event_hash(key: bytes, seq: int, at: str, actor: str, role: str, action: str, case_id: str | None,
               details: str, prev_hash: str) -> str:
    return sign(key, canonical([seq, at, actor, role, action, case_id, details, prev_hash]))


def _plain(value: Any) -> Any:
    return m.iso(value) if isinstance(value, dt.datetime) else value


def row_digest(table: Table, row: Any) -> str:
    """SHA-256 of every column of the row, by name (the event that records it is keyed)."""
    return sha256_text(canonical({c.name: _plain(row._mapping[c.name]) for c in table.columns}))


def pk_of(table: Table, row: Any) -> list[Any]:
    return [_plain(row._mapping[c.name]) for c in table.primary_key.columns]


def row_key(table: Table, pk: list[Any]) -> str:
    """The name a row is recorded under: its table and a hash of its key (a key may be a client's words)."""
    return f"{table.name}:{sha256_text(canonical(pk))[:32]}"
