"""API users and their bearer tokens (stored as SHA-256 hashes), and the role rules.

Roles: `submitter` (bound to one organization: submits, reads and updates only that organization's
cases), `reviewer` (reads every case, records final decisions), `admin` (reads every case and the
audit trail). A token is 256 random bits, so a plain SHA-256 is enough to store it safely.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import re
import secrets
import threading
import time
from dataclasses import dataclass

from sqlalchemy import Engine, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from priorauth.errors import USAGE, PriorAuthError
from priorauth.service.audit import chain
from priorauth.service.store import models as m
from priorauth.service.store.db import reading, writing

SUBMITTER, REVIEWER, ADMIN = "submitter", "reviewer", "admin"
ROLES = (SUBMITTER, REVIEWER, ADMIN)
TOKEN_PREFIX = "pa_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@\-]{0,99}$")


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str
    org: str | None

    def sees(self, case_org: str | None) -> bool:
        """Whether this user may know that a case of organization `case_org` exists."""
        return self.role != SUBMITTER or (self.org is not None and case_org == self.org)


CLI_USER = User(id=0, name="cli", role=ADMIN, org=None)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


TOKEN_DAYS = 90  # a token's default life; `users rotate` gives a user a new one


def _expiry(days: int | None) -> dt.datetime | None:
    if days is None:
        days = TOKEN_DAYS
    if not 0 <= days <= 3650:
        raise PriorAuthError(USAGE, "--expires-days", "0 (never) to 3650 days")
    return m.now() + dt.timedelta(days=days) if days else None


def add_user(engine: Engine, name: str, role: str, org: str | None, actor: User = CLI_USER,
             expires_days: int | None = None) -> tuple[User, str]:
    """Create a user; returns it with its token, which is shown once and stored only as a hash, and stops working
    after `expires_days` (default TOKEN_DAYS; 0: never)."""
    if not _NAME.match(name):
        raise PriorAuthError(USAGE, "NAME", "letters, digits and . _ @ - only, at most 100 characters")
    if role not in ROLES:
        raise PriorAuthError(USAGE, "--role", f"one of {', '.join(ROLES)}")
    if role == SUBMITTER and not org:
        raise PriorAuthError(USAGE, "--org", "a submitter belongs to one organization: give --org")
    if role != SUBMITTER and org:
        raise PriorAuthError(USAGE, "--org", f"only submitters belong to an organization, not a {role}")
    if org is not None and not _NAME.match(org):
        raise PriorAuthError(USAGE, "--org", "letters, digits and . _ @ - only, at most 100 characters")
    token, expires = new_token(), _expiry(expires_days)
    try:
        with writing(engine) as conn:
            uid = conn.execute(insert(m.users).values(name=name, role=role, org=org, token_hash=hash_token(token),
                                                      created_at=m.now(), expires_at=expires)
                               .returning(m.users.c.id)).scalar_one()
            chain.touch(conn, m.users, id=uid)
            chain.append(conn, actor.name, actor.role, "user.create", None,
                         {"user": name, "user_id": uid, "role": role, "org": org})
    except IntegrityError:
        raise PriorAuthError(USAGE, "NAME", f"a user named {name!r} already exists") from None
    return User(uid, name, role, org), token


def revoke_user(engine: Engine, name: str, actor: User = CLI_USER) -> None:
    """Revoke a user's token: the next request with it is refused, by every worker and instance (tokens are
    looked up on every request, see TokenCache)."""
    with writing(engine) as conn:
        uid = conn.execute(update(m.users).where(m.users.c.name == name, m.users.c.revoked_at.is_(None))
                           .values(revoked_at=m.now()).returning(m.users.c.id)).scalar()
        if uid is None:
            raise PriorAuthError(USAGE, "NAME", f"no active user named {name!r}")
        chain.touch(conn, m.users, id=uid)
        chain.append(conn, actor.name, actor.role, "user.revoke", None, {"user": name})


def rotate_token(engine: Engine, name: str, actor: User = CLI_USER, expires_days: int | None = None) -> str:
    """A new token for an active user (the old one stops working at once); returns it, shown once."""
    token, expires = new_token(), _expiry(expires_days)
    with writing(engine) as conn:
        uid = conn.execute(update(m.users).where(m.users.c.name == name, m.users.c.revoked_at.is_(None))
                           .values(token_hash=hash_token(token), expires_at=expires)
                           .returning(m.users.c.id)).scalar()
        if uid is None:
            raise PriorAuthError(USAGE, "NAME", f"no active user named {name!r}")
        chain.touch(conn, m.users, id=uid)
        chain.append(conn, actor.name, actor.role, "user.rotate", None, {"user": name})
    return token


def list_users(engine: Engine) -> list[dict]:
    with reading(engine) as conn:
        rows = conn.execute(select(m.users.c.name, m.users.c.role, m.users.c.org, m.users.c.created_at,
                                   m.users.c.revoked_at, m.users.c.expires_at).order_by(m.users.c.name)).all()
    return [{"name": r.name, "role": r.role, "org": r.org, "created_at": m.iso(r.created_at),
             "revoked": r.revoked_at is not None, "expires_at": m.iso(r.expires_at) if r.expires_at else None}
            for r in rows]


class TokenCache:
    """token hash -> user. By default nothing is kept (`ttl` 0): every request looks its token up, so a revoked,
    rotated or expired token is refused at once by every worker and instance (a 5 s cache let a revoked token
    work for 43 more requests). Lookups are single-flight per process: concurrent requests with one token share
    one query instead of each taking a connection, which keeps the cost of that under load.
    """

    def __init__(self, engine: Engine, ttl: float = 0.0):
        self.engine, self.ttl = engine, ttl
        self._entries: dict[str, tuple[float, User | None]] = {}
        self._inflight: dict[str, asyncio.Future] = {}
        self._lock = threading.Lock()

    def cached(self, token: str) -> tuple[bool, User | None]:
        entry = self._entries.get(hash_token(token))
        if entry and entry[0] > time.monotonic():
            return True, entry[1]
        return False, None

    async def user_for(self, token: str) -> User | None:
        digest = hash_token(token)
        entry = self._entries.get(digest)
        if entry and entry[0] > time.monotonic():
            return entry[1]
        pending = self._inflight.get(digest)
        if pending is not None:
            return await asyncio.shield(pending)
        future = asyncio.get_running_loop().create_future()
        self._inflight[digest] = future
        try:
            user = await run_in_threadpool(self._lookup, digest)
            future.set_result(user)
            return user
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters get it; no "never retrieved" warning without them
            raise
        finally:
            del self._inflight[digest]

    def lookup(self, token: str) -> User | None:
        return self._lookup(hash_token(token))

    def _lookup(self, digest: str) -> User | None:
        with reading(self.engine) as conn:
            row = conn.execute(select(m.users.c.id, m.users.c.name, m.users.c.role, m.users.c.org)
                               .where(m.users.c.token_hash == digest, m.users.c.revoked_at.is_(None),
                                      or_(m.users.c.expires_at.is_(None), m.users.c.expires_at > m.now()))).first()
        user = User(row.id, row.name, row.role, row.org) if row else None
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[digest] = (time.monotonic() + self.ttl, user)
        return user
