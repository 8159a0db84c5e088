"""The audit key: 256 random bits the operator keeps outside the database, so an event's hash (an HMAC) and a
checkpoint's signature cannot be recomputed by anyone who can only write to the database.

Where it comes from, first found wins: `PRIORAUTH_AUDIT_KEY` (64 hex digits, e.g. from a secret manager), the file
`PRIORAUTH_AUDIT_KEY_FILE`, else a file beside the data: `<database file>.key` for SQLite, `$PRIORAUTH_DATA_DIR/
audit.key` for PostgreSQL. `priorauth init` (and the first write to a new store) creates the file, mode 0600.
Keep a copy elsewhere: without the key the trail cannot be verified, and anyone holding it can forge one.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import stat
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from priorauth.errors import USAGE, PriorAuthError
from priorauth.service.store.config import data_dir

KEY_ENV = "PRIORAUTH_AUDIT_KEY"
KEY_FILE_ENV = "PRIORAUTH_AUDIT_KEY_FILE"
CHECKPOINTS_ENV = "PRIORAUTH_AUDIT_CHECKPOINTS"
_LOADED: dict[str, bytes] = {}


def _beside_data(url: str | URL, env: str, suffix: str, shared: str | None) -> Path:
    """`env` when set; else beside a SQLite file (`<file><suffix>`), else under the data directory: `shared`
    (one for every PostgreSQL database) or one file per database (`audit-HOST-PORT-DB<suffix>`)."""
    configured = os.environ.get(env, "").strip()
    if configured:
        return Path(configured)
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        return Path(f"{parsed.database}{suffix}")
    if shared:
        return data_dir() / shared
    name = "-".join(re.sub(r"[^A-Za-z0-9_.]", "_", str(part)) for part in
                    (parsed.host or "local", parsed.port or 5432, parsed.database or "db"))
    return data_dir() / f"audit-{name}{suffix}"


def key_path(url: str | URL) -> Path:
    """The key file for the store at `url` (when the key is not given in the environment)."""
    return _beside_data(url, KEY_FILE_ENV, ".key", "audit.key")


def checkpoints_path(url: str | URL) -> Path:
    """Where signed checkpoints of the trail go by default: `PRIORAUTH_AUDIT_CHECKPOINTS`, else one file per
    database beside the data (`<database file>.checkpoints`; `audit-HOST-PORT-DB.checkpoints` for PostgreSQL)."""
    return _beside_data(url, CHECKPOINTS_ENV, ".checkpoints", None)


def audit_key(url: str | URL, create: bool = True) -> bytes:
    """The key for the store at `url`; created (0600) when there is none and `create` is set."""
    given = os.environ.get(KEY_ENV, "").strip()
    if given:
        return _parse(given, KEY_ENV)
    path = key_path(url)
    cached = _LOADED.get(str(path))
    if cached is not None:
        return cached
    if not path.exists():
        if not create:
            raise PriorAuthError(USAGE, KEY_FILE_ENV, f"no audit key at {path}: give the key the trail was made "
                                 f"with ({KEY_ENV} or {KEY_FILE_ENV}), or run `priorauth init` for a new store")
        _create(path)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise PriorAuthError(USAGE, str(path), f"the audit key is readable by others (mode {mode:o}): chmod 600 it")
    key = _parse(path.read_text(encoding="ascii", errors="replace").strip(), str(path))
    _LOADED[str(path)] = key
    return key


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use that one
        return
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(secrets.token_hex(32) + "\n")


def _parse(text: str, where: str) -> bytes:
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise PriorAuthError(USAGE, where, "an audit key is 64 hexadecimal digits (256 bits)")
    return key


def sign(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()
