"""What the evidence stage finds in a note: facts with their spans, and mentions it set aside (with why).

The JSON of a fact is a contract other tools score against (`priorauth extract --format json`): `path` is the
case-format field path (a list item as `clinical.treatments[]` with the item as the value), `start`/`end` are
character offsets into the note and `text == note[start:end]`, `modifiers` the ConText modifiers that applied,
`rule` the rule that found it, `confidence` between 0 and 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def plain(value: Any) -> Any:
    """60.0 -> 60: a whole number as an integer, in a record too."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class Modifier:
    category: str  # negated, historical, hypothetical, family, uncertain
    start: int
    end: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"category": self.category, "start": self.start, "end": self.end, "text": self.text}


@dataclass(frozen=True)
class Fact:
    path: str
    value: Any
    start: int
    end: int
    text: str
    rule: str
    modifiers: tuple[Modifier, ...] = ()
    confidence: float = 0.9
    section: str | None = None

    @property
    def modifier_names(self) -> list[str]:
        return list(dict.fromkeys(m.category for m in self.modifiers))

    def to_dict(self) -> dict[str, Any]:
        out = {"path": self.path, "value": plain(self.value), "start": self.start, "end": self.end, "text": self.text,
               "modifiers": self.modifier_names, "rule": self.rule, "confidence": self.confidence}
        if self.modifiers:
            out["modifier_spans"] = [m.to_dict() for m in self.modifiers]
        if self.section:
            out["section"] = self.section
        return out


@dataclass(frozen=True)
class SetAside:
    """A mention that is not a fact about the member now: a relative's, a plan, an uncertain one, another device."""

    path: str
    start: int
    end: int
    text: str
    rule: str
    why: str  # family, hypothetical, uncertain, historical, other_device, no_value, not_in_context, side_effect

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "start": self.start, "end": self.end, "text": self.text, "rule": self.rule,
                "why": self.why}


@dataclass(frozen=True)
class NoteEvidence:
    """What one note yielded. `relevant`: whether the note is about intrathecal or epidural drug delivery at all."""

    facts: tuple[Fact, ...]
    set_aside: tuple[SetAside, ...] = ()
    relevant: bool = True
    dropped: tuple[str, ...] = field(default=())  # facts an extractor gave whose span is not in the note

    def to_dict(self) -> dict[str, Any]:
        return {"facts": [f.to_dict() for f in self.facts], "set_aside": [s.to_dict() for s in self.set_aside],
                "relevant": self.relevant}
