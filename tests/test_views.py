"""The nurse's default view, snapshot-tested at 80 and 120 columns for one case of each decision.

`PRIORAUTH_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/test_views.py` rewrites them under
tests/snapshots/view/; read the diff before committing it.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

from conftest import CASES, needs_shared, run_cli

VIEW_DIR = Path(__file__).parent / "snapshots" / "view"
UPDATE = os.environ.get("PRIORAUTH_UPDATE_SNAPSHOTS") == "1"

# decision -> (case, the policy that decides it so, as ../shared/cases/expected.json says)
EACH_DECISION = {
    "approve": ("noncancer-trial-complete", "moda-hcs-0044a"),
    "deny": ("noncancer-implant-fifty-percent", "hcsc-sur707-008"),
    "pend": ("noncancer-trial-missing-documents", "caresource-ar-mm-1502"),
    "refer": ("cancer-trial-advanced-disease", "uhc-2022t0626c"),
    "not_applicable": ("noncancer-implant-2026", "hcsc-sur707-008"),
}


def _view(case: str, policy: str, columns: int) -> str:
    out = run_cli("check", str(CASES / f"{case}.json"), "-p", policy, check=True,
                  env={"COLUMNS": str(columns), "NO_COLOR": "1"}).stdout
    return "\n".join(line.rstrip() for line in out.splitlines()) + "\n"


@needs_shared
@pytest.mark.parametrize("columns", [80, 120])
@pytest.mark.parametrize("decision", sorted(EACH_DECISION))
def test_the_default_view_of_each_decision_matches_its_snapshot(decision, columns):
    case, policy = EACH_DECISION[decision]
    text = _view(case, policy, columns)
    assert all(len(line) <= columns for line in text.splitlines())
    assert f"{policy}" in text and decision.replace("_", " ") in text.replace("_", " ")
    snapshot = VIEW_DIR / f"{decision}-{columns}.txt"
    if UPDATE:
        VIEW_DIR.mkdir(parents=True, exist_ok=True)
        snapshot.write_text(text, encoding="utf-8")
    assert snapshot.exists(), f"no snapshot {snapshot.name} (PRIORAUTH_UPDATE_SNAPSHOTS=1 writes it)"
    expected = snapshot.read_text(encoding="utf-8")
    diff = "".join(difflib.unified_diff(expected.splitlines(True), text.splitlines(True), "snapshot", "now"))
    assert text == expected, f"the default view of {case} under {policy} changed:\n{diff}"


def test_the_readme_shows_the_default_view_as_it_is():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert (VIEW_DIR / "pend-80.txt").read_text(encoding="utf-8").lstrip("\n") in readme


def test_every_computed_fact_has_words_in_the_view():
    from priorauth.case.paths import DERIVED
    from priorauth.cli.render import DERIVED_WORDS, words

    assert set(DERIVED_WORDS) == set(DERIVED)
    assert words("clinical.trial_result.pain_reduction = 50 (required: > 50)") == \
        "pain reduction in the trial (%) = 50 (required: > 50)"
