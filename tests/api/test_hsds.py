"""GET /hsds/...: the Open Referral HSDS 3.0 profile, validated against the official schemas.

Every response is checked against the response schema that HSDS's own ``openapi.json`` gives
for its path (``Page`` plus the compiled list schemas for ``contents``), with formats (UUIDs,
e-mails) checked too.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from factories import coast_batch
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import select

from importers.pipeline import run_import
from importers.records import AddressIn
from importers.records import CostIn
from importers.records import LocationIn
from importers.records import ScheduleIn
from importers.records import ServiceIn
from search.scoring import haversine_km
from socialmap import models as m
from socialmap.extensions import db
from socialmap.logic.merging import merge_entities
from socialmap.logic.search import resolve_place
from socialmap.logic.taxonomy import sync_taxonomies

SCHEMAS = Path(__file__).parents[1] / "data" / "hsds-3.0-schema"
BASE = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"
PAGE_KEYS = {
    "total_items",
    "total_pages",
    "page_number",
    "size",
    "first_page",
    "last_page",
    "empty",
    "contents",
}
SECRET_STREET = "Geheime straat"
SECRET_LAT, SECRET_LON = 51.1612, 2.9755


def _registry() -> Registry:
    resources = []
    for path in sorted(SCHEMAS.rglob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        uri = BASE + path.relative_to(SCHEMAS).as_posix()
        resources.append((uri, DRAFT202012.create_resource(contents)))
    # openapi.json names compiled/service.json and compiled/organization.json, which the 3.0
    # snapshot does not hold; they are compilations of these table schemas.
    for name in ("service", "organization"):
        alias = DRAFT202012.create_resource({"$ref": f"{BASE}{name}.json"})
        resources.append((f"{BASE}compiled/{name}.json", alias))
    return Registry().with_resources(resources)


REGISTRY = _registry()


def _errors(instance: Any, schema_uri: str) -> list[str]:
    validator = Draft202012Validator(
        {"$ref": schema_uri},
        registry=REGISTRY,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(instance)]


def _openapi(path: str) -> str:
    """The URI of HSDS's 200-response schema for ``GET path``."""
    escaped = path.replace("~", "~0").replace("/", "~1")
    return f"{BASE}openapi.json#/paths/{escaped}/get/responses/200/content/application~1json/schema"


def _valid(body: Any, schema_uri: str) -> Any:
    errors = _errors(body, schema_uri)
    assert not errors, "\n".join(errors[:20])
    return body


def _page(client, url: str, path: str) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = _valid(response.get_json(), _openapi(path))
    assert PAGE_KEYS <= set(body)
    assert body["size"] == len(body["contents"])
    return body


def _batch():
    """The coast batch plus a confidential shelter, an inactive and a richer service."""
    batch = coast_batch()
    batch.locations[0].accessibility = ["Rolstoeltoegankelijk"]
    batch.locations.append(
        LocationIn(
            "shelter",
            "org-2",
            name="Vluchthuis",
            confidential=True,
            front_door="Bel 059 99 00 00, 24/7",
            addresses=[AddressIn(street=SECRET_STREET, house_number="1", postcode="8470")],
            latitude=SECRET_LAT,
            longitude=SECRET_LON,
            transportation="Bus 68, halte Geheime straat",
        )
    )
    svc = batch.services[0]
    svc.languages = ["nl", "Frans"]
    svc.costs = [CostIn("Per gesprek", 0, "EUR")]
    svc.required_documents = ["Identiteitskaart"]
    svc.schedules = [ScheduleIn(3, "14:00", "16:00"), ScheduleIn(None, description="Op afspraak")]
    svc.email = "schulden@budgetpunt.example"
    batch.services += [
        ServiceIn("svc-4", "org-2", "Crisisopvang", location_refs=["shelter"]),
        ServiceIn("svc-5", "org-2", "Oude koffieklets", location_refs=["loc-2"], status="inactive"),
        ServiceIn("svc-6", "org-1", "Schuldbemiddeling bis", location_refs=["loc-1"]),
    ]
    return batch


