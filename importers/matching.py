"""Record linkage: decide whether two organisations, sites or services are the same.

The importer pipeline fills :class:`OrgProfile`, :class:`LocationProfile` and
:class:`ServiceProfile` with already-normalised values (E.164 phones, lowercased e-mails,
canonical KBO numbers, URLs with scheme); this module derives comparison keys from them
(:mod:`importers.keys`), scores pairs (:func:`score_organizations`,
:func:`score_locations`, :func:`score_services`) and finds likely duplicates among many
profiles fast (:class:`Matcher`).

Scoring formula
---------------
Every pair gets one explainable weighted sum of evidence, in natural log-odds
(the Fellegi-Sunter / naive-Bayes form that record-linkage tools use)::

    log_odds = PRIOR[kind] + sum(weight(feature) for every comparable feature)
    score    = 1 / (1 + exp(-log_odds))                      # 0..1
    decision = "merge"    if score >= thresholds.auto_merge
               "review"   if score >= thresholds.review
               "distinct" otherwise

A feature that is missing on either side contributes **0** (it is "not comparable",
``None`` in :attr:`PairScore.features`), so missing data never counts as disagreement;
it only leaves the pair with less evidence. Hard evidence is a *veto*: a different valid
KBO number (organisations), a different house number on the same street (locations) or a
different or unknown organisation (services) caps ``log_odds`` at :data:`VETO_LOG_ODDS`
(score 0.018, below any sensible review threshold), whatever else agrees.

Name similarity (:func:`name_similarity`) is the mean of rapidfuzz's token-set and
token-sort ratios on :func:`importers.keys.name_key` (legal forms, stop-words, accents and
punctuation removed). When both names have a specific word the other lacks, only their
specific parts (without generic words such as "Vrije Basisschool", "Dienstencentrum")
are compared, so two schools that share only "Vrije Basisschool" are not similar. For
sites, the best pair among organisation name and site name counts. Distances are
great-circle distances (within 0.5% of geopy's geodesic).

Why these weights
-----------------
A weight is roughly ``ln(P(agreement | same) / P(agreement | different))`` among pairs
that reach scoring, i.e. that already share a blocking key:

* ``PRIOR`` = -2 (-1.5 for services): among pairs sharing a blocking key, duplicates are a
  minority (about 1 in 8; services are compared only inside one organisation, where
  duplicates are commoner).
* KBO equal +9: an enterprise number is issued once; a shared one is near-proof.
* Name similarity is a curve, not a step. Identical names are strong (+4.5 organisations,
  +3 sites, +5 services); around 0.8 is neutral for organisations ("CAW Oost-Vlaanderen"
  vs "CAW West-Vlaanderen" is 0.77); lower similarity is evidence *against*. Sites weigh
  names less and need more similarity (0.85 is still slightly negative): one building
  hosts many organisations whose names share words ("Whatcom County District Court",
  "Whatcom County Sheriff's Office"), and a site's name is often just its organisation's
  name.
* Address (sites): same street and number +5. Duplicates share their postal address
  nearly always, different sites only in multi-tenant buildings; there the names (and
  suites) differ, and the pair lands in *review*, not in an automatic merge. Same street
  without a number on both sides +1; a different street -3; the same street with a
  different number is a veto (two doors on one street are two sites; in referral work
  sending someone to the wrong door is the costly error). 12 vs 12a is -1, not a veto.
* Rooms and suites do not separate one organisation's offices in one building: a
  different ``address_2``/box only counts (-1.5; +1 when equal) when the organisations
  differ (different ``organization_id`` and organisation name).
* Postcode: +0.5 when equal for sites (+1 for organisations, whose other location
  evidence is weak); different but the city agrees: probably a slip (-0.5); different
  postcode and city -2.5 (-1.5 for organisations, which may list another office).
* Shared phone: +3 for organisations, +2 for sites (switchboards and helplines are shared
  by sibling sites and umbrella organisations, so it is not proof). Shared e-mail +3,
  shared non-generic web/e-mail domain +2 (free-mail and hosting domains never count).
* Distance: sites within 30 m +2.5, 150 m +1, 500 m neutral, 2 km -2, 5 km -4 (geocoders
  differ by tens of metres, rarely by kilometres). Coordinates are usually geocoded from
  the address, so when the addresses agree, nearness adds nothing (only being far apart
  counts). Organisations: +1 within 100 m down to -2.5 beyond 20 km (their profile point
  is one office of possibly several).

Thresholds: :data:`DEFAULT_THRESHOLDS` merges at score >= 0.95 (posterior odds 19:1, so
at most ~5% wrong merges where the weights are calibrated) and sends 0.5 <= score < 0.95
("more likely the same than not, but not sure") to human review. They are global values,
the same for every kind and every source. Worked examples: identical organisation names
with nothing else to compare score 0.92 (review); identical names in the same postcode
merge (0.97); the same site address with unrelated names (two tenants) is review (0.73);
the same address and organisation with different rooms merges.

Performance
-----------
:class:`Matcher` files profiles under blocking keys (see its docstring), ranks candidates
by the number of keys they share, and scores them best-first with a bound: the cheap
features (KBO, phones, e-mail, address, postcode, distance) are summed first, and the
name similarity -- the expensive part -- is only computed when the best possible name
weight could still lift the pair above the review threshold and the best candidate so
far. The bound is exact: it never changes which candidate wins.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from functools import lru_cache
from itertools import chain
from typing import Any

from rapidfuzz import fuzz

from importers import keys as k

# ---------------------------------------------------------------------------------------
# Public data types


@dataclass
class OrgProfile:
    """What the matcher knows about an organisation (a legal entity)."""

    id: str
    name: str | None
    kbo: str | None = None
    phones: frozenset[str] = frozenset()
    emails: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()
    postcodes: frozenset[str] = frozenset()
    lat: float | None = None
    lon: float | None = None


@dataclass
class LocationProfile:
    """What the matcher knows about a site (a physical place where services are given)."""

    id: str
    organization_id: str | None = None
    org_name: str | None = None
    name: str | None = None
    street: str | None = None
    house_number: str | None = None
    box: str | None = None
    address_2: str | None = None
    postcode: str | None = None
    city: str | None = None
    lat: float | None = None
    lon: float | None = None
    phones: frozenset[str] = frozenset()


@dataclass
class ServiceProfile:
    """What the matcher knows about a service (one offer of one organisation)."""

    id: str
    organization_id: str | None = None
    name: str | None = None
    location_ids: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()
    email: str | None = None
    url: str | None = None


@dataclass
class PairScore:
    """The verdict on one pair, with the evidence that led to it.

    ``features`` holds the raw comparisons (similarities 0..1, agreement 1.0/0.0,
    ``distance_m`` in metres; ``None`` = not comparable); ``reasons`` lists the evidence
    in words, strongest first, the veto (if any) on top.
    """

    score: float
    features: dict[str, float | None]
    decision: str  # merge | review | distinct
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Thresholds:
    """Score cut-offs: ``score >= auto_merge`` merges, ``score >= review`` asks a human."""

    auto_merge: float
    review: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.review <= self.auto_merge <= 1.0:
            raise ValueError("thresholds need 0 <= review <= auto_merge <= 1")

    def decide(self, score: float) -> str:
        """Return "merge", "review" or "distinct" for a score."""
        if score >= self.auto_merge:
            return "merge"
        if score >= self.review:
            return "review"
        return "distinct"


DEFAULT_THRESHOLDS = Thresholds(auto_merge=0.95, review=0.5)

# ---------------------------------------------------------------------------------------
# Weights (natural log-odds; the module docstring says why)

PRIOR = {"organization": -2.0, "location": -2.0, "service": -1.5}
VETO_LOG_ODDS = -4.0

# (similarity, weight) knots; linear in between, flat outside.
ORG_NAME_KNOTS = ((0.55, -3.0), (0.70, -1.5), (0.80, 0.0), (0.90, 2.5), (0.97, 4.5))
LOCATION_NAME_KNOTS = ((0.55, -2.5), (0.75, -1.5), (0.85, -0.5), (0.92, 1.5), (0.97, 3.0))
SERVICE_NAME_KNOTS = ((0.55, -3.0), (0.70, -1.0), (0.80, 0.5), (0.90, 2.5), (0.97, 5.0))
# (metres, weight) knots.
ORG_DISTANCE_KNOTS = ((100.0, 1.0), (2_000.0, 0.0), (20_000.0, -2.5))
LOCATION_DISTANCE_KNOTS = (
    (30.0, 2.5),
    (150.0, 1.0),
    (500.0, 0.0),
    (2_000.0, -2.0),
    (5_000.0, -4.0),
)

W_KBO_SAME = 9.0
W_ORG_PHONE_SHARED = 3.0
W_ORG_PHONE_DISJOINT = -0.5
W_EMAIL_SHARED = 3.0
W_DOMAIN_SHARED = 2.0
W_ORG_POSTCODE_SHARED = 1.0
W_ORG_POSTCODE_DISJOINT = -1.5

W_ADDRESS_SAME = 5.0
W_ADDRESS_COMPATIBLE = 4.0  # same street name, one side without type/direction
W_STREET_ONLY = 1.0
W_STREET_DIFFERENT = -3.0
W_HOUSE_SUFFIX_DIFFERENT = -1.0
W_POSTCODE_SAME = 0.5
W_POSTCODE_DIFFERENT_SAME_CITY = -0.5
W_POSTCODE_DIFFERENT = -2.5
W_CITY_SAME = 0.3
W_CITY_DIFFERENT = -2.0
W_UNIT_SAME = 1.0
W_UNIT_DIFFERENT = -1.5
W_SAME_ORGANIZATION = 1.0
W_LOCATION_PHONE_SHARED = 2.0

W_SERVICE_LOCATION_SHARED = 1.0
W_SERVICE_LOCATION_DISJOINT = -0.5
W_SERVICE_PHONE_SHARED = 1.0
W_SERVICE_EMAIL_SAME = 1.0
W_SERVICE_URL_PAGE_SAME = 1.5
W_SERVICE_URL_HOME_SAME = 0.3

# Blocking and candidate selection (Matcher)
MAX_BLOCK = 50  # a blocking key shared by more profiles than this stops being used
MAX_NAME_TOKENS = 4  # per profile, longest first: bounds the work for absurdly long names
GEO_CELL_LAT = 0.009  # ~1 km; with the quadrant look-up, neighbours within ~500 m are found
GEO_CELL_LON = 0.0143  # ~1 km at 51 degrees north
GEO_NAME_TOKENS = 2  # geo cell + each of the 2 longest name tokens
STRONG_BONUS = 2  # a shared KBO/phone/e-mail/address key counts as 1 + 2 shared keys
EXACT_NAME_BONUS = 1  # a shared exact name key counts as 1 + 1
QUERY_BLOCK_LIMIT = 20  # blocks bigger than this are not read when looking up
MIN_SHARED_HITS = 2  # a candidate must share a strong key or 2 weak ones ...
CANDIDATE_COUNT_RATIO = 2.0  # ... and at least half as many as the best-connected one
SCORED_CANDIDATES = 3  # at most this many candidates are fully evaluated per best_match

TOKEN_TYPO_RATIO = 75  # two words this similar (rapidfuzz ratio) are one word misspelt

# (weight, reason template, value for the template)
Evidence = list[tuple[float, str, Any]]
# (keys to file a profile under, keys to look candidates up with, (key, bonus hits))
Blocking = tuple[list[str], list[str], list[tuple[str, int]]]

# ---------------------------------------------------------------------------------------
# Small helpers


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
    if da and db and da != db:
        ta, tb = a.split(), b.split()
        if _has_unmatched(da.split(), tb) and _has_unmatched(db.split(), ta):
            return min(full, _ratio_pair(da, db))
    return full


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


# ---------------------------------------------------------------------------------------
# Organisations


class _OrgKeys:
    __slots__ = ("id", "names", "kbo", "phones", "emails", "domains", "postcodes", "point")

    def __init__(self, p: OrgProfile) -> None:
        self.id = p.id
        name = k.name_key(p.name)
        self.names = (name,) if name else ()
        self.kbo = k.kbo_key(p.kbo)
        self.phones = _values(p.phones)
        self.emails = _values(p.emails)  # lowercased by the pipeline
        domains = [k.registrable_domain(d) for d in p.domains]
        domains.extend(k.email_domain(e) for e in self.emails)
        self.domains = _values(d for d in domains if d and not k.is_generic_domain(d))
        self.postcodes = _values(p.postcodes)
        self.point = _point(p.lat, p.lon)


def _org_veto(a: _OrgKeys, b: _OrgKeys) -> bool:
    return a.kbo is not None and b.kbo is not None and a.kbo != b.kbo


def _org_features(a: _OrgKeys, b: _OrgKeys) -> dict[str, float | None]:
    return {
        "kbo": None if a.kbo is None or b.kbo is None else float(a.kbo == b.kbo),
        "name": None,  # filled in by _evaluate: it is the expensive feature
        "phone": _shares(a.phones, b.phones),
        "email": _shares(a.emails, b.emails),
        "domain": _shares(a.domains, b.domains),
        "postcode": _shares(a.postcodes, b.postcodes),
        "distance_m": _distance(a.point, b.point) if a.point and b.point else None,
    }


def _org_evidence(f: dict[str, Any]) -> tuple[Evidence, str | None]:
    ev: Evidence = []
    veto = None
    if f["kbo"] == 1.0:
        ev.append((W_KBO_SAME, "same KBO number", None))
    elif f["kbo"] == 0.0:
        veto = "different KBO number"
    if f["phone"] == 1.0:
        ev.append((W_ORG_PHONE_SHARED, "shared phone number", None))
    elif f["phone"] == 0.0:
        ev.append((W_ORG_PHONE_DISJOINT, "no shared phone number", None))
    if f["email"] == 1.0:
        ev.append((W_EMAIL_SHARED, "shared e-mail address", None))
    elif f["domain"] == 1.0:
        ev.append((W_DOMAIN_SHARED, "shared web/e-mail domain", None))
    if f["postcode"] == 1.0:
        ev.append((W_ORG_POSTCODE_SHARED, "same postcode", None))
    elif f["postcode"] == 0.0:
        ev.append((W_ORG_POSTCODE_DISJOINT, "different postcodes", None))
    if f["distance_m"] is not None:
        ev.append((_interp(f["distance_m"], ORG_DISTANCE_KNOTS), "", f["distance_m"]))
    return ev, veto


def _org_blocking(p: _OrgKeys) -> Blocking:
    strong = [("p:" + ph, STRONG_BONUS) for ph in p.phones]
    if p.emails:
        strong += [("m:" + e, STRONG_BONUS) for e in p.emails]
    if p.kbo:
        strong.append(("k:" + p.kbo, STRONG_BONUS))
    keys = [key for key, _ in strong]
    if p.domains:
        keys += ["d:" + d for d in p.domains]
    tokens: tuple[str, ...] = ()
    insert_only: list[str] = []
    if p.names:
        # The exact name is a strong key only where one side has no place to compare
        # (no postcode, no coordinates): the same name in two different towns is usually
        # two organisations, and two records in one town meet on postcode + token anyway.
        # Placeless profiles are also filed under "N:" so that a later profile *with* a
        # place still finds them by name.
        name = p.names[0]
        keys.append("n:" + name)
        strong.append(("N:" + name, 1 + EXACT_NAME_BONUS))
        if not p.postcodes and p.point is None:
            strong.append(("n:" + name, EXACT_NAME_BONUS))
            insert_only.append("N:" + name)
        tokens = _block_tokens(name)
    if p.postcodes:
        keys += [f"t:{pc}:{tok}" for pc in p.postcodes for tok in tokens]
    geo_in, geo_q = _geo_keys(p.point, tokens[:GEO_NAME_TOKENS], bool(p.postcodes))
    return keys + insert_only + geo_in, keys + geo_q, strong


def score_organizations(
    a: OrgProfile, b: OrgProfile, th: Thresholds = DEFAULT_THRESHOLDS
) -> PairScore:
    """Score whether two organisation profiles are the same legal entity."""
    return _score(_ORG, _OrgKeys(a), _OrgKeys(b), th)


# ---------------------------------------------------------------------------------------
# Locations


class _LocKeys:
    __slots__ = (
        "id",
        "org_id",
        "org_name",
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
        self.names = tuple(dict.fromkeys(n for n in (self.org_name, own) if n))
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


def _location_evidence(f: dict[str, Any]) -> tuple[Evidence, str | None]:
    ev: Evidence = []
    veto = None
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
    return ev, veto


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


def score_locations(
    a: LocationProfile, b: LocationProfile, th: Thresholds = DEFAULT_THRESHOLDS
) -> PairScore:
    """Score whether two location profiles are the same physical site."""
    return _score(_LOCATION, _LocKeys(a), _LocKeys(b), th)


# ---------------------------------------------------------------------------------------
# Services


class _ServiceKeys:
    __slots__ = ("id", "org_id", "names", "locations", "phones", "email", "url", "home")

    def __init__(self, p: ServiceProfile) -> None:
        self.id = p.id
        self.org_id = p.organization_id or None
        name = k.name_key(p.name)
        self.names = (name,) if name else ()
        self.locations = _values(p.location_ids)
        self.phones = _values(p.phones)
        self.email = p.email.lower() if p.email else None
        self.url = k.url_key(p.url)
        # A bare homepage is shared by every service of the organisation: weak evidence.
        self.home = self.url is not None and "/" not in self.url and "?" not in self.url


def _service_veto(a: _ServiceKeys, b: _ServiceKeys) -> bool:
    return a.org_id is None or a.org_id != b.org_id


def _service_features(a: _ServiceKeys, b: _ServiceKeys) -> dict[str, float | None]:
    url = None
    if a.url and b.url:
        url = 0.0 if a.url != b.url else (0.5 if a.home else 1.0)
    return {
        "same_organization": 0.0 if _service_veto(a, b) else 1.0,
        "name": None,  # filled in by _evaluate
        "location": _shares(a.locations, b.locations),
        "phone": _shares(a.phones, b.phones),
        "email": None if not (a.email and b.email) else float(a.email == b.email),
        "url": url,
    }


def _service_evidence(f: dict[str, Any]) -> tuple[Evidence, str | None]:
    ev: Evidence = []
    veto = None if f["same_organization"] == 1.0 else "different or unknown organisation"
    if f["location"] == 1.0:
        ev.append((W_SERVICE_LOCATION_SHARED, "shared location", None))
    elif f["location"] == 0.0:
        ev.append((W_SERVICE_LOCATION_DISJOINT, "no shared location", None))
    if f["phone"] == 1.0:
        ev.append((W_SERVICE_PHONE_SHARED, "shared phone number", None))
    if f["email"] == 1.0:
        ev.append((W_SERVICE_EMAIL_SAME, "same e-mail address", None))
    if f["url"] == 1.0:
        ev.append((W_SERVICE_URL_PAGE_SAME, "same web page", None))
    elif f["url"] == 0.5:
        ev.append((W_SERVICE_URL_HOME_SAME, "same homepage", None))
    return ev, veto


def _service_blocking(p: _ServiceKeys) -> Blocking:
    if not p.org_id or not p.names:
        return [], [], []  # services only ever match inside one (merged) organisation
    exact = f"o:{p.org_id}:={p.names[0]}"
    keys = [exact]
    keys.extend(f"o:{p.org_id}:{tok}" for tok in _block_tokens(p.names[0]))
    return keys, keys, [(exact, EXACT_NAME_BONUS)]


def score_services(
    a: ServiceProfile, b: ServiceProfile, th: Thresholds = DEFAULT_THRESHOLDS
) -> PairScore:
    """Score whether two service profiles are the same offer of the same organisation."""
    return _score(_SERVICE, _ServiceKeys(a), _ServiceKeys(b), th)


# ---------------------------------------------------------------------------------------
# Shared evaluation


@dataclass(frozen=True)
class _Kind:
    name: str
    prepare: Callable[[Any], Any]
    veto: Callable[[Any, Any], bool]  # cheap test of the hard evidence
    features: Callable[[Any, Any], dict[str, float | None]]  # all but the name
    evidence: Callable[[dict[str, Any]], tuple[Evidence, str | None]]  # all but the name
    name_knots: tuple[tuple[float, float], ...]
    blocking: Callable[[Any], Blocking]

    @property
    def prior(self) -> float:
        return PRIOR[self.name]

    @property
    def name_max(self) -> float:
        """The most the name evidence can add (the bound used to skip candidates)."""
        return max(w for _, w in self.name_knots)


_ORG = _Kind(
    "organization",
    _OrgKeys,
    _org_veto,
    _org_features,
    _org_evidence,
    ORG_NAME_KNOTS,
    _org_blocking,
)
_LOCATION = _Kind(
    "location",
    _LocKeys,
    _location_veto,
    _location_features,
    _location_evidence,
    LOCATION_NAME_KNOTS,
    _location_blocking,
)
_SERVICE = _Kind(
    "service",
    _ServiceKeys,
    _service_veto,
    _service_features,
    _service_evidence,
    SERVICE_NAME_KNOTS,
    _service_blocking,
)
_KINDS = {kind.name: kind for kind in (_ORG, _LOCATION, _SERVICE)}


def _evaluate(
    kind: _Kind, a: Any, b: Any, floor: float = -math.inf
) -> tuple[float, dict[str, float | None], Evidence, str | None] | None:
    """Return (log_odds, features, evidence, veto), or None when it cannot reach ``floor``.

    The name similarity is computed last, and only when the best name weight could still
    lift the pair to ``floor``.
    """
    features = kind.features(a, b)
    evidence, veto = kind.evidence(features)
    log_odds = kind.prior + sum(w for w, _, _ in evidence)
    if floor > -math.inf and (veto is not None or log_odds + kind.name_max < floor):
        return None
    sim = _best_name_similarity(a.names, b.names)
    if sim is not None:
        features["name"] = sim
        weight = _interp(sim, kind.name_knots)
        evidence.append((weight, "name similarity {:.2f}", sim))
        log_odds += weight
    if veto is not None:
        log_odds = min(log_odds, VETO_LOG_ODDS)
    return log_odds, features, evidence, veto


def _pair_score(
    log_odds: float,
    features: dict[str, float | None],
    evidence: Evidence,
    veto: str | None,
    th: Thresholds,
) -> PairScore:
    reasons = []
    for _, template, value in sorted(evidence, key=lambda e: -abs(e[0])):
        if not template:
            reasons.append(_format_distance(value))  # the only template-less reason
        else:
            reasons.append(template.format(value) if value is not None else template)
    if veto is not None:
        reasons.insert(0, veto)
    score = 1.0 / (1.0 + math.exp(-log_odds))
    return PairScore(score=score, features=features, decision=th.decide(score), reasons=reasons)


def _score(kind: _Kind, a: Any, b: Any, th: Thresholds) -> PairScore:
    result = _evaluate(kind, a, b)
    assert result is not None  # no floor given: never pruned
    return _pair_score(*result, th)


# ---------------------------------------------------------------------------------------
# Matcher


_DROPPED: tuple[str, ...] = ()


def _by_hits(item: tuple[str, int]) -> int:
    return item[1]


class Matcher:
    """An incremental index of profiles of one kind that finds likely duplicates fast.

    Blocking keys (a profile is filed under each; candidates share at least one):

    * organisations: KBO, each phone, each e-mail, each non-generic web/e-mail domain, the
      exact name key, postcode + each name token, ~1 km geo cell + each of the 3 longest
      name tokens (found from the 4 cells around the point, i.e. within ~500 m);
    * locations: postcode (and city) + street + house number, each phone, postcode + each
      name token, geo cell + name token, geo cell alone;
    * services: organisation id + exact name key, organisation id + each name token
      (services only ever match inside one organisation, after organisations are merged).

    Profiles are treated as immutable once passed in: keys are computed once per profile
    object (``best_match(p)`` followed by ``add(p)`` computes them once).

    A key whose block grows beyond ``max_block`` members (a generic token in a big city,
    an umbrella organisation's domain or switchboard) is dropped for good: it would make
    everybody a candidate of everybody and say nothing.

    Candidates are ranked by shared keys (a strong key -- KBO, phone, e-mail, address --
    counts 1 + :data:`STRONG_BONUS` times, an exact name 1 + :data:`EXACT_NAME_BONUS`).
    Only candidates with at least :data:`MIN_SHARED_HITS` hits and at least
    1/:data:`CANDIDATE_COUNT_RATIO` of the best candidate's hits are evaluated, at most
    :data:`SCORED_CANDIDATES` of them, with the exact bound described in the module
    docstring.
    """

    def __init__(
        self,
        kind: str,
        thresholds: Thresholds = DEFAULT_THRESHOLDS,
        max_block: int = MAX_BLOCK,
    ) -> None:
        if kind not in _KINDS:
            raise ValueError(f"unknown kind {kind!r}: expected one of {sorted(_KINDS)}")
        self.kind = kind
        self.thresholds = thresholds
        self.max_block = max_block
        self.query_block_limit = QUERY_BLOCK_LIMIT
        self._kind = _KINDS[kind]
        self._items: dict[str, Any] = {}  # id -> prepared keys
        # Tuples, not sets/lists: millions of them, and the garbage collector skips tuples
        # of strings (with sets a 100k import spent ~40% of its time in collections).
        self._filed: dict[str, tuple[str, ...]] = {}  # id -> keys it is filed under
        # key -> ids filed under it; () marks a key dropped for being too common (one
        # look-up tells both, and a dropped key stays dropped).
        self._blocks: dict[str, tuple[str, ...]] = {}
        self._dropped = 0
        # One-slot cache: best_match(p) then add(p) prepare the keys once.
        self._last: tuple[Any, Any, Blocking] | None = None

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, profile_id: object) -> bool:
        return profile_id in self._items

    @property
    def dropped_keys(self) -> int:
        """How many blocking keys grew too big and were dropped."""
        return self._dropped

    def _keys_of(self, profile: Any) -> tuple[Any, Blocking]:
        last = self._last
        if last is not None and last[0] is profile:
            return last[1], last[2]
        prepared = self._kind.prepare(profile)
        blocking = self._kind.blocking(prepared)
        self._last = (profile, prepared, blocking)
        return prepared, blocking

    def add(self, profile: Any) -> None:
        """File a profile (replacing an earlier one with the same id)."""
        if profile.id in self._items:
            self.remove(profile.id)
        prepared, (insert, _, _) = self._keys_of(profile)
        pid = profile.id
        filed = []
        blocks, limit = self._blocks, self.max_block
        for key in insert:
            block = blocks.get(key)
            if block is None:
                blocks[key] = (pid,)
            elif not block:
                continue  # dropped
            elif len(block) >= limit:
                # Too common to tell anything: drop the key for good.
                blocks[key] = _DROPPED
                self._dropped += 1
                for member in block:
                    self._filed[member] = tuple(x for x in self._filed[member] if x != key)
                continue
            else:
                blocks[key] = block + (pid,)
            filed.append(key)
        self._items[pid] = prepared
        self._filed[pid] = tuple(filed)

    def remove(self, profile_id: str) -> None:
        """Forget a profile (no-op for an unknown id)."""
        if self._items.pop(profile_id, None) is None:
            return
        blocks = self._blocks
        for key in self._filed.pop(profile_id):
            block = blocks.get(key)
            if block:
                rest = tuple(x for x in block if x != profile_id)
                if rest:
                    blocks[key] = rest
                else:
                    del blocks[key]
        if self._last is not None and self._last[0].id == profile_id:
            self._last = None

    def _counts(self, profile: Any) -> tuple[Any, Counter[str]]:
        """Prepared keys of ``profile`` and, per filed id, its shared-key hits."""
        prepared, (_, query, strong) = self._keys_of(profile)
        get = self._blocks.get
        # One C-level pass over the blocks found; the few strong keys add their bonus.
        # Blocks bigger than query_block_limit (a common word in a city, a switchboard
        # number) are not read: being one of 20+ sharing a key says little.
        limit = self.query_block_limit
        counts = Counter(chain.from_iterable([b for b in map(get, query) if b and len(b) <= limit]))
        for key, bonus in strong:
            block = get(key)
            if block and len(block) <= limit:
                for pid in block:
                    counts[pid] += bonus
        counts.pop(profile.id, None)
        return prepared, counts

    def candidates(self, profile: Any) -> list[str]:
        """Ids of filed profiles sharing a blocking key with ``profile``, most hits first."""
        return [pid for pid, _ in self._counts(profile)[1].most_common()]

    def best_match(self, profile: Any) -> tuple[str, PairScore] | None:
        """The best-scoring filed profile that is not "distinct" from ``profile``, if any.

        Never returns ``profile``'s own id (a profile is not its own duplicate).
        """
        prepared, counts = self._counts(profile)
        if not counts:
            return None
        kind, items = self._kind, self._items
        floor = _logit(self.thresholds.review)
        best = None
        # Most candidates share one weak key; drop them before sorting.
        ranked = [(pid, hits) for pid, hits in counts.items() if hits >= MIN_SHARED_HITS]
        if not ranked:
            return None
        ranked.sort(key=_by_hits, reverse=True)
        min_hits = ranked[0][1] / CANDIDATE_COUNT_RATIO
        evaluated = 0
        for pid, hits in ranked:
            if hits < min_hits or evaluated >= SCORED_CANDIDATES:
                break
            other = items[pid]
            if kind.veto(prepared, other):
                continue  # capped below review: can never be the answer
            evaluated += 1
            result = _evaluate(kind, prepared, other, floor)
            if result is None or result[0] < floor:
                continue
            if best is None or result[0] > best[1][0]:
                best = (pid, result)
                floor = result[0]
        if best is None:
            return None
        pid, result = best
        return pid, _pair_score(*result, self.thresholds)
