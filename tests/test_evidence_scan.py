"""The anchored scan (scan.Starts, matches_at) finds exactly what a full regex scan finds, for every target
pattern."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from priorauth.evidence.rule_based import _mentions
from priorauth.evidence.rules_data import Anchor, rules
from priorauth.evidence.scan import Starts, matches_at, opening_anchor

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
    "severe  lumbar\n stenosis; x-ray-confirmed foraminal stenosis, L4-5 disc herniation (MRI 2024)",
    "C-SSRS negative; CSSRS neg. h/o cocaine, hx of alcohol; Hx  of THC; 23-hour observation, 24 hr stay",
    "7/10 -> 2/10; 8 / 10 to 3/10; 50% relief; 40-60% pain relief; 3-day trial; 2 nights of observation",
    "offered her an L4-5 posterior lumbar fusion; a poor candidate for surgery; walking and self-care",
]


def _spans(rx: re.Pattern[str], anchor, text: str) -> list[tuple[int, int]]:
    at = Starts(text, text.lower()).at(anchor, bool(rx.flags & re.IGNORECASE))
    return [m.span() for m in matches_at(rx, text, at)]


@pytest.mark.parametrize("text", TRICKY + [p.read_text(encoding="utf-8") for p in NOTES[::7]])
def test_anchored_scan_finds_what_finditer_finds(text):
    if len(text.lower()) != len(text):
        pytest.skip("lower-casing moves offsets here; _mentions scans such a note in full")
    for rule in rules():
        for rx, anchor in zip(rule.patterns, rule.anchors, strict=True):
            if anchor is not None:
                assert _spans(rx, anchor, text) == [m.span() for m in rx.finditer(text)], (rule.id, rx.pattern)


def test_a_match_must_begin_where_a_word_begins():
    rx = re.compile(r"(?<!\w)(?:infections?)(?!\w)")
    assert _spans(rx, Anchor(("infection",)), "reinfection; infections") == [(13, 23)]


def test_a_match_may_begin_up_to_its_optional_words_before_the_anchor():
    rx = re.compile(r"(?<!\w)(?:(?:[a-z-]+\s+){0,2}?stenosis)(?!\w)", re.I)
    text = "MRI: severe  left-sided\nforaminal stenosis."
    assert _spans(rx, Anchor(("stenosis",), back=2), text) == [m.span() for m in rx.finditer(text)]
    assert _spans(rx, Anchor(("stenosis",), back=0), text) != [m.span() for m in rx.finditer(text)]


def test_a_note_whose_lower_case_is_longer_is_scanned_in_full():
    text = "Seen in \u0130zmir. Active infection of the pump pocket."  # "\u0130".lower() is two characters
    assert len(text.lower()) != len(text)
    found = [(m.rule.id, text[m.start:m.end]) for m in _mentions(text)]
    assert any(span.lower().endswith("infection") for _, span in found), found


def _context_expressions():
    from priorauth.evidence.nlp import pipeline

    regex = pipeline()[3]._ConText__matcher._MedspacyMatcher__regex_matcher
    return [p for patterns in regex._patterns.values() for p in patterns]


@pytest.mark.parametrize("text", TRICKY + [p.read_text(encoding="utf-8") for p in NOTES[::7]])
def test_context_expressions_tried_at_their_words_find_what_finditer_finds(text):
    if len(text.lower()) != len(text):
        pytest.skip("lower-casing moves offsets here; the expressions are scanned in full")
    anchored = [p for p in _context_expressions() if hasattr(p, "anchor")]
    assert anchored
    for p in anchored:
        assert [m.span() for m in p.finditer(text)] == [m.span() for m in p.rx.finditer(text)], p.rx.pattern[:80]


def test_an_expression_is_anchored_only_if_it_opens_at_a_word_or_a_mark():
    assert opening_anchor(r"\b(?:is|was) negative\b", True) == Anchor(("is negative", "was negative"))
    assert opening_anchor(r":\s*(?:denied|none)", True) == Anchor((":",))
    assert opening_anchor(r"(?<!\S)\?(?=\w)", True) == Anchor(("?",))
    assert opening_anchor(r"negative\b", True) is None  # may begin inside "seronegative"
    assert opening_anchor(r"\?(?!\w)", True) == Anchor(("?",))  # a mark is indexed wherever it stands
    assert opening_anchor(r"\s+denies", True) is None
