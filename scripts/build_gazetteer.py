"""Build the shipped Belgian gazetteer (socialmap/data/gazetteer/*.csv) from public sources.

Dev-only: run it when the source data changes, review the printed report, commit the CSVs.

    python scripts/build_gazetteer.py [--source /work/shared/data] [--out socialmap/data/gazetteer]

Inputs (see /work/shared/data/SOURCES.md and NOTICE.md for provenance):

* ``be-municipalities/vandenbroucke-belgian_municipalities/data/2020/belgian_municipalities.csv``
  the 581 municipalities of 2019-2024 (NIS code, NL/FR names, arrondissement, province, region).
* ``be-municipalities/fusies-2025/fusies-2025.csv``: the 1 January 2025 mergers
  (odd format: a comma *and* a TAB between the two columns).
* ``be-postcodes/rubenv-belgium-zipcodes/out/cities.csv``: bpost NL place list joined to 2013 NIS
  codes. The join was done by name, so homonyms got the wrong code (8400 Zandvoorde -> Zonnebeke,
  2950 Kapellen -> Glabbeek ...); NIS codes predate the 2019 mergers and renumberings.
* ``be-postcodes/rubenv-belgium-zipcodes/data/niscodes.csv``: Statbel NIS list with the old
  (pre-1977) municipalities per code: candidate codes per place name.
* ``be-postcodes/jief-zipcode-belgium/zipcodes_num_fr.csv`` (NO header): bpost FR place list
  (2017) with a "sub-municipality" flag, ``zipcode-belgium.csv`` (NO header, lng before lat):
  coordinates geocoded with OpenStreetMap.
* ``be-postcodes/adriaanvermeire-zipcodes/belgium.json``: GeoNames-based NL+FR names and
  coordinates, a second opinion on coordinates.

Method
1. Municipalities 2025 = the 2020 list minus the merged ones plus the 2025 merger results.
2. Old -> 2020 NIS codes (2019 mergers and Hainaut/Limburg renumberings) are derived by name
   from the NIS list and checked against :data:`EXPECTED_2019`.
3. NL rows (rubenv) and FR rows (bpost FR) of each postcode are paired (same name, known NL/FR
   name pairs, or one similar leftover each); unpaired rows stay single-language rows.
4. Each row's municipality is chosen among candidates (rubenv's code, codes whose old
   municipality carries that name, the postcode's majority) by distance from the row's
   coordinates to each candidate's median place coordinates, which fixes rubenv's homonym errors.
5. 2020 codes are mapped to 2025 codes; history of every retired code goes to nis_history.csv.
6. Spelling: bpost's capitals and mechanical title case are repaired (:func:`tidy_case`), accents
   bpost dropped are taken from GeoNames (:func:`accents_from`), and a place named like its
   municipality takes the municipality list's spelling (:func:`official`).
"""

from __future__ import annotations

import argparse
import csv
import difflib
import json
import math
import re
import statistics
import sys
import unicodedata
from collections import Counter
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from socialmap.gazetteer import name_key  # noqa: E402

DEFAULT_SOURCE = Path("/work/shared/data")
DEFAULT_OUT = REPO / "socialmap" / "data" / "gazetteer"

V2020 = (
    "be-municipalities/vandenbroucke-belgian_municipalities/data/2020/belgian_municipalities.csv"
)
FUSIES = "be-municipalities/fusies-2025/fusies-2025.csv"
RUBENV_CITIES = "be-postcodes/rubenv-belgium-zipcodes/out/cities.csv"
RUBENV_ZIPCODES = "be-postcodes/rubenv-belgium-zipcodes/data/zipcodes.csv"
RUBENV_NIS = "be-postcodes/rubenv-belgium-zipcodes/data/niscodes.csv"
JIEF_FR = "be-postcodes/jief-zipcode-belgium/zipcodes_num_fr.csv"
JIEF_COORDS = "be-postcodes/jief-zipcode-belgium/zipcode-belgium.csv"
ADRIAAN = "be-postcodes/adriaanvermeire-zipcodes/belgium.json"

VALID_UNTIL_2019 = "2018-12-31"
VALID_UNTIL_2025 = "2024-12-31"

# Old code -> 2020 code, 1 January 2019 (mergers in Flanders; renumbering after the Hainaut
# arrondissement reform). Used to CHECK the derivation, not as its input.
EXPECTED_2019 = {
    "12030": "12041",  # Puurs -> Puurs-Sint-Amands
    "12034": "12041",  # Sint-Amands
    "44001": "44084",  # Aalter -> Aalter
    "44029": "44084",  # Knesselare
    "44011": "44083",  # Deinze -> Deinze
    "44049": "44083",  # Nevele
    "44036": "44085",  # Lovendegem -> Lievegem
    "44072": "44085",  # Waarschoot
    "44080": "44085",  # Zomergem
    "45017": "45068",  # Kruishoutem -> Kruisem
    "45057": "45068",  # Zingem
    "71047": "72042",  # Opglabbeek -> Oudsbergen
    "72040": "72042",  # Meeuwen-Gruitrode
    "72025": "72043",  # Neerpelt -> Pelt
    "72029": "72043",  # Overpelt
    "54007": "57096",  # Mouscron (renumbered)
    "54010": "57097",  # Comines-Warneton
    "55010": "51067",  # Enghien
    "55039": "51068",  # Silly
    "55023": "51069",  # Lessines
    "52063": "55085",  # Seneffe
    "52043": "55086",  # Manage
    "55022": "58001",  # La Louvière
    "56011": "58002",  # Binche
    "56085": "58003",  # Estinnes
    "56087": "58004",  # Morlanwelz
}

