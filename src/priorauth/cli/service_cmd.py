"""`priorauth serve`, `priorauth users add|list|revoke`, `priorauth audit verify|show`.

All use the database from PRIORAUTH_DATABASE_URL (default: a SQLite file under $PRIORAUTH_DATA_DIR,
else ./data/priorauth.db). The web and database libraries are imported only when one of them runs.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

DB_HELP = ("Database: PRIORAUTH_DATABASE_URL (sqlite:///FILE or postgresql+psycopg://...), default "
           "$PRIORAUTH_DATA_DIR/priorauth.db or ./data/priorauth.db.")

users_app = typer.Typer(help="API users and their tokens. " + DB_HELP, no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit trail. " + DB_HELP, no_args_is_help=True)


class Role(StrEnum):
    submitter = "submitter"
    reviewer = "reviewer"
    admin = "admin"


def _engine(migrate: bool):
    from priorauth.service.store.config import database_url
    from priorauth.service.store.db import check_database, make_engine
    from priorauth.service.store.db import migrate as run_migrations

    engine = make_engine(database_url())
    check_database(engine)
    if migrate:
        run_migrations(engine)
    return engine


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (one per core is a good start).")] = 1,
    log_level: Annotated[str, typer.Option(help="critical, error, warning, info or debug.")] = "info",
    policies: Annotated[Path | None, typer.Option(
        "--policies", help="Directory of policy files (default: $PRIORAUTH_POLICIES, else the policies shipped "
                           "with priorauth).", show_default=False)] = None,
    docs: Annotated[bool, typer.Option("--docs", help="Also serve interactive API docs at /docs (Swagger UI, "
                                                      "loaded from a CDN at a pinned version).")] = False,
    ssl_certfile: Annotated[Path | None, typer.Option("--ssl-certfile", help="TLS certificate (PEM): serve HTTPS, "
                                                      "with Strict-Transport-Security.", show_default=False)] = None,
    ssl_keyfile: Annotated[Path | None, typer.Option("--ssl-keyfile", help="The certificate's private key (PEM).",
                                                     show_default=False)] = None,
) -> None:
    """Run the REST API (OpenAPI at /openapi.json). Migrates the database first."""
    import uvicorn

    from priorauth.policy.loader import load_policies
    from priorauth.service.store.config import DATABASE_URL_ENV, POLICIES_ENV, database_url, display_url, policy_dir

    policies = policies or policy_dir()
    if policies is not None:
        load_policies(policies)  # a bad directory or file stops here, named, before the server starts
        os.environ[POLICIES_ENV] = str(policies.resolve())  # the app (and every worker) loads the same
    logging.basicConfig(level=log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if docs:
        from priorauth.service.http.app import DOCS_ENV

        os.environ[DOCS_ENV] = "1"
    url = database_url()
    engine = _engine(migrate=True)
    engine.dispose()
    from priorauth.service.store.db import hold_serve_lock

    hold_serve_lock(url)  # SQLite: one server per database file
    from priorauth.service.http.protocol import server_options

    options = dict(access_log=False, log_level=log_level, server_header=False, timeout_graceful_shutdown=5,
                   **server_options())
    scheme = "http"
    if ssl_certfile or ssl_keyfile:
        for name, given in (("--ssl-certfile", ssl_certfile), ("--ssl-keyfile", ssl_keyfile)):
            if given is None or not given.is_file():
                from priorauth.errors import USAGE, PriorAuthError

                raise PriorAuthError(USAGE, name, f"not a file: {given}" if given else "give both files for TLS")
        options |= {"ssl_certfile": str(ssl_certfile), "ssl_keyfile": str(ssl_keyfile)}
        scheme = "https"
    typer.echo(f"priorauth service on {scheme}://{host}:{port} (database {display_url(url)})", err=True)
    if workers > 1:
        from priorauth.service.http import workers as pool

        os.environ[DATABASE_URL_ENV] = url  # the workers open the same database
        pool.run(workers, host, port, options)
    else:
        from priorauth.service.http.app import create_app

        uvicorn.run(create_app(), host=host, port=port, **options)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="User name (letters, digits, . _ @ -).")],
    role: Annotated[Role, typer.Option("--role", help="submitter, reviewer or admin.")],
    org: Annotated[str | None, typer.Option("--org", help="The submitter's organization (submitters only).")]
    = None,
    expires_days: Annotated[int, typer.Option("--expires-days", help="Days the token works (0: never).")] = 90,
) -> None:
    """Create a user and print its API token once, as the last word of the output."""
    from priorauth.service.auth.users import add_user

    user, token = add_user(_engine(migrate=True), name, role.value, org, expires_days=expires_days)
    where = f" of {user.org}" if user.org else ""
    life = f"works for {expires_days} days" if expires_days else "never expires"
    typer.echo(f"Created {user.role} {user.name}{where}. Its token {life} and is shown only now; keep it secret:")
    typer.echo(token)


@users_app.command("rotate")
def users_rotate(
    name: Annotated[str, typer.Argument(help="User name.")],
    expires_days: Annotated[int, typer.Option("--expires-days", help="Days the new token works (0: never).")] = 90,
) -> None:
    """Give a user a new token (the old one stops working at once) and print it once, as the last word."""
    from priorauth.service.auth.users import rotate_token

    token = rotate_token(_engine(migrate=True), name, expires_days=expires_days)
    typer.echo(f"New token for {name}; the old one no longer works. Shown only now; keep it secret:")
    typer.echo(token)


@users_app.command("list")
def users_list() -> None:
    """List users (never their tokens)."""
    from priorauth.service.auth.users import list_users

    for u in list_users(_engine(migrate=True)):
        state = "revoked" if u["revoked"] else "active"
        typer.echo(f"{u['name']}\t{u['role']}\t{u['org'] or '-'}\t{state}\t{u['created_at']}\t"
                   f"expires {u['expires_at'] or 'never'}")


@users_app.command("revoke")
def users_revoke(name: Annotated[str, typer.Argument(help="User name.")]) -> None:
    """Revoke a user's token (the next request with it is refused, by every worker)."""
    from priorauth.service.auth.users import revoke_user

    revoke_user(_engine(migrate=True), name)
    typer.echo(f"Revoked {name}.")


