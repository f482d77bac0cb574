"""GET /api/services: paging, nested detail, confidentiality, JSON errors."""

from __future__ import annotations

from factories import coast_batch
from sqlalchemy import select

from importers.pipeline import run_import
from importers.records import AddressIn
from importers.records import LocationIn
from importers.records import ServiceIn
from socialmap import models as m
from socialmap.logic.taxonomy import sync_taxonomies


def _load(session, batch=None):
    sync_taxonomies(session)
    session.commit()
    out = run_import(session, source="t", fmt="t", location="m", batch=batch or coast_batch())
    assert out.ok, out.error


def test_list_is_paged_and_nested(client, session):
    _load(session)
    body = client.get("/api/services?per_page=2").get_json()
    assert body["total"] == 3 and len(body["items"]) == 2
    first = body["items"][0]
    assert first["organization"]["name"] and first["locations"]
    page2 = client.get("/api/services?per_page=2&page=2").get_json()
    assert len(page2["items"]) == 1
    names = {i["name"] for i in body["items"]} | {i["name"] for i in page2["items"]}
    assert names == {"Budgetbeheer", "Ontmoetingsnamiddag", "Schuldhulpverlening"}


def test_filter_by_need(client, session):
    _load(session)
    body = client.get("/api/services?need=debt-counselling").get_json()
    assert [i["name"] for i in body["items"]] == ["Schuldhulpverlening"]


def test_detail_has_iso_dates_and_capacity(client, session):
    _load(session)
    svc = session.scalar(select(m.Service).where(m.Service.name == "Schuldhulpverlening"))
    body = client.get(f"/api/services/{svc.id}").get_json()
    assert body["assured_date"] == "2026-01-15"
    assert body["capacity"]["status"] == "waitlist"
    assert body["organization"]["kbo_number"] == "0417.497.106"


def test_confidential_location_hides_address_and_coordinates(client, session):
    batch = coast_batch()
    batch.locations.append(
        LocationIn(
            "shelter",
            "org-2",
            name="Vluchthuis",
            confidential=True,
            front_door="Bel 059 99 00 00, 24/7",
            addresses=[AddressIn(street="Geheime straat 1", postcode="8400", city="Oostende")],
            latitude=51.2,
            longitude=2.9,
        )
    )
    batch.services.append(ServiceIn("svc-4", "org-2", "Crisisopvang", location_refs=["shelter"]))
    _load(session, batch)
    svc = session.scalar(select(m.Service).where(m.Service.name == "Crisisopvang"))
    raw = client.get(f"/api/services/{svc.id}").get_data(as_text=True)
    assert "Geheime straat" not in raw and "51.2" not in raw
    loc = client.get(f"/api/services/{svc.id}").get_json()["locations"][0]
    assert loc["front_door"] == "Bel 059 99 00 00, 24/7"
    assert "latitude" not in loc and "addresses" not in loc


def test_errors_are_json_with_field_messages(client, session):
    missing = client.get("/api/services/nope")
    assert missing.status_code == 404 and missing.get_json()["message"]
    bad = client.get("/api/services?per_page=0")
    assert bad.status_code == 422
    assert "per_page" in bad.get_json()["errors"]["query"]


def test_openapi_documents_the_listing(client):
    spec = client.get("/api/openapi.json").get_json()
    assert "/api/services" in spec["paths"]
