"""`priorauth serve`: help, several workers on one port, a bad database URL."""

from __future__ import annotations

import time

import httpx

from .helpers import Server, add_user, case_doc, cli, migrate


def test_help_lists_the_service_commands():
    out = cli("--help").stdout
    for command in ("serve", "users", "audit"):
        assert command in out
    serve_help = cli("serve", "--help").stdout
    for option in ("--host", "--port", "--workers"):
        assert option in serve_help


def test_several_workers_share_the_port_and_stop_cleanly(tmp_path):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    migrate(url)
    token = add_user(url, "w", "submitter", "org-w")
    server = Server(url, tmp_path / "server.log", args=["--workers", "2"]).start()
    try:
        deadline = time.monotonic() + 30
        while server.log().count("Application startup complete") < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        with httpx.Client(timeout=30) as client:
            for i in range(6):  # new connections: the kernel spreads them over the workers
                r = client.post(server.base + "/v1/cases", json=case_doc(f"w-{i}"),
                                headers={"Authorization": f"Bearer {token}", "Connection": "close"})
                assert r.status_code == 201, r.text
    finally:
        server.stop()
    assert server.proc.returncode == 0
    assert server.log().count("Application startup complete") == 2


def test_a_bad_database_url_is_a_usage_error():
    proc = cli("serve", "--port", "1", env={"PRIORAUTH_DATABASE_URL": "mysql://nobody@127.0.0.1/x"})
    assert proc.returncode == 2 and "unsupported database" in proc.stderr
    proc = cli("users", "list", env={"PRIORAUTH_DATABASE_URL": "postgresql+psycopg://u:secret@127.0.0.1:1/x"})
    assert proc.returncode == 2 and "cannot open the database" in proc.stderr and "secret" not in proc.stderr


def test_a_second_server_on_the_same_sqlite_file_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'one.db'}"
    migrate(url)
    server = Server(url, tmp_path / "server.log").start()
    try:
        proc = cli("serve", "--port", "0", env={"PRIORAUTH_DATABASE_URL": url}, timeout=60)
        assert proc.returncode == 2 and "another `priorauth serve` is using" in proc.stderr, proc.stderr
    finally:
        server.stop()


def test_workers_exit_with_a_killed_supervisor_and_no_server_starts_beside_them(tmp_path):
    import os
    import signal

    url = f"sqlite:///{tmp_path / 'k.db'}"
    migrate(url)
    server = Server(url, tmp_path / "server.log", args=["--workers", "2"]).start()
    deadline = time.monotonic() + 30
    while server.log().count("Application startup complete") < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    other = Server(f"sqlite:///{tmp_path / 'other.db'}", tmp_path / "other.log")
    migrate(other.db_url)
    second = cli("serve", "--port", str(server.port), "--workers", "2",
                 env={"PRIORAUTH_DATABASE_URL": other.db_url}, timeout=60)
    assert second.returncode != 0 and "Traceback" not in second.stderr  # the port is taken: said, not shared
    os.kill(server.proc.pid, signal.SIGKILL)  # the supervisor only: its workers must follow
    server.proc.wait(10)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(server.base + "/healthz", timeout=1)
        except httpx.HTTPError:
            break
        time.sleep(0.2)
    else:
        raise AssertionError("workers still serve after their supervisor was killed")
