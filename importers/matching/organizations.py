"""Organisations (legal entities): comparison keys, features, evidence, blocking, scoring."""

from __future__ import annotations

from typing import Any

from importers import keys as k
from importers.matching.common import _block_tokens
from importers.matching.common import _distance
from importers.matching.common import _geo_keys
from importers.matching.common import _interp
from importers.matching.common import _point
from importers.matching.common import _shares
from importers.matching.common import _values
from importers.matching.profiles import DEFAULT_THRESHOLDS
from importers.matching.profiles import OrgProfile
from importers.matching.profiles import PairScore
from importers.matching.profiles import Thresholds
from importers.matching.scoring import _Kind
from importers.matching.scoring import _score
from importers.matching.weights import EXACT_NAME_BONUS
from importers.matching.weights import GEO_NAME_TOKENS
from importers.matching.weights import ORG_DISTANCE_KNOTS
from importers.matching.weights import ORG_NAME_KNOTS
from importers.matching.weights import STRONG_BONUS
from importers.matching.weights import W_DOMAIN_SHARED
from importers.matching.weights import W_EMAIL_SHARED
from importers.matching.weights import W_KBO_SAME
from importers.matching.weights import W_ORG_PHONE_DISJOINT
from importers.matching.weights import W_ORG_PHONE_SHARED
from importers.matching.weights import W_ORG_POSTCODE_DISJOINT
from importers.matching.weights import W_ORG_POSTCODE_SHARED
from importers.matching.weights import Blocking
from importers.matching.weights import Evidence


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


def _org_evidence(f: dict[str, Any]) -> tuple[Evidence, str | None, None]:
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
    return ev, veto, None


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


_ORG = _Kind(
    "organization",
    _OrgKeys,
    _org_veto,
    _org_features,
    _org_evidence,
    ORG_NAME_KNOTS,
    _org_blocking,
)
