"""POST /api/match, GET /api/capacity-check and GET /api/taxonomy over the database."""

from __future__ import annotations

import pytest
from auth_support import bearer
from auth_support import make_user
from factories import coast_batch
from sqlalchemy import select

from importers.pipeline import run_import
from socialmap import models as m
from socialmap.logic import search_index
from socialmap.logic.taxonomy import sync_taxonomies

REQUEST = {"needs": ["debt-counselling"], "place": "8400", "age": 40, "urgency": "urgent"}


@pytest.fixture
def loaded(session):
    sync_taxonomies(session)
    session.commit()
    out = run_import(session, source="t", fmt="t", location="m", batch=coast_batch())
    assert out.ok, out.error
    search_index.reindex(session)
    return session


@pytest.fixture
def referrer(loaded):
    return bearer(make_user("referrer"))


def _service(session, name):
    return session.scalar(select(m.Service).where(m.Service.name == name))


def test_a_referrer_gets_explained_matches(client, loaded, referrer):
    response = client.post("/api/match", json=REQUEST, headers=referrer)
    assert response.status_code == 200
    body = response.get_json()
    debt = _service(loaded, "Schuldhulpverlening")
    assert [x["service_id"] for x in body["matches"]] == [debt.id]
    match = body["matches"][0]
    assert match["organization"] == {"id": debt.organization_id, "name": "Budgetpunt Kust"}
    assert match["location_id"]
    assert set(match["score_parts"]) == {"needs", "distance", "capacity", "freshness"}
    why = match["explanation"]
    assert why["needs"][0]["coverage"] == "exact"
    assert why["capacity"] == {"status": "waitlist", "waiting_weeks": 3, "updated_at": None,
                               "ok": True}  # fmt: skip
    assert why["eligibility"]["age"] == {
        "requested": 40, "minimum": 18, "maximum": None, "range": "from 18", "ok": True,
    }  # fmt: skip
    assert why["verified"]["assured_date"] == "2026-01-15"
    assert why["place"]["service_area"] == "covers"
    assert body["query"]["place"]["municipality"] == "35013"
    assert body["query"]["weights"]["capacity"] == 0.3  # urgent: capacity counts double
    assert body["excluded"] == [] and body["counts"]["candidates"] == 1


def test_the_same_request_gives_the_same_answer(client, loaded, referrer):
    first = client.post("/api/match", json=REQUEST, headers=referrer).get_json()
    again = client.post("/api/match", json=REQUEST, headers=referrer).get_json()
    assert first["matches"] == again["matches"]


def test_the_note_is_not_echoed(client, loaded, referrer):
    note = "Meneer Vermeulen is zijn werk kwijt"
    response = client.post("/api/match", json={**REQUEST, "note": note}, headers=referrer)
    assert response.status_code == 200 and "Vermeulen" not in response.get_data(as_text=True)


def test_matching_needs_a_referrer_steward_or_admin(client, loaded):
    anonymous = client.post("/api/match", json=REQUEST)
    assert anonymous.status_code == 401 and anonymous.get_json()["code"] == 401
    provider = client.post("/api/match", json=REQUEST, headers=bearer(make_user("provider")))
    assert provider.status_code == 403 and provider.get_json()["code"] == 403
    for role in ("steward", "admin"):
        allowed = client.post("/api/match", json=REQUEST, headers=bearer(make_user(role)))
        assert allowed.status_code == 200


def test_bad_requests_get_field_messages(client, loaded, referrer):
    unknown_need = client.post(
        "/api/match", json={**REQUEST, "needs": ["no-such-need"]}, headers=referrer
    )
    assert unknown_need.status_code == 422
    assert "no-such-need" in unknown_need.get_json()["errors"]["needs"][0]
    unknown_place = client.post(
        "/api/match", json={**REQUEST, "place": "Atlantis"}, headers=referrer
    )
    assert unknown_place.status_code == 422
    assert "Atlantis" in unknown_place.get_json()["errors"]["place"][0]
    no_body = client.post("/api/match", headers=referrer)
    assert no_body.status_code == 422 and "needs" in no_body.get_json()["errors"]
    not_an_object = client.post("/api/match", json=["debt-counselling"], headers=referrer)
    assert not_an_object.status_code == 422


