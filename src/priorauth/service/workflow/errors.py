"""Why the workflow refuses a request, free of HTTP: the http layer answers each refusal as problem+json.

`code` is the problem code clients see (`not-found`, `conflict`, ...), one of priorauth.errors' codes,
whose table gives its HTTP status.
"""

from __future__ import annotations

from priorauth.errors import PriorAuthError


class Refused(PriorAuthError):
    """The request cannot be carried out as asked: `code` says why, `field` (if any) what is at fault."""

    def __init__(self, code: str, detail: str, field: str | None = None):
        super().__init__(code, field or "", detail)
        self.detail, self.field = detail, field


def not_found(what: str) -> Refused:
    return Refused("not-found", f"no {what}")
