"""The Elasticsearch request bodies, as plain dicts (no server)."""

from __future__ import annotations

import datetime as dt

from search.document import IndexDocument
from search.elastic.mapping import index_mappings
from search.elastic.mapping import index_settings
from search.elastic.mapping import synonym_rules
from search.elastic.mapping import to_source
from search.elastic.querybuilder import MATCHED_BY_AREA
from search.elastic.querybuilder import MATCHED_BY_DISTANCE
from search.elastic.querybuilder import search_body
from search.elastic.querybuilder import suggest_body
from search.elastic.querybuilder import vocabulary_body
from search.elastic.querybuilder import word_stems
from search.elastic.results import to_corrections
from search.elastic.results import to_results
from search.elastic.results import to_suggestions
from search.needs import NeedTerm
from search.needs import NeedVocabulary
from search.query import FACETS
from search.query import NEED_WEIGHT
from search.query import Place
from search.query import Query

NOW = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)
GENT = Place(lat=51.05, lon=3.72, municipality="44021", province="VOV", region="VLG")


def _inner(body: dict) -> dict:
    return body["query"]["function_score"]["query"]["bool"]


def test_no_text_is_filter_only_and_scores_freshness() -> None:
    body = search_body(Query(now=NOW))
    assert "must" not in _inner(body)
    assert _inner(body)["filter"] == [{"bool": {"must_not": [{"term": {"capacity": "full"}}]}}]
    fs = body["query"]["function_score"]
    assert (fs["score_mode"], fs["boost_mode"]) == ("sum", "sum")
    fresh, neutral = fs["functions"]
    assert fresh["filter"] == {"exists": {"field": "updated"}}
    assert fresh["gauss"]["updated"] == {
        "origin": NOW.isoformat(),
        "scale": "365d",
        "decay": 0.5,
    }
    assert neutral["field_value_factor"]["factor"] == 0
    assert body["sort"] == [
        {"_score": {"order": "desc"}},
        {"name": {"order": "asc"}},
        {"id": {"order": "asc"}},
    ]
    assert (body["from"], body["size"]) == (0, 20)
    assert set(body["aggs"]) == set(FACETS)


def test_every_word_in_any_language() -> None:
    body = search_body(Query(terms=("begeleidingen", "het"), now=NOW))
    (text,) = _inner(body)["must"]
    (words,) = text["dis_max"]["queries"]
    first, second = words["bool"]["must"]
    languages = first["dis_max"]["queries"]
    assert len(languages) == 3
    nl = languages[0]["bool"]["should"]
    assert nl[0] == {"match": {"name_nl": {"query": "begeleid", "boost": 3.0}}}
    assert nl[1] == {"match": {"body_nl": {"query": "begeleid", "boost": 1.0}}}
    # "het" is a Dutch stop word: searched in French and English only.
    assert len(second["dis_max"]["queries"]) == 2
    assert word_stems("het") == {"fr": "het", "en": "het"}


def test_text_needs_alternative_with_residual_words() -> None:
    query = Query(
        terms=("eenzaam", "gent"), text_needs=("social",), residual_terms=("gent",), now=NOW
    )
    body = search_body(query)
    (text,) = _inner(body)["must"]
    all_words, by_need = text["dis_max"]["queries"]
    assert len(all_words["bool"]["must"]) == 2
    assert by_need["bool"]["filter"] == [{"terms": {"needs": ["social"]}}]
    assert len(by_need["bool"]["must"][0]["bool"]["must"]) == 1
    need_bonus = body["query"]["function_score"]["functions"][0]
    assert need_bonus == {"filter": {"terms": {"needs": ["social"]}}, "weight": NEED_WEIGHT}


def test_corrections_replace_stems_and_unknown_words_match_nothing() -> None:
    corrections = {"schuldn": {"nl": "schuld"}, "xqzwv": {}}
    body = search_body(Query(terms=("schuldn", "xqzwv"), now=NOW), corrections)
    (text,) = _inner(body)["must"]
    fixed, unknown = text["dis_max"]["queries"][0]["bool"]["must"]
    (nl,) = fixed["dis_max"]["queries"]
    assert nl["bool"]["should"][0] == {"match": {"name_nl": {"query": "schuld", "boost": 3.0}}}
    assert unknown == {"match_none": {}}


