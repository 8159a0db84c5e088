"""The `priorauth` command line: check cases against payer policies, and work with the policies."""

from __future__ import annotations

import datetime as dt
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from priorauth import __version__
from priorauth.case.loader import load_case
from priorauth.case.model import Case
from priorauth.cli import codes_cmd, policies_cmd, service_cmd
from priorauth.cli.render import print_text
from priorauth.engine.evaluate import evaluate_case
from priorauth.errors import USAGE, PriorAuthError
from priorauth.policy.loader import load_policies

app = typer.Typer(
    help="priorauth: payer medical policies for intrathecal and epidural drug delivery, applied to a "
    "prior-authorization case with every criterion explained. An adverse outcome is a recommendation "
    "for a clinical reviewer, never a final denial.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(policies_cmd.app, name="policies")
app.add_typer(codes_cmd.app, name="codes")
schema_app = typer.Typer(help="Publish JSON Schemas of the input formats.", no_args_is_help=True)
app.add_typer(schema_app, name="schema")
service_cmd.register(app)  # serve, users, audit (the service; imports its libraries lazily)


class Format(StrEnum):
    text = "text"
    json = "json"


class Explain(StrEnum):
    summary = "summary"
    fails = "fails"
    full = "full"


PoliciesDir = Annotated[
    Path | None,
    typer.Option("--policies", help="Directory of policy files (default: the policies shipped with priorauth).",
                 show_default=False),
]


def _parse_date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise PriorAuthError(USAGE, option, f"not a date (YYYY-MM-DD): {value!r}") from None


def results_for(cases: list[Case], policy_dir: Path | None, only: list[str] | None,
                as_of: dt.date | None, explain: str) -> list[dict]:
    policies = load_policies(policy_dir)
    for pid in only or []:
        policies.get(pid)  # unknown ids are a usage error before anything is evaluated
    return [{"case": c.id,
             "determinations": [d.to_dict(explain) for d in evaluate_case(c, policies, as_of, only)]}
            for c in cases]


@app.command()
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
    day = _parse_date(as_of, "--as-of")
    loaded = [load_case(p) for p in _case_files(cases)]
    results = results_for(loaded, policies, policy, day, explain.value)
    if format is Format.json:
        payload = results[0] if len(results) == 1 else results
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    else:
        print_text(Console(), results, details=explain is not Explain.summary)


def _case_files(paths: list[Path]) -> list[Path]:
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


@app.command()
def demo(
    cases_dir: Annotated[Path | None, typer.Argument(
        help="Folder of example cases (default: ../shared/cases beside the checkout).", show_default=False)] = None,
) -> None:
    """Run the example cases and show the table of policies by decision (with expected.json, if present)."""
    folder = cases_dir or _default_examples()
    if folder is None or not folder.is_dir():
        raise PriorAuthError(USAGE, str(folder or "../shared/cases"), "no example cases folder found")
    files = sorted(p for p in folder.glob("*.json") if p.name != "expected.json")
    files += sorted(folder.glob("*.yaml"))
    if not files:
        raise PriorAuthError(USAGE, str(folder), "no case files (*.json, *.yaml)")
    results = results_for([load_case(p) for p in files], None, None, None, "summary")
    console = Console()
    print_text(console, results, details=False)
    expected_file = folder / "expected.json"
    if expected_file.is_file():
        expected = json.loads(expected_file.read_text())
        agree = total = 0
        for r in results:
            want = expected.get(r["case"], {})
            for d in r["determinations"]:
                if d["policy"] in want:
                    total += 1
                    ok = want[d["policy"]]
                    agree += d["decision"] in (ok if isinstance(ok, list) else [ok])
        console.print(f"{agree} of {total} decisions agree with {expected_file.name}")
        if agree != total:
            raise typer.Exit(1)
    console.print("Details for one case: priorauth check CASE.json")


def _default_examples() -> Path | None:
    repo = Path(__file__).resolve().parents[3]
    for candidate in (Path.cwd() / "../shared/cases", Path.cwd() / "shared/cases", repo / "../shared/cases"):
        if candidate.is_dir():
            return candidate.resolve()
    return None


@schema_app.command("case")
def schema_case() -> None:
    """Print the JSON Schema of the case format (priorauth-case/1)."""
    schema = Case.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "priorauth case, format priorauth-case/1"
    sys.stdout.write(json.dumps(schema, indent=2) + "\n")


@schema_app.command("policy")
def schema_policy() -> None:
    """Print the JSON Schema of the policy file format."""
    from priorauth.policy.model import Policy

    sys.stdout.write(json.dumps(Policy.model_json_schema(by_alias=True), indent=2) + "\n")


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"priorauth {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_version_callback, is_eager=True,
                                                help="Show the version and exit.")] = False) -> None:
    pass


def main() -> None:
    """Entry point: user errors print `error [code]: location: message` and exit 2, never a traceback."""
    try:
        app()  # standalone: typer reports usage errors itself (exit 2) and exits
    except PriorAuthError as exc:
        sys.stderr.write(f"error [{exc.code}]: {exc}\n")
        sys.exit(2)
