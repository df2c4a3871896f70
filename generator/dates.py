"""Partial dates: dates that keep the precision their source gave them.

Sources rarely say "2 November 2017". They say "2014", "back in November", "by end 2018, or by
early 2019". A fact keeps exactly what was said, so a date is written in this small grammar
(a readable subset of the Library of Congress EDTF, ISO 8601-2):

    2018                  a year
    2018-11               a month
    2018-11-02            a day
    early 2019            part of a year: early, mid, late or end
    2017-11~              approximate ("c. Nov 2017")
    2014?                 uncertain ("2014?")
    end 2018/early 2019   a range, either end may be any of the above
    ../2018, 2018/..      a range open at one end

YAML reads an unquoted `2018` as a number and `2018-11-02` as a date; both are accepted and
normalised to the text above, so contributors need not quote dates.

`DATE_FORMS` below lists the same forms as data: the schema reference is generated from it.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from .problems import describe, or_list
from .suggest import did_you_mean

PARTS_OF_YEAR = {
    # part: (first month, last month), used only to sort and to compare dates.
    "early": (1, 4),
    "mid": (5, 8),
    "late": (9, 12),
    "end": (10, 12),
}
MONTH_ABBREVIATIONS = [calendar.month_abbr[m] for m in range(13)]

_POINT = re.compile(
    r"""^(?:(?P<part>[a-z]+)\s+)?
        (?P<year>\d{4})
        (?:-(?P<month>\d{2})(?:-(?P<day>\d{2}))?)?
        (?P<qualifier>[~?])?$""",
    re.VERBOSE | re.ASCII,  # ASCII: `\d` alone matches the digits of every script ('201৪')
)
OPEN_END = ".."


# What the marks of a date mean (the site explains them on the pages that show them).
APPROXIMATE = "approximate: about that time"  # 2017-11~, shown 'c. Nov 2017'
UNCERTAIN = "uncertain: the source is not sure"  # 2014?, shown '2014?'


# The grammar by example: (as written, what it means). The schema reference shows these with
# how the site displays each, and tests parse every one, so the documentation cannot drift.
DATE_FORMS = [
    ("2018", "a year"),
    ("2018-11", "a month"),
    ("2018-11-02", "a day"),
    ("early 2019", f"part of a year: {or_list(PARTS_OF_YEAR)}"),
    ("2017-11~", APPROXIMATE),
    ("2014?", UNCERTAIN),
    ("end 2018/early 2019", "a range; either end may be any of the forms above"),
    (f"{OPEN_END}/2018", "a range open at the start: until then"),
    (f"2018/{OPEN_END}", "a range open at the end: from then on"),
]
_TIME_OF_DAY = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ]\d", re.ASCII)


class DateError(ValueError):
    """A date that does not follow the grammar, or names a day that does not exist."""


@dataclass(frozen=True)
class DatePoint:
    """One end of a date: a year, optionally narrowed to part of a year, a month or a day."""

    year: int
    month: int | None = None
    day: int | None = None
    part: str | None = None
    approximate: bool = False
    uncertain: bool = False

    @property
    def precision(self) -> str:
        if self.day is not None:
            return "day"
        if self.month is not None:
            return "month"
        if self.part is not None:
            return "part"
        return "year"

    def earliest(self) -> dt.date:
        if self.day is not None:
            return dt.date(self.year, self.month, self.day)
        if self.month is not None:
            return dt.date(self.year, self.month, 1)
        first_month = PARTS_OF_YEAR[self.part][0] if self.part else 1
        return dt.date(self.year, first_month, 1)

    def latest(self) -> dt.date:
        if self.day is not None:
            return dt.date(self.year, self.month, self.day)
        last_month = self.month or (PARTS_OF_YEAR[self.part][1] if self.part else 12)
        return dt.date(self.year, last_month, calendar.monthrange(self.year, last_month)[1])

    def text(self) -> str:
        """The canonical written form, as in fact files."""
        out = f"{self.part} " if self.part else ""
        out += f"{self.year:04d}"
        if self.month is not None:
            out += f"-{self.month:02d}"
        if self.day is not None:
            out += f"-{self.day:02d}"
        return out + ("~" if self.approximate else "") + ("?" if self.uncertain else "")

    def display(self) -> str:
        """The form readers see: '2018', 'Nov 2017', '2 Nov 2017', 'end 2018', 'c. 2018'."""
        if self.day is not None:
            shown = f"{self.day} {MONTH_ABBREVIATIONS[self.month]} {self.year}"
        elif self.month is not None:
            shown = f"{MONTH_ABBREVIATIONS[self.month]} {self.year}"
        elif self.part is not None:
            shown = f"{self.part} {self.year}"
        else:
            shown = str(self.year)
        if self.approximate:
            shown = "c. " + shown
        if self.uncertain:
            shown += "?"
        return shown


@dataclass(frozen=True)
class PartialDate:
    """A date point or a range of two (either end may be open)."""

    start: DatePoint | None
    end: DatePoint | None
    is_range: bool

    @property
    def text(self) -> str:
        if not self.is_range:
            return self.start.text()
        return (
            f"{self.start.text() if self.start else OPEN_END}/"
            f"{self.end.text() if self.end else OPEN_END}"
        )

    def display(self) -> str:
        if not self.is_range:
            return self.start.display()
        if self.start is None:
            return f"until {self.end.display()}"
        if self.end is None:
            return f"from {self.start.display()}"
        return f"{self.start.display()} – {self.end.display()}"

    @property
    def marks(self) -> frozenset[str]:
        """Which marks its display carries: 'approximate' (c.), 'uncertain' (?)."""
        marks = set()
        for point in (self.start, self.end):
            if point is not None and point.approximate:
                marks.add("approximate")
            if point is not None and point.uncertain:
                marks.add("uncertain")
        return frozenset(marks)

    def earliest(self) -> dt.date:
        """The first day the date could mean (open start: the first day there is)."""
        return self.start.earliest() if self.start else dt.date.min

    def latest(self) -> dt.date:
        """The last day the date could mean (open end: the last day there is)."""
        if not self.is_range:
            return self.start.latest()
        return self.end.latest() if self.end else dt.date.max

    @property
    def sort_key(self) -> tuple:
        """Orders a timeline: by the first possible day, then wider spans before narrower ones,
        so '2018' comes before '2018-01-05' and 'Nov 2017' before '2 Nov 2017'. Dates open at
        the start ('until 2018') come first, by their end: 'until Nov 2017' before 'until 2018'."""
        if self.start is None:
            return (self.earliest(), (self.latest() - self.earliest()).days, self.text)
        return (self.earliest(), -(self.latest() - self.earliest()).days, self.text)

    def __str__(self) -> str:
        return self.text


def normalise_date_value(value: object) -> str | None:
    """The text of a date as YAML gave it (int, date or str); None if it cannot be a date."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        return None  # a time of day is more than any fact here records
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return value.strip()
    return None


