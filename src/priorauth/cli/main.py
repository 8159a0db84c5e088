"""The `priorauth` command line: one verb per module, each importing the engine only when it runs."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from priorauth import __version__
from priorauth.cli import (
    batch_cmd,
    case_cmd,
    check_cmd,
    codes_cmd,
    demo_cmd,
    extract_cmd,
    fhir_cmd,
    impact_cmd,
    policies_cmd,
    schema_cmd,
    service_cmd,
)
from priorauth.errors import PriorAuthError

app = typer.Typer(
    help="priorauth: payer medical policies for intrathecal and epidural drug delivery, applied to a "
    "prior-authorization case with every criterion explained. An adverse outcome is a recommendation "
    "for a clinical reviewer, never a final denial.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish, PowerShell
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)
app.command()(check_cmd.check)
app.command()(batch_cmd.batch)
app.command()(impact_cmd.impact)
app.command()(demo_cmd.demo)
app.command()(extract_cmd.extract)
app.add_typer(policies_cmd.app, name="policies")
app.add_typer(case_cmd.app, name="case")
app.add_typer(codes_cmd.app, name="codes")
app.add_typer(schema_cmd.app, name="schema")
app.add_typer(fhir_cmd.app, name="fhir")
service_cmd.register(app)  # serve, users, audit (the service; imports its libraries lazily)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"priorauth {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_version_callback, is_eager=True,
                                                help="Show the version and exit.")] = False) -> None:
    pass


def _unicode_safe_streams() -> None:
    """A terminal or redirect that is not UTF-8 (a Windows console, `> out.txt` under cp1252) gets `?` for the
    characters it cannot hold, not a traceback; JSON is always written as UTF-8 (RFC 8259), whatever the locale."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        if encoding != "utf8" and hasattr(stream, "reconfigure"):
            wants_json = stream is sys.stdout and _json_requested(sys.argv[1:])
            stream.reconfigure(encoding="utf-8" if wants_json else None, errors="replace")


def _json_requested(args: list[str]) -> bool:
    return any(a in ("--format=json", "-fjson") or (a in ("--format", "-f") and args[i + 1:i + 2] == ["json"])
               for i, a in enumerate(args))


def main() -> None:
    """Entry point: user errors print `error [code]: location: message` and exit 2, never a traceback."""
    _unicode_safe_streams()
    from priorauth.cli.helptext import tidy

    command = typer.main.get_command(app)
    tidy(command, command.context_class(command, info_name="priorauth", help_option_names=["-h", "--help"]))
    try:
        command(prog_name="priorauth")  # standalone: click reports usage errors itself (exit 2) and exits
    except PriorAuthError as exc:
        sys.stderr.write(f"error [{exc.code}]: {exc}\n")
        for where, message in getattr(exc, "issues", [])[1:]:  # a FHIR input's other problems, one per line
            sys.stderr.write(f"  {where}: {message}\n")
        sys.exit(2)