def test_vocabulary_request_and_corrections() -> None:
    assert vocabulary_body(["gent", "hulp"]) is None  # too short for typos
    body = vocabulary_body(["schuldn", "gent"])
    assert body is not None
    assert set(body["aggs"]["known"]["filters"]["filters"]) == {"w0"}
    suggester = body["suggest"]["w0|body_nl"]["term"]
    assert (suggester["field"], suggester["max_edits"], suggester["analyzer"]) == (
        "body_nl",
        1,
        "stems",
    )
    response = {
        "aggregations": {"known": {"buckets": {"w0": {"doc_count": 0}}}},
        "suggest": {
            "w0|body_nl": [{"options": [{"text": "schulp"}, {"text": "schuld"}]}],
            "w0|name_fr": [{"options": [{"text": "schuldenaar"}]}],  # too far
        },
    }
    assert to_corrections(response, ["schuldn", "gent"]) == {
        "schuldn": {"nl": "schuld"}  # tie at one edit: alphabetical, as the embedded one
    }
    known = {"aggregations": {"known": {"buckets": {"w0": {"doc_count": 3}}}}}
    assert to_corrections(known, ["schuldn"]) == {}


def test_filters() -> None:
    query = Query(
        needs=("debt", "debt-advice"),
        target_groups=("youth",),
        age=17,
        language="fr",
        free=False,
        capacity="available",
        accepts_referrals=True,
        organization_id="org-1",
        open_at=dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC),  # Monday 11:00 Brussels
        now=NOW,
    )
    filters = _inner(search_body(query))["filter"]
    assert {"terms": {"needs": ["debt", "debt-advice"]}} in filters
    assert {
        "bool": {
            "should": [
                {"bool": {"must_not": [{"exists": {"field": "target_groups"}}]}},
                {"terms": {"target_groups": ["youth"]}},
            ],
            "minimum_should_match": 1,
        }
    } in filters
    shoulds = [f.get("bool", {}).get("should", []) for f in filters]
    assert any({"range": {"age_min": {"lte": 17}}} in should for should in shoulds)
    assert any({"range": {"age_max": {"gte": 17}}} in should for should in shoulds)
    assert {"term": {"languages": "fr"}} in filters
    assert {"term": {"free": False}} in filters
    assert {"term": {"capacity": "available"}} in filters
    assert {"term": {"accepts_referrals": True}} in filters
    assert {"term": {"organization_id": "org-1"}} in filters
    assert {
        "bool": {
            "filter": [{"term": {"hours": 660}}],
            "must_not": [{"term": {"closures": "2026-11-23"}}],
        }
    } in filters


def test_capacity_any_adds_no_filter() -> None:
    assert _inner(search_body(Query(capacity="any")))["filter"] == []


def test_place_with_point_and_municipality() -> None:
    body = search_body(Query(place=GENT, radius_km=10, now=NOW))
    place = _inner(body)["filter"][0]
    by_distance, by_area = place["bool"]["should"]
    assert by_distance["bool"]["_name"] == MATCHED_BY_DISTANCE
    geo, areas = by_distance["bool"]["filter"]
    assert geo == {"geo_distance": {"distance": "10km", "location": {"lat": 51.05, "lon": 3.72}}}
    assert areas["bool"]["should"][0] == {"bool": {"must_not": [{"exists": {"field": "areas"}}]}}
    assert by_area["bool"]["_name"] == MATCHED_BY_AREA
    assert by_area["bool"]["filter"] == [{"terms": {"areas": GENT.area_codes()}}]
    distance = body["query"]["function_score"]["functions"][0]
    assert distance["filter"] == {"exists": {"field": "location"}}
    assert distance["gauss"]["location"]["scale"] == "10.0km"
    assert body["sort"][1]["_geo_distance"]["location"] == {"lat": 51.05, "lon": 3.72}


def test_place_without_municipality_or_point() -> None:
    point_only = search_body(Query(place=Place(lat=51.0, lon=4.0)))
    by_distance = _inner(point_only)["filter"][0]["bool"]["should"][0]
    assert len(by_distance["bool"]["filter"]) == 1  # default radius, no area condition
    assert by_distance["bool"]["filter"][0]["geo_distance"]["distance"] == "15.0km"
    area_only = search_body(Query(place=Place(municipality="44021")))
    assert _inner(area_only)["filter"][0]["bool"]["_name"] == MATCHED_BY_AREA
    assert all("_geo_distance" not in s for s in area_only["sort"])


def test_distance_sort_and_paging() -> None:
    body = search_body(Query(place=GENT, sort="distance", page=3, per_page=10, facets=False))
    assert "_geo_distance" in body["sort"][0]
    assert body["sort"][1] == {"_score": {"order": "desc"}}
    assert (body["from"], body["size"]) == (20, 10)
    assert "aggs" not in body