def _load(session) -> dict[str, str]:
    """Import the batch, merge svc-6 into svc-1; returns service ids by name."""
    sync_taxonomies(session)
    session.commit()
    out = run_import(session, source="t", fmt="t", location="m", batch=_batch())
    assert out.ok, out.error
    ids = {s.name: s.id for s in session.scalars(select(m.Service))}
    merge_entities(
        session,
        "service",
        survivor=ids["Schuldhulpverlening"],
        absorbed=ids["Schuldbemiddeling bis"],
        actor="test",
    )
    session.commit()
    return ids


def _names(body: dict[str, Any], key: str | None = None) -> list[str]:
    return [(item[key] if key else item)["name"] for item in body["contents"]]


def test_root_names_version_profile_and_openapi(client):
    body = _valid(client.get("/hsds/").get_json(), _openapi("/"))
    assert body["version"] == "3.0" and body["profile"].startswith("http")
    assert body["openapi_url"].startswith("http://localhost/")
    spec = client.get(body["openapi_url"].removeprefix("http://localhost")).get_json()
    assert "/hsds/services" in spec["paths"] and "/hsds/service_at_locations" in spec["paths"]


def test_services_are_paged_and_only_active(client, session):
    _load(session)
    first = _page(client, "/hsds/services?per_page=2", "/services")
    assert first["total_items"] == 4 and first["total_pages"] == 2 and first["size"] == 2
    assert first["first_page"] and not first["last_page"] and not first["empty"]
    second = _page(client, "/hsds/services?per_page=2&page=2", "/services")
    assert second["page_number"] == 2 and second["last_page"] and not second["first_page"]
    assert set(_names(first) + _names(second)) == {
        "Budgetbeheer",
        "Crisisopvang",
        "Ontmoetingsnamiddag",
        "Schuldhulpverlening",
    }
    beyond = _page(client, "/hsds/services?per_page=2&page=3", "/services")
    assert beyond["empty"] and beyond["contents"] == [] and beyond["total_items"] == 4
    org = first["contents"][0]["organization"]
    assert org["name"] and isinstance(org["description"], str)


def test_full_services_validate_as_compiled_services(client, session):
    _load(session)
    body = _page(client, "/hsds/services?full=true", "/services")
    for service in body["contents"]:
        _valid(service, f"{BASE}compiled/service_with_definitions.json")
        assert "service_at_locations" in service and "attributes" in service
    alias = _page(client, "/hsds/services?full_service=true", "/services")
    assert alias["contents"] == body["contents"]


def test_service_detail_is_fully_nested(client, session):
    ids = _load(session)
    body = client.get(f"/hsds/services/{ids['Schuldhulpverlening']}").get_json()
    _valid(body, _openapi("/services/{id}"))
    _valid(body, f"{BASE}compiled/service_with_definitions.json")
    assert body["status"] == "active" and body["assured_date"] == "2026-01-15"
    dt.datetime.fromisoformat(body["last_modified"])
    assert body["email"] == "schulden@budgetpunt.example"
    links = {(a["link_type"], a["taxonomy_term"]["code"]) for a in body["attributes"]}
    assert links == {("need", "debt-counselling"), ("target_group", "people-in-poverty")}
    assert [a["name"] for a in body["service_areas"]] == ["Oostende"]
    assert {x["code"] for x in body["languages"]} == {"nl", "fr"}
    assert body["cost_options"][0]["amount"] == 0 and body["required_documents"]
    weekly = [s for s in body["schedules"] if "byday" in s]
    assert weekly == [weekly[0]] and weekly[0]["byday"] == "WE" and weekly[0]["freq"] == "WEEKLY"
    assert any(s.get("description") == "Op afspraak" for s in body["schedules"])
    location = body["service_at_locations"][0]["location"]
    address = location["addresses"][0]
    assert address["address_1"] == "Kerkstraat 12 bus 3" and address["postal_code"] == "8400"
    assert address["state_province"] == "West-Vlaanderen" and address["country"] == "BE"
    assert [s["opens_at"] for s in location["schedules"]] == ["09:00", "13:30"]
    assert location["accessibility"][0]["description"] == "Rolstoeltoegankelijk"


