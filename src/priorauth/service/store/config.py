"""Where the service keeps its data: `PRIORAUTH_DATABASE_URL`, else a SQLite file under the data directory."""

from __future__ import annotations

import os
from pathlib import Path

DATABASE_URL_ENV = "PRIORAUTH_DATABASE_URL"
DATA_DIR_ENV = "PRIORAUTH_DATA_DIR"
DEFAULT_DATA_DIR = "data"
DATABASE_FILE = "priorauth.db"

POLICIES_ENV = "PRIORAUTH_POLICIES"  # a directory of policy files instead of the shipped ones

MAX_BODY_BYTES = 2 * 1024 * 1024  # request bodies above this get 413


def data_dir() -> Path:
    return Path(os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR)


def policy_dir() -> Path | None:
    value = os.environ.get(POLICIES_ENV, "").strip()
    return Path(value) if value else None


def database_url() -> str:
    """The configured database URL; the default SQLite file's directory is created on demand."""
    url = os.environ.get(DATABASE_URL_ENV, "").strip()
    if url:
        return url
    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(folder / DATABASE_FILE).resolve()}"


def display_url(url: str) -> str:
    """The URL with any password masked, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