# The vandenbroucke list names the old arrondissements for the 58xxx codes; NIS prefix 58 is the
# arrondissement La Louvière created on 1 January 2019.
ARRONDISSEMENT_OVERRIDES = {"58": "La Louvière"}

PROVINCE_CODES = {
    "Antwerpen": "VAN",
    "Vlaams-Brabant": "VBR",
    "Limburg": "VLI",
    "Oost-Vlaanderen": "VOV",
    "West-Vlaanderen": "VWV",
    "Waals-Brabant": "WBR",
    "Henegouwen": "WHT",
    "Luik": "WLG",
    "Luxemburg": "WLX",
    "Namen": "WNA",
}
REGIONS = {"Vlaams Gewest": "VLG", "Waals Gewest": "WAL", "Brussels Hoofdstedelijk Gewest": "BRU"}
BRUSSELS_PROVINCE = ("BRU", "Brussels Hoofdstedelijk Gewest", "Région de Bruxelles-Capitale")

# German names: official in the German-speaking Community (and Weismes/Malmedy, which the
# source already names in German), plus a few long-established German exonyms.
GERMAN_NAMES = {
    "63001": "Amel",
    "63012": "Büllingen",
    "63013": "Bütgenbach",
    "63023": "Eupen",
    "63040": "Kelmis",
    "63048": "Lontzen",
    "63061": "Raeren",
    "63067": "Sankt Vith",
    "63087": "Burg-Reuland",
    "63080": "Weismes",
    "63049": "Malmedy",
    "21004": "Brüssel",
    "62063": "Lüttich",
    "24062": "Löwen",
    "31005": "Brügge",
    "35013": "Ostende",
    "12025": "Mecheln",
    "81001": "Arel",
    "82039": "Bastnach",
}

# NL/FR names of the same deelgemeente (facility municipalities along the language border);
# municipality-level pairs come from the municipality list itself.
PLACE_NAME_PAIRS = [
    ("Moelingen", "Mouland"),
    ("Sint-Martens-Voeren", "Fouron-Saint-Martin"),
    ("Sint-Pieters-Voeren", "Fouron-Saint-Pierre"),
    ("'s-Gravenvoeren", "Fouron-le-Comte"),
    ("Komen", "Comines"),
    ("Waasten", "Warneton"),
    ("Neerwaasten", "Bas-Warneton"),
    ("Ten Brielen", "Le Bizet"),
    ("Dottenijs", "Dottignies"),
    ("Lettelingen", "Petit-Enghien"),
    ("Mark", "Marcq"),
    ("Helkijn", "Helchin"),
    ("Spiere", "Espierres"),
    ("Bever", "Biévène"),
]

# Well-known districts that bpost does not list as places; coordinates = postcode centroid.
EXTRA_PLACES = [
    # (postcode, name_nl, name_fr, nis 2025)
    ("8400", "Mariakerke", "Mariakerke", "35013"),
]

# Rows whose municipality cannot be derived (no candidate code in the sources).
# Desteldonk, Mendonk and Sint-Kruis-Winkel were merged into Gent in 1965 and are absent from
# the NIS list; Schönberg is a village of Sankt Vith (the NIS list has only a "Gebietsteil").
NIS_OVERRIDES: dict[tuple[str, str], str] = {
    ("9042", "desteldonk"): "44021",
    ("9042", "mendonk"): "44021",
    ("9042", "st kruis winkel"): "44021",
    ("4782", "schoenberg"): "63067",
    ("8791", "beveren"): "34040",  # Beveren-Leie, Waregem
}

SPECIAL_MARKERS = ("obsolete",)


@dataclass
class Row:
    postcode: str
    name_nl: str
    name_fr: str
    nis2013: str | None  # rubenv's code, if any
    main: bool
    options: list[tuple[float, float]]  # coordinates from jief (OSM) and adriaan (GeoNames)
    lat: float | None = None
    lon: float | None = None
    nis: str | None = None  # 2020 code after disambiguation
    candidates: frozenset[str] = frozenset()


# ---------------------------------------------------------------- helpers


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def pick(
    options: list[tuple[float, float]], ref: tuple[float, float] | None
) -> tuple[float, float]:
    """The coordinate option most other options agree with (within 3 km), then nearest ref.

    Both geocoders confuse homonyms (GeoNames puts 1190 Vorst in Laakdal, OSM 6831
    Noirefontaine near Liège), so neither source is trusted on its own.
    """

    def score(o: tuple[float, float]) -> tuple[int, float]:
        agree = sum(1 for other in options if other is not o and km(o, other) <= 3)
        return (-agree, km(o, ref) if ref else 0.0)

    return min(options, key=score)


PARTICLES = {
    "sur", "sous", "lez", "lès", "les", "en", "de", "la", "le", "du", "des", "au", "aux", "à",
    "et", "par", "devant", "aan", "op", "bij", "ten", "ter", "den", "het", "in", "over", "boven",
    "d", "l",
}  # fmt: skip


