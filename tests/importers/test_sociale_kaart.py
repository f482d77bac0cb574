"""Tests for the De Sociale Kaart reader against a real local HTTP server and saved files."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import unquote
from urllib.parse import urlsplit

import pytest

from importers.formats import FORMATS
from importers.formats import ReadOptions
from importers.formats import load_all
from importers.formats import sociale_kaart
from importers.records import Batch
from importers.records import MalformedSource

DATA = Path(__file__).resolve().parents[1] / "data" / "sociale-kaart"
RUBRIC_A = "14.04.01. Woonzorgcentra (WZC)"
RUBRIC_B = "10.07.03. Gezinsopvang voor kinderen"
MANIFEST = json.loads((DATA / "manifest.json").read_text(encoding="utf-8"))
PAGES = {(p["rubric"], p["page"]): p["file"] for p in MANIFEST["pages"]}
ID1, ID2, ID3, ID4 = (
    json.loads((DATA / "health-offers-0001.json").read_text(encoding="utf-8"))["content"][0]["id"][
        "id"
    ],
    json.loads((DATA / "health-offers-0001.json").read_text(encoding="utf-8"))["content"][1]["id"][
        "id"
    ],
    json.loads((DATA / "health-offers-0002.json").read_text(encoding="utf-8"))["_embedded"][
        "healthOfferProviderRepresentationList"
    ][0]["id"]["id"],
    json.loads((DATA / "health-offers-0003.json").read_text(encoding="utf-8"))["_embedded"][
        "healthOfferProviderRepresentationList"
    ][0]["id"]["id"],
)


@dataclass
class FakeSite:
    """Serves the fixture folder like the API; ``faults`` are answered before the real file."""

    faults: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)
    log: list[dict[str, Any]] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    base_url: str = ""

    def respond(self, path: str, query: dict[str, list[str]]) -> tuple[int, dict[str, str], bytes]:
        if path == "/api/health-offers":
            rubric = query.get("rubrics", [None])[0]
            key = f"offers {rubric} {query.get('page', ['0'])[0]}"
            name = PAGES.get((rubric, int(query.get("page", ["0"])[0])))
        elif path.startswith("/api/leaflet/"):
            provider_id = unquote(path.rsplit("/", 1)[1])
            key = f"leaflet {provider_id}"
            file = DATA / f"leaflet-{provider_id}.json"
            name = file.name if file.exists() else None
        else:
            return 404, {}, b"{}"
        pending = self.faults.get(key)
        if pending:
            status, headers = pending.pop(0)
            return status, headers, b'{"error": "injected"}'
        if name is None:
            return 404, {}, b'{"error": "not found"}'
        return 200, {"Content-Type": "application/json"}, (DATA / name).read_bytes()


@pytest.fixture
def site() -> Iterator[FakeSite]:
    fake = FakeSite()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server API)
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            fake.times.append(time.monotonic())
            fake.log.append({"path": parts.path, "query": query, "headers": dict(self.headers)})
            status, headers, body = fake.respond(parts.path, query)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # keep test output quiet

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def live_options(**extra: Any) -> ReadOptions:
    settings = {"rubrics": [RUBRIC_A, RUBRIC_B], "page_size": 2, "min_interval": 0, "backoff": 0}
    settings.update(extra)
    return ReadOptions(extra=settings)


def by_id(items: list[Any]) -> dict[str, Any]:
    return {item.external_id: item for item in items}


def check_transform(batch: Batch) -> None:
    """What both modes must produce from the fixture folder."""
    orgs = by_id(batch.organizations)
    services = by_id(batch.services)
    assert set(orgs) == {ID1, ID2, ID3, ID4}
    assert set(services) == set(orgs)

    org1 = orgs[ID1]
    assert org1.name == "Fictief Woonzorgcentrum De Verzonnen Linde"
    assert [(i.scheme, i.value) for i in org1.identifiers] == [("KBO", "0999.999.901")]
    assert org1.email == "info@linde.example.org"
    assert org1.website == "www.linde.example.org"  # as written, no scheme added
    assert [p.number for p in org1.phones] == ["09 000 00 01"]
    assert org1.raw["verified"] is True and org1.raw["leaflet"]["administrativeData"]

    # Activities with a rubric code get it as the code; the second rubric query adds B.
    cats = {(c.code, c.label) for c in services[ID1].categories}
    assert cats == {
        ("14.04.01.", RUBRIC_A),
        (None, "Kortverblijf (fictief)"),
        ("10.07.03.", RUBRIC_B),
    }
    assert all(c.scheme == "sk-rubric" for c in services[ID1].categories)

    # Primary visit address first; the correspondence address is a postal location.
    locs = [loc for loc in batch.locations if loc.organization_ref == ID2]
    assert [loc.location_type for loc in locs] == ["physical", "postal"]
    visit = locs[0]
    assert visit.addresses[0].street == "Droomlaan"
    assert visit.addresses[0].house_number == "7B"
    assert visit.addresses[0].postcode == "2018"  # an int in the JSON, text here
    assert visit.addresses[0].city == "Antwerpen"
    assert (visit.latitude, visit.longitude) == (51.21, 4.42)
    assert services[ID2].location_refs == [visit.external_id]
    assert orgs[ID2].email == "info@zorgnest.example.org"  # the primary one
    assert [p.number for p in orgs[ID2].phones] == ["03 000 00 02", "0470 00 00 02"]

    # Hostile name kept (script tag), control character dropped; no address -> no location.
    assert orgs[ID3].name == "Fictief Dagcentrum <script>alert(1)</script> Het Luchtkasteel"
    assert services[ID3].location_refs == []
    assert services[ID3].categories[0].code is None

    assert orgs[ID4].status == "inactive" and services[ID4].status == "inactive"
    assert orgs[ID1].status == "active"

    warnings = [(i.ref, i.reason) for i in batch.issues if not i.rejected]
    unknown = [reason for _, reason in warnings if reason.startswith("unknown field")]
    assert unknown == ["unknown field openingHours"]
    assert any("2 unique records but page.totalElements is 3" in r for _, r in warnings)
    assert any("'INACTIVE' read as inactive" in r for _, r in warnings)
    assert any("FICTIEF_ERKENNINGSNR" in r for _, r in warnings)
    rejected = [i for i in batch.issues if i.rejected]
    assert [i.reason for i in rejected] == [f"duplicate id {ID2}"]
    assert "item 2" in rejected[0].ref


def test_live_read_pages_both_envelopes_with_retries(site: FakeSite) -> None:
    site.faults[f"offers {RUBRIC_A} 1"] = [(503, {})]
    site.faults[f"leaflet {ID1}"] = [(429, {"Retry-After": "0"})]
    batch = sociale_kaart.read(site.base_url, live_options())
    check_transform(batch)

    offer_calls = [c for c in site.log if c["path"] == "/api/health-offers"]
    # 2 pages of A (+1 retried 503) and 1 page of B.
    assert len(offer_calls) == 4
    assert [c["query"]["page"][0] for c in offer_calls] == ["0", "1", "1", "0"]
    assert all(c["query"]["size"] == ["2"] for c in offer_calls)
    assert all(c["query"]["sort"] == ["LAST_UPDATED_DESC"] for c in offer_calls)
    first = offer_calls[0]
    assert first["headers"]["User-Agent"].startswith("socialmap-importer/0.1 (+")
    assert first["headers"]["Accept"] == "application/json"
    leaflet_calls = [c["path"] for c in site.log if c["path"].startswith("/api/leaflet/")]
    # One per unique provider; ID1 twice because of the 429.
    assert sorted(leaflet_calls) == sorted([f"/api/leaflet/{i}" for i in (ID1, ID1, ID2, ID3, ID4)])
    assert all(c["query"]["includeHiddenData"] == ["false"] for c in site.log[4:])
    # Providers without a leaflet (404) are kept, with a warning.
    missing = [i for i in batch.issues if i.reason == "leaflet not found (HTTP 404)"]
    assert len(missing) == 3


def test_rubric_label_sent_with_percent_encoded_spaces(site: FakeSite) -> None:
    sociale_kaart.read(site.base_url, live_options(rubrics=[RUBRIC_B], leaflets=False))
    assert len(site.log) == 1
    assert site.log[0]["query"]["rubrics"] == [RUBRIC_B]


def test_offline_folder_gives_the_same_batch() -> None:
    batch = FORMATS["sociale-kaart"](str(DATA), ReadOptions(offline=True))
    check_transform(batch)


def test_registered_under_its_format_name() -> None:
    assert load_all()["sociale-kaart"] is sociale_kaart.read


def test_gives_up_after_retries(site: FakeSite) -> None:
    site.faults[f"offers {RUBRIC_A} 0"] = [(503, {})] * 3
    with pytest.raises(MalformedSource, match="gave up after 3 attempts"):
        sociale_kaart.read(site.base_url, live_options(retries=2))
    assert len(site.log) == 3


def test_client_error_is_not_retried(site: FakeSite) -> None:
    with pytest.raises(MalformedSource, match="HTTP 404"):
        sociale_kaart.read(site.base_url, live_options(rubrics=["99. Bestaat niet"]))
    assert len(site.log) == 1


def test_max_pages_stops_and_says_so(site: FakeSite) -> None:
    batch = sociale_kaart.read(
        site.base_url, live_options(rubrics=[RUBRIC_A], max_pages=1, leaflets=False)
    )
    assert {o.external_id for o in batch.organizations} == {ID1, ID2}
    assert len(site.log) == 1
    assert any("max_pages" in i.reason for i in batch.issues)


def test_min_interval_spaces_requests(site: FakeSite) -> None:
    started = time.monotonic()
    sociale_kaart.read(
        site.base_url, live_options(rubrics=[RUBRIC_A], leaflets=False, min_interval=0.3)
    )
    # Two requests: the second may start only 0.3 s after the first.
    assert len(site.times) == 2
    assert time.monotonic() - started >= 0.3


def test_save_responses_then_read_offline(site: FakeSite, tmp_path: Path) -> None:
    manifest = sociale_kaart.save_responses(
        site.base_url, tmp_path, rubrics=[RUBRIC_A, RUBRIC_B], page_size=2, min_interval=0
    )
    saved = json.loads(manifest.read_text(encoding="utf-8"))
    assert [p["rubric"] for p in saved["pages"]] == [RUBRIC_A, RUBRIC_A, RUBRIC_B]
    assert saved["leaflets"] == [f"leaflet-{ID1}.json"]
    check_transform(sociale_kaart.read(str(tmp_path), ReadOptions(offline=True)))


def test_offline_without_manifest_and_broken_files(tmp_path: Path) -> None:
    page = json.loads((DATA / "health-offers-0003.json").read_text(encoding="utf-8"))
    (tmp_path / "health-offers-1.json").write_text(json.dumps(page), encoding="utf-8")
    (tmp_path / f"leaflet-{ID4}.json").write_text("{broken", encoding="utf-8")
    batch = sociale_kaart.read(str(tmp_path), ReadOptions(offline=True))
    assert {o.external_id for o in batch.organizations} == {ID4, ID1}
    # Without a manifest there are no query rubrics: only the record's own activities.
    org1_cats = by_id(batch.services)[ID1].categories
    assert RUBRIC_B not in {c.label for c in org1_cats}
    assert any("leaflet-" in i.reason and not i.rejected for i in batch.issues)

    (tmp_path / "health-offers-2.json").write_text("not json", encoding="utf-8")
    with pytest.raises(MalformedSource, match="health-offers-2.json"):
        sociale_kaart.read(str(tmp_path), ReadOptions(offline=True))


def test_offline_needs_a_folder_with_pages(tmp_path: Path) -> None:
    with pytest.raises(MalformedSource, match="no health-offers"):
        sociale_kaart.read(str(tmp_path), ReadOptions(offline=True))
    with pytest.raises(MalformedSource, match="not a folder"):
        sociale_kaart.read(str(tmp_path / "nope"), ReadOptions(offline=True))


def test_record_without_id_or_name_is_rejected(tmp_path: Path) -> None:
    page = {
        "content": [
            {"legalName": {"description": "Fictief zonder id"}},
            {"id": {"id": "fictief-2"}},
            {"id": {"id": "fictief-3"}, "legalName": {"description": "Fictief ok"}},
        ],
        "page": {"size": 3, "totalElements": 3, "totalPages": 1, "number": 0},
    }
    (tmp_path / "health-offers-1.json").write_text(json.dumps(page), encoding="utf-8")
    batch = sociale_kaart.read(str(tmp_path), ReadOptions(offline=True))
    assert [o.external_id for o in batch.organizations] == ["fictief-3"]
    assert sorted(i.field for i in batch.issues if i.rejected) == [
        "id.id",
        "legalName.description",
    ]


def test_retry_after_parsing() -> None:
    assert sociale_kaart._parse_retry_after("7") == 7.0
    assert sociale_kaart._parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert sociale_kaart._parse_retry_after("soon") is None
