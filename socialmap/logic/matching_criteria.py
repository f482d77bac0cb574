"""Judging one candidate service per criterion: the explanation, the failures and the score.

The recipe is documented in :mod:`socialmap.logic.matching`; the numbers live here.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from search.hours import local_time
from search.query import Hit
from search.query import Place
from socialmap import taxonomy
from socialmap.logic.matching_facts import Facts
from socialmap.logic.matching_facts import ServiceFacts
from socialmap.logic.matching_facts import opening

COVERAGE_SCORE = {"exact": 1.0, "narrower": 0.9, "broader": 0.6, "none": 0.0}
CAPACITY_SCORE = {"available": 1.0, "unknown": 0.6, "full": 0.0}
WAITLIST_SCORE = 0.8  # a waiting list with no wait; halves at WAITLIST_HALF_WEEKS
WAITLIST_HALF_WEEKS = 4.0
WAITLIST_UNKNOWN_WEEKS_SCORE = 0.4
FRESHNESS_HALF_LIFE_MONTHS = 12.0
AREA_WITHOUT_DISTANCE_SCORE = 0.5
OPEN_TO_EVERYONE_SCORE = 0.8
SOFT_FILTER_WEIGHT = 0.1
DAYS_PER_MONTH = 365.25 / 12
EVERYONE = "everyone"
AREA_WORDS = {
    "municipality": "your municipality",
    "postcode": "your postcode",
    "province": "your province",
    "region": "your region",
    "country": "all of Belgium",
}


@dataclass(frozen=True)
class Rules:
    """The request as the criteria need it, plus the configured hard filters and weights."""

    needs: tuple[str, ...]
    place: Place
    radius_km: float
    age: float | None
    target_groups: tuple[str, ...]
    language: str | None
    hard: frozenset[str]
    weights: dict[str, float]
    now: dt.datetime

    @functools.cached_property
    def area_codes(self) -> frozenset[str]:
        return frozenset(self.place.area_codes())


@dataclass
class Assessment:
    """One candidate judged: its explanation, failed criteria and score components."""

    hit: Hit
    service: ServiceFacts
    explanation: dict[str, Any]
    failures: list[dict[str, str]]
    components: dict[str, float]
    weights: dict[str, float]
    hard: frozenset[str]
    score: float = 0.0
    score_parts: dict[str, float] = field(default_factory=dict)

    @property
    def hard_failures(self) -> list[dict[str, str]]:
        return [f for f in self.failures if f["criterion"] in self.hard]

    @property
    def excluded(self) -> bool:
        return bool(self.hard_failures)

    def rank(self) -> tuple[float, float, str]:
        return (-self.score, self.nearness()[0], self.service.id)

    def nearness(self) -> tuple[float, str]:
        distance = self.hit.distance_km
        return (float("inf") if distance is None else distance, self.service.id)

    def _head(self) -> dict[str, Any]:
        s = self.service
        return {
            "service_id": s.id,
            "location_id": self.hit.location_id,
            "name": s.name,
            "organization": {"id": s.organization_id, "name": s.organization_name},
            "distance_km": self.hit.distance_km,
        }

    def as_match(self) -> dict[str, Any]:
        return {
            **self._head(),
            "score": self.score,
            "score_parts": self.score_parts,
            "explanation": self.explanation,
        }

    def as_excluded(self) -> dict[str, Any]:
        return {**self._head(), "reasons": self.hard_failures}


def need_coverage(need: str, tagged: Iterable[str]) -> tuple[str, str | None]:
    """How a service tagged with ``tagged`` covers ``need``: (exact|narrower|broader|none, via).

    Exact beats narrower (first in taxonomy order) beats broader (nearest first)."""
    terms = _coverage_terms(need)
    found = [terms[tag] for tag in tagged if tag in terms]
    if not found:
        return "none", None
    _, kind, via = min(found)
    return kind, via


@functools.lru_cache(maxsize=512)
def _coverage_terms(need: str) -> dict[str, tuple[int, str, str]]:
    """Every term that covers ``need`` -> (preference, coverage kind, term)."""
    tax = taxonomy.needs()
    out = {need: (0, "exact", need)}
    for i, code in enumerate(tax.descendants(need)[1:], start=1):
        out[code] = (i, "narrower", code)
    for i, code in enumerate(tax.ancestors(need), start=len(out)):
        out[code] = (i, "broader", code)
    return out


def assess(hit: Hit, service: ServiceFacts, facts: Facts, rules: Rules) -> Assessment:
    """Explain every criterion for one candidate at its site, note failures, score it."""
    failures: list[dict[str, str]] = []
    components: dict[str, float] = {}

    def fail(criterion: str, message: str) -> None:
        failures.append({"criterion": criterion, "message": message})

    needs = [_need(code, service) for code in rules.needs]
    components["needs"] = sum(COVERAGE_SCORE[n["coverage"]] for n in needs) / len(needs)
    place, components["distance"] = _place(hit, service, rules)
    if not place["ok"]:
        fail("service_area", f"Outside the service area ({', '.join(service.areas)}).")
    age = _age(service, rules.age)
    if age["ok"] is False:
        fail("age", f"Age {rules.age:g} is outside the service's range ({age['range']}).")
    groups, groups_score = _groups(service, rules.target_groups)
    if groups["ok"] is False:
        fail("target_group", "Not for the person's target groups.")
    if groups_score is not None:
        components["target_groups"] = groups_score
    offered = facts.languages(service, hit.location_id)
    language = {"requested": rules.language, "offered": offered, "ok": None}
    if rules.language:
        language["ok"] = rules.language in offered
        components["language"] = 1.0 if language["ok"] else 0.0
        if not language["ok"]:
            fail("language", f"Not offered in {rules.language} (offered: {', '.join(offered)}).")
    capacity = {
        "status": service.capacity,
        "waiting_weeks": service.waiting_weeks,
        "updated_at": _iso(service.capacity_updated_at),
        "ok": service.capacity != "full",
    }
    components["capacity"] = _capacity_score(service.capacity, service.waiting_weeks)
    if service.capacity == "full":
        fail("capacity_full", "Full: takes no one new at the moment.")
    referable = {
        "ok": service.referable,
        "decided_by": "intake" if service.referable_decision is None else "steward",
    }
    if not service.referable:
        by_steward = service.referable_decision is not None
        fail(
            "referable",
            "A steward marked it as not referable through socialmap."
            if by_steward
            else "Does not accept referrals through socialmap.",
        )
    active = service.status == "active"
    if not active:
        fail("inactive", f"The listing is not active ({service.status}).")
    verified, components["freshness"] = _verified(service.assured_date, rules.now)
    open_now, next_opening = opening(
        facts.hours(service, hit.location_id), facts.closures(service, hit.location_id), rules.now
    )
    # Soft versions of the criteria that have no component of their own.
    if rules.age is not None and "age" not in rules.hard:
        components["age"] = 0.0 if age["ok"] is False else 1.0
    if "referable" not in rules.hard:
        components["referable"] = 1.0 if service.referable else 0.0
    if "inactive" not in rules.hard:
        components["active"] = 1.0 if active else 0.0
    explanation = {
        "needs": needs,
        "place": place,
        "eligibility": {
            "age": age,
            "target_groups": groups,
            "ok": _all_ok(age["ok"], groups["ok"]),
        },
        "language": language,
        "hours": {
            "known": open_now is not None,
            "open_now": open_now,
            "next_opening": _iso(next_opening),
        },
        "capacity": capacity,
        "referable": referable,
        "verified": verified,
        "status": {"status": service.status, "ok": active},
    }
    out = Assessment(hit, service, explanation, failures, components, rules.weights, rules.hard)
    out.score, out.score_parts = _score(components, rules.weights)
    return out


def _all_ok(*oks: bool | None) -> bool | None:
    """None when nothing was asked, else whether nothing asked failed."""
    if all(ok is None for ok in oks):
        return None
    return all(ok is not False for ok in oks)


def _score(
    components: dict[str, float], weights: dict[str, float]
) -> tuple[float, dict[str, float]]:
    used = {name: weights.get(name, SOFT_FILTER_WEIGHT) for name in sorted(components)}
    total = sum(used.values())
    if total <= 0:
        return 0.0, dict.fromkeys(used, 0.0)
    parts = {name: used[name] * components[name] / total for name in used}
    return round(sum(parts.values()), 4), {k: round(v, 4) for k, v in parts.items()}


def _need(code: str, service: ServiceFacts) -> dict[str, Any]:
    coverage, via = need_coverage(code, service.needs)
    tax = taxonomy.needs()
    via_label = tax.label(via, "nl") if via else None
    message = {
        "exact": "Covered exactly.",
        "narrower": f"Covered via the narrower term {via_label!r}.",
        "broader": f"Covered via the broader term {via_label!r}.",
        "none": "Not covered.",
    }[coverage]
    return {
        "need": code,
        "label": tax.label(code, "nl"),
        "coverage": coverage,
        "via": via,
        "via_label": via_label,
        "message": message,
    }


def _place(hit: Hit, service: ServiceFacts, rules: Rules) -> tuple[dict[str, Any], float]:
    place, distance, radius = rules.place, hit.distance_km, rules.radius_km
    covering = [a for a in service.areas if a in rules.area_codes]
    if not service.areas:
        area = "none"
    else:
        area = "covers" if covering else "outside"
    words = []
    if distance is not None:
        words.append(f"{distance:.1f} km away")
    if covering:
        # The most local area that covers the place says the most.
        kinds = [a.split(":", 1)[0] for a in covering]
        kind = min(kinds, key=list(AREA_WORDS).index)
        words.append(f"serves {AREA_WORDS.get(kind, kind)}")
    elif area == "outside":
        words.append("outside its service area")
    if distance is not None:
        score = 0.5 ** (distance / max(radius / 2, 0.1))
    elif covering or (place.municipality and hit.municipality == place.municipality):
        score = AREA_WITHOUT_DISTANCE_SCORE
    else:
        score = 0.0
    if area == "outside":
        score = 0.0
    explained = {
        "distance_km": distance,
        "radius_km": radius,
        "within_radius": None if distance is None else distance <= radius,
        "service_area": area,
        "areas": list(service.areas),
        "ok": area != "outside",
        "message": "; ".join(words) or "distance unknown",
    }
    return explained, score


def _age(service: ServiceFacts, age: float | None) -> dict[str, Any]:
    low, high = service.minimum_age, service.maximum_age
    if low is not None and high is not None:
        span = f"{low:g}-{high:g}"
    elif low is not None:
        span = f"from {low:g}"
    elif high is not None:
        span = f"up to {high:g}"
    else:
        span = "any age"
    ok = None
    if age is not None:
        ok = not ((low is not None and age < low) or (high is not None and age > high))
    return {"requested": age, "minimum": low, "maximum": high, "range": span, "ok": ok}


def _groups(service: ServiceFacts, wanted: tuple[str, ...]) -> tuple[dict[str, Any], float | None]:
    served = sorted(service.target_groups)
    explained: dict[str, Any] = {"requested": list(wanted), "served": served, "overlap": []}
    if not wanted:
        return {**explained, "ok": None}, None
    if not served or EVERYONE in served:
        return {**explained, "ok": True, "open_to_everyone": True}, OPEN_TO_EVERYONE_SCORE
    overlap = [g for g in wanted if g in service.target_groups]
    explained.update(overlap=overlap, ok=bool(overlap), open_to_everyone=False)
    return explained, len(overlap) / len(wanted)


def _capacity_score(status: str, weeks: float | None) -> float:
    if status == "waitlist":
        if weeks is None:
            return WAITLIST_UNKNOWN_WEEKS_SCORE
        return WAITLIST_SCORE / (1 + max(0.0, weeks) / WAITLIST_HALF_WEEKS)
    return CAPACITY_SCORE.get(status, CAPACITY_SCORE["unknown"])


def _verified(assured: dt.date | None, now: dt.datetime) -> tuple[dict[str, Any], float]:
    if assured is None:
        return {"assured_date": None, "months_ago": None, "message": "Never verified."}, 0.0
    months = max(0.0, (local_time(now).date() - assured).days / DAYS_PER_MONTH)
    explained = {
        "assured_date": assured.isoformat(),
        "months_ago": round(months, 1),
        "message": f"Last verified {months:.0f} month(s) ago.",
    }
    return explained, 0.5 ** (months / FRESHNESS_HALF_LIFE_MONTHS)


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
