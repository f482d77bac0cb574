"""Password resets: one link through the outbox, single use, expiring, never in the clear."""

from __future__ import annotations

import datetime as dt
import hashlib
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from auth_support import PASSWORD
from auth_support import make_user
from marshmallow import ValidationError
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update

from socialmap import models as m
from socialmap.errors import AuthenticationFailed
from socialmap.errors import NotFound
from socialmap.errors import RateLimited
from socialmap.logic import accounts
from socialmap.logic import notifications
from socialmap.logic import password_reset
from socialmap.models.base import utcnow

NEW_PASSWORD = "a brand new passphrase"


def _request(user: m.User, addr: str = "192.0.2.1") -> str:
    """Ask a reset for ``user`` and return the token from the queued e-mail."""
    password_reset.request_reset(user.email, addr)
    return _token_of_last_mail(user)


def _token_of_last_mail(user: m.User) -> str:
    note = _mails(user)[-1]
    link = next(w for w in note.body.split() if password_reset.RESET_PATH in w)
    return urlsplit(link).fragment.removeprefix("token=")


def _mails(user: m.User) -> list[m.Notification]:
    from socialmap.extensions import db

    query = select(m.Notification).where(
        m.Notification.user_id == user.id, m.Notification.kind == password_reset.KIND
    )
    return list(db.session.scalars(query.order_by(m.Notification.id)))


def _count(session, model) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).select_from(model))


def test_request_queues_one_mail_with_the_token_in_the_fragment(app, session):
    app.config["BASE_URL"] = "https://kaart.example/"
    user = make_user("referrer", email="an@example.test")
    password_reset.request_reset("  AN@example.TEST ", "192.0.2.1")
    [note] = _mails(user)
    assert note.mail_status == "pending" and note.read_at is not None  # no unread badge
    assert note.link is None and notifications.unread_count(user) == 0
    link = next(w for w in note.body.split() if "kaart.example" in w)
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path, parts.query) == (
        "https",
        "kaart.example",
        "/wachtwoord-herstellen",
        "",
    )
    token = parts.fragment.removeprefix("token=")
    assert len(token) >= 40
    [reset] = session.scalars(select(m.PasswordReset)).all()
    assert reset.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in reset.token_hash
    hours = app.config["PASSWORD_RESET_HOURS"]
    assert reset.expires_at - reset.created_at == dt.timedelta(hours=hours)


def test_mail_is_in_the_users_language(session):
    user = make_user("provider")
    user.language = "fr"
    session.commit()
    password_reset.request_reset(user.email, None)
    [note] = _mails(user)
    assert note.subject == "socialmap : Nouveau mot de passe demandé"
    assert "valable 2 heures" in note.body


def test_unknown_or_inactive_address_sends_nothing(session):
    inactive = make_user("referrer", email="gone@example.test")
    inactive.active = False
    session.commit()
    password_reset.request_reset("nobody@example.test", "192.0.2.1")
    password_reset.request_reset("gone@example.test", "192.0.2.1")
    password_reset.request_reset("", "192.0.2.1")
    assert _count(session, m.PasswordReset) == 0
    assert _count(session, m.Notification) == 0


def test_reset_sets_the_password_once_and_ends_sessions(session):
    user = make_user("referrer", password=PASSWORD)
    epoch = user.session_epoch
    token = _request(user)
    assert password_reset.reset_password(token, NEW_PASSWORD).id == user.id
    assert user.session_epoch > epoch  # every session cookie issued before stops working
    assert accounts.authenticate(user.email, NEW_PASSWORD, None).id == user.id
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate(user.email, PASSWORD, None)
    with pytest.raises(NotFound) as used:
        password_reset.reset_password(token, "yet another passphrase")
    assert used.value.details["reason"] == "used"
    assert session.scalars(select(m.PasswordReset)).one().used_at is not None


