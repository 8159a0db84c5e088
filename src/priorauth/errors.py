"""One root exception with a short set of codes, each mapped to an HTTP status here and nowhere else.

The CLI prints `error [code]: location: message` and exits 2, never a traceback; the service answers
problem+json with the status below. The list is documented in docs/errors.md (a test keeps them equal).
"""

from __future__ import annotations

from typing import Any

# The documented error codes, with the HTTP status each one answers in the service.
INVALID_CASE = "invalid-case"  # the request's case (file, body) fails validation
INVALID_POLICY = "invalid-policy"  # a policy file fails validation: the deployment's fault, not the caller's
NOT_FOUND = "not-found"  # a named thing (policy id, case, file) does not exist
USAGE = "usage"  # a command or request is used wrongly (bad option, bad date, conflicting arguments)
ENVIRONMENT = "environment"  # the machine, not the input: a cache that cannot be written, a database down
INVALID_FHIR = "invalid-fhir"  # a FHIR resource (a PAS Bundle) cannot be read or mapped: the location is a FHIRPath

# The service's own codes: problems of an HTTP request rather than of the case or the policies.
SERVICE_CODES: dict[str, int] = {
    "malformed-json": 400,  # the body is not JSON (or not UTF-8, or empty)
    "invalid-request": 422,  # a parameter, header or non-case body field is wrong
    "unauthorized": 401,  # no valid bearer token
    "forbidden": 403,  # the token's role may not do this
    "method-not-allowed": 405,
    "conflict": 409,  # the case changed since the version the client read (If-Match)
    "already-finalized": 409,  # a reviewer already finalized this determination
    "idempotency-key-reused": 422,  # the same Idempotency-Key with a different body
    "payload-too-large": 413,
    "unsupported-media-type": 415,
    "request-timeout": 408,  # the body did not arrive in time
    "too-many-requests": 429,  # over the source's rate, or locked out after bad tokens (Retry-After says how long)
    "unavailable": 503,  # the database does not answer
    "internal-error": 500,  # a defect: logged by type and code location, never by message
}

HTTP_STATUS: dict[str, int] = {
    INVALID_CASE: 422,
    INVALID_POLICY: 500,
    NOT_FOUND: 404,
    USAGE: 400,
    ENVIRONMENT: 503,
    INVALID_FHIR: 422,
    **SERVICE_CODES,
}
CODES = tuple(HTTP_STATUS)


class PriorAuthError(Exception):
    """A user-facing error: `code`, where it happened (`location`) and what is wrong (`message`)."""

    def __init__(self, code: str, location: str, message: str):
        if code not in HTTP_STATUS:
            raise ValueError(f"undocumented error code {code!r}")
        super().__init__(f"{location}: {message}" if location else message)
        self.code = code
        self.location = location
        self.message = message

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.code]


class CaseError(PriorAuthError):
    def __init__(self, location: str, message: str):
        super().__init__(INVALID_CASE, location, message)


class PolicyError(PriorAuthError):
    def __init__(self, location: str, message: str):
        super().__init__(INVALID_POLICY, location, message)


class FhirError(PriorAuthError):
    """A FHIR input that cannot be processed. `issues` is every problem found, each (FHIRPath, message); the
    first is the location and message (the FHIR API answers all of them in one OperationOutcome)."""

    def __init__(self, issues: list[tuple[str, str]]):
        super().__init__(INVALID_FHIR, issues[0][0], issues[0][1])
        self.issues = issues


def field_path(loc: tuple[Any, ...]) -> str:
    """A validation location as a field path: ("clinical", "treatments", 2, "start") -> clinical.treatments[2].start."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(document)"
