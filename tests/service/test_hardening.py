"""What a payer's security review found missing (issue: hardening the service), each probe a test against a real
server: the headers every response carries, the docs page off by default, a private database file, and URL
segments that are not ours kept out of the log."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import stat
import time

import httpx
import pytest

from .helpers import Server, case_doc

SECURITY_HEADERS = {"cache-control": "no-store", "x-content-type-options": "nosniff", "x-frame-options": "DENY",
                    "content-security-policy": "default-src 'none'; frame-ancestors 'none'"}


def test_every_kind_of_response_carries_the_no_store_and_nosniff_headers(api):
    answers = [
        api.request("POST", "/v1/determinations", "clinic_a", case_doc("hdr-1")),  # PHI out
        api.request("GET", "/v1/cases", None),  # 401
        api.request("GET", "/v1/cases/" + "0" * 32, "clinic_a"),  # 404
        api.request("GET", "/openapi.json"),
        api.request("GET", "/fhir/metadata"),
        api.request("GET", "/healthz"),
    ]
    for r in answers:
        for name, want in SECURITY_HEADERS.items():
            assert r.headers.get(name) == want, (r.request.url, r.status_code, name, r.headers.get(name))
        assert "strict-transport-security" not in r.headers  # plain HTTP: HSTS only over TLS


def test_the_docs_page_is_off_unless_asked_for(api):
    assert api.request("GET", "/docs").status_code == 404


def test_docs_when_asked_for_load_one_pinned_version(database, tmp_path):
    server = Server(database, tmp_path / "docs.log", args=["--docs"]).start()
    try:
        page = httpx.get(server.base + "/docs", timeout=10)
        assert page.status_code == 200 and "swagger-ui-dist@5.17.14/" in page.text and "@5/" not in page.text
        assert "script-src 'self' https://cdn.jsdelivr.net" in page.headers["content-security-policy"]
    finally:
        server.stop()


def test_a_name_in_a_url_is_not_logged_and_our_ids_are(api):
    case_id = api.submit(case_doc("hdr-2")).json()["id"]
    api.request("GET", "/v1/cases/jane-doe-1968", "clinic_a")
    api.request("GET", "/v1/policies/jane-doe", "clinic_a")
    api.request("GET", f"/v1/cases/{case_id}", "clinic_a")
    # The access line is written once the response has gone out: on a loaded machine, after the client has it.
    deadline = time.monotonic() + 10
    while f"GET /v1/cases/{case_id} 200" not in (log := api.server.log()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "jane-doe" not in log
    assert "GET /v1/cases/(other) 404" in log and f"GET /v1/cases/{case_id} 200" in log


def test_the_sqlite_file_is_readable_by_its_owner_only(api):
    if api.backend != "sqlite":
        pytest.skip("a file only on SQLite")
    path = api.server.db_url.removeprefix("sqlite:///")
    api.submit(case_doc("hdr-3"))
    for name in (path, path + "-wal", path + "-shm"):
        if os.path.exists(name):
            assert stat.S_IMODE(os.stat(name).st_mode) == 0o600, name


# --- the HTTP layer without a token ------------------------------------------------------------------------------

@pytest.fixture
def strict(database, tmp_path):
    """A server with the limits on (and small, to test them quickly), one admin user."""
    from .helpers import add_user

    token = add_user(database, "boss", "admin")
    server = Server(database, tmp_path / "strict.log", extra_env={
        "PRIORAUTH_AUTH_FAILURES": "5", "PRIORAUTH_LOCKOUT_SECONDS": "30", "PRIORAUTH_RATE_LIMIT": "0",
        "PRIORAUTH_HEADER_TIMEOUT": "1"}).start()
    yield server, token
    server.stop()


def _raw(server: Server) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    return sock


def test_a_connection_that_never_finishes_its_headers_is_closed(strict):
    server, _ = strict
    sock = _raw(server)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # and nothing more
    t0 = time.monotonic()
    assert sock.recv(1024) == b""  # closed by the server ...
    assert time.monotonic() - t0 < 4  # ... after the 1 s head timeout, not never
    sock.close()


def test_a_header_bomb_is_refused_and_the_server_keeps_serving(strict):
    server, _ = strict
    sock = _raw(server)
    answer = b""
    # The server may refuse and close before the megabyte is sent: a broken pipe is a refusal too.
    with contextlib.suppress(OSError):
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1024 * 1024) + b"\r\n\r\n")
    with contextlib.suppress(OSError):
        answer = sock.recv(1024)
    sock.close()
    assert answer == b"" or answer.startswith(b"HTTP/1.1 4")
    assert httpx.get(server.base + "/healthz", timeout=5).status_code == 200


def test_repeated_bad_tokens_lock_the_source_out_with_retry_after_and_the_trail_says_so(strict):
    server, token = strict
    for _ in range(10):  # no token at all guesses nothing: never counted
        assert httpx.get(server.base + "/v1/cases").status_code == 401
    for _ in range(5):  # the fifth wrong token locks the address out
        assert httpx.get(server.base + "/v1/cases", headers={"Authorization": "Bearer pa_guess"}).status_code == 401
    locked = httpx.get(server.base + "/v1/cases", headers={"Authorization": f"Bearer {token}"})
    assert locked.status_code == 429 and 1 <= int(locked.headers["retry-after"]) <= 30
    assert locked.json()["code"] == "too-many-requests"
    assert httpx.get(server.base + "/healthz").status_code == 200  # the health check is never locked
    from sqlalchemy import create_engine, text

    engine = create_engine(server.db_url)
    with engine.connect() as conn:
        details = conn.execute(text("SELECT details FROM audit_events WHERE action = 'auth.refused'")).scalars().all()
    engine.dispose()
    assert len(details) == 15 and sum('"locked_out":true' in d for d in details) == 1


def test_a_source_over_its_rate_gets_429(database, tmp_path):
    server = Server(database, tmp_path / "rate.log", extra_env={"PRIORAUTH_RATE_LIMIT": "5"}).start()
    try:
        with httpx.Client() as client:
            codes = [client.get(server.base + "/openapi.json").status_code for _ in range(40)]
        assert codes.count(429) > 0 and codes[0] == 200
    finally:
        server.stop()


def test_a_revoked_token_is_refused_on_the_very_next_request(api):
    from .helpers import add_user, cli

    token = add_user(api.server.db_url, "short-lived", "reviewer")
    auth = {"Authorization": f"Bearer {token}"}
    assert api.client.get(api.server.base + "/v1/cases", headers=auth).status_code == 200
    assert cli("users", "revoke", "short-lived", env={"PRIORAUTH_DATABASE_URL": api.server.db_url}).returncode == 0
    assert api.client.get(api.server.base + "/v1/cases", headers=auth).status_code == 401


def test_a_rotated_token_replaces_the_old_one_at_once(api):
    from .helpers import add_user, cli

    old = add_user(api.server.db_url, "rotating", "reviewer")
    proc = cli("users", "rotate", "rotating", env={"PRIORAUTH_DATABASE_URL": api.server.db_url})
    new = proc.stdout.split()[-1]
    assert api.client.get(api.server.base + "/v1/cases", headers={"Authorization": f"Bearer {old}"}).status_code == 401
    assert api.client.get(api.server.base + "/v1/cases", headers={"Authorization": f"Bearer {new}"}).status_code == 200


def test_an_expired_token_is_refused(api):
    from .helpers import add_user

    token = add_user(api.server.db_url, "expired", "reviewer")
    from sqlalchemy import create_engine, text

    engine = create_engine(api.server.db_url)
    with engine.begin() as conn:  # the clock moved on (the seal of this row now disagrees: that is the point)
        conn.execute(text("UPDATE users SET expires_at = '2000-01-01 00:00:00' WHERE name = 'expired'"))
    engine.dispose()
    assert api.client.get(api.server.base + "/v1/cases", headers={"Authorization": f"Bearer {token}"}).status_code \
        == 401


# --- what the trail records ---------------------------------------------------------------------------------------

def _events(api, action: str) -> list[dict]:
    page = api.request("GET", "/v1/audit?per_page=500&page=1", "admin").json()
    pages = [page]
    for n in range(2, (page["total"] + 499) // 500 + 1):
        pages.append(api.request("GET", f"/v1/audit?per_page=500&page={n}", "admin").json())
    return [e for p in pages for e in p["events"] if e["action"] == action]


def test_an_evaluation_is_an_event_with_its_request_id_and_source_and_no_phi(api):
    r = api.request("POST", "/v1/determinations", "reviewer", case_doc("audited-1"),
                    headers={"X-Request-ID": "trace-0001-abc"})
    assert r.status_code == 200 and r.headers["x-request-id"] == "trace-0001-abc"
    [event] = [e for e in _events(api, "case.evaluate") if e["details"]["request"]["id"] == "trace-0001-abc"]
    assert event["actor"] == "reviewer" and event["details"]["request"]["source"] == "127.0.0.1"
    assert "audited-1" not in json.dumps(event) and "Zyxwvut" not in json.dumps(event)


def test_refusals_are_events_401_403_and_another_organizations_case(api):
    case_id = api.submit(case_doc("audited-2")).json()["id"]
    api.request("GET", "/v1/cases", None, headers={"X-Request-ID": "trace-401-xyz"})
    api.request("GET", "/v1/audit", "clinic_a", headers={"X-Request-ID": "trace-403-xyz"})
    api.request("POST", f"/v1/cases/{case_id}/documents", "clinic_b", case_doc("audited-2"),
                headers={"X-Request-ID": "trace-404-xyz"})
    ids = {e["details"].get("request", {}).get("id"): e for e in _events(api, "auth.refused")
           + _events(api, "auth.forbidden") + _events(api, "case.documents.denied")}
    assert ids["trace-401-xyz"]["action"] == "auth.refused"
    assert ids["trace-403-xyz"]["action"] == "auth.forbidden" and ids["trace-403-xyz"]["actor"] == "clinic_a"
    assert ids["trace-404-xyz"]["action"] == "case.documents.denied" and ids["trace-404-xyz"]["case"] == case_id


def test_an_idempotency_record_keeps_a_hash_not_a_copy_and_a_retry_gets_the_case(api):
    first = api.submit(case_doc("idem-copy"), headers={"Idempotency-Key": "idem-copy-1"})
    again = api.submit(case_doc("idem-copy"), headers={"Idempotency-Key": "idem-copy-1"})
    assert again.headers.get("idempotent-replayed") == "true" and again.json()["id"] == first.json()["id"]
    from sqlalchemy import create_engine, text

    engine = create_engine(api.server.db_url)
    with engine.connect() as conn:
        columns = [c for c in conn.execute(text("SELECT * FROM idempotency_keys")).keys()]
    engine.dispose()
    assert "response" not in columns and {"response_sha256", "expires_at"} <= set(columns)


# --- PostgreSQL: the service's role may append, not undo -----------------------------------------------------------

def test_the_application_role_can_work_but_not_truncate_drop_triggers_or_alter(database, backend):
    if backend != "postgresql":
        pytest.skip("roles are PostgreSQL's")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from priorauth.service.auth.users import add_user as add
    from priorauth.service.http.body import parse_case
    from priorauth.service.workflow import cases
    from priorauth.service.workflow.state import Store

    from .helpers import denied_case

    owner = create_engine(database)
    with owner.begin() as conn:
        conn.execute(text("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'priorauth_test_app') "
                          "THEN CREATE ROLE priorauth_test_app LOGIN IN ROLE priorauth_app; END IF; END $$"))
    owner.dispose()
    app_url = make_url(database).set(username="priorauth_test_app").render_as_string(hide_password=False)
    store = Store.open(app_url)
    try:
        user, _ = add(store.engine, "clinic", "submitter", "clinic-a")
        body = json.dumps(denied_case("as-app-role")).encode()
        cases.submit(store, user, body, parse_case(body), "k-1")  # inserts, updates, the trail: all allowed
        for statement in ("TRUNCATE audit_events", "DROP TRIGGER audit_events_immutable ON audit_events",
                          "ALTER TABLE determinations ADD COLUMN x int", "DELETE FROM determinations",
                          "UPDATE audit_events SET actor = 'x'", "CREATE TABLE evil (x int)"):
            with pytest.raises(Exception, match="permission denied|must be owner|immutable"):
                with store.engine.begin() as conn:
                    conn.execute(text(statement))
    finally:
        store.close()


def test_a_database_locked_by_another_program_is_a_prompt_503_with_retry_after(database, backend, tmp_path):
    if backend != "sqlite":
        pytest.skip("a file lock held by another program: SQLite's")
    import sqlite3

    from .helpers import add_user

    token = add_user(database, "clinic", "submitter", "clinic-a")
    server = Server(database, tmp_path / "busy.log", extra_env={"PRIORAUTH_STORE_BUSY_SECONDS": "1"}).start()
    holder = sqlite3.connect(database.removeprefix("sqlite:///"), isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")  # e.g. a backup tool or a DBA's session
        t0 = time.monotonic()
        r = httpx.post(server.base + "/v1/cases", json=case_doc("busy-1"), timeout=30,
                       headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 503 and r.headers["retry-after"] == "5" and time.monotonic() - t0 < 10
        holder.execute("ROLLBACK")
        r = httpx.post(server.base + "/v1/cases", json=case_doc("busy-1"), timeout=30,
                       headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 201
    finally:
        holder.close()
        server.stop()


def test_tls_serves_https_with_strict_transport_security(database, tmp_path):
    import shutil
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a throwaway certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=60)
    server = Server(database, tmp_path / "tls.log", args=["--ssl-certfile", str(cert), "--ssl-keyfile", str(key)])
    server._wait_ready = lambda timeout: _https_ready(server, timeout)  # the helper polls plain HTTP
    server.start()
    try:
        r = httpx.get(f"https://127.0.0.1:{server.port}/healthz", verify=str(cert), timeout=10)
        assert r.status_code == 200 and r.headers["strict-transport-security"].startswith("max-age=")
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{server.port}/healthz", timeout=5).raise_for_status()
    finally:
        server.stop()


def _https_ready(server: Server, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            return False
        try:
            if httpx.get(f"https://127.0.0.1:{server.port}/healthz", verify=False, timeout=1).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    return False
