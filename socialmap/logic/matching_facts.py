"""What matching needs to know about a few hundred candidate services, from the database.

The search index finds the candidates; the database is the source of truth for explaining
them. :func:`load_facts` reads what judging every candidate needs in two grouped queries
(the services; then their needs, target groups, areas, languages and stewards' decisions),
:func:`load_hours` the opening hours and closures of the few that are shown, in one more.
Never one query per service, so the cost does not grow with round trips per candidate.

The statements are built once per dialect and take the ids as parameters: on PostgreSQL
``column = ANY(CAST(:ids AS VARCHAR[]))``, one array parameter sent once per statement
however often the statement uses it, so the text is the same for every call and psycopg
prepares it. The array goes as one text literal (:class:`IdArray`).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from sqlalchemy import Date
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import TypeDecorator
from sqlalchemy import any_
from sqlalchemy import bindparam
from sqlalchemy import case
from sqlalchemy import cast
from sqlalchemy import literal_column
from sqlalchemy import null
from sqlalchemy import select
from sqlalchemy import union_all
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from search.hours import BRUSSELS
from search.hours import MINUTES_PER_DAY
from search.hours import MINUTES_PER_WEEK
from search.hours import is_open
from search.hours import local_time
from search.hours import minute_of_week
from search.hours import weekly_interval
from socialmap import models as m

Interval = tuple[int, int]
Period = tuple[dt.date, dt.date]


@dataclass(slots=True)
class ServiceFacts:
    """One service as matching explains it (location-specific facts live in :class:`Facts`)."""

    id: str
    name: str
    status: str
    organization_id: str
    organization_name: str
    minimum_age: float | None
    maximum_age: float | None
    assured_date: dt.date | None
    text_language: str
    accepts_referrals: bool
    capacity: str = "unknown"
    waiting_weeks: float | None = None
    capacity_updated_at: dt.datetime | None = None
    referable_decision: bool | None = None  # a steward's decision, when there is one
    needs: set[str] = field(default_factory=set)
    target_groups: set[str] = field(default_factory=set)
    areas: list[str] = field(default_factory=list)  # "kind:code", as search.query.area_code
    languages: set[str] = field(default_factory=set)

    @property
    def referable(self) -> bool:
        """Effective: the steward's decision, else whether the intake accepts referrals."""
        if self.referable_decision is not None:
            return self.referable_decision
        return self.accepts_referrals


@dataclass
class Facts:
    services: dict[str, ServiceFacts]
    location_languages: dict[str, set[str]]

    def offered(self, service: ServiceFacts, location_id: str | None) -> set[str]:
        """Languages offered at this site, unsorted (see :meth:`languages`)."""
        langs = service.languages
        if location_id in self.location_languages:
            langs = langs | self.location_languages[location_id]
        return langs or {service.text_language}

    def languages(self, service: ServiceFacts, location_id: str | None) -> list[str]:
        """Languages offered at this site (the service's own text language when none listed)."""
        return sorted(self.offered(service, location_id))


@dataclass
class Hours:
    """Weekly hours valid today and full-day closures not yet over, per service and site."""

    service_hours: dict[str, list[Interval]]
    service_closures: dict[str, list[Period]]
    location_hours: dict[str, list[Interval]]
    location_closures: dict[str, list[Period]]

    def hours(self, service_id: str, location_id: str | None) -> list[Interval]:
        """The service's own hours, else the site's (as the search index does)."""
        return self.service_hours.get(service_id) or self.location_hours.get(location_id or "", [])

    def closures(self, service_id: str, location_id: str | None) -> list[Period]:
        return self.service_closures.get(service_id, []) + self.location_closures.get(
            location_id or "", []
        )


