"""PUT /api/services/<id>/capacity: the provider's one-click capacity update."""

from __future__ import annotations

import pytest
from auth_support import bearer
from referral_support import build_world
from sqlalchemy import select

from socialmap import models as m
from socialmap.logic import search as search_logic
from socialmap.schemas.search import SearchArgsSchema


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    return build_world(session)


def _hits(**args):  # type: ignore[no-untyped-def]
    return search_logic.search_services(SearchArgsSchema().load(args))[1].hits


def test_provider_updates_capacity_with_history_and_search_follows(client, session, world):
    url = f"/api/services/{world.debt.id}/capacity"
    resp = client.put(url, json={"status": "full"}, headers=bearer(world.provider))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.get_json()["updated_by"] == world.provider.email
    assert _hits(need=["debt-counselling"], place="8400") == []  # full: hidden by default
    resp = client.put(
        url, json={"status": "waitlist", "waiting_weeks": 6}, headers=bearer(world.provider)
    )
    assert resp.status_code == 200
    (hit,) = _hits(need=["debt-counselling"], place="8400")
    assert hit.capacity == "waitlist"
    detail = client.get(f"/api/services/{world.debt.id}").get_json()
    assert detail["capacity"]["status"] == "waitlist" and detail["capacity"]["waiting_weeks"] == 6
    history = session.scalars(
        select(m.FieldHistory).where(
            m.FieldHistory.entity_id == world.debt.id, m.FieldHistory.field == "capacity"
        )
    ).all()
    assert [h.changed_by for h in history][-2:] == [world.provider.email] * 2


def test_only_the_services_own_organisation(client, world):
    url = f"/api/services/{world.debt.id}/capacity"
    for user in (world.other_provider, world.gp, world.steward):
        resp = client.put(url, json={"status": "full"}, headers=bearer(user))
        assert resp.status_code == 403
    assert client.put(url, json={"status": "full"}).status_code == 401
    bad = client.put(url, json={"status": "maybe"}, headers=bearer(world.provider))
    assert bad.status_code == 422 and "status" in bad.get_json()["errors"]["json"]
    missing = client.put(
        "/api/services/nope/capacity", json={"status": "full"}, headers=bearer(world.provider)
    )
    assert missing.status_code == 404
