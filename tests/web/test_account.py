"""Account pages: invitations, password reset through the outbox, notifications, the account
page; tokens stay out of URLs, Location headers and logs."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from auth_support import PASSWORD
from auth_support import make_user
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy import update
from web_support import csrf_token
from web_support import post_form
from web_support import sign_in

from socialmap import models as m
from socialmap.logic import accounts
from socialmap.logic import notifications
from socialmap.logic import password_reset
from socialmap.models.base import utcnow

NEW_PASSWORD = "a brand new passphrase"


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def log_lines() -> Iterator[list[str]]:
    """Every log line written during the test (works with and without pytest's caplog).

    The migrations' ``fileConfig`` disables the loggers that existed before it ran: switch
    the application's loggers back on for this test."""
    handler = _Records()
    root = logging.getLogger()
    level = root.level
    loggers = [
        logging.getLogger(name)
        for name in list(root.manager.loggerDict)
        if name.startswith(("socialmap", "werkzeug", "flask"))
    ]
    disabled = [lg for lg in loggers if lg.disabled]
    for lg in disabled:
        lg.disabled = False
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler.lines
    root.removeHandler(handler)
    root.setLevel(level)
    for lg in disabled:
        lg.disabled = True


def _invite(email: str = "new@example.test", role: str = "referrer") -> str:
    _invitation, token = accounts.create_invitation(None, email, role)
    return token


def _accept(client: FlaskClient, token: str, password: str = PASSWORD, **extra: str):  # type: ignore[no-untyped-def]
    data = {
        "token": token,
        "name": "Lien Maes",
        "password": password,
        "password_repeat": password,
        **extra,
    }
    return post_form(client, "/uitnodiging", data)


def _reset_token(user: m.User) -> str:
    """The token in the newest reset e-mail queued for ``user``."""
    from socialmap.extensions import db

    note = db.session.scalars(
        select(m.Notification)
        .where(m.Notification.user_id == user.id, m.Notification.kind == "password_reset")
        .order_by(m.Notification.id.desc())
    ).first()
    assert note is not None, "no reset e-mail queued"
    link = next(w for w in note.body.split() if "/wachtwoord-herstellen" in w)
    return urlsplit(link).fragment.removeprefix("token=")


def _reset(client: FlaskClient, token: str, password: str = NEW_PASSWORD):  # type: ignore[no-untyped-def]
    data = {"token": token, "password": password, "password_repeat": password}
    return post_form(client, "/wachtwoord-herstellen", data)


def _signed_in(client: FlaskClient) -> bool:
    return client.get("/meldingen").status_code == 200


# ------------------------------------------------------------------ invitations


def test_invitation_link_leads_to_the_page_with_the_code_field(app: Flask, client: FlaskClient):
    app.config["BASE_URL"] = "http://localhost"
    link = accounts.invitation_link(_invite())
    response = client.get(urlsplit(link).path)  # the fragment never reaches the server
    assert response.status_code == 302 and response.location == "/uitnodiging"
    page = client.get("/uitnodiging")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert 'name="token"' in html and "data-fragment-token" in html
    assert "js/account.js" in html


def test_accepting_an_invitation_signs_in_on_the_roles_home(client: FlaskClient, session):
    token = _invite(role="referrer")
    response = _accept(client, token)
    assert response.status_code == 302 and response.location == "/verwijzen"
    user = session.scalar(select(m.User).where(m.User.email == "new@example.test"))
    assert (user.name, user.role) == ("Lien Maes", "referrer")
    assert _signed_in(client)


def test_a_pasted_whole_link_works_as_the_code(client: FlaskClient):
    link = accounts.invitation_link(_invite())
    assert _accept(client, link).status_code == 302


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("unknown", "Deze uitnodigingslink is niet geldig."),
        ("used", "Deze uitnodiging is al gebruikt."),
        ("expired", "Deze uitnodiging is verlopen."),
    ],
)
def test_unusable_invitations_get_a_clear_message(client: FlaskClient, session, case, message):
    token = _invite(email="invited@example.test")
    if case == "unknown":
        token = "x" * 43
    elif case == "used":
        assert _accept(make_client(client), token).status_code == 302
    else:
        session.execute(update(m.Invitation).values(expires_at=utcnow() - dt.timedelta(days=1)))
        session.commit()
    response = _accept(client, token)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    assert "invited@example.test" not in html  # nothing about the invited account
    assert not _signed_in(client)


