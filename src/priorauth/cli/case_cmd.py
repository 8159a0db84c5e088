"""`priorauth case new|validate`: write a case file to fill in; check case files without evaluating them."""

from __future__ import annotations

import datetime as dt
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from priorauth.cli.options import PoliciesDir
from priorauth.vocab import REQUEST_KINDS

app = typer.Typer(help="Write a case file to fill in, or check case files without evaluating them.",
                  no_args_is_help=True)

Kind = StrEnum("Kind", {k: k for k in REQUEST_KINDS})
Indication = StrEnum("Indication", {k: k for k in ("cancer_pain", "noncancer_pain", "spasticity")})
Route = StrEnum("Route", {k: k for k in ("intrathecal", "epidural")})


@app.command()
def new(kind: Annotated[Kind, typer.Option("--kind", help="What is requested.")] = Kind.trial,
        indication: Annotated[Indication, typer.Option("--indication", help="What the therapy treats.")]
        = Indication.noncancer_pain,
        route: Annotated[Route, typer.Option("--route", help="How the drug is given.")] = Route.intrathecal,
        out: Annotated[Path | None, typer.Option("--out", "-o", help="Write to this file (default: standard "
                                                 "output); an existing file is not overwritten.",
                                                 show_default=False)] = None,
        policies: PoliciesDir = None) -> None:
    """A YAML case with every fact the loaded policies read for this kind of request and indication: null
    where nothing is documented yet, the allowed values beside each closed field. It is a valid case as it
    stands; fill in what the record documents."""
    from priorauth.errors import USAGE, PriorAuthError
    from priorauth.policy.case_template import template
    from priorauth.policy.loader import load_policies

    ps = load_policies(policies)
    text = template([ps.latest(pid) for pid in ps.ids], kind.value, indication.value, route.value, dt.date.today())
    if out is None:
        sys.stdout.write(text)
        return
    if out.exists():
        raise PriorAuthError(USAGE, str(out), "already exists; give another --out or remove it")
    out.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {out}", err=True)


@app.command()
def validate(cases: Annotated[list[Path], typer.Argument(help="Case files (JSON or YAML) or folders of them.",
                                                         show_default=False)],
             policies: PoliciesDir = None) -> None:
    """Check case files as `check` reads them (format, fields, values, drug names, the payer against the loaded
    policies), without evaluating them: `ok: FILE` for each good one, every problem of each bad one, exit
    status 2 when any is bad."""
    from priorauth.cli.inputs import load_inputs, report_errors
    from priorauth.cli.options import compiled_policies
    from priorauth.errors import PriorAuthError

    bad: list[tuple[str, PriorAuthError]] = []
    loaded = load_inputs(cases, bad)
    ps = compiled_policies(policies)
    for item in loaded:
        name, case = item[0], item[1]
        if case is None:
            typer.echo(f"ok: {name} (a FHIR request: `priorauth fhir to-case` shows what it maps to)")
            continue
        try:
            ps.for_payer(case.member.payer)
        except PriorAuthError as exc:
            bad.append((name, PriorAuthError(exc.code, f"{name}: {exc.location}", exc.message)))
            continue
        typer.echo(f"ok: {name} (case {case.id})")
    if bad:
        report_errors(bad)
        raise typer.Exit(2)
