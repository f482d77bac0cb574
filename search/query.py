"""The search query model and its results, shared by every backend.

A :class:`Query` is already resolved: the place is a point and/or a municipality (the app
resolves postcodes, names and addresses through the gazetteer), needs are taxonomy codes
expanded to their descendants, and free text has been split into need phrases and plain
terms by :mod:`search.needs`. Backends only filter, score, count and page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from dataclasses import field
from typing import Literal

Sort = Literal["relevance", "distance"]
#: ``not_full`` (the default) hides full services; ``available`` keeps only services with
#: room now; ``any`` keeps everything.
CapacityFilter = Literal["not_full", "available", "any"]
MatchKind = Literal["distance", "service_area"]

CAPACITY_FILTERS: tuple[str, ...] = ("not_full", "available", "any")
FACETS: tuple[str, ...] = (
    "needs",
    "target_groups",
    "languages",
    "municipality",
    "capacity",
    "cost",
)
MAX_RADIUS_KM = 300.0
DEFAULT_RADIUS_KM = 15.0
MAX_PER_PAGE = 100

# Weights of the parts of a hit's relevance score (both backends use the same recipe).
NEED_WEIGHT = 3.0
DISTANCE_WEIGHT = 1.0
DISTANCE_SCALE_KM = 10.0
FRESHNESS_WEIGHT = 0.3
FRESHNESS_SCALE_DAYS = 365.0


@dataclass(frozen=True)
class Place:
    """Where the person lives: a point, the municipality (NIS) and its wider areas."""

    lat: float | None = None
    lon: float | None = None
    municipality: str | None = None  # 2025 NIS code
    province: str | None = None  # VAN, VWV, ..., BRU
    region: str | None = None  # VLG | BRU | WAL
    postcode: str | None = None
    label: str | None = None  # how the place was understood, for display

    @property
    def point(self) -> tuple[float, float] | None:
        if self.lat is None or self.lon is None:
            return None
        return (self.lat, self.lon)

    def area_codes(self) -> list[str]:
        """Service-area codes that cover this place (see :func:`area_code`)."""
        codes = ["country:BE"]
        if self.municipality:
            codes.append(area_code("municipality", self.municipality))
        if self.postcode:
            codes.append(area_code("postcode", self.postcode))
        if self.province:
            codes.append(area_code("province", self.province))
        if self.region:
            codes.append(area_code("region", self.region))
        return codes


def area_code(kind: str, code: str) -> str:
    """One string per service area, e.g. ``municipality:35013``, ``province:VWV``."""
    return f"{kind}:{code}"


@dataclass(frozen=True)
class Query:
    """What the searcher asks; see the module docstring for what is already resolved.

    Text semantics: a document matches the free text when its text contains every word
    (stemmed, typo-tolerant), or when it is tagged with one of ``text_needs`` and its text
    contains every ``residual_terms`` word.
    """

    terms: tuple[str, ...] = ()  # folded words of the free text
    text_needs: tuple[str, ...] = ()  # need codes recognised in it (with descendants)
    residual_terms: tuple[str, ...] = ()  # words not part of a recognised need phrase
    needs: tuple[str, ...] = ()  # need codes required (expanded to descendants)
    place: Place | None = None
    radius_km: float | None = None
    target_groups: tuple[str, ...] = ()
    age: float | None = None
    language: str | None = None
    free: bool | None = None
    open_at: dt.datetime | None = None  # aware datetime; the backend converts to Brussels
    capacity: CapacityFilter = "not_full"
    accepts_referrals: bool | None = None
    organization_id: str | None = None
    sort: Sort = "relevance"
    page: int = 1
    per_page: int = 20
    corrections: dict[str, str] = field(default_factory=dict)  # typo -> indexed word
    facets: bool = True
    now: dt.datetime | None = None  # for freshness; defaults to the current time

    @property
    def has_text(self) -> bool:
        return bool(self.terms or self.text_needs)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


@dataclass
class Hit:
    """One service at one location (or a service without location)."""

    id: str
    service_id: str
    location_id: str | None
    organization_id: str
    name: str
    organization_name: str
    score: float
    distance_km: float | None = None
    match: MatchKind | None = None
    matched_needs: list[str] = field(default_factory=list)
    matched_terms: list[str] = field(default_factory=list)
    highlights: dict[str, str] = field(default_factory=dict)
    municipality: str | None = None
    capacity: str = "unknown"
    free: bool | None = None
    lat: float | None = None
    lon: float | None = None


@dataclass
class Results:
    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    page: int = 1
    per_page: int = 20
    corrections: dict[str, str] = field(default_factory=dict)  # typo -> indexed word
