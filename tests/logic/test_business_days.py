"""Belgian business days: the calendar referral deadlines are counted on."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from socialmap.logic.business_days import add_business_days
from socialmap.logic.business_days import business_days_between
from socialmap.logic.business_days import is_business_day
from socialmap.logic.business_days import is_overdue

BRUSSELS = ZoneInfo("Europe/Brussels")


def brussels(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BRUSSELS)


@pytest.mark.parametrize(
    "day",
    [
        dt.date(2026, 11, 11),  # Armistice (Wednesday)
        dt.date(2026, 12, 25),  # Christmas (Friday)
        dt.date(2027, 3, 29),  # Easter Monday
        dt.date(2026, 5, 14),  # Ascension Day (Thursday)
        dt.date(2026, 7, 21),  # National Day (Tuesday)
    ],
)
def test_public_holidays_are_not_business_days(day):
    assert day.weekday() < 5
    assert not is_business_day(day)


def test_weekdays_are_business_days_and_weekends_are_not():
    assert is_business_day(dt.date(2026, 11, 10))  # an ordinary Tuesday
    assert not is_business_day(dt.date(2026, 11, 14))  # Saturday
    assert not is_business_day(dt.date(2026, 11, 15))  # Sunday
    # The Flemish community day (11 July) is not a public holiday.
    assert is_business_day(dt.date(2025, 7, 11))


def test_friday_plus_two_business_days_is_tuesday_same_local_time():
    friday = brussels(2026, 11, 20, 16, 30)
    due = add_business_days(friday, 2)
    assert due == brussels(2026, 11, 24, 16, 30)
    assert due.astimezone(BRUSSELS).strftime("%A %H:%M") == "Tuesday 16:30"


def test_holidays_are_skipped():
    # Tuesday 10 Nov + 1 = Thursday 12 Nov (Wednesday 11 Nov is Armistice).
    assert add_business_days(brussels(2026, 11, 10, 9), 1) == brussels(2026, 11, 12, 9)
    # Thursday 24 Dec + 1 = Monday 28 Dec (Christmas on Friday, then the weekend).
    assert add_business_days(brussels(2026, 12, 24, 9), 1) == brussels(2026, 12, 28, 9)
    # Thursday before Easter 2027 + 2 = Wednesday (Good Friday is a working day in Belgium).
    assert add_business_days(brussels(2027, 3, 25, 9), 2) == brussels(2027, 3, 30, 9)


def test_utc_input_is_counted_on_the_brussels_calendar():
    # Friday 23:30 UTC is already Saturday 00:30 in Brussels: + 1 business day is Monday.
    late_friday = dt.datetime(2026, 11, 20, 23, 30, tzinfo=dt.UTC)
    due = add_business_days(late_friday, 1)
    assert due.tzinfo == dt.UTC
    assert due == brussels(2026, 11, 23, 0, 30)
    # A naive datetime is UTC, as stored in the database.
    assert add_business_days(dt.datetime(2026, 11, 20, 23, 30), 1) == due


def test_wall_clock_kept_across_daylight_saving_change():
    # Friday 23 Oct 2026 (CEST, UTC+2) + 2 = Tuesday 27 Oct (CET, UTC+1), still 10:00 local.
    due = add_business_days(brussels(2026, 10, 23, 10), 2)
    assert due.astimezone(BRUSSELS).hour == 10
    assert due.astimezone(dt.UTC).hour == 9


def test_business_days_between():
    assert business_days_between(dt.date(2026, 11, 20), dt.date(2026, 11, 24)) == 2
    assert business_days_between(dt.date(2026, 11, 24), dt.date(2026, 11, 20)) == -2
    assert business_days_between(dt.date(2026, 11, 9), dt.date(2026, 11, 13)) == 3  # 11/11
    assert business_days_between(brussels(2026, 11, 20, 8), brussels(2026, 11, 20, 18)) == 0
    # 28-31 Dec and 4 Jan: Christmas, New Year and the weekends skipped.
    assert business_days_between(dt.date(2026, 12, 24), dt.date(2027, 1, 4)) == 5


def test_is_overdue_after_n_business_days():
    requested = brussels(2026, 11, 20, 16)  # Friday
    assert not is_overdue(requested, brussels(2026, 11, 23, 16), 2)
    assert not is_overdue(requested, brussels(2026, 11, 24, 15, 59), 2)
    assert is_overdue(requested, brussels(2026, 11, 24, 16), 2)
    # Monday the 9th + 2 business days = Thursday the 12th (the 11th is Armistice).
    monday = brussels(2026, 11, 9, 10)
    assert not is_overdue(monday, brussels(2026, 11, 11, 12), 2)
    assert is_overdue(monday, brussels(2026, 11, 12, 10), 2)


def test_negative_days_are_refused():
    with pytest.raises(ValueError):
        add_business_days(brussels(2026, 11, 20, 9), -1)