def tidy_case(name: str) -> str:
    """Fix the case of a title-cased or all-caps place name.

    bpost's lists are in capitals or mechanically title-cased ("Braine-L'alleud",
    "Sint-Job-In-'T-Goor"): particles go lower case inside names ("Kapelle-op-den-Bos"), an
    elided article is lower case with the next word capitalised ("Braine-l'Alleud", "Bois-d'Haine",
    but "L'Ecluse" at the start), "'t" and "'s" stay lower case ("'s-Gravenwezel") and "IJ" is one
    letter ("Beveren-aan-de-IJzer"). Typographic apostrophes become ASCII ones.
    """
    name = " ".join(name.split()).replace("\u2019", "'")
    if name.isupper() or name.islower():
        name = name.title()
    parts = re.split(r"([- ])", name)  # words at even indexes, separators at odd ones
    last = len(parts) - 1
    for i in range(0, len(parts), 2):
        word, low = parts[i], parts[i].lower()
        elided = re.match(r"([ld])'(.+)", low)
        if elided:
            first = word[0].upper() if i == 0 else word[0].lower()
            rest = word[2:]
            word = f"{first}'{rest[:1].upper()}{rest[1:]}"
        elif low in ("'t", "'s"):
            word = low
        elif 0 < i < last and low in PARTICLES:
            word = low  # "Kapelle-Op-Den-Bos" -> "Kapelle-op-den-Bos"
        elif word[:1].islower():
            word = word[:1].upper() + word[1:]
        parts[i] = word
    name = "".join(parts)
    name = re.sub(r"^'?[sS][ -](?=[A-Z])", "'s-", name)  # 'S Gravenwezel -> 's-Gravenwezel
    name = re.sub(r"\bIj", "IJ", name)
    return name


def official(name: str) -> str:
    """An official municipality name with ASCII apostrophes and the Dutch "'s-" prefix.

    The municipality list writes "Braine-l\u2019Alleud" and "\u2019s Gravenbrakel"; the place
    lists and user input use "'", and Dutch spelling hyphenates "'s-Gravenbrakel".
    """
    name = " ".join(name.split()).replace("\u2019", "'")
    # The list also has one title-cased particle: "Villers-Le-Bouillet".
    name = re.sub(r"(?<=-)[^\W\d_]+(?=-)", lambda m: particle(m.group()), name)
    return re.sub(r"^'s (?=[A-Z])", "'s-", name)


def particle(word: str) -> str:
    """``word`` in lower case if it is a particle ("Le", "aan"), else unchanged."""
    return word.lower() if word.lower() in PARTICLES else word


def accents_from(name: str, variant: str) -> str | None:
    """``name`` with the diacritics ``variant`` adds, if that is all ``variant`` adds.

    bpost drops some accents (4032 "Chênee", 7021 "Havre") that GeoNames keeps ("Chênée",
    "Havré"). Only accents are taken: the letters, punctuation and case of ``name`` stay, and a
    variant that drops or changes one of ``name``'s accents (Piètrebais/Piétrebais) is refused.
    """
    name = unicodedata.normalize("NFC", name)
    variant = unicodedata.normalize("NFC", variant)
    if len(name) != len(variant):
        return None
    out = []
    added = False
    for a, b in zip(name, variant, strict=True):
        if a.lower() == b.lower():
            out.append(a)
            continue
        base = unicodedata.normalize("NFD", b)[0]
        if a.lower() != base.lower() or len(unicodedata.normalize("NFD", a)) > 1:
            return None  # a different letter, or an accent of name changed
        out.append(b.upper() if a.isupper() else b.lower())
        added = True
    return "".join(out) if added else None


def read_csv(path: Path, **kw) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh, **kw))


# ---------------------------------------------------------------- municipalities


def load_municipalities_2020(src: Path) -> dict[str, dict[str, str]]:
    with (src / V2020).open(encoding="utf-8", newline="") as fh:
        rows = {r["NIS_code"].strip(): r for r in csv.DictReader(fh)}
    assert len(rows) == 581, len(rows)
    for r in rows.values():
        r["municipality_NL"] = official(r["municipality_NL"])
        r["municipality_FR"] = official(r["municipality_FR"])
    return rows


def load_mergers_2025(src: Path) -> list[tuple[list[str], str, str]]:
    """Return [(old codes, new code, new name)] from the comma+TAB file."""
    out = []
    lines = (src / FUSIES).read_text(encoding="utf-8").splitlines()
    for line in lines[1:]:
        if not line.strip():
            continue
        left, right = line.split(",\t")
        old = re.findall(r"\((\d{5})\)", left)
        m = re.match(r"\s*(.+?)\s*\((\d{5})\)\s*$", right)
        assert m and old, line
        name = re.sub(r"\s*\(voorlopige naam\)", "", m.group(1)).strip()
        out.append((old, m.group(2), name))
    return out


