"""Request bodies: size limit, media type, and strict parsing into a case or an input model.

The case is validated with the same strict model as the CLI (`priorauth.case.model.Case`, pydantic
`model_validate_json`: `false` is not `0`, unknown keys are errors) and every error names its field
path (`clinical.treatments[2].start`), as the CLI does.
"""

from __future__ import annotations

import asyncio
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from priorauth.case.model import Case
from priorauth.errors import field_path
from priorauth.intake.duplicate_keys import REPEATED, repeated_key
from priorauth.intake.normalise import normalised, unknown_drug_names
from priorauth.service.http.problems import Problem, field_problem
from priorauth.service.http.protocol import seconds_from_env
from priorauth.service.store.config import MAX_BODY_BYTES

M = TypeVar("M", bound=BaseModel)
BODY_SECONDS = seconds_from_env("PRIORAUTH_BODY_TIMEOUT", 30.0)
MAX_ERRORS = 20


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The body, refused with 413 beyond `limit` (checked on Content-Length and while streaming)."""
    ctype = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if ctype and ctype != "application/json" and not ctype.endswith("+json"):
        raise Problem(415, "unsupported-media-type", f"send application/json, not {ctype[:60]}", "content-type")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise Problem(413, "payload-too-large", f"the body is {declared} bytes; the limit is {limit}", "body")
    chunks, size = [], 0
    try:
        async with asyncio.timeout(BODY_SECONDS):  # a client trickling its body holds a connection no longer
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise Problem(413, "payload-too-large", f"the body exceeds the limit of {limit} bytes", "body")
                chunks.append(chunk)
    except TimeoutError:
        raise Problem(408, "request-timeout", f"the body did not arrive within {BODY_SECONDS:g} s", "body") from None
    return b"".join(chunks)


def _message(err: dict[str, Any]) -> str:
    kind, msg = err["type"], err["msg"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field"
    return msg.removeprefix("Value error, ")


def _errors(exc: ValidationError) -> list[dict[str, str]]:
    out = []
    for err in exc.errors(include_url=False)[:MAX_ERRORS]:
        loc = tuple(err["loc"])
        out.append({"field": field_path(loc) if loc else "(body)", "message": _message(err)})
    return out


def _malformed(exc: ValidationError) -> Problem | None:
    for err in exc.errors(include_url=False):
        if err["type"] == "json_invalid":
            reason = str(err.get("ctx", {}).get("error", "")) or "not valid JSON"
            return Problem(400, "malformed-json", f"the body is not valid JSON: {reason}", "(body)")
    return None


def parse_case(body: bytes) -> Case:
    if not body.strip():
        raise Problem(400, "malformed-json", "the body is empty: send a case (priorauth-case/1) as JSON", "(body)")
    repeated = repeated_key(body)
    if repeated:
        raise field_problem(422, "invalid-case", [{"field": repeated, "message": REPEATED}])
    try:  # NaN, Infinity and 1e400 too: every number in the case model is finite (case.model.amount)
        case = Case.model_validate_json(body)
    except ValidationError as exc:
        raise _malformed(exc) or field_problem(422, "invalid-case", _errors(exc)) from None
    problems = unknown_drug_names(case)
    if problems:
        raise field_problem(422, "invalid-case", [{"field": f, "message": m} for f, m in problems])
    return normalised(case)


def parse_model(body: bytes, model: type[M]) -> M:
    if not body.strip():
        raise Problem(400, "malformed-json", "the body is empty", "(body)")
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise _malformed(exc) or field_problem(422, "invalid-request", _errors(exc)) from None
