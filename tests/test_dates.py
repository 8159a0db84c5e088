import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from priorauth.case.dates import add_months, age_years, covered_days, months_to_days

D = dt.date


def test_add_months_clamps_to_month_end():
    assert add_months(D(2025, 8, 31), -6) == D(2025, 2, 28)
    assert add_months(D(2024, 5, 31), -3) == D(2024, 2, 29)
    assert add_months(D(2025, 6, 2), -12) == D(2024, 6, 2)
    assert add_months(D(2025, 1, 15), 1) == D(2025, 2, 15)


def test_add_months_saturates_at_the_calendar_limits():
    assert add_months(D(1, 2, 1), -12) == dt.date.min
    assert add_months(D(9999, 11, 30), 3) == dt.date.max


def test_months_to_days():
    assert months_to_days(6) == 183
    assert months_to_days(3) == 92
    assert months_to_days(0) == 0


def test_age_on_birthday_and_day_before():
    assert age_years(D(2007, 6, 20), D(2025, 6, 20)) == 18
    assert age_years(D(2007, 6, 20), D(2025, 6, 19)) == 17


def test_covered_days_counts_overlap_once_and_joins_adjacent():
    assert covered_days([]) == 0
    assert covered_days([(D(2025, 1, 1), D(2025, 1, 1))]) == 1
    assert covered_days([(D(2025, 1, 1), D(2025, 1, 10)), (D(2025, 1, 5), D(2025, 1, 20))]) == 20
    assert covered_days([(D(2025, 1, 1), D(2025, 1, 10)), (D(2025, 1, 11), D(2025, 1, 20))]) == 20
    assert covered_days([(D(2025, 1, 1), D(2025, 1, 10)), (D(2025, 2, 1), D(2025, 2, 10))]) == 20


dates = st.dates(min_value=D(2000, 1, 1), max_value=D(2030, 12, 31))


@given(st.lists(st.tuples(dates, st.integers(0, 400)), max_size=6))
def test_covered_days_matches_brute_force(raw):
    intervals = [(s, s + dt.timedelta(days=n)) for s, n in raw]
    days = set()
    for s, e in intervals:
        days.update(s + dt.timedelta(days=i) for i in range((e - s).days + 1))
    assert covered_days(intervals) == len(days)


@given(dates, st.integers(-36, 36))
def test_add_months_round_trip_when_day_exists(day, n):
    if day.day <= 28:
        assert add_months(add_months(day, n), -n) == day


def test_months_from_counts_calendar_months():
    from priorauth.case.dates import months_from
    assert months_from(dt.date(2024, 9, 1), 6) == 181
    assert months_from(dt.date(2024, 3, 1), 6) == 184
    assert months_from(dt.date(2024, 1, 31), 1) == 29  # to 2024-02-29, clamped to the month's end
    assert months_from(dt.date(2025, 1, 1), 1.5) == 31 + 16
    assert months_from(dt.date(2025, 1, 1), 0) == 0
