"""A long run of notes does not grow spaCy's vocabulary without bound: past nlp.VOCAB_LIMIT the pipeline is built
anew, and it reads notes as before."""

from __future__ import annotations

import datetime as dt

from priorauth.evidence import nlp
from priorauth.evidence.extractor import extract_note

NOTE = ("Pain clinic note 11/20/2025\nMRN {n:07d}. Failed PT x12 weeks in 2024. Denies suicidal ideation. "
        "Intrathecal morphine trial gave 60% relief.")


def _facts(text: str) -> list[tuple]:
    facts = extract_note(text, dt.date(2025, 11, 20)).facts
    return [(f.path, repr(f.value), f.start, f.end, f.modifiers) for f in facts]


def test_the_vocabulary_stays_under_its_limit_across_many_new_words(monkeypatch):
    before = _facts(NOTE.format(n=0))
    assert before
    limit = len(nlp.pipeline()[0].vocab.strings) + 5
    monkeypatch.setattr(nlp, "VOCAB_LIMIT", limit)
    first = nlp.pipeline()
    for n in range(1, 40):  # each note brings new strings (its number)
        assert _facts(NOTE.format(n=n * 7919)) == before
        assert len(nlp.pipeline()[0].vocab.strings) <= limit + 10
    assert nlp.pipeline() is not first


def test_under_the_limit_the_pipeline_is_kept():
    first = nlp.pipeline()
    _facts(NOTE.format(n=12345))
    assert nlp.pipeline() is first
