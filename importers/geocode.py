"""Give normalised addresses coordinates, from the best source available.

Order of preference (first that works wins), reported as ``precision``:

1. ``"source"``: coordinates delivered by the source, when plausible (inside the country's
   bounding box; 0,0 is rejected, swapped latitude/longitude are corrected);
2. ``"address"``: a Nominatim server, when one is configured (rate-limited to one request per
   second, answers cached in a small SQLite file so each address is asked once);
3. ``"postcode"``: the centroid of the postcode (Belgian gazetteer);
4. ``"municipality"``: the centroid of the municipality;
5. nothing: ``(None, None, None)``.

Geocoding-service failures never raise: the geocoder falls back to the next step and keeps
the reason in :attr:`Geocoder.last_error`.  After a few consecutive failures the service is
not asked again by this instance, so an import does not stall on a dead server.
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from typing import Any
from urllib.parse import urlsplit

from importers.normalize import AddressNorm

__all__ = ["BBOXES", "Geocoder", "address_key"]

# (min_lat, max_lat, min_lon, max_lon), slightly padded, per ISO country code.
BBOXES: dict[str, tuple[float, float, float, float]] = {
    "BE": (49.45, 51.55, 2.50, 6.45),
    "NL": (50.70, 53.60, 3.30, 7.30),
    "LU": (49.40, 50.20, 5.70, 6.55),
    "FR": (41.30, 51.15, -5.20, 9.60),
    "DE": (47.20, 55.10, 5.80, 15.10),
    # Contiguous states, Alaska and Hawaii (Aleutians east of 180° are left out).
    "US": (18.50, 71.50, -179.90, -66.80),
}
# Nominatim result types that locate a whole area, not an address: not "address" precision.
_AREA_TYPES = frozenset(
    """
    city town village hamlet municipality suburb quarter neighbourhood locality borough
    administrative postcode county state region province country island isolated_dwelling
    """.split()
)
_MAX_CONSECUTIVE_FAILURES = 3


def _to_float(v: Any) -> float | None:
    if v is None or v == "":
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _inside(bbox: tuple[float, float, float, float], lat: float, lon: float) -> bool:
    return bbox[0] <= lat <= bbox[1] and bbox[2] <= lon <= bbox[3]


def address_key(addr: AddressNorm) -> str:
    """The normalised one-line form of an address used as geocoding cache key."""
    street = " ".join(p for p in (addr.street, addr.house_number) if p)
    place = " ".join(p for p in (addr.postcode, addr.city) if p)
    parts = [p for p in (street, place, addr.state_province, addr.country) if p]
    return " ".join(", ".join(parts).casefold().split())


class Geocoder:
    """Coordinates for :class:`~importers.normalize.AddressNorm` records (see module doc)."""

    def __init__(
        self,
        gazetteer: Any = None,
        nominatim_url: str | None = None,
        user_agent: str = "socialmap",
        cache_path: str | None = None,
        timeout: float = 5,
    ) -> None:
        self._gazetteer = gazetteer
        self._gazetteer_loaded = gazetteer is not None
        self.nominatim_url = nominatim_url
        self.user_agent = user_agent
        self.timeout = timeout
        self.last_error: str | None = None
        # How many answers came from each step, for the import report.
        self.stats: dict[str, int] = {
            "source": 0,
            "address": 0,
            "postcode": 0,
            "municipality": 0,
            "none": 0,
            "nominatim_requests": 0,
            "nominatim_cache_hits": 0,
            "nominatim_errors": 0,
        }
        self._failures = 0
        self._memo: dict[str, tuple[float, float] | None] = {}
        self._db: sqlite3.Connection | None = None
        if cache_path:
            self._db = sqlite3.connect(cache_path)
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS nominatim_cache ("
                " key TEXT PRIMARY KEY, lat REAL, lon REAL, raw TEXT, created REAL)"
            )
            self._db.commit()
        self._nominatim: Any = None
        self._limited: Any = None
        if nominatim_url:
            self._setup_nominatim(nominatim_url)

    # -- lifecycle -------------------------------------------------------------------------

    def _setup_nominatim(self, url: str) -> None:
        from geopy.extra.rate_limiter import RateLimiter
        from geopy.geocoders import Nominatim

        parts = urlsplit(url if "://" in url else "https://" + url)
        path = parts.path.rstrip("/")
        if path.endswith("/search"):  # geopy appends /search itself
            path = path[: -len("/search")]
        self._nominatim = Nominatim(
            user_agent=self.user_agent,
            domain=parts.netloc + path,
            scheme=parts.scheme or "https",
            timeout=self.timeout,
        )
        # No retries inside the limiter: a failure falls back at once (see geocode()).
        self._limited = RateLimiter(
            self._nominatim.geocode,
            min_delay_seconds=1,
            max_retries=0,
            swallow_exceptions=False,
        )

    def close(self) -> None:
        """Close the cache database and the HTTP session."""
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._nominatim is not None:
            self._nominatim.__exit__(None, None, None)
            self._nominatim = None
            self._limited = None

    def __enter__(self) -> Geocoder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def gazetteer(self) -> Any:
        if not self._gazetteer_loaded:
            self._gazetteer_loaded = True
            try:
                from socialmap.gazetteer import get_gazetteer
            except ImportError:  # pragma: no cover - the gazetteer ships with the app
                self._gazetteer = None
            else:
                self._gazetteer = get_gazetteer()
        return self._gazetteer

    # -- main entry ------------------------------------------------------------------------

    def geocode(
        self, addr: AddressNorm, lat: Any = None, lon: Any = None
    ) -> tuple[float | None, float | None, str | None]:
        """Return ``(lat, lon, precision)`` for ``addr`` and store them on it.

        ``lat``/``lon`` are the source's own coordinates, if any.  Problems with them are
        added to ``addr.issues``; geocoding-service failures go to :attr:`last_error`.
        """
        result = self._geocode(addr, lat, lon)
        addr.lat, addr.lon, addr.precision = result
        self.stats[result[2] or "none"] += 1
        return result

    def _geocode(
        self, addr: AddressNorm, lat: Any, lon: Any
    ) -> tuple[float | None, float | None, str | None]:
        src = self._source_coordinates(addr, lat, lon)
        if src is not None:
            return src[0], src[1], "source"
        if self._limited is not None and addr.street:
            hit = self._nominatim_lookup(addr)
            if hit is not None:
                return hit[0], hit[1], "address"
        gaz = self.gazetteer if (addr.country or "BE") == "BE" else None
        if gaz is not None:
            if addr.postcode:
                c = gaz.postcode_centroid(addr.postcode)
                if c is not None:
                    return float(c[0]), float(c[1]), "postcode"
            if addr.municipality_nis:
                c = gaz.municipality_centroid(addr.municipality_nis)
                if c is not None:
                    return float(c[0]), float(c[1]), "municipality"
        return None, None, None

    # -- source coordinates ----------------------------------------------------------------

    def _source_coordinates(
        self, addr: AddressNorm, lat: Any, lon: Any
    ) -> tuple[float, float] | None:
        if lat is None and lon is None:
            return None
        flat, flon = _to_float(lat), _to_float(lon)
        if flat is None or flon is None:
            addr.issues.append(f"source coordinates not numeric ({lat!r}, {lon!r}): ignored")
            return None
        if flat == 0 and flon == 0:
            addr.issues.append("source coordinates are 0,0: ignored")
            return None
        bbox = BBOXES.get(addr.country or "")
        if bbox is not None:
            if _inside(bbox, flat, flon):
                return flat, flon
            if _inside(bbox, flon, flat):
                addr.issues.append("source latitude and longitude swapped: corrected")
                return flon, flat
            addr.issues.append(
                f"source coordinates {flat:.5f},{flon:.5f} outside {addr.country}: ignored"
            )
            return None
        if -90 <= flat <= 90 and -180 <= flon <= 180:
            return flat, flon
        if -90 <= flon <= 90 and -180 <= flat <= 180:
            addr.issues.append("source latitude and longitude swapped: corrected")
            return flon, flat
        addr.issues.append(f"source coordinates {flat},{flon} out of range: ignored")
        return None

    # -- Nominatim -------------------------------------------------------------------------

    def _cache_get(self, key: str) -> tuple[bool, tuple[float, float] | None]:
        if key in self._memo:
            return True, self._memo[key]
        if self._db is not None:
            row = self._db.execute(
                "SELECT lat, lon FROM nominatim_cache WHERE key = ?", (key,)
            ).fetchone()
            if row is not None:
                value = None if row[0] is None else (float(row[0]), float(row[1]))
                self._memo[key] = value
                return True, value
        return False, None

    def _cache_put(self, key: str, value: tuple[float, float] | None, raw: Any) -> None:
        self._memo[key] = value
        if self._db is not None:
            self._db.execute(
                "INSERT OR REPLACE INTO nominatim_cache (key, lat, lon, raw, created)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    key,
                    value[0] if value else None,
                    value[1] if value else None,
                    json.dumps(raw, default=str) if raw is not None else None,
                    time.time(),
                ),
            )
            self._db.commit()

    def _nominatim_lookup(self, addr: AddressNorm) -> tuple[float, float] | None:
        key = address_key(addr)
        found, value = self._cache_get(key)
        if found:
            self.stats["nominatim_cache_hits"] += 1
            return value
        if self._failures >= _MAX_CONSECUTIVE_FAILURES:
            return None
        query: dict[str, str] = {}
        street = " ".join(p for p in (addr.house_number, addr.street) if p)
        if street:
            query["street"] = street
        if addr.city:
            query["city"] = addr.city
        if addr.postcode:
            query["postalcode"] = addr.postcode
        if addr.state_province:
            query["state"] = addr.state_province
        country = addr.country or "BE"
        self.stats["nominatim_requests"] += 1
        try:
            location = self._limited(
                query, exactly_one=True, country_codes=country.lower(), timeout=self.timeout
            )
        except Exception as exc:  # any service failure must fall back, never raise
            self._failures += 1
            self.stats["nominatim_errors"] += 1
            self.last_error = f"nominatim: {type(exc).__name__}: {exc}"
            if self._failures >= _MAX_CONSECUTIVE_FAILURES:
                self.last_error += f" (not asked again after {self._failures} consecutive failures)"
            return None
        self._failures = 0
        value = None
        raw = getattr(location, "raw", None)
        if location is not None:
            plat, plon = _to_float(location.latitude), _to_float(location.longitude)
            rtype = (raw or {}).get("addresstype") or (raw or {}).get("type")
            bbox = BBOXES.get(country)
            if plat is None or plon is None:
                self.last_error = "nominatim: result without coordinates"
            elif rtype in _AREA_TYPES:
                pass  # only the town was found: the gazetteer centroid is as good
            elif bbox is not None and not _inside(bbox, plat, plon):
                self.last_error = f"nominatim: result {plat},{plon} outside {country} ignored"
            else:
                value = (plat, plon)
        self._cache_put(key, value, raw)
        return value
