"""The REST service: FastAPI app, case store (SQLAlchemy + Alembic), audit hash chain, token roles.

Imported only by `priorauth serve`, `priorauth users` and `priorauth audit`, so the engine and the
`check` command never load the web and database libraries.

Layers, each importing only itself and the ones before it (tests/service/test_layout.py checks): store
(where the data lives), audit (the hash chain), auth (users, tokens, roles), workflow (cases and reviews,
free of HTTP), http (FastAPI endpoints, request bodies, problem+json).
"""

__all__ = ["create_app", "Store"]


def __getattr__(name: str):
    if name == "create_app":
        from priorauth.service.http.app import create_app

        return create_app
    if name == "Store":
        from priorauth.service.workflow.state import Store

        return Store
    raise AttributeError(name)
