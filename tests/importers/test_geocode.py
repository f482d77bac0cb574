"""Tests for importers.geocode against the shipped gazetteer and a real local HTTP server.

The Nominatim path talks to an ``http.server`` on 127.0.0.1 that answers ``/search`` with
Nominatim-shaped JSON, so geopy, the rate limiter and the SQLite cache run for real.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest

from importers.geocode import BBOXES
from importers.geocode import Geocoder
from importers.geocode import address_key
from importers.normalize import AddressNorm
from importers.normalize import normalize_address
from importers.records import AddressIn
from socialmap.gazetteer import get_gazetteer

# ------------------------------------------------------------------------ test server


@dataclass
class FakeNominatim:
    """State of the local server: the queries it got and what it answers."""

    url: str = ""
    queries: list[dict[str, str]] = field(default_factory=list)
    status: int = 200
    # street query -> list of result objects; anything else gets [].
    results: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def _handler(state: FakeNominatim) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server API
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            state.queries.append({"path": parts.path, **query})
            if parts.path != "/search" or state.status != 200:
                self.send_response(state.status if state.status != 200 else 404)
                self.end_headers()
                self.wfile.write(b"error")
                return
            body = json.dumps(state.results.get(query.get("street", ""), [])).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # keep test output clean

    return Handler


@pytest.fixture
def nominatim() -> Iterator[FakeNominatim]:
    state = FakeNominatim()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _result(lat: float, lon: float, rtype: str = "house") -> dict[str, Any]:
    return {
        "place_id": 1,
        "lat": str(lat),
        "lon": str(lon),
        "display_name": "somewhere",
        "class": "place" if rtype in ("house", "city") else "building",
        "type": rtype,
        "addresstype": "place" if rtype == "house" else rtype,
        "boundingbox": [str(lat - 0.001), str(lat + 0.001), str(lon - 0.001), str(lon + 0.001)],
    }


def _addr(street: str = "Kerkstraat 12", postcode: str | None = "8400",
          city: str | None = "Oostende") -> AddressNorm:  # fmt: skip
    return normalize_address(AddressIn(street=street, postcode=postcode, city=city))


@pytest.fixture
def geocoder() -> Iterator[Geocoder]:
    g = Geocoder()
    yield g
    g.close()


# ------------------------------------------------------------------- source coordinates


def test_source_coordinates_inside_belgium(geocoder: Geocoder) -> None:
    a = _addr()
    assert geocoder.geocode(a, 51.1851255, 3.2491382) == (51.1851255, 3.2491382, "source")
    assert (a.lat, a.lon, a.precision) == (51.1851255, 3.2491382, "source")
    assert a.issues == []
    # Strings from CSV files are accepted too.
    assert geocoder.geocode(_addr(), "51.2", "3.2") == (51.2, 3.2, "source")


def test_zero_zero_is_ignored_and_falls_back(geocoder: Geocoder) -> None:
    a = _addr()
    lat, lon, precision = geocoder.geocode(a, 0, 0)
    assert precision == "postcode"
    assert (lat, lon) == get_gazetteer().postcode_centroid("8400")
    assert any("0,0" in issue for issue in a.issues)


def test_swapped_coordinates_are_corrected(geocoder: Geocoder) -> None:
    a = _addr()
    assert geocoder.geocode(a, 3.2491382, 51.1851255) == (51.1851255, 3.2491382, "source")
    assert any("swapped" in issue for issue in a.issues)


def test_coordinates_outside_belgium_ignored(geocoder: Geocoder) -> None:
    a = _addr()
    lat, lon, precision = geocoder.geocode(a, 48.8566, 2.3522)  # Paris
    assert precision == "postcode"
    assert BBOXES["BE"][0] <= lat <= BBOXES["BE"][1]  # type: ignore[operator]
    assert any("outside BE" in issue for issue in a.issues)


def test_garbage_coordinates(geocoder: Geocoder) -> None:
    a = _addr()
    assert geocoder.geocode(a, "n/a", "x")[2] == "postcode"
    assert any("not numeric" in issue for issue in a.issues)
    assert geocoder.geocode(_addr(), float("nan"), 3.2)[2] == "postcode"


def test_us_source_coordinates(geocoder: Geocoder) -> None:
    us = normalize_address(
        AddressIn(street="1000 N Forest St", city="Bellingham", state_province="WA",
                  postcode="98225", country="US")
    )  # fmt: skip
    assert geocoder.geocode(us, 48.7519, -122.4787) == (48.7519, -122.4787, "source")
    assert geocoder.geocode(us, -122.4787, 48.7519) == (48.7519, -122.4787, "source")
    assert any("swapped" in issue for issue in us.issues)
    # No Belgian gazetteer fallback for a US address without coordinates.
    us2 = normalize_address(AddressIn(city="Bellingham", postcode="98225", country="US"))
    assert geocoder.geocode(us2) == (None, None, None)


# ------------------------------------------------------------------- gazetteer fallbacks


def test_postcode_centroid(geocoder: Geocoder) -> None:
    a = _addr(postcode="8310", city="Brugge")
    expected = get_gazetteer().postcode_centroid("8310")
    assert expected is not None
    assert geocoder.geocode(a) == (expected[0], expected[1], "postcode")


def test_municipality_centroid_when_no_postcode(geocoder: Geocoder) -> None:
    gaz = get_gazetteer()
    gent = gaz.find_municipality("Gent")
    assert gent is not None
    a = AddressNorm(street="Kerkstraat", city="Gent", municipality_nis=gent.nis, country="BE")
    expected = gaz.municipality_centroid(gent.nis)
    assert expected is not None
    assert geocoder.geocode(a) == (expected[0], expected[1], "municipality")


def test_nothing_known(geocoder: Geocoder) -> None:
    a = AddressNorm(street="Kerkstraat", country="BE")
    assert geocoder.geocode(a) == (None, None, None)
    assert (a.lat, a.lon, a.precision) == (None, None, None)
    assert geocoder.stats["none"] == 1


# ---------------------------------------------------------------------------- Nominatim


def test_nominatim_hit_is_cached(nominatim: FakeNominatim, tmp_path: Path) -> None:
    nominatim.results["12 Kerkstraat"] = [_result(51.2301, 2.9187)]
    cache = tmp_path / "geocache.sqlite"
    with Geocoder(nominatim_url=nominatim.url, cache_path=str(cache)) as g:
        assert g.geocode(_addr()) == (51.2301, 2.9187, "address")
        assert len(nominatim.queries) == 1
        q = nominatim.queries[0]
        assert q["path"] == "/search"
        assert (q["street"], q["postalcode"], q["city"], q["countrycodes"]) == (
            "12 Kerkstraat", "8400", "Oostende", "be"
        )  # fmt: skip
        # Same address again (a new record): answered from the cache, no request.
        assert g.geocode(_addr()) == (51.2301, 2.9187, "address")
        assert len(nominatim.queries) == 1
        assert g.stats["nominatim_cache_hits"] == 1
        assert g.last_error is None
    # A new geocoder (next import run) reads the SQLite cache: still one request in total.
    with Geocoder(nominatim_url=nominatim.url, cache_path=str(cache)) as g2:
        assert g2.geocode(_addr()) == (51.2301, 2.9187, "address")
    assert len(nominatim.queries) == 1


def test_nominatim_source_coordinates_win(nominatim: FakeNominatim) -> None:
    nominatim.results["12 Kerkstraat"] = [_result(51.2301, 2.9187)]
    with Geocoder(nominatim_url=nominatim.url) as g:
        assert g.geocode(_addr(), 51.1, 3.1) == (51.1, 3.1, "source")
    assert nominatim.queries == []


def test_nominatim_no_result_falls_back_and_is_cached(nominatim: FakeNominatim) -> None:
    with Geocoder(nominatim_url=nominatim.url) as g:
        lat, lon, precision = g.geocode(_addr(street="Onbekendestraat 1"))
        assert precision == "postcode"
        assert (lat, lon) == get_gazetteer().postcode_centroid("8400")
        g.geocode(_addr(street="Onbekendestraat 1"))
    assert len(nominatim.queries) == 1


def test_nominatim_area_result_is_not_address_precision(nominatim: FakeNominatim) -> None:
    nominatim.results["12 Kerkstraat"] = [_result(51.2154, 2.9286, rtype="city")]
    with Geocoder(nominatim_url=nominatim.url) as g:
        assert g.geocode(_addr())[2] == "postcode"


def test_nominatim_result_outside_country_ignored(nominatim: FakeNominatim) -> None:
    nominatim.results["12 Kerkstraat"] = [_result(52.37, 4.89)]  # Amsterdam
    with Geocoder(nominatim_url=nominatim.url) as g:
        assert g.geocode(_addr())[2] == "postcode"
        assert g.last_error is not None and "outside BE" in g.last_error


def test_nominatim_server_error_falls_back(nominatim: FakeNominatim) -> None:
    nominatim.status = 500
    with Geocoder(nominatim_url=nominatim.url) as g:
        lat, lon, precision = g.geocode(_addr())
        assert precision == "postcode" and lat is not None and lon is not None
        assert g.last_error is not None and g.last_error.startswith("nominatim:")
        assert g.stats["nominatim_errors"] == 1
    assert len(nominatim.queries) == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_nominatim_is_given_up_after_repeated_failures() -> None:
    url = f"http://127.0.0.1:{_free_port()}"  # nothing listens here
    with Geocoder(nominatim_url=url, timeout=2) as g:
        results = [g.geocode(_addr(street=f"Kerkstraat {i}")) for i in range(1, 6)]
        assert all(r[2] == "postcode" for r in results)
        assert g.stats["nominatim_requests"] == 3  # then not asked again
        assert g.last_error is not None and "not asked again" in g.last_error


def test_nominatim_url_with_path_prefix(nominatim: FakeNominatim) -> None:
    nominatim.results["12 Kerkstraat"] = [_result(51.2301, 2.9187)]
    with Geocoder(nominatim_url=nominatim.url + "/search") as g:
        assert g.geocode(_addr())[2] == "address"
    assert nominatim.queries[0]["path"] == "/search"


def test_address_key_is_normalised() -> None:
    a = AddressNorm(street="Kerkstraat", house_number="12", postcode="8400", city="Oostende",
                    country="BE")  # fmt: skip
    b = AddressNorm(street="KERKSTRAAT", house_number="12", box="3", postcode="8400",
                    city="OOSTENDE", country="BE")  # fmt: skip
    assert address_key(a) == address_key(b) == "kerkstraat 12, 8400 oostende, be"
