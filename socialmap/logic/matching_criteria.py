"""Judging one candidate service per criterion: the failures and the score, then the
explanation of the few that are shown.

The recipe is documented in :mod:`socialmap.logic.matching`; the numbers live here. Judging
(:func:`assess`) runs for every candidate, so it computes only what ranks and excludes;
labels, messages and opening hours are worded by :meth:`Assessment.as_match` for the
matches actually returned.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from search.hours import local_time
from search.query import Hit
from search.query import Place
from socialmap import taxonomy
from socialmap.logic.matching_facts import Facts
from socialmap.logic.matching_facts import Hours
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
COVERAGE_MESSAGES = {
    "exact": "Covered exactly.",
    "narrower": "Covered via the narrower term {!r}.",
    "broader": "Covered via the broader term {!r}.",
    "none": "Not covered.",
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

    @functools.cached_property
    def today(self) -> dt.date:
        """The date in Brussels at ``now``."""
        return local_time(self.now).date()


@dataclass(slots=True)
class Assessment:
    """One candidate judged: the hard criteria it fails, its score and score components."""

    hit: Hit
    service: ServiceFacts
    facts: Facts
    rules: Rules
    hard_failures: list[dict[str, str]]
    components: dict[str, float]
    score: float

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

    def as_match(self, hours: Hours) -> dict[str, Any]:
        """The match with its score parts and its explanation per criterion."""
        return {
            **self._head(),
            "score": self.score,
            "score_parts": _score_parts(self.components, self.rules.weights),
            "explanation": _explain(self, hours),
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
    """Judge every criterion for one candidate at its site: note failures, score it."""
    failures: list[dict[str, str]] = []
    components: dict[str, float] = {}

    def fail(criterion: str, message: str) -> None:
        failures.append({"criterion": criterion, "message": message})

    components["needs"] = sum(
        COVERAGE_SCORE[need_coverage(code, service.needs)[0]] for code in rules.needs
    ) / len(rules.needs)
    area, components["distance"] = _area_and_distance(hit, service, rules)
    if area == "outside":
        fail("service_area", f"Outside the service area ({', '.join(service.areas)}).")
    age_ok = _age_ok(service, rules.age)
    if age_ok is False:
        fail("age", f"Age {rules.age:g} is outside the service's range ({_age_range(service)}).")
    groups_ok, groups_score = _groups_fit(service, rules.target_groups)
    if groups_ok is False:
        fail("target_group", "Not for the person's target groups.")
    if groups_score is not None:
        components["target_groups"] = groups_score
    if rules.language:
        offered = facts.offered(service, hit.location_id)
        language_ok = rules.language in offered
        components["language"] = 1.0 if language_ok else 0.0
        if not language_ok:
            listed = ", ".join(sorted(offered))
            fail("language", f"Not offered in {rules.language} (offered: {listed}).")
    components["capacity"] = _capacity_score(service.capacity, service.waiting_weeks)
    if service.capacity == "full":
        fail("capacity_full", "Full: takes no one new at the moment.")
    if not service.referable:
        fail(
            "referable",
            "A steward marked it as not referable through socialmap."
            if service.referable_decision is not None
            else "Does not accept referrals through socialmap.",
        )
    active = service.status == "active"
    if not active:
        fail("inactive", f"The listing is not active ({service.status}).")
    months = _months_ago(service.assured_date, rules.today)
    freshness = 0.0 if months is None else 0.5 ** (months / FRESHNESS_HALF_LIFE_MONTHS)
    components["freshness"] = freshness
    # Soft versions of the criteria that have no component of their own.
    if rules.age is not None and "age" not in rules.hard:
        components["age"] = 0.0 if age_ok is False else 1.0
    if "referable" not in rules.hard:
        components["referable"] = 1.0 if service.referable else 0.0
    if "inactive" not in rules.hard:
        components["active"] = 1.0 if active else 0.0
    hard_failures = [f for f in failures if f["criterion"] in rules.hard]
    score = _score(components, rules.weights)
    return Assessment(hit, service, facts, rules, hard_failures, components, score)


def _explain(assessed: Assessment, hours: Hours) -> dict[str, Any]:
    """Every criterion in words, for one judged candidate."""
    hit, service, rules = assessed.hit, assessed.service, assessed.rules
    low, high = service.minimum_age, service.maximum_age
    age_ok = _age_ok(service, rules.age)
    age = {"requested": rules.age, "minimum": low, "maximum": high, "range": _age_range(service)}
    groups = _groups(service, rules.target_groups)
    offered = assessed.facts.languages(service, hit.location_id)
    language = {"requested": rules.language, "offered": offered, "ok": None}
    if rules.language:
        language["ok"] = rules.language in offered
    open_now, next_opening = opening(
        hours.hours(service.id, hit.location_id),
        hours.closures(service.id, hit.location_id),
        rules.now,
    )
    active = service.status == "active"
    return {
        "needs": [_need(code, service) for code in rules.needs],
        "place": _place(hit, service, rules),
        "eligibility": {
            "age": {**age, "ok": age_ok},
            "target_groups": groups,
            "ok": _all_ok(age_ok, groups["ok"]),
        },
        "language": language,
        "hours": {
            "known": open_now is not None,
            "open_now": open_now,
            "next_opening": _iso(next_opening),
        },
        "capacity": {
            "status": service.capacity,
            "waiting_weeks": service.waiting_weeks,
            "updated_at": _iso(service.capacity_updated_at),
            "ok": service.capacity != "full",
        },
        "referable": {
            "ok": service.referable,
            "decided_by": "intake" if service.referable_decision is None else "steward",
        },
        "verified": _verified(service.assured_date, rules.today),
        "status": {"status": service.status, "ok": active},
    }


def _all_ok(*oks: bool | None) -> bool | None:
    """None when nothing was asked, else whether nothing asked failed."""
    if all(ok is None for ok in oks):
        return None
    return all(ok is not False for ok in oks)


def _score(components: dict[str, float], weights: dict[str, float]) -> float:
    """The weighted mean of the components, rounded; the sum of :func:`_score_parts`."""
    names = sorted(components)
    used = [weights.get(name, SOFT_FILTER_WEIGHT) for name in names]
    total = sum(used)
    if total <= 0:
        return 0.0
    return round(sum(w * components[n] / total for w, n in zip(used, names, strict=True)), 4)


def _score_parts(components: dict[str, float], weights: dict[str, float]) -> dict[str, float]:
    used = {name: weights.get(name, SOFT_FILTER_WEIGHT) for name in sorted(components)}
    total = sum(used.values())
    if total <= 0:
        return dict.fromkeys(used, 0.0)
    return {name: round(used[name] * components[name] / total, 4) for name in used}


def _need(code: str, service: ServiceFacts) -> dict[str, Any]:
    coverage, via = need_coverage(code, service.needs)
    tax = taxonomy.needs()
    via_label = tax.label(via, "nl") if via else None
    return {
        "need": code,
        "label": tax.label(code, "nl"),
        "coverage": coverage,
        "via": via,
        "via_label": via_label,
        "message": COVERAGE_MESSAGES[coverage].format(via_label),
    }


def _area_and_distance(hit: Hit, service: ServiceFacts, rules: Rules) -> tuple[str, float]:
    """(none|covers|outside, the distance component)."""
    covering = [a for a in service.areas if a in rules.area_codes]
    if not service.areas:
        area = "none"
    else:
        area = "covers" if covering else "outside"
    distance = hit.distance_km
    if area == "outside":
        score = 0.0
    elif distance is not None:
        score = 0.5 ** (distance / max(rules.radius_km / 2, 0.1))
    elif covering or (rules.place.municipality and hit.municipality == rules.place.municipality):
        score = AREA_WITHOUT_DISTANCE_SCORE
    else:
        score = 0.0
    return area, score


def _place(hit: Hit, service: ServiceFacts, rules: Rules) -> dict[str, Any]:
    distance, radius = hit.distance_km, rules.radius_km
    area, _ = _area_and_distance(hit, service, rules)
    covering = [a for a in service.areas if a in rules.area_codes]
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
    return {
        "distance_km": distance,
        "radius_km": radius,
        "within_radius": None if distance is None else distance <= radius,
        "service_area": area,
        "areas": list(service.areas),
        "ok": area != "outside",
        "message": "; ".join(words) or "distance unknown",
    }


def _age_ok(service: ServiceFacts, age: float | None) -> bool | None:
    if age is None:
        return None
    low, high = service.minimum_age, service.maximum_age
    return not ((low is not None and age < low) or (high is not None and age > high))


def _age_range(service: ServiceFacts) -> str:
    low, high = service.minimum_age, service.maximum_age
    if low is not None and high is not None:
        return f"{low:g}-{high:g}"
    if low is not None:
        return f"from {low:g}"
    if high is not None:
        return f"up to {high:g}"
    return "any age"


def _groups_fit(service: ServiceFacts, wanted: tuple[str, ...]) -> tuple[bool | None, float | None]:
    """(fits, the target_groups component): (None, None) when no groups were asked."""
    if not wanted:
        return None, None
    if not service.target_groups or EVERYONE in service.target_groups:
        return True, OPEN_TO_EVERYONE_SCORE
    overlap = sum(1 for g in wanted if g in service.target_groups)
    return bool(overlap), overlap / len(wanted)


def _groups(service: ServiceFacts, wanted: tuple[str, ...]) -> dict[str, Any]:
    served = sorted(service.target_groups)
    explained: dict[str, Any] = {"requested": list(wanted), "served": served, "overlap": []}
    if not wanted:
        return {**explained, "ok": None}
    if not served or EVERYONE in served:
        return {**explained, "ok": True, "open_to_everyone": True}
    overlap = [g for g in wanted if g in service.target_groups]
    explained.update(overlap=overlap, ok=bool(overlap), open_to_everyone=False)
    return explained


def _capacity_score(status: str, weeks: float | None) -> float:
    if status == "waitlist":
        if weeks is None:
            return WAITLIST_UNKNOWN_WEEKS_SCORE
        return WAITLIST_SCORE / (1 + max(0.0, weeks) / WAITLIST_HALF_WEEKS)
    return CAPACITY_SCORE.get(status, CAPACITY_SCORE["unknown"])


def _months_ago(assured: dt.date | None, today: dt.date) -> float | None:
    if assured is None:
        return None
    return max(0.0, (today - assured).days / DAYS_PER_MONTH)


def _verified(assured: dt.date | None, today: dt.date) -> dict[str, Any]:
    months = _months_ago(assured, today)
    if months is None:
        return {"assured_date": None, "months_ago": None, "message": "Never verified."}
    return {
        "assured_date": _iso(assured),
        "months_ago": round(months, 1),
        "message": f"Last verified {months:.0f} month(s) ago.",
    }


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
