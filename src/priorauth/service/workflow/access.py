"""Audit events for requests that touch PHI without storing anything (an evaluation), and for refused ones
(no token, a bad token, a role that may not): HIPAA 164.312(b) asks for both. Identifiers only.

These events come with every request of the hottest endpoint, so they are written by group commit: a request
queues its event and waits until a writer thread has committed it together with the others queued meanwhile (one
transaction, one fsync, for many requests). A request is answered only once its event is in the trail.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Any

from priorauth.service.audit import chain
from priorauth.service.auth.users import User
from priorauth.service.store.db import writing
from priorauth.service.workflow.state import Store

MAX_BATCH = 500


@dataclass
class _Event:
    actor: str
    role: str
    action: str
    details: dict[str, Any]
    request: dict[str, str] | None
    done: asyncio.Future
    loop: asyncio.AbstractEventLoop


@dataclass
class AuditQueue:
    """One writer thread per worker process, committing queued events in batches."""

    store: Store
    _pending: list[_Event] = field(default_factory=list)
    _ready: threading.Condition = field(default_factory=threading.Condition)
    _thread: threading.Thread | None = None
    _stopping: bool = False

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="priorauth-audit-writer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._ready:
            self._stopping = True
            self._ready.notify()
        if self._thread is not None:
            self._thread.join(30)

    async def record(self, user: User | None, action: str, details: dict[str, Any]) -> None:
        loop = asyncio.get_running_loop()
        event = _Event(user.name if user else "(anonymous)", user.role if user else "none", action, details,
                       chain.REQUEST.get(), loop.create_future(), loop)
        with self._ready:
            if self._stopping:
                raise RuntimeError("the service is stopping")
            if self._thread is None:  # an app served without its lifespan (start() is idempotent here)
                self.start()
            self._pending.append(event)
            self._ready.notify()
        await event.done

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._pending and not self._stopping:
                    self._ready.wait()
                if not self._pending:
                    return
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            error: BaseException | None = None
            try:
                with writing(self.store.engine) as conn:
                    chain.append_many(conn, [(e.actor, e.role, e.action, e.details, e.request) for e in batch])
            except Exception as exc:  # noqa: BLE001 - each waiting request answers with it (a 503 or a 500)
                error = exc
            for e in batch:
                e.loop.call_soon_threadsafe(_settle, e.done, error)


def _settle(done: asyncio.Future, error: BaseException | None) -> None:
    if done.done():
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)


def evaluation_details(results: list[dict[str, Any]]) -> dict[str, Any]:
    return {"decisions": {r["policy"]: r["decision"] for r in results}}
