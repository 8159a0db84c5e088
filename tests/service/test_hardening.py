"""What a payer's security review found missing (issue: hardening the service), each probe a test against a real
server: the headers every response carries, the docs page off by default, a private database file, and URL
segments that are not ours kept out of the log."""

from __future__ import annotations

import os
import stat

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
    log = api.server.log()
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