def make_client(client: FlaskClient) -> FlaskClient:
    """A second browser (own cookies) on the same app."""
    return client.application.test_client()


def test_weak_or_mismatched_password_is_an_inline_error(client: FlaskClient, session):
    token = _invite()
    weak = _accept(client, token, password="short")
    html = weak.get_data(as_text=True)
    assert weak.status_code == 422
    assert "Gebruik minstens 12 tekens" in html
    assert re.search(r'id="f-password"[^>]*aria-invalid="true"', html)
    mismatch = _accept(client, token, password_repeat="something else entirely")
    assert mismatch.status_code == 422
    assert "De twee wachtwoorden zijn niet hetzelfde." in mismatch.get_data(as_text=True)
    assert session.scalar(select(m.User).where(m.User.email == "new@example.test")) is None
    assert _accept(client, token).status_code == 302  # the invitation is still usable


# ------------------------------------------------------------------ password reset


def test_reset_request_answers_alike_and_mails_only_existing_accounts(
    app: Flask, client: FlaskClient, session
):
    app.config["BASE_URL"] = "https://kaart.example"
    user = make_user("referrer", email="an@example.test")
    known = post_form(client, "/wachtwoord-vergeten", {"email": "an@example.test"})
    unknown = post_form(client, "/wachtwoord-vergeten", {"email": "nobody@example.test"})
    assert known.status_code == unknown.status_code == 302
    assert known.location == unknown.location == "/wachtwoord-vergeten/verstuurd"
    page = client.get(known.location).get_data(as_text=True)
    assert "Kijk je mailbox na" in page and "an@example.test" not in page
    mails = session.scalars(select(m.Notification)).all()
    assert [(n.user_id, n.kind, n.mail_status) for n in mails] == [
        (user.id, "password_reset", "pending")
    ]
    link = next(w for w in mails[0].body.split() if "kaart.example" in w)
    parts = urlsplit(link)
    assert parts.path == "/wachtwoord-herstellen" and parts.query == ""
    assert parts.fragment.startswith("token=") and len(parts.fragment) > 40


def test_too_many_reset_requests_from_one_client_are_refused(app: Flask, client: FlaskClient):
    app.config["LOGIN_MAX_FAILURES"] = 1  # a client may fail 4 times in the window
    for n in range(4):
        response = post_form(client, "/wachtwoord-vergeten", {"email": f"x{n}@example.test"})
        assert response.status_code == 302
    refused = post_form(client, "/wachtwoord-vergeten", {"email": "x@example.test"})
    assert refused.status_code == 429
    assert "Te veel aanvragen." in refused.get_data(as_text=True)


def test_reset_signs_in_and_the_old_password_fails(client: FlaskClient):
    user = make_user("provider", password=PASSWORD)
    post_form(client, "/wachtwoord-vergeten", {"email": user.email})
    response = _reset(client, _reset_token(user))
    assert response.status_code == 302 and response.location == "/inbox"
    assert _signed_in(client)
    other = make_client(client)
    refused = post_form(other, "/aanmelden", {"email": user.email, "password": PASSWORD})
    assert refused.status_code == 401
    accepted = post_form(other, "/aanmelden", {"email": user.email, "password": NEW_PASSWORD})
    assert accepted.status_code == 302


def test_reset_ends_the_other_sessions(client: FlaskClient):
    user = make_user("referrer", password=PASSWORD)
    elsewhere = make_client(client)
    sign_in(elsewhere, user)
    assert _signed_in(elsewhere)
    post_form(client, "/wachtwoord-vergeten", {"email": user.email})
    assert _reset(client, _reset_token(user)).status_code == 302
    assert not _signed_in(elsewhere)
    assert _signed_in(client)


