"""Alembic environment: run by `priorauth.service.store.db.migrate` with a connection, or by `alembic` itself."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from priorauth.service.store.config import database_url
from priorauth.service.store.models import metadata

config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or database_url())
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
