"""The referral API: each role against each endpoint, and the GP's whole loop via the API."""

from __future__ import annotations

import pytest
from auth_support import bearer
from referral_support import build_world
from referral_support import referral_data
from referral_support import send

PERSONAL = ("Janssens", "Weduwe", "059 12", "+3259")


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    return build_world(session)


def _call(client, method, url, user=None, json=None, headers=None):  # type: ignore[no-untyped-def]
    hdrs = dict(bearer(user)) if user is not None else {}
    hdrs.update(headers or {})
    return client.open(url, method=method, json=json, headers=hdrs)


def _assert_refused(resp, status):  # type: ignore[no-untyped-def]
    assert resp.status_code == status, resp.get_data(as_text=True)
    body = resp.get_data(as_text=True)
    assert resp.is_json and "person" not in resp.get_json()
    assert not any(p in body for p in PERSONAL)


def _roles(world):  # type: ignore[no-untyped-def]
    return {
        "anonymous": None,
        "gp": world.gp,
        "other_gp": world.other_gp,
        "provider": world.provider,
        "other_provider": world.other_provider,
        "steward": world.steward,
        "admin": world.admin,
    }


# endpoint -> {role: expected status}; the allowed role runs last (it may change the task)
MATRIX = {
    ("GET", "/api/referrals/{id}"): {
        "gp": 200,
        "provider": 200,
        "other_gp": 404,
        "other_provider": 404,
        "steward": 404,
        "admin": 404,
        "anonymous": 401,
    },
    ("GET", "/api/referrals/{id}/events"): {
        "gp": 200,
        "provider": 200,
        "other_gp": 404,
        "other_provider": 404,
        "steward": 404,
        "admin": 404,
        "anonymous": 401,
    },
    ("GET", "/api/referrals/{id}/fhir"): {
        "gp": 200,
        "provider": 200,
        "other_gp": 404,
        "other_provider": 404,
        "steward": 404,
        "admin": 404,
        "anonymous": 401,
    },
    ("GET", "/api/referrals/{id}/letter"): {
        "gp": 200,
        "provider": 403,
        "other_gp": 404,
        "other_provider": 404,
        "steward": 404,
        "admin": 404,
        "anonymous": 401,
    },
    ("GET", "/api/referrals/{id}/access-log"): {
        "gp": 200,
        "admin": 200,
        "provider": 404,
        "other_gp": 404,
        "other_provider": 404,
        "steward": 404,
        "anonymous": 401,
    },
    ("POST", "/api/referrals/{id}/transitions"): {
        "provider": 200,
        "gp": 403,
        "other_gp": 404,
        "other_provider": 404,
        "steward": 404,
        "admin": 404,
        "anonymous": 401,
    },
    ("POST", "/api/referrals/{id}/consent/withdraw"): {
        "gp": 200,
        "provider": 403,
        "other_gp": 404,
        "other_provider": 404,
        "steward": 404,
        "admin": 404,
        "anonymous": 401,
    },
    ("GET", "/api/referrals"): {
        "gp": 200,
        "other_gp": 200,
        "provider": 403,
        "other_provider": 403,
        "steward": 403,
        "admin": 403,
        "anonymous": 401,
    },
    ("GET", "/api/referrals/inbox"): {
        "provider": 200,
        "other_provider": 200,
        "gp": 403,
        "other_gp": 403,
        "steward": 403,
        "admin": 403,
        "anonymous": 401,
    },
    ("GET", "/api/referrals/stats"): {
        "steward": 200,
        "admin": 200,
        "gp": 403,
        "provider": 403,
        "anonymous": 401,
    },
}


@pytest.mark.parametrize(("method", "path"), list(MATRIX))
def test_authorization_matrix(client, world, method, path):
    (task,) = send(world)
    roles = _roles(world)
    url = path.format(id=task.id)
    json = {"action": "accept", "version": 1} if "transitions" in path else None
    expected = MATRIX[(method, path)]
    for role, status in sorted(expected.items(), key=lambda kv: kv[1] < 300):
        resp = _call(client, method, url, roles[role], json=json)
        if status >= 400:
            _assert_refused(resp, status)
        else:
            assert resp.status_code == status, (role, resp.get_data(as_text=True))


def test_lists_hold_only_what_each_side_may_see(client, world):
    (task,) = send(world)
    mine = _call(client, "GET", "/api/referrals", world.gp).get_json()
    assert [i["id"] for i in mine["items"]] == [task.id]
    assert _call(client, "GET", "/api/referrals", world.other_gp).get_json()["total"] == 0
    inbox = _call(client, "GET", "/api/referrals/inbox", world.provider).get_json()
    assert [i["id"] for i in inbox["items"]] == [task.id]
    assert not any(p in str(inbox) for p in PERSONAL)  # lists carry no personal data
    other = _call(client, "GET", "/api/referrals/inbox", world.other_provider).get_json()
    assert other["total"] == 0


def test_create_errors_are_json_with_field_messages(client, world):
    bad = referral_data(world.debt, needs=["no-such-need"], urgency="whenever")
    bad["person"]["postcode"] = "84"
    resp = _call(client, "POST", "/api/referrals", world.gp, json=bad)
    assert resp.status_code == 422
    errors = resp.get_json()["errors"]["json"]
    assert {"needs", "urgency", "person"} <= set(errors)
    assert "postcode" in errors["person"]


