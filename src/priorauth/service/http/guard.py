"""The outermost layer: problem+json for every error, and an access log of identifiers only.

The access log line is `METHOD ROUTE STATUS DURATION REQUEST-ID` (no query string, body or headers): the
matched route with its id parameters (service case ids, policy ids), never patient data. Every request gets an id
(the caller's `X-Request-ID`, or a new one), echoed in the response and recorded, with the source address, in the
audit events it causes. A source over its rate, or locked out after repeated bad tokens, gets 429 (limits.py).
An exception that escapes a route becomes a 500 problem, logged by type and code location only
(problems.internal_error).
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from priorauth.errors import PriorAuthError, field_path
from priorauth.service.audit import chain
from priorauth.service.http.limits import SourceLimits
from priorauth.service.http.problems import MEDIA_TYPE, Problem, field_problem, for_status, from_error, internal_error

access_log = logging.getLogger("priorauth.access")


FHIR_MEDIA_TYPE = "application/fhir+json"


def problem_response(problem: Problem, instance: str | None) -> Response:
    if instance and (instance == "/fhir" or instance.startswith("/fhir/")):  # FHIR clients read OperationOutcomes
        return Response(json.dumps(problem.operation_outcome()), status_code=problem.status,
                        media_type=FHIR_MEDIA_TYPE, headers=problem.headers)
    return Response(json.dumps(problem.body(instance)), status_code=problem.status, media_type=MEDIA_TYPE,
                    headers=problem.headers)


async def _on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return problem_response(exc, request.url.path)


async def _on_error(request: Request, exc: Exception) -> Response:
    """A priorauth error (a workflow refusal, an invalid case, the environment) answers with its code's status."""
    assert isinstance(exc, PriorAuthError)
    return problem_response(from_error(exc), request.url.path)


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


async def _on_store_busy(request: Request, exc: Exception) -> Response:
    """The database is locked by someone else, or every connection is busy: 503, retry shortly (nothing was
    written: the transaction rolled back)."""
    said = str(getattr(exc, "orig", exc)).lower()
    if isinstance(exc, OperationalError) and not any(w in said for w in _BUSY):
        return problem_response(internal_error(exc), request.url.path)  # a defect, not a busy database
    problem = Problem(503, "unavailable", "the database is busy; nothing was changed: retry shortly")
    problem.headers["Retry-After"] = "5"
    return problem_response(problem, request.url.path)


_BUSY = ("locked", "busy", "lock timeout", "due to lock", "could not connect", "connection", "server closed")


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(OperationalError, _on_store_busy)
    app.add_exception_handler(PoolTimeout, _on_store_busy)
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(PriorAuthError, _on_error)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(RequestValidationError, _on_validation)


class Guard:
    """Pure ASGI middleware: turns escaped exceptions into a 500 problem and writes the access log."""

    def __init__(self, app: ASGIApp, limits: SourceLimits | None = None):
        self.app = app
        self.limits = limits or SourceLimits()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status, t0 = False, 500, time.perf_counter()
        request_id = _request_id(scope)
        source = (scope.get("client") or (None,))[0]
        context = chain.REQUEST.set({"id": request_id, "source": source} if source else {"id": request_id})

        async def _send(message: dict[str, Any]) -> None:
            nonlocal started, status
            if message["type"] == "http.response.start":
                started, status = True, message["status"]
                message["headers"] = [*message.get("headers", []), *_security_headers(scope),
                                      (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            wait = None if scope.get("path") == "/healthz" else self.limits.refuse(source)
            if wait is not None:
                problem = for_status(429, "too many requests from this address: retry later")
                problem.headers["Retry-After"] = str(wait)
                await problem_response(problem, scope.get("path"))(scope, receive, _send)
                return
            await self.app(scope, receive, _send)
        except Exception as exc:  # noqa: BLE001 - every error answers with a problem, logged without details
            problem = internal_error(exc)
            if not started:
                await problem_response(problem, scope.get("path"))(scope, receive, _send)
            status = 500
        finally:
            chain.REQUEST.reset(context)
            if access_log.isEnabledFor(logging.INFO):
                access_log.info("%s %s %d %.1fms %s", scope.get("method"), logged_path(scope), status,
                                (time.perf_counter() - t0) * 1000, request_id)


# Every response may carry PHI: no cache keeps it, no browser sniffs it into something else or frames it, and a
# page (the API docs, when served) runs only what it names.
_HEADERS = [(b"cache-control", b"no-store"), (b"pragma", b"no-cache"), (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"), (b"referrer-policy", b"no-referrer"),
            (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")]
_DOCS_CSP = (b"default-src 'none'; script-src 'self' https://cdn.jsdelivr.net 'unsafe-inline'; style-src 'self' "
             b"https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; connect-src 'self'; "
             b"frame-ancestors 'none'")
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


def _security_headers(scope: Scope) -> list[tuple[bytes, bytes]]:
    headers = _HEADERS
    if scope.get("path") == "/docs":  # the Swagger page (only with `serve --docs`) loads its pinned scripts
        headers = [*headers[:-1], (b"content-security-policy", _DOCS_CSP)]
    if scope.get("scheme") == "https":
        headers = [*headers, HSTS]
    return headers


_OUR_ID = re.compile(r"^[0-9a-f]{32}$")  # the service's case and subscription ids
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def _request_id(scope: Scope) -> str:
    """The caller's X-Request-ID when it is a plain token (a gateway's correlation id), else a new one."""
    for name, value in scope.get("headers") or ():
        if name == b"x-request-id":
            given = value.decode("latin-1")
            if _REQUEST_ID.match(given):
                return given
    return uuid.uuid4().hex[:16]


def logged_path(scope: Scope) -> str:
    """The matched route with its parameters, a parameter only if it is one of ours (a case or subscription id
    the service made, a loaded policy's id): a client could put a name in a URL. An unmatched path is not
    logged."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    if template is None:
        return "(no route)"
    params = scope.get("path_params") or {}
    app = scope.get("app")
    store = getattr(getattr(app, "state", None), "store", None)
    policy_ids = store.policies.versions if store is not None else {}
    for name, value in params.items():
        ours = isinstance(value, str) and (value in policy_ids if name == "policy_id" else bool(_OUR_ID.match(value)))
        template = template.replace("{" + name + "}", value if ours else "(other)")
    return template
