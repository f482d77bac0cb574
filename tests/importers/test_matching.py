"""Behaviour of the record-linkage engine (importers.keys, importers.matching)."""

from __future__ import annotations

from pathlib import Path

import benchmark_scripts
import pytest
from geopy.distance import geodesic

from importers import keys
from importers.matching import DEFAULT_THRESHOLDS
from importers.matching import LocationProfile
from importers.matching import Matcher
from importers.matching import OrgProfile
from importers.matching import PairScore
from importers.matching import ServiceProfile
from importers.matching import Thresholds
from importers.matching import distance_m
from importers.matching import name_similarity
from importers.matching import score_locations
from importers.matching import score_organizations
from importers.matching import score_services

REPO = Path(__file__).resolve().parents[2]
LABELS_DIR = REPO / "tests" / "data" / "labels"

# Valid KBO numbers (mod-97 check digits).
KBO_A = "0212.347.945"
KBO_B = "0403.170.701"


def _merge_quality():
    return benchmark_scripts.load("merge_quality")


def org(pid: str, name: str, **kw) -> OrgProfile:
    return OrgProfile(id=pid, name=name, **kw)


def site(pid: str, **kw) -> LocationProfile:
    base = dict(
        org_name="Wijkgezondheidscentrum De Sleep",
        street="Kerkstraat",
        house_number="12",
        postcode="9000",
        city="Gent",
    )
    base.update(kw)
    return LocationProfile(id=pid, **base)


# ---------------------------------------------------------------------------------------
# keys


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("CAW Oost-Vlaanderen vzw", "C.A.W. Oost-Vlaanderen"),
        ("Centrum Algemeen Welzijnswerk Oost-Vlaanderen", "CAW Oost-Vlaanderen"),
        ("OCMW Brussel", "CPAS Brussel"),
        ("St.-Vincentius VZW", "Sint-Vincentius"),
        ("Saint Vincent de Paul", "St. Vincent de Paul"),
        ("Dienstencentrum 't Kasteeltje", "DIENSTENCENTRUM KASTEELTJE"),
        ("Ctr. voor Volwassenenonderwijs", "Centrum voor Volwassenenonderwijs"),
        ("Café Ça Va asbl", "Cafe Ca Va"),
    ],
)
def test_name_key_ignores_legal_forms_stop_words_and_spelling(a, b):
    assert keys.name_key(a) == keys.name_key(b)
    assert keys.name_key(a) != ""


def test_name_key_keeps_distinguishing_words():
    assert keys.name_key("CAW Oost-Vlaanderen") != keys.name_key("CAW West-Vlaanderen")
    assert keys.name_tokens("CAW Oost-Vlaanderen vzw") == frozenset({"caw", "oost", "vlaanderen"})


def test_fold_handles_accents_punctuation_and_other_scripts():
    assert keys.fold("  Rue de l'Église, n°5 ") == "rue de leglise n 5"
    assert keys.fold("Straße") == "strasse"
    assert keys.fold("Привет, мир") == "привет мир"
    assert keys.fold(None) == ""


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Kerkstraat", "Kerkstr."),
        ("Gentse Steenweg", "Gentsesteenweg"),
        ("Gentse Stwg.", "Gentse steenweg"),
        ("Sint-Pietersplein", "St.-Pietersplein"),
        ("Rue de la Loi", "R. de la Loi"),
        ("Avenue Louise", "Av. Louise"),
        ("Boulevard du Régent", "Bd du Regent"),
        ("northeast 1st street", "NE 1st St"),
        ("south british columbia avenue", "S British Columbia Ave"),
    ],
)
def test_street_key_normalises_street_types(a, b):
    assert keys.compare_streets(keys.street_key(a), keys.street_key(b)) == "same"


def test_st_is_saint_at_the_start_and_street_at_the_end():
    assert keys.street_key("St. Jansstraat").startswith("sint ")
    assert keys.street_key("516 High St").endswith(" st")


def test_different_streets_stay_different():
    def cmp(a, b):
        return keys.compare_streets(keys.street_key(a), keys.street_key(b))

    assert cmp("2nd Ave S", "2nd Ave SW") == "different"
    assert cmp("Veldstraat", "Weldstraat") == "different"
    assert cmp("Meridian Street", "Meridian Avenue") == "different"
    assert cmp("NE 85th St", "NE 86th St") == "different"
    assert cmp("Kerkstraat", "Kerkstaat") == "same"  # a typo
    assert cmp("Central", "Central Avenue") == "compatible"


def test_house_number_key():
    assert keys.house_number_key("12A") == "12a"
    assert keys.house_number_key("12 a") == "12a"
    assert keys.house_number_key("12 bus 3") == "12"
    assert keys.house_number_key("012") == "12"
    assert keys.house_number_key("12-14") == "12-14"
    assert keys.house_number_key("z/n") is None
    assert keys.compare_house_numbers("12-14", "14") == "same"
    assert keys.compare_house_numbers("12", "12a") == "suffix"
    assert keys.compare_house_numbers("12", "14") == "different"
    assert keys.compare_house_numbers("12", None) is None


