"""The search benchmark's generator (benchmarks/search_data.py): properties that can fail."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path

import pytest

from search.text import words
from socialmap import taxonomy
from socialmap.gazetteer import get_gazetteer

REPO = Path(__file__).resolve().parents[2]
N = 2000
# Belgium, generously: 49.497..51.505 N, 2.546..6.408 E
BBOX = (49.45, 51.55, 2.50, 6.45)


def _search_data():
    """Load benchmarks/search_data.py (a script folder, not a package) as a module."""
    if "search_data" in sys.modules:
        return sys.modules["search_data"]
    spec = importlib.util.spec_from_file_location(
        "search_data", REPO / "benchmarks" / "search_data.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["search_data"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def sd():
    return _search_data()


@pytest.fixture(scope="module")
def docs(sd):
    return list(sd.generate_documents(N, seed=7))


def share(docs, predicate) -> float:
    return sum(1 for d in docs if predicate(d)) / len(docs)


def test_deterministic_for_a_seed(sd, docs):
    assert list(sd.generate_documents(300, seed=7)) == docs[:300]
    other = list(sd.generate_documents(300, seed=8))
    assert [d.texts for d in other] != [d.texts for d in docs[:300]]


def test_count_and_unique_ids(docs):
    assert len(docs) == N
    assert len({d.id for d in docs}) == N


def test_codes_are_valid(docs):
    needs, groups = taxonomy.needs(), taxonomy.target_groups()
    for d in docs:
        assert 1 <= len(d.needs) <= 3 and len(set(d.needs)) == len(d.needs)
        assert all(code in needs for code in d.needs)
        assert len(d.target_groups) <= 2 and all(code in groups for code in d.target_groups)
    # leaf-heavy: most assigned codes have no children
    assigned = [code for d in docs for code in d.needs]
    leaves = sum(1 for code in assigned if not needs.children(code))
    assert leaves / len(assigned) > 0.7


def test_coordinates_inside_belgium_and_paired(docs):
    for d in docs:
        assert (d.lat is None) == (d.lon is None)
        if d.lat is not None:
            assert BBOX[0] <= d.lat <= BBOX[1] and BBOX[2] <= d.lon <= BBOX[3]


def test_locations_confidential_and_areas(docs):
    without_location = share(docs, lambda d: d.location_id is None)
    confidential = share(docs, lambda d: d.location_id is not None and d.lat is None)
    assert 0.02 <= without_location <= 0.08
    assert 0.001 <= confidential <= 0.03
    for d in docs:
        if d.location_id is None:
            assert d.lat is None and d.municipality is None and d.areas
        if d.location_id is not None and d.lat is None:  # confidential: still findable
            assert d.municipality and d.areas
    assert 0.15 <= share(docs, lambda d: bool(d.areas)) <= 0.32


def test_proportions(docs):
    capacity = Counter(d.capacity for d in docs)
    assert 0.33 <= capacity["available"] / N <= 0.47
    assert 0.19 <= capacity["waitlist"] / N <= 0.31
    assert 0.10 <= capacity["full"] / N <= 0.20
    assert 0.14 <= capacity["unknown"] / N <= 0.26
    assert 0.33 <= share(docs, lambda d: d.accepts_referrals) <= 0.47
    assert 0.6 <= share(docs, lambda d: d.age_min is None and d.age_max is None) <= 0.9
    assert 0.6 <= share(docs, lambda d: bool(d.hours)) <= 0.95


def test_languages_and_places(docs):
    gaz = get_gazetteer()
    primary = Counter(next(iter(d.texts)) for d in docs)
    assert 0.08 <= primary["fr"] / N <= 0.22
    assert 0.03 <= share(docs, lambda d: "en" in d.texts) <= 0.15
    for d in docs:
        if d.municipality is None:
            continue
        region = gaz.municipality(d.municipality).region
        lang = next(iter(d.texts))
        assert region in ({"WAL", "BRU"} if lang == "fr" else {"VLG", "BRU"})


def test_common_words_and_body_length(docs):
    dutch = [d for d in docs if "nl" in d.texts]
    bodies = [set(words(d.texts["nl"]["body"])) for d in dutch]
    for word in ("hulp", "ondersteuning", "gezin"):
        assert 0.15 <= sum(word in b for b in bodies) / len(bodies) <= 0.55, word
    lengths = [len(d.texts["nl"]["body"].split()) for d in dutch]
    assert min(lengths) >= 20 and max(lengths) <= 70


def test_vocabulary_is_zipf_like(sd, docs):
    vocab = sd.vocabulary(7)
    assert len(vocab.words) == sd.VOCABULARY_SIZE == len(set(vocab.words))
    counts = Counter(w for d in docs for t in d.texts.values() for w in words(t["body"]))
    top = counts[vocab.words[0]]
    assert top > 5 * counts[vocab.words[9]] > 0
    assert counts[vocab.words[-1]] < top / 100


def test_query_mix(sd, docs):
    mix = sd.query_mix(N, seed=7, per_kind=25)
    assert set(mix) == set(sd.QUERY_KINDS)
    assert all(len(specs) == 25 for specs in mix.values())
    corpus = set()
    for d in docs:
        for t in d.texts.values():
            corpus.update(words(t["name"] + " " + t["body"]))
    needs = taxonomy.needs()
    for spec in mix["selective_text"]:
        assert spec.query.terms and all(w in corpus for w in spec.query.terms), spec.params
        assert not spec.query.facets
    for spec in mix["needs_place"]:
        assert spec.query.needs and all(code in needs for code in spec.query.needs)
        assert 10 <= spec.query.radius_km <= 25 and spec.query.place.municipality
    for spec in mix["facets_25km"]:
        q = spec.query
        assert q.facets and q.radius_km == 25 and not q.has_text and q.place.point
    assert sd.query_mix(N, seed=7, per_kind=25)["needs_place"] == mix["needs_place"]
