"""Partial dates (generator/dates.py): parsing, display, order and errors, directly."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator import dates
from generator.dates import DATE_FORMS, DateError, parse_date


@pytest.mark.parametrize(
    ("written", "text", "precision", "earliest", "latest"),
    [
        ("2018", "2018", "year", "2018-01-01", "2018-12-31"),
        (2018, "2018", "year", "2018-01-01", "2018-12-31"),
        ("2018-11", "2018-11", "month", "2018-11-01", "2018-11-30"),
        ("2016-02", "2016-02", "month", "2016-02-01", "2016-02-29"),
        ("2018-11-02", "2018-11-02", "day", "2018-11-02", "2018-11-02"),
        (dt.date(2018, 11, 2), "2018-11-02", "day", "2018-11-02", "2018-11-02"),
        ("early 2019", "early 2019", "part", "2019-01-01", "2019-04-30"),
        ("mid 2019", "mid 2019", "part", "2019-05-01", "2019-08-31"),
        ("late 2019", "late 2019", "part", "2019-09-01", "2019-12-31"),
        ("end 2018", "end 2018", "part", "2018-10-01", "2018-12-31"),
        ("2017-11~", "2017-11~", "month", "2017-11-01", "2017-11-30"),
        ("2014?", "2014?", "year", "2014-01-01", "2014-12-31"),
        ("  2018-11 ", "2018-11", "month", "2018-11-01", "2018-11-30"),
    ],
)
def test_parse_a_point(written, text, precision, earliest, latest):
    date = parse_date(written)
    assert not date.is_range
    assert date.text == str(date) == text
    assert date.start.precision == precision
    assert date.earliest() == dt.date.fromisoformat(earliest)
    # A single date ends where its own precision ends, never at the end of time.
    assert date.latest() == dt.date.fromisoformat(latest)


def test_approximate_and_uncertain_are_kept():
    assert parse_date("2017-11~").start.approximate
    assert not parse_date("2017-11~").start.uncertain
    assert parse_date("2014?").start.uncertain
    assert not parse_date("2014").start.approximate


@pytest.mark.parametrize(
    ("written", "text", "earliest", "latest"),
    [
        ("end 2018/early 2019", "end 2018/early 2019", "2018-10-01", "2019-04-30"),
        ("2017-11 / 2018", "2017-11/2018", "2017-11-01", "2018-12-31"),
        ("../2018", "../2018", dt.date.min.isoformat(), "2018-12-31"),
        ("2018/..", "2018/..", "2018-01-01", dt.date.max.isoformat()),
        ("2018/2018", "2018/2018", "2018-01-01", "2018-12-31"),
    ],
)
def test_parse_a_range(written, text, earliest, latest):
    date = parse_date(written)
    assert date.is_range
    assert date.text == text
    assert date.earliest() == dt.date.fromisoformat(earliest)
    assert date.latest() == dt.date.fromisoformat(latest)


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("2018", "2018"),
        ("2017-11", "Nov 2017"),
        ("2017-11-02", "2 Nov 2017"),
        ("end 2018", "end 2018"),
        ("end 2018/early 2019", "end 2018 – early 2019"),
        ("2018~", "c. 2018"),
        ("2017-11~", "c. Nov 2017"),
        ("2014?", "2014?"),
        ("../2018", "until 2018"),
        ("2018-05/..", "from May 2018"),
    ],
)
def test_display(written, shown):
    assert parse_date(written).display() == shown


# A timeline's order: dates open at the start first, by their end; then by first possible
# day; of dates starting the same day, the wider first.
SORTED_DATES = [
    "../2017-11?",
    "../2018",
    "2017",
    "2017-11~",
    "2017-11-02",
    "2018/..",
    "2018",
    "early 2018",
    "2018-01",
    "2018-01-05",
    "mid 2018",
    "late 2018",
    "end 2018/early 2019",
    "2018-11",
    "2019",
]


def test_sort_order():
    shuffled = SORTED_DATES[:]
    random.Random(4).shuffle(shuffled)
    assert sorted(shuffled, key=lambda text: parse_date(text).sort_key) == SORTED_DATES


def test_sortable_tables_sort_dates_in_the_same_order():
    """A date column of a sortable table (its data-sort keys) orders dates as the timeline."""
    from generator.render.render import date_sort_key

    shuffled = [*SORTED_DATES, None]
    random.Random(5).shuffle(shuffled)
    keyed = sorted(shuffled, key=lambda text: date_sort_key(text and parse_date(text)))
    assert keyed == [*SORTED_DATES, None]


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("2018-02-30", "'2018-02-30' is not a day: February 2018 has 28 days"),
        ("2019-02-29", "'2019-02-29' is not a day: February 2019 has 28 days"),
        ("2018-11-31", "'2018-11-31' is not a day: November 2018 has 30 days"),
        ("2018-11-00", "'2018-11-00' is not a day: November 2018 has 30 days"),
        ("2018-13", "'2018-13' is not a month: months are 01 to 12"),
        ("2018-00-10", "'2018-00-10' is not a month: months are 01 to 12"),
        ("0000", "'0000': there is no year 0000"),
        (
            "early 2019/end 2018",
            "'early 2019/end 2018' ends before it starts: write the earlier date first",
        ),
        ("2019/2018-06", "'2019/2018-06' ends before it starts: write the earlier date first"),
        (
            "autumn 2018",
            "'autumn 2018': 'autumn' is not a part of a year; use early, mid, late or end",
        ),
        (
            "erly 2019",
            "'erly 2019': 'erly' is not a part of a year (did you mean 'early'?); use early, "
            "mid, late or end",
        ),
        ("early 2018-11", "'early 2018-11' gives both a part of the year and a month; keep one"),
        (
            "2018-05-01T10:00",
            "'2018-05-01T10:00' has a time of day: facts record dates only (write 2018-05-01)",
        ),
        ("2018/2019/2020", "'2018/2019/2020' has more than one '/'; a range is 'START/END'"),
        ("../..", "'../..' is open at both ends; give at least one date"),
        (
            "last year",
            "'last year' is not a date; write 2018, 2018-11, 2018-11-02, 'early 2019', "
            "'2017-11~' (approximate) or a range 'A/B'",
        ),
        (
            "2018-1",
            "'2018-1' is not a date; write 2018, 2018-11, 2018-11-02, 'early 2019', "
            "'2017-11~' (approximate) or a range 'A/B'",
        ),
        (
            18,
            "'18' is not a date; write 2018, 2018-11, 2018-11-02, 'early 2019', "
            "'2017-11~' (approximate) or a range 'A/B'",
        ),
        (True, "expected a date such as 2018, 2018-11 or 2018-11-02, got true (true/false)"),
        (2018.5, "expected a date such as 2018, 2018-11 or 2018-11-02, got the number 2018.5"),
        (None, "expected a date such as 2018, 2018-11 or 2018-11-02, got nothing"),
        ([2018], "expected a date such as 2018, 2018-11 or 2018-11-02, got a list"),
        (
            dt.datetime(2018, 5, 1, 10, 0),
            "expected a date such as 2018, 2018-11 or 2018-11-02, got a date with a time of day "
            "(write the date alone: 2018-05-01)",
        ),
    ],
)
def test_errors(written, message):
    with pytest.raises(DateError) as caught:
        parse_date(written)
    assert str(caught.value) == message


def test_leap_days():
    assert parse_date("2020-02-29").latest() == dt.date(2020, 2, 29)
    assert parse_date("2000-02-29").earliest() == dt.date(2000, 2, 29)
    with pytest.raises(DateError):
        parse_date("1900-02-29")


def test_documented_forms_parse_and_are_in_the_module_docs():
    """DATE_FORMS feeds the schema reference; dates.py's docstring shows the same grammar."""
    assert len(DATE_FORMS) >= 8
    for written, meaning in DATE_FORMS:
        assert parse_date(written).text == written
        assert meaning
        assert written in dates.__doc__, f"{written!r} is not in dates.py's docstring"


@given(st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(9999, 12, 31)))
def test_every_real_day_round_trips(day: dt.date):
    date = parse_date(day.isoformat())
    assert date.text == day.isoformat()
    assert date.earliest() == date.latest() == day
    assert parse_date(day) == date


@given(
    st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(9999, 12, 31)),
    st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(9999, 12, 31)),
)
def test_day_order_is_calendar_order(first: dt.date, second: dt.date):
    assert (parse_date(first).sort_key < parse_date(second).sort_key) == (first < second)