def test_domains_and_kbo():
    assert keys.web_domain("https://www.caw.be/contact") == "caw.be"
    assert keys.email_domain("info@oostvlaanderen.caw.be") == "caw.be"
    assert keys.web_domain("http://foo.example.co.uk/x") == "example.co.uk"
    assert keys.is_generic_domain("gmail.com") and keys.is_generic_domain("telenet.be")
    assert not keys.is_generic_domain("caw.be")
    assert keys.kbo_is_valid(KBO_A) and keys.kbo_is_valid(KBO_B)
    assert not keys.kbo_is_valid("0212.347.946")
    assert keys.kbo_key("BE 0212 347 945") == "0212347945"
    assert keys.digits("+32 9 123 45 67") == "3291234567"


def test_distance_agrees_with_geopy_geodesic():
    for (lat1, lon1), (lat2, lon2) in [
        ((51.0543, 3.7174), (51.0548, 3.7180)),  # ~70 m in Gent
        ((51.0543, 3.7174), (51.2194, 4.4025)),  # Gent - Antwerpen
        ((48.7519, -122.4787), (47.6062, -122.3321)),  # Bellingham - Seattle
    ]:
        expected = geodesic((lat1, lon1), (lat2, lon2)).meters
        assert distance_m(lat1, lon1, lat2, lon2) == pytest.approx(expected, rel=0.005)


def test_name_similarity_discounts_shared_generic_words():
    a = keys.name_key("Vrije Basisschool Ronse")
    b = keys.name_key("Vrije Basisschool Het Els")
    assert name_similarity(a, b) < 0.55
    typo = keys.name_key("Lokaal Dienstencentrum De Regenbog")
    assert name_similarity(keys.name_key("Lokaal Dienstencentrum De Regenboog"), typo) > 0.9


# ---------------------------------------------------------------------------------------
# organisations


def test_same_kbo_merges_despite_different_names():
    a = org("a", "Centrum voor Volwassenenonderwijs Gent", kbo=KBO_A)
    b = org("b", "CVO Leerstad", kbo="0212347945")
    result = score_organizations(a, b, DEFAULT_THRESHOLDS)
    assert isinstance(result, PairScore)
    assert result.decision == "merge"
    assert result.features["kbo"] == 1.0
    assert "same KBO number" in result.reasons


def test_different_valid_kbo_is_a_strong_non_match():
    same = dict(phones=frozenset({"+3292662000"}), postcodes=frozenset({"9000"}))
    a = org("a", "OCMW Gent", kbo=KBO_A, **same)
    b = org("b", "OCMW Gent", kbo=KBO_B, **same)
    result = score_organizations(a, b)
    assert result.decision == "distinct"
    assert result.reasons[0] == "different KBO number"
    assert result.score < DEFAULT_THRESHOLDS.review


def test_invalid_kbo_is_not_comparable():
    a = org("a", "OCMW Gent", kbo="0212.347.946", postcodes=frozenset({"9000"}))
    b = org("b", "OCMW Gent", kbo=KBO_B, postcodes=frozenset({"9000"}))
    result = score_organizations(a, b)
    assert result.features["kbo"] is None
    assert result.decision == "merge"


def test_legal_form_insensitive_organisation_names():
    a = org("a", "CAW Oost-Vlaanderen vzw", postcodes=frozenset({"9000"}))
    b = org("b", "C.A.W. Oost-Vlaanderen", postcodes=frozenset({"9000"}))
    result = score_organizations(a, b)
    assert result.features["name"] == 1.0
    assert result.decision == "merge"
    other = org("c", "CAW West-Vlaanderen", postcodes=frozenset({"8000"}))
    assert score_organizations(a, other).decision == "distinct"


def test_missing_features_do_not_lower_the_score():
    base_a = org("a", "Jeugdhuis De Kelder", postcodes=frozenset({"2000"}))
    base_b = org("b", "Jeugdhuis De Kelder", postcodes=frozenset({"2000"}))
    base = score_organizations(base_a, base_b)
    # Extra data on one side only: nothing to compare, so nothing changes.
    richer_a = org(
        "a",
        "Jeugdhuis De Kelder",
        postcodes=frozenset({"2000"}),
        phones=frozenset({"+3232000000"}),
        emails=frozenset({"info@dekelder.be"}),
        kbo=KBO_A,
        lat=51.22,
        lon=4.40,
    )
    one_sided = score_organizations(richer_a, base_b)
    assert one_sided.score == pytest.approx(base.score)
    assert one_sided.features["phone"] is None
    assert one_sided.features["kbo"] is None
    assert one_sided.features["distance_m"] is None
    # The same holds for sites.
    plain = score_locations(site("a"), site("b"))
    with_extra = score_locations(
        site("a", lat=51.05, lon=3.72, phones=frozenset({"+329"})), site("b")
    )
    assert with_extra.score == pytest.approx(plain.score)


