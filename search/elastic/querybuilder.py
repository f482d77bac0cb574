"""Pure functions turning a :class:`search.query.Query` into an Elasticsearch request body.

The shape, in short::

    function_score(
        query = bool(must: [text], filter: [needs, place, target groups, age, ...]),
        functions = [need bonus, distance gauss, freshness gauss, neutral zero],
        score_mode = sum, boost_mode = sum,
    )

so a hit's score is the text relevance plus the bonuses of :mod:`search.scoring`.
Query words are stemmed here with :mod:`search.text`, like the indexed stems (see
:mod:`search.elastic.mapping`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any

from search.document import TEXT_LANGUAGES
from search.elastic.mapping import BODY_FIELD
from search.elastic.mapping import HIT_SOURCE
from search.elastic.mapping import NAME_BOOST
from search.elastic.mapping import NAME_FIELD
from search.hours import local_time
from search.hours import minute_of_week
from search.query import DEFAULT_RADIUS_KM
from search.query import DISTANCE_SCALE_KM
from search.query import DISTANCE_WEIGHT
from search.query import FACETS
from search.query import FRESHNESS_SCALE_DAYS
from search.query import FRESHNESS_WEIGHT
from search.query import NEED_WEIGHT
from search.query import Place
from search.query import Query
from search.text import STOPWORDS
from search.text import fold
from search.text import stem

#: Named queries telling how a hit matched the place.
MATCHED_BY_DISTANCE = "place_distance"
MATCHED_BY_AREA = "place_area"
#: Terms aggregations return the top N buckets; no facet has nearly this many values.
FACET_SIZE = 1000
#: Closest stems asked per field for an unknown word.
SUGGESTIONS_PER_FIELD = 5

Json = dict[str, Any]
#: Query word -> language -> stem to search instead (see :func:`vocabulary_body`).
Corrections = Mapping[str, Mapping[str, str]]


def typo_limit(word: str) -> int:
    """Edits tolerated in a word: none below five letters, 1 below nine, else 2 (as the
    embedded backend, the need vocabulary and the highlighter)."""
    return 0 if len(word) < 5 else (1 if len(word) < 9 else 2)


def word_stems(word: str) -> dict[str, str]:
    """Language -> stem of a folded query word, in every language where it is not a stop
    word."""
    return {lang: stem(word, lang) for lang in TEXT_LANGUAGES if word not in STOPWORDS[lang]}


def _fields(lang: str) -> list[tuple[str, float]]:
    return [(NAME_FIELD.format(lang=lang), NAME_BOOST), (BODY_FIELD.format(lang=lang), 1.0)]


def word_query(stems: Mapping[str, str]) -> Json:
    """A word found (as one of its per-language stems) in a name or body; no stems at all
    (an unknown word without close match) matches nothing."""
    per_language: list[Json] = []
    for lang, term in stems.items():
        clauses = [
            {"match": {field: {"query": term, "boost": boost}}} for field, boost in _fields(lang)
        ]
        per_language.append({"bool": {"should": clauses, "minimum_should_match": 1}})
    if not per_language:
        return {"match_none": {}}
    # The best language counts, not their sum: a word is not more relevant for having
    # been translated.
    return {"dis_max": {"queries": per_language}}


def vocabulary_body(words: Iterable[str]) -> Json | None:
    """A size-0 request telling which words the index knows and, for the others, the
    closest indexed stems (``term`` suggesters per language field); None when no word can
    have typos.

    Typo correction follows the embedded backend: only a word none of whose stems occurs
    in the index is replaced, by the closest stem within :func:`typo_limit` edits.
    """
    aggs: dict[str, Json] = {}
    suggest: dict[str, Json] = {}
    for i, word in enumerate(dict.fromkeys(words)):
        limit = typo_limit(word)
        stems = word_stems(word)
        if not limit or not stems:
            continue
        exists = [
            {"term": {field: term}} for lang, term in stems.items() for field, _ in _fields(lang)
        ]
        aggs[f"w{i}"] = {"bool": {"should": exists, "minimum_should_match": 1}}
        for lang, term in stems.items():
            for field, _ in _fields(lang):
                suggest[f"w{i}|{field}"] = {
                    "text": term,
                    "term": {
                        "field": field,
                        "analyzer": "stems",  # no synonyms: the stem as it is
                        "suggest_mode": "always",
                        "max_edits": limit,
                        "prefix_length": 0,
                        "min_word_length": 1,
                        "size": SUGGESTIONS_PER_FIELD,
                    },
                }
    if not aggs:
        return None
    return {
        "size": 0,
        "track_total_hits": False,
        "aggs": {"known": {"filters": {"filters": aggs}}},
        "suggest": suggest,
    }


def words_query(words: tuple[str, ...], corrections: Corrections) -> Json:
    """Every word must match (in any language); a word that is a stop word in every
    language is left out, as it cannot be searched for."""
    clauses = []
    for word in words:
        stems = corrections[word] if word in corrections else word_stems(word)
        if stems or word in corrections:
            clauses.append(word_query(stems))
    return {"bool": {"must": clauses}} if clauses else {"match_all": {}}


def text_query(query: Query, corrections: Corrections | None = None) -> Json | None:
    """All words of the text, or a recognised need plus the residual words; None without
    text. ``corrections`` replaces the stems of words the index does not know."""
    if not query.has_text:
        return None
    corrections = corrections or {}
    alternatives: list[Json] = []
    if query.terms:
        alternatives.append(words_query(query.terms, corrections))
    if query.text_needs:
        need = {"terms": {"needs": list(query.text_needs)}}
        residual = words_query(query.residual_terms, corrections)
        alternatives.append({"bool": {"filter": [need], "must": [residual]}})
    # dis_max: a document matching both ways scores as its best way, not twice.
    return {"dis_max": {"queries": alternatives}}


def _missing(field: str) -> Json:
    return {"bool": {"must_not": [{"exists": {"field": field}}]}}


def _either(*clauses: Json) -> Json:
    return {"bool": {"should": list(clauses), "minimum_should_match": 1}}


def place_filter(place: Place, radius_km: float | None) -> Json:
    """Within the radius of the point (unless a service area says otherwise) or serving
    the place; the named parts tell :mod:`search.elastic.results` which way matched."""
    codes = place.area_codes()
    by_area: Json = {"bool": {"filter": [{"terms": {"areas": codes}}], "_name": MATCHED_BY_AREA}}
    if place.point is None:
        return by_area
    radius = radius_km or DEFAULT_RADIUS_KM
    near: list[Json] = [{"geo_distance": {"distance": f"{radius}km", "location": _point(place)}}]
    if place.municipality is not None:
        # A service with areas only counts as "near" when it serves this place.
        near.append(_either(_missing("areas"), {"terms": {"areas": codes}}))
    by_distance = {"bool": {"filter": near, "_name": MATCHED_BY_DISTANCE}}
    return _either(by_distance, by_area)


def _point(place: Place) -> Json:
    return {"lat": place.lat, "lon": place.lon}


def filters(query: Query) -> list[Json]:
    """Every non-text condition of the query, as filter clauses."""
    out: list[Json] = []
    if query.needs:
        out.append({"terms": {"needs": list(query.needs)}})
    if query.place is not None:
        out.append(place_filter(query.place, query.radius_km))
    if query.target_groups:
        groups = {"terms": {"target_groups": list(query.target_groups)}}
        out.append(_either(_missing("target_groups"), groups))
    if query.age is not None:
        out.append(_either(_missing("age_min"), {"range": {"age_min": {"lte": query.age}}}))
        out.append(_either(_missing("age_max"), {"range": {"age_max": {"gte": query.age}}}))
    if query.language:
        out.append({"term": {"languages": query.language}})
    if query.free is not None:
        out.append({"term": {"free": query.free}})
    if query.capacity == "not_full":
        out.append({"bool": {"must_not": [{"term": {"capacity": "full"}}]}})
    elif query.capacity == "available":
        out.append({"term": {"capacity": "available"}})
    if query.accepts_referrals is not None:
        out.append({"term": {"accepts_referrals": query.accepts_referrals}})
    if query.organization_id is not None:
        out.append({"term": {"organization_id": query.organization_id}})
    if query.open_at is not None:
        out.append(open_filter(query.open_at))
    return out


def open_filter(when: dt.datetime) -> Json:
    """Inside a weekly interval and not on a closure day (see :mod:`search.elastic.mapping`)."""
    day = local_time(when).date().isoformat()
    return {
        "bool": {
            "filter": [{"term": {"hours": minute_of_week(when)}}],
            "must_not": [{"term": {"closures": day}}],
        }
    }


def score_functions(query: Query) -> list[Json]:
    """The bonuses of :mod:`search.scoring`, summed."""
    functions: list[Json] = []
    boost_needs = list(dict.fromkeys(query.needs + query.text_needs))
    if boost_needs:
        functions.append({"filter": {"terms": {"needs": boost_needs}}, "weight": NEED_WEIGHT})
    if query.place is not None and query.place.point is not None:
        # A decay function scores 1 on a document without the field: filter those out.
        functions.append(
            {
                "filter": {"exists": {"field": "location"}},
                "gauss": {
                    "location": {
                        "origin": _point(query.place),
                        "scale": f"{DISTANCE_SCALE_KM}km",
                        "decay": 0.5,
                    }
                },
                "weight": DISTANCE_WEIGHT,
            }
        )
    now = query.now or dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    functions.append(
        {
            "filter": {"exists": {"field": "updated"}},
            "gauss": {
                "updated": {
                    "origin": now.isoformat(),
                    "scale": f"{FRESHNESS_SCALE_DAYS:g}d",
                    "decay": 0.5,
                }
            },
            "weight": FRESHNESS_WEIGHT,
        }
    )
    # When no function applies to a document, function_score adds 1 instead of 0 (also
    # with a weight-0 function, as weights are summed too); this always-applying
    # function contributes 0 and makes the sum exact.
    functions.append({"field_value_factor": {"field": "age_min", "factor": 0, "missing": 0}})
    return functions


def search_query(query: Query, corrections: Corrections | None = None) -> Json:
    """The ``query`` part of the request."""
    text = text_query(query, corrections)
    inner: Json = {"bool": {"filter": filters(query)}}
    if text is not None:
        inner["bool"]["must"] = [text]
    return {
        "function_score": {
            "query": inner,
            "functions": score_functions(query),
            "score_mode": "sum",
            "boost_mode": "sum",
        }
    }


def sort(query: Query) -> list[Json]:
    """Relevance: score, distance, name. Distance: distance (no coordinates last), score."""
    point = query.place.point if query.place is not None else None
    tie = [{"name": {"order": "asc"}}, {"id": {"order": "asc"}}]
    score = {"_score": {"order": "desc"}}
    if point is None:
        return [score, *tie]
    # Documents without a location sort as infinitely far away.
    distance = {
        "_geo_distance": {
            "location": {"lat": point[0], "lon": point[1]},
            "order": "asc",
            "unit": "km",
            "distance_type": "arc",
        }
    }
    if query.sort == "distance":
        return [distance, score, *tie]
    return [score, distance, *tie]


def aggregations() -> Json:
    """One terms aggregation per facet (the cost facet is an indexed bucket name)."""
    fields = {
        "needs": "needs",
        "target_groups": "target_groups",
        "languages": "languages",
        "municipality": "municipality",
        "capacity": "capacity",
        "cost": "cost",
    }
    return {name: {"terms": {"field": fields[name], "size": FACET_SIZE}} for name in FACETS}


def search_body(query: Query, corrections: Corrections | None = None) -> Json:
    """The whole search request body (``corrections``: see :func:`text_query`)."""
    body: Json = {
        "query": search_query(query, corrections),
        "sort": sort(query),
        "from": query.offset,
        "size": query.per_page,
        "track_total_hits": True,
        "track_scores": True,
        "_source": {"includes": list(HIT_SOURCE)},
    }
    if query.facets:
        body["aggs"] = aggregations()
    return body


def suggest_body(prefix: str, size: int) -> Json | None:
    """A completion request for organisation names (None for an empty prefix)."""
    key = " ".join(fold(prefix).split())
    if not key:
        return None
    completion: Json = {"field": "suggest", "size": size, "skip_duplicates": True}
    if typo_limit(key):
        # Only one edit: a prefix is a word being typed, its end is still unknown.
        completion["fuzzy"] = {"fuzziness": 1, "prefix_length": 1}
    return {
        "suggest": {"organizations": {"prefix": key, "completion": completion}},
        "_source": {"includes": ["organization_id", "organization_name"]},
    }
