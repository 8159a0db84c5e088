"""One root exception with a short set of codes; the CLI prints `code: location: message`, never a traceback."""

from __future__ import annotations

# The documented error codes.
INVALID_CASE = "invalid-case"
INVALID_POLICY = "invalid-policy"
NOT_FOUND = "not-found"
USAGE = "usage"
ENVIRONMENT = "environment"  # the machine, not the input: e.g. a cache that cannot be written


class PriorAuthError(Exception):
    """A user-facing error: `code`, where it happened (`location`) and what is wrong (`message`)."""

    def __init__(self, code: str, location: str, message: str):
        super().__init__(f"{location}: {message}" if location else message)
        self.code = code
        self.location = location
        self.message = message

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class CaseError(PriorAuthError):
    def __init__(self, location: str, message: str):
        super().__init__(INVALID_CASE, location, message)


class PolicyError(PriorAuthError):
    def __init__(self, location: str, message: str):
        super().__init__(INVALID_POLICY, location, message)
