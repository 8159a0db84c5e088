"""Where a regex can match in a note, so that some 800 patterns are tried at a few places each, not at every
character (a leading lookbehind keeps the regex engine from skipping ahead): `Anchor`, read from the parsed pattern,
says which words every match begins with; `Starts` indexes a note's words by their first letters.

The index holds each place where a word begins and each mark (":", "?", ","): a match found there is the one
`finditer` finds, provided every match of the pattern begins at such a place, which the target patterns' `(?<!\\w)`
and the ConText expressions' `\\b` (nlp.py) vouch for.
"""

from __future__ import annotations

import bisect
import re
import re._parser as sre_parse  # the parsed pattern, to find the literal words a match must start with
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

_WORD_START = re.compile(r"(?<!\w)\S|[^\w\s]")
_TOKEN_START = re.compile(r"(?<!\S)\S")


@dataclass(frozen=True)
class Anchor:
    """Where a pattern's matches can begin: with one of `words` (lower-cased when the pattern ignores case), or, when
    the pattern opens with up to `back` optional words ("(?:[a-z-]+ ){0,3}stenosis"), at most `back` whitespace runs
    before one of them. A note is tried only there, not at each of its characters."""

    words: tuple[str, ...]
    back: int = 0

    @cached_property
    def entries(self) -> tuple[tuple[str, str], ...]:
        """(key, word) for each word: its first three letters (or fewer) lower-cased, as a note's words are indexed
        (rule_based._Starts)."""
        return tuple((w[:3].lower(), w) for w in self.words)

    @cached_property
    def keys(self) -> frozenset[str]:
        return frozenset(key for key, _ in self.entries)


def anchor_of(source: str, ignore_case: bool) -> Anchor | None:
    """A regex's Anchor; None when a match may begin anywhere (a wide class of characters, an open repeat). The
    caller vouches that a match begins where a word does, or at a mark ("?", ":"), never mid-word (see Starts)."""
    flags = re.IGNORECASE if ignore_case else 0
    found = _prefixes(list(sre_parse.parse(source, flags)))
    if found is None:
        return None
    words, back = found
    return Anchor(tuple(sorted({a.lower() for a in words} if ignore_case else set(words))), back)


def opening_anchor(source: str, ignore_case: bool) -> Anchor | None:
    """The Anchor of an expression that vouches for itself: each way through it opens with a mark, or with `\\b`
    or `(?<!\\w)` before a word ("\\b(?:is|was) negative", ":\\s*denied"). None otherwise ("\\?" after a word)."""
    flags = re.IGNORECASE if ignore_case else 0
    return anchor_of(source, ignore_case) if _opens_cleanly(list(sre_parse.parse(source, flags))) else None


def _opens_cleanly(items: list[Any], guarded: bool = False) -> bool:
    while items and items[0][0] in _ZERO_WIDTH:
        op, av = items[0]
        guarded = guarded or (op is sre_parse.AT and av is sre_parse.AT_BOUNDARY) or (
            op is sre_parse.ASSERT_NOT and av[0] == -1 and _class_of(list(av[1])) in _NOT_AFTER)
        items = items[1:]
    if not items:
        return False
    op, av = items[0]
    rest = items[1:]
    if op is sre_parse.BRANCH:
        return all(_opens_cleanly(list(alt) + rest, guarded) for alt in av[1])
    if op is sre_parse.SUBPATTERN:
        return _opens_cleanly(list(av[3]) + rest, guarded)
    if op in _REPEATS:
        low, _high, body = av
        return _opens_cleanly(list(body) + rest, guarded) and (bool(low) or _opens_cleanly(rest, guarded))
    if op is sre_parse.LITERAL:
        c = chr(av)
        return not c.isspace() and (guarded or not (c.isalnum() or c == "_"))
    return op is sre_parse.IN and guarded and not _may_be_space(op, av)


_NOT_AFTER = {sre_parse.CATEGORY_WORD, sre_parse.CATEGORY_NOT_SPACE}  # (?<!\w), (?<!\S): a word's start follows