def test_agreeing_evidence_raises_the_score():
    a = org("a", "Jeugdhuis De Kelder", phones=frozenset({"+3232000000"}))
    b = org("b", "Jeugdhuis De Kelder", phones=frozenset({"+3232000000"}))
    c = org("c", "Jeugdhuis De Kelder")
    assert score_organizations(a, b).score > score_organizations(a, c).score


# ---------------------------------------------------------------------------------------
# locations


def test_different_house_numbers_on_the_same_street_are_distinct():
    a = site("a", organization_id="o1")
    b = site("b", organization_id="o1", house_number="14", street="Kerkstr.")
    result = score_locations(a, b)
    assert result.decision == "distinct"
    assert result.score < DEFAULT_THRESHOLDS.review
    assert "different house number" in result.reasons


def test_same_site_different_room_merges():
    a = site("a", organization_id="o1", name="Huisartsen", address_2="Lokaal 1.04")
    b = site("b", organization_id="o1", name="Psychologen", address_2="2de verdieping", box="3")
    result = score_locations(a, b)
    assert result.decision == "merge"
    assert result.features["unit"] == 0.0


def test_same_address_of_unrelated_organisations_goes_to_review():
    a = site("a", org_name="Wijkgezondheidscentrum De Sleep")
    b = site("b", org_name="Kinderopvang Het Speelhuis")
    assert score_locations(a, b).decision == "review"
    # ... and two tenants in different units of the building are two sites.
    a_unit = site("a", org_name="Wijkgezondheidscentrum De Sleep", box="1")
    b_unit = site("b", org_name="Kinderopvang Het Speelhuis", box="2")
    result = score_locations(a_unit, b_unit)
    assert result.decision == "distinct"
    assert "different room/suite" in result.reasons


def test_location_written_differently_still_merges():
    a = site("a", lat=51.0500, lon=3.7200)
    b = site(
        "b",
        org_name="WGC De Sleep vzw",
        name="Wijkgezondheidscentrum De Sleep",
        street="Kerkstr.",
        house_number="12",
        postcode=None,
        lat=51.0501,
        lon=3.7201,
    )
    result = score_locations(a, b)
    assert result.decision == "merge"
    assert result.features["street"] == 1.0


def test_far_apart_sites_with_the_same_name_are_distinct():
    a = site("a", street=None, house_number=None, postcode=None, city=None, lat=51.05, lon=3.72)
    b = site("b", street=None, house_number=None, postcode=None, city=None, lat=51.21, lon=4.40)
    result = score_locations(a, b)
    assert result.decision == "distinct"
    assert any(r.endswith("km apart") for r in result.reasons)


# ---------------------------------------------------------------------------------------
# services


def test_services_never_match_across_organisations():
    a = ServiceProfile(
        id="s1", organization_id="o1", name="Schuldbemiddeling", url="https://x.be/s"
    )
    b = ServiceProfile(
        id="s2", organization_id="o2", name="Schuldbemiddeling", url="https://x.be/s"
    )
    assert score_services(a, b).decision == "distinct"
    orphan = ServiceProfile(id="s3", organization_id=None, name="Schuldbemiddeling")
    assert score_services(orphan, orphan).decision == "distinct"
    m = Matcher("service")
    m.add(a)
    assert m.best_match(b) is None
    same_org = ServiceProfile(id="s4", organization_id="o1", name="Schuldbemiddeling vzw")
    found = m.best_match(same_org)
    assert found is not None and found[0] == "s1" and found[1].decision == "merge"


def test_different_services_of_one_organisation_stay_apart():
    a = ServiceProfile(id="s1", organization_id="o1", name="Budgetbegeleiding")
    b = ServiceProfile(id="s2", organization_id="o1", name="Psychologische consultatie")
    assert score_services(a, b).decision == "distinct"


# ---------------------------------------------------------------------------------------
# Matcher


def test_matcher_finds_duplicate_and_never_returns_itself():
    m = Matcher("organization")
    a = org("a", "OCMW Zottegem", postcodes=frozenset({"9620"}), phones=frozenset({"+329364"}))
    m.add(a)
    assert m.best_match(a) is None  # only itself is filed
    assert "a" not in m.candidates(a)
    dup = org("b", "O.C.M.W. Zottegem", postcodes=frozenset({"9620"}))
    found = m.best_match(dup)
    assert found is not None and found[0] == "a"
    m.add(dup)
    # A changed version of an already filed profile is not its own duplicate.
    changed = org("a", "OCMW Zottegem vzw", postcodes=frozenset({"9620"}))
    found = m.best_match(changed)
    assert found is not None and found[0] == "b"
    assert len(m) == 2