def _parse_point(text: str) -> DatePoint:
    match = _POINT.match(text)
    if not match:
        foreign = next((ch for ch in text if ch.isdigit() and not ch.isascii()), None)
        if foreign is not None:
            name = unicodedata.name(foreign, "a digit").lower()
            raise DateError(
                f"'{text}' has a digit of another script ('{foreign}', {name}): write dates "
                "with the digits 0 to 9"
            )
        time_of_day = _TIME_OF_DAY.match(text)
        if time_of_day:
            raise DateError(
                f"'{text}' has a time of day: facts record dates only (write "
                f"{time_of_day.group(1)})"
            )
        raise DateError(
            f"'{text}' is not a date; write 2018, 2018-11, 2018-11-02, 'early 2019', "
            "'2017-11~' (approximate) or a range 'A/B'"
        )
    part = match["part"]
    if part is not None and part not in PARTS_OF_YEAR:
        hint = did_you_mean(part, PARTS_OF_YEAR)
        raise DateError(
            f"'{text}': '{part}' is not a part of a year{hint}; use {or_list(PARTS_OF_YEAR)}"
        )
    year = int(match["year"])
    month = int(match["month"]) if match["month"] else None
    day = int(match["day"]) if match["day"] else None
    if part is not None and month is not None:
        raise DateError(f"'{text}' gives both a part of the year and a month; keep one")
    if year == 0:
        raise DateError(f"'{text}': there is no year 0000")
    if month is not None and not 1 <= month <= 12:
        raise DateError(f"'{text}' is not a month: months are 01 to 12")
    if day is not None:
        last_day = calendar.monthrange(year, month)[1]
        if not 1 <= day <= last_day:
            raise DateError(
                f"'{text}' is not a day: {calendar.month_name[month]} {year} has {last_day} days"
            )
    qualifier = match["qualifier"]
    return DatePoint(
        year=year,
        month=month,
        day=day,
        part=part,
        approximate=qualifier == "~",
        uncertain=qualifier == "?",
    )


def _describe_non_date(value: object) -> str:
    if isinstance(value, dt.datetime):
        return f"a date with a time of day (write the date alone: {value.date().isoformat()})"
    return "nothing" if value is None else describe(value)


def parse_date(value: object) -> PartialDate:
    """Parse a date as written in a fact file; raises DateError with the fix in its message."""
    text = normalise_date_value(value)
    if text is None:
        raise DateError(
            f"expected a date such as 2018, 2018-11 or 2018-11-02, got {_describe_non_date(value)}"
        )
    if "/" not in text:
        return PartialDate(start=_parse_point(text), end=None, is_range=False)
    if text.count("/") > 1:
        raise DateError(f"'{text}' has more than one '/'; a range is 'START/END'")
    first, last = (piece.strip() for piece in text.split("/"))
    start = None if first == OPEN_END else _parse_point(first)
    end = None if last == OPEN_END else _parse_point(last)
    if start is None and end is None:
        raise DateError(f"'{text}' is open at both ends; give at least one date")
    if start and end and end.latest() < start.earliest():
        raise DateError(f"'{text}' ends before it starts: write the earlier date first")
    return PartialDate(start=start, end=end, is_range=True)
