"""Site-matching rules found on the labelled SiloBuster pairs, with Belgian and US examples."""

from __future__ import annotations

from pathlib import Path

import benchmark_scripts

from importers.matching import LocationProfile
from importers.matching import Matcher
from importers.matching import score_locations
from importers.matching.common import names_conflict

REPO = Path(__file__).resolve().parents[2]


def _merge_quality():
    return benchmark_scripts.load("merge_quality")


def be_site(pid: str, **kw) -> LocationProfile:
    base = dict(street="Kerkstraat", house_number="12", postcode="9000", city="Gent")
    base.update(kw)
    return LocationProfile(id=pid, **base)


def us_site(pid: str, **kw) -> LocationProfile:
    base = dict(street="Central Avenue", house_number="210", postcode="98225", city="Bellingham")
    base.update(kw)
    return LocationProfile(id=pid, **base)


def test_names_conflict_needs_a_specific_word_on_both_sides():
    assert names_conflict("vrije basisschool ronse", "vrije basisschool els")
    assert names_conflict("north sound cooling centrum", "bellingham public library")
    assert not names_conflict("sea mar", "sea mar ferndale")  # one only adds a word
    assert not names_conflict("caw", "ocmw")  # nothing specific on either side
    assert not names_conflict("kerkhof", "kerkhof")


def test_a_shared_site_name_does_not_join_two_organisations():
    # A legal clinic held in the library: one building, two organisations' service points.
    a = us_site("a", org_name="Bellingham Public Library", name="Bellingham Public Library")
    b = us_site("b", org_name="Law Advocates", name="Law Advocates at Bellingham Public Library")
    result = score_locations(a, b)
    assert result.decision == "review"
    assert result.features["name"] < 0.5
    # The same in Flanders: a CAW consultation in the library of Ledeberg.
    a = be_site("a", org_name="Bibliotheek Gent", name="Bibliotheek Ledeberg")
    b = be_site("b", org_name="CAW Oost-Vlaanderen", name="Bibliotheek Ledeberg")
    assert score_locations(a, b).decision == "review"


def test_a_site_name_still_bridges_organisation_names_that_do_not_conflict():
    # "Laurel Church" is short for the church one source names in full.
    a = us_site("a", org_name="Laurel Church", name="Laurel Community Baptist Church")
    b = us_site("b", org_name="Laurel Community Baptist Church", name="162 W Laurel Rd")
    assert score_locations(a, b).decision == "merge"
    a = be_site("a", org_name="WGC De Sleep vzw", name="Wijkgezondheidscentrum De Sleep")
    b = be_site("b", org_name="Wijkgezondheidscentrum De Sleep")
    assert score_locations(a, b).decision == "merge"


def test_a_qualifier_in_brackets_or_after_a_dash_names_the_branch():
    a = us_site("a", org_name="Unity Care Northwest", street="Portal Way", house_number="6060")
    b = us_site(
        "b",
        org_name="Unity Care NW (Ferndale Health Center)",
        street="Portal Way",
        house_number="6060",
    )
    result = score_locations(a, b)
    assert result.features["name"] == 1.0
    assert result.decision == "merge"
    a = be_site("a", org_name="CAW Oost-Vlaanderen")
    b = be_site("b", org_name="CAW Oost-Vlaanderen - Onthaal Gent")
    assert score_locations(a, b).decision == "merge"
    # A dash inside a word is no qualifier, and a generic core ("CAW") is no name.
    c = be_site("c", org_name="CAW (Gent)")
    assert score_locations(a, c).features["name"] < 1.0


def test_different_rooms_of_organisations_not_known_to_be_one_are_held_for_review():
    # Two programmes of one parent in different suites: the names agree on the parent.
    a = us_site(
        "a",
        org_name="Public Health - Seattle & King County's HIV/STD Program",
        street="5th Ave",
        house_number="401",
        address_2="Suite 1250",
        postcode="98104",
    )
    b = us_site(
        "b",
        org_name="Public Health - Seattle & King County's Environmental Health",
        street="5th Avenue",
        house_number="401",
        address_2="Suite 1100",
        postcode="98104",
    )
    result = score_locations(a, b)
    assert result.decision == "review"
    assert result.reasons[0] == "different room/suite of organisations not known to be one"
    same_suite = score_locations(a, LocationProfile(**{**b.__dict__, "address_2": "Suite 1250"}))
    assert same_suite.decision == "merge"
    a = be_site("a", org_name="OCMW Gent - Sociale Dienst", box="1")
    b = be_site("b", org_name="OCMW Gent - Thuiszorg", box="2")
    assert score_locations(a, b).decision == "review"
    # One organisation (same id) in two rooms stays one site.
    a = be_site("a", organization_id="o1", org_name="OCMW Gent", box="1")
    b = be_site("b", organization_id="o1", org_name="OCMW Gent", box="2")
    assert score_locations(a, b).decision == "merge"


def test_matcher_returns_a_held_pair_as_a_review():
    m = Matcher("location")
    m.add(be_site("old", org_name="OCMW Gent - Sociale Dienst", box="1"))
    found = m.best_match(be_site("new", org_name="OCMW Gent - Thuiszorg", box="2"))
    assert found is not None
    assert found[0] == "old" and found[1].decision == "review"


def test_us_street_forms_and_units_are_one_address():
    mq = _merge_quality()
    assert mq.split_address_1("1616 cornwall ave,ste. 205", None) == (
        "cornwall ave",
        "1616",
        "ste. 205",
    )
    assert mq.split_address_1("600 lakeway dr suite 100", None) == (
        "lakeway dr",
        "600",
        "suite 100",
    )
    a = us_site("a", org_name="Unity Care NW", street="Cornwall Ave.", house_number="1616")
    b = us_site(
        "b",
        org_name="Unity Care Northwest",
        street="cornwall avenue",
        house_number="1616",
        address_2="ste 205",
    )
    result = score_locations(a, b)
    assert result.features["street"] == 1.0 and result.decision == "merge"


def test_label_consistency_counts_what_no_site_definition_can_satisfy():
    mq = _merge_quality()
    a, b, c = ({"name": n, "address_1": "1 a st"} for n in "abc")
    # a=b, b=c but a!=c, and a=b is also labelled a!=b: splitting off a gives up one label.
    pairs = [(a, b, True), (b, c, True), (a, c, False), (a, b, False)]
    report = mq.consistency(pairs)
    assert report["pairs_labelled_both_ways"] == 1
    assert report["distinct_inside_match_chain"] == 1
    assert report["min_labels_contradicting_any_site_definition"] == 1
    best = report["any_site_definition"]["best_recall_at_precision_1"]
    assert best["fp"] == 0 and best["recall"] == 0.5


def test_benchmark_reports_the_attainable_ceiling():
    mq = _merge_quality()
    report = mq.evaluate(REPO / "tests" / "data" / "labels")
    audit = report["combined"]["label_audit"]
    for key in ("site_definition_ceiling", "any_site_definition", "by_signature"):
        assert key in audit
    ceiling = audit["any_site_definition"]["best_recall_at_precision_1"]
    assert 0.0 < ceiling["recall"] < 1.0
    # Labels contradict each other: even a perfect partition into sites loses some.
    assert audit["min_labels_contradicting_any_site_definition"] > 0