def build_municipalities(
    m2020: dict[str, dict[str, str]], mergers: list[tuple[list[str], str, str]]
) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """Return (2025 municipalities by NIS, 2020 code -> 2025 code for merged ones)."""
    prefix_info: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    for nis, r in m2020.items():
        # arrondissement_FR is inconsistent in the source (Tournai vs Tournai-Mouscron); unused.
        prefix_info[nis[:2]].add((r["arrondissement_NL"], r["province_NL"], r["province_FR"]))
    for prefix, arr_nl in ARRONDISSEMENT_OVERRIDES.items():
        provs = {(p[1], p[2]) for p in prefix_info[prefix]}
        assert len(provs) == 1
        prefix_info[prefix] = {(arr_nl, *provs.pop())}
    for prefix, info in prefix_info.items():
        assert len(info) == 1, (prefix, info)

    def record(nis: str, nl: str, fr: str, region_nl: str) -> dict[str, str]:
        arr_nl, prov_nl, prov_fr = next(iter(prefix_info[nis[:2]]))
        if region_nl.startswith("Brussels"):
            code, prov_nl, prov_fr = BRUSSELS_PROVINCE
        else:
            code = PROVINCE_CODES[prov_nl]
        return {
            "nis": nis,
            "name_nl": nl,
            "name_fr": fr,
            "name_de": GERMAN_NAMES.get(nis, ""),
            "arrondissement_nl": arr_nl,
            "province_code": code,
            "province_nl": prov_nl,
            "province_fr": prov_fr,
            "region": REGIONS[region_nl],
        }

    current = {
        nis: record(nis, r["municipality_NL"], r["municipality_FR"], r["region_NL"])
        for nis, r in m2020.items()
    }
    to2025: dict[str, str] = {}
    for old, new, name in mergers:
        for code in old:
            assert code in m2020, code
            del current[code]
            to2025[code] = new
        # A merger that keeps a constituent's name keeps its NL and FR names (Bastogne is
        # "Bastenaken" in Dutch); a new name is the same in both languages.
        kept = [
            c for c in old if name in (m2020[c]["municipality_NL"], m2020[c]["municipality_FR"])
        ]
        nl, fr = (
            (m2020[kept[0]]["municipality_NL"], m2020[kept[0]]["municipality_FR"])
            if kept
            else (name, name)
        )
        current[new] = record(new, nl, fr, m2020[old[0]]["region_NL"])
        current[new]["_constituents"] = ",".join(old)
    for old_code, new in list(to2025.items()):
        if old_code == new:  # Antwerpen keeps 11002
            del to2025[old_code]
    return current, to2025


# ---------------------------------------------------------------- NIS list and 2019 mapping


def load_nis_names(src: Path) -> tuple[dict[str, set[str]], dict[str, str]]:
    """Return (name key -> NIS codes, NIS -> municipality name) from the Statbel NIS list."""
    by_name: dict[str, set[str]] = defaultdict(set)
    main_name: dict[str, str] = {}
    text = (src / RUBENV_NIS).read_text(encoding="utf-8")
    for row in list(csv.reader(text.splitlines(), delimiter=";"))[1:]:
        if len(row) < 3 or not row[1].strip().isdigit():
            continue
        raw, nis, letter = row[0], row[1].strip(), row[2].strip()
        if not letter:
            main_name.setdefault(nis, raw.strip())
        for part in re.sub(r"\([^)]*\)", "", raw).replace("*", "").split("+"):
            part = re.sub(r"^\s*DEEL( VAN)?\s+", "", part.strip())
            if part and not part[0].isdigit():
                by_name[name_key(part)].add(nis)
    return by_name, main_name


def derive_2019(
    m2020: dict[str, dict[str, str]], old_codes: set[str], old_names: dict[str, str]
) -> dict[str, str]:
    """Map codes retired on 1 Jan 2019 to 2020 codes: same name, else name containment."""
    new_codes = set(m2020) - old_codes
    by_key: dict[str, set[str]] = defaultdict(set)
    for nis, r in m2020.items():
        by_key[name_key(r["municipality_NL"])].add(nis)
        by_key[name_key(r["municipality_FR"])].add(nis)
    out = {}
    for old in sorted(old_codes - set(m2020)):
        key = name_key(old_names.get(old, ""))
        same = by_key.get(key, set()) & new_codes
        if len(same) == 1:
            out[old] = same.pop()
            continue
        contains = {
            nis
            for nis in new_codes
            if key and key in name_key(m2020[nis]["municipality_NL"]).split(" - ")[0]
        }
        if len(contains) == 1:
            out[old] = contains.pop()
    missing = set(EXPECTED_2019) - set(out)
    # Mergers under a new name (Kruisem, Lievegem, Oudsbergen, Pelt) cannot be derived by name.
    for old in missing:
        out[old] = EXPECTED_2019[old]
    wrong = {k: (v, EXPECTED_2019.get(k)) for k, v in out.items() if EXPECTED_2019.get(k) != v}
    assert not wrong, wrong
    print(f"2019 mapping: {len(out) - len(missing)} derived by name, {len(missing)} from table")
    return out


# ---------------------------------------------------------------- places


