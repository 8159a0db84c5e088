"""What one client may ask of a worker: a request rate, and a lockout after repeated bad tokens (429 with
`Retry-After`), by source address. Configured from the environment, with defaults that a real clinic's or plan's
traffic stays well below:

| variable | default | |
|---|---|---|
| `PRIORAUTH_RATE_LIMIT` | 1000 | requests per second per source (a burst of twice that); 0: no limit |
| `PRIORAUTH_AUTH_FAILURES` | 50 | wrong, revoked or expired tokens from one source in a minute: then locked out |
| `PRIORAUTH_LOCKOUT_SECONDS` | 60 | how long a locked-out source gets 429 for everything |

A request with no token guesses nothing and is not counted. Counts are per worker process (a lockout takes
effect in the worker that saw the failures; with N workers an attacker gets at most N times the failures).
Behind a reverse proxy the source is the client's address only if the proxy is trusted to send it (uvicorn's
`--forwarded-allow-ips`).
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from dataclasses import dataclass, field

_MAX_SOURCES = 100_000  # beyond this many tracked addresses the tables start afresh (memory stays bounded)


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        value = float(raw) if raw else default
    except ValueError:
        value = default
    return value if value >= 0 else default


@dataclass
class SourceLimits:
    rate: float = field(default_factory=lambda: _env_number("PRIORAUTH_RATE_LIMIT", 1000))
    failures: int = field(default_factory=lambda: int(_env_number("PRIORAUTH_AUTH_FAILURES", 50)))
    lockout: float = field(default_factory=lambda: _env_number("PRIORAUTH_LOCKOUT_SECONDS", 60))
    window: float = 60.0
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)
    _failed: dict[str, deque] = field(default_factory=dict)
    _locked: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def refuse(self, source: str | None) -> int | None:
        """Seconds the source must wait (it is locked out, or over its rate), or None to serve it."""
        if source is None:
            return None
        now = time.monotonic()
        with self._lock:
            until = self._locked.get(source)
            if until is not None:
                if until > now:
                    return max(1, round(until - now))
                del self._locked[source]
            if not self.rate:
                return None
            tokens, last = self._buckets.get(source, (self.rate * 2, now))
            tokens = min(self.rate * 2, tokens + (now - last) * self.rate)
            if tokens < 1:
                self._buckets[source] = (tokens, now)
                return 1
            if len(self._buckets) > _MAX_SOURCES:
                self._buckets.clear()
            self._buckets[source] = (tokens - 1, now)
        return None

    def failed(self, source: str | None) -> bool:
        """Count a wrong token from `source`; True when this failure locks it out."""
        if source is None or not self.failures:
            return False
        now = time.monotonic()
        with self._lock:
            seen = self._failed.setdefault(source, deque())
            seen.append(now)
            while seen and seen[0] < now - self.window:
                seen.popleft()
            if len(seen) < self.failures:
                if len(self._failed) > _MAX_SOURCES:
                    self._failed.clear()
                return False
            del self._failed[source]
            self._locked[source] = now + self.lockout
        return True