def test_results_hits_and_facets() -> None:
    query = Query(terms=("schulden",), needs=("debt",), text_needs=("money",), place=GENT)
    texts = {"nl": {"name": "Schuldhulp", "body": "Hulp bij schulden"}}
    response = {
        "hits": {
            "total": {"value": 2, "relation": "eq"},
            "hits": [
                {
                    "_id": "s1:l1",
                    "_score": 4.123456,
                    "matched_queries": [MATCHED_BY_AREA, MATCHED_BY_DISTANCE],
                    "_source": {
                        "id": "s1:l1",
                        "service_id": "s1",
                        "location_id": "l1",
                        "organization_id": "o1",
                        "name": "Schuldhulp",
                        "organization_name": "CAW",
                        "texts": texts,
                        "location": {"lat": 51.06, "lon": 3.72},
                        "needs": ["money", "debt"],
                        "capacity": "available",
                        "free": True,
                    },
                },
                {
                    "_id": "s2:-",
                    "_score": 1.0,
                    "matched_queries": [MATCHED_BY_AREA],
                    "_source": {"id": "s2:-", "service_id": "s2", "texts": {}},
                },
            ],
        },
        "aggregations": {
            "needs": {"buckets": [{"key": "debt", "doc_count": 2}]},
            "cost": {"buckets": [{"key": "free", "doc_count": 1}]},
        },
    }
    results = to_results(response, query)
    assert results.total == 2
    first, second = results.hits
    assert (first.match, first.distance_km, first.score) == ("distance", 1.11, 4.1235)
    assert first.matched_needs == ["debt", "money"]
    assert first.matched_terms == ["schulden"]
    assert first.highlights["description"] == "Hulp bij <mark>schulden</mark>"
    assert (second.match, second.distance_km, second.lat, second.capacity) == (
        "service_area",
        None,
        None,
        "unknown",
    )
    assert results.facets["needs"] == {"debt": 2}
    assert results.facets["target_groups"] == {}


def test_suggestions() -> None:
    assert suggest_body("  ", 8) is None
    body = suggest_body("Café", 8)
    assert body is not None
    completion = body["suggest"]["organizations"]["completion"]
    assert body["suggest"]["organizations"]["prefix"] == "cafe"
    assert "fuzzy" not in completion
    assert "fuzzy" in suggest_body("vlaandren", 8)["suggest"]["organizations"]["completion"]  # type: ignore[index]
    options = [
        {"text": "caw oost", "_source": {"organization_id": "o2", "organization_name": "CAW Oost"}},
        {"text": "cam", "_source": {"organization_id": "o3", "organization_name": "Cam"}},
        {"text": "caw", "_source": {"organization_id": "o1", "organization_name": "CAW"}},
        {"text": "caw", "_source": {"organization_id": "o1", "organization_name": "CAW"}},
    ]
    response = {"suggest": {"organizations": [{"options": options}]}}
    labels = [s.label for s in to_suggestions(response, "caw", 8)]
    assert labels == ["CAW", "CAW Oost", "Cam"]  # exact prefix first, then shorter first
    assert len(to_suggestions(response, "caw", 1)) == 1


def test_mapping_and_source() -> None:
    vocabulary = NeedVocabulary(
        [NeedTerm("debt", None, {"nl": "Schulden"}, {"nl": ("schuldhulp", "budgetbeheer")})]
    )
    assert synonym_rules(vocabulary, "nl") == ["schuld, schuldhulp, budgetbeher"]
    assert synonym_rules(vocabulary, "fr") == []
    settings = index_settings(vocabulary)
    assert settings["analysis"]["analyzer"]["stems_search_nl"]["filter"] == ["synonyms_nl"]
    assert settings["analysis"]["analyzer"]["stems_search_fr"]["filter"] == []
    properties = index_mappings()["properties"]
    assert properties["hours"] == {"type": "integer_range"}
    assert properties["name_nl"]["search_analyzer"] == "stems_search_nl"
    doc = IndexDocument(
        id="s1:-",
        service_id="s1",
        location_id=None,
        organization_id="o1",
        name="Schuldhulp",
        organization_name="CAW Oost",
        texts={"nl": {"name": "Schuldhulp", "body": "Begeleiding bij schulden"}},
        hours=[(540, 1020), (600, 600)],
        closures=[(dt.date(2026, 12, 24), dt.date(2026, 12, 26))],
        updated=dt.datetime(2026, 1, 1),
    )
    source = to_source(doc)
    assert source["body_nl"] == "begeleid schuld"
    assert "location" not in source and "free" not in source and "location_id" not in source
    assert source["cost"] == "unknown"
    assert source["hours"] == [{"gte": 540, "lt": 1020}]
    assert source["closures"] == [{"gte": "2026-12-24", "lte": "2026-12-26"}]
    assert source["updated"] == "2026-01-01T00:00:00+00:00"
    assert source["suggest"]["input"] == ["caw oost", "oost"]
