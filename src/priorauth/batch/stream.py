"""Streaming a batch: cases read one at a time, evaluated a chunk at a time in worker processes (or as tasks on
a Dask cluster) with a bounded number of chunks in flight, rows handed to the sink as they come back, in input
order. Memory stays constant in the size of the input: neither the cases nor the results are ever all held."""

from __future__ import annotations

import datetime as dt
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from priorauth.batch.rows import rows_for
from priorauth.batch.sinks import Sink, encode
from priorauth.vocab import Explain

CHUNK = 128  # cases per local task: half the round trips of 64 (less parent CPU); 256 held more memory for no gain
DASK_CHUNK = 2048  # cases per Dask task: a task's scheduling costs milliseconds, so few large ones


@dataclass(frozen=True)
class Job:
    only: tuple[str, ...] | None
    as_of: dt.date | None
    explain: Explain
    notes: bool = True
    output: str = "jsonl"  # the sink's format (sinks.encode): what a chunk's rows come back as


def evaluate_chunk(policies: Any, job: Job, items: list[tuple[str, str]]) -> bytes:
    """A chunk of cases to their rows, encoded for the sink: compact bytes, so what comes back from a worker is
    small and the parent has nothing to do but write it."""
    return encode([row for source, text in items
                   for row in rows_for(source, text, policies, job.only, job.as_of, job.explain, job.notes)],
                  job.output)


def chunks(items: Iterator[tuple[str, str]], size: int) -> Iterator[list[tuple[str, str]]]:
    chunk: list[tuple[str, str]] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# A chunk's work: (the policies the workers were given, the job, the chunk) -> bytes for the sink. Module-level
# functions only, so a worker process or a Dask worker finds it by name.
Task = Callable[[Any, Job, list[tuple[str, str]]], bytes]


@dataclass
class Totals:
    cases: int = 0
    rows: int = 0
    failed: int = 0


class _Taker:
    """Hands each chunk's rows to the sink and counts them."""

    def __init__(self, sink: Sink, advance: Callable[[int], None]):
        self.sink, self.advance, self.totals = sink, advance, Totals()

    def __call__(self, payload: bytes, n: int) -> None:
        rows, failed = self.sink.write(payload)
        self.totals.rows += rows
        self.totals.failed += failed
        self.totals.cases += n
        self.advance(n)


_POLICIES: Any = None  # in a worker process: the policy set it was started with


def _init(policies: Any) -> None:
    global _POLICIES
    _POLICIES = policies


def _local_chunk(task: Task, job: Job, items: list[tuple[str, str]]) -> bytes:
    return task(_POLICIES, job, items)


def run(items: Iterator[tuple[str, str]], sink: Sink, job: Job, policies: Any, workers: int,
        advance: Callable[[int], None] = lambda _n: None, chunk_size: int = CHUNK,
        task: Task = evaluate_chunk) -> Totals:
    """Evaluate every case of `items` in `workers` local processes (in this one when 1); `advance(n)` after each
    chunk. The policy set goes to each worker pickled (its validated policies; no policy file is read there)."""
    take = _Taker(sink, advance)
    if workers <= 1:
        for chunk in chunks(items, chunk_size):
            take(task(policies, job, chunk), len(chunk))
        return take.totals
    ctx = multiprocessing.get_context("spawn")  # no forked copies of a parent's threads or locks
    with ctx.Pool(workers, initializer=_init, initargs=(policies,)) as pool:
        pending: deque = deque()
        for chunk in chunks(items, chunk_size):
            pending.append((pool.apply_async(_local_chunk, (task, job, chunk)), len(chunk)))
            while len(pending) >= workers * 2:  # a bounded window: input is read only as fast as it is used
                result, n = pending.popleft()
                take(result.get(), n)
        while pending:
            result, n = pending.popleft()
            take(result.get(), n)
    return take.totals


def run_on_dask(items: Iterator[tuple[str, str]], sink: Sink, job: Job, policies: Any, address: str,
                advance: Callable[[int], None] = lambda _n: None, chunk_size: int = DASK_CHUNK,
                task: Task = evaluate_chunk) -> Totals:
    """The same chunks as tasks on the Dask cluster at `address`: the policy set is sent to every worker once,
    at most two tasks per worker thread are in flight, and rows come back as compact JSON lines, in order."""
    from distributed import Client

    take = _Taker(sink, advance)
    with Client(address, set_as_default=False) as client:
        shared = client.scatter(policies, broadcast=True, hash=False)
        window = max(2, 2 * sum(client.nthreads().values()))
        pending: deque = deque()
        for chunk in chunks(items, chunk_size):
            pending.append((client.submit(task, shared, job, chunk, pure=False), len(chunk)))
            while len(pending) >= window:
                future, n = pending.popleft()
                take(future.result(), n)
                future.release()
        while pending:
            future, n = pending.popleft()
            take(future.result(), n)
            future.release()
    return take.totals