def test_idempotent_create_over_http(client, world):
    data = referral_data(world.debt)
    key = {"Idempotency-Key": "a1b2c3"}
    first = _call(client, "POST", "/api/referrals", world.gp, json=data, headers=key)
    again = _call(client, "POST", "/api/referrals", world.gp, json=data, headers=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["id"] == again.get_json()["id"]
    assert _call(client, "GET", "/api/referrals", world.gp).get_json()["total"] == 1


def test_stale_version_answers_409_with_current_state(client, world):
    (task,) = send(world)
    url = f"/api/referrals/{task.id}/transitions"
    ok = _call(client, "POST", url, world.provider, json={"action": "accept", "version": 1})
    assert ok.status_code == 200
    stale = _call(client, "POST", url, world.provider, json={"action": "start", "version": 1})
    assert stale.status_code == 409
    assert stale.get_json()["errors"]["current"] == {
        "id": task.id,
        "status": "accepted",
        "version": 2,
    }
    wrong = _call(client, "POST", url, world.provider, json={"action": "accept", "version": 2})
    assert wrong.status_code == 409 and "accepted" in wrong.get_json()["message"]


def test_gp_closes_the_loop_through_the_api(client, world):
    """Match, refer with consent, the provider works its inbox, the GP sees the outcome."""
    gp, provider = world.gp, world.provider
    matched = _call(
        client, "POST", "/api/match", gp, json={"needs": ["debt-counselling"], "place": "8400"}
    )
    assert matched.status_code == 200, matched.get_data(as_text=True)
    service_id = matched.get_json()["matches"][0]["service_id"]
    assert service_id == world.debt.id

    data = referral_data(world.debt)
    data["services"] = [service_id]
    created = _call(client, "POST", "/api/referrals", gp, json=data)
    assert created.status_code == 201
    (referral,) = created.get_json()["referrals"]
    task_id = referral["id"]
    assert referral["status"] == "requested" and referral["allowed_actions"] == [
        "cancel",
        "enter-in-error",
    ]

    inbox = _call(client, "GET", "/api/referrals/inbox", provider).get_json()
    assert inbox["items"][0]["id"] == task_id and inbox["items"][0]["received_at"] is None
    opened = _call(client, "GET", f"/api/referrals/{task_id}", provider).get_json()
    assert opened["person"]["name"] == "M. Janssens"
    assert set(opened["allowed_actions"]) == {"accept", "reject"}

    url = f"/api/referrals/{task_id}/transitions"
    version = opened["version"]
    for step in (
        {"action": "accept", "note": "Intake op dinsdag"},
        {"action": "start"},
        {"action": "complete", "outcome": "Budgetplan opgemaakt, afbetalingsplan loopt."},
    ):
        resp = _call(client, "POST", url, provider, json={**step, "version": version})
        assert resp.status_code == 200, resp.get_data(as_text=True)
        version = resp.get_json()["version"]

    seen = _call(client, "GET", f"/api/referrals/{task_id}", gp).get_json()
    assert seen["status"] == "completed" and seen["outcome"].startswith("Budgetplan")
    timeline = _call(client, "GET", f"/api/referrals/{task_id}/events", gp).get_json()
    assert [(e["kind"], e["to_status"]) for e in timeline] == [
        ("status", "requested"),
        ("received", None),
        ("status", "accepted"),
        ("status", "in-progress"),
        ("status", "completed"),
    ]
    assert timeline[2]["note"] == "Intake op dinsdag"
    notes = _call(client, "GET", "/api/notifications", gp).get_json()
    kinds = {n["kind"] for n in notes["items"]}
    assert {"referral_received", "referral_accepted", "referral_completed"} <= kinds
    assert not any(p in str(notes) for p in PERSONAL)
    provider_notes = _call(client, "GET", "/api/notifications", provider).get_json()
    assert "referral_requested" in {n["kind"] for n in provider_notes["items"]}

    letter = _call(client, "GET", f"/api/referrals/{task_id}/letter?lang=fr", gp)
    assert letter.status_code == 200 and letter.mimetype == "text/html"
    assert "M. Janssens" in letter.get_data(as_text=True)
    csp = letter.headers["Content-Security-Policy"]  # its own print styles, and nothing else
    assert "style-src 'self' 'sha256-" in csp and "unsafe-inline" not in csp
    log = _call(client, "GET", f"/api/referrals/{task_id}/access-log", gp).get_json()
    assert {"view", "letter"} <= {e["action"] for e in log}


def test_a_referral_reads_as_a_fhir_sdoh_task_without_personal_data(client, world):
    (task,) = send(world, urgency="urgent")
    url = f"/api/referrals/{task.id}/fhir"
    _call(
        client,
        "POST",
        f"/api/referrals/{task.id}/transitions",
        world.provider,
        json={"action": "reject", "version": 1, "reason_code": "no-capacity"},
    )
    resp = _call(client, "GET", url, world.gp)
    assert resp.status_code == 200 and resp.mimetype == "application/fhir+json"
    body = resp.get_json()
    assert (body["resourceType"], body["status"], body["intent"]) == ("Task", "rejected", "order")
    assert body["code"]["coding"][0]["code"] == "fulfill" and body["priority"] == "urgent"
    assert body["statusReason"]["coding"][0]["code"] == "no-capacity"
    assert body["owner"]["reference"] == f"Organization/{task.organization_id}"
    (request,) = body["contained"]
    assert body["focus"] == {"reference": "#request"} and request["status"] == "completed"
    assert request["category"][0]["coding"][0]["code"] == "financial-insecurity"
    assert request["code"]["coding"][0]["code"] == "debt-counselling"
    assert not any(p in resp.get_data(as_text=True) for p in PERSONAL)
    assert _call(client, "GET", url, world.other_provider).status_code == 404
