"""`--help` as the terminal's width wraps it: a command's paragraphs are reflowed (typer keeps the docstring's
line breaks inside a paragraph, so text wrapped at 100 columns broke mid-sentence at 80), and an on/off flag shows
no `<bool>` type, as flags do in every other command line."""

from __future__ import annotations

import inspect
import re
from typing import Any

_LISTED = re.compile(r"^\s*([-*•]|\d+[.)])\s|^\s{2,}\S")


def reflow(text: str | None) -> str | None:
    """Single line breaks inside a paragraph become spaces; a paragraph that is a list or indented, or marked
    with click's \\b, keeps its lines."""
    if not text:
        return text
    out = []
    for para in inspect.cleandoc(text).split("\n\n"):
        lines = para.split("\n")
        if para.startswith("\b") or any(_LISTED.match(line) for line in lines[1:]) or _LISTED.match(lines[0]):
            out.append(para)
        else:
            out.append(" ".join(line.strip() for line in lines))
    return "\n\n".join(out)


# A list of choices longer than this is cut mid-word in the type column: it goes in the help text instead.
CHOICES_WIDTH = 24


def _long_choices(param: Any) -> None:
    desc = getattr(param, "type_descriptor", None)
    if desc is None or not desc.is_choice or param.metavar is not None or not desc.choices:
        return
    values = [getattr(c, "value", c) for c in desc.choices]
    if len("|".join(values)) + 2 > CHOICES_WIDTH:
        param.metavar = param.name.upper()
        param.help = f"{param.help or ''} One of: {', '.join(values)}.".strip()


def tidy(command: Any, ctx: Any) -> None:
    """Reflow the help of `command` and every command under it, and drop the type of their flags. (Typed Any:
    typer builds its commands on its own copy of click, whose classes are not the `click` package's.)"""
    command.help = reflow(command.help)
    helper = command.get_help_option(ctx)
    for param in [*command.params, *([helper] if helper is not None else [])]:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""  # typer shows the metavar instead of `<bool>`, and nothing for an empty one
        _long_choices(param)
    for name, sub in getattr(command, "commands", {}).items():
        tidy(sub, sub.context_class(sub, parent=ctx, info_name=name))
