"""What a backend indexes: one flat document per service at a location.

The app builds these from the database (``socialmap.logic.search_index``); the benchmark
builds them from a generator. Nothing here knows about SQLAlchemy.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from dataclasses import field

TEXT_LANGUAGES: tuple[str, ...] = ("nl", "fr", "en")


@dataclass
class IndexDocument:
    """A searchable service-at-location.

    ``texts`` maps a language to ``{"name": ..., "body": ...}``; ``areas`` are
    :func:`search.query.area_code` strings; ``hours`` are weekly opening intervals in
    minutes since Monday 00:00 Europe/Brussels (end exclusive); ``closures`` are inclusive
    date ranges. A confidential location has no coordinates here: its position never
    enters the index.
    """

    id: str
    service_id: str
    location_id: str | None
    organization_id: str
    name: str
    organization_name: str
    texts: dict[str, dict[str, str]] = field(default_factory=dict)
    lat: float | None = None
    lon: float | None = None
    municipality: str | None = None
    areas: list[str] = field(default_factory=list)
    needs: list[str] = field(default_factory=list)
    target_groups: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    age_min: float | None = None
    age_max: float | None = None
    free: bool | None = None
    capacity: str = "unknown"
    accepts_referrals: bool = False
    updated: dt.datetime | None = None
    hours: list[tuple[int, int]] = field(default_factory=list)
    closures: list[tuple[dt.date, dt.date]] = field(default_factory=list)


def document_id(service_id: str, location_id: str | None) -> str:
    """The index id of a service at a location (``-`` for a service without one)."""
    return f"{service_id}:{location_id or '-'}"


def cost_bucket(free: bool | None) -> str:
    """The facet value of a document's cost."""
    return "unknown" if free is None else ("free" if free else "paid")
