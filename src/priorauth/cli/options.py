"""Options and parsing shared by several verbs."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from priorauth.errors import USAGE, PriorAuthError


class Format(StrEnum):
    """--format: a closed choice (an unknown value is a usage error listing both, never a silent fallback)."""

    text = "text"
    json = "json"


PoliciesDir = Annotated[
    Path | None,
    typer.Option("--policies", help="Directory of policy files (default: the policies shipped with priorauth).",
                 show_default=False),
]


def compiled_policies(policy_dir: Path | None):
    """The policy files under `policy_dir` (default: the shipped ones) compiled against the knowledge, opened once."""
    from priorauth.engine.policyset import CompiledPolicies
    from priorauth.knowledge.tables import open_knowledge
    from priorauth.policy.loader import load_policies

    return CompiledPolicies(load_policies(policy_dir), open_knowledge())


def parse_date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise PriorAuthError(USAGE, option, f"not a date (YYYY-MM-DD): {value!r}") from None


def default_shared(folder: str) -> Path | None:
    """../shared/<folder> beside the working directory or the checkout, where one is at hand."""
    repo = Path(__file__).resolve().parents[3]
    for candidate in (Path.cwd() / "../shared" / folder, Path.cwd() / "shared" / folder, repo / "../shared" / folder):
        if candidate.is_dir():
            return candidate.resolve()
    return None
