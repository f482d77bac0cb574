"""The app end to end on the Elasticsearch backend: import, reindex, search, push."""

from __future__ import annotations

import pytest
from factories import coast_batch
from sqlalchemy import select

from importers.pipeline import run_import
from socialmap import models as m
from socialmap.logic import search_index
from socialmap.logic.taxonomy import sync_taxonomies


@pytest.fixture
def es_app(app, elasticsearch_client):
    app.config.update(
        SEARCH_BACKEND="elasticsearch",
        ELASTICSEARCH_INDEX="socialmap-test",
        ELASTICSEARCH_CLIENT=elasticsearch_client,
    )
    app.extensions.pop(search_index.EXTENSION, None)
    return app


def test_search_api_answers_from_elasticsearch(es_app, client, session):
    sync_taxonomies(session)
    session.commit()
    assert run_import(session, source="t", fmt="t", location="m", batch=coast_batch()).ok
    assert search_index.get_backend(es_app).name == "elasticsearch"
    assert search_index.reindex(session) == 3
    body = client.get("/api/search?q=schulden&place=8400").get_json()
    assert [h["name"] for h in body["hits"]] == ["Schuldhulpverlening"]
    assert body["hits"][0]["matched_needs"] == ["debt-counselling"]
    service = session.scalar(select(m.Service).where(m.Service.name == "Ontmoetingsnamiddag"))
    service.name = "Praatcafé"
    session.commit()  # pushed to Elasticsearch after the commit
    assert client.get("/api/search?q=praatcafe").get_json()["total"] == 1
    assert search_index.check(session)["ok"] is True
    assert client.get("/health").get_json()["search"]["backend"] == "elasticsearch"
