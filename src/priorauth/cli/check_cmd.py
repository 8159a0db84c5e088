"""`priorauth check`: evaluate case files against the payer policies."""

from __future__ import annotations

import datetime as dt
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from priorauth.cli.options import PoliciesDir, parse_date
from priorauth.errors import USAGE, PriorAuthError
from priorauth.vocab import Explain


class Format(StrEnum):
    text = "text"
    json = "json"


def results_for(cases: list, policy_dir: Path | None, only: list[str] | None,
                as_of: dt.date | None, explain: Explain) -> list[dict]:
    """Every case's determinations as JSON, after checking every case's payer and every policy id."""
    from priorauth.cli.options import compiled_policies
    from priorauth.engine.evaluate import evaluate_case

    policies = compiled_policies(policy_dir)
    for pid in only or []:
        policies.versions(pid)  # unknown ids are a usage error before anything is evaluated
    for name, case in cases:
        try:
            policies.for_payer(case.member.payer)
        except PriorAuthError as exc:
            raise PriorAuthError(exc.code, f"{name}: {exc.location}", exc.message) from None
    return [{"case": c.id, "determinations": [d.to_dict(explain) for d in evaluate_case(c, policies, as_of, only)]}
            for _, c in cases]


def case_files(paths: list[Path]) -> list[Path]:
    """Files as given; a folder stands for its case files (*.json except expected.json, *.yaml, *.yml)."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = sorted(f for f in p.iterdir()
                           if f.suffix in (".json", ".yaml", ".yml") and not f.name.startswith("expected."))
            if not found:
                raise PriorAuthError(USAGE, str(p), "no case files (*.json, *.yaml) in this folder")
            out.extend(found)
        else:
            out.append(p)
    return out


def check(
    cases: Annotated[list[Path], typer.Argument(
        help="Case files (JSON or YAML, format priorauth-case/1), or folders of them.", show_default=False)],
    policy: Annotated[list[str] | None, typer.Option(
        "--policy", "-p", help="Evaluate only this policy id (repeatable). Default: every policy, or only "
        "the member's payer's when member.payer is given.")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Date look-back windows count from (YYYY-MM-DD). Default: the case's submitted "
        "date. The policy version is chosen by the date of service.")] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="text for people, json for programs.")]
    = Format.text,
    explain: Annotated[Explain, typer.Option(
        "--explain", help="Criteria detail: summary (none), fails (not met and unknown only), full.")]
    = Explain.full,
    policies: PoliciesDir = None,
) -> None:
    """Evaluate case files against the payer policies and show each decision with its reasons.

    Decisions: approve, deny (a recommendation for a clinical reviewer), pend (with the documentation
    to request), refer (manual review) or not_applicable. Every case is validated before any is
    evaluated; a bad case stops with exit status 2 and a message naming the file and field.
    """
    from priorauth.intake.files import load_case

    day = parse_date(as_of, "--as-of")
    loaded = [(str(p), load_case(p)) for p in case_files(cases)]
    results = results_for(loaded, policies, policy, day, explain)
    if format is Format.json:
        payload = results[0] if len(results) == 1 else results
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    else:
        from rich.console import Console

        from priorauth.cli.render import print_text

        print_text(Console(), results, details=explain is not Explain.summary)
