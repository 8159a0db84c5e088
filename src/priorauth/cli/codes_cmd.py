"""`priorauth codes lookup`: what a code is, whether it is valid and billable, and which policies list it."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from priorauth.cli.options import Format

app = typer.Typer(help="Look up diagnosis (ICD-10-CM) and procedure (CPT, HCPCS) codes.", no_args_is_help=True)


@app.command()
def lookup(
    codes: Annotated[list[str], typer.Argument(help="Codes, e.g. G89.4 62362 J3490.", show_default=False)],
    format: Annotated[Format, typer.Option("--format", "-f", help="text for people, json for programs.")]
    = Format.text,
) -> None:
    """Describe each code: system, validity, billable or not (with the billable codes under a category),
    and which policies list it. CPT codes carry our own short labels (CPT descriptors are AMA's text).
    Exit status 1 when any code is not valid."""
    from priorauth.knowledge.tables import open_knowledge
    from priorauth.policy.loader import load_policies

    policies = load_policies()
    knowledge = open_knowledge()
    rows = []
    for raw in codes:
        info = knowledge.codes.lookup(raw)
        listed = [pid for pid in policies.ids
                  if info.code in {**policies.latest(pid).codes.procedure, **policies.latest(pid).codes.diagnosis}]
        rows.append({"code": info.code, "system": info.system, "valid": info.valid, "billable": info.billable,
                     "description": info.description, "billable_codes": list(info.children), "policies": listed})
    if format is Format.json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title="Codes")
        for col in ("code", "system", "valid", "description", "listed by"):
            table.add_column(col)
        for r in rows:
            if not r["valid"]:
                what = f"not a valid {r['system']} code" if r["system"] == "ICD-10-CM" else \
                    f"not in the reviewed {r['system']} table"
                table.add_row(r["code"], r["system"], "[red]no[/]", what, "")
                continue
            desc = r["description"] or ""
            if not r["billable"]:
                desc += f" [yellow](category, not billable: use {', '.join(r['billable_codes'])})[/]"
            table.add_row(r["code"], r["system"], "yes", desc, ", ".join(r["policies"]) or "-")
        Console().print(table)
    if not all(r["valid"] for r in rows):
        raise typer.Exit(1)