def load_facts(session: Session, service_ids: Iterable[str], location_ids: Iterable[str]) -> Facts:
    """Facts about these services and sites: two queries, whatever their number."""
    ids, locs = sorted(set(service_ids)), sorted(set(location_ids))
    statements = _statements(session.get_bind().dialect.name)
    services = {
        r[0]: ServiceFacts(
            r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8] or "nl", bool(r[9]),
            r[10] or "unknown", r[11], r[12],
        )
        for r in session.execute(statements.services, {"ids": ids}).all()
    }  # fmt: skip
    location_languages: dict[str, set[str]] = defaultdict(set)
    decisions: dict[str, bool] = {}
    for key, kind, value in session.execute(statements.tags, {"ids": ids, "locs": locs}).all():
        if kind == "l":
            location_languages[key].add(value)
            continue
        service = services.get(key)
        if service is None:
            continue
        if kind == "n":
            service.needs.add(value)
        elif kind == "t":
            service.target_groups.add(value)
        elif kind == "a":
            service.areas.append(value)
        elif kind == "s":
            service.languages.add(value)
        else:  # where several regions decided, "not referable" wins
            decisions[key] = decisions.get(key, True) and value == "1"
    for service in services.values():
        service.areas.sort()
    for sid, referable in decisions.items():
        services[sid].referable_decision = referable
    return Facts(services, dict(location_languages))


def load_hours(session: Session, sites: Iterable[tuple[str, str | None]], today: dt.date) -> Hours:
    """Hours and closures of these (service, site) pairs: one query."""
    pairs = list(sites)
    ids = sorted({sid for sid, _ in pairs})
    locs = sorted({lid for _, lid in pairs if lid})
    out = Hours(defaultdict(list), defaultdict(list), defaultdict(list), defaultdict(list))
    if not ids:
        return out
    statement = _statements(session.get_bind().dialect.name).hours
    rows = session.execute(statement, {"ids": ids, "locs": locs, "today": today}).all()
    for sid, lid, weekday, opens, closes, closed_from, closed_to in rows:
        if closed_from is not None:
            closure = (closed_from, closed_to or closed_from)
            if sid is not None:
                out.service_closures[sid].append(closure)
            else:
                out.location_closures[lid].append(closure)
        elif sid is not None:
            out.service_hours[sid].extend(weekly_interval(weekday or 0, opens, closes))
        else:
            out.location_hours[lid].extend(weekly_interval(weekday or 0, opens, closes))
    for intervals in out.service_hours.values():
        intervals.sort()
    return out


