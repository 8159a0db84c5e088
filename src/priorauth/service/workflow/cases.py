"""Cases: submit (idempotent), read, list, add documents (re-evaluate). Every call is an audit event.

The engine runs outside the transaction; each change is one write transaction holding the case row,
its revision, its determinations and the audit event, so a crash leaves all of it or none of it.
Updates are optimistic: `UPDATE cases ... WHERE version = <read version>`; no row means someone else
changed the case first, and the caller gets 409.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata
import uuid
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from priorauth.case.model import Case
from priorauth.service.audit import chain
from priorauth.service.auth.users import User
from priorauth.service.store import models as m
from priorauth.service.store.db import reading, writing
from priorauth.service.workflow.errors import Refused, not_found
from priorauth.service.workflow.evaluation import determination_rows, evaluate
from priorauth.service.workflow.review_rules import status_of
from priorauth.service.workflow.state import Store
from priorauth.service.workflow.views import case_view, summaries

PER_PAGE = 50
CASE_ID = re.compile(r"^[0-9a-f]{32}$")  # uuid4().hex
MAX_REF = 200


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused("malformed-json", "the body is not UTF-8", "(body)") from None


def check_ref(case: Case) -> None:
    """The case's own id is stored as its reference: bounded, printable text."""
    ref = case.id
    if len(ref) > MAX_REF:
        raise Refused("invalid-case", f"at most {MAX_REF} characters", "id")
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in ref):
        raise Refused("invalid-case", "control characters are not allowed", "id")


def _insert_revision(conn: Connection, user: User, case_id: str, revision: int, text: str,
                     results: list[dict[str, Any]], at) -> dict[str, Any]:
    body_sha = chain.sha256_text(text)
    conn.execute(insert(m.case_revisions).values(case_id=case_id, revision=revision, body=text,
                                                 body_sha256=body_sha, created_by=user.name, created_at=at))
    rows = determination_rows(case_id, revision, results, at)
    ids = conn.execute(insert(m.determinations).returning(m.determinations.c.id, sort_by_parameter_order=True),
                       rows).scalars().all()
    chain.touch(conn, m.case_revisions, case_id=case_id, revision=revision)
    for det_id in ids:
        chain.touch(conn, m.determinations, id=det_id)
    return {"revision": revision, "body_sha256": body_sha,
            "determinations": {str(i): r["result_sha256"] for i, r in zip(ids, rows, strict=True)},
            "decisions": {r["policy_id"]: r["decision"] for r in rows}}


IDEMPOTENCY_HOURS = 24  # how long a key answers a retry with the case it made; then it may be used again


def _idempotent(conn: Connection, user: User, key: str) -> Any:
    return conn.execute(select(m.idempotency_keys).where(m.idempotency_keys.c.user_id == user.id,
                                                         m.idempotency_keys.c.key == key)).first()


def _replay(store: Store, user: User, key: str, request_sha: str) -> tuple[int, str] | None:
    """A retry within the key's life answers with the case the first request made, as it is now (the record
    keeps the first response's hash and the case's id, not a second copy of the case); an expired key is
    forgotten and the request is a new one."""
    with writing(store.engine) as conn:
        row = _idempotent(conn, user, key)
        if row is None:
            return None
        if row.expires_at is not None and row.expires_at <= m.now():
            conn.execute(delete(m.idempotency_keys).where(m.idempotency_keys.c.user_id == user.id,
                                                          m.idempotency_keys.c.key == key))
            chain.touch(conn, m.idempotency_keys, user_id=user.id, key=key)
            chain.append(conn, user.name, user.role, "case.idempotency.expired", row.case_id, {})
            return None
        if row.request_sha256 != request_sha:
            raise Refused("idempotency-key-reused",
                          "this Idempotency-Key was used for a different body; use a new key", "Idempotency-Key")
        response = json.dumps(case_view(conn, conn.execute(select(m.cases).where(m.cases.c.id == row.case_id)).one()))
        chain.append(conn, user.name, user.role, "case.submit.replayed", row.case_id, {"idempotency_key": True})
    return 201, response


def submit(store: Store, user: User, body: bytes, case: Case, key: str | None) -> tuple[int, str, bool]:
    """Store and evaluate a new case: (status, response JSON, replayed)."""
    check_ref(case)
    text = _text(body)
    request_sha = hashlib.sha256(body).hexdigest()
    if key is not None:
        if not key or len(key) > 200 or not key.isprintable():
            raise Refused("invalid-request", "1 to 200 printable characters", "Idempotency-Key")
        replay = _replay(store, user, key, request_sha)
        if replay:
            return (*replay, True)
    results = evaluate(case, store.compiled)
    try:
        with writing(store.engine) as conn:
            case_id, details = create(conn, user, case, text, results)
            response = json.dumps(case_view(conn, conn.execute(select(m.cases).where(m.cases.c.id == case_id)).one()))
            if key is not None:
                at = m.now()
                conn.execute(insert(m.idempotency_keys).values(
                    user_id=user.id, key=key, request_sha256=request_sha, case_id=case_id,
                    response_sha256=chain.sha256_text(response), created_at=at,
                    expires_at=at + dt.timedelta(hours=IDEMPOTENCY_HOURS)))
                chain.touch(conn, m.idempotency_keys, user_id=user.id, key=key)
            chain.append(conn, user.name, user.role, "case.create", case_id,
                         details | {"idempotency_key": key is not None})
    except IntegrityError:
        if key is None:
            raise
        replay = _replay(store, user, key, request_sha)  # a concurrent retry with the same key won
        if replay is None:
            raise
        return (*replay, True)
    return 201, response, False


