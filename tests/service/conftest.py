"""Fixtures: a real server per backend (SQLite, and PostgreSQL when PRIORAUTH_TEST_POSTGRES_URL is set)."""

from __future__ import annotations

import os

import httpx
import pytest

from .helpers import POSTGRES_ENV, POSTGRES_SKIP, Api, Server, add_user, migrate, new_database

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql",
                 marks=pytest.mark.skipif(not os.environ.get(POSTGRES_ENV), reason=POSTGRES_SKIP)),
]

USERS = {  # fixture name -> (role, org)
    "clinic_a": ("submitter", "clinic-a"),
    "clinic_a2": ("submitter", "clinic-a"),
    "clinic_b": ("submitter", "clinic-b"),
    "reviewer": ("reviewer", None),
    "admin": ("admin", None),
}


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def database(backend, tmp_path):
    """An empty, migrated database of the backend; dropped afterwards."""
    url, cleanup = new_database(backend, tmp_path)
    migrate(url)
    yield url
    cleanup()


def start_api(backend: str, tmp_path) -> tuple[Api, callable]:
    url, cleanup = new_database(backend, tmp_path)
    migrate(url)
    tokens = {name: add_user(url, name, role, org) for name, (role, org) in USERS.items()}
    server = Server(url, tmp_path / "server.log").start()
    client = httpx.Client(timeout=30)

    def stop() -> None:
        client.close()
        server.stop()
        cleanup()

    return Api(server, tokens, backend, client), stop


@pytest.fixture(scope="module", params=BACKENDS)
def api(request, tmp_path_factory):
    """One server per test module and backend, with one user per role (see USERS)."""
    api, stop = start_api(request.param, tmp_path_factory.mktemp(f"api-{request.param}"))
    yield api
    stop()
