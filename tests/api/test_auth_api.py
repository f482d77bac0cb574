"""Signing in and calling the API as someone: sessions, bearer tokens, invitations, regions."""

from __future__ import annotations

from auth_support import PASSWORD
from auth_support import bearer
from auth_support import make_organization
from auth_support import make_user
from sqlalchemy import func
from sqlalchemy import select

from socialmap import models as m
from socialmap.logic import accounts
from socialmap.logic import regions


def _login(client, email, password=PASSWORD):  # type: ignore[no-untyped-def]
    return client.post("/api/auth/login", json={"email": email, "password": password})


def _assert_unauthorized(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 401
    body = response.get_json()
    assert body["code"] == 401 and body["status"] == "Unauthorized" and body["message"]


def test_me_with_a_bearer_token(client, session):
    org = make_organization("Budgetpunt Kust")
    region = regions.create_region("ELZ Oostende", ["35013"])
    provider = make_user("provider", organizations=[org], practice="Team Kust")
    steward = make_user("steward", region_ids=[region.id])

    response = client.get("/api/users/me", headers=bearer(provider))
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == provider.id and body["email"] == provider.email
    assert (body["role"], body["practice"]) == ("provider", "Team Kust")
    assert body["organizations"] == [{"id": org.id, "name": "Budgetpunt Kust"}]
    assert "password" not in str(body) and "password_hash" not in body
    assert response.headers.get("Set-Cookie") is None  # a token request opens no session

    body = client.get("/api/users/me", headers=bearer(steward)).get_json()
    assert body["regions"] == [
        {"id": region.id, "name": "ELZ Oostende", "municipalities": ["35013"]}
    ]


def test_no_revoked_or_foreign_credentials_get_401(client, session):
    user = make_user("referrer")
    _assert_unauthorized(client.get("/api/users/me"))
    _assert_unauthorized(client.get("/api/users/me", headers={"Authorization": "Bearer smp_x"}))
    _assert_unauthorized(client.get("/api/users/me", headers={"Authorization": "Basic abc"}))

    headers = bearer(user)
    token_id = session.scalar(select(m.ApiToken.id))
    assert client.get("/api/users/me", headers=headers).status_code == 200
    assert client.delete(f"/api/users/me/tokens/{token_id}", headers=headers).status_code == 204
    _assert_unauthorized(client.get("/api/users/me", headers=headers))

    headers = bearer(user)
    user.active = False
    session.commit()
    _assert_unauthorized(client.get("/api/users/me", headers=headers))


def test_session_sign_in_sets_a_protected_cookie(client, session):
    user = make_user("referrer", password=PASSWORD)
    response = _login(client, user.email.upper())
    assert response.status_code == 200
    assert response.get_json()["email"] == user.email
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    assert client.get("/api/users/me").get_json()["id"] == user.id

    assert client.post("/api/auth/logout").status_code == 204
    _assert_unauthorized(client.get("/api/users/me"))
    _assert_unauthorized(client.post("/api/auth/logout"))


def test_sign_out_and_a_new_password_end_copied_sessions(app, client, session):
    user = make_user("referrer", password=PASSWORD)
    assert _login(client, user.email).status_code == 200
    copy = app.test_client()  # a stolen copy of the session cookie
    copy.set_cookie("session", client.get_cookie("session").value)
    assert copy.get("/api/users/me").status_code == 200
    assert client.post("/api/auth/logout").status_code == 204
    _assert_unauthorized(copy.get("/api/users/me"))

    assert _login(client, user.email).status_code == 200
    copy.set_cookie("session", client.get_cookie("session").value)
    accounts.set_password(user, "another long passphrase")
    _assert_unauthorized(copy.get("/api/users/me"))
    _assert_unauthorized(client.get("/api/users/me"))


def test_a_deactivated_account_loses_its_session(client, session):
    user = make_user("referrer", password=PASSWORD)
    assert _login(client, user.email).status_code == 200
    user.active = False
    session.commit()
    _assert_unauthorized(client.get("/api/users/me"))
    assert _login(client, user.email).status_code == 401


def test_failed_sign_in_is_generic_then_rate_limited(app, client, session):
    app.config["LOGIN_MAX_FAILURES"] = 2
    user = make_user("referrer", password=PASSWORD)
    wrong_password = _login(client, user.email, "not the password")
    unknown_email = _login(client, "nobody@example.test", PASSWORD)
    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.get_json() == unknown_email.get_json()
    assert "Set-Cookie" not in wrong_password.headers

    assert _login(client, user.email, "not the password").status_code == 401
    limited = _login(client, user.email)  # right password, but too late
    assert limited.status_code == 429
    assert limited.get_json()["code"] == 429 and "Try again later" in limited.get_json()["message"]
    _assert_unauthorized(client.get("/api/users/me"))

    missing = client.post("/api/auth/login", json={"email": user.email})
    assert missing.status_code == 422 and "password" in missing.get_json()["errors"]["json"]


def test_tokens_are_made_from_a_session_and_shown_once(client, session):
    user = make_user("referrer", password=PASSWORD)
    assert client.post("/api/users/me/tokens", json={}).status_code == 401
    _login(client, user.email)
    response = client.post("/api/users/me/tokens", json={"name": "script"})
    assert response.status_code == 201
    made = response.get_json()
    assert made["token"].startswith(made["prefix"]) and made["name"] == "script"

    listed = client.get("/api/users/me/tokens").get_json()
    assert [(t["prefix"], t["name"]) for t in listed] == [(made["prefix"], "script")]
    assert made["token"] not in str(listed)

    anonymous = client.application.test_client()
    headers = {"Authorization": f"Bearer {made['token']}"}
    assert anonymous.get("/api/users/me", headers=headers).get_json()["id"] == user.id
    minted = anonymous.post("/api/users/me/tokens", json={}, headers=headers)
    assert minted.status_code == 403 and "token" not in minted.get_json()


def test_a_referrer_cannot_invite(client, session):
    referrer = make_user("referrer")
    response = client.post(
        "/api/invitations",
        json={"email": "x@example.test", "role": "referrer"},
        headers=bearer(referrer),
    )
    assert response.status_code == 403
    body = response.get_json()
    assert body["code"] == 403 and set(body) == {"code", "status", "message"}
    assert session.scalar(select(func.count()).select_from(m.Invitation)) == 0
    unauthenticated = client.post(
        "/api/invitations", json={"email": "x@example.test", "role": "referrer"}
    )
    assert unauthenticated.status_code == 401


def test_invite_accept_and_sign_in(app, client, session):
    app.config["BASE_URL"] = "https://kaart.example"
    org = make_organization("Zorgpunt")
    steward = make_user("steward")
    response = client.post(
        "/api/invitations",
        json={"email": "Staff@Example.test", "role": "provider", "organization_id": org.id},
        headers=bearer(steward),
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["email"] == "staff@example.test" and body["role"] == "provider"
    prefix = "https://kaart.example/invitations/accept#token="
    assert body["link"].startswith(prefix)
    token = body["link"][len(prefix) :]

    escalate = client.post(
        "/api/invitations",
        json={"email": "boss@example.test", "role": "admin"},
        headers=bearer(steward),
    )
    assert escalate.status_code == 403

    short = client.post("/api/invitations/accept", json={"token": token, "password": "short"})
    assert short.status_code == 422 and "password" in short.get_json()["errors"]["json"]

    visitor = app.test_client()
    accepted = visitor.post(
        "/api/invitations/accept", json={"token": token, "password": PASSWORD, "name": "Lien"}
    )
    assert accepted.status_code == 201
    me = visitor.get("/api/users/me").get_json()  # signed in by accepting
    assert (me["email"], me["role"], me["name"]) == ("staff@example.test", "provider", "Lien")
    assert me["organizations"] == [{"id": org.id, "name": "Zorgpunt"}]

    again = client.post("/api/invitations/accept", json={"token": token, "password": PASSWORD})
    assert again.status_code == 422 and "already been used" in str(again.get_json())
    unknown = client.post("/api/invitations/accept", json={"token": "nope", "password": PASSWORD})
    assert unknown.status_code == 404
    assert _login(app.test_client(), "staff@example.test").status_code == 200


def test_regions_and_referable_decisions(client, session):
    coast = regions.create_region("ELZ Oostende", ["35013"])
    regions.create_region("ELZ Gent", ["44021"])
    steward = make_user("steward", region_ids=[coast.id])
    headers = bearer(steward)
    listed = client.get("/api/regions", headers=headers).get_json()
    assert [r["name"] for r in listed] == ["ELZ Oostende"]
    assert client.get("/api/regions", headers=bearer(make_user("referrer"))).status_code == 403
    _assert_unauthorized(client.get("/api/regions"))

    org = make_organization("Thuiszorg vzw")
    here = m.Service(organization_id=org.id, name="Thuiszorg")
    there = m.Service(organization_id=org.id, name="Thuiszorg Gent")
    session.add_all([here, there])
    session.flush()
    session.add(m.ServiceArea(service_id=here.id, kind="municipality", code="35013"))
    session.add(m.ServiceArea(service_id=there.id, kind="municipality", code="44021"))
    session.commit()

    url = f"/api/regions/{coast.id}/services/{here.id}"
    response = client.put(url, json={"referable": False, "note": "Vol"}, headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert (body["referable"], body["note"], body["decided_by"]) == (False, "Vol", steward.email)
    assert regions.referable_decisions([here.id]) == {here.id: False}

    outside = client.put(
        f"/api/regions/{coast.id}/services/{there.id}", json={"referable": True}, headers=headers
    )
    assert outside.status_code == 422 and "service_id" in outside.get_json()["errors"]
    bad = client.put(url, json={"referable": "maybe"}, headers=headers)
    assert bad.status_code == 422 and "referable" in bad.get_json()["errors"]["json"]
    other = bearer(make_user("steward"))
    assert client.put(url, json={"referable": True}, headers=other).status_code == 403
    assert client.put(url, json={"referable": True}).status_code == 401
    assert regions.referable_decisions([here.id]) == {here.id: False}


def test_openapi_documents_the_account_endpoints(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    for path in ("/api/auth/login", "/api/users/me", "/api/invitations", "/api/regions"):
        assert path in paths
