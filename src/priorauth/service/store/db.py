"""Database engines and transactions for SQLite (WAL, serialized writers) and PostgreSQL.

Reads run in ordinary transactions. Writes run in `writing()`: on SQLite that is `BEGIN IMMEDIATE`, so
writers queue on the database lock (with a busy timeout) instead of failing when a read snapshot turns
stale; on PostgreSQL the audit chain head row is locked last in every write (see audit/chain.py).
SQLite writers first queue on locks of their own, a thread lock within a process and an advisory file
lock (`flock` on `<database>-writer.lock`) across the service's worker processes: SQLite's busy handler
polls with sleeps of up to 100 ms, so under load a waiting writer could lose to newcomers for seconds (a
p99 of 5 s at 50 clients) where a lock hands the database to the next writer at once.
"""

from __future__ import annotations

import fcntl
import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext, suppress
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from priorauth.errors import USAGE, PriorAuthError
from priorauth.service.store.config import database_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_WRITE = "priorauth_write"
def _busy_ms() -> int:
    """How long a write waits for a database another program has locked before the service answers 503
    (`PRIORAUTH_STORE_BUSY_SECONDS`, default 5): a prompt "retry later" rather than a 500 after 30 s."""
    try:
        seconds = float(os.environ.get("PRIORAUTH_STORE_BUSY_SECONDS", "") or 5)
    except ValueError:
        seconds = 5.0
    return int(max(0.1, seconds) * 1000)


SQLITE_BUSY_TIMEOUT_MS = _busy_ms()
_WRITERS: weakref.WeakKeyDictionary[Engine, _Writers] = weakref.WeakKeyDictionary()  # SQLite engines


class _Writers:
    """One writer at a time: the threads of this process in turn, then the processes (an flock on a file beside
    the database; none for an in-memory database)."""

    def __init__(self, database: str | None):
        self.thread = threading.RLock()
        self.path = f"{database}-writer.lock" if database and database != ":memory:" else None
        self.depth = 0

    @contextmanager
    def held(self) -> Iterator[None]:
        with self.thread:
            if self.path is None or self.depth:
                self.depth += 1
                try:
                    yield
                finally:
                    self.depth -= 1
                return
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                self.depth += 1
                try:
                    yield
                finally:
                    self.depth -= 1
            finally:
                os.close(fd)  # closing releases the lock


def make_engine(url: str | None = None) -> Engine:
    url = url or database_url()
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - any parse failure is a usage error
        raise PriorAuthError(USAGE, "PRIORAUTH_DATABASE_URL", "not a database URL") from None
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    if parsed.get_backend_name() == "postgresql":  # a lock held elsewhere for long: 503 (see _busy_ms), not a hang
        return create_engine(url, hide_parameters=True, pool_pre_ping=True, pool_size=10, max_overflow=20,
                             pool_timeout=_busy_ms() / 1000 + 5,
                             connect_args={"options": f"-c lock_timeout={_busy_ms() * 2}"})
    raise PriorAuthError(USAGE, "PRIORAUTH_DATABASE_URL",
                         f"unsupported database {parsed.get_backend_name()!r} (sqlite or postgresql+psycopg)")


_SERVE_LOCKS: list[int] = []


def hold_serve_lock(url: str) -> None:
    """SQLite: take `<database>-serve.lock` for the life of this process, so a second `serve` on the same file is
    refused, named, rather than sharing it (one writer process at a time is what SQLite can do well; use
    PostgreSQL to run several instances). Released by the kernel however the process ends."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return
    path = f"{parsed.database}-serve.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise PriorAuthError(USAGE, "PRIORAUTH_DATABASE_URL", f"another `priorauth serve` is using {parsed.database} "
                             "(one server per SQLite file: stop it first, or use PostgreSQL for several)") from None
    _SERVE_LOCKS.append(fd)


def _private_file(database: str | None) -> None:
    """Create the SQLite file readable by its owner only (SQLite gives its -wal and -shm files the same mode),
    and tighten one an older version left world-readable."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    with suppress(OSError):  # a missing folder: check_database names it
        os.close(os.open(database, os.O_RDWR | os.O_CREAT, 0o600))
    for path in (database, f"{database}-wal", f"{database}-shm"):
        with suppress(OSError):
            if os.stat(path).st_mode & 0o077:
                os.chmod(path, 0o600)


def _sqlite_engine(url: str) -> Engine:
    _private_file(make_url(url).database)
    engine = create_engine(url, hide_parameters=True, pool_size=10, max_overflow=30,
                           connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see _begin)
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")

    _WRITERS[engine] = _Writers(make_url(url).database)
    return engine


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction: committed on success, rolled back on any exception."""
    writers = _WRITERS.get(engine)
    with writers.held() if writers else nullcontext(), engine.connect() as conn:
        conn.execution_options(**{_WRITE: True})
        with conn.begin():
            yield conn


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn, conn.begin():
        yield conn


def alembic_config(conn: Connection | None):
    """Alembic configuration for the packaged migrations, running on `conn` when given."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent)."""
    from alembic import command

    with engine.connect() as conn:
        conn.execution_options(**{_WRITE: True})
        command.upgrade(alembic_config(conn), "head")
        conn.commit()


def schema_is_current(engine: Engine) -> bool:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    heads = set(ScriptDirectory.from_config(alembic_config(None)).get_heads())
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads()) == heads


def check_database(engine: Engine) -> None:
    """Raise a usage error naming the (masked) URL if the database cannot be reached."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - reported as one line, never with parameters
        raise PriorAuthError(USAGE, engine.url.render_as_string(hide_password=True),
                             f"cannot open the database ({type(exc).__name__})") from None
