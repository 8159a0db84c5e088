"""`priorauth batch`: a stream of cases to a file of rows, one per case and policy, in constant memory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from priorauth.cli.options import PoliciesDir, parse_date
from priorauth.errors import USAGE, PriorAuthError
from priorauth.vocab import Explain


def batch(
    input: Annotated[str, typer.Argument(
        help="The cases: a JSONL file (one priorauth-case/1 object per line), a Parquet file (a 'case' column of "
             "case JSON), a folder of case files, or the service's store (its database URL, or 'db' for the "
             "configured one: each case's current revision).", show_default=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="The rows: JSON lines (.jsonl) or Parquet (.parquet).",
                                      show_default=False)],
    workers: Annotated[int, typer.Option("--workers", "-w", help="Worker processes (default: one per core).")]
    = 0,
    dask: Annotated[str | None, typer.Option("--dask", help="Run on the Dask cluster at this scheduler address "
                                             "(tcp://HOST:PORT) instead of local processes.", show_default=False)]
    = None,
    chunk: Annotated[int, typer.Option("--chunk", help="Cases per task (default: 128 locally, 2048 on Dask, where "
                                       "each task costs a scheduler round trip).", show_default=False)] = 0,
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
    determination at --explain (JSON text in Parquet). Cases stream through worker processes, or Dask tasks
    with --dask; memory does not grow with the input.

    A case that cannot be read or decided is a row with its `error` (the run goes on). Exit status 0: every
    case decided; 1: some cases are error rows; 2: a usage error (nothing written).
    """
    import os

    from priorauth.batch.sinks import open_sink
    from priorauth.batch.stream import CHUNK, DASK_CHUNK, Job, run, run_on_dask
    from priorauth.cli.options import compiled_policies
    from priorauth.cli.streams import chain, count, dask_address, inputs, progress

    day = parse_date(as_of, "--as-of")
    if workers < 0:
        raise PriorAuthError(USAGE, "--workers", "0 (one per core) or more")
    if chunk < 0:
        raise PriorAuthError(USAGE, "--chunk", "1 or more cases per task")
    if dask is not None and workers:
        raise PriorAuthError(USAGE, "--dask", "the cluster's workers run the cases: leave out --workers")
    loaded = compiled_policies(policies)  # a bad policy folder or id stops here, before anything is written
    policy = [loaded.resolve(pid) for pid in policy] if policy else policy  # `hcsc` -> hcsc-sur707-008
    items = inputs(input)
    first = next(items, None)
    if first is None:
        raise PriorAuthError(USAGE, input, "no cases in it")
    sink = open_sink(out)
    job = Job(tuple(policy) if policy else None, day, explain, not no_notes, sink.format)
    try:
        with progress(count(input)) as advance:
            if dask is not None:
                totals = run_on_dask(chain(first, items), sink, job, loaded, dask_address(dask), advance,
                                     chunk or DASK_CHUNK)
            else:
                totals = run(chain(first, items), sink, job, loaded, workers or os.cpu_count() or 1, advance,
                              chunk or CHUNK)
    except BaseException:
        sink.abandon()  # the output appears whole, or not at all
        raise
    sink.close()
    typer.echo(f"{totals.cases} cases, {totals.rows} rows, {totals.failed} failed -> {out}", err=True)
    if totals.failed:
        raise typer.Exit(1)