def test_capacity_check_for_any_signed_in_user_without_personal_data(client, loaded):
    debt = _service(loaded, "Schuldhulpverlening")
    capacity = loaded.get(m.ServiceCapacity, debt.id)
    capacity.updated_by = "an.desmet@budgetpunt.example"
    capacity.note = "An De Smet belt elke vrijdag terug"
    loaded.commit()
    assert client.get("/api/capacity-check?need=debt-counselling&place=8400").status_code == 401
    provider = bearer(make_user("provider"))
    response = client.get("/api/capacity-check?need=debt-counselling&place=8400", headers=provider)
    assert response.status_code == 200
    body = response.get_json()
    assert body["need"] == "debt-counselling" and body["place"] == "8400 Oostende"
    [entry] = body["services"]
    assert entry["service_id"] == debt.id
    assert (entry["capacity"], entry["waiting_weeks"]) == ("waitlist", 3)
    assert entry["accepts_referrals"] is True and entry["need_coverage"] == "exact"
    text = response.get_data(as_text=True)
    assert "Smet" not in text and "an.desmet" not in text
    assert not {"updated_by", "note", "email", "person", "assurer"} & set(entry)
    one = client.get(
        f"/api/capacity-check?need=debt-money&service_id={debt.id}", headers=provider
    ).get_json()
    assert [(e["service_id"], e["need_coverage"]) for e in one["services"]] == [
        (debt.id, "narrower")
    ]


def test_capacity_check_refuses_bad_input(client, loaded, referrer):
    unknown = client.get("/api/capacity-check?need=no-such-need&place=8400", headers=referrer)
    assert unknown.status_code == 422 and "need" in unknown.get_json()["errors"]
    nowhere = client.get(
        "/api/capacity-check?need=debt-counselling&place=Atlantis", headers=referrer
    )
    assert nowhere.status_code == 422 and "Atlantis" in nowhere.get_json()["errors"]["place"][0]
    neither = client.get("/api/capacity-check?need=debt-counselling", headers=referrer)
    assert neither.status_code == 422
    missing = client.get(
        "/api/capacity-check?need=debt-counselling&service_id=no-such-service", headers=referrer
    )
    assert missing.status_code == 404


def test_the_taxonomy_is_public(client):
    needs = client.get("/api/taxonomy").get_json()
    debt = next(t for t in needs if t["code"] == "debt-counselling")
    assert debt["parent"] == "debt-money" and debt["label"] == "Schuldhulpverlening"
    assert set(debt["labels"]) == {"nl", "fr", "en"} and debt["synonyms"]["nl"]
    french = client.get("/api/taxonomy?kind=target_group&lang=fr").get_json()
    seniors = next(t for t in french if t["code"] == "seniors")
    assert seniors["label"] == seniors["labels"]["fr"] != seniors["labels"]["nl"]
    assert client.get("/api/taxonomy?kind=colours").status_code == 422


def test_openapi_documents_matching(client):
    spec = client.get("/api/openapi.json").get_json()
    body = spec["paths"]["/api/match"]["post"]["requestBody"]["content"]["application/json"]
    request_schema = spec["components"]["schemas"][body["schema"]["$ref"].rsplit("/", 1)[1]]
    assert {"needs", "place", "age", "urgency", "mobility", "limit"} <= set(
        request_schema["properties"]
    )
    params = {p["name"] for p in spec["paths"]["/api/capacity-check"]["get"]["parameters"]}
    assert {"need", "place", "service_id"} <= params
    assert "/api/taxonomy" in spec["paths"]
