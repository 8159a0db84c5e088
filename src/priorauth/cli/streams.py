"""What `batch` and `impact` share on the command line: the input named by INPUT, its size for the progress bar,
the Dask scheduler address checked, and the progress bar itself."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from priorauth.errors import USAGE, PriorAuthError


def inputs(value: str):
    from priorauth.batch.inputs import read_inputs

    if value == "db" or value.startswith(("sqlite:", "postgresql:", "postgresql+")):
        from priorauth.service.store.config import database_url
        from priorauth.service.store.export import current_cases

        return current_cases(database_url() if value == "db" else value)
    return read_inputs(Path(value))


def count(value: str) -> int | None:
    if not sys.stderr.isatty() or value == "db" or ":" in value and not Path(value).exists():
        return None  # no bar to show, or the store (counting it would be a query of its own)
    from priorauth.batch.inputs import count_inputs

    return count_inputs(Path(value))


def dask_address(value: str) -> str:
    """The scheduler address, checked: an unreachable cluster is a usage error, not a hang."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(value if "://" in value else f"tcp://{value}")
    try:
        if parts.scheme != "tcp" or not parts.hostname or not parts.port:
            raise ValueError
        with socket.create_connection((parts.hostname, parts.port), timeout=5):
            pass
    except ValueError:
        raise PriorAuthError(USAGE, "--dask", f"not a scheduler address (tcp://HOST:PORT): {value!r}") from None
    except OSError as exc:
        raise PriorAuthError(USAGE, "--dask", f"no Dask scheduler at {value} ({exc.strerror or exc})") from None
    return f"tcp://{parts.hostname}:{parts.port}"


def chain(first, rest):
    yield first
    yield from rest


class progress:
    """A rich progress bar on stderr when it is a terminal (count, rate, elapsed, and the time left when the number
    of cases is known); silent otherwise."""

    def __init__(self, total: int | None):
        self.total = total

    def __enter__(self):
        if not sys.stderr.isatty():
            return lambda _n: None
        from rich import progress as rp
        from rich.console import Console

        columns = [rp.SpinnerColumn(), rp.TextColumn("cases"), rp.MofNCompleteColumn(),
                   rp.TextColumn("{task.fields[rate]}"), rp.TimeElapsedColumn()]
        if self.total:
            columns[2:2] = [rp.BarColumn()]
            columns += [rp.TextColumn("left"), rp.TimeRemainingColumn()]
        self.bar = rp.Progress(*columns, console=Console(stderr=True))
        self.bar.start()
        self.task = self.bar.add_task("cases", total=self.total, rate="")
        started = time.monotonic()

        def advance(n: int) -> None:
            self.bar.advance(self.task, n)
            done = self.bar.tasks[0].completed
            elapsed = max(1e-6, time.monotonic() - started)
            self.bar.update(self.task, rate=f"{done / elapsed:.0f}/s")
        return advance

    def __exit__(self, *exc):
        if hasattr(self, "bar"):
            self.bar.stop()
        return False
