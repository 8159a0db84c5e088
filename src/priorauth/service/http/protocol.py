"""The HTTP/1.1 connection: uvicorn's h11 protocol with the limits it lacks.

- **Header size**: h11 refuses a request line and headers above `MAX_HEADER_BYTES` together (a 400), so header
  count is bounded too. (uvicorn's other parser, httptools, has no such limit: eight 64 MB headers took a worker
  from 82 to 664 MB; we never use it.)
- **Header timeout**: a connection that has not sent a complete request head within `HEADER_SECONDS` of opening,
  or of its previous response, is closed (uvicorn waits forever: 1,500 half-open connections held a worker's file
  descriptors for over a minute). The body has its own deadline (body.read_body).
"""

from __future__ import annotations

import asyncio
import os

from uvicorn.protocols.http.h11_impl import H11Protocol

MAX_HEADER_BYTES = 16 * 1024


def seconds_from_env(name: str, default: float) -> float:
    """A positive number of seconds from the environment; the default when unset or not one."""
    try:
        value = float(os.environ.get(name, "") or default)
    except ValueError:
        value = default
    return value if value > 0 else default


HEADER_SECONDS = seconds_from_env("PRIORAUTH_HEADER_TIMEOUT", 10.0)


class GuardedH11(H11Protocol):
    """H11Protocol whose connections must send each request head in time."""

    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._waiting_for_head():
            self._arm()
        else:
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _waiting_for_head(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _arm(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(HEADER_SECONDS, self._too_slow)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _too_slow(self) -> None:
        self._head_timer = None
        if self._waiting_for_head() and not self.transport.is_closing():
            self.transport.close()


def server_options() -> dict[str, object]:
    """The uvicorn settings every worker runs with (see the module doc; `limit_concurrency` answers 503 beyond
    that many open connections and requests in one worker, well below its file-descriptor limit)."""
    return {"http": GuardedH11, "h11_max_incomplete_event_size": MAX_HEADER_BYTES,
            "limit_concurrency": int(seconds_from_env("PRIORAUTH_MAX_CONNECTIONS", 512)), "timeout_keep_alive": 5,
            "backlog": 2048}
