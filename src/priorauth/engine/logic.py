"""Kleene's strong three-valued logic: the tables that define how verdicts combine.

`unknown` is a value, not a failure: an undocumented fact never quietly compares as false. The compiled
evaluator (compiled.py) inlines ALL and ANY on its hot path; tests/test_compiled.py holds it to these.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

Verdict = Literal["met", "not_met", "unknown"]
MET: Verdict = "met"
NOT_MET: Verdict = "not_met"
UNKNOWN: Verdict = "unknown"
VERDICTS: tuple[Verdict, ...] = (MET, NOT_MET, UNKNOWN)


def all_of(verdicts: Iterable[Verdict]) -> Verdict:
    """Any not met -> not met; else any unknown -> unknown; else met (an empty ALL is met)."""
    seen_unknown = False
    for v in verdicts:
        if v == NOT_MET:
            return NOT_MET
        if v == UNKNOWN:
            seen_unknown = True
    return UNKNOWN if seen_unknown else MET


def any_of(verdicts: Iterable[Verdict]) -> Verdict:
    """Any met -> met; else any unknown -> unknown; else not met (an empty ANY is not met)."""
    seen_unknown = False
    for v in verdicts:
        if v == MET:
            return MET
        if v == UNKNOWN:
            seen_unknown = True
    return UNKNOWN if seen_unknown else NOT_MET


def not_(verdict: Verdict) -> Verdict:
    if verdict == MET:
        return NOT_MET
    if verdict == NOT_MET:
        return MET
    return UNKNOWN


def at_least(n: int, verdicts: Iterable[Verdict]) -> Verdict:
    """Met when n are met; not met when even every unknown turning met could not reach n."""
    met = unknown = 0
    for v in verdicts:
        if v == MET:
            met += 1
        elif v == UNKNOWN:
            unknown += 1
    if met >= n:
        return MET
    if met + unknown < n:
        return NOT_MET
    return UNKNOWN


def from_bool(value: bool | None) -> Verdict:
    """A boolean fact as a verdict: None (not documented) is unknown."""
    if value is None:
        return UNKNOWN
    return MET if value else NOT_MET
