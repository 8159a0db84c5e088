"""Calendar arithmetic for look-back windows and durations; pure, no third-party dependency."""

from __future__ import annotations

import calendar
import datetime as dt
from functools import lru_cache

# The fraction of a month beyond whole calendar months ("1.5 months") in days: the mean Gregorian month.
DAYS_PER_MONTH = 365.2425 / 12


@lru_cache(maxsize=8192)
def add_months(day: dt.date, months: int) -> dt.date:
    """Same day of month `months` later (or earlier when negative), clamped to the month's end."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    if year < dt.MINYEAR:  # a window reaching before year 1 starts at the first representable day
        return dt.date.min
    if year > dt.MAXYEAR:
        return dt.date.max
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def months_to_days(months: float) -> int:
    """Whole days a duration of `months` needs: 6 months -> 183 days, 3 -> 92."""
    whole = months * DAYS_PER_MONTH
    return int(whole) + (0 if whole == int(whole) else 1)


def months_from(start: dt.date, months: float) -> int:
    """Days in `months` calendar months counted from `start`: 6 months from 2024-09-01 run to 2025-02-28 (181
    days), from 2024-03-01 to 2024-08-31 (184). A fraction of a month adds its share of a mean month, rounded up."""
    whole = int(months)
    days = (add_months(start, whole) - start).days if start < dt.date.max else 0
    return days + months_to_days(months - whole) if months != whole else days


def age_years(birth: dt.date, on: dt.date) -> int:
    years = on.year - birth.year
    if (on.month, on.day) < (birth.month, birth.day):
        years -= 1
    return years


def covered_days(intervals: list[tuple[dt.date, dt.date]]) -> int:
    """Days covered by the union of closed intervals [start, end] (overlaps count once)."""
    total = 0
    current_start: dt.date | None = None
    current_end: dt.date | None = None
    for start, end in sorted(intervals):
        if current_end is None or start > current_end + dt.timedelta(days=1):
            if current_end is not None and current_start is not None:
                total += (current_end - current_start).days + 1
            current_start, current_end = start, end
        elif end > current_end:
            current_end = end
    if current_end is not None and current_start is not None:
        total += (current_end - current_start).days + 1
    return total
