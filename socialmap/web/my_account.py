"""The signed-in user's notifications (``/meldingen``) and account page (``/account``:
language, password, API tokens), on the account blueprint; and ``/referrals/<task_id>``,
where the links in notification e-mails lead.
"""

from __future__ import annotations

import math
from typing import Any

import flask_login
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from socialmap import models as m
from socialmap.auth import authenticated_by_token
from socialmap.errors import AuthenticationFailed
from socialmap.errors import PermissionDenied
from socialmap.errors import RateLimited
from socialmap.logic import accounts
from socialmap.logic import notifications as notes
from socialmap.logic import password_reset
from socialmap.web.access import roles_required
from socialmap.web.account import bp
from socialmap.web.account import home
from socialmap.web.account import new_password_errors
from socialmap.web.account import no_store
from socialmap.web.account import switch_language
from socialmap.web.pages import signed_in

NOTIFICATIONS_PER_PAGE = 20
#: Languages by their own name (never translated).
LANGUAGE_NAMES = {"nl": "Nederlands", "fr": "Français", "en": "English"}


# ------------------------------------------------------------------ notifications


@bp.get("/meldingen")
@roles_required()
def notifications() -> str:
    user = signed_in()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    items, total = notes.list_for_user(user, page=page, per_page=NOTIFICATIONS_PER_PAGE)
    pages = max(math.ceil(total / NOTIFICATIONS_PER_PAGE), 1)
    return render_template(
        "account/notifications.html",
        items=[(note, _without_brand(note.subject), _referral_url(user, note)) for note in items],
        total=total,
        unread=notes.unread_count(user),
        page=page,
        pages=pages,
    )


@bp.post("/meldingen/<int:note_id>/gelezen")
@roles_required()
def mark_read(note_id: int) -> Response:
    notes.mark_read(signed_in(), note_id)
    return redirect(_notifications_page())


@bp.post("/meldingen/alles-gelezen")
@roles_required()
def mark_all_read() -> Response:
    notes.mark_all_read(signed_in())
    flash(_("All notifications are marked as read."), "success")
    return redirect(_notifications_page())


def _without_brand(subject: str) -> str:
    """An e-mail subject as an in-app title: without the "socialmap:" every mail starts with."""
    head, sep, rest = subject.partition(":")
    return rest.strip() if sep and head.strip().lower() == "socialmap" and rest.strip() else subject


def _notifications_page() -> str:
    page = request.form.get("page", 1, type=int) or 1
    return url_for("account.notifications", page=page if page > 1 else None)


#: The referral page of each role, where a notification about a referral task leads.
REFERRAL_PAGES = {"referrer": "workspace.referral", "provider": "inbox.referral"}


@bp.get("/referrals/<task_id>")
@roles_required()
def open_referral(task_id: str) -> Response:
    """Where the links in notification e-mails point (notifications.referral_link): the
    referral page of the reader's role, which checks access itself."""
    return redirect(_referral_page(signed_in(), task_id))


def _referral_url(user: m.User, note: m.Notification) -> str | None:
    """The page of the referral a notification is about, for the reader's role."""
    return _referral_page(user, note.task_id) if note.task_id else None


def _referral_page(user: m.User, task_id: str) -> str:
    endpoint = REFERRAL_PAGES.get(user.role)  # stewards and admins have no referral pages
    return url_for(endpoint, task_id=task_id) if endpoint else home(user)


# ------------------------------------------------------------------ the account page


@bp.get("/account")
@roles_required()
def profile() -> Any:
    return _profile_page()


@bp.post("/account/taal")
@roles_required()
def profile_language() -> Response:
    _refuse_token_requests()
    lang = request.form.get("language", "")
    if lang in current_app.config["LANGUAGES"]:
        with force_locale(lang):
            flash(_("Language saved."), "success")
    return switch_language(lang, redirect(url_for("account.profile")))


@bp.post("/account/wachtwoord")
@roles_required()
def change_password() -> Any:
    _refuse_token_requests()
    user = signed_in()
    password = request.form.get("password", "")
    errors = new_password_errors(password, request.form.get("password_repeat", ""))
    try:
        accounts.authenticate(
            user.email, request.form.get("current_password", ""), request.remote_addr
        )
    except RateLimited:
        errors["current_password"] = [
            _("Too many failed attempts. Wait a quarter of an hour and try again.")
        ]
    except AuthenticationFailed:
        errors["current_password"] = [_("This is not your current password.")]
    if errors:
        return _profile_page(422, password_errors=errors)
    accounts.set_password(user, password)  # ends every session, this one included
    password_reset.retire_links(user)
    flask_login.login_user(user)  # ... so sign this one in again
    flash(_("Your password is changed. You were signed out everywhere else."), "success")
    return redirect(url_for("account.profile"))


@bp.post("/account/tokens")
@roles_required()
def create_token() -> Any:
    _refuse_token_requests()
    name = request.form.get("name", "").strip()[:100] or None
    token = accounts.issue_token(signed_in(), name)
    # Shown in this response only: no redirect, no flash (the session cookie is readable).
    return _profile_page(200, new_token=token)


@bp.post("/account/tokens/<token_id>/intrekken")
@roles_required()
def revoke_token(token_id: str) -> Response:
    _refuse_token_requests()
    accounts.revoke_token(signed_in(), token_id)
    flash(_("The API token is revoked: it no longer works."), "success")
    return redirect(url_for("account.profile", _anchor="tokens"))


def _profile_page(status: int = 200, **extra: Any) -> Response:
    user = signed_in()
    html = render_template(
        "account/profile.html",
        user=user,
        role_label=_role_labels().get(user.role, user.role),
        tokens=accounts.list_tokens(user),
        language_names=LANGUAGE_NAMES,
        **{"password_errors": {}, **extra},
    )
    return no_store(html, status)


def _role_labels() -> dict[str, str]:
    return {
        "referrer": _("Referrer (GP, social worker, pharmacist)"),
        "provider": _("Provider staff"),
        "steward": _("Data steward"),
        "admin": _("Administrator"),
    }


def _refuse_token_requests() -> None:
    """A leaked API token must not change the password or mint more tokens."""
    if authenticated_by_token():
        raise PermissionDenied("Sign in to change your account.")
