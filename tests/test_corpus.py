"""The annotated note corpus (corpus/notes) is well formed: every gold span is its note's own text, the split is
the documented one (every third note is test), and every path is one the case format has."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

NOTES = Path(__file__).resolve().parent.parent / "corpus" / "notes"
GOLDS = sorted(NOTES.glob("*.gold.json"))
PATHS = {"clinical.pain_onset", "clinical.pain_etiology", "clinical.pathology_confirmed", "clinical.treatments[]",
         "clinical.evaluations[]", "clinical.drug_screens[]", "clinical.substance_use",
         "clinical.life_expectancy_months",
         "clinical.surgery_indicated", "clinical.surgery_refused"}
GROUPS = ("clinical.psychiatric.", "clinical.findings.", "clinical.trial_result.", "clinical.spasticity.")
WHY = {"family", "hypothetical", "uncertain", "other_device", "not_negation"}


def test_the_corpus_has_at_least_sixty_notes_and_a_third_is_test():
    splits = [json.loads(p.read_text(encoding="utf-8"))["split"] for p in GOLDS]
    assert len(splits) >= 60 and splits.count("test") * 3 >= len(splits) - 2


@pytest.mark.parametrize("gold_file", GOLDS, ids=lambda p: p.name)
def test_a_gold_file_is_its_notes_own_text(gold_file):
    gold = json.loads(gold_file.read_text(encoding="utf-8"))
    text = (NOTES / gold["note"]).read_text(encoding="utf-8")
    number = int(gold["note"][:3])
    assert gold["split"] == ("test" if number % 3 == 0 else "dev")
    assert dt.date.fromisoformat(gold["date"])
    for f in gold["facts"]:
        assert text[f["start"]:f["end"]] == f["text"], f
        assert f["path"] in PATHS or f["path"].startswith(GROUPS), f["path"]
        assert set(f.get("modifiers", [])) <= {"negated", "historical"}, f
    for t in gold.get("traps", []):
        assert text[t["start"]:t["end"]] == t["text"] and t["why"] in WHY, t