def load_places(src: Path, m2020: dict[str, dict[str, str]]) -> list[Row]:
    """Return the place rows, NL and FR names of the same place paired."""
    nl_rows: dict[str, list[tuple[str, str, bool]]] = defaultdict(list)
    with (src / RUBENV_CITIES).open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            nl_rows[r["zipCode"]].append((r["name"], r["nisCode"], r["main"] == "1"))
    original_nl: dict[tuple[str, str], str] = {}
    text = (src / RUBENV_ZIPCODES).read_text(encoding="utf-8")
    for row in list(csv.reader(text.splitlines(), delimiter=";"))[1:]:
        if len(row) >= 2 and not row[1].isupper():
            original_nl[(row[0], name_key(row[1]))] = row[1]

    fr_rows: dict[str, list[tuple[str, bool]]] = defaultdict(list)
    for row in read_csv(src / JIEF_FR):
        pc, name, sub, province = (row + ["", "", "", ""])[:4]
        if not sub or not province:  # organisations, mail centres, "Sinterklaas"
            continue
        fr_rows[pc].append((name, sub == "Non"))

    jief: dict[tuple[str, str], tuple[str, float, float]] = {}
    for pc, name, lng, lat in read_csv(src / JIEF_COORDS):  # lng before lat!
        jief[(pc, name_key(name))] = (name, float(lat), float(lng))
    adriaan: dict[tuple[str, str], tuple[str, float, float]] = {}
    spellings: dict[tuple[str, str], set[str]] = defaultdict(set)  # every GeoNames spelling
    for item in json.loads((src / ADRIAAN).read_text(encoding="utf-8")):
        if item["latitude"] and item["longitude"]:
            lat, lon = float(item["latitude"]), float(item["longitude"])
            adriaan.setdefault((item["zipcode"], name_key(item["name"])), (item["name"], lat, lon))
        spellings[(item["zipcode"], name_key(item["name"]))].add(" ".join(item["name"].split()))
    pairs = {name_key(nl): name_key(fr) for nl, fr in PLACE_NAME_PAIRS}
    for r in m2020.values():
        if name_key(r["municipality_NL"]) != name_key(r["municipality_FR"]):
            pairs[name_key(r["municipality_NL"])] = name_key(r["municipality_FR"])
    rows = _pair(nl_rows, fr_rows, original_nl, jief, adriaan, pairs)
    _restore_accents(rows, spellings)
    return rows


def _restore_accents(rows: list[Row], spellings: dict[tuple[str, str], set[str]]) -> None:
    """Put back accents that bpost dropped and GeoNames has (see :func:`accents_from`).

    Runs before :func:`_municipality_names`, so official municipality names still win
    (GeoNames also has "Woluwé-Saint-Lambert").
    """
    for row in rows:
        reported = set()
        for attr in ("name_nl", "name_fr"):
            name = getattr(row, attr)
            variants = spellings.get((row.postcode, name_key(name)), ())
            fixed = [f for f in (accents_from(name, v) for v in variants) if f]
            if not fixed:
                continue
            best = max(fixed, key=lambda f: (len(unicodedata.normalize("NFD", f)), f))
            if name not in reported:  # NL and FR names are often the same
                print(f"  accents {row.postcode} {name} -> {best}")
                reported.add(name)
            setattr(row, attr, best)


def _pair(nl_rows, fr_rows, original_nl, jief, adriaan, pairs: dict[str, str]) -> list[Row]:
    rows: list[Row] = []
    for pc in sorted(set(nl_rows) | set(fr_rows)):
        nls = list(nl_rows.get(pc, []))
        frs = list(fr_rows.get(pc, []))
        matched: list[tuple[tuple[str, str, bool] | None, tuple[str, bool] | None]] = []
        for nl in list(nls):  # same name
            fr = next((f for f in frs if name_key(f[0]) == name_key(nl[0])), None)
            if fr:
                matched.append((nl, fr))
                nls.remove(nl)
                frs.remove(fr)
        for nl in list(nls):  # known NL/FR pairs
            want = pairs.get(name_key(nl[0]))
            fr = next((f for f in frs if name_key(f[0]) == want), None) if want else None
            if fr:
                matched.append((nl, fr))
                nls.remove(nl)
                frs.remove(fr)
        # Spelling variants (Lavaux-Saint-Anne/Lavaux-Sainte-Anne), most similar first; a
        # lower bar when one leftover remains on each side (Laken/Laeken).
        scored = sorted(
            (
                -difflib.SequenceMatcher(None, name_key(nl[0]), name_key(fr[0])).ratio(),
                i,
                j,
            )
            for i, nl in enumerate(nls)
            for j, fr in enumerate(frs)
        )
        used_nl: set[int] = set()
        used_fr: set[int] = set()
        single = len(nls) == 1 and len(frs) == 1
        for neg_ratio, i, j in scored:
            if i in used_nl or j in used_fr or -neg_ratio < (0.6 if single else 0.8):
                continue
            used_nl.add(i)
            used_fr.add(j)
            matched.append((nls[i], frs[j]))
        nls = [nl for i, nl in enumerate(nls) if i not in used_nl]
        frs = [fr for j, fr in enumerate(frs) if j not in used_fr]
        matched += [(nl, None) for nl in nls] + [(None, fr) for fr in frs]
        for nl, fr in matched:
            rows.append(_row(pc, nl, fr, original_nl, jief, adriaan))
    return rows


