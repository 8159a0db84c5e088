"""Streaming a batch: cases read one at a time, evaluated in worker processes a chunk at a time with a bounded
number of chunks in flight, rows written as they come back (in input order). Memory stays constant in the size
of the input: neither the cases nor the results are ever all held."""

from __future__ import annotations

import datetime as dt
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from priorauth.batch.rows import rows_for
from priorauth.errors import USAGE, PriorAuthError
from priorauth.vocab import Explain

CHUNK = 64  # cases per task: large enough that a task's overhead is small, small enough to stream


@dataclass(frozen=True)
class Job:
    policy_dir: Path | None
    only: tuple[str, ...] | None
    as_of: dt.date | None
    explain: Explain
    notes: bool = True


def read_inputs(path: Path) -> Iterator[tuple[str, str]]:
    """(source, case JSON text): each line of a JSONL file (`FILE:LINE`), or each case file of a folder
    (*.json, *.yaml, *.yml; not expected.json)."""
    if path.is_dir():
        for p in sorted(path.iterdir()):
            if p.suffix in (".json", ".yaml", ".yml") and not p.name.startswith("expected."):
                yield str(p), _read_file(p)
        return
    if not path.is_file():
        raise PriorAuthError(USAGE, str(path), "no such file or folder")
    if path.suffix.lower() not in (".jsonl", ".ndjson"):
        raise PriorAuthError(USAGE, str(path), "give a JSONL file (one case per line, .jsonl) or a folder of cases")
    with path.open("rb") as lines:
        for n, line in enumerate(lines, 1):
            if line.strip():
                yield f"{path}:{n}", line.decode("utf-8", errors="replace")


def _read_file(p: Path) -> str:
    try:
        raw = p.read_bytes()
    except OSError as exc:
        return orjson.dumps({"__unreadable__": exc.strerror or str(exc)}).decode()
    if p.suffix == ".json":
        return raw.decode("utf-8", errors="replace")
    from priorauth.yamlio import load_yaml

    try:
        return orjson.dumps(load_yaml(raw)).decode()
    except Exception:  # noqa: BLE001 - a bad YAML file is that case's error row
        return "{not valid YAML}"


_POLICIES: Any = None


def _init(job: Job) -> None:
    """In each worker: the policies compiled once."""
    global _POLICIES
    from priorauth.engine.policyset import CompiledPolicies
    from priorauth.knowledge.tables import open_knowledge
    from priorauth.policy.loader import load_policies

    _POLICIES = CompiledPolicies(load_policies(job.policy_dir), open_knowledge())


def _chunk(job: Job, items: list[tuple[str, str]]) -> bytes:
    """A chunk of cases to their rows as JSON lines (compact bytes: what comes back from a worker is small)."""
    return b"".join(orjson.dumps(row) + b"\n" for source, text in items
                    for row in rows_for(source, text, _POLICIES, job.only, job.as_of, job.explain, job.notes))


def _chunks(items: Iterator[tuple[str, str]]) -> Iterator[list[tuple[str, str]]]:
    chunk: list[tuple[str, str]] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@dataclass
class Totals:
    cases: int = 0
    rows: int = 0
    failed: int = 0


def run(items: Iterator[tuple[str, str]], out: BinaryIO, job: Job, workers: int,
        advance: Callable[[int], None] = lambda _n: None) -> Totals:
    """Evaluate every case of `items`, writing JSONL rows to `out` in input order; `advance(n)` after each chunk."""
    totals = Totals()

    def take(chunk_rows: bytes, n: int) -> None:
        out.write(chunk_rows)
        for line in chunk_rows.splitlines():
            totals.rows += 1
            if b'"error":null' not in line:
                totals.failed += 1
        totals.cases += n
        advance(n)

    if workers <= 1:
        _init(job)
        for chunk in _chunks(items):
            take(_chunk(job, chunk), len(chunk))
        return totals
    ctx = multiprocessing.get_context("spawn")  # no forked copies of a parent's threads or locks
    with ctx.Pool(workers, initializer=_init, initargs=(job,)) as pool:
        pending: deque = deque()
        for chunk in _chunks(items):
            pending.append((pool.apply_async(_chunk, (job, chunk)), len(chunk)))
            while len(pending) >= workers * 2:  # a bounded window: input is read only as fast as it is used
                result, n = pending.popleft()
                take(result.get(), n)
        while pending:
            result, n = pending.popleft()
            take(result.get(), n)
    return totals
