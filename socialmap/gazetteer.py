"""Belgian gazetteer: postcodes, places (deelgemeenten) and the 565 municipalities of 2025.

The data ships in ``socialmap/data/gazetteer/`` (built by ``scripts/build_gazetteer.py``):

* ``municipalities.csv``: current municipalities by NIS code, with names, arrondissement,
  province (ISO 3166-2:BE code, ``BRU`` for Brussels) and region (``VLG``/``WAL``/``BRU``).
* ``postcodes.csv``: one row per (postcode, place), NL and FR place names, the place's current
  NIS code, coordinates and ``is_main`` (the postcode's main place in the bpost list).
* ``nis_history.csv``: codes retired by the 2019 and 2025 mergers (and the 2019 Hainaut
  renumbering) -> current code, with the retired municipality's NL/FR names.

Names are matched with :func:`name_key`: case, accents, hyphens and punctuation do not matter,
and "St.-"/"Sint-"/"Saint-"/"Sankt" (and "Ste-"/"Sainte-") are the same word.
"""

from __future__ import annotations

import csv
import functools
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data" / "gazetteer"

_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "ł": "l", "đ": "d"})
_NON_WORD = re.compile(r"[^0-9a-z]+")
_COMBINING = re.compile(r"[\u0300-\u036f]+")
_SAINT = {"st": "st", "sint": "st", "saint": "st", "sankt": "st", "ste": "ste", "sainte": "ste"}
_PARENS = re.compile(r"\([^)]*\)")
_POSTCODE = re.compile(r"^(?:BE?[- ]?)?(\d{4})$", re.IGNORECASE)


def name_key(name: str | None) -> str:
    """Matching key for a place name: lower case, no accents or punctuation, saints unified.

    >>> name_key("St.-Niklaas") == name_key("Sint-Niklaas") == name_key("sint niklaas")
    True
    """
    if not name:
        return ""
    text = name.lower()
    if not text.isascii():
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text.translate(_LIGATURES)))
    return " ".join([_SAINT.get(tok, tok) for tok in _NON_WORD.sub(" ", text).split()])


def normalise_postcode(postcode: str | int | None) -> str | None:
    """``"8400"``, ``8400``, ``"B-8400"``, ``" BE 8400 "`` -> ``"8400"``; anything else None."""
    if postcode is None:
        return None
    match = _POSTCODE.match(str(postcode).strip())
    return match.group(1) if match else None


@dataclass(frozen=True)
class Municipality:
    nis: str
    name_nl: str
    name_fr: str
    name_de: str | None
    arrondissement_nl: str
    province_code: str  # VAN VBR VLI VOV VWV WBR WHT WLG WLX WNA, or BRU for Brussels
    province_nl: str
    province_fr: str
    region: str  # VLG | WAL | BRU
    main_postcode: str

    def name(self, lang: str = "nl") -> str:
        """The name in ``lang`` (nl/fr/de), falling back to Dutch."""
        value = {"nl": self.name_nl, "fr": self.name_fr, "de": self.name_de}.get(lang)
        return value or self.name_nl


@dataclass(frozen=True)
class Place:
    postcode: str
    name_nl: str
    name_fr: str
    nis: str  # current (2025) municipality
    lat: float
    lon: float
    is_main: bool


