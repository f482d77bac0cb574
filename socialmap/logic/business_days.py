"""Belgian business days: Monday to Friday, except the ten federal public holidays.

Deadlines are counted on the calendar of Brussels: a referral sent on Friday at 16:00 (local
time) with two business days to answer is due on Tuesday at 16:00, or on Wednesday when that
Monday is Easter Monday. Datetimes without a time zone are taken to be UTC, as the database
stores them.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

BRUSSELS = ZoneInfo("Europe/Brussels")


@lru_cache(maxsize=64)
def _holidays(year: int) -> frozenset[dt.date]:
    # One immutable set per year: the holidays object fills itself lazily and is not
    # meant to be shared between threads.
    return frozenset(holidays.country_holidays("BE", years=year))


def belgian_holidays(year: int) -> frozenset[dt.date]:
    """The Belgian public holidays of ``year``."""
    return _holidays(year)


def is_business_day(day: dt.date | dt.datetime) -> bool:
    """Monday to Friday and not a Belgian public holiday (a datetime counts in Brussels)."""
    if isinstance(day, dt.datetime):
        day = local_date(day)
    return day.weekday() < 5 and day not in _holidays(day.year)


def local_date(moment: dt.datetime) -> dt.date:
    """The date in Brussels at ``moment``."""
    return _local(moment).date()


def add_business_days(start: dt.datetime, n: int) -> dt.datetime:
    """The moment ``n`` business days after ``start``, at the same Brussels wall-clock time.

    Weekends and holidays are skipped; ``n`` must not be negative. The result has the time
    zone of ``start`` (UTC when ``start`` has none).
    """
    if n < 0:
        raise ValueError("n must not be negative")
    local = _local(start)
    day = local.date()
    remaining = n
    while remaining:
        day += dt.timedelta(days=1)
        if is_business_day(day):
            remaining -= 1
    moved = dt.datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=BRUSSELS)
    return moved.astimezone(start.tzinfo or dt.UTC)


def business_days_between(a: dt.date | dt.datetime, b: dt.date | dt.datetime) -> int:
    """Business days after ``a``'s date up to and including ``b``'s date (negative if b < a).

    Friday to the next Tuesday is 2; the same day is 0.
    """
    start = local_date(a) if isinstance(a, dt.datetime) else a
    end = local_date(b) if isinstance(b, dt.datetime) else b
    sign = 1
    if end < start:
        start, end, sign = end, start, -1
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        count += is_business_day(day)
    return sign * count


def is_overdue(requested_at: dt.datetime, now: dt.datetime, n: int) -> bool:
    """True once ``n`` business days have passed since ``requested_at``."""
    return _aware(now) >= add_business_days(requested_at, n)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _local(moment: dt.datetime) -> dt.datetime:
    return _aware(moment).astimezone(BRUSSELS)
