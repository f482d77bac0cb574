"""Explainable matching of a referral request to services, and a capacity pre-check.

Candidates come from the search index, never from scanning the database, in (at most)
three queries with every capacity status: the requested needs with their narrower terms
around the place (the main page); their broader terms around the place (a service tagged
with a broader term covers the need "via a broader term"; a smaller page, so such services
never crowd out exact ones); and all of those codes around the bare point, nearest first,
which also returns nearby services whose service area leaves the person out, so they can
be reported. The candidates (one per service: its nearest site) are then read from the
database in two grouped queries (:mod:`socialmap.logic.matching_facts`) and judged per
criterion (:mod:`socialmap.logic.matching_criteria`); only the matches returned are
explained in words, with their opening hours read in one more query. When the main page
was cut off and too few candidates passed, the index is asked again with the hard filters
it can apply itself. The cost is bounded by the page sizes, not by the size of the directory.

Hard filters (config ``MATCH_HARD_FILTERS``) exclude a service; the excluded services are
listed with their reasons. Criteria: ``service_area``, ``age``, ``capacity_full``,
``inactive``, ``referable``, ``language``, ``target_group``. A criterion that is not a
hard filter only lowers the score.

Score recipe (reproducible: same request, data and ``now`` give the same score)::

    score = sum(weight_i * component_i) / sum(weight_i)       each component in 0..1

over the components that apply (weights: config ``MATCH_WEIGHTS``):

* needs: per requested need, covered exactly 1.0, via a narrower term 0.9, via a broader
  term 0.6, not covered 0; averaged over the requested needs;
* distance: 0.5 ** (km / (radius / 2)) (so 1 at the door, 0.25 at the radius); a site
  without coordinates whose area covers the place 0.5; 0 outside the service area;
* capacity: available 1, unknown 0.6, waitlist 0.8 / (1 + weeks / 4) (0.4 when the weeks
  are unknown), full 0; its weight is doubled when the urgency is ``urgent`` or ``asap``;
* freshness: 0.5 ** (months since the listing was last verified (assured_date) / 12);
  never verified 0;
* language (only when asked): offered 1, else 0;
* target_groups (only when asked): share of the person's groups the service is for; a
  service for everyone 0.8;
* age, referable, active (only when that criterion is not a hard filter, and for age only
  when an age is given): 1 when met, else 0; weight ``MATCH_WEIGHTS`` entry or 0.1.

``score_parts`` holds weight_i * component_i / sum(weight_i) per component: the parts add up
to the score. Ties are broken by distance (unknown last), then by service id.

The request's ``note`` is accepted but not used for scoring, never logged, never stored and
never echoed back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import replace
from typing import Any

from flask import current_app
from marshmallow import ValidationError

from search.backend import SearchBackend
from search.query import DEFAULT_RADIUS_KM
from search.query import Hit
from search.query import Place
from search.query import Query
from socialmap import models as m
from socialmap import taxonomy
from socialmap.errors import NotFound
from socialmap.extensions import db
from socialmap.logic.matching_criteria import Assessment
from socialmap.logic.matching_criteria import Rules
from socialmap.logic.matching_criteria import assess
from socialmap.logic.matching_criteria import need_coverage
from socialmap.logic.matching_facts import load_facts
from socialmap.logic.matching_facts import load_hours
from socialmap.logic.search import SearchArgumentError
from socialmap.logic.search import resolve_place
from socialmap.logic.search_index import get_backend
from socialmap.schemas.matching import MatchRequestSchema

#: Candidates asked from the index: exact and narrower terms (at least CANDIDATES_PER_MATCH
#: per requested match), broader terms, and nearby whatever the service area says.
CANDIDATES = 100
CANDIDATES_PER_MATCH = 5
BROADER_CANDIDATES = 25
NEARBY_CANDIDATES = 30
#: Extra pages asked when the first was cut off and too few candidates passed.
TOP_UP_PAGES = 2
#: At most this many excluded services are listed (the counts cover all of them).
EXCLUDED_LIMIT = 50
#: Services listed by the capacity pre-check around a place.
CAPACITY_CHECK_SIZE = 50
#: The radius a way of getting around implies (km); without either, DEFAULT_RADIUS_KM.
RADIUS_BY_MOBILITY = {"walk": 2.0, "bike": 7.5, "public_transport": 20.0, "car": 40.0}
CRITERIA = (
    "service_area",
    "age",
    "capacity_full",
    "inactive",
    "referable",
    "language",
    "target_group",
)
URGENT_CAPACITY_FACTOR = 2.0
#: Built once: a schema instance keeps no state between loads.
_REQUEST_SCHEMA = MatchRequestSchema()


@dataclass
class MatchResult:
    """Matches (best first), excluded nearby services with reasons, and how it was asked."""

    query: dict[str, Any]
    matches: list[dict[str, Any]]
    excluded: list[dict[str, Any]]
    counts: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "matches": self.matches,
            "excluded": self.excluded,
            "counts": self.counts,
        }


def need_codes(needs: list[str]) -> tuple[str, ...]:
    """The requested needs, each followed by its narrower and then its broader terms."""
    tax = taxonomy.needs()
    codes = [c for need in needs for c in tax.descendants(need) + tax.ancestors(need)]
    return tuple(dict.fromkeys(codes))


def match_services(
    request: Mapping[str, Any],
    *,
    now: dt.datetime | None = None,
    backend: SearchBackend | None = None,
) -> MatchResult:
    """Services for a referral request, each explained per criterion, plus the excluded ones.

    :raise ValidationError: a field is invalid (unknown need, unknown place, ...).
    """
    args = _REQUEST_SCHEMA.load(request)
    place = _place(args.get("place"), args.get("lat"), args.get("lon"))
    now = now or dt.datetime.now(dt.UTC)
    radius = args.get("max_distance_km") or RADIUS_BY_MOBILITY.get(
        args.get("mobility") or "", DEFAULT_RADIUS_KM
    )
    rules = _rules(args, place, radius, now)
    backend = backend or get_backend()
    tax = taxonomy.needs()
    direct = tuple(dict.fromkeys(c for need in args["needs"] for c in tax.descendants(need)))
    broader = tuple(
        dict.fromkeys(a for need in args["needs"] for a in tax.ancestors(need) if a not in direct)
    )
    query = Query(
        needs=direct,
        place=place,
        radius_km=radius,
        capacity="any",
        per_page=max(CANDIDATES, CANDIDATES_PER_MATCH * args["limit"]),
        facets=False,
        now=now,
    )
    first = backend.search(query)
    hits = list(first.hits)
    if broader:
        hits += backend.search(replace(query, needs=broader, per_page=BROADER_CANDIDATES)).hits
    if place.point is not None:
        point = Place(lat=place.lat, lon=place.lon)
        nearby = replace(
            query, needs=direct + broader, place=point, sort="distance", per_page=NEARBY_CANDIDATES
        )
        hits += backend.search(nearby).hits
    assessed = _assess_hits(_nearest_site(hits), rules)
    if first.total > len(first.hits) and _passing(assessed) < args["limit"]:
        assessed += _top_up(backend, query, rules, args["limit"], assessed)
    matches = sorted((a for a in assessed if not a.excluded), key=Assessment.rank)
    excluded = sorted((a for a in assessed if a.excluded), key=Assessment.nearness)
    counts = {"candidates": len(assessed), "matches": len(matches), "excluded": len(excluded)}
    for criterion in CRITERIA:
        counts[f"excluded_{criterion}"] = 0
    for a in excluded:
        for criterion in {r["criterion"] for r in a.hard_failures}:
            counts[f"excluded_{criterion}"] += 1
    shown = matches[: args["limit"]]
    # Opening hours only for the matches shown: a small query after ranking, or none.
    hours = load_hours(db.session, [(a.service.id, a.hit.location_id) for a in shown], rules.today)
    return MatchResult(
        query=_understood(args, place, radius, rules),
        matches=[a.as_match(hours) for a in shown],
        excluded=[a.as_excluded() for a in excluded[:EXCLUDED_LIMIT]],
        counts=counts,
    )


def capacity_check(
    need: str,
    place: str | None = None,
    service_id: str | None = None,
    *,
    now: dt.datetime | None = None,
    backend: SearchBackend | None = None,
) -> dict[str, Any]:
    """Can these services take a referral for ``need``? Capacity, waiting time and whether
    they accept referrals, for one service or the services for the need around a place.
    Nothing about people: no names, no notes, not who updated the capacity.

    :raise ValidationError: unknown need or place, neither place nor service given.
    :raise NotFound: unknown service.
    """
    errors: dict[str, list[str]] = {}
    if need not in taxonomy.needs():
        errors["need"] = [f"unknown need code: {need}"]
    if not (place or service_id):
        errors["place"] = ["give a place or a service_id"]
    resolved = None
    if place and not service_id:
        try:
            resolved = _place(place, None, None)
        except ValidationError as exc:
            errors.update(exc.messages_dict)
    if errors:
        raise ValidationError(errors)
    now = now or dt.datetime.now(dt.UTC)
    if service_id:
        if db.session.get(m.Service, service_id) is None:
            raise NotFound(f"Service {service_id!r} not found.")
        sites: dict[str, tuple[str | None, float | None]] = {service_id: (None, None)}
    else:
        query = Query(
            needs=need_codes([need]),
            place=resolved,
            capacity="any",
            per_page=CAPACITY_CHECK_SIZE,
            facets=False,
            now=now,
        )
        hits = _nearest_site((backend or get_backend()).search(query).hits)
        sites = {h.service_id: (h.location_id, h.distance_km) for h in hits}
    facts = load_facts(db.session, sites, [lid for lid, _ in sites.values() if lid])
    entries = []
    for sid, (location_id, distance) in sites.items():
        service = facts.services.get(sid)
        if service is None:  # removed since it was indexed
            continue
        updated = service.capacity_updated_at
        entries.append(
            {
                "service_id": sid,
                "location_id": location_id,
                "name": service.name,
                "organization": {"id": service.organization_id, "name": service.organization_name},
                "distance_km": distance,
                "need_coverage": need_coverage(need, service.needs)[0],
                "status": service.status,
                "capacity": service.capacity,
                "waiting_weeks": service.waiting_weeks,
                "capacity_updated_at": updated.isoformat() if updated else None,
                "accepts_referrals": service.referable,
            }
        )
    entries.sort(key=lambda e: (_km(e["distance_km"]), e["service_id"]))
    label = resolved.label if resolved else None
    return {"need": need, "place": label, "services": entries}


# ---------------------------------------------------------------- helpers


def _place(text: str | None, lat: float | None, lon: float | None) -> Place:
    """:raise ValidationError: the place is unknown (the message says how to fix it)."""
    try:
        place = resolve_place(text, lat, lon)
    except SearchArgumentError as exc:
        raise ValidationError(exc.fields) from exc
    if place is None:
        raise ValidationError({"place": ["give a postcode or municipality, or lat and lon"]})
    return place


def _rules(args: Mapping[str, Any], place: Place, radius: float, now: dt.datetime) -> Rules:
    config = current_app.config
    hard = frozenset(config["MATCH_HARD_FILTERS"])
    unknown = sorted(hard - set(CRITERIA))
    if unknown:
        raise ValueError(f"MATCH_HARD_FILTERS: unknown criteria {unknown} (know {CRITERIA})")
    weights = {k: float(v) for k, v in config["MATCH_WEIGHTS"].items()}
    if args["urgency"] in ("urgent", "asap"):
        weights["capacity"] = weights.get("capacity", 0.0) * URGENT_CAPACITY_FACTOR
    return Rules(
        needs=tuple(args["needs"]),
        place=place,
        radius_km=radius,
        age=args.get("age"),
        target_groups=tuple(args.get("target_groups") or ()),
        language=args.get("language"),
        hard=hard,
        weights=weights,
        now=now,
    )


def _km(distance: float | None) -> float:
    return float("inf") if distance is None else distance


def _nearest_site(hits: list[Hit]) -> list[Hit]:
    """One hit per service: its nearest site (unknown distance last, then by location id)."""
    best: dict[str, Hit] = {}
    for hit in hits:
        key = (_km(hit.distance_km), hit.location_id or "")
        current = best.get(hit.service_id)
        if current is None or key < (_km(current.distance_km), current.location_id or ""):
            best[hit.service_id] = hit
    return sorted(best.values(), key=lambda h: h.service_id)


def _assess_hits(hits: list[Hit], rules: Rules) -> list[Assessment]:
    if not hits:
        return []
    locations = [h.location_id for h in hits if h.location_id]
    facts = load_facts(db.session, [h.service_id for h in hits], locations)
    return [
        assess(hit, facts.services[hit.service_id], facts, rules)
        for hit in hits
        if hit.service_id in facts.services  # removed since it was indexed
    ]


def _passing(assessed: list[Assessment]) -> int:
    return sum(1 for a in assessed if not a.excluded)


def _top_up(
    backend: SearchBackend, query: Query, rules: Rules, limit: int, have: list[Assessment]
) -> list[Assessment]:
    """More candidates, the index applying the hard filters it can check itself."""
    pushed = replace(
        query,
        age=rules.age if "age" in rules.hard else None,
        language=rules.language if "language" in rules.hard else None,
        target_groups=rules.target_groups if "target_group" in rules.hard else (),
        capacity="not_full" if "capacity_full" in rules.hard else "any",
    )
    seen = {a.service.id for a in have}
    passing = _passing(have)
    out: list[Assessment] = []
    first_page = 1 if pushed != query else 2
    for page in range(first_page, first_page + TOP_UP_PAGES):
        results = backend.search(replace(pushed, page=page))
        hits = [h for h in _nearest_site(results.hits) if h.service_id not in seen]
        more = _assess_hits(hits, rules)
        seen.update(h.service_id for h in hits)
        out += more
        passing += _passing(more)
        if passing >= limit or results.total <= page * query.per_page:
            break
    return out


def _understood(
    args: Mapping[str, Any], place: Place, radius: float, rules: Rules
) -> dict[str, Any]:
    """How the request was understood (without the note)."""
    return {
        "needs": list(args["needs"]),
        "searched_needs": list(need_codes(args["needs"])),
        "place": {
            "label": place.label,
            "postcode": place.postcode,
            "municipality": place.municipality,
            "lat": place.lat,
            "lon": place.lon,
        },
        "radius_km": radius,
        "age": args.get("age"),
        "target_groups": list(rules.target_groups),
        "language": rules.language,
        "urgency": args["urgency"],
        "limit": args["limit"],
        "hard_filters": sorted(rules.hard),
        "weights": dict(sorted(rules.weights.items())),
    }