def test_reset_link_is_single_use_and_expires(client: FlaskClient, session):
    user = make_user("referrer", password=PASSWORD)
    post_form(client, "/wachtwoord-vergeten", {"email": user.email})
    token = _reset_token(user)
    assert _reset(make_client(client), token).status_code == 302
    again = _reset(client, token, "yet another passphrase")
    assert again.status_code == 400
    assert "Deze link is al gebruikt." in again.get_data(as_text=True)
    assert not _signed_in(client)

    password_reset.request_reset(user.email, None)
    late = _reset_token(user)
    session.execute(
        update(m.PasswordReset)
        .where(m.PasswordReset.used_at.is_(None))
        .values(expires_at=utcnow() - dt.timedelta(minutes=1))
    )
    session.commit()
    expired = _reset(client, late)
    assert expired.status_code == 400
    assert "Deze link is verlopen." in expired.get_data(as_text=True)
    unknown = _reset(client, "y" * 43)
    assert "Deze link om je wachtwoord opnieuw in te stellen is niet geldig" in unknown.get_data(
        as_text=True
    )


def test_reset_with_a_weak_password_keeps_the_code_for_another_try(client: FlaskClient):
    user = make_user("referrer", password=PASSWORD)
    post_form(client, "/wachtwoord-vergeten", {"email": user.email})
    token = _reset_token(user)
    weak = _reset(client, token, "short")
    assert weak.status_code == 422
    assert weak.headers["Cache-Control"] == "no-store"
    assert f'value="{token}"' in weak.get_data(as_text=True)  # in the body, never in a URL
    assert _reset(client, token).status_code == 302


def test_reset_pages_never_put_the_token_in_a_url_or_a_log(client: FlaskClient, log_lines):
    user = make_user("referrer", password=PASSWORD)
    invitation = _invite()
    locations = []
    response = post_form(client, "/wachtwoord-vergeten", {"email": user.email})
    locations.append(response.location)
    token = _reset_token(user)
    for response in (
        client.get(urlsplit(accounts.invitation_link(invitation)).path),
        _reset(client, token, "short"),
        _reset(client, token),
        _reset(client, token),
        _accept(make_client(client), invitation),
    ):
        locations.append(response.headers.get("Location", ""))
    assert all(token not in loc and invitation not in loc for loc in locations)
    assert all("?" not in loc for loc in locations)
    assert log_lines, "nothing was logged: the check would be empty"
    assert not [line for line in log_lines if token in line or invitation in line]


