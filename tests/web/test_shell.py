"""The page shell: security headers, CSRF, error pages, sign-in, language switch."""

from __future__ import annotations

from auth_support import make_user
from flask.testing import FlaskClient
from web_support import csrf_token
from web_support import post_form
from web_support import sign_in


def test_pages_send_a_csp_without_inline_scripts(client: FlaskClient) -> None:
    response = client.get("/aanmelden")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_form_without_csrf_token_is_refused(client: FlaskClient) -> None:
    user = make_user("referrer")
    response = client.post("/aanmelden", data={"email": user.email, "password": "x"})
    assert response.status_code == 400
    assert response.mimetype == "text/html"


def test_the_api_needs_no_csrf_token(client: FlaskClient) -> None:
    response = client.post(
        "/api/auth/login", json={"email": "nobody@example.test", "password": "wrong password"}
    )
    assert response.status_code == 401
    assert response.is_json


def test_sign_in_redirects_by_role_and_back_to_the_page_asked(client: FlaskClient) -> None:
    user = make_user("referrer")
    response = client.get("/verwijzen")
    assert response.status_code == 302 and "/aanmelden?next=/verwijzen" in response.location
    sign_in(client, user)
    assert client.get("/verwijzen").status_code == 200


def test_wrong_role_gets_a_403_page(client: FlaskClient) -> None:
    sign_in(client, make_user("provider"))
    response = client.get("/verwijzen")
    assert response.status_code == 403
    assert "Je hebt geen toegang tot deze pagina" in response.get_data(as_text=True)


def test_sign_in_never_redirects_to_another_site(client: FlaskClient) -> None:
    user = make_user("referrer")
    from auth_support import PASSWORD

    from socialmap.logic import accounts

    accounts.set_password(user, PASSWORD)
    response = post_form(
        client,
        "/aanmelden",
        {"email": user.email, "password": PASSWORD, "next": "//evil.example/x"},
    )
    assert response.location == "/verwijzen"


def test_wrong_password_is_one_message_with_401(client: FlaskClient) -> None:
    response = post_form(client, "/aanmelden", {"email": "a@b.test", "password": "nope"})
    assert response.status_code == 401
    assert "E-mailadres of wachtwoord is niet juist." in response.get_data(as_text=True)


def test_language_switch_sets_cookie_and_users_language(client: FlaskClient) -> None:
    user = make_user("referrer")
    sign_in(client, user)
    token = csrf_token(client, "/verwijzen")
    response = client.post("/taal", data={"csrf_token": token, "lang": "fr", "next": "/verwijzen"})
    assert response.status_code == 302 and response.location == "/verwijzen"
    assert "lang=fr" in response.headers["Set-Cookie"]
    assert user.language == "fr"
    assert '<html lang="fr">' in client.get("/verwijzen").get_data(as_text=True)


def test_unknown_page_is_an_html_404_but_api_stays_json(client: FlaskClient) -> None:
    page = client.get("/bestaat-niet", headers={"Accept": "text/html"})
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "Pagina niet gevonden" in page.get_data(as_text=True)
    api = client.get("/api/bestaat-niet", headers={"Accept": "text/html"})
    assert api.status_code == 404 and api.is_json


def test_nul_character_in_a_form_is_a_400(client: FlaskClient) -> None:
    response = post_form(client, "/aanmelden", {"email": "a\x00b", "password": "x"})
    assert response.status_code == 400
