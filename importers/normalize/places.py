"""Gazetteer look-ups for Belgian addresses: postcode/city/NIS resolution, memoised.

Used by :func:`importers.normalize.addresses.normalize_address`; the gazetteer itself is
:mod:`socialmap.gazetteer` (imported lazily).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Any

from importers.normalize.text import _CACHE_SIZE


@lru_cache(maxsize=_CACHE_SIZE)
def _name_key(s: str) -> str:
    """Accent/case/punctuation-insensitive key for place names ("ST.-NIKLAAS" ~ "Sint-Niklaas")."""
    s = unicodedata.normalize("NFKD", s.casefold())
    s = "".join(ch if ch.isalnum() else " " for ch in s if not unicodedata.combining(ch))
    words = s.split()
    # Expand the abbreviations used in place names: St./Ste. = Sint/Saint/Sainte.
    expanded = []
    for w in words:
        if w == "st":
            w = "sint"
        elif w in ("saint", "sainte", "ste", "sankt"):
            w = "sint"
        expanded.append(w)
    return " ".join(expanded)


def _default_gazetteer() -> Any:
    try:
        from socialmap.gazetteer import get_gazetteer
    except ImportError:  # pragma: no cover - the gazetteer module ships with the app
        return None
    return get_gazetteer()


def _place_names(place: Any) -> tuple[str, ...]:
    return tuple(n for n in (getattr(place, "name_nl", None), getattr(place, "name_fr", None)) if n)


# Per-gazetteer memo of (postcode, city) -> resolution; gazetteer objects may be unhashable
# (dataclasses), so they are keyed by id() and kept alive in the value.
_RESOLVE_CACHE: dict[int, tuple[Any, dict[tuple[str | None, str | None, bool], Any]]] = {}


def _resolve(gaz: Any, postcode: str | None, city: str | None, district: bool) -> Any:
    entry = _RESOLVE_CACHE.get(id(gaz))
    if entry is None or entry[0] is not gaz:
        entry = (gaz, {})
        _RESOLVE_CACHE[id(gaz)] = entry
    memo = entry[1]
    key = (postcode, city, district)
    if key not in memo:
        if len(memo) > _CACHE_SIZE:
            memo.clear()
        memo[key] = _resolve_uncached(gaz, postcode, city, district)
    return memo[key]


def _spelling(gaz: Any, place: Any, city: str) -> str:
    """The gazetteer spelling of ``city`` (fixes case and accents), in the language written."""
    key = _name_key(city)
    for name in _place_names(place):
        if _name_key(name) == key:
            return name
    muni_of = getattr(gaz, "municipality", None)
    muni = muni_of(place.nis) if muni_of is not None else None
    if muni is not None:
        for name in (muni.name_nl, muni.name_fr, getattr(muni, "name_de", None)):
            if name and _name_key(name) == key:
                return name
    return city


def _language_of(gaz: Any, city: str | None, postcode: str) -> str:
    """ "fr" when ``city`` is written in French ("Bruxelles"), else by region of the postcode."""
    if city:
        muni = gaz.find_municipality(city)
        if muni is not None:
            key = _name_key(city)
            if _name_key(muni.name_fr) == key and _name_key(muni.name_nl) != key:
                return "fr"
            if _name_key(muni.name_nl) == key:
                return "nl"
    pc = int(postcode) if postcode.isdigit() else 0
    return "fr" if (1300 <= pc < 1500 or 4000 <= pc < 8000) else "nl"


# "Brussel"/"Bruxelles" is written for every Brussels commune (1000-1299); the postcode
# tells which one.
_BRUSSELS_KEYS = frozenset(["brussel", "bruxelles", "brussels", "brussel stad", "bruxelles ville"])


def _fuzzy_place(places: list[Any], city: str) -> tuple[Any, str] | None:
    """Loose match within one postcode: "Beveren" ~ "Beveren-Waas", "Bonsecours" ~
    "Bon-Secours", "Fraiture-en-Condroz" ~ "Fraiture" (whole leading words only)."""
    ck = _name_key(city)
    if not ck:
        return None
    ck_flat = ck.replace(" ", "")
    for place in places:
        for name in _place_names(place):
            k = _name_key(name)
            if k.replace(" ", "") == ck_flat or k.startswith(ck + " ") or ck.startswith(k + " "):
                return place, name
    return None


def _main_place_name(gaz: Any, places: list[Any], city: str | None, postcode: str) -> str | None:
    if not places:
        return None
    main = next((p for p in places if getattr(p, "is_main", False)), places[0])
    lang = _language_of(gaz, city, postcode)
    nl, fr = main.name_nl or None, main.name_fr or None
    return (fr or nl) if lang == "fr" else (nl or fr)


def _resolve_uncached(gaz: Any, postcode: str | None, city: str | None, district: bool) -> tuple:
    """-> (postcode, city, nis, issues) for a postcode and/or city name."""
    if postcode is not None:
        if not gaz.is_valid_postcode(postcode):
            return postcode, city, None, (f"unknown postcode {postcode}",)
        places = list(gaz.by_postcode(postcode) or ())
        nis_codes = {p.nis for p in places if p.nis}
        nis = nis_codes.pop() if len(nis_codes) == 1 else None
        if city is None:
            name = _main_place_name(gaz, places, None, postcode)
            return postcode, name, nis, ("city filled from postcode",) if name else ()
        # find_place also accepts the municipality's name for a deelgemeente's postcode
        # (8310 "Brugge" -> Assebroek/Sint-Kruis, both in Brugge).
        place = gaz.find_place(city, postcode)
        if place is not None:
            return postcode, _spelling(gaz, place, city), place.nis, ()
        fuzzy = _fuzzy_place(places, city)
        if fuzzy is not None:
            return postcode, fuzzy[1], fuzzy[0].nis, ()
        if district or _name_key(city) in _BRUSSELS_KEYS and postcode < "1300":
            # "BRUXELLES--3" is bpost's district name for 1030 Schaerbeek: trust the postcode.
            name = _main_place_name(gaz, places, city, postcode)
            if name:
                return (
                    postcode,
                    name,
                    nis,
                    (f"city {city} replaced by {name} (postcode {postcode})",),
                )
        return postcode, city, nis, (f"city {city} does not match postcode {postcode}",)
    if city is not None:
        place = gaz.find_place(city)
        if place is not None:
            name = _spelling(gaz, place, city)
            return place.postcode, name, place.nis, ("postcode filled from municipality",)
        muni = gaz.find_municipality(city)
        if muni is not None and getattr(muni, "main_postcode", None):
            name = next(
                (n for n in (muni.name_nl, muni.name_fr) if n and _name_key(n) == _name_key(city)),
                city,
            )
            return muni.main_postcode, name, muni.nis, ("postcode filled from municipality",)
        return None, city, None, (f"unknown municipality {city}",)
    return None, None, None, ()
