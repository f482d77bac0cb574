"""Tests for socialmap.gazetteer against the shipped Belgian gazetteer (2025 municipalities).

Expected values are real-world facts (NIS codes, postcodes, the 1 January 2025 mergers), so a
wrong join or a regenerated file with mangled data fails here.
"""

from __future__ import annotations

import csv
import math
import re

import pytest

from socialmap.gazetteer import DATA_DIR
from socialmap.gazetteer import Gazetteer
from socialmap.gazetteer import get_gazetteer
from socialmap.gazetteer import name_key
from socialmap.gazetteer import normalise_postcode

FLEMISH_PROVINCES = {"VAN", "VBR", "VLI", "VOV", "VWV"}
WALLOON_PROVINCES = {"WBR", "WHT", "WLG", "WLX", "WNA"}


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return get_gazetteer()


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def all_places(gaz: Gazetteer, postcodes: list[str]) -> list:
    return [p for pc in postcodes for p in gaz.by_postcode(pc)]


# ------------------------------------------------------------------ counts and integrity


def test_municipality_counts_2025(gaz: Gazetteer) -> None:
    assert len(gaz.municipalities()) == 565
    assert len(gaz.municipalities("VLG")) == 285
    assert len(gaz.municipalities("bru")) == 19
    assert len(gaz.municipalities("WAL")) == 565 - 285 - 19


def test_municipalities_sorted_and_unique(gaz: Gazetteer) -> None:
    codes = [m.nis for m in gaz.municipalities()]
    assert codes == sorted(set(codes))
    assert all(re.fullmatch(r"\d{5}", c) for c in codes)


