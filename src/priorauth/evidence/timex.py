"""Dates and durations in note text, with their spans, resolved against the note's date.

An imprecise date is a range ("2021" is 2021-01-01..2021-12-31, "March 2023" one month). The readers take its
latest day for a pain onset or a treatment's start, so a duration is never longer than documented, and for a
treatment's end ("ending 01/2025": it ran into January). Relative expressions count back from the note's date in
calendar months ("18 months ago") or days ("3 weeks ago" is 21 days).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from priorauth.case.dates import add_months

MONTHS = {m.lower()[:3]: i for i, m in enumerate(calendar.month_abbr) if m}
NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "eighteen": 18, "twenty": 20,
                "twenty-four": 24, "thirty": 30, "several": None, "few": None}
UNITS = {"d": "day", "day": "day", "days": "day", "wk": "week", "wks": "week", "week": "week", "weeks": "week",
         "w": "week", "mo": "month", "mos": "month", "month": "month", "months": "month", "m": "month",
         "yr": "year", "yrs": "year", "year": "year", "years": "year", "y": "year", "decade": "decade",
         "decades": "decade"}

_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|" \
         r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_NUM = r"(?:\d+(?:\.\d+)?|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|eighteen|" \
       r"(?:twenty|thirty|forty|fifty|sixty)(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?)"
_UNIT = r"(?:days?|d|wks?|weeks?|w|mos?|months?|yrs?|years?|y)"

DATE_PATTERNS = [
    ("ymd", re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")),
    ("mdy", re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\b")),
    ("month_day_year", re.compile(rf"\b({_MONTH})\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I)),
    ("my", re.compile(r"\b(\d{1,2})/(\d{4})\b")),
    ("month_year", re.compile(rf"\b({_MONTH})\s+(?:of\s+)?(\d{{4}})\b", re.I)),
    # a year, and each year of a range ("2023-2024"); not inside a number, a code or a dose ("2023." ends a sentence)
    # ("mid-2022", "early-2021": a word and a hyphen before it)
    ("year", re.compile(r"(?:(?<=(?:19|20)\d\d[-–])|(?<=(?i:mid)[-–])|(?<=(?i:late)[-–])|(?<=(?i:early)[-–])"
                        r"|(?<![\d/.\-–]))((?:19|20)\d{2})"
                        r"(?![\d/]|\.\d|[-–](?!(?:19|20)\d\d\b)|\s*(?:mg|mcg|ml|%))")),
]
_WORD_UNIT = r"(?:days?|wks?|weeks?|mos?|months?|yrs?|years?|decades?)"
# `12 weeks`, `x12 wks`, `6-month`, `18mo`; a number word only with a whole unit (`two weeks`, not `an d`)
DURATION = re.compile(rf"(?:\bx\s*|\b)(?:(\d+(?:\.\d+)?)(?:\s*\+)?(?:\s*-\s*|\s*)({_UNIT})|({_NUM})"
                      rf"(?:\s*-\s*|\s+)({_WORD_UNIT}))\b\.?", re.I)
AGO = re.compile(rf"\b(?:(\d+(?:\.\d+)?)\s*({_UNIT})|({_NUM})\s+({_WORD_UNIT}))\s+ago\b", re.I)


@dataclass(frozen=True)
class DateMention:
    start: int
    end: int
    first: dt.date  # the earliest day the text can mean
    last: dt.date  # the latest


@dataclass(frozen=True)
class Duration:
    start: int
    end: int
    count: float
    unit: str  # day, week, month, year

    def before(self, day: dt.date) -> dt.date:
        """The day this long before `day` (calendar months for months and years)."""
        if self.unit in ("month", "year"):
            months = self.count * (12 if self.unit == "year" else 1)
            whole = int(months)
            back = add_months(day, -whole)
            return back - dt.timedelta(days=round((months - whole) * 30))
        return day - dt.timedelta(days=round(self.count * (7 if self.unit == "week" else 1)))

    def after(self, day: dt.date) -> dt.date:
        if self.unit in ("month", "year"):
            return add_months(day, int(self.count * (12 if self.unit == "year" else 1)))
        return day + dt.timedelta(days=round(self.count * (7 if self.unit == "week" else 1)))

    @property
    def weeks(self) -> float:
        return self.count * {"day": 1 / 7, "week": 1, "month": 52 / 12, "year": 52}[self.unit]

    @property
    def days(self) -> float:
        return self.count * {"day": 1, "week": 7, "month": 30.4375, "year": 365.25}[self.unit]


_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60}


def _number(text: str) -> float | None:
    text = text.lower()
    if text in NUMBER_WORDS:
        return NUMBER_WORDS[text]
    tens, _, unit = re.sub(r"\s+", " ", text).replace(" ", "-").partition("-")  # "twenty-six", "forty two"
    if tens in _TENS and NUMBER_WORDS.get(unit) and NUMBER_WORDS[unit] < 10:
        return _TENS[tens] + NUMBER_WORDS[unit]
    try:
        return float(text)
    except ValueError:
        return None


def _year(text: str) -> int:
    y = int(text)
    return y + (2000 if y < 50 else 1900) if len(text) == 2 else y


def _last_day(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


# "Jan-Mar 2024", "Sept–Nov 2025": the first month takes the year of the second (or the year before, when it comes
# later in the calendar: "Nov-Feb 2025"). "Nov 2024 to Feb 2025" names both years: two month_year dates, not this.
MONTH_RANGE = re.compile(rf"\b({_MONTH})\s*(?:-|–|to|through|thru)\s*({_MONTH})\s+(\d{{4}})\b", re.I)


# the same in numbers: "(10-12/2025)", "04-05/2025"
NUMERIC_MONTH_RANGE = re.compile(r"(?<![\d/])(0?[1-9]|1[0-2])\s*[-–]\s*(0?[1-9]|1[0-2])/(\d{4})\b")


def _month(name: str) -> int:
    return int(name) if name.isdigit() else MONTHS[name.lower()[:3]]


def _month_range(m: re.Match[str], offset: int) -> list[DateMention]:
    first, second, year = _month(m.group(1)), _month(m.group(2)), int(m.group(3))
    start_year = year - 1 if first > second else year
    return [DateMention(m.start(1) + offset, m.end(1) + offset, dt.date(start_year, first, 1),
                        _last_day(start_year, first)),
            DateMention(m.start(2) + offset, m.end(3) + offset, dt.date(year, second, 1), _last_day(year, second))]


def dates_in(text: str, offset: int = 0) -> list[DateMention]:
    """Every date in `text`, longest first where two overlap, in text order."""
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []
    for m in (*MONTH_RANGE.finditer(text), *NUMERIC_MONTH_RANGE.finditer(text)):
        taken.append((m.start(), m.end()))
        found += _month_range(m, offset)
    for kind, rx in DATE_PATTERNS:
        for m in rx.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            mention = _date(kind, m)
            if mention is None:
                continue
            taken.append((m.start(), m.end()))
            found.append(DateMention(m.start() + offset, m.end() + offset, *mention))
    return sorted(found, key=lambda d: d.start)


def _date(kind: str, m: re.Match[str]) -> tuple[dt.date, dt.date] | None:
    g = m.groups()
    try:
        if kind == "ymd":
            day = dt.date(int(g[0]), int(g[1]), int(g[2]))
            return day, day
        if kind == "mdy":
            day = dt.date(_year(g[2]), int(g[0]), int(g[1]))
            return day, day
        if kind == "month_day_year":
            day = dt.date(int(g[2]), MONTHS[g[0].lower()[:3]], int(g[1]))
            return day, day
        if kind == "my":
            month, year = int(g[0]), int(g[1])
            return dt.date(year, month, 1), _last_day(year, month)
        if kind == "month_year":
            month, year = MONTHS[g[0].lower()[:3]], int(g[1])
            return dt.date(year, month, 1), _last_day(year, month)
        if kind == "year":
            year = int(g[0])
            return dt.date(year, 1, 1), dt.date(year, 12, 31)
    except (ValueError, KeyError):
        return None
    return None


_MONTH_ALONE = re.compile(rf"\b(?:in|since|from|until|through|by|during|early|late|mid)\s+({_MONTH})(?!\w)"
                          r"(?!\s*,?\s*\d)", re.I)


def months_in(text: str, note_date: dt.date, offset: int = 0) -> list[DateMention]:
    """A month named without its year after a preposition ("started in May", "since March"): the latest such month
    up to the note's date, as a range (its last day is the latest it can mean)."""
    out = []
    for m in _MONTH_ALONE.finditer(text):
        month = MONTHS[m.group(1).lower()[:3]]
        year = note_date.year if month <= note_date.month else note_date.year - 1
        out.append(DateMention(m.start(1) + offset, m.end(1) + offset, dt.date(year, month, 1), _last_day(year, month)))
    return out


