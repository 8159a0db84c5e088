"""`priorauth impact`: which decisions a policy revision would change, and because of which criterion."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from priorauth.cli.options import PoliciesDir, parse_date
from priorauth.errors import USAGE, PriorAuthError
from priorauth.vocab import Explain


def impact(
    input: Annotated[str, typer.Argument(help="The cases, as for `batch`: a JSONL file, a Parquet file, a folder "
                                              "of case files, or the service's store.", show_default=False)],
    candidate: Annotated[str, typer.Option("--candidate", help="The revised policies: a folder of policy files, "
                                           "or ID@VERSION from the policy library.", show_default=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="The report: Markdown (.md) or HTML (.html); the changed "
                                      "rows go beside it as REPORT.changes.parquet.", show_default=False)],
    baseline: Annotated[str | None, typer.Option("--baseline", help="The policies to compare against: a folder, "
                                                 "or ID@VERSION (default: the policy library).", show_default=False)]
    = None,
    workers: Annotated[int, typer.Option("--workers", "-w", help="Worker processes (default: one per core).")] = 0,
    dask: Annotated[str | None, typer.Option("--dask", help="Run on the Dask cluster at this scheduler address.",
                                             show_default=False)] = None,
    policy: Annotated[list[str] | None, typer.Option("--policy", "-p", help="Compare only this policy id "
                                                     "(repeatable).")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Look-back date (YYYY-MM-DD); default: each "
                                              "case's submitted date.")] = None,
    policies: PoliciesDir = None,
    no_notes: Annotated[bool, typer.Option("--no-notes", help="Do not read the cases' clinical notes.")] = False,
) -> None:
    """Evaluate every case of INPUT under the baseline and the candidate policies and report which decisions
    change (approve -> pend, pend -> deny, ...), counted by the criterion responsible, with example cases.

    The candidate's policies (the latest version of each) are applied as if in force on every case's date, so a
    revision can be assessed before it takes effect; the baseline's are picked by date, as `check` picks them
    (an ID@VERSION baseline is applied as if in force too). Only the candidate's policies are compared.
    Exit status 0: every case compared; 1: some cases could not be read or decided (listed in the report).
    """
    from priorauth.batch.impact import ImpactSink, Sets, impact_chunk, with_candidate
    from priorauth.batch.impact_report import About, html, markdown
    from priorauth.batch.stream import CHUNK, DASK_CHUNK, Job, run, run_on_dask
    from priorauth.cli.streams import chain, count, dask_address, inputs, progress
    from priorauth.engine.policyset import CompiledPolicies
    from priorauth.knowledge.tables import open_knowledge
    from priorauth.policy.loader import load_policies

    day = parse_date(as_of, "--as-of")
    if out.suffix.lower() not in (".md", ".html", ".htm"):
        raise PriorAuthError(USAGE, "--out", f"write Markdown (.md) or HTML (.html), not {out.name!r}")
    if workers < 0:
        raise PriorAuthError(USAGE, "--workers", "0 (one per core) or more")
    library = load_policies(policies)
    base, base_label = _side(baseline, library, "--baseline")
    cand, cand_label = _side(candidate, library, "--candidate")
    if baseline is not None and "@" in baseline and not Path(baseline).exists():
        base = with_candidate(library, base)  # the library, with that one version pinned (as if in force)
    for pid in cand.ids:
        if pid not in base.versions:
            raise PriorAuthError(USAGE, "--candidate", f"policy {pid} is not in the baseline: nothing to compare")
    compared = [pid for pid in cand.ids if not policy or pid in policy]
    for pid in policy or []:
        if pid not in cand.versions:
            raise PriorAuthError(USAGE, "--policy", f"{pid} is not among the candidate's policies "
                                                    f"({', '.join(cand.ids)})")
    knowledge = open_knowledge()
    sets = Sets(CompiledPolicies(base, knowledge), CompiledPolicies(with_candidate(base, cand), knowledge))
    items = inputs(input)
    first = next(items, None)
    if first is None:
        raise PriorAuthError(USAGE, input, "no cases in it")
    rows_path = out.with_name(out.stem + ".changes.parquet")
    job = Job(tuple(compared), day, Explain.summary, not no_notes, "impact")
    sink = ImpactSink(rows_path)
    try:
        with progress(count(input)) as advance:
            if dask is not None:
                totals = run_on_dask(chain(first, items), sink, job, sets, dask_address(dask), advance,
                                     DASK_CHUNK, task=impact_chunk)
            else:
                totals = run(chain(first, items), sink, job, sets, workers or os.cpu_count() or 1, advance, CHUNK,
                             task=impact_chunk)
    except BaseException:
        sink.abandon()
        raise
    sink.close()
    about = About(_label(base_label, base, compared), _label(cand_label, cand, compared), input, rows_path.name)
    text = html(sink.impact, about) if out.suffix.lower() in (".html", ".htm") else markdown(sink.impact, about)
    tmp = out.with_name(out.name + ".partial")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    changed = sum(sink.impact.changes.values())
    typer.echo(f"{totals.cases} cases, {sink.impact.compared} determinations compared, {changed} changed, "
               f"{totals.failed} failed -> {out}, {rows_path}", err=True)
    if totals.failed:
        raise typer.Exit(1)


def _side(spec: str | None, library, option: str):
    """A side's policy set and how the report names it."""
    from priorauth.batch.impact import one_version
    from priorauth.policy.loader import load_policies

    if spec is None:
        chosen = library
    elif "@" in spec and not Path(spec).exists():
        chosen = one_version(library, spec)
    else:
        folder = Path(spec)
        if not folder.is_dir():
            raise PriorAuthError(USAGE, option, f"{spec!r} is neither a folder of policy files nor ID@VERSION")
        chosen = load_policies(folder)
    return chosen, spec or "the policy library"


def _label(name: str, chosen, ids: list[str]) -> str:
    """How the report names a side: where it came from, and each compared policy's version and content hash."""
    versions = "; ".join(f"{pid} {chosen.versions[pid][-1].version} "
                         f"(sha256 {chosen.hashes.get((pid, chosen.versions[pid][-1].version), '?')[:12]})"
                         for pid in ids if pid in chosen.versions)
    return f"{name}: {versions}"
