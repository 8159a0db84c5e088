"""The extraction rules as data (rules/targets.yaml, rules/cues.yaml), compiled once."""

from __future__ import annotations

import re
import re._parser as sre_parse  # the parsed pattern, to find the literal words a match must start with
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

from priorauth.evidence.nlp import rules_file

_SYNTAX = re.compile(r"\(\?[:!=<P][^)]*?>?|\\[a-zA-Z]|[()\[\]{}?*+|^$.\\-]|\?P<\w+>")


def _compile(pattern: str) -> re.Pattern[str]:
    """`\\b` around the pattern; an abbreviation written in capitals (`PT`, `MS`, `SI`) matches only in capitals, so
    `pt` (patient) and `Ms.` are not it."""
    letters = [c for c in _SYNTAX.sub("", pattern) if c.isalpha()]
    flags = 0 if letters and all(c.isupper() for c in letters) and len(letters) <= 6 else re.IGNORECASE
    return re.compile(rf"(?<!\w)(?:{_spaced(pattern)})(?!\w)", flags)


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


def anchors(pattern: str, ignore_case: bool) -> Anchor | None:
    """The pattern's Anchor; None when a match may begin anywhere (a wide class of characters, an open repeat)."""
    flags = re.IGNORECASE if ignore_case else 0
    found = _prefixes(list(sre_parse.parse(_spaced(pattern), flags)))
    if found is None:
        return None
    words, back = found
    return Anchor(tuple(sorted({a.lower() for a in words} if ignore_case else set(words))), back)


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


def _spaced(pattern: str) -> str:
    """A space in a pattern matches any run of whitespace: faxes and scans break and double-space words."""
    return pattern.replace(" ", r"\s+")


def cue(patterns: list[Any]) -> re.Pattern[str]:
    """One regex for a list of cue phrases (word-bounded, case-insensitive); a nested list (a YAML alias of another
    rule's cues) is spliced in."""
    patterns = [p for item in patterns for p in (item if isinstance(item, list) else [item])]
    return re.compile(r"(?<!\w)(?:" + "|".join(f"(?:{_spaced(p)})" for p in patterns) + r")(?!\w)", re.IGNORECASE)


@dataclass(frozen=True)
class Rule:
    id: str
    path: str
    read: str
    patterns: tuple[re.Pattern[str], ...]
    anchors: tuple[Anchor | None, ...] = ()  # per pattern: where its matches can begin (see anchors())
    value: Any = None
    type: str | None = None
    event: bool = False  # a treatment given on a day (a course of radiation, an injection), not taken over weeks
    medication: bool = False  # a drug of a type that is not only drugs (`other`): it has a schedule
    context: str | None = None
    historical: str = "keep"
    false_when: re.Pattern[str] | None = None
    true_when: re.Pattern[str] | None = None
    fixed_modifiers: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()  # modifiers that do not set the mention aside (a parent's wish for a child)
    local_when: re.Pattern[str] | None = None  # the sentence is about the site: the fact is the local one
    # negations that sum up every source, not the site's exam ("no evidence of infection"): the fact stays the
    # general one unless the site is named after the mention ("no evidence of infection at the puncture site")
    general_when: re.Pattern[str] | None = None
    not_negated_by: re.Pattern[str] | None = None  # negation cues that do not undo it ("mild nausea, resolved")
    # words in the clause that make an affirmed mention another thing's effect, not the member's condition
    # ("MS Contin stopped for visual hallucinations" is a drug's side effect, not psychosis)
    side_effect_when: re.Pattern[str] | None = None
    ongoing_when: re.Pattern[str] | None = None  # a treatment said with how often it is done, and nothing else, goes on


