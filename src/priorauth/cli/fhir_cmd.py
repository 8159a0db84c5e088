"""`priorauth fhir`: what a Da Vinci PAS request becomes as a case, with the FHIR element of every fact."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from priorauth.cli.check_cmd import Format
from priorauth.cli.options import PoliciesDir

app = typer.Typer(help="Read Da Vinci PAS requests (FHIR R4): the case they map to.", no_args_is_help=True)


def read_json(path: Path):
    from priorauth.errors import CaseError
    from priorauth.intake.fhir import parse_json

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CaseError(str(path), f"cannot read: {exc.strerror or exc}") from None
    return parse_json(raw, str(path))


@app.command("to-case")
def to_case(
    bundle: Annotated[Path, typer.Argument(help="A PAS request Bundle or a Claim (FHIR R4 JSON).",
                                           show_default=False)],
    format: Annotated[Format, typer.Option("--format", "-f", help="text for people, json for programs.")]
    = Format.text,
    policies: PoliciesDir = None,
) -> None:
    """Map a PAS request to a priorauth case, with the FHIR element of each fact.

    Shows where each fact came from (resource, id, FHIRPath) and every element that was not mapped,
    with why. JSON output: {input, case, sources, unmapped} or
    {input, not_applicable, unmapped} when no policy here governs the request. Exit status 2 when the
    request cannot be read, naming each element (FHIRPath) and its problem."""
    from priorauth.cli.options import compiled_policies
    from priorauth.errors import FhirError
    from priorauth.intake.fhir import map_request

    data = read_json(bundle)
    try:
        mapping = map_request(data, compiled_policies(policies))
    except FhirError as exc:
        raise FhirError([(f"{bundle}: {where}", message) for where, message in exc.issues]) from None
    if format is Format.json:
        sys.stdout.write(json.dumps(mapping.to_dict(), indent=2, ensure_ascii=False) + "\n")
        return
    from rich.console import Console

    from priorauth.cli.render import fhir_view

    Console().print(fhir_view(str(bundle), mapping.to_dict()))
