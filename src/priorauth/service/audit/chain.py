"""The audit trail: a hash chain of events, appended in the same transaction as the change it records.

Event n stores `hash = sha256(canonical [seq, at, actor, role, action, case, details, prev_hash])` with
`prev_hash` = hash of event n-1, and the single `audit_head` row holds the newest seq and hash. Editing
an event breaks its hash, deleting one breaks the sequence or the links, truncating the tail disagrees
with the head. Events also record the SHA-256 of every case body, determination and review they
created, so `verify` detects edits to those rows too. Details hold identifiers and hashes, never PHI.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from priorauth.service.store import models as m
from priorauth.service.store.db import reading

BATCH = 2000


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def event_hash(seq: int, at: str, actor: str, role: str, action: str, case_id: str | None, details: str,
               prev_hash: str) -> str:
    return sha256_text(canonical([seq, at, actor, role, action, case_id, details, prev_hash]))


def review_digest(decision: str, rationale: str, criteria: list[str]) -> str:
    return sha256_text(canonical([decision, rationale, criteria]))


def append(conn: Connection, actor: str, role: str, action: str, case_id: str | None,
           details: dict[str, Any] | None = None) -> int:
    """Append one event inside the caller's write transaction; returns its sequence number.

    The head row is locked (FOR UPDATE on PostgreSQL; SQLite writers are already serialized), so
    concurrent writers extend the chain one after another and never fork it.
    """
    head = conn.execute(select(m.audit_head.c.seq, m.audit_head.c.hash)
                        .where(m.audit_head.c.id == 1).with_for_update()).one()
    seq, at = head.seq + 1, m.now()
    text = canonical(details or {})
    digest = event_hash(seq, m.iso(at), actor, role, action, case_id, text, head.hash)
    conn.execute(insert(m.audit_events).values(seq=seq, at=at, actor=actor, role=role, action=action,
                                               case_id=case_id, details=text, prev_hash=head.hash, hash=digest))
    conn.execute(update(m.audit_head).where(m.audit_head.c.id == 1).values(seq=seq, hash=digest))
    return seq


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


def verify(engine: Engine, max_problems: int = 20) -> Verification:
    """Check the chain, the head, and the recorded hashes of revisions, determinations and reviews."""
    out = Verification()
    recorded: dict[str, dict[Any, str]] = {"revision": {}, "determination": {}, "review": {}}
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
                digest = event_hash(row.seq, m.iso(row.at), row.actor, row.role, row.action, row.case_id,
                                    row.details, row.prev_hash)
                if digest != row.hash:
                    out.problems.append(f"event {row.seq}: contents do not match its hash (edited)")
                _collect(row, recorded, out)
                prev, expected_seq, last = row.hash, row.seq + 1, row.seq
                out.events += 1
        head = conn.execute(select(m.audit_head.c.seq, m.audit_head.c.hash)).all()
        if len(head) != 1 or (head[0].seq, head[0].hash) != (last, prev):
            out.problems.append(f"audit head does not match the last event {last} (events removed or head edited)")
        out.head = prev
        _check_rows(conn, recorded, out)
    del out.problems[max_problems:]
    return out


def _collect(row: Any, recorded: dict[str, dict[Any, str]], out: Verification) -> None:
    try:
        details = json.loads(row.details)
    except ValueError:
        out.problems.append(f"event {row.seq}: details are not JSON")
        return
    if "body_sha256" in details and "revision" in details:
        recorded["revision"][(row.case_id, details["revision"])] = details["body_sha256"]
    for det_id, digest in (details.get("determinations") or {}).items():
        recorded["determination"][int(det_id)] = digest
    if "review" in details and "review_sha256" in details:
        recorded["review"][details["review"]] = details["review_sha256"]


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
