"""The audit trail: a keyed hash chain of events, appended in the same transaction as the change it records.

Event n stores `hash = HMAC-SHA256(key, canonical [seq, at, actor, role, action, case, details, prev_hash])`
with `prev_hash` = hash of event n-1, and the single `audit_head` row holds the newest seq and hash. The key
(store/audit_key.py) is not in the database, so whoever can write to the database cannot recompute a hash: editing an
event breaks its hash, deleting one breaks the sequence or the links, and a forged or rewritten chain does not
verify. Every event also records, in `details["rows"]`, the SHA-256 of each security-relevant row its change
inserted, updated or deleted (`SEALED`: users and their tokens and roles, cases and their organization,
revisions, determinations, reviews, idempotency records, FHIR requests, bundles and subscriptions), so `verify`
finds a row edited, added or deleted outside the service. A truncated tail is found against signed checkpoints
kept outside the database (`checkpoint`). Details hold identifiers and hashes, never PHI.
"""

from __future__ import annotations

import json
import os
import weakref
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, and_, insert, select, text, update

from priorauth.service.store import models as m
from priorauth.service.store.audit_key import audit_key, sign
from priorauth.service.store.db import reading
from priorauth.service.store.seals import SEALED, canonical, event_hash, pk_of, row_digest, row_key, sha256_text

__all__ = ["SEALED", "REQUEST", "append", "append_many", "canonical", "checkpoint", "event_hash", "read_checkpoints",
           "sha256_text", "touch", "verify", "write_checkpoint"]

BATCH = 2000
_QUIET_KEYS = ("idempotency_keys", "fhir_identifiers")  # their keys are a client's words: shown hashed
# The rows each open write transaction touched (see touch), by its Connection: gone with the connection.
_TOUCHED: weakref.WeakKeyDictionary[Connection, list[tuple[Table, dict[str, Any]]]] = weakref.WeakKeyDictionary()
# The request an event belongs to (its id and source address), set by the HTTP layer for the request's duration.
REQUEST: ContextVar[dict[str, str] | None] = ContextVar("priorauth_request", default=None)


def review_digest(decision: str, rationale: str, criteria: list[str]) -> str:
    return sha256_text(canonical([decision, rationale, criteria]))


def _shown(table: Table, pk: list[Any]) -> str:
    if table.name in _QUIET_KEYS:
        return f"{table.name} row {row_key(table, pk).split(':')[1][:12]}"
    return f"{table.name} row {'/'.join(str(v) for v in pk)}"


def touch(conn: Connection, table: Table, **pk: Any) -> None:
    """Mark a row of a sealed table as written in this transaction: the next `append` on this connection records
    its digest (or that it is gone)."""
    _TOUCHED.setdefault(conn, []).append((table, pk))


def _touched_rows(conn: Connection) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for table, pk in _TOUCHED.pop(conn, []):
        where = and_(*(table.c[name] == value for name, value in pk.items()))
        row = conn.execute(select(table).where(where)).first()
        if row is None:
            out[row_key(table, [pk[c.name] for c in table.primary_key.columns])] = None
        else:
            out[row_key(table, pk_of(table, row))] = row_digest(table, row)
    return out


def append(conn: Connection, actor: str, role: str, action: str, case_id: str | None,
           details: dict[str, Any] | None = None, request: dict[str, str] | None = None) -> int:
    """Append one event inside the caller's write transaction; returns its sequence number.

    The head row is locked (FOR UPDATE on PostgreSQL; SQLite writers are already serialized), so
    concurrent writers extend the chain one after another and never fork it.
    """
    details = dict(details or {})
    rows = _touched_rows(conn)
    if rows:
        details["rows"] = rows
    request = request or REQUEST.get()  # given: an event written for a request by another thread (access.py)
    if request:
        details["request"] = request
    head = conn.execute(select(m.audit_head.c.seq, m.audit_head.c.hash)
                        .where(m.audit_head.c.id == 1).with_for_update()).one()
    seq, at = head.seq + 1, m.now()
    body = canonical(details)
    digest = event_hash(audit_key(conn.engine.url), seq, m.iso(at), actor, role, action, case_id, body, head.hash)
    conn.execute(insert(m.audit_events).values(seq=seq, at=at, actor=actor, role=role, action=action,
                                               case_id=case_id, details=body, prev_hash=head.hash, hash=digest))
    conn.execute(update(m.audit_head).where(m.audit_head.c.id == 1).values(seq=seq, hash=digest))
    return seq