def test_merged_inactive_and_unknown_services(client, session):
    ids = _load(session)
    merged = client.get(f"/hsds/services/{ids['Schuldbemiddeling bis']}")
    assert merged.status_code == 200
    assert merged.get_json()["id"] == ids["Schuldhulpverlening"]
    for service_id in (ids["Oude koffieklets"], "nope"):
        response = client.get(f"/hsds/services/{service_id}")
        assert response.status_code == 404 and response.get_json()["message"]
    listed = _page(client, "/hsds/service_at_locations?per_page=50", "/service_at_locations")
    assert {item["service_id"] for item in listed["contents"]}.isdisjoint(
        {ids["Oude koffieklets"], ids["Schuldbemiddeling bis"]}
    )


def test_service_filters(client, session):
    ids = _load(session)
    debt = _page(client, "/hsds/services?taxonomy_term_id=debt-money", "/services")
    assert _names(debt) == ["Budgetbeheer", "Schuldhulpverlening"]  # includes sub-needs
    term = client.get("/hsds/taxonomy_terms/debt-counselling").get_json()
    exact = _page(client, f"/hsds/services?taxonomy_term_id={term['id']}", "/services")
    assert _names(exact) == ["Schuldhulpverlening"]
    org = ids["Ontmoetingsnamiddag"]
    org_id = client.get(f"/hsds/services/{org}").get_json()["organization_id"]
    by_org = _page(client, f"/hsds/services?organization_id={org_id}", "/services")
    assert _names(by_org) == ["Crisisopvang", "Ontmoetingsnamiddag"]
    assert _names(_page(client, "/hsds/services?search=SCHULDEN", "/services")) == [
        "Schuldhulpverlening"
    ]
    both = _page(client, "/hsds/services?search=zeewind%20crisis", "/services")
    assert _names(both) == ["Crisisopvang"]
    groups = _page(client, "/hsds/services?taxonomy_id=socialmap-target-groups", "/services")
    assert _names(groups) == ["Ontmoetingsnamiddag", "Schuldhulpverlening"]


def test_modified_after_returns_only_later_changes(client, session):
    _load(session)
    since = dt.datetime.now(dt.UTC)
    batch = _batch()
    batch.services[1].description = "Nieuw: hulp bij het beheren van je budget."
    assert run_import(session, source="t", fmt="t", location="m", batch=batch).ok
    stamp = since.isoformat().replace("+00:00", "Z")
    body = _page(client, f"/hsds/services?modified_after={stamp}", "/services")
    assert _names(body) == ["Budgetbeheer"]


def _distances(body: dict[str, Any], postcode: str) -> list[float]:
    place = resolve_place(postcode, None, None)
    return [
        haversine_km(place.lat, place.lon, x["location"]["latitude"], x["location"]["longitude"])
        for x in body["contents"]
    ]


def test_postcode_and_proximity_keep_nearby_services_nearest_first(client, session):
    _load(session)
    url = "/hsds/service_at_locations?postcode=8470&proximity=2000"
    near = _page(client, url, "/service_at_locations")
    assert _names(near, "service") == ["Ontmoetingsnamiddag"]
    assert all(d <= 2.0 for d in _distances(near, "8470"))
    wider = _page(
        client, "/hsds/service_at_locations?postcode=8400&proximity=10000", "/service_at_locations"
    )
    distances = _distances(wider, "8400")
    assert distances == sorted(distances) and all(d <= 10.0 for d in distances)
    assert _names(wider, "service") == [
        "Budgetbeheer",
        "Schuldhulpverlening",
        "Ontmoetingsnamiddag",
    ]
    # From Gistel, Schuldhulpverlening is near enough but its service area is Oostende only.
    gistel = _page(
        client, "/hsds/service_at_locations?postcode=8470&proximity=10000", "/service_at_locations"
    )
    assert _names(gistel, "service") == ["Ontmoetingsnamiddag", "Budgetbeheer"]


def test_postcode_alone_filters_on_service_area(client, session):
    _load(session)
    body = _page(client, "/hsds/service_at_locations?postcode=8470", "/service_at_locations")
    assert sorted(_names(body, "service")) == [
        "Budgetbeheer",
        "Crisisopvang",
        "Ontmoetingsnamiddag",
    ]
    oostende = _page(client, "/hsds/service_at_locations?postcode=8400", "/service_at_locations")
    assert "Schuldhulpverlening" in _names(oostende, "service")