@cache
def rules() -> tuple[Rule, ...]:
    out = []
    for r in rules_file("targets.yaml")["rules"]:
        compiled = tuple(_compile(p) for p in r["patterns"])
        out.append(Rule(
            id=r["id"], path=r["path"], read=r["read"], patterns=compiled,
            anchors=tuple(anchors(p, bool(rx.flags & re.IGNORECASE))
                          for p, rx in zip(r["patterns"], compiled, strict=True)),
            value=r.get("value"), type=r.get("type"), event=bool(r.get("event")),
            medication=bool(r.get("medication")), context=r.get("context"),
            historical=r.get("historical", "keep"),
            false_when=cue(r["false_when"]) if r.get("false_when") else None,
            true_when=cue(r["true_when"]) if r.get("true_when") else None,
            fixed_modifiers=tuple(r.get("modifiers") or ()), allow=tuple(r.get("allow") or ()),
            local_when=cue(r["local_when"]) if r.get("local_when") else None,
            general_when=cue(r["general_when"]) if r.get("general_when") else None,
            not_negated_by=cue(r["not_negated_by"]) if r.get("not_negated_by") else None,
            side_effect_when=cue(r["side_effect_when"]) if r.get("side_effect_when") else None,
            ongoing_when=cue(r["ongoing_when"]) if r.get("ongoing_when") else None))
    return tuple(out)


@dataclass(frozen=True)
class Cues:
    outcomes: tuple[tuple[str, re.Pattern[str]], ...]
    bare_failure: re.Pattern[str]
    pain_unchanged: re.Pattern[str]
    schedules: tuple[tuple[str, re.Pattern[str]], ...]
    medication_types: frozenset[str]
    still_taken: re.Pattern[str]
    date_roles: dict[str, re.Pattern[str]]
    evaluation_results: dict[str, tuple[tuple[str, re.Pattern[str]], ...]]
    specialties: tuple[tuple[str, re.Pattern[str]], ...]
    evaluation_verbs: re.Pattern[str]
    screen_results: tuple[tuple[str, re.Pattern[str]], ...]
    pathology_positive: re.Pattern[str]
    pathology_findings: re.Pattern[str]
    pathology_normal: re.Pattern[str]
    contexts: dict[str, re.Pattern[str]]
    relevant: re.Pattern[str]
    other_device: re.Pattern[str]
    other_device_here: re.Pattern[str]
    family: re.Pattern[str]


def _ordered(items: list[list[Any]]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((name, cue(patterns)) for name, patterns in items)


@cache
def cues() -> Cues:
    raw = rules_file("cues.yaml")
    ev = raw["evaluation_results"]
    return Cues(
        outcomes=_ordered(raw["treatment_outcomes"]),
        bare_failure=re.compile("(?:" + "|".join(raw["bare_failure"]) + ")", re.IGNORECASE),
        pain_unchanged=cue(raw["pain_unchanged"]),
        schedules=tuple((k, cue(v)) for k, v in raw["schedules"].items()),
        medication_types=frozenset(raw["medication_types"]),
        still_taken=cue(raw["still_taken"]),
        date_roles={k: cue(v) for k, v in raw["date_roles"].items()},
        evaluation_results={"mental_health": _ordered(ev["mental_health"]), "specialist": _ordered(ev["specialist"])},
        specialties=tuple((k, re.compile("|".join(v), re.IGNORECASE)) for k, v in ev["specialties"].items()),
        evaluation_verbs=re.compile(r"(?:" + "|".join(ev["evaluation_verbs"]) + ")", re.IGNORECASE),
        screen_results=_ordered(raw["drug_screen_results"]),
        pathology_positive=cue(raw["pathology"]["positive"]),
        pathology_findings=re.compile("|".join(raw["pathology"]["findings"]), re.IGNORECASE),
        pathology_normal=cue(raw["pathology"]["normal"]),
        contexts={k: cue(v) for k, v in raw["contexts"].items()},
        relevant=cue(raw["relevance"]["relevant"]),
        other_device=cue(raw["relevance"]["other_device"]),
        other_device_here=cue(raw["relevance"]["other_device_here"]),
        family=cue(raw["relevance"]["family"]))
