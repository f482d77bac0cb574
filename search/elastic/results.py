"""Pure functions turning Elasticsearch responses into :mod:`search.query` results."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rapidfuzz.distance import Levenshtein

from search.backend import Suggestion
from search.elastic.mapping import BODY_FIELD
from search.elastic.mapping import NAME_FIELD
from search.elastic.querybuilder import MATCHED_BY_DISTANCE
from search.elastic.querybuilder import typo_limit
from search.elastic.querybuilder import word_stems
from search.highlight import highlight_document
from search.query import FACETS
from search.query import Hit
from search.query import MatchKind
from search.query import Query
from search.query import Results
from search.scoring import haversine_km
from search.text import fold


def to_hit(raw: dict[str, Any], query: Query) -> Hit:
    """One search hit; distance and highlights are computed here, the same way as in the
    embedded backend."""
    source = raw.get("_source") or {}
    location = source.get("location") or {}
    lat, lon = location.get("lat"), location.get("lon")
    distance = None
    match: MatchKind | None = None
    place = query.place
    if place is not None:
        # The named query says which way the place filter matched (see place_filter).
        match = "distance" if MATCHED_BY_DISTANCE in _matched(raw) else "service_area"
        if place.lat is not None and place.lon is not None and lat is not None and lon is not None:
            distance = round(haversine_km(place.lat, place.lon, lat, lon), 2)
    needs = set(source.get("needs") or ())
    wanted = dict.fromkeys(query.needs + query.text_needs)
    highlights, matched_terms = highlight_document(source.get("texts") or {}, list(query.terms))
    return Hit(
        id=source.get("id", raw.get("_id", "")),
        service_id=source.get("service_id", ""),
        location_id=source.get("location_id"),
        organization_id=source.get("organization_id", ""),
        name=source.get("name", ""),
        organization_name=source.get("organization_name", ""),
        score=round(float(raw.get("_score") or 0.0), 4),
        distance_km=distance,
        match=match,
        matched_needs=[code for code in wanted if code in needs],
        matched_terms=matched_terms,
        highlights=highlights,
        municipality=source.get("municipality"),
        capacity=source.get("capacity", "unknown"),
        free=source.get("free"),
        lat=lat,
        lon=lon,
    )


def _matched(raw: dict[str, Any]) -> set[str]:
    # A list, or a name -> score mapping when named-query scores are requested.
    return set(raw.get("matched_queries") or ())


def to_results(response: dict[str, Any], query: Query) -> Results:
    """The page of hits, the total and the facet counts."""
    hits = response.get("hits") or {}
    total = hits.get("total") or 0
    if isinstance(total, dict):
        total = total.get("value", 0)
    facets: dict[str, dict[str, int]] = {}
    if query.facets:
        aggs = response.get("aggregations") or {}
        for name in FACETS:
            buckets = (aggs.get(name) or {}).get("buckets") or []
            facets[name] = {
                str(b.get("key_as_string", b["key"])): int(b["doc_count"])
                for b in buckets
                if b.get("doc_count")
            }
    return Results(
        total=int(total),
        hits=[to_hit(raw, query) for raw in hits.get("hits") or []],
        facets=facets,
        page=query.page,
        per_page=query.per_page,
    )


def to_suggestions(response: dict[str, Any], prefix: str, size: int) -> list[Suggestion]:
    """Organisations, once each: names with a word starting with the prefix first, then
    typo matches; shorter names first within each (as the embedded backend orders)."""
    key = " ".join(fold(prefix).split())
    options = []
    for entry in (response.get("suggest") or {}).get("organizations") or []:
        options.extend(entry.get("options") or [])
    candidates: dict[str, tuple[bool, int, str]] = {}
    for option in options:
        source = option.get("_source") or {}
        org = source.get("organization_id")
        label = source.get("organization_name") or option.get("text", "")
        if not org or org in candidates:
            continue
        words = fold(label).split()
        exact = any(" ".join(words[i:]).startswith(key) for i in range(len(words)))
        candidates[org] = (not exact, len(label), label)
    ranked = sorted(candidates.items(), key=lambda item: item[1])
    return [
        Suggestion("organization", label, organization_id=org)
        for org, (_, _, label) in ranked[:size]
    ]


def to_corrections(response: dict[str, Any], words: Iterable[str]) -> dict[str, dict[str, str]]:
    """Unknown word -> language -> closest indexed stem, from a :func:`vocabulary_body`
    response (same word numbering). An unknown word without close stems maps to ``{}``.

    Closest: fewest edits, then alphabetical, as the embedded backend picks them.
    """
    known = ((response.get("aggregations") or {}).get("known") or {}).get("buckets") or {}
    suggest = response.get("suggest") or {}
    out: dict[str, dict[str, str]] = {}
    for i, word in enumerate(dict.fromkeys(words)):
        bucket = known.get(f"w{i}")
        if bucket is None or bucket.get("doc_count", 0) > 0:
            continue  # known (or never asked: too short to have typos)
        limit = typo_limit(word)
        best: dict[str, str] = {}
        for lang, term in word_stems(word).items():
            options = {
                option["text"]
                for field in (NAME_FIELD.format(lang=lang), BODY_FIELD.format(lang=lang))
                for entry in suggest.get(f"w{i}|{field}") or []
                for option in entry.get("options") or []
            }
            ranked = sorted((Levenshtein.distance(term, o), o) for o in options)
            if ranked and ranked[0][0] <= limit:
                best[lang] = ranked[0][1]
        out[word] = best
    return out