def create(conn: Connection, user: User, case: Case, text: str,
           results: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    """Insert a new case, its first revision and determinations in the caller's write transaction: (case id, the
    details for the audit event the caller appends)."""
    case_id, at = uuid.uuid4().hex, m.now()
    status = status_of([(r["decision"], None) for r in results])
    conn.execute(insert(m.cases).values(id=case_id, ref=case.id, org=user.org, payer=case.member.payer,
                                        status=status, version=1, revision=1, created_by=user.name,
                                        created_at=at, updated_at=at))
    chain.touch(conn, m.cases, id=case_id)
    return case_id, _insert_revision(conn, user, case_id, 1, text, results, at)


def find(conn: Connection, case_id: str) -> Any:
    """The case row, or None (also for anything that is not a case id: nothing else reaches the database)."""
    if not CASE_ID.match(case_id):
        return None
    return conn.execute(select(m.cases).where(m.cases.c.id == case_id)).first()


def _visible(conn: Connection, user: User, case_id: str, action: str) -> Any:
    """The case row if this user may see it; else record the attempt and return None."""
    row = find(conn, case_id)
    if row is None or not user.sees(row.org):
        well_formed = bool(CASE_ID.match(case_id))
        chain.append(conn, user.name, user.role, action + ".denied", case_id if well_formed else None,
                     {} if well_formed else {"malformed_id": True})
        return None
    return row


def read(store: Store, user: User, case_id: str) -> dict[str, Any]:
    with writing(store.engine) as conn:
        row = _visible(conn, user, case_id, "case.read")
        if row is not None:
            view = case_view(conn, row)
            chain.append(conn, user.name, user.role, "case.read", case_id, {"version": row.version})
    if row is None:
        raise not_found(f"case {case_id!r}")
    return view


def list_cases(store: Store, user: User, status: str | None, payer: str | None, page: int,
               per_page: int = PER_PAGE) -> dict[str, Any]:
    query = select(m.cases)
    if user.role == "submitter":
        query = query.where(m.cases.c.org == user.org)
    if status:
        query = query.where(m.cases.c.status == status)
    if payer:
        query = query.where(m.cases.c.payer == payer)
    with writing(store.engine) as conn:
        total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = conn.execute(query.order_by(m.cases.c.created_at.desc(), m.cases.c.id)
                            .offset((page - 1) * per_page).limit(per_page)).all()
        items = summaries(conn, rows)
        chain.append(conn, user.name, user.role, "case.list", None,
                     {"status": status, "payer": payer, "page": page, "cases": [r.id for r in rows]})
    return {"items": items, "page": page, "per_page": per_page, "total": total,
            "pages": (total + per_page - 1) // per_page}


def _expect(row: Any, if_match: int | None) -> None:
    if if_match is not None and if_match != row.version:
        raise Refused("conflict", f"the case is at version {row.version}, not {if_match}: reload and retry",
                      "If-Match")


def add_documents(store: Store, user: User, case_id: str, body: bytes, case: Case,
                  if_match: int | None) -> dict[str, Any]:
    """A new revision of the case document, re-evaluated; earlier determinations are kept."""
    text = _text(body)
    with reading(store.engine) as conn:
        row = find(conn, case_id)
    if row is None or not user.sees(row.org):
        with writing(store.engine) as conn:  # a write refused (another organization's case, or none): recorded
            _visible(conn, user, case_id, "case.documents")
        raise not_found(f"case {case_id!r}")
    if case.id != row.ref:
        raise Refused("invalid-case", f"the updated document must keep the case id {row.ref!r}", "id")
    _expect(row, if_match)
    results = evaluate(case, store.compiled)
    with writing(store.engine) as conn:
        reevaluate(conn, user, row, case, text, results)
        view = case_view(conn, conn.execute(select(m.cases).where(m.cases.c.id == case_id)).one())
    return view


def reevaluate(conn: Connection, user: User, row: Any, case: Case, text: str, results: list[dict[str, Any]]) -> None:
    """A new revision of the case `row` (as read before evaluating) in the caller's write transaction, with its
    audit event; a 409 when the case changed since it was read."""
    at, revision = m.now(), row.revision + 1
    status = status_of([(r["decision"], None) for r in results])
    changed = conn.execute(update(m.cases).where(m.cases.c.id == row.id, m.cases.c.version == row.version)
                           .values(version=row.version + 1, revision=revision, status=status,
                                   payer=case.member.payer, updated_at=at)).rowcount
    if changed != 1:
        raise Refused("conflict", "the case was changed by another request meanwhile: reload and retry")
    chain.touch(conn, m.cases, id=row.id)
    details = _insert_revision(conn, user, row.id, revision, text, results, at)
    chain.append(conn, user.name, user.role, "case.reevaluate", row.id, details | {"version": row.version + 1})
