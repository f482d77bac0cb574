"""The relevance recipe both backends follow, and distance on the sphere.

score = text relevance (backend's BM25, scaled to about 0..3)
      + NEED_WEIGHT       if the document has a requested or recognised need
      + DISTANCE_WEIGHT   * gauss(distance, DISTANCE_SCALE_KM)   (when a point is given)
      + FRESHNESS_WEIGHT  * gauss(age of the listing, FRESHNESS_SCALE_DAYS)
"""

from __future__ import annotations

import datetime as dt
import math

from search.query import DISTANCE_SCALE_KM
from search.query import DISTANCE_WEIGHT
from search.query import FRESHNESS_SCALE_DAYS
from search.query import FRESHNESS_WEIGHT

EARTH_RADIUS_KM = 6371.0088
LN_HALF = math.log(0.5)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(lat: float, lon: float, km: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) enclosing the circle (Belgium: no pole/antimeridian)."""
    dlat = math.degrees(km / EARTH_RADIUS_KM)
    dlon = dlat / max(0.01, math.cos(math.radians(lat)))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def distance_decay(km: float) -> float:
    """Gauss decay, 0.5 at DISTANCE_SCALE_KM (the ``gauss`` function of Elasticsearch)."""
    return DISTANCE_WEIGHT * math.exp(LN_HALF * (km / DISTANCE_SCALE_KM) ** 2)


def freshness(updated: dt.datetime | None, now: dt.datetime) -> float:
    """Gauss decay on the listing's age, 0.5 at FRESHNESS_SCALE_DAYS."""
    if updated is None:
        return 0.0
    days = max(0.0, (now - updated).total_seconds() / 86400)
    return FRESHNESS_WEIGHT * math.exp(LN_HALF * (days / FRESHNESS_SCALE_DAYS) ** 2)
