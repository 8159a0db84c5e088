"""Kleene's strong three-valued logic: the one definition of how verdicts combine.

`unknown` is a value, not a failure: an undocumented fact never quietly compares as false. The compiled
program (program.py) calls these functions for every group node, so the tables tested here are the
ones that decide. A child whose `when` does not hold (`not_applicable`, vocab.SKIPPED) is no verdict
at all: every function ignores it.
"""

from __future__ import annotations

from collections.abc import Iterable

from priorauth.vocab import MET, NOT_MET, SKIPPED, UNKNOWN, VERDICTS, Verdict

__all__ = ["MET", "NOT_MET", "UNKNOWN", "VERDICTS", "Verdict", "all_of", "any_of", "at_least", "from_bool", "not_"]


def _seq(verdicts: Iterable[str]) -> list[str] | tuple[str, ...]:
    return verdicts if isinstance(verdicts, list | tuple) else list(verdicts)


def all_of(verdicts: Iterable[str]) -> Verdict:
    """Any not met -> not met; else any unknown -> unknown; else met (an empty ALL is met)."""
    vs = _seq(verdicts)
    return NOT_MET if NOT_MET in vs else UNKNOWN if UNKNOWN in vs else MET


def any_of(verdicts: Iterable[str]) -> Verdict:
    """Any met -> met; else any unknown -> unknown; else not met (an empty ANY is not met)."""
    vs = _seq(verdicts)
    return MET if MET in vs else UNKNOWN if UNKNOWN in vs else NOT_MET


def not_(verdict: str) -> Verdict:
    if verdict == MET:
        return NOT_MET
    if verdict == NOT_MET:
        return MET
    return UNKNOWN


def not_of(verdicts: Iterable[str]) -> Verdict:
    """NOT of a group's single child; a skipped child leaves nothing to negate, which is met."""
    vs = [v for v in verdicts if v != SKIPPED]
    return not_(vs[0]) if vs else MET


def at_least(n: int, verdicts: Iterable[str]) -> Verdict:
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
