"""Opening hours as weekly minute intervals in Europe/Brussels time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")
MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY


def local_time(when: dt.datetime) -> dt.datetime:
    """``when`` in Brussels time (a naive datetime is taken as Brussels time already)."""
    return when.replace(tzinfo=BRUSSELS) if when.tzinfo is None else when.astimezone(BRUSSELS)


def minute_of_week(when: dt.datetime) -> int:
    """Minutes since Monday 00:00 Brussels time."""
    local = local_time(when)
    return local.weekday() * MINUTES_PER_DAY + local.hour * 60 + local.minute


def parse_hhmm(value: str | None) -> int | None:
    """``"08:30"`` -> 510; ``"24:00"`` -> 1440; None for anything else."""
    if not value or len(value) != 5 or value[2] != ":":
        return None
    try:
        hours, minutes = int(value[:2]), int(value[3:])
    except ValueError:
        return None
    if not (0 <= hours <= 24 and 0 <= minutes < 60) or (hours == 24 and minutes):
        return None
    return hours * 60 + minutes


def weekly_interval(weekday: int, opens: str | None, closes: str | None) -> list[tuple[int, int]]:
    """Intervals for one slot (weekday 1=Monday..7=Sunday); a slot past midnight wraps."""
    start, end = parse_hhmm(opens), parse_hhmm(closes)
    if not 1 <= weekday <= 7 or start is None or end is None or start == end:
        return []
    base = (weekday - 1) * MINUTES_PER_DAY
    if end > start:
        return [(base + start, base + end)]
    # Closes after midnight: split at the day boundary (and at the end of the week).
    first = (base + start, base + MINUTES_PER_DAY)
    second_start = (base + MINUTES_PER_DAY) % MINUTES_PER_WEEK
    return [first, (second_start, second_start + end)]


def is_open(
    hours: list[tuple[int, int]], closures: list[tuple[dt.date, dt.date]], when: dt.datetime
) -> bool:
    """Open at ``when``: inside a weekly interval and not on a closure day."""
    local = local_time(when)
    day = local.date()
    if any(start <= day <= end for start, end in closures):
        return False
    minute = minute_of_week(local)
    return any(start <= minute < end for start, end in hours)
