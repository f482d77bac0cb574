"""GET /api/notifications and POST /api/notifications/<id>/read: your own only."""

from __future__ import annotations

from auth_support import bearer
from auth_support import make_user
from referral_support import build_world
from referral_support import send

from socialmap import models as m
from socialmap.extensions import db
from socialmap.logic import notifications
from socialmap.logic import referrals


def _inbox(owner: m.User, *subjects: str) -> list[m.Notification]:
    notes = [notifications.notify(owner, "test", s, "Tekst", mail=False) for s in subjects]
    db.session.commit()
    return notes


def test_requires_authentication(client):
    assert client.get("/api/notifications").status_code == 401
    assert client.post("/api/notifications/1/read").status_code == 401


def test_lists_only_own_notifications_with_unread_count(client):
    ann, bob = make_user("provider"), make_user("referrer")
    first, _second, _third = _inbox(ann, "Eerste", "Tweede", "Derde")
    _inbox(bob, "Van Bob")
    notifications.mark_read(ann, first.id)
    headers = bearer(ann)

    body = client.get("/api/notifications", headers=headers).get_json()
    assert body["total"] == 3 and body["unread_count"] == 2
    assert [i["subject"] for i in body["items"]] == ["Derde", "Tweede", "Eerste"]
    assert [i["read"] for i in body["items"]] == [False, False, True]

    unread = client.get("/api/notifications?unread=true", headers=headers).get_json()
    assert [i["subject"] for i in unread["items"]] == ["Derde", "Tweede"]
    assert unread["total"] == 2

    paged = client.get("/api/notifications?per_page=2&page=2", headers=headers).get_json()
    assert [i["subject"] for i in paged["items"]] == ["Eerste"]
    assert client.get("/api/notifications?per_page=0", headers=headers).status_code == 422


def test_mark_read_own_only(client):
    ann, bob = make_user("provider"), make_user("referrer")
    (mine,) = _inbox(ann, "Voor Ann")
    (theirs,) = _inbox(bob, "Voor Bob")
    headers = bearer(ann)

    response = client.post(f"/api/notifications/{theirs.id}/read", headers=headers)
    assert response.status_code == 404
    assert client.post("/api/notifications/999999/read", headers=headers).status_code == 404
    db.session.expire_all()
    assert db.session.get(m.Notification, theirs.id).read_at is None

    response = client.post(f"/api/notifications/{mine.id}/read", headers=headers)
    assert response.status_code == 200
    assert response.get_json()["read"] is True and response.get_json()["read_at"]
    again = client.post(f"/api/notifications/{mine.id}/read", headers=headers)
    assert again.status_code == 200
    body = client.get("/api/notifications", headers=headers).get_json()
    assert body["unread_count"] == 0


def test_referral_lifecycle_reaches_both_inboxes_without_personal_data(client, session, app):
    world = build_world(session)
    (task,) = send(world)

    inbox = client.get("/api/notifications", headers=bearer(world.provider)).get_json()
    assert [i["kind"] for i in inbox["items"]] == ["referral_requested"]
    item = inbox["items"][0]
    assert item["link"] == f"{app.config['BASE_URL']}/referrals/{task.id}"
    assert item["task_id"] == task.id and "Schuldhulpverlening" in item["subject"]
    text = (item["subject"] + item["body"]).replace(item["link"], "")
    for secret in ("Janssens", "1958", "059 12 34 56", "Weduwe", "8400"):
        assert secret not in text
    other = client.get("/api/notifications", headers=bearer(world.other_provider)).get_json()
    assert other["total"] == 0

    referrals.transition(world.provider, task.id, {"action": "accept", "version": task.version})
    gp_inbox = client.get("/api/notifications", headers=bearer(world.gp)).get_json()
    assert [i["kind"] for i in gp_inbox["items"]] == ["referral_accepted"]
    assert gp_inbox["unread_count"] == 1