def _row(pc, nl, fr, original_nl, jief, adriaan) -> Row:
    names = [n for n in (nl and nl[0], fr and fr[0]) if n]
    keys = [name_key(n) for n in names]

    def cased(name: str) -> str:
        key = name_key(name)
        for source in (original_nl.get((pc, key)), (jief.get((pc, key)) or ("",))[0]):
            if source and not source.isupper():
                return tidy_case(source)
        return tidy_case(name)

    name_nl = cased(nl[0]) if nl else cased(fr[0])
    name_fr = cased(fr[0]) if fr else name_nl
    main = fr[1] if fr else bool(nl and nl[2])
    options = [src[(pc, k)][1:] for k in keys for src in (jief, adriaan) if (pc, k) in src]
    if not options:  # spelling variants: "Lavaux-Saint-Anne" (bpost NL) vs "Lavaux-Sainte-Anne"
        for src in (jief, adriaan):
            near = [
                (difflib.SequenceMatcher(None, keys[0], key).ratio(), value)
                for (p, key), value in src.items()
                if p == pc
            ]
            best = max(near, default=None, key=lambda n: n[0])
            if best and best[0] >= 0.85:
                options.append(best[1][1:])
                # Walloon place misspelt in both bpost lists: take GeoNames' spelling
                # (Lavaux-Saint-Anne -> Lavaux-Sainte-Anne). Flemish names stay as bpost
                # writes them.
                walloon = "1300" <= pc <= "1499" or "4000" <= pc <= "7999"
                if name_fr == name_nl and walloon:
                    print(f"  renamed {pc} {name_nl} -> {best[1][0]}")
                    name_nl = name_fr = tidy_case(best[1][0])
    return Row(pc, name_nl, name_fr, nl[1] if nl else None, main, list(dict.fromkeys(options)))


# ---------------------------------------------------------------- NIS assignment


NEAR_KM = 10.0  # a place this close to a municipality's anchor plausibly belongs to it


def assign_nis(
    rows: list[Row],
    m2020: dict[str, dict[str, str]],
    to2020: dict[str, str],
    nis_by_name: dict[str, set[str]],
) -> list[str]:
    """Choose each row's 2020 municipality and coordinates; return a review report.

    rubenv's code is kept when the place lies within NEAR_KM of that municipality's anchor
    (its own main place), or when the postcode's other places agree with it (then the
    coordinates are the suspect). Otherwise the nearest plausible candidate wins: codes whose
    old municipality carries the name, the postcode's majority, the majority of neighbouring
    postcodes (same first three digits), and finally the nearest anchor.
    """

    def norm(code: str | None) -> str | None:
        code = to2020.get(code, code) if code else None
        return code if code in m2020 else None

    muni_keys = {
        nis: {name_key(r["municipality_NL"]), name_key(r["municipality_FR"])}
        for nis, r in m2020.items()
    }
    muni_by_key: dict[str, set[str]] = defaultdict(set)
    for nis, keys in muni_keys.items():
        for key in keys:
            muni_by_key[key].add(nis)

    for row in rows:
        c = {norm(row.nis2013)}
        for key in {name_key(row.name_nl), name_key(row.name_fr)}:
            c |= {norm(n) for n in nis_by_name.get(key, ())}
            c |= muni_by_key.get(key, set())
        c.discard(None)
        row.candidates = frozenset(c)
        row.nis = norm(row.nis2013)

    anchors, named_anchor = _anchors(rows, muni_keys)

    def dist(row: Row, nis: str | None) -> float:
        if nis is None or nis not in anchors or not row.options:
            return math.inf
        return min(km(o, anchors[nis]) for o in row.options)

    for _ in range(3):
        by_pc: dict[str, Counter[str]] = defaultdict(Counter)
        by_pc3: dict[str, Counter[str]] = defaultdict(Counter)
        for row in rows:
            if row.nis:
                by_pc[row.postcode][row.nis] += 1
                by_pc3[row.postcode[:3]][row.nis] += 1
        changed = 0
        for row in rows:
            others = by_pc[row.postcode].copy()
            if row.nis:
                others[row.nis] -= 1
            majority = next((n for n, k in others.most_common() if k > 0), None)
            override = NIS_OVERRIDES.get((row.postcode, name_key(row.name_nl)))
            cur = norm(row.nis2013)
            options = set(row.candidates) | ({majority} if majority else set())
            options.discard(cur)
            scored = sorted((dist(row, n), n) for n in options)
            d_cur = dist(row, cur)
            neighbours = by_pc3[row.postcode[:3]].copy()
            if row.nis:
                neighbours[row.nis] -= 1
            pc3_majority = next((n for n, k in neighbours.most_common() if k > 0), None)
            # Weaker evidence for cur: its postcode or neighbouring postcodes agree, or its
            # anchor is only a median (new names such as Oudsbergen, large municipalities).
            loose = cur in (majority, pc3_majority) or (cur is not None and cur not in named_anchor)
            if override:
                best = override
            elif majority and majority != cur and majority in row.candidates:
                best = majority  # the postcode's other places and the name agree
            elif cur and (d_cur <= NEAR_KM or (loose and d_cur <= 2 * NEAR_KM)):
                best = cur
            elif scored and scored[0][0] <= NEAR_KM:
                best = scored[0][1]
            elif cur and (cur == majority or not row.options):
                best = cur  # the postcode agrees: the coordinates are the suspect
            elif not cur and not options:
                best = next((n for n, _ in by_pc3[row.postcode[:3]].most_common(1)), None)
            else:
                nearest = min((dist(row, n), n) for n in anchors) if row.options else None
                if nearest and nearest[0] <= NEAR_KM:
                    best = nearest[1]
                else:
                    best = cur or (scored[0][1] if scored else None)
            if best != row.nis:
                changed += 1
                row.nis = best
        if not changed:
            break

    report = []
    for row in rows:
        if not row.nis:
            report.append(f"  UNRESOLVED {row.postcode} {row.name_nl}")
            continue
        if row.nis2013 and norm(row.nis2013) != row.nis:
            report.append(
                f"  fixed {row.postcode} {row.name_nl}: {row.nis2013} -> {row.nis} "
                f"({m2020[row.nis]['municipality_NL']})"
            )
        if row.options:
            anchor = anchors.get(row.nis)
            best = pick(row.options, anchor)
            if anchor and km(best, anchor) > 2 * NEAR_KM:  # one option may still be plausible
                best = min(row.options, key=lambda o: km(o, anchor))
            if anchor and km(best, anchor) > 2 * NEAR_KM:
                report.append(
                    f"  far   {row.postcode} {row.name_nl}: {km(best, anchor):.0f} km from "
                    f"{m2020[row.nis]['municipality_NL']}; coordinates replaced later"
                )
                continue
            row.lat, row.lon = best
    return report