def _existing_engine():
    from priorauth.errors import USAGE, PriorAuthError
    from priorauth.service.store.db import schema_is_current

    engine = _engine(migrate=False)
    if not schema_is_current(engine):
        raise PriorAuthError(USAGE, "database", "no priorauth store here (or not migrated): nothing to verify")
    return engine


CHECKPOINTS_HELP = ("File of signed checkpoints (JSON lines; default $PRIORAUTH_AUDIT_CHECKPOINTS, else beside the "
                    "audit key). Keep it, or copies of it, outside the database's machine.")


def _checkpoint_file(engine, given: Path | None) -> Path:
    from priorauth.service.store.audit_key import checkpoints_path

    return given or checkpoints_path(engine.url)


@audit_app.command("verify")
def audit_verify(
    checkpoints: Annotated[Path | None, typer.Option("--checkpoints", help=CHECKPOINTS_HELP,
                                                     show_default=False)] = None,
) -> None:
    """Check the keyed hash chain, every sealed row (users, cases, revisions, determinations, reviews,
    idempotency and FHIR records) against the trail, the append-only triggers, and the chain against the signed
    checkpoints (a truncated or rewritten trail disagrees with them).

    Exit status 0: intact. 1: tampering found (each problem is listed). 2: no store, or no audit key.
    """
    from priorauth.service.audit.chain import read_checkpoints, verify

    engine = _existing_engine()
    path = _checkpoint_file(engine, checkpoints)
    if checkpoints is not None and not path.exists():
        from priorauth.errors import USAGE, PriorAuthError

        raise PriorAuthError(USAGE, "--checkpoints", f"no such file: {path}")
    taken = read_checkpoints(path)
    result = verify(engine, taken)
    if result.ok:
        against = f", {len(taken)} checkpoint(s) agree" if taken else \
            ", no checkpoint to compare (see audit checkpoint)"
        typer.echo(f"audit trail intact: {result.events} events, head {result.head}{against}")
        return
    typer.echo(f"audit trail TAMPERED: {len(result.problems)} problem(s) in {result.events} events", err=True)
    for problem in result.problems:
        typer.echo(f"  {problem}", err=True)
    raise typer.Exit(1)


@audit_app.command("checkpoint")
def audit_checkpoint(
    file: Annotated[Path | None, typer.Option("--file", help=CHECKPOINTS_HELP, show_default=False)] = None,
) -> None:
    """Sign the trail's head now and append it to the checkpoint file (and print it, e.g. for a ticket).

    `audit verify` then detects a trail truncated below it or rewritten, which the database alone cannot show.
    The service also writes one every minute the trail has grown.
    """
    from priorauth.service.audit.chain import checkpoint, write_checkpoint

    engine = _existing_engine()
    taken = checkpoint(engine)
    write_checkpoint(_checkpoint_file(engine, file), taken)
    typer.echo(json.dumps(taken))


@audit_app.command("show")
def audit_show(
    case: Annotated[str | None, typer.Option("--case", help="Only this case's events.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many events (the newest).")] = 50,
) -> None:
    """Print audit events as JSON lines (identifiers and hashes only)."""
    from sqlalchemy import select

    from priorauth.service.audit.chain import event_dict
    from priorauth.service.store import models as m
    from priorauth.service.store.db import reading

    query = select(m.audit_events).order_by(m.audit_events.c.seq.desc()).limit(limit)
    if case:
        query = query.where(m.audit_events.c.case_id == case)
    with reading(_existing_engine()) as conn:
        rows = list(reversed(conn.execute(query).all()))
    for row in rows:
        typer.echo(json.dumps(event_dict(row)))


def init() -> None:
    """Set up a new store: the database (migrated) and its audit key (PRIORAUTH_AUDIT_KEY_FILE, else beside the
    data), created readable by their owner only. Prints where each is; keep a copy of the key elsewhere."""
    from priorauth.service.store.audit_key import KEY_ENV, audit_key, key_path
    from priorauth.service.store.config import database_url, display_url

    url = database_url()
    audit_key(url)  # the key first: the migrations re-key an older trail with it
    _engine(migrate=True).dispose()
    typer.echo(f"database: {display_url(url)}")
    where = f"${KEY_ENV}" if os.environ.get(KEY_ENV, "").strip() else str(key_path(url))
    typer.echo(f"audit key: {where} (keep a copy outside this machine: the trail cannot be verified without it)")


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(serve)
    app.add_typer(users_app, name="users")
    app.add_typer(audit_app, name="audit")
