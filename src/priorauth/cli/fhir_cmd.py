"""`priorauth fhir`: what a Da Vinci PAS request becomes as a case, with the FHIR element of every fact."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from priorauth.cli.options import Format, PoliciesDir

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


@app.command()
def respond(
    request: Annotated[Path, typer.Argument(help="A PAS request Bundle or Claim (FHIR JSON), or a case file.",
                                            show_default=False)],
    policies: PoliciesDir = None,
) -> None:
    """Print the PAS response Bundle (ClaimResponse first) the API would answer for a request.

    Review actions per item (X12 306): A1 certified (approve), A4 pended (documentation missing, manual
    review, or a recommended denial waiting for a clinical reviewer), NA (a service these policies do not
    govern). A3 (not certified) needs a reviewer's final decision, so only the service gives it.
    """
    import datetime as dt

    from priorauth.cli.options import compiled_policies
    from priorauth.engine.evaluate import evaluate_case
    from priorauth.errors import FhirError
    from priorauth.intake.fhir import is_fhir, map_request
    from priorauth.intake.fhir.claim_response import response_bundle
    from priorauth.intake.fhir.to_case import mapping_of_case
    from priorauth.intake.files import load_case

    compiled = compiled_policies(policies)
    data = read_json(request) if request.suffix.lower() == ".json" else None
    if is_fhir(data):
        try:
            mapping = map_request(data, compiled)
        except FhirError as exc:
            raise FhirError([(f"{request}: {where}", message) for where, message in exc.issues]) from None
    else:
        mapping = mapping_of_case(load_case(request), compiled.knowledge)
    found = [d.to_dict() for d in evaluate_case(mapping.case, compiled, evidence=mapping.evidence)] \
        if mapping.case else []
    rid = found[0]["id"] if found else "not-applicable"
    bundle = response_bundle(mapping, found, response_id=rid, created=dt.datetime.now(dt.UTC))
    sys.stdout.write(json.dumps(bundle, indent=2, ensure_ascii=False) + "\n")
