"""Password resets: a single-use link through the e-mail outbox, valid PASSWORD_RESET_HOURS.

Only the token's SHA-256 is stored (``PasswordReset``). The plain token travels once, in the
fragment of the link (``/wachtwoord-herstellen#token=...``), which browsers never send to a
server: it stays out of access logs, query strings and Referer headers.

The e-mail goes through the notification outbox (:mod:`socialmap.logic.notifications`), so
it is retried like every other message. The outbox has no mail-only message: the row also
shows in the user's notification list, as already read and without a link (a record that a
reset was asked for). Once the password is changed, the links in those rows are blanked and
undelivered ones withdrawn, so the database keeps no working link longer than needed.

Abuse limits: the answer never says whether an account exists. A client shares one budget of
failed attempts with sign-in (each request is recorded as a ``LoginAttempt`` under a marker
that is never an e-mail address); an account gets at most MAX_LINKS_PER_WINDOW links per
PASSWORD_RESET_HOURS, further requests are answered alike but send nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets

from flask import current_app
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update

from socialmap import models as m
from socialmap.errors import NotFound
from socialmap.errors import RateLimited
from socialmap.extensions import db
from socialmap.logic import accounts
from socialmap.logic import notifications
from socialmap.models.base import utcnow
from socialmap.schemas.account import PasswordSchema

log = logging.getLogger(__name__)

#: Path of the page that sets the new password (the token follows in the fragment).
RESET_PATH = "/wachtwoord-herstellen"
#: Notification kind of reset e-mails.
KIND = "password_reset"
#: Links one account can be sent per PASSWORD_RESET_HOURS (more requests send nothing).
MAX_LINKS_PER_WINDOW = 3
#: ``LoginAttempt.email`` of reset requests: counts against the client, never an address.
CLIENT_MARKER = "#password-reset"
#: What an e-mail's link is replaced with once it cannot be used any more.
RETIRED_LINK = "[link no longer valid]"
SENT_LINK = "[link sent by e-mail]"

INVALID = "This password-reset link is not valid."
USED = "This password-reset link has already been used."
EXPIRED = "This password-reset link has expired."
RATE_LIMITED = "Too many requests. Try again later."

SUBJECT = {
    "nl": "socialmap: Nieuw wachtwoord aangevraagd",
    "fr": "socialmap : Nouveau mot de passe demandé",
    "en": "socialmap: New password requested",
}
BODY = {
    "nl": "Iemand (hopelijk jij) vroeg een nieuw wachtwoord voor je socialmap-account.\n\n"
    "Kies een nieuw wachtwoord via deze link (geldig {hours} uur, één keer te gebruiken):\n"
    "{link}\n\n"
    "Vroeg je dit niet? Dan hoef je niets te doen: je wachtwoord blijft ongewijzigd.\n"
    "-- socialmap\n",
    "fr": "Quelqu'un (vous, espérons-le) a demandé un nouveau mot de passe pour votre compte "
    "socialmap.\n\n"
    "Choisissez un nouveau mot de passe avec ce lien (valable {hours} heures, une seule "
    "fois) :\n{link}\n\n"
    "Vous n'avez rien demandé ? Ne faites rien : votre mot de passe reste inchangé.\n"
    "-- socialmap\n",
    "en": "Someone (hopefully you) asked for a new password for your socialmap account.\n\n"
    "Choose a new password with this link (valid for {hours} hours, usable once):\n"
    "{link}\n\n"
    "Did not ask for this? Then do nothing: your password stays as it is.\n"
    "-- socialmap\n",
}


def request_reset(email: str, remote_addr: str | None) -> None:
    """Mail a reset link when ``email`` belongs to an active account; otherwise do nothing.

    Returns the same (nothing) either way, so callers cannot tell whether an account exists.
    :raise RateLimited: this client has too many recent failed sign-ins or reset requests.
    """
    email = (email or "").strip().lower()[:320]
    remote_addr = remote_addr[:64] if remote_addr else None
    now = utcnow()
    _check_client(remote_addr, now)
    if remote_addr:
        db.session.add(
            m.LoginAttempt(email=CLIENT_MARKER, remote_addr=remote_addr, succeeded=False, at=now)
        )
    user = db.session.scalar(select(m.User).where(m.User.email == email)) if email else None
    if user is None or not user.active:
        db.session.commit()
        log.info("password reset asked for an unknown or inactive address")
        return
    hours = int(current_app.config["PASSWORD_RESET_HOURS"])
    if _recent_links(user, now - dt.timedelta(hours=hours)) >= MAX_LINKS_PER_WINDOW:
        db.session.commit()
        log.warning("password reset for account %s not sent: too many links", user.id)
        return
    token = secrets.token_urlsafe(32)
    db.session.add(
        m.PasswordReset(
            user_id=user.id,
            token_hash=_sha256(token),
            created_at=now,
            expires_at=now + dt.timedelta(hours=hours),
        )
    )
    lang = user.language if user.language in BODY else "nl"
    body = BODY[lang].format(link=reset_link(token), hours=hours)
    note = notifications.notify(user, KIND, SUBJECT[lang], body, link=None, mail=True, now=now)
    note.read_at = now  # a record in the list, not news: the e-mail is what matters
    db.session.commit()
    log.info("password reset link queued for account %s", user.id)


def reset_link(token: str) -> str:
    """The link to mail; the token is in the fragment, never sent to a server."""
    return f"{current_app.config['BASE_URL'].rstrip('/')}{RESET_PATH}#token={token}"


def check_link(token: str) -> m.PasswordReset:
    """The unused, unexpired reset of this token.

    :raise NotFound: unknown, used or expired (``details["reason"]``: unknown | used | expired),
        or the account is no longer active (as unknown).
    """
    reset = (
        db.session.scalar(
            select(m.PasswordReset).where(m.PasswordReset.token_hash == _sha256(token))
        )
        if token and len(token) <= 200
        else None
    )
    user = db.session.get(m.User, reset.user_id) if reset is not None else None
    if reset is None or user is None or not user.active:
        raise NotFound(INVALID, reason="unknown")
    if reset.used_at is not None:
        raise NotFound(USED, reason="used")
    if reset.expires_at <= utcnow():
        raise NotFound(EXPIRED, reason="expired")
    return reset


def reset_password(token: str, password: str) -> m.User:
    """Set a new password with a reset link: once, before it expires. Every session of the
    user ends (the new password bumps the session epoch), every other open link of the user
    stops working; the caller signs the user in again.

    :raise NotFound: see :func:`check_link`. :raise ValidationError: the password rules.
    """
    reset = check_link(token)
    PasswordSchema().load({"password": password})  # before the link is spent
    now = utcnow()
    claimed = db.session.execute(
        update(m.PasswordReset)
        .where(
            m.PasswordReset.id == reset.id,
            m.PasswordReset.used_at.is_(None),
            m.PasswordReset.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]  # used meanwhile
        db.session.rollback()
        raise NotFound(USED, reason="used")
    user = db.session.get(m.User, reset.user_id)
    assert user is not None  # check_link saw it; the FK cascades
    _retire_links(user.id, now)
    accounts.set_password(user, password)  # commits all of the above
    log.info("password of account %s reset with a link", user.id)
    return user


def retire_links(user: m.User) -> None:
    """Withdraw the user's open reset links (e.g. after changing the password knowingly)."""
    _retire_links(user.id, utcnow())
    db.session.commit()


