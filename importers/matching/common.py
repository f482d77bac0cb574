"""Helpers shared by all kinds: distances, name similarity, logit, blocking tokens, geo keys."""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz

from importers import keys as k
from importers.matching.weights import GEO_CELL_LAT
from importers.matching.weights import GEO_CELL_LON
from importers.matching.weights import MAX_NAME_TOKENS
from importers.matching.weights import TOKEN_TYPO_RATIO


def _interp(x: float, knots: tuple[tuple[float, float], ...]) -> float:
    """Piecewise-linear interpolation through ``knots``, constant outside them."""
    x0, y0 = knots[0]
    if x <= x0:
        return y0
    for x1, y1 in knots[1:]:
        if x <= x1:
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
        x0, y0 = x1, y1
    return y0


_EARTH_RADIUS_M = 6_371_008.8


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in metres; within 0.5% of geopy's geodesic."""
    p1 = math.radians(lat1)
    p2 = math.radians(lat2)
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * _EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


# Coordinates prepared for fast distances: (lat, lon, lat radians, lon radians, cos lat).
# A plain tuple of floats, so that the garbage collector does not track 100k of them.
_Point = tuple[float, float, float, float, float]


def _point(lat: Any, lon: Any) -> _Point | None:
    if lat is None or lon is None:
        return None
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        return None
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0) or (lat == 0.0 and lon == 0.0):
        return None  # (0, 0) is a failed geocode, not a place
    phi = math.radians(lat)
    return (lat, lon, phi, math.radians(lon), math.cos(phi))


def _distance(a: _Point, b: _Point) -> float:
    """Distance in metres: equirectangular below 50 km (error < 0.1%), haversine beyond."""
    dy = b[2] - a[2]
    dx = (b[3] - a[3]) * (a[4] + b[4]) * 0.5
    d = _EARTH_RADIUS_M * math.sqrt(dx * dx + dy * dy)
    return d if d < 50_000.0 else distance_m(a[0], a[1], b[0], b[1])


@lru_cache(maxsize=262_144)
def _sorted_tokens(key: str) -> str:
    return " ".join(sorted(key.split()))


def _ratio_pair(a: str, b: str) -> float:
    # fuzz.ratio on pre-sorted tokens is rapidfuzz's token_sort_ratio without re-sorting.
    return (fuzz.token_set_ratio(a, b) + fuzz.ratio(_sorted_tokens(a), _sorted_tokens(b))) / 200


def _has_unmatched(tokens: list[str], other: list[str]) -> bool:
    """True when a token of ``tokens`` has no counterpart (equal or a typo away) in ``other``."""
    for tok in tokens:
        if tok in other:
            continue
        if not any(fuzz.ratio(tok, o) >= TOKEN_TYPO_RATIO for o in other):
            return True
    return False


def name_similarity(a: str, b: str) -> float:
    """Similarity 0..1 of two name keys (see :func:`importers.keys.name_key`).

    The mean of rapidfuzz's token-set and token-sort ratios: token-set alone says 1.0
    whenever one name is contained in the other ("Whatcom County" vs "Whatcom County
    Sheriff's Office"); the mean keeps that a partial agreement while word order does not
    matter. When *both* names have a specific word (not in
    :data:`importers.keys.GENERIC_NAME_WORDS`) that the other lacks, even with a typo,
    the names conflict, and only their specific parts are compared: "Vrije Basisschool
    Ronse" vs "Vrije Basisschool Het Els" is 0.25, not the 0.88 that the long shared words
    would give. A missing or misspelt word is no conflict.
    """
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    full = _ratio_pair(a, b)
    da, db = k.distinctive_key(a), k.distinctive_key(b)
    if _conflict(a, b, da, db):
        return min(full, _ratio_pair(da, db))
    return full


def names_conflict(a: str, b: str) -> bool:
    """True when *both* name keys have a specific word the other lacks (even misspelt).

    "Vrije Basisschool Ronse" vs "Vrije Basisschool Het Els" conflict; "Sea Mar" vs "Sea
    Mar Ferndale" do not (one only adds words), nor do names without specific words.
    """
    return a != b and _conflict(a, b, k.distinctive_key(a), k.distinctive_key(b))


def _conflict(a: str, b: str, da: str, db: str) -> bool:
    # da, db: the distinctive keys of a, b (passed in: name_similarity needs them too).
    if not (da and db and da != db):
        return False
    return _has_unmatched(da.split(), b.split()) and _has_unmatched(db.split(), a.split())


def _best_name_similarity(names_a: tuple[str, ...], names_b: tuple[str, ...]) -> float | None:
    best: float | None = None
    for a in names_a:
        for b in names_b:
            sim = name_similarity(a, b)
            if best is None or sim > best:
                best = sim
                if sim == 1.0:
                    return sim
    return best


def _format_distance(metres: float) -> str:
    if metres < 1000:
        return f"{metres:.0f} m apart"
    return f"{metres / 1000:.1f} km apart"


def _shares(a: tuple[str, ...], b: tuple[str, ...]) -> float | None:
    """1.0 when two collections share a value, 0.0 when not, None when one is empty."""
    if not a or not b:
        return None
    for x in a:
        if x in b:
            return 1.0
    return 0.0


_BLANK = frozenset({""})


def _values(values: Iterable[str] | None) -> tuple[str, ...]:
    """Distinct non-empty values as a tuple (not tracked by the garbage collector)."""
    if not values:
        return ()
    if isinstance(values, (frozenset, set)):
        return tuple(values - _BLANK) if "" in values else tuple(values)
    return tuple(dict.fromkeys(v for v in values if v))


def _logit(p: float) -> float:
    if p <= 0.0:
        return -math.inf
    if p >= 1.0:
        return math.inf
    return math.log(p / (1.0 - p))


@lru_cache(maxsize=262_144)
def _block_tokens(name: str) -> tuple[str, ...]:
    """Distinct tokens of a name key usable for blocking, longest (most specific) first."""
    usable = sorted({tok for tok in name.split() if len(tok) >= 2}, key=lambda t: (-len(t), t))
    return tuple(usable[:MAX_NAME_TOKENS])


def _geo_keys(
    point: _Point | None, suffixes: Iterable[str], has_postcode: bool
) -> tuple[list[str], list[str]]:
    """Insert and query keys for ~1 km grid cell + each suffix (name token).

    The geo keys exist to pair a record *without* a postcode with its duplicate; two
    records with postcodes already meet on postcode + token. So a record with a postcode
    is filed under, and looks in, its own cell only; a record without one is filed under,
    and looks in, the 2x2 cells around its quadrant (the own cell and the three neighbours
    on the side of the quadrant the point lies in), which contain every point within
    ~500 m. Any pair within ~500 m of which one side lacks a postcode therefore meets.
    """
    if point is None:
        return [], []
    y, x = point[0] / GEO_CELL_LAT, point[1] / GEO_CELL_LON
    cy, cx = math.floor(y), math.floor(x)
    own = f"g{cy}:{cx}:"
    if has_postcode:
        keys = [own + s for s in suffixes]
        return keys, keys
    ny = cy - 1 if y - cy < 0.5 else cy + 1
    nx = cx - 1 if x - cx < 0.5 else cx + 1
    cells = (own, f"g{ny}:{cx}:", f"g{cy}:{nx}:", f"g{ny}:{nx}:")
    keys = [c + s for c in cells for s in suffixes]
    return keys, keys