def test_expired_and_unknown_links_are_refused(session):
    user = make_user("referrer", password=PASSWORD)
    token = _request(user)
    session.execute(update(m.PasswordReset).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    session.commit()
    with pytest.raises(NotFound) as expired:
        password_reset.reset_password(token, NEW_PASSWORD)
    assert expired.value.details["reason"] == "expired"
    with pytest.raises(NotFound) as unknown:
        password_reset.reset_password("not-a-token", NEW_PASSWORD)
    assert unknown.value.details["reason"] == "unknown"
    assert accounts.authenticate(user.email, PASSWORD, None).id == user.id


def test_a_weak_password_keeps_the_link_usable(session):
    user = make_user("referrer", password=PASSWORD)
    token = _request(user)
    with pytest.raises(ValidationError) as weak:
        password_reset.reset_password(token, "short")
    assert "password" in weak.value.messages
    assert session.scalars(select(m.PasswordReset)).one().used_at is None
    password_reset.reset_password(token, NEW_PASSWORD)


def test_a_reset_withdraws_the_other_links_and_blanks_stored_ones(app, session, tmp_path):
    app.config["MAIL_FOLDER"] = str(tmp_path / "outbox")
    user = make_user("referrer", password=PASSWORD)
    first = _request(user)
    notifications.deliver_pending()  # the first mail went out
    second = _request(user)  # the second is still queued
    password_reset.reset_password(second, NEW_PASSWORD)
    with pytest.raises(NotFound):
        password_reset.reset_password(first, "yet another passphrase")
    sent, queued = _mails(user)
    for note in (sent, queued):
        assert first not in note.body and second not in note.body
    assert password_reset.SENT_LINK in sent.body  # blanked when it was mailed
    assert password_reset.RETIRED_LINK in queued.body
    assert (sent.mail_status, queued.mail_status) == ("sent", "none")
    assert notifications.deliver_pending()["sent"] == 0
    [eml] = Path(tmp_path / "outbox").glob("*.eml")
    mail = message_from_bytes(eml.read_bytes(), policy=default)
    assert f"/wachtwoord-herstellen#token={first}" in mail.get_content()


def test_changing_the_password_knowingly_can_retire_open_links(session):
    user = make_user("referrer", password=PASSWORD)
    token = _request(user)
    password_reset.retire_links(user)
    with pytest.raises(NotFound):
        password_reset.reset_password(token, NEW_PASSWORD)


def test_an_account_gets_at_most_a_few_links_per_window(session):
    user = make_user("referrer")
    for _ in range(password_reset.MAX_LINKS_PER_WINDOW + 2):
        password_reset.request_reset(user.email, None)
    assert len(_mails(user)) == password_reset.MAX_LINKS_PER_WINDOW


def test_a_client_shares_the_sign_in_failure_budget(app, session):
    app.config["LOGIN_MAX_FAILURES"] = 2  # a client may fail 4 x 2 = 8 times
    for _ in range(8):
        password_reset.request_reset("nobody@example.test", "198.51.100.7")
    with pytest.raises(RateLimited):
        password_reset.request_reset("nobody@example.test", "198.51.100.7")
    with pytest.raises(RateLimited):  # sign-in from that client is refused as well
        accounts.authenticate("someone@example.test", "whatever", "198.51.100.7")
    password_reset.request_reset("nobody@example.test", "203.0.113.9")  # other clients may


def test_an_inactive_account_cannot_use_an_earlier_link(session):
    user = make_user("referrer", password=PASSWORD)
    token = _request(user)
    user.active = False
    session.commit()
    with pytest.raises(NotFound):
        password_reset.reset_password(token, NEW_PASSWORD)


def test_once_mailed_the_token_lives_in_the_e_mail_only(app, session, tmp_path):
    app.config["MAIL_FOLDER"] = str(tmp_path / "outbox")
    user = make_user("referrer")
    token = _request(user)
    assert notifications.deliver_pending()["sent"] == 1
    [note] = _mails(user)
    assert token not in note.body and password_reset.SENT_LINK in note.body
    [eml] = Path(tmp_path / "outbox").glob("*.eml")
    mail = message_from_bytes(eml.read_bytes(), policy=default)
    assert f"/wachtwoord-herstellen#token={token}" in mail.get_content()
    password_reset.reset_password(token, NEW_PASSWORD)  # the mailed link still works
    assert accounts.authenticate(user.email, NEW_PASSWORD, None).id == user.id
