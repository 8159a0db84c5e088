"""The store's cases as a batch input: each case's current revision, read a page at a time by case id (keyset
paging: no transaction or cursor is held across pages, so a serving instance is never blocked by an export)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.engine import make_url

from priorauth.errors import USAGE, PriorAuthError
from priorauth.service.store import models as m
from priorauth.service.store.db import check_database, make_engine, reading, schema_is_current

PAGE = 500


def is_database_url(value: str) -> bool:
    return value.startswith(("sqlite:", "postgresql:", "postgresql+"))


def current_cases(url: str) -> Iterator[tuple[str, str]]:
    """(`db:CASE_ID@rREVISION`, the case JSON) for every case in the store at `url`, in case id order."""
    database = make_url(url).database if url.startswith("sqlite:") else None
    if database is not None:
        from pathlib import Path

        if not database or not Path(database).is_file():  # never create an empty store by reading one
            raise PriorAuthError(USAGE, url, "no such database file")
    engine = make_engine(url)
    check_database(engine)
    if not schema_is_current(engine):
        raise PriorAuthError(USAGE, url, "not a priorauth store at the current schema "
                                         "(`priorauth init` brings it up to date)")
    return _pages(engine)


def _pages(engine) -> Iterator[tuple[str, str]]:
    after = ""
    query = (select(m.cases.c.id, m.cases.c.revision, m.case_revisions.c.body)
             .join(m.case_revisions, (m.case_revisions.c.case_id == m.cases.c.id)
                   & (m.case_revisions.c.revision == m.cases.c.revision))
             .order_by(m.cases.c.id).limit(PAGE))
    try:
        while True:
            with reading(engine) as conn:
                page = conn.execute(query.where(m.cases.c.id > after)).all()
            for case_id, revision, body in page:
                yield f"db:{case_id}@r{revision}", body
            if len(page) < PAGE:
                return
            after = page[-1][0]
    finally:
        engine.dispose()
