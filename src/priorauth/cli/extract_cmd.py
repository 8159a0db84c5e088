"""`priorauth extract`: the facts the evidence stage reads in clinical notes, each with its span."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from priorauth.cli.options import Format, parse_date


def extract(
    notes: Annotated[list[Path], typer.Argument(help="Note files (UTF-8 text).", show_default=False)],
    date: Annotated[str | None, typer.Option(
        "--date", help="The notes' date, YYYY-MM-DD, that relative dates count from ('3 weeks ago'). Default: "
        "today.", show_default=False)] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="text for people, json for programs.")]
    = Format.text,
) -> None:
    """Read clinical notes: each fact the policies use, with where it is in the note.

    A fact is a case field (clinical.treatments[], clinical.trial_result.pain_before ...),
    its value, the span it was read from (character offsets; `text` is the note's text
    there), the ConText modifiers that applied (negated, historical), the rule that found
    it and a confidence. Mentions of a relative, a plan or an uncertain finding are set
    aside, not facts, and listed with why.

    JSON output: one object per note file, one per line: {"note", "date", "relevant",
    "facts": [{"path", "value", "start", "end", "text", "modifiers", "rule",
    "confidence"}, ...], "set_aside": [...]}. Exit status 2 when a note cannot be read,
    naming the file."""
    from priorauth.errors import USAGE, PriorAuthError
    from priorauth.evidence.extractor import extract_note

    day = parse_date(date, "--date") if date else dt.date.today()
    texts = []
    for path in notes:
        try:
            texts.append(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text" \
                if isinstance(exc, UnicodeDecodeError) else str(exc)
            raise PriorAuthError(USAGE, str(path), f"cannot read the note: {why}") from None
    for path, text in zip(notes, texts, strict=True):
        found = extract_note(text, day)
        if format is Format.json:
            out = {"note": str(path), "date": day.isoformat(), **found.to_dict()}
            sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
            continue
        _show(str(path), text, day, found)


def _show(name: str, text: str, day: dt.date, found) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console()
    console.rule(f"[bold]{name}[/] (note date {day.isoformat()})")
    if not found.relevant:
        console.print("Not about intrathecal or epidural drug delivery or what it treats: no facts read.")
    marked = Text(text)
    for f in found.facts:
        marked.stylize("bold black on yellow" if "negated" not in f.modifier_names else "bold black on cyan",
                       f.start, f.end)
    for s in found.set_aside:
        marked.stylize("strike dim", s.start, s.end)
    console.print(marked)
    table = Table(title=f"{len(found.facts)} facts", show_lines=False, expand=True)
    for col in ("field", "value", "text", "modifiers", "rule", "conf."):
        table.add_column(col, overflow="fold")
    for f in found.facts:
        value = f.value if isinstance(f.value, str) else json.dumps(f.value)
        table.add_row(f.path, value, f"{f.text} [{f.start}:{f.end}]", ", ".join(f.modifier_names), f.rule,
                      f"{f.confidence:.2f}")
    console.print(table)
    if found.set_aside:
        aside = Table(title="set aside (not facts about the member now)", expand=True)
        for col in ("field", "text", "why", "rule"):
            aside.add_column(col, overflow="fold")
        for s in found.set_aside:
            aside.add_row(s.path, f"{s.text} [{s.start}:{s.end}]", s.why, s.rule)
        console.print(aside)
