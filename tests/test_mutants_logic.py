"""Kleene combinators over any iterable (mutation testing, bench/mutation/README.md).

engine/logic.py takes `Iterable[str]`: a generator must give the same verdict as the list it yields, even
though all_of and any_of look for more than one value in it.
"""

from __future__ import annotations

import itertools

from priorauth.engine.logic import MET, NOT_MET, UNKNOWN, all_of, any_of

VERDICTS = (MET, NOT_MET, UNKNOWN)


def test_a_generator_gives_the_verdict_of_its_list():
    for n in range(4):
        for vs in itertools.product(VERDICTS, repeat=n):
            assert all_of(v for v in vs) == all_of(list(vs)), vs
            assert any_of(v for v in vs) == any_of(list(vs)), vs
    assert all_of(iter([UNKNOWN, MET])) == UNKNOWN  # not "met": the unknown must not be consumed unseen
    assert any_of(iter([UNKNOWN, NOT_MET])) == UNKNOWN
