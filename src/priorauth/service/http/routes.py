"""The /v1 endpoints. Bodies are read raw and parsed strictly (see body.py); database work runs in threads."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Header, Query, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.responses import Response

from priorauth.case.model import DATE_RANGE
from priorauth.service.auth.users import ADMIN, REVIEWER, SUBMITTER, User
from priorauth.service.http.body import parse_case, parse_model, read_body
from priorauth.service.http.problems import Problem, forbidden, responses, unauthorized
from priorauth.service.http.schemas import (
    AuditPage,
    CaseList,
    CaseView,
    Determinations,
    Payer,
    ReviewIn,
    ReviewOut,
    Status,
)
from priorauth.service.http.trail import read_trail
from priorauth.service.workflow import cases, reviews, subscriptions
from priorauth.service.workflow.access import evaluation_details
from priorauth.service.workflow.evaluation import evaluate
from priorauth.service.workflow.state import Store
from priorauth.vocab import Explain

router = APIRouter(prefix="/v1")
bearer = HTTPBearer(auto_error=False, description="A token from `priorauth users add`.")
JSON = "application/json"


def body_of(schema: str, description: str) -> dict:
    return {"requestBody": {"required": True, "description": description,
                            "content": {JSON: {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}}


CASE_BODY = body_of("Case", "A case in the format priorauth-case/1 (see `priorauth schema case`).")


def store_of(request: Request) -> Store:
    return request.app.state.store


async def current_user(request: Request,
                       cred: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]) -> User:
    if cred is None or not cred.credentials:
        await _refused(request, None, "auth.refused", {"reason": "no token"})
        raise unauthorized("send Authorization: Bearer TOKEN (a token from `priorauth users add`)")
    user = await store_of(request).tokens.user_for(cred.credentials)
    if user is None:
        await _refused(request, None, "auth.refused", {"reason": "unknown, revoked or expired token"}, guess=True)
        raise unauthorized("unknown, revoked or expired token")
    return user


async def _refused(request: Request, user: User | None, action: str, details: dict, guess: bool = False) -> None:
    """A refused request is an audit event (with its id and source, never its token); a source sending wrong
    tokens (`guess`) is locked out after many (limits.py), and the lockout is noted in the event that caused it."""
    if guess and request.app.state.limits.failed(request.client.host if request.client else None):
        details = details | {"locked_out": True}
    await request.app.state.audit.record(user, action, details)


def role(*allowed: str):
    async def check(request: Request, user: Annotated[User, Depends(current_user)]) -> User:
        if user.role not in allowed:
            await _refused(request, user, "auth.forbidden", {"role": user.role, "allowed": list(allowed)})
            raise forbidden(f"a {user.role} may not do this (allowed: {', '.join(allowed)})")
        return user
    return check


AnyUser = Annotated[User, Depends(current_user)]


def dumps(payload: object) -> bytes:
    """JSON bytes (orjson: a tenth of the stdlib's time on determinations; the stdlib for what it refuses)."""
    try:
        return orjson.dumps(payload)
    except TypeError:  # e.g. a lone surrogate in a string
        return json.dumps(payload).encode()


def _json(payload: object | str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    content = payload if isinstance(payload, str) else dumps(payload)
    return Response(content, status_code=status, media_type=JSON, headers=headers)


def _if_match(value: str | None) -> int | None:
    if value is None:
        return None
    raw = value.strip().removeprefix("W/").strip('"')
    if not raw.isdigit() or len(raw) > 9:
        raise Problem(422, "invalid-request", 'an ETag as returned by the API, e.g. "3"', "If-Match")
    return int(raw)


IfMatch = Annotated[str | None, Header(alias="If-Match", pattern=r'^(W/)?"?[0-9]{1,9}"?$',
                                       description="the case version (ETag) you read, e.g. \"3\"")]


EXPLAIN = tuple(level.value for level in Explain)
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
DETERMINATIONS_DOC = CASE_BODY | {"security": [{"HTTPBearer": []}], "parameters": [
    {"name": "policy", "in": "query", "required": False, "description": "only these policy ids (repeatable)",
     "schema": {"type": "array", "items": {"type": "string"}}, "style": "form", "explode": True},
    {"name": "as_of", "in": "query", "required": False,
     "description": "look-back date (default: the case's submitted date)", "schema": {"type": "string",
                                                                                   "format": "date"}},
    {"name": "explain", "in": "query", "required": False, "description": "criteria detail, as the CLI's --explain",
     "schema": {"type": "string", "enum": list(EXPLAIN), "default": "full"}},
]}


def _bearer(request: Request) -> HTTPAuthorizationCredentials | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return HTTPAuthorizationCredentials(scheme=scheme, credentials=token.strip()) \
        if scheme.lower() == "bearer" and token.strip() else None


def _query_date(value: str | None, name: str) -> dt.date | None:
    if value is None:
        return None
    try:
        day = dt.date.fromisoformat(value) if _DATE.match(value) else None
    except ValueError:
        day = None
    if day is None:
        raise Problem(422, "invalid-request", f"not a date (YYYY-MM-DD): {value[:40]!r}", name)
    low, high = DATE_RANGE
    if not low <= day <= high:
        raise Problem(422, "invalid-request", f"date {day} is outside {low}..{high}", name)
    return day


@router.post("/determinations", openapi_extra=DETERMINATIONS_DOC, response_model=None,
             responses={200: {"model": Determinations}, **responses(400, 401, 413, 415, 422)})
async def determinations(request: Request) -> Response:
    """Evaluate a case and return its determinations, as `priorauth check --format json`. Nothing is stored.

    The hot path: parameters are read by hand (documented above) to spare the per-request dependency work.
    """
    user = await current_user(request, _bearer(request))
    query = request.query_params
    policy, explain = query.getlist("policy"), query.get("explain", "full")
    as_of = _query_date(query.get("as_of"), "as_of")
    if explain not in EXPLAIN:
        raise Problem(422, "invalid-request", f"one of {', '.join(EXPLAIN)}", "explain")
    case = parse_case(await read_body(request))
    store = store_of(request)
    policies = store.policies
    for i, pid in enumerate(policy):
        if pid not in policies.versions:
            raise Problem(422, "invalid-request", f"no policy {pid[:100]!r}; known: {', '.join(policies.ids)}",
                          f"policy[{i}]" if len(policy) > 1 else "policy")
    results = evaluate(case, store.compiled, as_of, policy or None, explain)
    await request.app.state.audit.record(user, "case.evaluate", evaluation_details(results))  # PHI was read
    return _json({"case": case.id, "determinations": results})


@router.post("/cases", status_code=201, openapi_extra=CASE_BODY, response_model=None,
             responses={201: {"model": CaseView, "description": "Stored and evaluated (or the first result of "
                              "a retried Idempotency-Key)"}, **responses(400, 401, 403, 413, 415, 422)})
async def submit_case(
    request: Request, user: Annotated[User, Depends(role(SUBMITTER))],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200,
                                                  description="retrying with the same key returns the first "
                                                  "result instead of a copy")] = None,
) -> Response:
    """Submit a case for the submitter's organization: it is stored, evaluated, and audited."""
    body = await read_body(request)
    case = parse_case(body)
    status, text, replayed = await run_in_threadpool(cases.submit, store_of(request), user, body, case,
                                                     idempotency_key)
    head = json.loads(text)
    headers = {"Location": f"/v1/cases/{head['id']}", "ETag": f'"{head["version"]}"'}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return _json(text, status, headers)


