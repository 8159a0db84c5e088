"""The medspaCy pipeline, built on first use (never at import): a blank English tokenizer, sentences, our section
rules (rules/sections.yaml) and our ConText rules (rules/context.yaml). No model is downloaded.

Sentences come from `split_sentences` (below), not PyRuSH: PyRuSH is pure Python and took 60% of the time (2.5
notes of ~500 words a second on one core); clinical notes mostly end sentences with punctuation or a line break
before a list item or a header, which a few expressions find.

Targets are not found by medspaCy's matcher: the rule-based extractor finds them with its own patterns and puts
them in a span group, which ConText then reads, so two targets may overlap ("PT" inside "PT x12 wks").
"""

from __future__ import annotations

import re
import threading
import warnings
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from priorauth.evidence.scan import Anchor, matches_at, opening_anchor, starts_of
from priorauth.yamlio import load_yaml

RULES = Path(__file__).parent / "rules"
TARGETS = "priorauth_targets"
CATEGORIES = {"NEGATED_EXISTENCE": "negated", "HISTORICAL": "historical", "HYPOTHETICAL": "hypothetical",
              "FAMILY": "family", "POSSIBLE_EXISTENCE": "uncertain"}
_LOCK = threading.Lock()


@cache
def rules_file(name: str) -> Any:
    return load_yaml((RULES / name).read_text(encoding="utf-8"))


@cache
def pipeline() -> Any:
    """(nlp, sentence splitter, sectionizer, context): the components are called one by one (extract.py), since the
    targets go in between."""
    with _LOCK:
        import logging

        from loguru import logger

        logger.disable("PyRuSH")  # it logs every sentence it splits, text included: never in our logs
        logging.getLogger("medspacy").setLevel(logging.WARNING)
        # ConText's token matcher has no patterns (our rules are phrases and expressions): spaCy warns each call
        warnings.filterwarnings("ignore", message=r".*\[W036\]")
        import medspacy  # noqa: F401 - registers the medspaCy components with spaCy
        import spacy
        from medspacy.context import ConTextRule
        from medspacy.section_detection import SectionRule

        nlp = spacy.blank("en")
        splitter = _sentences
        sectionizer = nlp.add_pipe("medspacy_sectionizer", config={"rules": None, "require_start_line": True})
        # phrases, not expressions: medspaCy's regex matcher rebuilds the doc's text for every pattern
        # a header with its colon, and a longer one also without (on a line of its own: "PHYSICAL EXAM")
        sectionizer.add([SectionRule(literal=literal, category=category)
                         for category, headers in rules_file("sections.yaml")["sections"].items()
                         for header in headers
                         for literal in ((f"{header}:", header) if len(header) >= 6 else (f"{header}:",))])
        context = nlp.add_pipe("medspacy_context", config={"rules": None, "input_span_type": "group",
                                                           "span_group_name": TARGETS})
        context.add(_context_rules(ConTextRule, rules_file("context.yaml")["rules"]))
        _join_text_once(context)
        return nlp, splitter, sectionizer, context


VOCAB_LIMIT = 100_000  # strings spaCy may hold before the pipeline is built anew (about 30 MB over a fresh one)


def renew_if_grown(nlp: Any) -> None:
    """spaCy keeps every new string it tokenizes (a number, a name, a date) for good, about 300 bytes each: a
    service reading notes for weeks would grow without bound. Past the limit the next note gets a pipeline built
    anew (0.4 s); the old one is freed when the last note using it is done."""
    if len(nlp.vocab.strings) > VOCAB_LIMIT:
        pipeline.cache_clear()


def _join_text_once(context: Any) -> None:
    """medspaCy's regex matcher (pinned at 1.3.1) asks the doc for its text once per expression, and spaCy joins
    every token's text each time: that was two fifths of ConText's time. Its matcher is given a doc whose text is
    joined once; it finds the same matches."""
    from medspacy.common.regex_matcher import RegexMatcher

    class _Once(RegexMatcher):  # type: ignore[misc]
        def __call__(self, doc: Any) -> Any:
            return super().__call__(_TextOnce(doc))

    matcher = context._ConText__matcher._MedspacyMatcher__regex_matcher  # private, hence the pin and the test
    matcher.__class__ = _Once
    for key, patterns in matcher._patterns.items():  # each tried only where its words begin (scan.py), if it can be
        matcher._patterns[key] = [_Anchored(rx, anchor) if (anchor := opening_anchor(
            rx.pattern, bool(rx.flags & re.IGNORECASE))) else rx for rx in patterns]


class _Anchored:
    """A compiled expression whose `finditer` tries only the places its Anchor allows; the matches are the same."""

    def __init__(self, rx: re.Pattern[str], anchor: Anchor) -> None:
        self.rx, self.anchor = rx, anchor
        self.ignore_case = bool(rx.flags & re.IGNORECASE)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        starts = starts_of(text)
        if starts is None:
            return self.rx.finditer(text)
        return matches_at(self.rx, text, starts.at(self.anchor, self.ignore_case))


