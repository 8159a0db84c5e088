"""The FastAPI application: `create_app()` (uvicorn factory) wires the store, routes, errors and OpenAPI."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.utils import get_openapi

from priorauth import __version__
from priorauth.case.model import Case
from priorauth.errors import USAGE, PriorAuthError
from priorauth.service.http import fhir, policies, routes
from priorauth.service.http.guard import Guard, install_handlers
from priorauth.service.http.limits import SourceLimits
from priorauth.service.http.problems import ProblemBody
from priorauth.service.http.schemas import ReviewIn
from priorauth.service.store.db import schema_is_current
from priorauth.service.workflow.access import AuditQueue
from priorauth.service.workflow.state import Store

DESCRIPTION = """Prior authorization for intrathecal and epidural drug delivery, as a service.

Providers submit cases (format `priorauth-case/1`), the engine evaluates them against the payer
policies, clinical reviewers finalize adverse outcomes, and every step is an audit event in a hash chain.
An engine `deny` is a recommendation: only a reviewer can finalize a denial.

Authenticate with `Authorization: Bearer TOKEN` (tokens from `priorauth users add`). Every error is an
`application/problem+json` body with `code`, `detail` and the `field` at fault.
"""


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (Case, ReviewIn, ProblemBody):
        model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in model_schema.pop("$defs", {}).items():
            if name in components and components[name] != sub:
                raise RuntimeError(f"OpenAPI schema name clash: {name}")
            components[name] = sub
        components[model.__name__] = model_schema
    app.openapi_schema = schema
    return schema


DOCS_ENV = "PRIORAUTH_DOCS"  # "1": serve the interactive API docs at /docs (`serve --docs`)
SWAGGER_UI = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5.17.14/"  # one exact version, not "@5"


def _add_docs(app: FastAPI) -> None:
    """Swagger UI at /docs, its script and style from one pinned CDN version (off by default: the page loads
    code from outside the service, and the OpenAPI document at /openapi.json is all a client needs)."""
    from fastapi.openapi.docs import get_swagger_ui_html

    @app.get("/docs", include_in_schema=False)
    async def docs() -> Any:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="priorauth API",
                                   swagger_js_url=SWAGGER_UI + "swagger-ui-bundle.js",
                                   swagger_css_url=SWAGGER_UI + "swagger-ui.css")


CHECKPOINT_SECONDS = 60


def _checkpoint_now(store: Store, last: int | None = None) -> int | None:
    """A signed checkpoint of the trail's head into the checkpoint file, when the head moved since `last`."""
    from priorauth.service.audit.chain import checkpoint, write_checkpoint
    from priorauth.service.store.audit_key import checkpoints_path

    try:
        taken = checkpoint(store.engine)
        if taken["seq"] != last:
            write_checkpoint(checkpoints_path(store.engine.url), taken)
        return taken["seq"]
    except Exception as exc:  # noqa: BLE001 - a full disk must not stop the service; the log says so
        logging.getLogger("priorauth.audit").warning("no audit checkpoint written: %s", type(exc).__name__)
        return last


async def _checkpoints(store: Store) -> None:
    """Every minute the trail has grown, a checkpoint outside the database: a later truncation shows against it."""
    last = await run_in_threadpool(_checkpoint_now, store)
    while True:
        await asyncio.sleep(CHECKPOINT_SECONDS)
        last = await run_in_threadpool(_checkpoint_now, store, last)


def create_app(store: Store | None = None, policy_dir: Path | None = None) -> FastAPI:
    """The app over `store` (default: the configured database, which must be migrated: `priorauth serve` does)."""
    store = store or Store.open(policy_dir=policy_dir)
    if not schema_is_current(store.engine):
        raise PriorAuthError(USAGE, "database", "the schema is not up to date: start it with `priorauth serve`, "
                             "which migrates, or run `priorauth users list` once")

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        # The notes' pipeline and rules (medspaCy, ~1.5 s) are built before the first request, not during it.
        from priorauth.evidence.extractor import warm_up

        warm_up()
        # Everything loaded so far (policies, models, libraries) lives as long as the process: keep it out of
        # the collector's way, or full collections stall requests for tens of milliseconds.
        gc.collect()
        gc.freeze()
        keeper = asyncio.create_task(_checkpoints(store))
        _app.state.audit.start()
        yield
        _app.state.audit.stop()
        keeper.cancel()
        await run_in_threadpool(_checkpoint_now, store)
        store.close()

    app = FastAPI(title="priorauth", version=__version__, description=DESCRIPTION, lifespan=lifespan,
                  docs_url=None, redoc_url=None)
    app.state.store = store
    if os.environ.get(DOCS_ENV) == "1":
        _add_docs(app)
    install_handlers(app)
    app.state.limits = SourceLimits()
    app.state.audit = AuditQueue(store)
    app.add_middleware(Guard, limits=app.state.limits)
    app.include_router(routes.router)
    app.include_router(policies.router)
    app.include_router(fhir.router)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app