def test_every_postcode_maps_to_a_current_municipality(gaz: Gazetteer) -> None:
    with (DATA_DIR / "postcodes.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    postcodes = sorted({r["postcode"] for r in rows})
    assert len(postcodes) > 1100
    current = {m.nis for m in gaz.municipalities()}
    assert {r["nis"] for r in rows} == current  # no orphan code, no municipality without places
    for pc in postcodes:
        places = gaz.by_postcode(pc)
        assert places and all(p.nis in current for p in places), pc
    for m in gaz.municipalities():
        assert m.main_postcode in gaz.postcodes(m.nis), m


def test_merged_codes_are_not_current(gaz: Gazetteer) -> None:
    current = {m.nis for m in gaz.municipalities()}
    for retired in ("12030", "44040", "44043", "23023", "23024", "23032", "11007", "82005"):
        assert retired not in current
        assert gaz.current_nis(retired) in current


def test_places_lie_near_their_municipality(gaz: Gazetteer) -> None:
    """Catches places joined to a homonym elsewhere in Belgium (8400 Zandvoorde -> Zonnebeke)."""
    for m in gaz.municipalities():
        centroid = gaz.municipality_centroid(m.nis)
        assert centroid is not None
        assert 49.45 < centroid[0] < 51.55 and 2.5 < centroid[1] < 6.45, m
        for place in all_places(gaz, gaz.postcodes(m.nis)):
            if place.nis == m.nis:
                assert km((place.lat, place.lon), centroid) < 25, (place, m.name_nl)


# ------------------------------------------------------------------ spot checks


def test_oostende_8400_and_its_deelgemeenten(gaz: Gazetteer) -> None:
    places = gaz.by_postcode("8400")
    assert places[0].is_main and places[0].name_nl == "Oostende"
    assert places[0].name_fr == "Ostende"
    assert {"Oostende", "Mariakerke", "Stene", "Zandvoorde"} <= {p.name_nl for p in places}
    assert {p.nis for p in places} == {"35013"}
    assert gaz.municipality("35013").name_nl == "Oostende"
    assert km(gaz.postcode_centroid(8400), (51.2194, 2.9243)) < 5  # Oostende centre


@pytest.mark.parametrize(
    ("postcode", "nis", "name_nl"),
    [
        ("8470", "35005", "Gistel"),
        ("8430", "35011", "Middelkerke"),
        ("9820", "44088", "Merelbeke-Melle"),
        ("9090", "44088", "Merelbeke-Melle"),
        ("1000", "21004", "Brussel"),
        ("1030", "21015", "Schaarbeek"),
        ("2870", "12041", "Puurs-Sint-Amands"),
        ("9100", "46021", "Sint-Niklaas"),
        ("2070", "46030", "Beveren-Kruibeke-Zwijndrecht"),
        ("2150", "11002", "Antwerpen"),
    ],
)
def test_postcode_to_municipality(gaz: Gazetteer, postcode: str, nis: str, name_nl: str) -> None:
    main = gaz.by_postcode(postcode)[0]
    assert main.is_main
    assert main.nis == nis
    assert gaz.municipality(main.nis).name_nl == name_nl


def test_brussels_names_in_both_languages(gaz: Gazetteer) -> None:
    brussel = gaz.municipality("21004")
    assert (brussel.name_nl, brussel.name_fr) == ("Brussel", "Bruxelles")
    assert brussel.region == "BRU" and brussel.province_code == "BRU"
    schaerbeek = gaz.by_postcode("1030")[0]
    assert (schaerbeek.name_nl, schaerbeek.name_fr) == ("Schaarbeek", "Schaerbeek")
    assert gaz.find_municipality("Schaerbeek").nis == gaz.find_municipality("Schaarbeek").nis


def test_merelbeke_melle_2025_merger(gaz: Gazetteer) -> None:
    m = gaz.municipality("44088")
    assert m.name_nl == "Merelbeke-Melle" and m.province_code == "VOV" and m.region == "VLG"
    assert gaz.municipality("44040") == m  # Melle
    assert gaz.municipality("44043") == m  # Merelbeke
    assert gaz.find_municipality("Melle") == m
    assert gaz.find_municipality("Merelbeke") == m


@pytest.mark.parametrize(
    ("new", "former_postcodes"),
    [
        ("44088", {"9090", "9820"}),  # Melle, Merelbeke
        ("23106", {"1540", "1570", "1755"}),  # Herne, Galmaarden, Gooik -> Pajottegem
        ("46030", {"2070", "9120", "9150"}),  # Zwijndrecht, Beveren, Kruibeke
        ("11002", {"2000", "2150"}),  # Antwerpen absorbed Borsbeek
    ],
)
def test_postcodes_of_merged_municipality(gaz: Gazetteer, new: str, former_postcodes: set) -> None:
    assert former_postcodes <= set(gaz.postcodes(new))
    assert gaz.postcodes(new) == sorted(gaz.postcodes(new))


def test_postcodes_accept_retired_codes(gaz: Gazetteer) -> None:
    assert gaz.postcodes("23023") == gaz.postcodes("23106")  # Galmaarden -> Pajottegem
    assert gaz.postcodes("12030") == gaz.postcodes(12041)  # Puurs -> Puurs-Sint-Amands
    assert gaz.postcodes("99999") == []


def test_pajottegem_new_name(gaz: Gazetteer) -> None:
    m = gaz.municipality("23106")
    assert (m.name_nl, m.name_fr) == ("Pajottegem", "Pajottegem")
    assert gaz.find_municipality("Pajottegem") == m
    assert gaz.find_municipality("Galmaarden") == m
    assert gaz.find_municipality("Gammerages") == m  # French name of Galmaarden


def test_2019_merger_via_current_nis(gaz: Gazetteer) -> None:
    assert gaz.current_nis("12030") == "12041"  # Puurs
    assert gaz.current_nis(12034) == "12041"  # Sint-Amands
    assert gaz.current_nis("12041") == "12041"
    assert gaz.current_nis(" 35013 ") == "35013"
    assert gaz.municipality("12030").name_nl == "Puurs-Sint-Amands"
    assert gaz.find_municipality("Puurs").nis == "12041"
    # A 2019 renumbering (Mouscron 54007 -> 57096) and a 2019 merger (Neerpelt -> Pelt).
    assert gaz.municipality("54007").name_fr == "Mouscron"
    assert gaz.municipality("72025").name_nl == "Pelt"


# ------------------------------------------------------------------ names


@pytest.mark.parametrize(
    ("name", "nis"),
    [
        ("Ostende", "35013"),
        ("Sint-Niklaas", "46021"),
        ("St.-Niklaas", "46021"),
        ("st niklaas", "46021"),
        ("SINT-NIKLAAS", "46021"),
        ("Liège", "62063"),
        ("LIEGE", "62063"),
        ("liege", "62063"),
        ("Lüttich", "62063"),
        ("merelbeke melle", "44088"),
        ("MERELBEKE-MELLE", "44088"),
        ("Braine-l'Alleud", "25014"),
        ("Braine-l’Alleud", "25014"),
        ("braine l alleud", "25014"),
        ("Eigenbrakel", "25014"),
        ("Bruxelles", "21004"),
        ("Sankt Vith", "63067"),
        ("St. Vith", "63067"),
    ],
)
def test_find_municipality_ignores_accents_case_hyphens(
    gaz: Gazetteer, name: str, nis: str
) -> None:
    found = gaz.find_municipality(name)
    assert found is not None and found.nis == nis


def test_find_municipality_by_deelgemeente(gaz: Gazetteer) -> None:
    assert gaz.find_municipality("Stene").nis == "35013"
    assert gaz.find_municipality("Heist-aan-Zee").nis == "31043"  # Knokke-Heist
    assert gaz.find_municipality("Chenee").nis == "62063"  # Liège


def test_find_municipality_unknown_or_ambiguous(gaz: Gazetteer) -> None:
    assert gaz.find_municipality("Atlantis") is None
    assert gaz.find_municipality("") is None
    assert gaz.find_municipality(None) is None
    # Saint-Nicolas is Sint-Niklaas in French and a municipality near Liège.
    assert gaz.find_municipality("Saint-Nicolas") is None
    # Zandvoorde is a part of Oostende and of Zonnebeke; Mariakerke of Oostende and of Gent.
    assert gaz.find_municipality("Zandvoorde") is None
    assert gaz.find_municipality("Mariakerke") is None


def test_find_place_with_postcode(gaz: Gazetteer) -> None:
    assert gaz.find_place("Zandvoorde", "8400").nis == "35013"
    assert gaz.find_place("Zandvoorde", "8980").nis == "33037"  # Zonnebeke
    assert gaz.find_place("Mariakerke", 8400).nis == "35013"
    assert gaz.find_place("Mariakerke", "9030").nis == "44021"  # Gent
    assert gaz.find_place("zandvoorde", "B-8400").postcode == "8400"
    assert gaz.find_place("Stene", "8470") is None  # Stene is not in Gistel
    # The municipality's name with one of its postcodes finds that postcode's main place.
    assert gaz.find_place("Merelbeke-Melle", "9090").is_main
    assert gaz.find_place("Merelbeke-Melle", "9090").postcode == "9090"


def test_find_place_without_postcode(gaz: Gazetteer) -> None:
    stene = gaz.find_place("Stene")
    assert (stene.postcode, stene.nis, stene.is_main) == ("8400", "35013", False)
    assert gaz.find_place("Zandvoorde") is None  # two non-main places, two municipalities
    assert gaz.find_place("Nowhere") is None


def test_name_key_and_postcode_normalisation() -> None:
    assert name_key("St.-Niklaas") == name_key("Sint-Niklaas") == name_key("sint niklaas")
    assert name_key("Chênée") == name_key("CHENEE") == name_key("Chênee")
    assert name_key("Malèves-Ste-Marie") == name_key("Malèves-Sainte-Marie")
    assert name_key(None) == ""
    assert normalise_postcode(" BE 8400 ") == normalise_postcode(8400) == "8400"
    assert normalise_postcode("B-8400") == "8400"
    assert normalise_postcode("84000") is None
    assert normalise_postcode("abcd") is None


# ------------------------------------------------------------------ spelling


@pytest.mark.parametrize(
    ("postcode", "nis", "name_fr"),
    [
        ("1420", "25014", "Braine-l'Alleud"),  # bpost: BRAINE-L'ALLEUD / Braine-L'alleud
        ("4032", "62063", "Chênée"),  # bpost: Chênee
        ("4030", "62063", "Grivegnée"),
        ("7170", "55086", "Bois-d'Haine"),
        ("2960", "11009", "Sint-Job-in-'t-Goor"),
        ("1320", "25005", "L'Ecluse"),  # an article at the start stays capitalised
        ("4161", "61079", "Villers-aux-Tours"),  # bpost: Villers-Aux-Tours
        ("7903", "57094", "Chapelle-à-Oie"),
        ("3891", "71017", "Mielen-boven-Aalst"),
        ("7090", "55004", "Braine-le-Comte"),
    ],
)
def test_place_spelling(gaz: Gazetteer, postcode: str, nis: str, name_fr: str) -> None:
    place = gaz.find_place(name_fr, postcode)
    assert place is not None and place.nis == nis
    assert place.name_fr == name_fr


def test_municipality_spelling_is_official(gaz: Gazetteer) -> None:
    assert gaz.municipality("25014").name_fr == "Braine-l'Alleud"
    assert gaz.municipality("55004").name_nl == "'s-Gravenbrakel"
    assert gaz.municipality("61068").name_fr == "Villers-le-Bouillet"
    assert gaz.by_postcode("1420")[0].name_fr == "Braine-l'Alleud"  # main place = municipality


def test_no_mechanical_title_case_left() -> None:
    """No name in the shipped files shows the title-casing or typography bugs of the sources."""
    text = (DATA_DIR / "postcodes.csv").read_text(encoding="utf-8")
    text += (DATA_DIR / "municipalities.csv").read_text(encoding="utf-8")
    text += (DATA_DIR / "nis_history.csv").read_text(encoding="utf-8")
    assert "\u2019" not in text  # typographic apostrophe
    assert not re.search(r"[-\s][LD]'", text)  # "Braine-L'alleud", "Bois-D'Haine"
    assert not re.search(r"'T\b|\bIj", text)  # "'T-Goor", "Ijzer"
    particles = "Aan|Op|Den|De|Bij|Ten|In|La|Le|Les|Sur|Sous|En|Lez|Au|Aux|À|Et|Devant|Par"
    assert not re.search(rf"-(?:{particles})-", text)  # "Villers-Le-Bouillet"
    assert not re.search(r"^[^,]*,[^,]*[A-Z]{4,}", text, re.MULTILINE)  # no all-caps name


# ------------------------------------------------------------------ postcodes and geometry


@pytest.mark.parametrize("postcode", ["0000", "1099", "0612", "12345", "abcd", "", None, "612"])
def test_invalid_postcode(gaz: Gazetteer, postcode: str | None) -> None:
    assert not gaz.is_valid_postcode(postcode)
    assert gaz.by_postcode(postcode) == []
    assert gaz.postcode_centroid(postcode) is None


def test_valid_postcode_forms(gaz: Gazetteer) -> None:
    for form in ("8400", 8400, "B-8400", "BE 8400", " 8400 "):
        assert gaz.is_valid_postcode(form), form


def test_postcode_centroid_is_mean_of_places(gaz: Gazetteer) -> None:
    places = gaz.by_postcode("9820")
    lat, lon = gaz.postcode_centroid("9820")
    assert lat == pytest.approx(sum(p.lat for p in places) / len(places))
    assert lon == pytest.approx(sum(p.lon for p in places) / len(places))


def test_municipality_centroid(gaz: Gazetteer) -> None:
    centroid = gaz.municipality_centroid("44088")
    assert km(centroid, (50.994, 3.749)) < 8  # Merelbeke
    assert km(centroid, (51.003, 3.800)) < 8  # Melle
    assert gaz.municipality_centroid("44040") == centroid  # retired code of Melle
    assert km(gaz.municipality_centroid(21004), (50.846, 4.352)) < 8  # Brussel
    assert gaz.municipality_centroid("99999") is None


def test_provinces(gaz: Gazetteer) -> None:
    provinces = gaz.provinces()
    assert set(provinces) == FLEMISH_PROVINCES | WALLOON_PROVINCES | {"BRU"}
    assert provinces["VWV"] == ("West-Vlaanderen", "Flandre occidentale")
    assert provinces["WLG"] == ("Luik", "Liège")
    assert {m.province_code for m in gaz.municipalities("VLG")} == FLEMISH_PROVINCES
    assert {m.province_code for m in gaz.municipalities("WAL")} == WALLOON_PROVINCES
    assert {m.province_code for m in gaz.municipalities("BRU")} == {"BRU"}
    assert gaz.municipality("35013").province_code == "VWV"
    assert gaz.municipality("23106").province_code == "VBR"


def test_municipality_name_by_language(gaz: Gazetteer) -> None:
    liege = gaz.municipality("62063")
    assert (liege.name("nl"), liege.name("fr"), liege.name("de")) == ("Luik", "Liège", "Lüttich")
    gistel = gaz.municipality("35005")
    assert gistel.name("de") == "Gistel"  # no German name: falls back to Dutch
    assert gaz.municipality(None) is None
    assert gaz.municipality("00000") is None


def test_load_is_cached() -> None:
    assert get_gazetteer() is get_gazetteer()
