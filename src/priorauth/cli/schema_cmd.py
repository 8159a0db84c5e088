"""`priorauth schema case|policy|determination`: the JSON Schemas of what priorauth reads and writes."""

from __future__ import annotations

import json
import sys

import typer

app = typer.Typer(help="Publish JSON Schemas of the input formats and of the determination.", no_args_is_help=True)


def _print(schema: dict) -> None:
    sys.stdout.write(json.dumps(schema, indent=2) + "\n")


@app.command("case")
def schema_case() -> None:
    """Print the JSON Schema of the case format (priorauth-case/1)."""
    from priorauth.case.model import Case

    schema = Case.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "priorauth case, format priorauth-case/1"
    _print(schema)


@app.command("policy")
def schema_policy() -> None:
    """Print the JSON Schema of the policy file format."""
    from priorauth.policy.model import Policy

    _print(Policy.model_json_schema(by_alias=True))


@app.command("determination")
def schema_determination() -> None:
    """Print the JSON Schema of a determination (priorauth-determination/1), as `check --format json` writes it."""
    from priorauth.engine.schema import determination_schema

    _print(determination_schema())