def _anchors(
    rows: list[Row], muni_keys: dict[str, set[str]]
) -> tuple[dict[str, tuple[float, float]], set[str]]:
    """A point per 2020 municipality, and the set of those anchored on a named place.

    The anchor is the municipality's own main place (a postcode's main place carrying its name),
    else a non-main place carrying its name that lies near the median of rubenv's rows, else
    that median (new names such as Kruisem or Pelt).
    """
    assigned: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for row in rows:
        if row.nis:
            assigned[row.nis].extend(row.options)
    region: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for row in rows:
        region[row.postcode[:2]].extend(row.options)
    region_ref = {
        k: (statistics.median(p[0] for p in v), statistics.median(p[1] for p in v))
        for k, v in region.items()
        if v
    }
    anchors: dict[str, tuple[float, float]] = {}
    named_anchor: set[str] = set()
    for nis, keys in muni_keys.items():
        pts = assigned.get(nis, [])
        median = (
            (statistics.median(p[0] for p in pts), statistics.median(p[1] for p in pts))
            if pts
            else None
        )
        named = [
            r
            for r in rows
            if nis in r.candidates
            and r.options
            and (name_key(r.name_nl) in keys or name_key(r.name_fr) in keys)
            and (r.main or (median and min(km(o, median) for o in r.options) <= 15))
        ]
        named.sort(key=lambda r: (not r.main, r.nis != nis, r.postcode))
        if named:
            # Neighbouring postcodes (same first two digits) arbitrate between geocoders.
            anchors[nis] = pick(named[0].options, region_ref.get(named[0].postcode[:2]))
            named_anchor.add(nis)
        elif median:
            anchors[nis] = median
    return anchors, named_anchor


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    src: Path = args.source

    m2020 = load_municipalities_2020(src)
    mergers = load_mergers_2025(src)
    current, to2025 = build_municipalities(m2020, mergers)
    nis_by_name, nis_main_name = load_nis_names(src)
    with (src / RUBENV_CITIES).open(encoding="utf-8", newline="") as fh:
        rubenv_codes = {r["nisCode"] for r in csv.DictReader(fh)}
    to2020 = derive_2019(m2020, set(nis_main_name) | rubenv_codes, nis_main_name)

    rows = load_places(src, m2020)
    report = assign_nis(rows, m2020, to2020, nis_by_name)
    _municipality_names(rows, m2020)

    out_rows = []
    for row in rows:
        if not row.nis:
            continue
        nis = to2025.get(row.nis, row.nis)
        out_rows.append((row.postcode, row.name_nl, row.name_fr, nis, row.lat, row.lon, row.main))
    for pc, nl, fr, nis in EXTRA_PLACES:
        main_place = next(r for r in out_rows if r[0] == pc and r[6])
        out_rows.append((pc, nl, fr, nis, main_place[4], main_place[5], False))
    # Rows without coordinates get their postcode's mean (few; reported).
    for i, r in enumerate(out_rows):
        if r[4] is None:
            pts = [(o[4], o[5]) for o in out_rows if o[0] == r[0] and o[4] is not None]
            if not pts:
                pts = [(o[4], o[5]) for o in out_rows if o[3] == r[3] and o[4] is not None]
            lat = statistics.mean(p[0] for p in pts)
            lon = statistics.mean(p[1] for p in pts)
            out_rows[i] = (*r[:4], lat, lon, r[6])
            report.append(f"  nocoords {r[0]} {r[1]}: used mean of postcode/municipality")
    # Deduplicate (postcode, name) pairs; keep the main flag if any duplicate has it.
    seen: dict[tuple[str, str, str], tuple] = {}
    for r in out_rows:
        key = (r[0], name_key(r[1]), name_key(r[2]))
        if key in seen:
            report.append(f"  duplicate {r[0]} {r[1]}")
            if r[6]:
                seen[key] = r
            continue
        seen[key] = r
    out_rows = sorted(seen.values(), key=lambda r: (r[0], not r[6], r[1]))

    print("\n".join(report))
    missing = set(current) - {r[3] for r in out_rows}
    assert not missing, f"municipalities without postcodes: {sorted(missing)}"
    unknown = {r[3] for r in out_rows} - set(current)
    assert not unknown, unknown
    assert len(current) == 565, len(current)
    assert sum(1 for m in current.values() if m["region"] == "VLG") == 285
    _main_postcodes(current, rows, m2020)
    history = _history(to2020, to2025, current, m2020, nis_main_name)

    _write(args.out, current, out_rows, history)
    print(
        f"wrote {len(current)} municipalities, {len(out_rows)} places "
        f"({len({r[0] for r in out_rows})} postcodes), {len(history)} history rows to {args.out}"
    )
    return 0