def _class_of(items: list[Any]) -> Any:
    if len(items) == 1 and items[0][0] is sre_parse.IN and len(items[0][1]) == 1 \
            and items[0][1][0][0] is sre_parse.CATEGORY:
        return items[0][1][0][1]
    return None


_ZERO_WIDTH = (sre_parse.ASSERT, sre_parse.ASSERT_NOT, sre_parse.AT)
_REPEATS = (sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT, sre_parse.POSSESSIVE_REPEAT)
_FEW = 10  # a class of at most this many characters starts its words ("[LCT]", "\\d"); a wider one starts anywhere


def _prefixes(items: list[Any]) -> tuple[list[str], int] | None:
    while items and items[0][0] in _ZERO_WIDTH:  # a lookaround consumes nothing: the match starts after it
        items = items[1:]
    if not items:
        return None
    op, av = items[0]
    rest = items[1:]
    if op is sre_parse.BRANCH:
        return _union(_prefixes(list(alt) + rest) for alt in av[1])
    if op is sre_parse.SUBPATTERN:
        # "(?-i:MS)" inside a pattern that ignores case: its lower-cased words still open every match
        return None if av[1] & re.IGNORECASE else _prefixes(list(av[3]) + rest)
    if op is sre_parse.ATOMIC_GROUP:
        return _prefixes(list(av) + rest)
    if op in _REPEATS:
        low, high, body = av
        # one pass through the body first, then the repeat with one pass fewer ("(?:ab)+c" is "ab", not "abc")
        again = [(op, (max(low - 1, 0), high if high == sre_parse.MAXREPEAT else high - 1, body))] if high != 1 else []
        with_body = _prefixes(list(body) + again + rest)
        if low:
            return with_body
        without = _prefixes(rest)
        both = _union([with_body, without])
        if both is not None and min(len(w) for w in both[0]) >= 3:
            return both  # "(?:severe )?lumbar": both words
        runs = _runs([(op, av)])
        if without is not None and runs is not None:  # "(?:[a-z-]+ ){0,3}stenosis": up to three words before it
            return without[0], without[1] + runs
        return both
    word, k = "", 0
    while k < len(items) and items[k][0] is sre_parse.LITERAL:
        word += chr(items[k][1])
        k += 1
    if k < len(items) and (chars := _chars(items[k])) is not None:
        return [word + c for c in chars], 0
    if word and k < len(items) and items[k][0] in (sre_parse.BRANCH, sre_parse.SUBPATTERN):  # "s(?:kin|oft)"
        after = _prefixes(items[k:])
        if after is not None and not after[1]:
            return [word + w for w in after[0]], 0
    return ([word], 0) if word else None


def _chars(item: Any) -> list[str] | None:
    """The few characters a class matches ("[LCT]", "\\d"), or None."""
    op, av = item
    if op is not sre_parse.IN:
        return None
    out: list[str] = []
    for kind, value in av:
        if kind is sre_parse.LITERAL:
            out.append(chr(value))
        elif kind is sre_parse.RANGE and value[1] - value[0] < _FEW:
            out += [chr(c) for c in range(value[0], value[1] + 1)]
        elif kind is sre_parse.CATEGORY and value is sre_parse.CATEGORY_DIGIT:
            out += list("0123456789")
        else:
            return None
    return out if len(out) <= _FEW else None


def _runs(items: list[Any]) -> int | None:
    """At most how many runs of whitespace a match of `items` holds (one item of whitespace alone, "\\s+", is one
    run however long); None when unbounded."""
    total = 0
    for op, av in items:
        if op in _ZERO_WIDTH:
            continue
        if op in (sre_parse.LITERAL, sre_parse.NOT_LITERAL, sre_parse.ANY, sre_parse.IN):
            total += _may_be_space(op, av)
        elif op in _REPEATS:
            low, high, body = av
            inner = _runs(list(body))
            if inner is None:
                return None
            if inner and _only_space(list(body)):
                total += 1
            elif inner:
                if high == sre_parse.MAXREPEAT:
                    return None
                total += inner * high
        elif op is sre_parse.SUBPATTERN:
            inner = _runs(list(av[3]))
            if inner is None:
                return None
            total += inner
        elif op is sre_parse.BRANCH:
            each = [_runs(list(alt)) for alt in av[1]]
            if any(n is None for n in each):
                return None
            total += max(each)  # type: ignore[type-var]
        else:
            return None
    return total


