"""Kleene three-valued logic: exhaustive truth tables and algebraic properties (hypothesis)."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from priorauth.engine.logic import MET, NOT_MET, UNKNOWN, VERDICTS, all_of, any_of, at_least, from_bool, not_

verdicts = st.sampled_from(VERDICTS)
lists = st.lists(verdicts, max_size=8)

# The strong Kleene tables, written out: ALL and ANY of two values.
AND = {
    (MET, MET): MET, (MET, UNKNOWN): UNKNOWN, (MET, NOT_MET): NOT_MET,
    (UNKNOWN, MET): UNKNOWN, (UNKNOWN, UNKNOWN): UNKNOWN, (UNKNOWN, NOT_MET): NOT_MET,
    (NOT_MET, MET): NOT_MET, (NOT_MET, UNKNOWN): NOT_MET, (NOT_MET, NOT_MET): NOT_MET,
}
OR = {
    (MET, MET): MET, (MET, UNKNOWN): MET, (MET, NOT_MET): MET,
    (UNKNOWN, MET): MET, (UNKNOWN, UNKNOWN): UNKNOWN, (UNKNOWN, NOT_MET): UNKNOWN,
    (NOT_MET, MET): MET, (NOT_MET, UNKNOWN): UNKNOWN, (NOT_MET, NOT_MET): NOT_MET,
}


def test_truth_tables_exhaustive():
    for a, b in itertools.product(VERDICTS, repeat=2):
        assert all_of([a, b]) == AND[a, b]
        assert any_of([a, b]) == OR[a, b]
    assert [not_(v) for v in VERDICTS] == [NOT_MET, MET, UNKNOWN]


def test_empty_groups():
    assert all_of([]) == MET
    assert any_of([]) == NOT_MET


def test_from_bool_treats_none_as_unknown():
    assert (from_bool(True), from_bool(False), from_bool(None)) == (MET, NOT_MET, UNKNOWN)


@given(lists)
def test_all_is_fold_of_binary_and(vs):
    acc = MET
    for v in vs:
        acc = AND[acc, v]
    assert all_of(vs) == acc


@given(lists)
def test_any_is_fold_of_binary_or(vs):
    acc = NOT_MET
    for v in vs:
        acc = OR[acc, v]
    assert any_of(vs) == acc


@given(lists)
def test_de_morgan(vs):
    assert not_(all_of(vs)) == any_of([not_(v) for v in vs])
    assert not_(any_of(vs)) == all_of([not_(v) for v in vs])


@given(lists, st.randoms())
def test_order_does_not_matter(vs, rnd):
    shuffled = list(vs)
    rnd.shuffle(shuffled)
    assert all_of(vs) == all_of(shuffled)
    assert any_of(vs) == any_of(shuffled)
    for n in range(len(vs) + 2):
        assert at_least(n, vs) == at_least(n, shuffled)


@given(st.lists(st.booleans(), max_size=8))
def test_agrees_with_boolean_logic_without_unknowns(bools):
    vs = [from_bool(b) for b in bools]
    assert all_of(vs) == from_bool(all(bools))
    assert any_of(vs) == from_bool(any(bools))
    for n in range(len(bools) + 2):
        assert at_least(n, vs) == from_bool(sum(bools) >= n)


@given(lists, st.data())
def test_monotone_in_information(vs, data):
    """Resolving an unknown can only confirm a definite result, never flip it (the basis of pend)."""
    resolved = [data.draw(st.sampled_from([MET, NOT_MET])) if v == UNKNOWN else v for v in vs]
    for combine in (all_of, any_of, lambda x: at_least(2, x)):
        before, after = combine(vs), combine(resolved)
        assert after != UNKNOWN
        if before != UNKNOWN:
            assert before == after


@given(lists)
def test_at_least_bounds(vs):
    assert at_least(1, vs) == any_of(vs)
    assert at_least(len(vs), vs) == all_of(vs) if vs else at_least(0, vs) == MET
