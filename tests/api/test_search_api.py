"""GET /api/search and /suggest over the database, and keeping the index true to it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from factories import coast_batch
from sqlalchemy import func
from sqlalchemy import select

from importers.pipeline import run_import
from socialmap import models as m
from socialmap.logic import search_index
from socialmap.logic.merging import resolve_candidate
from socialmap.logic.taxonomy import sync_taxonomies


@pytest.fixture
def loaded(session):
    sync_taxonomies(session)
    session.commit()
    out = run_import(session, source="t", fmt="t", location="m", batch=coast_batch())
    assert out.ok, out.error
    search_index.reindex(session)
    return session


def _service(session, name):
    return session.scalar(select(m.Service).where(m.Service.name == name))


def test_needs_and_place_find_the_service(client, loaded):
    body = client.get("/api/search?q=schulden&place=8400").get_json()
    hit = body["hits"][0]
    service = _service(loaded, "Schuldhulpverlening")
    assert hit["service_id"] == service.id
    assert hit["organization_id"] == service.organization_id
    assert hit["location_id"]
    assert hit["matched_needs"] == ["debt-counselling"]
    assert hit["match"] in ("distance", "service_area")
    assert body["understood"]["needs"] == ["debt-counselling"]
    assert body["understood"]["place"]["municipality"] == "35013"
    assert body["facets"]["needs"]["debt-counselling"] == 1
    bare = client.get("/api/search?q=schulden&place=8400&facets=false").get_json()
    assert bare["facets"] == {} and bare["total"] == body["total"]


def test_bad_arguments_say_which_field(client, loaded):
    unknown_need = client.get("/api/search?need=no-such-need")
    assert unknown_need.status_code == 422
    assert "no-such-need" in unknown_need.get_json()["errors"]["need"][0]
    radius = client.get("/api/search?place=8400&radius_km=5000")
    assert radius.status_code == 422
    assert "radius_km" in radius.get_json()["errors"]["query"]
    place = client.get("/api/search?place=Atlantis")
    assert place.status_code == 422
    assert "Atlantis" in place.get_json()["errors"]["place"][0]
    ambiguous = client.get("/api/search?place=Mariakerke").get_json()["errors"]["place"][0]
    assert "8400 Mariakerke" in ambiguous and "9030 Mariakerke" in ambiguous
    assert client.get("/api/search?place=9030 Mariakerke").status_code == 200
    lonely_lat = client.get("/api/search?lat=51.2")
    assert lonely_lat.status_code == 422 and "lon" in lonely_lat.get_json()["errors"]
    sort = client.get("/api/search?sort=distance")
    assert sort.status_code == 422 and "sort" in sort.get_json()["errors"]["query"]


def test_openapi_documents_the_search_arguments(client):
    spec = client.get("/api/openapi.json").get_json()
    params = {p["name"] for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert {
        "q", "need", "place", "lat", "lon", "radius_km", "target_group", "age", "language",
        "free", "open_now", "open_at", "capacity", "accepts_referrals", "organization_id",
        "sort", "page", "per_page",
    } <= params  # fmt: skip
    assert "/api/search/suggest" in spec["paths"]


def test_a_committed_change_is_searchable_without_reindex(client, loaded):
    service = _service(loaded, "Ontmoetingsnamiddag")
    service.name = "Praatcafé De Zeewind"
    loaded.commit()
    body = client.get("/api/search?q=praatcafe").get_json()
    assert [h["name"] for h in body["hits"]] == ["Praatcafé De Zeewind"]
    service.status = "inactive"
    loaded.commit()
    assert client.get("/api/search?q=praatcafe").get_json()["total"] == 0


def test_a_failing_index_never_fails_the_save(client, loaded, app, monkeypatch):
    backend = search_index.get_backend(app)

    def broken(*_args, **_kwargs):
        raise OSError("index unavailable")

    monkeypatch.setattr(backend, "upsert", broken)
    service = _service(loaded, "Budgetbeheer")
    service.name = "Budgetbegeleiding"
    loaded.commit()  # must not raise
    loaded.expire_all()
    assert _service(loaded, "Budgetbegeleiding") is not None
    assert loaded.scalar(select(func.count()).select_from(m.SearchBacklog)) == 1
    report = search_index.check(loaded)
    assert report["ok"] is False and report["backlog"] == 1
    health = client.get("/health")
    assert health.status_code == 503
    assert health.get_json()["search"]["backlog"] == 1
    monkeypatch.undo()
    assert search_index.sync_backlog(loaded) == 1
    assert client.get("/api/search?q=budgetbegeleiding").get_json()["total"] == 1
    assert search_index.check(loaded)["ok"] is True
    assert client.get("/health").get_json()["status"] == "ok"


def test_cli_reindex_and_check(runner, loaded, app):
    reindexed = runner.invoke(args=["search", "reindex"])
    assert reindexed.exit_code == 0 and "indexed 3" in reindexed.output
    checked = runner.invoke(args=["search", "check"])
    assert checked.exit_code == 0
    assert json.loads(checked.output)["database"] == 3
    Path(app.config["SEARCH_INDEX_PATH"]).unlink()
    missing = runner.invoke(args=["search", "check"])
    assert missing.exit_code == 1
    assert json.loads(missing.output)["missing_count"] == 3


def test_suggest_needs_and_organisations(client, loaded):
    needs = client.get("/api/search/suggest?prefix=schuld").get_json()
    assert any(s["kind"] == "need" and s["code"] == "debt-counselling" for s in needs)
    orgs = client.get("/api/search/suggest?prefix=zeewi").get_json()
    assert [s["label"] for s in orgs if s["kind"] == "organization"] == [
        "Dienstencentrum de Zeewind"
    ]
    assert client.get("/api/search/suggest").status_code == 422


def test_an_index_of_another_format_asks_for_a_reindex(client, loaded, app):
    path = app.config["SEARCH_INDEX_PATH"]
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE meta SET value = '\"0\"' WHERE key = 'schema'")
    conn.close()
    search_index.get_backend(app)._state = None  # as a freshly started worker
    response = client.get("/api/search?q=schulden")
    assert response.status_code == 503
    assert "flask search reindex" in response.get_json()["message"]
    assert search_index.check(loaded)["ok"] is False
    search_index.reindex(loaded)
    assert client.get("/api/search?q=schulden").get_json()["total"] == 1


def test_a_merge_decided_in_review_reaches_the_index(client, loaded):
    survivor = _service(loaded, "Schuldhulpverlening")
    absorbed = _service(loaded, "Budgetbeheer")
    candidate = m.MergeCandidate(
        entity_type="service", entity_id=absorbed.id, candidate_id=survivor.id, score=0.8
    )
    loaded.add(candidate)
    loaded.commit()
    assert client.get("/api/search?q=budgetbeheer").get_json()["total"] == 1
    resolve_candidate(loaded, candidate.id, merge=True, actor="steward@example.org")
    hits = client.get("/api/search?q=budgetbeheer").get_json()["hits"]
    assert [h["service_id"] for h in hits] == []