def _may_be_space(op: Any, av: Any) -> int:
    if op is sre_parse.LITERAL:
        return int(chr(av).isspace())
    if op is sre_parse.IN:
        return int(not all(kind is sre_parse.LITERAL and not chr(v).isspace()
                           or kind is sre_parse.RANGE and not any(chr(c).isspace() for c in range(v[0], v[1] + 1))
                           or kind is sre_parse.CATEGORY and v in (sre_parse.CATEGORY_DIGIT, sre_parse.CATEGORY_WORD)
                           for kind, v in av))
    return 1


def _only_space(items: list[Any]) -> bool:
    return len(items) == 1 and items[0][0] is sre_parse.IN and all(
        kind is sre_parse.CATEGORY and v is sre_parse.CATEGORY_SPACE for kind, v in items[0][1])


def _union(parts: Any) -> tuple[list[str], int] | None:
    words: list[str] = []
    back = 0
    for got in parts:
        if got is None:
            return None
        words += got[0]
        back = max(back, got[1])
    return words, back


class Starts:
    """One note's places where a match can begin (each word's start and each mark), by their first one, two and
    three letters lower-cased; `at` gives those an Anchor allows."""

    def __init__(self, text: str, lowered: str) -> None:
        self.text, self.lowered = text, lowered
        self.words = [m.start() for m in _WORD_START.finditer(text)]
        self.tokens = [m.start() for m in _TOKEN_START.finditer(text)]
        self.by: dict[str, list[int]] = defaultdict(list)
        n = len(lowered)
        for p in self.words:
            self.by[lowered[p]].append(p)
            if p + 2 <= n:
                self.by[lowered[p:p + 2]].append(p)
                if p + 3 <= n:
                    self.by[lowered[p:p + 3]].append(p)

    def at(self, anchor: Anchor, ignore_case: bool) -> list[int]:
        within = self.lowered if ignore_case else self.text
        hits: list[int] = []
        for key, word in anchor.entries:
            found = self.by.get(key)
            if found:
                hits += found if ignore_case and key == word else [p for p in found if within.startswith(word, p)]
        if anchor.back and hits:  # the words that may open the match before its anchor's word
            more = []
            for q in hits:
                j = max(bisect.bisect_right(self.tokens, q) - 1 - anchor.back, 0)
                more += self.words[bisect.bisect_left(self.words, self.tokens[j]):bisect.bisect_left(self.words, q)]
            hits += more
        return sorted(set(hits))


_last: tuple[str | None, Starts | None] = (None, None)


def starts_of(text: str) -> Starts | None:
    """The note's Starts, None when lower-casing moves its offsets (a few letters do: then scan it in full). The
    last note's is kept: the targets and ConText's expressions scan the same note (one tuple, read and written
    whole, so threads never pair a note with another's index)."""
    global _last
    last = _last
    if last[0] == text:
        return last[1]
    lowered = text.lower()
    starts = Starts(text, lowered) if len(lowered) == len(text) else None
    _last = (text, starts)
    return starts


def matches_at(rx: re.Pattern[str], text: str, at: list[int]) -> Iterator[re.Match[str]]:
    """What `rx.finditer(text)` finds, when its matches can only begin at `at`."""
    end = 0
    for p in at:
        if p >= end and (m := rx.match(text, p)) is not None:
            yield m
            end = max(m.end(), p + 1)  # finditer's next match starts after this one (past it, if empty)