class _TextOnce:
    """A spaCy doc with its text joined once; everything else is the doc's."""

    def __init__(self, doc: Any) -> None:
        self._doc = doc
        self.text_with_ws = self.text = doc.text_with_ws

    def __getattr__(self, name: str) -> Any:
        return getattr(self._doc, name)

    def __getitem__(self, key: Any) -> Any:
        return self._doc[key]

    def __len__(self) -> int:
        return len(self._doc)

    def __iter__(self) -> Any:
        return iter(self._doc)


def _context_rules(rule: Any, raw: list[dict[str, Any]]) -> list[Any]:
    """Our ConText rules; those written as expressions are joined into one per category and direction (the same
    modifier), since medspaCy rebuilds the doc's text for every expression it scans: 30 expressions had cost a fifth
    of the time."""
    phrases = [rule(literal=r["literal"], category=r["category"], direction=r["direction"]) for r in raw
               if not r.get("pattern")]
    joined: dict[tuple[str, str], list[str]] = {}
    for r in raw:
        if r.get("pattern"):
            joined.setdefault((r["category"], r["direction"]), []).append(r["pattern"])
    return phrases + [rule(literal=f"{category} {direction} expressions", category=category, direction=direction,
                           pattern="|".join(f"(?:{p})" for p in patterns))
                      for (category, direction), patterns in joined.items()]


_ABBREV = re.compile(r"(?:\b(?:dr|mr|mrs|ms|st|vs|no|approx|pt|pts|e\.g|i\.e|etc|hx|dx|tx|yo|y\.o|jr|sr|inc|fig|cf|al|"
                     r"mg|mcg|ml|q|b\.i\.d|t\.i\.d|p\.o|a\.m|p\.m)|(?<!/)\b[a-z])\.$", re.I)
# [a-z]: an initial, "Dr. H. Doe"; not a letter after a slash ("No N/V. Pt wants the pump." ends a sentence)
_END = re.compile(r"[.?!]+[\"')\]]*(?=\s+[\"'(\[]?[A-Z0-9])")
_LINE = re.compile(r"\n\s*\n|\n(?=\s*(?:[-*•·|]|\d{1,2}[.)]\s|[A-Z][A-Za-z /&'-]{1,40}:))|(?<=[.:;!?])[ \t]*\n"
                   r"|\n(?=[ \t]{2,}[A-Z][a-z])")  # an indented line in words is a list item ("  Donned socks")


_TABLE_ROW = re.compile(r"^[^\n|]*\S[ \t]*\|[^\n]*$", re.M)


def split_sentences(text: str) -> list[int]:
    """The character offsets where sentences start (after the first): after `.`, `?` or `!` before a capital or a
    digit (not after an abbreviation, a number or an ellipsis), at a blank line, at a line that starts a list item, a
    table row or a `Header:`, at an indented line that starts with a word in lower case after its capital (a fax's
    indented continuation is in capitals), and at a line break after a sentence's end. A line broken mid-sentence (a
    fax) does not split."""
    starts = set()
    for m in _END.finditer(text):
        if ".." in m.group():  # an ellipsis leads an item to its result ("PT 01/2024 ... NO IMPROVEMENT")
            continue
        if not _ABBREV.search(text[max(0, m.start() - 8):m.start() + 1]):
            starts.add(m.end())
    for m in _LINE.finditer(text):
        starts.add(m.end())
    for m in _TABLE_ROW.finditer(text):  # each row of a table ("PT | 01/2023 - 07/2023 | no change") is its own
        starts.update((m.start(), m.end() + 1))
    return sorted(s for s in starts if 0 < s < len(text))


def _sentences(doc: Any) -> Any:
    """Mark the tokens that start a sentence (the first token at or after each start offset), and give the doc
    hooks that find a token's sentence at once: spaCy's own `Token.sent` rescans the whole doc each time, and
    ConText asks for every modifier (two thirds of the time on a 250-word note)."""
    import numpy
    from spacy.attrs import SENT_START

    starts = split_sentences(doc.text)
    k, previous_end = 0, 0
    firsts = []
    for token in doc:
        begins = token.i == 0
        while k < len(starts) and starts[k] <= token.idx:
            begins = begins or starts[k] >= previous_end
            k += 1
        if begins:
            firsts.append(token.i)
        if not token.is_space:  # a start inside "\n " (a line break and a list's indent) is the next word's
            previous_end = token.idx + len(token)
    # set at once: spaCy checks the whole doc for a parse each time one token's `is_sent_start` is set
    flags = numpy.full((len(doc), 1), -1, dtype="int64")
    flags[firsts] = 1
    doc.from_array([SENT_START], flags.astype("uint64"))
    spans = [doc[a:b] for a, b in zip(firsts, firsts[1:] + [len(doc)], strict=False)]  # none for an empty note
    of_token = [0] * len(doc)
    for n, span in enumerate(spans):
        for i in range(span.start, span.end):
            of_token[i] = n
    doc.user_hooks["sents"] = lambda _doc: iter(spans)
    doc.user_token_hooks["sent"] = lambda token: spans[of_token[token.i]]
    doc.user_span_hooks["sent"] = lambda span: spans[of_token[span.start]]
    return doc
