"""Sites (physical places): comparison keys, features, evidence, blocking, scoring."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from importers import keys as k
from importers.matching.common import _best_name_similarity
from importers.matching.common import _block_tokens
from importers.matching.common import _distance
from importers.matching.common import _geo_keys
from importers.matching.common import _interp
from importers.matching.common import _point
from importers.matching.common import _shares
from importers.matching.common import _values
from importers.matching.common import names_conflict
from importers.matching.profiles import DEFAULT_THRESHOLDS
from importers.matching.profiles import LocationProfile
from importers.matching.profiles import PairScore
from importers.matching.profiles import Thresholds
from importers.matching.scoring import _Kind
from importers.matching.scoring import _score
from importers.matching.weights import GEO_NAME_TOKENS
from importers.matching.weights import LOCATION_DISTANCE_KNOTS
from importers.matching.weights import LOCATION_NAME_KNOTS
from importers.matching.weights import STRONG_BONUS
from importers.matching.weights import W_ADDRESS_COMPATIBLE
from importers.matching.weights import W_ADDRESS_SAME
from importers.matching.weights import W_CITY_DIFFERENT
from importers.matching.weights import W_CITY_SAME
from importers.matching.weights import W_HOUSE_SUFFIX_DIFFERENT
from importers.matching.weights import W_LOCATION_PHONE_SHARED
from importers.matching.weights import W_POSTCODE_DIFFERENT
from importers.matching.weights import W_POSTCODE_DIFFERENT_SAME_CITY
from importers.matching.weights import W_POSTCODE_SAME
from importers.matching.weights import W_SAME_ORGANIZATION
from importers.matching.weights import W_STREET_DIFFERENT
from importers.matching.weights import W_STREET_ONLY
from importers.matching.weights import W_UNIT_DIFFERENT
from importers.matching.weights import W_UNIT_SAME
from importers.matching.weights import Blocking
from importers.matching.weights import Evidence

# A qualifier in parentheses or after a spaced dash names a branch or a place, not the
# organisation: "Unity Care NW (Ferndale Health Center)", "Compass Health - Whatcom County",
# "CAW Oost-Vlaanderen - Onthaal Gent". A dash inside a word ("Oost-Vlaanderen") is none.
_QUALIFIER_RE = re.compile(r"\s+[-\u2013\u2014]\s+|\s*[(\[]")


@lru_cache(maxsize=65_536)
def _org_core(name: str | None) -> str:
    """The name key of an organisation name without its qualifier; "" when there is none.

    A core made only of generic words ("Dienst (Gent)" -> "dienst") is no name: "".
    """
    if not name:
        return ""
    core = _QUALIFIER_RE.split(name, maxsplit=1)[0]
    if core == name:
        return ""
    key = k.name_key(core)
    return key if k.distinctive_key(key) else ""


class _LocKeys:
    __slots__ = (
        "id",
        "org_id",
        "org_name",
        "orgs",
        "names",
        "street",
        "house_number",
        "unit",
        "postcode",
        "city",
        "point",
        "phones",
    )

    def __init__(self, p: LocationProfile) -> None:
        self.id = p.id
        self.org_id = p.organization_id or None
        self.org_name = k.name_key(p.org_name)
        own = k.name_key(p.name)
        # Sources often "name" a site by its address ("1824 Ellis St, Bellingham"): that
        # is address evidence, counted already, not a name.
        if own and own[0].isdigit():
            own = ""
        self.orgs = tuple(dict.fromkeys(n for n in (self.org_name, _org_core(p.org_name)) if n))
        self.names = tuple(dict.fromkeys(n for n in (*self.orgs, own) if n))
        self.street = k.street_key(p.street) or None
        self.house_number = k.house_number_key(p.house_number)
        self.unit = k.unit_key(p.box, p.address_2)
        self.postcode = k.fold(p.postcode).replace(" ", "") or None
        self.city = k.fold(p.city) or None
        self.point = _point(p.lat, p.lon)
        self.phones = _values(p.phones)


_STREET_AGREEMENT: dict[str | None, float] = {"same": 1.0, "compatible": 0.75, "different": 0.0}
_NUMBER_AGREEMENT: dict[str | None, float] = {"same": 1.0, "suffix": 0.5, "different": 0.0}


def _unit_agreement(a: frozenset[str] | None, b: frozenset[str] | None) -> float | None:
    """1.0 same unit, 0.0 different, None when unknown or one is only less specific.

    "King County Courthouse" vs "King County Courthouse, C-811" is no disagreement, but no
    evidence of the same room either.
    """
    if a is None or b is None:
        return None
    if a == b:
        return 1.0
    return None if a <= b or b <= a else 0.0


def _location_veto(a: _LocKeys, b: _LocKeys) -> bool:
    if a.house_number is None or b.house_number is None or a.house_number == b.house_number:
        return False
    if k.compare_house_numbers(a.house_number, b.house_number) != "different":
        return False
    return k.compare_streets(a.street, b.street) in ("same", "compatible")


def _location_features(a: _LocKeys, b: _LocKeys) -> dict[str, float | None]:
    same_org = None
    if a.org_id and b.org_id:
        same_org = float(a.org_id == b.org_id)
    return {
        "street": _STREET_AGREEMENT.get(k.compare_streets(a.street, b.street)),
        "house_number": _NUMBER_AGREEMENT.get(
            k.compare_house_numbers(a.house_number, b.house_number)
        ),
        "unit": _unit_agreement(a.unit, b.unit),
        "postcode": None if not (a.postcode and b.postcode) else float(a.postcode == b.postcode),
        "city": None if not (a.city and b.city) else float(a.city == b.city),
        "name": None,  # filled in by _evaluate
        # Organisation ids are only comparable after organisations are merged; an equal
        # normalised organisation name also means "one organisation" for the room rule.
        "same_organization": same_org,
        "same_org_name": (
            None if not (a.org_name and b.org_name) else float(a.org_name == b.org_name)
        ),
        "phone": _shares(a.phones, b.phones),
        "distance_m": _distance(a.point, b.point) if a.point and b.point else None,
    }


def _location_evidence(f: dict[str, Any]) -> tuple[Evidence, str | None, str | None]:
    ev: Evidence = []
    veto = hold = None
    street, number = f["street"], f["house_number"]
    same_address = False
    if street is not None and street > 0.0:
        if number == 1.0:
            same_address = True
            if street == 1.0:
                ev.append((W_ADDRESS_SAME, "same address", None))
            else:
                ev.append((W_ADDRESS_COMPATIBLE, "same address (street written differently)", None))
        elif number == 0.5:
            ev.append((W_HOUSE_SUFFIX_DIFFERENT, "house number differs in its letter", None))
        elif number == 0.0:
            veto = "different house number"
        else:
            ev.append((W_STREET_ONLY, "same street", None))
    elif street == 0.0:
        ev.append((W_STREET_DIFFERENT, "different street", None))
    if f["postcode"] == 1.0:
        ev.append((W_POSTCODE_SAME, "same postcode", None))
    elif f["postcode"] == 0.0:
        if f["city"] == 1.0:
            ev.append((W_POSTCODE_DIFFERENT_SAME_CITY, "different postcode, same city", None))
        else:
            ev.append((W_POSTCODE_DIFFERENT, "different postcode", None))
    elif f["city"] == 1.0:
        ev.append((W_CITY_SAME, "same city", None))
    elif f["city"] == 0.0:
        ev.append((W_CITY_DIFFERENT, "different city", None))
    if same_address and f["unit"] is not None:
        if f["same_organization"] == 1.0 or f["same_org_name"] == 1.0:
            if f["unit"] == 0.0:
                ev.append((0.0, "same organisation, other room/suite: same site", None))
        elif f["unit"] == 1.0:
            ev.append((W_UNIT_SAME, "same room/suite", None))
        else:
            ev.append((W_UNIT_DIFFERENT, "different room/suite", None))
            # Organisations not known to be one, behind different doors of one building:
            # even when their names agree (two programmes of one parent, "Public Health -
            # Seattle & King County" in suites 1100 and 1250) a steward decides.
            hold = "different room/suite of organisations not known to be one"
    if f["same_organization"] == 1.0:
        ev.append((W_SAME_ORGANIZATION, "same organisation", None))
    if f["phone"] == 1.0:
        ev.append((W_LOCATION_PHONE_SHARED, "shared phone number", None))
    if f["distance_m"] is not None:
        weight = _interp(f["distance_m"], LOCATION_DISTANCE_KNOTS)
        # Coordinates are mostly geocoded from the address: when the addresses agree,
        # nearness repeats that evidence; only being far apart is news.
        if not (same_address and weight > 0.0):
            ev.append((weight, "", f["distance_m"]))
    return ev, veto, hold


def _location_blocking(p: _LocKeys) -> Blocking:
    keys = ["p:" + ph for ph in p.phones]
    if p.street and p.house_number:
        # Filed under postcode and city, so a copy without a postcode still meets it.
        address = f"{k.compact(p.street)}:{p.house_number}"
        if p.postcode:
            keys.append(f"a:{p.postcode}:{address}")
        if p.city:
            keys.append(f"a:{p.city}:{address}")
    strong = [(key, STRONG_BONUS) for key in keys]
    tokens = _block_tokens(" ".join(p.names)) if p.names else ()
    place = p.postcode or p.city
    if place:
        keys += [f"t:{place}:{tok}" for tok in tokens]
    geo_in, geo_q = _geo_keys(p.point, tokens[:GEO_NAME_TOKENS], p.postcode is not None)
    return keys + geo_in, keys + geo_q, strong


def _location_similarity(a: _LocKeys, b: _LocKeys) -> float | None:
    """The best similarity among the names of two sites; only organisation names when the
    organisations conflict.

    A site is often named after its venue ("Law Advocates at Bellingham Public Library",
    "North Sound Cooling Centers" at "Bellingham Library - Fairhaven Branch"): between two
    different organisations a shared site name shows a shared building, which the address
    already counts, not one service point. Organisations conflict when every pair of their
    names (with and without qualifier) has specific words on both sides that the other lacks.
    """
    if a.orgs and b.orgs and all(names_conflict(x, y) for x in a.orgs for y in b.orgs):
        return _best_name_similarity(a.orgs, b.orgs)
    return _best_name_similarity(a.names, b.names)


def score_locations(
    a: LocationProfile, b: LocationProfile, th: Thresholds = DEFAULT_THRESHOLDS
) -> PairScore:
    """Score whether two location profiles are the same physical site."""
    return _score(_LOCATION, _LocKeys(a), _LocKeys(b), th)


_LOCATION = _Kind(
    "location",
    _LocKeys,
    _location_veto,
    _location_features,
    _location_evidence,
    LOCATION_NAME_KNOTS,
    _location_blocking,
    _location_similarity,
)
