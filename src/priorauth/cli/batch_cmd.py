"""`priorauth batch`: a stream of cases to a file of rows, one per case and policy, in constant memory."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from priorauth.cli.options import PoliciesDir, parse_date
from priorauth.errors import USAGE, PriorAuthError
from priorauth.vocab import Explain


def batch(
    input: Annotated[Path, typer.Argument(help="A JSONL file of cases (one priorauth-case/1 object per line) or a "
                                          "folder of case files.", show_default=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="The rows, as JSON lines (.jsonl).", show_default=False)],
    workers: Annotated[int, typer.Option("--workers", "-w", help="Worker processes (default: one per core).")]
    = 0,
    policy: Annotated[list[str] | None, typer.Option("--policy", "-p", help="Only this policy id (repeatable).")]
    = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Look-back date (YYYY-MM-DD); default: each "
                                              "case's submitted date.")] = None,
    explain: Annotated[Explain, typer.Option("--explain", help="The determination in each row: summary, fails "
                                             "or full.")] = Explain.summary,
    policies: PoliciesDir = None,
    no_notes: Annotated[bool, typer.Option("--no-notes", help="Do not read the cases' clinical notes.")] = False,
) -> None:
    """Evaluate every case of INPUT and write one row per case and policy to --out: source (file:line), case id,
    policy, version and content hash, decision, not-met and unknown criterion ids, finding counts, and the
    determination at --explain. Cases stream through worker processes; memory does not grow with the input.

    A case that cannot be read or decided is a row with its `error` (the run goes on). Exit status 0: every
    case decided; 1: some cases are error rows; 2: a usage error (nothing written).
    """
    import os

    from priorauth.batch.stream import Job, read_inputs, run
    from priorauth.cli.options import compiled_policies

    day = parse_date(as_of, "--as-of")
    if out.suffix.lower() not in (".jsonl", ".ndjson"):
        raise PriorAuthError(USAGE, "--out", "write JSON lines (.jsonl); Parquet output is not built yet")
    if workers < 0:
        raise PriorAuthError(USAGE, "--workers", "0 (one per core) or more")
    loaded = compiled_policies(policies)  # a bad policy folder or id stops here, before anything is written
    for pid in policy or []:
        loaded.versions(pid)
    items = read_inputs(input)
    first = next(items, None)
    if first is None:
        raise PriorAuthError(USAGE, str(input), "no cases in it")
    job = Job(policies, tuple(policy) if policy else None, day, explain, not no_notes)
    count = workers or os.cpu_count() or 1
    tmp = out.with_name(out.name + ".partial")
    with tmp.open("wb") as sink, _progress() as advance:
        totals = run(_chain(first, items), sink, job, count, advance)
    tmp.replace(out)  # the output appears whole, or not at all
    typer.echo(f"{totals.cases} cases, {totals.rows} rows, {totals.failed} failed -> {out}", err=True)
    if totals.failed:
        raise typer.Exit(1)


def _chain(first, rest):
    yield first
    yield from rest


class _progress:
    """A rich progress bar (count, rate, elapsed) on stderr when it is a terminal; silent otherwise."""

    def __enter__(self):
        if not sys.stderr.isatty():
            return lambda _n: None
        from rich.console import Console
        from rich.progress import MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.bar = Progress(SpinnerColumn(), TextColumn("cases"), MofNCompleteColumn(),
                            TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), console=Console(stderr=True))
        self.bar.start()
        self.task = self.bar.add_task("cases", total=None, rate="")
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