_MONTH_OF = re.compile(rf"^({_MONTH})(?:\s+of\s+(this|last)\s+year)?(?!\w)(?!\s*,?\s*\d)", re.I)


def month_at_start(text: str, note_date: dt.date, offset: int = 0) -> list[DateMention]:
    """A month that begins `text` without a year, or with "of this year" / "of last year" ("since about April of
    this year"): as months_in, the latest such month up to the note's date, unless the year is said."""
    m = _MONTH_OF.match(text)
    if m is None:
        return []
    month = MONTHS[m.group(1).lower()[:3]]
    if m.group(2):
        year = note_date.year - (m.group(2).lower() == "last")
    else:
        year = note_date.year if month <= note_date.month else note_date.year - 1
    return [DateMention(m.start() + offset, m.end() + offset, dt.date(year, month, 1), _last_day(year, month))]


def durations_in(text: str, offset: int = 0) -> list[Duration]:
    out = []
    for m in DURATION.finditer(text):
        number, unit = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        count = _number(number)
        if count is None or count <= 0:
            continue
        out.append(_duration(m.start() + offset, m.end() + offset, count, UNITS[unit.lower()]))
    return out


def _duration(start: int, end: int, count: float, unit: str) -> Duration:
    """A decade ("for over a decade") is counted as ten years."""
    return Duration(start, end, count * 10, "year") if unit == "decade" else Duration(start, end, count, unit)


def ago_in(text: str, note_date: dt.date, offset: int = 0) -> list[DateMention]:
    """`3 weeks ago`, `two years ago`: the day that long before the note's date."""
    out = []
    for m in AGO.finditer(text):
        number, unit = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        count = _number(number)
        if count is None:
            continue
        day = _duration(0, 0, count, UNITS[unit.lower()]).before(note_date)
        out.append(DateMention(m.start() + offset, m.end() + offset, day, day))
    return out
