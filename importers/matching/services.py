"""Services (one offer of one organisation): keys, features, evidence, blocking, scoring."""

from __future__ import annotations

from typing import Any

from importers import keys as k
from importers.matching.common import _block_tokens
from importers.matching.common import _shares
from importers.matching.common import _values
from importers.matching.profiles import DEFAULT_THRESHOLDS
from importers.matching.profiles import PairScore
from importers.matching.profiles import ServiceProfile
from importers.matching.profiles import Thresholds
from importers.matching.scoring import _Kind
from importers.matching.scoring import _score
from importers.matching.weights import EXACT_NAME_BONUS
from importers.matching.weights import SERVICE_NAME_KNOTS
from importers.matching.weights import W_SERVICE_EMAIL_SAME
from importers.matching.weights import W_SERVICE_LOCATION_DISJOINT
from importers.matching.weights import W_SERVICE_LOCATION_SHARED
from importers.matching.weights import W_SERVICE_PHONE_SHARED
from importers.matching.weights import W_SERVICE_URL_HOME_SAME
from importers.matching.weights import W_SERVICE_URL_PAGE_SAME
from importers.matching.weights import Blocking
from importers.matching.weights import Evidence


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


def _service_evidence(f: dict[str, Any]) -> tuple[Evidence, str | None, None]:
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
    return ev, veto, None


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


_SERVICE = _Kind(
    "service",
    _ServiceKeys,
    _service_veto,
    _service_features,
    _service_evidence,
    SERVICE_NAME_KNOTS,
    _service_blocking,
)