def test_the_reset_form_asks_for_the_code_without_javascript(client: FlaskClient):
    html = client.get("/wachtwoord-herstellen").get_data(as_text=True)
    assert re.search(r'<input id="f-token" name="token" type="text"', html)
    assert "Code uit de e-mail" in html
    empty = post_form(
        client,
        "/wachtwoord-herstellen",
        {"token": "", "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD},
    )
    assert empty.status_code == 422


def test_sign_in_page_links_to_the_reset(client: FlaskClient):
    assert 'href="/wachtwoord-vergeten"' in client.get("/aanmelden").get_data(as_text=True)


# ------------------------------------------------------------------ notifications


def _notes(user: m.User, count: int, *, task_id: str | None = None) -> list[m.Notification]:
    from socialmap.extensions import db

    start = utcnow() - dt.timedelta(hours=count)
    made = [
        notifications.notify(
            user,
            "referral_accepted",
            f"socialmap: Melding {i}",
            "body",
            task_id=task_id,
            mail=False,
            now=start + dt.timedelta(hours=i),
        )
        for i in range(count)
    ]
    db.session.commit()
    return made


def test_notifications_newest_first_unread_highlighted_and_paged(client: FlaskClient):
    user = make_user("referrer")
    notes = _notes(user, 23)
    notifications.mark_read(user, notes[21].id)
    sign_in(client, user)
    html = client.get("/meldingen").get_data(as_text=True)
    subjects = re.findall(r"Melding (\d+)", html)
    assert subjects[:3] == ["22", "21", "20"] and len(subjects) == 20
    assert "socialmap: Melding" not in html  # the mail prefix is left out in the app
    assert re.search(rf'id="n-{notes[22].id}" class="notification is-unread"', html)
    assert re.search(rf'id="n-{notes[21].id}" class="notification"', html)
    assert "22 ongelezen van 23 meldingen." in html
    assert 'href="/meldingen?page=2"' in html
    second = client.get("/meldingen?page=2").get_data(as_text=True)
    assert re.findall(r"Melding (\d+)", second) == ["2", "1", "0"]


def test_mark_one_then_all_read_and_the_header_count_drops(client: FlaskClient):
    user = make_user("provider")
    notes = _notes(user, 3)
    sign_in(client, user)
    assert '<span class="count" aria-label="3 ongelezen">3</span>' in client.get(
        "/meldingen"
    ).get_data(as_text=True)
    response = post_form(
        client, f"/meldingen/{notes[0].id}/gelezen", {"page": "1"}, token_from="/meldingen"
    )
    assert response.status_code == 302 and response.location == "/meldingen"
    assert notes[0].read_at is not None
    assert '<span class="count" aria-label="2 ongelezen">2</span>' in client.get(
        "/meldingen"
    ).get_data(as_text=True)
    response = post_form(client, "/meldingen/alles-gelezen", {}, token_from="/meldingen")
    assert response.status_code == 302
    html = client.get("/meldingen").get_data(as_text=True)
    assert 'class="count"' not in html and "is-unread" not in html
    assert notifications.unread_count(user) == 0


def test_another_users_notification_is_a_404(client: FlaskClient):
    owner, other = make_user("referrer"), make_user("referrer")
    [note] = _notes(owner, 1)
    sign_in(client, other)
    response = post_form(client, f"/meldingen/{note.id}/gelezen", {}, token_from="/meldingen")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert note.read_at is None


TASK = "00000000-0000-0000-0000-000000000001"


@pytest.mark.parametrize(
    ("role", "page"), [("referrer", f"/verwijzingen/{TASK}"), ("provider", f"/inbox/{TASK}")]
)
def test_referral_notifications_link_to_the_readers_referral_page(
    client: FlaskClient, role: str, page: str
):
    user = make_user(role)
    _notes(user, 1, task_id=TASK)
    _notes(user, 1)  # without a referral: no link
    sign_in(client, user)
    html = client.get("/meldingen").get_data(as_text=True)
    assert re.findall(r'<a href="([^"]+)">Melding', html) == [page]
    assert len(re.findall(r"Melding \d", html)) == 2


def test_mail_links_to_a_referral_lead_to_the_readers_page(app: Flask, client: FlaskClient):
    link = urlsplit(notifications.referral_link(TASK)).path
    assert client.get(link).location == f"/aanmelden?next={link}"
    sign_in(client, make_user("provider"))
    assert client.get(link).location == f"/inbox/{TASK}"
    steward = make_client(client)
    sign_in(steward, make_user("steward"))
    assert steward.get(link).location == "/beheer"


def test_notifications_need_sign_in(client: FlaskClient):
    response = client.get("/meldingen")
    assert response.status_code == 302 and "/aanmelden?next=/meldingen" in response.location


# ------------------------------------------------------------------ the account page


def test_account_page_shows_the_profile(client: FlaskClient):
    from auth_support import make_organization

    org = make_organization("Budgetpunt Kust")
    user = make_user("provider", organizations=[org], name="Els Peeters")
    sign_in(client, user)
    response = client.get("/account")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    for text in ("Els Peeters", user.email, "Budgetpunt Kust", "Medewerker van een aanbieder"):
        assert text in html
    assert not re.search(r'<input[^>]*name="email"', html)  # the address is read-only


def test_language_change_saves_the_users_language(client: FlaskClient):
    user = make_user("referrer")
    sign_in(client, user)
    response = post_form(client, "/account/taal", {"language": "fr"}, token_from="/account")
    assert response.status_code == 302 and response.location == "/account"
    assert user.language == "fr" and "lang=fr" in response.headers["Set-Cookie"]
    html = client.get("/account").get_data(as_text=True)
    assert '<html lang="fr">' in html and "Langue enregistrée." in html
    post_form(client, "/account/taal", {"language": "xx"}, token_from="/account")
    assert user.language == "fr"


def test_password_change_checks_the_current_one_and_ends_other_sessions(client: FlaskClient):
    user = make_user("referrer", password=PASSWORD)
    sign_in(client, user)
    elsewhere = make_client(client)
    sign_in(elsewhere, user)
    data = {
        "current_password": "wrong password!",
        "password": NEW_PASSWORD,
        "password_repeat": NEW_PASSWORD,
    }
    wrong = post_form(client, "/account/wachtwoord", data, token_from="/account")
    assert wrong.status_code == 422
    assert "Dit is niet je huidige wachtwoord." in wrong.get_data(as_text=True)
    data["current_password"] = PASSWORD
    response = post_form(client, "/account/wachtwoord", data, token_from="/account")
    assert response.status_code == 302 and response.location == "/account"
    assert client.get("/account").status_code == 200  # still signed in here
    assert not _signed_in(elsewhere)
    assert accounts.authenticate(user.email, NEW_PASSWORD, None).id == user.id


def test_password_change_withdraws_open_reset_links(client: FlaskClient):
    user = make_user("referrer", password=PASSWORD)
    password_reset.request_reset(user.email, None)
    token = _reset_token(user)
    sign_in(client, user)
    data = {"current_password": PASSWORD, "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD}
    assert post_form(client, "/account/wachtwoord", data, token_from="/account").status_code == 302
    assert _reset(make_client(client), token, "yet another passphrase").status_code == 400


def test_api_token_is_shown_once_works_and_can_be_revoked(client: FlaskClient, session):
    user = make_user("referrer")
    sign_in(client, user)
    response = post_form(
        client, "/account/tokens", {"name": "weekly export"}, token_from="/account"
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    token = re.search(r'<code id="new-token" class="token-value">(smp_[^<]+)</code>', html)[1]
    api = client.application.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/users/me", headers=headers).status_code == 200
    listed = client.get("/account").get_data(as_text=True)
    assert token not in listed and "weekly export" in listed and token[:12] in listed
    row = session.scalars(select(m.ApiToken)).one()
    revoked = post_form(client, f"/account/tokens/{row.id}/intrekken", {}, token_from="/account")
    assert revoked.status_code == 302 and revoked.location == "/account#tokens"
    assert api.get("/api/users/me", headers=headers).status_code == 401
    assert "Ingetrokken op" in client.get("/account").get_data(as_text=True)


def test_another_users_token_cannot_be_revoked(client: FlaskClient):
    owner = make_user("referrer")
    accounts.issue_token(owner, "theirs")
    [row] = accounts.list_tokens(owner)
    sign_in(client, make_user("referrer"))
    response = post_form(client, f"/account/tokens/{row.id}/intrekken", {}, token_from="/account")
    assert response.status_code == 404 and row.revoked_at is None


def test_an_api_token_cannot_mint_tokens_through_the_pages(client: FlaskClient, session):
    user = make_user("referrer")
    headers = {"Authorization": f"Bearer {accounts.issue_token(user)}"}
    page = client.get("/account", headers=headers)
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))[1]
    response = client.post(
        "/account/tokens", data={"csrf_token": token, "name": "more"}, headers=headers
    )
    assert response.status_code == 403
    assert len(accounts.list_tokens(user)) == 1


@pytest.mark.parametrize(
    "path",
    [
        "/uitnodiging",
        "/wachtwoord-vergeten",
        "/wachtwoord-herstellen",
        "/meldingen/1/gelezen",
        "/meldingen/alles-gelezen",
        "/account/taal",
        "/account/wachtwoord",
        "/account/tokens",
        "/account/tokens/x/intrekken",
    ],
)
def test_every_form_needs_its_csrf_token(client: FlaskClient, path: str):
    user = make_user("referrer")
    sign_in(client, user)
    assert csrf_token(client, "/account")  # the session has a token; the form omits it
    response = client.post(path, data={"email": user.email, "language": "fr", "name": "x"})
    assert response.status_code == 400
    assert user.language == "nl" and accounts.list_tokens(user) == []