class Gazetteer:
    """Lookups over the shipped gazetteer tables; build it with :func:`get_gazetteer`."""

    def __init__(
        self,
        municipalities: list[Municipality],
        places: list[Place],
        history: dict[str, str],
        former_names: dict[str, set[str]] | None = None,
    ) -> None:
        self._municipalities = {m.nis: m for m in municipalities}
        self._history = dict(history)
        self._former_names = former_names or {}  # retired municipality name -> current NIS
        self._by_postcode: dict[str, list[Place]] = defaultdict(list)
        self._by_nis: dict[str, list[Place]] = defaultdict(list)
        for place in places:
            self._by_postcode[place.postcode].append(place)
            self._by_nis[place.nis].append(place)

    @classmethod
    def load(cls, directory: Path = DATA_DIR) -> Gazetteer:
        """Read the three CSV files of ``directory``."""
        with (directory / "municipalities.csv").open(encoding="utf-8", newline="") as fh:
            municipalities = [
                Municipality(
                    nis=r["nis"],
                    name_nl=r["name_nl"],
                    name_fr=r["name_fr"],
                    name_de=r["name_de"] or None,
                    arrondissement_nl=r["arrondissement_nl"],
                    province_code=r["province_code"],
                    province_nl=r["province_nl"],
                    province_fr=r["province_fr"],
                    region=r["region"],
                    main_postcode=r["main_postcode"],
                )
                for r in csv.DictReader(fh)
            ]
        with (directory / "postcodes.csv").open(encoding="utf-8", newline="") as fh:
            places = [
                Place(
                    postcode=r["postcode"],
                    name_nl=r["place_nl"],
                    name_fr=r["place_fr"],
                    nis=r["nis"],
                    lat=float(r["lat"]),
                    lon=float(r["lon"]),
                    is_main=r["is_main"] == "1",
                )
                for r in csv.DictReader(fh)
            ]
        history: dict[str, str] = {}
        former: dict[str, set[str]] = defaultdict(set)
        with (directory / "nis_history.csv").open(encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                history[r["old_nis"]] = r["new_nis"]
                for name in (r.get("old_name_nl"), r.get("old_name_fr")):
                    if name:
                        former[name].add(r["new_nis"])
        return cls(municipalities, places, history, dict(former))

    # ------------------------------------------------------------ postcodes

    def by_postcode(self, postcode: str | int | None) -> list[Place]:
        """The places of a postcode, main place first; [] for an unknown postcode."""
        pc = normalise_postcode(postcode)
        return list(self._by_postcode.get(pc, ())) if pc else []

    def is_valid_postcode(self, postcode: str | int | None) -> bool:
        """True for a geographic Belgian postcode (not special codes such as 1099 Brussel X)."""
        pc = normalise_postcode(postcode)
        return pc is not None and pc in self._by_postcode

    def postcode_centroid(self, postcode: str | int | None) -> tuple[float, float] | None:
        """Mean (lat, lon) of the postcode's places."""
        return _mean(self.by_postcode(postcode))

    def postcodes(self, nis: str | int) -> list[str]:
        """Sorted postcodes of a municipality (old NIS codes accepted)."""
        return sorted({p.postcode for p in self._by_nis.get(self.current_nis(nis), ())})

    # ------------------------------------------------------------ municipalities

    def current_nis(self, nis: str | int) -> str:
        """The current code for a NIS code retired by a merger; other codes unchanged."""
        code = str(nis).strip()
        return self._history.get(code, code)

    def municipality(self, nis: str | int | None) -> Municipality | None:
        """The municipality with this (current or retired) NIS code."""
        if nis is None:
            return None
        return self._municipalities.get(self.current_nis(nis))

    def municipalities(self, region: str | None = None) -> list[Municipality]:
        """All current municipalities by NIS code, optionally of one region (VLG/WAL/BRU)."""
        wanted = region.upper() if region else None
        return [
            m
            for _, m in sorted(self._municipalities.items())
            if wanted is None or m.region == wanted
        ]

    def municipality_centroid(self, nis: str | int) -> tuple[float, float] | None:
        """Mean (lat, lon) of the municipality's places."""
        return self._centroids.get(self.current_nis(nis))

    def provinces(self) -> dict[str, tuple[str, str]]:
        """Province code -> (Dutch name, French name); ``BRU`` stands for the Brussels region."""
        return {
            m.province_code: (m.province_nl, m.province_fr)
            for _, m in sorted(self._municipalities.items())
        }

    # ------------------------------------------------------------ names

    def find_municipality(self, name: str | None) -> Municipality | None:
        """Municipality by name.

        Tried in order: current NL/FR/DE names, names of municipalities retired by a merger
        ("Melle" -> Merelbeke-Melle), postcodes' main places, then any place (deelgemeente).

        A name shared by places of different municipalities (e.g. "Zandvoorde") gives None at
        that level; use :meth:`find_place` with a postcode for those.
        """
        for key in _keys(name):
            for index in self._municipality_name_indexes:
                found = index.get(key)
                if found:
                    return self._municipalities[next(iter(found))] if len(found) == 1 else None
        return None

    def find_place(self, name: str | None, postcode: str | int | None = None) -> Place | None:
        """A place by name, optionally within a postcode.

        With a postcode, the municipality's own name also finds that postcode's main place.
        Without one, an ambiguous name resolves only if one candidate is a main place.
        """
        keys = _keys(name)
        if not keys:
            return None
        if postcode is not None:
            places = self.by_postcode(postcode)
            for key in keys:
                for place in places:
                    if key in (name_key(place.name_nl), name_key(place.name_fr)):
                        return place
            for key in keys:
                for place in places:
                    municipality = self._municipalities[place.nis]
                    if key in _municipality_keys(municipality):
                        return next((p for p in places if p.is_main), place)
            return None
        for key in keys:
            candidates = self._place_index.get(key)
            if not candidates:
                continue
            if len({p.nis for p in candidates}) == 1:
                return candidates[0]
            mains = [p for p in candidates if p.is_main]
            if len({p.nis for p in mains}) == 1:
                return mains[0]
            return None
        return None

    def places_named(self, name: str | None) -> list[Place]:
        """Every place (main or deelgemeente) with this NL/FR name, main places first."""
        for key in _keys(name):
            found = self._place_index.get(key)
            if found:
                return list(found)
        return []

    # ------------------------------------------------------------ lazily built indexes

    @cached_property
    def _centroids(self) -> dict[str, tuple[float, float]]:
        return {nis: c for nis, places in self._by_nis.items() if (c := _mean(places))}

    @cached_property
    def _place_index(self) -> dict[str, list[Place]]:
        index: dict[str, list[Place]] = defaultdict(list)
        ordered = sorted(
            (p for ps in self._by_postcode.values() for p in ps),
            key=lambda p: (not p.is_main, p.postcode),
        )
        for place in ordered:
            for key in {name_key(place.name_nl), name_key(place.name_fr)}:
                index[key].append(place)
        return dict(index)

    @cached_property
    def _municipality_name_indexes(self) -> list[dict[str, set[str]]]:
        own: dict[str, set[str]] = defaultdict(set)
        for m in self._municipalities.values():
            for key in _municipality_keys(m):
                own[key].add(m.nis)
        mains: dict[str, set[str]] = defaultdict(set)
        anywhere: dict[str, set[str]] = defaultdict(set)
        for key, places in self._place_index.items():
            for place in places:
                anywhere[key].add(place.nis)
                if place.is_main:
                    mains[key].add(place.nis)
        former: dict[str, set[str]] = defaultdict(set)
        for name, codes in self._former_names.items():
            former[name_key(name)] |= codes
        return [dict(own), dict(former), dict(mains), dict(anywhere)]


def _municipality_keys(m: Municipality) -> set[str]:
    return {name_key(n) for n in (m.name_nl, m.name_fr, m.name_de) if n}


def _keys(name: str | None) -> list[str]:
    """The name's key, then the key without "(...)" parts and trailing district numbers."""
    key = name_key(name)
    if not key:
        return []
    keys = [key]
    stripped = name_key(_PARENS.sub(" ", name or ""))
    stripped = re.sub(r"(?: \d{1,4})+$", "", stripped)
    if stripped and stripped not in keys:
        keys.append(stripped)
    return keys


def _mean(places: list[Place]) -> tuple[float, float] | None:
    if not places:
        return None
    return (
        sum(p.lat for p in places) / len(places),
        sum(p.lon for p in places) / len(places),
    )


@functools.lru_cache(maxsize=1)
def get_gazetteer() -> Gazetteer:
    """The shipped gazetteer, loaded once."""
    return Gazetteer.load()
