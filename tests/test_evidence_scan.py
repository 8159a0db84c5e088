"""The anchored scan (rule_based._anchored) finds exactly what a full regex scan finds, for every target pattern."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from priorauth.evidence.rule_based import _anchored, _mentions
from priorauth.evidence.rules_data import rules

NOTES = sorted((Path(__file__).resolve().parent.parent / "corpus" / "notes").glob("*.txt"))

# Words that start patterns, in the places a scan can get wrong: inside a longer word, twice overlapping,
# at the very start and end, in capitals.
TRICKY = [
    "reinfection infection INFECTION Infections. sinfection",
    "SI/HI denies SI, HI/SI, si; suicidality suicidal suicide",
    "PTPT PT x12 wks; pt pt physical therapyphysical therapy",
    "failed failedfailed  failed\nfailed",
    "Chronic infection and 50% relief after MORPHINE trial",
    "trial",
]


def _spans(rx: re.Pattern[str], words: tuple[str, ...], text: str) -> list[tuple[int, int]]:
    within = text.lower() if rx.flags & re.IGNORECASE else text
    return [m.span() for m in _anchored(rx, words, text, within)]


@pytest.mark.parametrize("text", TRICKY + [p.read_text(encoding="utf-8") for p in NOTES[::7]])
def test_anchored_scan_finds_what_finditer_finds(text):
    if len(text.lower()) != len(text):
        pytest.skip("lower-casing moves offsets here; _mentions scans such a note in full")
    for rule in rules():
        for rx, words in zip(rule.patterns, rule.anchors, strict=True):
            if words is not None:
                assert _spans(rx, words, text) == [m.span() for m in rx.finditer(text)], (rule.id, rx.pattern)


def test_a_match_must_begin_where_a_word_begins():
    rx = re.compile(r"(?<!\w)(?:infections?)(?!\w)")
    assert _spans(rx, ("infection",), "reinfection; infections") == [(13, 23)]


def test_a_note_whose_lower_case_is_longer_is_scanned_in_full():
    text = "Seen in \u0130zmir. Active infection of the pump pocket."  # "\u0130".lower() is two characters
    assert len(text.lower()) != len(text)
    found = [(m.rule.id, text[m.start:m.end]) for m in _mentions(text)]
    assert any(span.lower().endswith("infection") for _, span in found), found
