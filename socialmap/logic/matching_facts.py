"""What matching needs to know about a few hundred candidate services, from the database.

The search index finds the candidates; the database is the source of truth for explaining
them. :func:`load_facts` reads everything in a fixed handful of grouped queries (IN lists,
never one query per service), so the cost does not grow with round trips per candidate.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from sqlalchemy import Date
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import any_
from sqlalchemy import bindparam
from sqlalchemy import cast
from sqlalchemy import literal
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
from socialmap.logic import regions

Interval = tuple[int, int]
Period = tuple[dt.date, dt.date]


@dataclass
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
    hours: list[Interval] = field(default_factory=list)
    closures: list[Period] = field(default_factory=list)

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
    location_hours: dict[str, list[Interval]]
    location_closures: dict[str, list[Period]]

    def languages(self, service: ServiceFacts, location_id: str | None) -> list[str]:
        """Languages offered at this site (the service's own text language when none listed)."""
        langs = service.languages | self.location_languages.get(location_id or "", set())
        return sorted(langs or {service.text_language})

    def hours(self, service: ServiceFacts, location_id: str | None) -> list[Interval]:
        """The service's own hours, else the site's (as the search index does)."""
        return service.hours or self.location_hours.get(location_id or "", [])

    def closures(self, service: ServiceFacts, location_id: str | None) -> list[Period]:
        return service.closures + self.location_closures.get(location_id or "", [])


def load_facts(
    session: Session, service_ids: Iterable[str], location_ids: Iterable[str], today: dt.date
) -> Facts:
    """Facts about these services and sites: four queries, whatever their number."""
    ids, locs = sorted(set(service_ids)), sorted(set(location_ids))
    among = _among_for(session)
    s, o = m.Service.__table__.c, m.Organization.__table__.c
    intake, cap = m.IntakeProcedure.__table__.c, m.ServiceCapacity.__table__.c
    rows = session.execute(
        select(
            s.id, s.name, s.status, s.organization_id, o.name, s.minimum_age, s.maximum_age,
            s.assured_date, s.text_language, intake.accepts_referrals, cap.status,
            cap.waiting_weeks, cap.updated_at,
        )
        .join(m.Organization.__table__, o.id == s.organization_id)
        .outerjoin(m.IntakeProcedure.__table__, intake.service_id == s.id)
        .outerjoin(m.ServiceCapacity.__table__, cap.service_id == s.id)
        .where(among(s.id, ids))
    ).all()  # fmt: skip
    services = {
        r[0]: ServiceFacts(
            id=r[0], name=r[1], status=r[2], organization_id=r[3], organization_name=r[4],
            minimum_age=r[5], maximum_age=r[6], assured_date=r[7], text_language=r[8] or "nl",
            accepts_referrals=bool(r[9]), capacity=r[10] or "unknown", waiting_weeks=r[11],
            capacity_updated_at=r[12],
        )
        for r in rows
    }  # fmt: skip
    # Needs, target groups, areas and languages in one round trip: (key, kind, value).
    need, group = m.service_need.c, m.service_target_group.c
    area, lang = m.ServiceArea.__table__.c, m.Language.__table__.c
    tags = union_all(
        select(need.service_id, literal("n"), need.term_code).where(among(need.service_id, ids)),
        select(group.service_id, literal("t"), group.term_code).where(among(group.service_id, ids)),
        select(area.service_id, literal("a"), area.kind + ":" + area.code).where(
            among(area.service_id, ids), area.kind != "text", area.code.is_not(None)
        ),
        select(lang.service_id, literal("s"), lang.code).where(among(lang.service_id, ids)),
        select(lang.location_id, literal("l"), lang.code).where(
            among(lang.location_id, locs), lang.service_id.is_(None)
        ),
    )
    location_languages: dict[str, set[str]] = defaultdict(set)
    for key, kind, value in session.execute(tags):
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
        else:
            service.languages.add(value)
    for service in services.values():
        service.areas.sort()
    location_hours, location_closures = _hours(session, services, ids, locs, today)
    for sid, referable in regions.referable_decisions(ids, session).items():
        if sid in services:
            services[sid].referable_decision = referable
    return Facts(services, dict(location_languages), location_hours, location_closures)


def _among_for(session: Session) -> Callable[[Any, list[str]], Any]:
    """``column IN (ids)``; on PostgreSQL ``column = ANY(:ids)``: one array parameter
    instead of hundreds, so the statement text is the same for every call (prepared once,
    no per-id rendering)."""
    if session.get_bind().dialect.name == "postgresql":
        return lambda column, values: (
            column == any_(bindparam(None, list(values), type_=ARRAY(String)))
        )
    return lambda column, values: column.in_(list(values))


def _hours(
    session: Session,
    services: dict[str, ServiceFacts],
    ids: list[str],
    locs: list[str],
    today: dt.date,
) -> tuple[dict[str, list[Interval]], dict[str, list[Period]]]:
    """Weekly hours valid today and full-day closures not yet over, per service and site,
    in one round trip: rows (service, site, weekday, opens, closes, closed from, closed to)."""
    among = _among_for(session)
    sch, clo = m.Schedule.__table__.c, m.Closure.__table__.c
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
    rows = union_all(
        select(*slot).where(among(sch.service_id, ids), valid),
        select(*slot).where(among(sch.location_id, locs), sch.service_id.is_(None), valid),
        select(*period).where(among(clo.service_id, ids), full_day),
        select(*period).where(among(clo.location_id, locs), clo.service_id.is_(None), full_day),
    )
    location_hours: dict[str, list[Interval]] = defaultdict(list)
    location_closures: dict[str, list[Period]] = defaultdict(list)
    for sid, lid, weekday, opens, closes, closed_from, closed_to in session.execute(rows):
        service = services.get(sid) if sid is not None else None
        if sid is not None and service is None:
            continue
        if closed_from is not None:
            closure = (closed_from, closed_to or closed_from)
            (service.closures if service else location_closures[lid]).append(closure)
        elif service is not None:
            service.hours.extend(weekly_interval(weekday or 0, opens, closes))
        else:
            location_hours[lid].extend(weekly_interval(weekday or 0, opens, closes))
    for service in services.values():
        service.hours.sort()
    return dict(location_hours), dict(location_closures)


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