def _municipality_names(rows: list[Row], m2020: dict[str, dict[str, str]]) -> None:
    """A place named like its municipality takes the official NL/FR spelling of that name.

    The municipality list spells names properly where bpost has capitals or mechanical title
    case ("BRAINE-L'ALLEUD", "Braine-L'alleud"). A row in one language only gets the other
    language's name as well: bpost's FR list writes Flemish places in Dutch (8400 "OOSTENDE"),
    and a few rows exist in one language only (3790 "Fourons").
    """
    for row in rows:
        if not row.nis:
            continue
        m = m2020[row.nis]
        nl, fr = m["municipality_NL"], m["municipality_FR"]
        keys = {name_key(nl), name_key(fr)}
        if name_key(row.name_nl) == name_key(row.name_fr):
            if name_key(row.name_nl) in keys:
                row.name_nl, row.name_fr = nl, fr
            continue
        # Paired NL/FR rows (1420 Eigenbrakel / Braine-l'Alleud): each name on its own.
        for attr in ("name_nl", "name_fr"):
            key = name_key(getattr(row, attr))
            if key == name_key(nl):
                setattr(row, attr, nl)
            elif key == name_key(fr):
                setattr(row, attr, fr)


def _main_postcodes(current, rows: list[Row], m2020) -> None:
    """Main postcode of each municipality.

    For a 2020 municipality: the lowest postcode whose main place carries its name, else the
    lowest postcode with a main place, else its lowest postcode. A 2025 merger takes the main
    postcode of the constituent whose name it keeps, else of its most populous constituent.
    (The source's own "zip" column is unusable: it says 8791 for Beveren.)
    """
    main_2020 = {}
    for nis, m in m2020.items():
        names = {name_key(m["municipality_NL"]), name_key(m["municipality_FR"])}
        own = [r for r in rows if r.nis == nis]
        named = sorted(r.postcode for r in own if r.main and name_key(r.name_nl) in names)
        mains = sorted(r.postcode for r in own if r.main)
        main_2020[nis] = (named or mains or sorted(r.postcode for r in own))[0]
    for nis, m in current.items():
        constituents = [c for c in m.get("_constituents", "").split(",") if c]
        if not constituents:
            m["main_postcode"] = main_2020[nis]
            continue
        same_name = [c for c in constituents if m2020[c]["municipality_NL"] == m["name_nl"]]
        biggest = max(constituents, key=lambda c: int(m2020[c]["inhabitants"] or 0))
        m["main_postcode"] = main_2020[(same_name or [biggest])[0]]


def _history(to2020, to2025, current, m2020, old_names) -> list[tuple[str, ...]]:
    """Rows (old_nis, new_nis, valid_until, old_name_nl, old_name_fr), new_nis current.

    The names let a search for a former municipality ("Melle", "Kruishoutem") find its
    successor. A 1:1 renumbering (Mouscron 54007 -> 57096) keeps the current names.
    """
    out = []
    targets = Counter(to2020.values())
    for old, new in sorted(to2020.items()):
        if targets[new] == 1:
            nl, fr = m2020[new]["municipality_NL"], m2020[new]["municipality_FR"]
        else:
            nl = fr = tidy_case(old_names[old])
        out.append((old, to2025.get(new, new), VALID_UNTIL_2019, nl, fr))
    for old, new in sorted(to2025.items()):
        nl, fr = m2020[old]["municipality_NL"], m2020[old]["municipality_FR"]
        out.append((old, new, VALID_UNTIL_2025, nl, fr))
    for row in out:
        assert row[1] in current, row
    return out


def _write(out: Path, current, out_rows, history) -> None:
    out.mkdir(parents=True, exist_ok=True)
    cols = [
        "nis",
        "name_nl",
        "name_fr",
        "name_de",
        "arrondissement_nl",
        "province_code",
        "province_nl",
        "province_fr",
        "region",
        "main_postcode",
    ]
    with (out / "municipalities.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(cols)
        for nis in sorted(current):
            w.writerow([current[nis][c] for c in cols])
    with (out / "postcodes.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["postcode", "place_nl", "place_fr", "nis", "lat", "lon", "is_main"])
        for pc, nl, fr, nis, lat, lon, main in out_rows:
            w.writerow([pc, nl, fr, nis, f"{lat:.5f}", f"{lon:.5f}", int(main)])
    with (out / "nis_history.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["old_nis", "new_nis", "valid_until", "old_name_nl", "old_name_fr"])
        w.writerows(history)


if __name__ == "__main__":
    raise SystemExit(main())