def test_matcher_remove_and_replace():
    m = Matcher("organization")
    a = org("a", "Voedselbank Aalst", postcodes=frozenset({"9300"}))
    m.add(a)
    m.add(org("a", "Voedselbank Aalst", postcodes=frozenset({"9300"})))  # replaces
    assert len(m) == 1
    probe = org("x", "Voedselbank Aalst vzw", postcodes=frozenset({"9300"}))
    assert m.best_match(probe)[0] == "a"
    m.remove("a")
    m.remove("unknown")  # no-op
    assert len(m) == 0
    assert m.best_match(probe) is None
    assert m.candidates(probe) == []


def test_generic_email_domain_does_not_block_everyone_together():
    m = Matcher("organization")
    for i in range(120):
        m.add(org(f"g{i}", f"Vereniging Nummer{i}", emails=frozenset({f"club{i}@gmail.com"})))
    probe = org("p", "Vereniging Anders", emails=frozenset({"anders@gmail.com"}))
    assert len(m.candidates(probe)) < 10
    # A big organisation's own domain shared by many: the block is dropped when too big.
    big = Matcher("organization", max_block=50)
    for i in range(80):
        big.add(org(f"v{i}", f"Agentschap Dienst{i}", emails=frozenset({f"d{i}@vlaanderen.be"})))
    probe = org("q", "Agentschap Nieuw", emails=frozenset({"nieuw@vlaanderen.be"}))
    assert len(big.candidates(probe)) < 50
    assert big.dropped_keys >= 1


def test_matcher_finds_copy_without_postcode_through_coordinates():
    m = Matcher("location")
    a = site("a", lat=51.0500, lon=3.7200)
    m.add(a)
    copy = site("b", postcode=None, city=None, street="Kerkstr", lat=51.0502, lon=3.7203)
    assert "a" in m.candidates(copy)
    found = m.best_match(copy)
    assert found is not None and found[0] == "a" and found[1].decision == "merge"


def test_matcher_prefers_the_right_site_of_an_organisation():
    m = Matcher("location")
    m.add(site("k12", organization_id="o1"))
    m.add(site("k14", organization_id="o1", house_number="14"))
    found = m.best_match(site("new", organization_id="o1", street="Kerkstr.", house_number="14"))
    assert found is not None and found[0] == "k14"


def test_unknown_kind_is_rejected():
    with pytest.raises(ValueError):
        Matcher("person")


def test_thresholds_decide():
    th = Thresholds(auto_merge=0.9, review=0.6)
    assert th.decide(0.95) == "merge"
    assert th.decide(0.7) == "review"
    assert th.decide(0.2) == "distinct"
    with pytest.raises(ValueError):
        Thresholds(auto_merge=0.5, review=0.9)


def test_stricter_thresholds_turn_merges_into_reviews():
    a = org("a", "Jeugdhuis De Kelder", postcodes=frozenset({"2000"}))
    b = org("b", "Jeugdhuis De Kelder", postcodes=frozenset({"2000"}))
    assert score_organizations(a, b).decision == "merge"
    strict = Thresholds(auto_merge=0.995, review=0.5)
    assert score_organizations(a, b, strict).decision == "review"


# ---------------------------------------------------------------------------------------
# Human-labelled pairs (tests/data/labels, see NOTICE.md)


@pytest.fixture(scope="module")
def label_report():
    return _merge_quality().evaluate(LABELS_DIR)


def test_labelled_pairs_beat_the_baseline(label_report):
    ours = label_report["combined"]["ours"]
    base = label_report["combined"]["baseline"]
    assert ours["precision"] > base["precision"]
    assert ours["f1"] > base["f1"]
    assert label_report["combined"]["ours_merge_or_review_recall"] > base["recall"]


def test_labelled_pairs_follow_the_site_rules():
    mq = _merge_quality()
    for filename in mq.LABEL_FILES.values():
        for a, b, _ in mq.load_pairs(LABELS_DIR / filename):
            pa, pb = mq.to_profile(a, "a"), mq.to_profile(b, "b")
            number = keys.compare_house_numbers(
                keys.house_number_key(pa.house_number), keys.house_number_key(pb.house_number)
            )
            street = keys.compare_streets(keys.street_key(pa.street), keys.street_key(pb.street))
            result = score_locations(pa, pb)
            if number == "different" and street in ("same", "compatible"):
                assert result.decision == "distinct", (a, b)
            same_org = pa.organization_id and pa.organization_id == pb.organization_id
            if same_org and number == "same" and street == "same" and pa.postcode == pb.postcode:
                assert result.decision == "merge", (a, b)
