"""Evaluating a query over one segment with dense numpy masks.

Every step is a vectorised operation over the segment's columns or posting lists, so the
cost grows with the number of matching documents, not with Python loops over them.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass
from dataclasses import field

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from search.embedded.segment import CAPACITY_CODES
from search.embedded.segment import CAPACITY_NAMES
from search.embedded.segment import COST_NAMES
from search.embedded.segment import EPOCH
from search.embedded.segment import Segment
from search.hours import local_time
from search.hours import minute_of_week
from search.query import DEFAULT_RADIUS_KM
from search.query import DISTANCE_SCALE_KM
from search.query import DISTANCE_WEIGHT
from search.query import FRESHNESS_SCALE_DAYS
from search.query import FRESHNESS_WEIGHT
from search.query import NEED_WEIGHT
from search.query import Query
from search.scoring import EARTH_RADIUS_KM
from search.scoring import LN_HALF
from search.scoring import bounding_box
from search.text import STOPWORDS
from search.text import stem

LANGS = ("nl", "fr", "en")


@dataclass
class Plan:
    """What a query means for the index: term lists per query word, place codes, times."""

    query: Query
    word_terms: list[list[str]]
    residual_terms: list[list[str]]
    corrections: dict[str, str] = field(default_factory=dict)
    open_minute: int | None = None
    open_day: int | None = None
    now_days: float = 0.0
    radius_km: float = DEFAULT_RADIUS_KM


@dataclass
class SegmentResult:
    docs: np.ndarray  # matching document numbers
    score: np.ndarray
    distance: np.ndarray  # km, NaN when unknown
    by_distance: np.ndarray  # bool: matched by distance (else by service area)
    facets: dict[str, Counter[str]]


def word_terms(word: str) -> list[str]:
    """Index terms a folded query word can match: its stem in every language where it is
    not a stop word."""
    return [f"w:{lang}:{stem(word, lang)}" for lang in LANGS if word not in STOPWORDS[lang]]


def correct(word: str, segments: list[Segment], vocabularies: dict[str, list[str]]) -> list[str]:
    """Terms for a word no segment knows: the closest stems (edit distance 1 from five
    letters, 2 from nine) in each language's vocabulary."""
    limit = 0 if len(word) < 5 else (1 if len(word) < 9 else 2)
    if not limit:
        return []
    out: list[str] = []
    for lang in LANGS:
        if word in STOPWORDS[lang]:
            continue
        prefix = f"w:{lang}:"
        vocabulary = vocabularies.get(lang)
        if vocabulary is None:
            vocabulary = vocabularies[lang] = sorted(
                {t[len(prefix) :] for s in segments for t in s.terms(prefix)}
            )
        target = stem(word, lang)
        best = process.extractOne(
            target, vocabulary, scorer=Levenshtein.distance, score_cutoff=limit
        )
        if best:
            out.append(prefix + best[0])
    return out


def plan(query: Query, segments: list[Segment], vocabularies: dict[str, list[str]]) -> Plan:
    def known(term: str) -> bool:
        return any(s.postings(term) is not None for s in segments)

    corrections: dict[str, str] = {}

    def resolve(word: str) -> list[str]:
        terms = [t for t in word_terms(word) if known(t)]
        if not terms:
            terms = correct(word, segments, vocabularies)
            if terms:
                corrections[word] = terms[0].split(":", 2)[2]
        return terms

    now = query.now or dt.datetime.now(dt.UTC)
    result = Plan(
        query=query,
        word_terms=[resolve(w) for w in query.terms],
        residual_terms=[resolve(w) for w in query.residual_terms],
        corrections=corrections,
        now_days=(now - EPOCH).total_seconds() / 86400,
        radius_km=query.radius_km or DEFAULT_RADIUS_KM,
    )
    if query.open_at is not None:
        result.open_minute = minute_of_week(query.open_at)
        result.open_day = local_time(query.open_at).date().toordinal()
    return result