class IdArray(TypeDecorator[list[str]]):
    """A list of strings bound as one PostgreSQL array literal (``{"a","b"}``), to be cast to
    ``VARCHAR[]`` in SQL: psycopg's own list dumper takes about 3 µs per element, ten times
    as long, and matching sends a few hundred ids per request."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: list[str] | None, dialect: Any) -> str | None:
        if value is None:
            return None
        quoted = ('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in value)
        return "{" + ",".join(quoted) + "}"


@dataclass(frozen=True)
class _Statements:
    services: Any
    tags: Any
    hours: Any


@functools.lru_cache(maxsize=4)
def _statements(dialect: str) -> _Statements:
    """The three statements, built once: parameters ``ids``, ``locs`` and ``today``."""
    if dialect == "postgresql":
        ids_param = cast(bindparam("ids", type_=IdArray()), ARRAY(String))
        locs_param = cast(bindparam("locs", type_=IdArray()), ARRAY(String))

        def in_ids(column: Any) -> Any:
            return column == any_(ids_param)

        def in_locs(column: Any) -> Any:
            return column == any_(locs_param)

    else:

        def in_ids(column: Any) -> Any:
            return column.in_(bindparam("ids", expanding=True))

        def in_locs(column: Any) -> Any:
            return column.in_(bindparam("locs", expanding=True))

    s, o = m.Service.__table__.c, m.Organization.__table__.c
    intake, cap = m.IntakeProcedure.__table__.c, m.ServiceCapacity.__table__.c
    services = (
        select(
            s.id, s.name, s.status, s.organization_id, o.name, s.minimum_age, s.maximum_age,
            s.assured_date, s.text_language, intake.accepts_referrals, cap.status,
            cap.waiting_weeks, cap.updated_at,
        )
        .join(m.Organization.__table__, o.id == s.organization_id)
        .outerjoin(m.IntakeProcedure.__table__, intake.service_id == s.id)
        .outerjoin(m.ServiceCapacity.__table__, cap.service_id == s.id)
        .where(in_ids(s.id))
    )  # fmt: skip
    # Needs, target groups, areas, languages and stewards' decisions in one round trip:
    # (key, kind, value).
    need, group = m.service_need.c, m.service_target_group.c
    area, lang = m.ServiceArea.__table__.c, m.Language.__table__.c
    region = m.RegionService.__table__.c

    def kind(letter: str) -> Any:
        return literal_column(f"'{letter}'", String)

    tags = union_all(
        select(need.service_id, kind("n"), need.term_code).where(in_ids(need.service_id)),
        select(group.service_id, kind("t"), group.term_code).where(in_ids(group.service_id)),
        select(area.service_id, kind("a"), area.kind + ":" + area.code).where(
            in_ids(area.service_id), area.kind != "text", area.code.is_not(None)
        ),
        select(lang.service_id, kind("s"), lang.code).where(in_ids(lang.service_id)),
        select(lang.location_id, kind("l"), lang.code).where(
            in_locs(lang.location_id), lang.service_id.is_(None)
        ),
        select(region.service_id, kind("r"), case((region.referable, "1"), else_="0")).where(
            in_ids(region.service_id)
        ),
    )
    return _Statements(services, tags, _hours_statement(in_ids, in_locs))


def _hours_statement(in_ids: Any, in_locs: Any) -> Any:
    """Rows (service, site, weekday, opens, closes, closed from, closed to): weekly slots
    valid on ``today`` and full-day closures not over by then, of the services and sites."""
    sch, clo = m.Schedule.__table__.c, m.Closure.__table__.c
    today = bindparam("today", type_=Date)
    valid = (sch.valid_from.is_(None) | (sch.valid_from <= today)) & (
        sch.valid_to.is_(None) | (sch.valid_to >= today)
    )
    no_date = cast(null(), Date)
    no_text = cast(null(), String)
    slot = (
        sch.service_id, sch.location_id, sch.weekday, sch.opens_at, sch.closes_at, no_date,
        no_date,
    )  # fmt: skip
    # Closures for part of a day do not close the service for the day.
    full_day = clo.opens_at.is_(None) & (clo.end_date.is_(None) | (clo.end_date >= today))
    period = (
        clo.service_id, clo.location_id, cast(null(), Integer), no_text, no_text, clo.start_date,
        clo.end_date,
    )  # fmt: skip
    return union_all(
        select(*slot).where(in_ids(sch.service_id), valid),
        select(*slot).where(in_locs(sch.location_id), sch.service_id.is_(None), valid),
        select(*period).where(in_ids(clo.service_id), full_day),
        select(*period).where(in_locs(clo.location_id), clo.service_id.is_(None), full_day),
    )


def opening(
    hours: list[Interval], closures: list[Period], now: dt.datetime
) -> tuple[bool | None, dt.datetime | None]:
    """(open now, next opening within two weeks); (None, None) when no hours are known."""
    if not hours:
        return None, None
    if is_open(hours, closures, now):
        return True, None
    # An interval starting at midnight that continues one ending at midnight is no opening.
    ends = {end % MINUTES_PER_WEEK for _, end in hours}
    starts = sorted({start for start, _ in hours if start not in ends})
    local = local_time(now)
    minute = minute_of_week(local)
    for days_ahead in range(15):
        day = local.date() + dt.timedelta(days=days_ahead)
        if any(first <= day <= last for first, last in closures):
            continue
        base = day.weekday() * MINUTES_PER_DAY
        for start in starts:
            if base <= start < base + MINUTES_PER_DAY and (days_ahead or start > minute):
                at = dt.datetime.combine(day, dt.time(), tzinfo=BRUSSELS)
                return False, at + dt.timedelta(minutes=start - base)
    return False, None
