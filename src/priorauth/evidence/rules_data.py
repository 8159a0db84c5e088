"""The extraction rules as data (rules/targets.yaml, rules/cues.yaml), compiled once."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from priorauth.evidence.nlp import rules_file
from priorauth.evidence.scan import Anchor, anchor_of

_SYNTAX = re.compile(r"\(\?[:!=<P][^)]*?>?|\\[a-zA-Z]|[()\[\]{}?*+|^$.\\-]|\?P<\w+>")


def _compile(pattern: str) -> re.Pattern[str]:
    """`\\b` around the pattern; an abbreviation written in capitals (`PT`, `MS`, `SI`) matches only in capitals, so
    `pt` (patient) and `Ms.` are not it."""
    letters = [c for c in _SYNTAX.sub("", pattern) if c.isalpha()]
    flags = 0 if letters and all(c.isupper() for c in letters) and len(letters) <= 6 else re.IGNORECASE
    return re.compile(rf"(?<!\w)(?:{_spaced(pattern)})(?!\w)", flags)


def anchors(pattern: str, ignore_case: bool) -> Anchor | None:
    """Where a target pattern's matches can begin (scan.Anchor): `_compile` opens it with `(?<!\\w)`."""
    return anchor_of(_spaced(pattern), ignore_case)


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
    goes_on_helping_little: re.Pattern[str]
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
        goes_on_helping_little=cue(raw["goes_on_helping_little"]),
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