def test_confidential_location_never_leaks(client, session):
    ids = _load(session)
    link = session.scalar(
        select(m.ServiceAtLocation.id).where(m.ServiceAtLocation.service_id == ids["Crisisopvang"])
    )
    org_id = client.get(f"/hsds/services/{ids['Crisisopvang']}").get_json()["organization_id"]
    urls = [
        "/hsds/services?full=true",
        f"/hsds/services/{ids['Crisisopvang']}",
        "/hsds/service_at_locations?full=true",
        "/hsds/service_at_locations?postcode=8470",
        f"/hsds/service_at_locations/{link}",
        f"/hsds/organizations/{org_id}?full_service=true",
        "/hsds/organizations?full=true",
    ]
    for url in urls:
        raw = client.get(url).get_data(as_text=True)
        assert "Vluchthuis" in raw, url  # the location is listed ...
        assert SECRET_STREET not in raw and str(SECRET_LAT) not in raw, url  # ... not where
        assert str(SECRET_LON) not in raw and "Bus 68" not in raw, url
    detail = client.get(f"/hsds/service_at_locations/{link}").get_json()
    _valid(detail, f"{BASE}service_at_location.json")
    _valid(detail, f"{BASE}compiled/service_at_location_list.json")
    shelter = detail["location"]
    assert shelter["confidential"] is True and shelter["front_door"] == "Bel 059 99 00 00, 24/7"
    assert shelter["addresses"] == [] and "latitude" not in shelter
    # A distance filter on hidden coordinates would tell where the shelter is: never matches.
    near = _page(
        client, "/hsds/service_at_locations?postcode=8470&proximity=5000", "/service_at_locations"
    )
    assert "Crisisopvang" not in _names(near, "service")


def test_service_at_location_detail_and_full_list(client, session):
    ids = _load(session)
    body = _page(client, "/hsds/service_at_locations?full=true", "/service_at_locations")
    assert body["total_items"] == 4
    for item in body["contents"]:
        _valid(item, f"{BASE}service_at_location.json")
        assert item["service"]["organization"]["name"]
    link = session.scalar(
        select(m.ServiceAtLocation.id).where(m.ServiceAtLocation.service_id == ids["Budgetbeheer"])
    )
    detail = client.get(f"/hsds/service_at_locations/{link}").get_json()
    _valid(detail, f"{BASE}service_at_location.json")
    assert detail["location"]["addresses"][0]["city"] == "Oostende"
    inactive = session.scalar(
        select(m.ServiceAtLocation.id).where(
            m.ServiceAtLocation.service_id == ids["Oude koffieklets"]
        )
    )
    assert client.get(f"/hsds/service_at_locations/{inactive}").status_code == 404


def test_taxonomy_terms(client, session):
    _load(session)
    total = session.scalar(select(func.count()).select_from(m.TaxonomyTerm))
    body = _page(client, "/hsds/taxonomy_terms?per_page=200", "/taxonomy_terms")
    assert body["total_items"] == total and body["size"] == min(total, 200)
    parent = client.get("/hsds/taxonomy_terms/debt-money").get_json()
    _valid(parent, _openapi("/taxonomy_terms/{id}"))
    assert client.get(f"/hsds/taxonomy_terms/{parent['id']}").get_json() == parent
    children = _page(client, f"/hsds/taxonomy_terms?parent_id={parent['id']}", "/taxonomy_terms")
    codes = {t["code"] for t in children["contents"]}
    assert {"debt-counselling", "budget-management"} <= codes
    assert all(t["parent_id"] == parent["id"] for t in children["contents"])
    french = client.get("/hsds/taxonomy_terms/debt-money?lang=fr").get_json()
    term = session.get(m.TaxonomyTerm, "debt-money")
    assert french["name"] == term.labels["fr"] and french["language"] == "fr"
    groups = _page(
        client,
        "/hsds/taxonomy_terms?taxonomy_id=socialmap-target-groups&per_page=200",
        "/taxonomy_terms",
    )
    assert groups["total_items"] > 0
    assert {t["taxonomy"] for t in groups["contents"]} == {"socialmap-target-groups"}
    top = _page(client, "/hsds/taxonomy_terms?top_only=true&per_page=200", "/taxonomy_terms")
    assert top["total_items"] > 0 and all("parent_id" not in t for t in top["contents"])