def _words(seg: Segment, words: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
    """(documents containing every word, summed best impact per word)."""
    mask = np.ones(seg.n, dtype=bool)
    score = np.zeros(seg.n, dtype=np.float32)
    for terms in words:
        hit = np.zeros(seg.n, dtype=bool)
        best = np.zeros(seg.n, dtype=np.float32)
        for term in terms:
            found = seg.postings(term)
            if found is None:
                continue
            docs, impacts = found
            hit[docs] = True
            if impacts is not None:
                best[docs] = np.maximum(best[docs], impacts)
        mask &= hit
        score += best
    return mask, score


def _filters(seg: Segment, p: Plan, mask: np.ndarray) -> np.ndarray:
    q, c = p.query, seg.columns
    if q.needs:
        mask &= seg.mask(f"n:{code}" for code in q.needs)
    if q.target_groups:
        mask &= ~c["has_target_groups"] | seg.mask(f"t:{code}" for code in q.target_groups)
    if q.age is not None:
        mask &= ~(c["age_min"] > q.age) & ~(c["age_max"] < q.age)  # NaN compares False
    if q.language:
        mask &= seg.mask([f"l:{q.language}"])
    if q.free is not None:
        mask &= c["free"] == (1 if q.free else 2)
    if q.capacity == "not_full":
        mask &= c["capacity"] != CAPACITY_CODES["full"]
    elif q.capacity == "available":
        mask &= c["capacity"] == CAPACITY_CODES["available"]
    if q.accepts_referrals is not None:
        mask &= c["accepts"] == q.accepts_referrals
    if q.organization_id is not None:
        index = seg.organization_index.get(q.organization_id)
        mask &= (c["organization"] == index) if index is not None else False
    if p.open_minute is not None:
        minute, day = p.open_minute, p.open_day
        open_now = np.zeros(seg.n, dtype=bool)
        open_now[c["hours_doc"][(c["hours_start"] <= minute) & (c["hours_end"] > minute)]] = True
        open_now[c["closed_doc"][(c["closed_from"] <= day) & (c["closed_to"] >= day)]] = False
        mask &= open_now
    return mask


def _haversine(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    p1, p2 = math.radians(lat), np.radians(lats)
    dp, dl = p2 - p1, np.radians(lons - lon)
    a = np.sin(dp / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))


def evaluate(seg: Segment, p: Plan, alive: np.ndarray | None) -> SegmentResult:
    """Match, score and facet one segment (``alive``: documents not superseded)."""
    q, c = p.query, seg.columns
    mask = np.ones(seg.n, dtype=bool) if alive is None else alive.copy()
    text = None
    if q.has_text:
        all_words, text = _words(seg, p.word_terms)
        matched = all_words
        if q.text_needs:
            by_need = seg.mask(f"n:{code}" for code in q.text_needs)
            residual, residual_score = _words(seg, p.residual_terms)
            by_need &= residual
            matched = all_words | by_need
            text = np.where(all_words, text, residual_score)
        mask &= matched
    mask = _filters(seg, p, mask)
    docs = np.flatnonzero(mask)
    distance = np.full(len(docs), np.nan)
    by_distance = np.zeros(len(docs), dtype=bool)
    place = q.place
    if place is not None:
        has_coords = c["has_coords"][docs]
        area = seg.mask(f"a:{code}" for code in place.area_codes())[docs]
        if place.point is not None:
            # Exact distances only inside the bounding box (and for area matches, to report).
            min_lat, max_lat, min_lon, max_lon = bounding_box(place.lat, place.lon, p.radius_km)
            lats, lons = c["lat"][docs], c["lon"][docs]
            boxed = (lats >= min_lat) & (lats <= max_lat) & (lons >= min_lon) & (lons <= max_lon)
            located = np.flatnonzero(has_coords & (boxed | area))
            distance[located] = _haversine(place.lat, place.lon, lats[located], lons[located])
            with np.errstate(invalid="ignore"):
                near = distance <= p.radius_km
            by_distance = near & (~c["has_areas"][docs] | (place.municipality is None) | area)
        keep = by_distance | area
        docs, distance, by_distance = docs[keep], distance[keep], by_distance[keep]
    score = np.zeros(len(docs)) if text is None else text[docs].astype(np.float64)
    boost_needs = list(q.needs) + list(q.text_needs)
    if boost_needs:
        score += NEED_WEIGHT * seg.mask(f"n:{code}" for code in boost_needs)[docs]
    if place is not None and place.point is not None:
        decay = DISTANCE_WEIGHT * np.exp(LN_HALF * (distance / DISTANCE_SCALE_KM) ** 2)
        score += np.nan_to_num(decay, nan=0.0)
    age_days = np.maximum(0.0, p.now_days - c["updated"][docs])
    fresh = FRESHNESS_WEIGHT * np.exp(LN_HALF * (age_days / FRESHNESS_SCALE_DAYS) ** 2)
    score += np.nan_to_num(fresh, nan=0.0)
    facets = _facets(seg, docs) if q.facets else {}
    return SegmentResult(docs, score, distance, by_distance, facets)


def _facets(seg: Segment, docs: np.ndarray) -> dict[str, Counter[str]]:
    c = seg.columns
    facet_doc, facet_tag = c["facet_doc"], c["facet_tag"]
    if len(docs) * 8 < len(facet_doc):
        # Few documents: gather their rows instead of scanning every pair.
        tags = facet_tag[seg.facet_rows(docs)]
    else:
        selected = np.zeros(seg.n, dtype=bool)
        selected[docs] = True
        tags = facet_tag[selected[facet_doc]]
    out: dict[str, Counter[str]] = {"needs": Counter(), "target_groups": Counter(),
                                    "languages": Counter()}  # fmt: skip
    names = {"n:": "needs", "t:": "target_groups", "l:": "languages"}
    counts = np.bincount(tags, minlength=len(seg.facet_tags))
    for i in np.flatnonzero(counts).tolist():
        tag = seg.facet_tags[i]
        out[names[tag[:2]]][tag[2:]] = int(counts[i])
    municipality = c["municipality"][docs]
    municipality = municipality[municipality >= 0]
    out["municipality"] = Counter(
        {seg.municipalities[i]: int(n) for i, n in enumerate(np.bincount(municipality)) if n}
    )
    out["capacity"] = Counter(
        {CAPACITY_NAMES[i]: int(n) for i, n in enumerate(np.bincount(c["capacity"][docs])) if n}
    )
    out["cost"] = Counter(
        {COST_NAMES[i]: int(n) for i, n in enumerate(np.bincount(c["free"][docs])) if n}
    )
    return out