@router.get("/cases", response_model=None, responses={200: {"model": CaseList}, **responses(401, 422)})
async def list_cases(
    request: Request, user: AnyUser,
    status: Annotated[Status | None, Query()] = None,
    payer: Annotated[Payer | None, Query()] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = cases.PER_PAGE,
) -> Response:
    """Cases visible to the caller (a submitter sees only its organization's), newest first."""
    known = store_of(request).compiled.payers
    if payer is not None and payer not in known:
        raise Problem(422, "invalid-request",
                      f"no policy of payer {payer!r} is loaded; known: {', '.join(sorted(known))}", "payer")
    return _json(await run_in_threadpool(cases.list_cases, store_of(request), user, status, payer, page, per_page))


@router.get("/cases/{case_id}", response_model=None,
            responses={200: {"model": CaseView}, **responses(401, 404)})
async def get_case(request: Request, user: AnyUser, case_id: str) -> Response:
    """A case with its latest determinations and review status, earlier determinations and reviews."""
    view = await run_in_threadpool(cases.read, store_of(request), user, case_id)
    return _json(view, headers={"ETag": f'"{view["version"]}"'})


@router.post("/cases/{case_id}/documents", openapi_extra=CASE_BODY, response_model=None,
             responses={200: {"model": CaseView}, **responses(400, 401, 403, 404, 409, 413, 415, 422)})
async def add_documents(request: Request, user: Annotated[User, Depends(role(SUBMITTER))], case_id: str,
                        if_match: IfMatch = None) -> Response:
    """Add documentation: the updated case document is stored as a new revision and re-evaluated."""
    expected = _if_match(if_match)
    body = await read_body(request)
    case = parse_case(body)
    view = await run_in_threadpool(cases.add_documents, store_of(request), user, case_id, body, case, expected)
    await run_in_threadpool(subscriptions.notify_case, store_of(request), case_id)
    return _json(view, headers={"ETag": f'"{view["version"]}"'})


@router.post("/cases/{case_id}/review", status_code=201, response_model=None,
             openapi_extra=body_of("ReviewIn", "A reviewer's final decision for one policy"),
             responses={201: {"model": ReviewOut}, **responses(400, 401, 403, 404, 409, 413, 415, 422)})
async def review_case(request: Request, user: Annotated[User, Depends(role(REVIEWER))], case_id: str,
                      if_match: IfMatch = None) -> Response:
    """Record a clinical reviewer's final decision (approve, deny, pend) on one policy's determination."""
    expected = _if_match(if_match)
    body = parse_model(await read_body(request), ReviewIn)
    out = await run_in_threadpool(reviews.review, store_of(request), user, case_id, body, expected)
    await run_in_threadpool(subscriptions.notify_case, store_of(request), case_id)  # pended requests' subscribers
    return _json(out, 201, {"ETag": f'"{out["case_version"]}"'})


@router.get("/audit", response_model=None, responses={200: {"model": AuditPage}, **responses(401, 403, 422)})
async def audit_trail(
    request: Request, user: Annotated[User, Depends(role(ADMIN))],
    case: Annotated[str | None, Query(pattern=r"^[0-9a-f]{32}$", description="only this case's events")] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Response:
    """The audit trail (admin only), oldest first; reading it is itself an audit event."""
    return _json(await run_in_threadpool(read_trail, store_of(request), user, case, page, per_page))