def test_organizations(client, session):
    ids = _load(session)
    body = _page(client, "/hsds/organizations", "/organizations")
    assert [o["name"] for o in body["contents"]] == [
        "Budgetpunt Kust",
        "Dienstencentrum de Zeewind",
    ]
    full = _page(client, "/hsds/organizations?full=true", "/organizations")
    for org in full["contents"]:
        _valid(org, _openapi("/organizations/{id}"))
    org_id = client.get(f"/hsds/services/{ids['Budgetbeheer']}").get_json()["organization_id"]
    detail = client.get(f"/hsds/organizations/{org_id}").get_json()
    _valid(detail, _openapi("/organizations/{id}"))
    assert detail["organization_identifiers"][0]["identifier_scheme"] == "BE-BCE_KBO"
    assert detail["organization_identifiers"][0]["identifier"] == "0417497106"
    assert [s["name"] for s in detail["services"]] == ["Budgetbeheer", "Schuldhulpverlening"]
    for service in detail["services"]:
        _valid(service, f"{BASE}compiled/service_list.json")
    nested = client.get(f"/hsds/organizations/{org_id}?full_service=true").get_json()
    for service in nested["services"]:
        _valid(service, f"{BASE}compiled/service_with_definitions.json")
    assert client.get("/hsds/organizations/nope").status_code == 404


def _queries(client, url: str) -> int:
    """SQL statements one request runs (the cached demo-notice lookup left out)."""
    statements: list[str] = []

    def record(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        if "FROM source" not in statement:
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return len(statements)


@pytest.mark.parametrize(
    ("path", "few", "many"),
    [
        ("/hsds/services?full=true", 1, 4),
        ("/hsds/service_at_locations?full=true", 1, 4),
        ("/hsds/organizations?full_service=true", 1, 2),
    ],
)
def test_nested_pages_use_grouped_queries_not_one_per_row(client, session, path, few, many):
    _load(session)
    assert _queries(client, f"{path}&per_page={few}") == _queries(client, f"{path}&per_page={many}")


def test_bad_arguments_are_422_json_with_field_messages(client, session):
    _load(session)
    cases = {
        "/hsds/services?per_page=0": "per_page",
        "/hsds/services?modified_after=yesterday": "modified_after",
        "/hsds/service_at_locations?proximity=-5&postcode=8400": "proximity",
        "/hsds/taxonomy_terms?lang=de": "lang",
    }
    for url, field in cases.items():
        response = client.get(url)
        assert response.status_code == 422, url
        assert field in response.get_json()["errors"]["query"], url
    domain = {
        "/hsds/service_at_locations?proximity=1000": "proximity",
        "/hsds/service_at_locations?postcode=9999": "postcode",
        "/hsds/services?taxonomy_term_id=no-such-need": "taxonomy_term_id",
        "/hsds/taxonomy_terms?taxonomy_id=nope": "taxonomy_id",
    }
    for url, field in domain.items():
        response = client.get(url)
        assert response.status_code == 422, url
        assert response.get_json()["errors"][field], url
    for url in ("/hsds/service_at_locations/nope", "/hsds/taxonomy_terms/nope"):
        response = client.get(url)
        assert response.status_code == 404 and "not found" in response.get_json()["message"]


@pytest.mark.parametrize(
    "broken",
    [
        {"id": "not-a-uuid", "name": "x", "status": "active"},
        {"id": "9a1b2c3d-0000-4000-8000-000000000000", "name": "x", "status": "open"},
        {"id": "9a1b2c3d-0000-4000-8000-000000000000", "name": None, "status": "active"},
    ],
)
def test_the_schema_check_rejects_what_hsds_forbids(broken):
    assert _errors(broken, f"{BASE}compiled/service_list.json")
