"""One error shape for every endpoint: RFC 9457 problem+json with the field that is wrong.

    {"type": "urn:priorauth:problem:invalid-case", "title": "Invalid case", "status": 422,
     "code": "invalid-case", "detail": "request.service_date: not a date: \"2025-13-01\"",
     "field": "request.service_date", "errors": [{"field": ..., "message": ...}], "instance": "/v1/cases"}

Every key is always present (`field` is null and `errors` empty where no field is at fault). Unexpected
exceptions become a 500 problem; only the exception's type and a request id are logged, never its
message (messages can quote the request body).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict

from priorauth.errors import INVALID_CASE, PriorAuthError
from priorauth.service.workflow.errors import Refused

MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("priorauth.service")

TITLES = {
    "malformed-json": "Malformed JSON",
    "invalid-case": "Invalid case",
    "invalid-request": "Invalid request",
    "unauthorized": "Missing or invalid bearer token",
    "forbidden": "Not allowed for this role",
    "not-found": "Not found",
    "method-not-allowed": "Method not allowed",
    "conflict": "Conflict: the case changed",
    "already-finalized": "Already finalized",
    "idempotency-key-reused": "Idempotency key reused with a different body",
    "payload-too-large": "Request body too large",
    "unsupported-media-type": "Unsupported media type",
    "request-timeout": "Request timeout",
    "too-many-requests": "Too many requests",
    "unavailable": "Service unavailable",
    "internal-error": "Internal error",
    "invalid-fhir": "Invalid FHIR request",
}


class FieldError(BaseModel):
    field: str
    message: str


class ProblemBody(BaseModel):
    """The problem+json body (documentation of the one error shape)."""

    model_config = ConfigDict(json_schema_extra={"description": "RFC 9457 problem details"})
    type: str
    title: str
    status: int
    code: str
    detail: str
    field: str | None
    errors: list[FieldError]
    instance: str | None


class Problem(PriorAuthError):
    """Raise anywhere in the http layer to answer with a problem+json response (the one error root's
    HTTP form: `code` is one of priorauth.errors' codes)."""

    def __init__(self, status: int, code: str, detail: str, field: str | None = None,
                 errors: list[dict[str, str]] | None = None, headers: dict[str, str] | None = None):
        super().__init__(code, field or "", detail)
        self.status, self.detail, self.field = status, detail, field
        self.errors = errors if errors is not None else ([{"field": field, "message": detail}] if field else [])
        self.headers = headers or {}

    def operation_outcome(self) -> dict[str, Any]:
        """The same problem as a FHIR OperationOutcome (the /fhir endpoints' error form): one issue per error,
        its element as a FHIRPath expression."""
        kind = ISSUE_TYPES.get(self.status, "invalid" if self.status < 500 else "exception")
        errors = self.errors or [{"field": None, "message": self.detail}]
        issues = []
        for e in errors:
            issue: dict[str, Any] = {"severity": "error" if self.status < 500 else "fatal", "code": kind,
                                     "details": {"text": e["message"] if e.get("field") else self.detail}}
            if e.get("field"):
                issue["expression"] = [e["field"]]
            issues.append(issue)
        return {"resourceType": "OperationOutcome", "issue": issues}

    def body(self, instance: str | None) -> dict[str, Any]:
        return {"type": f"urn:priorauth:problem:{self.code}", "title": TITLES.get(self.code, self.code),
                "status": self.status, "code": self.code, "detail": self.detail, "field": self.field,
                "errors": self.errors, "instance": instance}


# FHIR issue types (http://hl7.org/fhir/issue-type) by HTTP status.
ISSUE_TYPES = {400: "structure", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported",
               409: "conflict", 413: "too-costly", 415: "not-supported", 422: "invalid", 503: "transient"}


def field_problem(status: int, code: str, errors: list[dict[str, str]]) -> Problem:
    """A problem naming the first bad field, with every error listed."""
    first = errors[0]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return Problem(status, code, f"{first['field']}: {first['message']}{more}", first["field"], errors)


def unauthorized(detail: str) -> Problem:
    return Problem(401, "unauthorized", detail, headers={"WWW-Authenticate": 'Bearer realm="priorauth"'})


def not_found(what: str) -> Problem:
    return Problem(404, "not-found", f"no {what}")


def forbidden(detail: str) -> Problem:
    return Problem(403, "forbidden", detail)


def _where(exc: BaseException) -> str:
    """The innermost code location of an exception (file:line function): code, never data."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return "?"
    code = tb.tb_frame.f_code
    return f"{code.co_filename.rsplit('/site-packages/', 1)[-1]}:{tb.tb_lineno} {code.co_name}"


def internal_error(exc: BaseException) -> Problem:
    ref = uuid.uuid4().hex[:12]
    # Type and code location only: exception messages and locals may quote the request (PHI).
    log.error("internal error %s: %s at %s", ref, type(exc).__name__, _where(exc))
    return Problem(500, "internal-error", f"internal error (reference {ref})")


STATUS_CODES = {
    400: "malformed-json", 401: "unauthorized", 403: "forbidden", 404: "not-found", 405: "method-not-allowed",
    408: "request-timeout", 409: "conflict", 413: "payload-too-large", 415: "unsupported-media-type",
    422: "invalid-request", 429: "too-many-requests", 503: "unavailable",
}


def for_status(status: int, detail: str) -> Problem:
    return Problem(status, STATUS_CODES.get(status, "invalid-request" if status < 500 else "internal-error"), detail)


# The status of each refusal the workflow raises (workflow/errors.py), by its code.
def from_error(exc: PriorAuthError) -> Problem:
    """Any priorauth error raised while serving a request, with the status its code has in priorauth.errors."""
    if isinstance(exc, Refused):
        return Problem(exc.http_status, exc.code, exc.detail, exc.field)
    issues = getattr(exc, "issues", None)  # a FHIR input's problems, each at its FHIRPath
    if issues:
        return field_problem(exc.http_status, exc.code, [{"field": w, "message": m} for w, m in issues])
    # A case error names its field (`member.payer`); other errors name a file or a policy, not a field.
    field = exc.location if exc.code == INVALID_CASE and exc.location else None
    detail = exc.message if field else str(exc)
    return Problem(exc.http_status, exc.code, f"{field}: {detail}" if field else detail, field)


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the problems an operation can answer with."""
    described = {400: "Malformed JSON body", 401: "Missing or invalid bearer token", 403: "Not allowed for this role",
                 404: "Not found (or not visible to this user)", 409: "The case changed, or is already finalized",
                 413: "Body larger than 2 MB", 415: "Body is not JSON",
                 422: "Validation failed: `field` names the field", 503: "Database unreachable"}
    return {code: {"description": described[code],
                   "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemBody"}}}}
            for code in codes}
