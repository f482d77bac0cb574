"""Public data types of the matcher: the profiles it compares, its verdict and thresholds."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field


@dataclass
class OrgProfile:
    """What the matcher knows about an organisation (a legal entity)."""

    id: str
    name: str | None
    kbo: str | None = None
    phones: frozenset[str] = frozenset()
    emails: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()
    postcodes: frozenset[str] = frozenset()
    lat: float | None = None
    lon: float | None = None


@dataclass
class LocationProfile:
    """What the matcher knows about a site (a physical place where services are given)."""

    id: str
    organization_id: str | None = None
    org_name: str | None = None
    name: str | None = None
    street: str | None = None
    house_number: str | None = None
    box: str | None = None
    address_2: str | None = None
    postcode: str | None = None
    city: str | None = None
    lat: float | None = None
    lon: float | None = None
    phones: frozenset[str] = frozenset()


@dataclass
class ServiceProfile:
    """What the matcher knows about a service (one offer of one organisation)."""

    id: str
    organization_id: str | None = None
    name: str | None = None
    location_ids: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()
    email: str | None = None
    url: str | None = None


@dataclass
class PairScore:
    """The verdict on one pair, with the evidence that led to it.

    ``features`` holds the raw comparisons (similarities 0..1, agreement 1.0/0.0,
    ``distance_m`` in metres; ``None`` = not comparable); ``reasons`` lists the evidence
    in words, strongest first, the veto (if any) on top.
    """

    score: float
    features: dict[str, float | None]
    decision: str  # merge | review | distinct
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Thresholds:
    """Score cut-offs: ``score >= auto_merge`` merges, ``score >= review`` asks a human."""

    auto_merge: float
    review: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.review <= self.auto_merge <= 1.0:
            raise ValueError("thresholds need 0 <= review <= auto_merge <= 1")

    def decide(self, score: float) -> str:
        """Return "merge", "review" or "distinct" for a score."""
        if score >= self.auto_merge:
            return "merge"
        if score >= self.review:
            return "review"
        return "distinct"


DEFAULT_THRESHOLDS = Thresholds(auto_merge=0.95, review=0.5)