def append_many(conn: Connection, events: list[tuple[str, str, str, dict[str, Any], dict[str, str] | None]]) -> None:
    """Append (actor, role, action, details, request) events, none about a case or a row, in one go: one read and
    one update of the head for all of them (the group commit of access.py)."""
    if not events:
        return
    head = conn.execute(select(m.audit_head.c.seq, m.audit_head.c.hash)
                        .where(m.audit_head.c.id == 1).with_for_update()).one()
    key, seq, prev, rows = audit_key(conn.engine.url), head.seq, head.hash, []
    for actor, role, action, details, request in events:
        seq, at = seq + 1, m.now()
        body = canonical(dict(details, request=request) if request else details)
        digest = event_hash(key, seq, m.iso(at), actor, role, action, None, body, prev)
        rows.append({"seq": seq, "at": at, "actor": actor, "role": role, "action": action, "case_id": None,
                     "details": body, "prev_hash": prev, "hash": digest})
        prev = digest
    conn.execute(insert(m.audit_events), rows)
    conn.execute(update(m.audit_head).where(m.audit_head.c.id == 1).values(seq=seq, hash=prev))


def event_dict(row: Any) -> dict[str, Any]:
    return {"seq": row.seq, "at": m.iso(row.at), "actor": row.actor, "role": row.role, "action": row.action,
            "case": row.case_id, "details": json.loads(row.details), "prev_hash": row.prev_hash,
            "hash": row.hash}


@dataclass
class Verification:
    events: int = 0
    head: str = m.GENESIS_HASH
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(engine: Engine, checkpoints: list[dict[str, Any]] = (), max_problems: int = 20) -> Verification:
    """Check the keyed chain and the head, every sealed row against the latest digest the chain recorded for it,
    the append-only triggers, and the chain against signed checkpoints taken earlier (`checkpoint`)."""
    out = Verification()
    key = audit_key(engine.url, create=False)
    recorded: dict[str, dict[Any, Any]] = {"revision": {}, "determination": {}, "review": {}, "rows": {}}
    hashes: dict[int, str] = {}  # the checkpoints' events
    wanted = {c.get("seq") for c in checkpoints} | {1}
    prev, expected_seq = m.GENESIS_HASH, 1
    with reading(engine) as conn:
        last = 0
        while len(out.problems) < max_problems:
            rows = conn.execute(select(m.audit_events).where(m.audit_events.c.seq > last)
                                .order_by(m.audit_events.c.seq).limit(BATCH)).all()
            if not rows:
                break
            for row in rows:
                if row.seq != expected_seq:
                    out.problems.append(f"event {expected_seq}: missing (next event is {row.seq})")
                if row.prev_hash != prev:
                    out.problems.append(f"event {row.seq}: prev_hash does not match event {row.seq - 1}")
                digest = event_hash(key, row.seq, m.iso(row.at), row.actor, row.role, row.action, row.case_id,
                                    row.details, row.prev_hash)
                if digest != row.hash:
                    out.problems.append(f"event {row.seq}: contents do not match its hash (edited or forged)")
                _collect(row, recorded, out)
                if row.seq in wanted:
                    hashes[row.seq] = row.hash
                prev, expected_seq, last = row.hash, row.seq + 1, row.seq
                out.events += 1
        head = conn.execute(select(m.audit_head.c.seq, m.audit_head.c.hash)).all()
        if len(head) != 1 or (head[0].seq, head[0].hash) != (last, prev):
            out.problems.append(f"audit head does not match the last event {last} (events removed or head edited)")
        out.head = prev
        _check_checkpoints(key, checkpoints, hashes, last, out)
        _check_triggers(conn, out)
        _check_rows(conn, recorded, out)
        _check_sealed(conn, recorded["rows"], out)
    del out.problems[max_problems:]
    return out


def _check_sealed(conn: Connection, recorded: dict[str, tuple[int, str | None]], out: Verification) -> None:
    """Each row of a sealed table is as the last event that wrote it recorded it; no row the trail does not know,
    none it knows missing."""
    for table in SEALED.values():
        for row in conn.execute(select(table)):
            pk = pk_of(table, row)
            seen = recorded.pop(row_key(table, pk), None)
            if seen is None:
                out.problems.append(f"{_shown(table, pk)}: not in the audit trail (added outside the service)")
            elif seen[1] is None:
                out.problems.append(f"{_shown(table, pk)}: deleted in event {seen[0]} but present")
            elif seen[1] != row_digest(table, row):
                out.problems.append(f"{_shown(table, pk)}: does not match the audit trail (edited after event "
                                    f"{seen[0]})")
    for name, (seq, digest) in recorded.items():
        if digest is not None:
            out.problems.append(f"{name.split(':')[0]} row written in event {seq}: missing (deleted)")


# The append-only triggers (migrations 0001-0003); dropping one is itself tampering.
TRIGGERS = {
    "sqlite": {f"{t}_no_{e}" for t in m.IMMUTABLE_TABLES for e in ("update", "delete")},
    "postgresql": {f"{t}_immutable" for t in m.IMMUTABLE_TABLES} | {f"{t}_no_truncate" for t in m.TRUNCATE_GUARDED},
}