def _retire_links(user_id: str, now: dt.datetime) -> None:
    """Mark open links used, withdraw undelivered reset e-mails and blank the stored links."""
    db.session.execute(
        update(m.PasswordReset)
        .where(m.PasswordReset.user_id == user_id, m.PasswordReset.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    notes = db.session.scalars(
        select(m.Notification).where(
            m.Notification.user_id == user_id,
            m.Notification.kind == KIND,
            m.Notification.body.contains(RESET_PATH + "#"),
        )
    )
    for note in notes:
        note.body = _blank_links(note.body)
        if note.mail_status == "pending":
            note.mail_status, note.next_attempt_at = "none", None


def _blank_links(body: str, notice: str = RETIRED_LINK) -> str:
    """The message with its reset links replaced by ``notice`` (the token is gone)."""
    lines = body.splitlines()
    return "\n".join(notice if RESET_PATH + "#" in line else line for line in lines)


# Once mailed, the stored copy of the message loses its link: the token lives in the e-mail only.
notifications.redact_after_sending(KIND, lambda body: _blank_links(body, SENT_LINK))


def _check_client(remote_addr: str | None, now: dt.datetime) -> None:
    """The client's failed sign-ins and reset requests, as sign-in counts them."""
    if not remote_addr:
        return
    cfg = current_app.config
    since = now - dt.timedelta(minutes=int(cfg["LOGIN_WINDOW_MINUTES"]))
    failures = db.session.scalar(
        select(func.count())
        .select_from(m.LoginAttempt)
        .where(
            m.LoginAttempt.remote_addr == remote_addr,
            m.LoginAttempt.succeeded.is_(False),
            m.LoginAttempt.at >= since,
        )
    )
    if (failures or 0) >= 4 * int(cfg["LOGIN_MAX_FAILURES"]):
        log.warning("password reset refused: too many attempts (client %s)", remote_addr)
        raise RateLimited(RATE_LIMITED)


def _recent_links(user: m.User, since: dt.datetime) -> int:
    query = select(func.count()).select_from(m.PasswordReset)
    query = query.where(m.PasswordReset.user_id == user.id, m.PasswordReset.created_at >= since)
    return int(db.session.scalar(query) or 0)


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
