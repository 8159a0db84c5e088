"""The outermost layer: problem+json for every error, and an access log of identifiers only.

The access log line is `METHOD PATH STATUS DURATION` (no query string, no body, no headers): paths hold
service case ids, never patient data. An exception that escapes a route becomes a 500 problem and is
logged by type only (see problems.internal_error).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from priorauth.case.loader import field_path
from priorauth.service.problems import MEDIA_TYPE, Problem, field_problem, for_status, internal_error

access_log = logging.getLogger("priorauth.access")


def problem_response(problem: Problem, instance: str | None) -> Response:
    return Response(json.dumps(problem.body(instance)), status_code=problem.status, media_type=MEDIA_TYPE,
                    headers=problem.headers)


async def _on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return problem_response(exc, request.url.path)


async def _on_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else "request refused"
    problem = for_status(exc.status_code, detail)
    problem.headers.update(exc.headers or {})
    return problem_response(problem, request.url.path)


def _validation_field(loc: tuple[Any, ...]) -> str:
    where = loc[1:] if loc and loc[0] in ("query", "path", "header", "body", "cookie") else loc
    return field_path(where) if where else "(request)"


async def _on_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [{"field": _validation_field(tuple(e.get("loc", ()))),
               "message": str(e.get("msg", "invalid")).removeprefix("Value error, ")} for e in exc.errors()[:20]]
    errors = errors or [{"field": "(request)", "message": "invalid request"}]
    return problem_response(field_problem(422, "invalid-request", errors), request.url.path)


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(RequestValidationError, _on_validation)


class Guard:
    """Pure ASGI middleware: turns escaped exceptions into a 500 problem and writes the access log."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status, t0 = False, 500, time.perf_counter()

        async def _send(message: dict[str, Any]) -> None:
            nonlocal started, status
            if message["type"] == "http.response.start":
                started, status = True, message["status"]
            await send(message)

        try:
            await self.app(scope, receive, _send)
        except Exception as exc:  # noqa: BLE001 - every error answers with a problem, logged without details
            problem = internal_error(exc)
            if not started:
                await problem_response(problem, scope.get("path"))(scope, receive, send)
            status = 500
        finally:
            if access_log.isEnabledFor(logging.INFO):
                access_log.info("%s %s %d %.1fms", scope.get("method"), scope.get("path"), status,
                                (time.perf_counter() - t0) * 1000)