def _check_triggers(conn: Connection, out: Verification) -> None:
    dialect = conn.dialect.name
    if dialect == "sqlite":
        present = set(conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
    elif dialect == "postgresql":
        present = set(conn.execute(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")).scalars())
    else:
        return
    dropped = sorted(TRIGGERS[dialect] - present)
    if dropped:
        out.problems.append(f"append-only triggers missing (dropped): {', '.join(dropped)}")


def checkpoint(engine: Engine) -> dict[str, Any]:
    """A signed statement of the chain's head now: keep it outside the database (a file, a ticket)."""
    with reading(engine) as conn:
        head = conn.execute(select(m.audit_head.c.seq, m.audit_head.c.hash)).one()
        first = conn.execute(select(m.audit_events.c.hash).where(m.audit_events.c.seq == 1)).scalar()
    at = m.iso(m.now())
    # `first` (event 1's hash) names the trail: a checkpoint of another store's trail is not this one's
    return {"seq": head.seq, "hash": head.hash, "first": first, "at": at,
            "sig": sign(audit_key(engine.url), canonical(["checkpoint", first, head.seq, head.hash, at]))}


def write_checkpoint(path: Path, taken: dict[str, Any]) -> None:
    """Append one checkpoint line (one write, so processes appending at once do not interleave), mode 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (canonical(taken) + "\n").encode("utf-8"))
    finally:
        os.close(fd)


def read_checkpoints(path: Path) -> list[dict[str, Any]]:
    """The checkpoints in a file of JSON lines (as `audit checkpoint` appends them); [] when there is none."""
    if not path.exists():
        return []
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                out.append(json.loads(line))
            except ValueError:
                out.append({"line": n})
    return out


def _check_checkpoints(key: bytes, checkpoints: list[dict[str, Any]], hashes: dict[int, str], last: int,
                       out: Verification) -> None:
    for c in checkpoints:
        seq, digest, at, first = c.get("seq"), c.get("hash"), c.get("at"), c.get("first")
        if not isinstance(seq, int) or c.get("sig") != sign(key, canonical(["checkpoint", first, seq, digest, at])):
            out.problems.append(f"checkpoint {c.get('line') or at}: signature does not verify (not ours)")
        elif seq > 0 and first != hashes.get(1):
            out.problems.append(f"checkpoint of {at}: of another trail, or this one was rewritten from event 1")
        elif seq > last:
            out.problems.append(f"checkpoint of {at} saw event {seq}, the trail ends at {last} (truncated)")
        elif seq > 0 and hashes.get(seq) != digest:
            out.problems.append(f"checkpoint of {at}: event {seq} is not the one it saw (the trail was rewritten)")


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _collect(row: Any, recorded: dict[str, dict[Any, str]], out: Verification) -> None:
    try:
        details = json.loads(row.details)
    except ValueError:
        out.problems.append(f"event {row.seq}: details are not JSON")
        return
    if not isinstance(details, dict):
        out.problems.append(f"event {row.seq}: details are not a JSON object")
        return
    if "body_sha256" in details and "revision" in details:
        recorded["revision"][(row.case_id, details["revision"])] = details["body_sha256"]
    for det_id, digest in _mapping(details.get("determinations")).items():
        if str(det_id).isdigit():
            recorded["determination"][int(det_id)] = digest
    if "review" in details and "review_sha256" in details:
        recorded["review"][details["review"]] = details["review_sha256"]
    for name, digest in _mapping(details.get("rows")).items():
        recorded["rows"][name] = (row.seq, digest)


def _check_rows(conn: Connection, recorded: dict[str, dict[Any, str]], out: Verification) -> None:
    revs = recorded["revision"]
    for r in conn.execute(select(m.case_revisions.c.case_id, m.case_revisions.c.revision,
                                 m.case_revisions.c.body, m.case_revisions.c.body_sha256)):
        want = revs.pop((r.case_id, r.revision), None)
        if want is None or want != r.body_sha256 or sha256_text(r.body) != want:
            out.problems.append(f"case {r.case_id} revision {r.revision}: body does not match the audit trail")
    out.problems.extend(f"case {c} revision {n}: recorded in the audit trail but missing" for c, n in revs)
    dets = recorded["determination"]
    for d in conn.execute(select(m.determinations.c.id, m.determinations.c.result,
                                 m.determinations.c.result_sha256)):
        want = dets.pop(d.id, None)
        if want is None or want != d.result_sha256 or sha256_text(d.result) != want:
            out.problems.append(f"determination {d.id}: does not match the audit trail")
    out.problems.extend(f"determination {i}: recorded in the audit trail but missing" for i in dets)
    revd = recorded["review"]
    for v in conn.execute(select(m.reviews)):
        want = revd.pop(v.id, None)
        if want is None or review_digest(v.decision, v.rationale, json.loads(v.criteria)) != want:
            out.problems.append(f"review {v.id}: does not match the audit trail")
    out.problems.extend(f"review {i}: recorded in the audit trail but missing" for i in revd)
