"""The search contract: every backend answers these the same way.

Queries are built with the app's own resolver (``socialmap.logic.search.build_query``), so
need recognition and place resolution are part of what is checked.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from search_fixtures import NOW
from search_fixtures import documents

from search.backend import SearchBackend
from search.embedded import EmbeddedBackend
from search.query import Results
from search.scoring import haversine_km
from socialmap.logic.search import build_query
from socialmap.logic.search import resolve_place
from socialmap.logic.search_index import need_vocabulary


@pytest.fixture(params=["embedded", "elasticsearch"])
def backend(request: pytest.FixtureRequest, tmp_path: Any) -> SearchBackend:
    if request.param == "embedded":
        engine: SearchBackend = EmbeddedBackend(tmp_path / "index.sqlite")
    else:
        engine = request.getfixturevalue("elastic_backend")
    engine.rebuild(documents(), need_vocabulary())
    return engine


def run(backend: SearchBackend, **args: Any) -> Results:
    args.setdefault("per_page", 50)
    return backend.search(build_query(args, now=args.pop("now", NOW)))


def services(results: Results) -> list[str]:
    return [hit.service_id for hit in results.hits]


def test_need_found_through_a_synonym_not_in_the_text(backend):
    results = run(backend, q="eenzaam")
    hit = next(h for h in results.hits if h.service_id == "svc-visit")
    assert "eenzaam" not in " ".join(documents()[1].texts["nl"].values()).lower()
    assert hit.matched_needs == ["visiting-buddy"]
    assert "svc-debt" not in services(results)


def test_parent_need_includes_its_children(backend):
    results = run(backend, need=["social-contact"])
    assert services(results) == ["svc-visit"]
    assert run(backend, need=["visiting-buddy"]).total == 1
    assert run(backend, need=["debt-money"]).hits[0].service_id == "svc-debt"


def test_dutch_stemming_matches_inflected_words(backend):
    # The text says "schulden"; the query says "schuld".
    assert "svc-debt" in services(run(backend, q="schuld budgetbeheer"))
    assert "svc-night" in services(run(backend, q="dakloze"))  # "daklozen" in the text


def test_stop_words_of_any_language_do_not_exclude_services(backend):
    # "bij" is a Dutch stop word but no French one: it must not be required anywhere.
    assert "svc-debt" in services(run(backend, q="hulp bij schulden"))
    assert "svc-familiale" in services(run(backend, q="aide pour familles", capacity="any"))


def test_typo_still_finds_the_service(backend):
    assert "svc-debt" in services(run(backend, q="budgetbehher"))
    assert "svc-visit" in services(run(backend, q="vrijwiligers"))


def test_french_query_and_accent_folding(backend):
    results = run(backend, q="aide à domicile")
    assert "svc-familiale" in services(run(backend, q="aide a domicile", capacity="any"))
    assert "svc-familiale" not in services(results)  # it is full: hidden by default
    assert "svc-debt" in services(run(backend, q="endettées"))  # French stemming


def test_distance_filter_and_sort(backend):
    place = resolve_place("8400", None, None)
    expected = {
        d.service_id
        for d in documents()
        if {"parenting-support", "youth-support"} & set(d.needs)
        and haversine_km(place.lat, place.lon, d.lat, d.lon) <= 3
    }
    results = run(backend, place="8400", radius_km=3, sort="distance", need=["parenting"])
    distances = [h.distance_km for h in results.hits]
    assert 5 < len(expected) < 26  # the radius cuts the fixture
    assert set(services(results)) == expected
    assert distances == sorted(distances)
    assert all(h.match == "distance" and h.distance_km <= 3 for h in results.hits)
    far = run(backend, place="Brugge", radius_km=5)
    assert "svc-debt" not in services(far) and "svc-visit" in services(far)


def test_service_area_covers_a_person_far_from_the_office(backend):
    results = run(backend, place="8400 Oostende", radius_km=10, need=["psychological-support"])
    (hit,) = results.hits
    assert hit.service_id == "svc-province"
    assert hit.match == "service_area"
    assert hit.distance_km > 40


def test_service_area_excludes_people_outside_it(backend):
    # Bredene's cleaning service is 4 km away but serves only Bredene.
    near_oostende = run(backend, place="8400", radius_km=10, need=["home-help"])
    assert near_oostende.total == 0
    in_bredene = run(backend, place="Bredene", radius_km=10, need=["home-help"])
    assert services(in_bredene) == ["svc-bredene"]


def test_confidential_location_never_gives_its_position(backend):
    results = run(backend, place="8400", need=["violence-shelter"])
    (hit,) = results.hits
    assert hit.service_id == "svc-shelter"
    assert (hit.lat, hit.lon, hit.distance_km) == (None, None, None)
    assert hit.match == "service_area"
    assert run(backend, place="Brugge", need=["violence-shelter"]).total == 0


def test_age_target_group_and_language_filters(backend):
    assert "svc-visit" not in services(run(backend, q="bezoek", age=40))
    assert "svc-visit" in services(run(backend, q="bezoek", age=70))
    assert "svc-youth" not in services(run(backend, need=["youth-support"], age=30))
    assert services(run(backend, need=["youth-support"], age=17)) == ["svc-youth"]
    families = run(backend, target_group=["families"])
    assert "svc-visit" not in services(families)  # for seniors only
    assert "svc-debt" in services(families)  # no target group: open to everyone
    english = run(backend, language="en")
    assert services(english) == ["svc-youth"]


def test_free_and_accepts_referrals_filters(backend):
    paid = run(backend, free=False)
    assert services(paid) == ["svc-youth"]
    referrals = set(services(run(backend, accepts_referrals=True)))
    assert referrals == {"svc-debt", "svc-youth"}


def test_open_now_with_a_frozen_clock(backend):
    monday_morning = set(services(run(backend, open_now=True)))  # NOW: Monday 11:30
    assert {"svc-debt", "svc-province"} <= monday_morning
    assert "svc-youth" not in monday_morning  # opens at 13:00 (and is closed today)
    assert "svc-night" not in monday_morning
    assert "svc-visit" not in monday_morning  # no opening hours known
    tuesday_afternoon = dt.datetime(2026, 11, 24, 14, 0)  # Brussels time
    assert "svc-youth" in services(run(backend, open_at=tuesday_afternoon))
    sunday_night = dt.datetime(2026, 11, 29, 23, 30)
    assert services(run(backend, open_at=sunday_night)) == ["svc-night"]
    monday_early = dt.datetime(2026, 11, 30, 6, 0)  # Sunday's night shift runs into Monday
    assert services(run(backend, open_at=monday_early)) == ["svc-night"]


def test_full_services_hidden_unless_asked(backend):
    assert "svc-familiale" not in services(run(backend))
    assert "svc-familiale" in services(run(backend, capacity="any"))
    available = set(services(run(backend, capacity="available")))
    assert available == {"svc-debt", "svc-shelter"}


def test_facets_count_every_match_not_only_the_page(backend):
    results = run(backend, place="8400", radius_km=10, per_page=5)
    assert len(results.hits) == 5
    # 25 family services, debt, youth, shelter, and the province-wide CAW of Kortrijk
    assert results.total == 29
    assert results.facets["needs"]["parenting-support"] == 25
    assert results.facets["municipality"] == {"35013": 28, "34022": 1}
    assert results.facets["capacity"] == {"unknown": 27, "available": 2}
    assert results.facets["cost"] == {"unknown": 26, "free": 2, "paid": 1}
    assert results.facets["languages"]["en"] == 1
    assert results.facets["target_groups"] == {"families": 25, "youth": 1}


def test_pagination_is_stable_and_complete(backend):
    seen: list[str] = []
    for page in (1, 2, 3):
        results = run(backend, q="gezin ondersteuning", page=page, per_page=10)
        assert results.total == 25
        seen += [h.id for h in results.hits]
    assert len(seen) == len(set(seen)) == 25


def test_common_word_ranks_by_text_and_freshness(backend):
    results = run(backend, q="hulp")
    assert results.total == 27  # debt ("Hulp"), youth ("hulp"), 25 family services
    family = [h for h in results.hits if h.service_id.startswith("svc-family")]
    # Same text: the freshest listing first.
    assert family[0].service_id == "svc-family00"
    assert family[-1].service_id == "svc-family24"


def test_hits_carry_matches_and_highlights(backend):
    (hit,) = run(backend, q="schulden", place="8400", radius_km=3).hits
    assert hit.service_id == "svc-debt"
    assert hit.organization_id == "org-CAW Kust"
    assert hit.matched_needs == ["debt-counselling"]
    assert "schulden" in hit.matched_terms
    assert "<mark>schulden</mark>" in hit.highlights["description"]
    assert hit.match == "distance" and hit.distance_km is not None and hit.distance_km < 1


def test_writes_are_seen_by_the_next_search(backend):
    doc = documents()[0]
    doc.capacity = "full"
    backend.upsert([doc])
    assert "svc-debt" not in services(run(backend, q="schulden"))
    backend.delete_services(["svc-visit"])
    assert run(backend, need=["visiting-buddy"]).total == 0
    assert "svc-visit:loc-visit" not in backend.ids()
    assert len(backend.ids()) == len(documents()) - 1


def test_organisation_filter(backend):
    results = run(backend, organization_id="org-Huis van het Kind 0")
    assert results.total == 5
    assert {h.organization_id for h in results.hits} == {"org-Huis van het Kind 0"}


def test_suggest_organisations_by_word_prefix(backend):
    labels = [s.label for s in backend.suggest("vluchth")]
    assert labels == ["Vluchthuis Kust"]
    assert "CAW Kust" in [s.label for s in backend.suggest("kust")]
