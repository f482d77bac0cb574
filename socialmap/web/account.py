"""Sign-in and sign-out, the language switch, invitations and password resets (the signed-in
user's notifications and account page: :mod:`socialmap.web.my_account`, on this blueprint).

Invitation and reset links carry their token in the URL fragment: the page's script
(static/js/account.js) moves it into the form, without JavaScript the user pastes it. Tokens
are only ever POSTed: never in a query string, a Location header, a flash message or a log.
"""

from __future__ import annotations

from typing import Any

import flask_login
from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from werkzeug.wrappers import Response

from socialmap import models as m
from socialmap.errors import AuthenticationFailed
from socialmap.errors import NotFound
from socialmap.errors import RateLimited
from socialmap.extensions import db
from socialmap.logic import accounts
from socialmap.logic import password_reset
from socialmap.schemas.account import PASSWORD_MAX_LENGTH
from socialmap.schemas.account import PASSWORD_MIN_LENGTH
from socialmap.schemas.account import PasswordSchema
from socialmap.web.access import safe_next
from socialmap.web.pages import signed_in

bp = Blueprint("account", __name__)

#: Where each role lands after signing in.
HOME = {
    "referrer": "workspace.index",
    "provider": "inbox.index",
    "steward": "steward.index",
    "admin": "steward.index",
}
LANG_COOKIE_SECONDS = 365 * 24 * 3600


# ------------------------------------------------------------------ sign-in, sign-out, language


@bp.route("/aanmelden", methods=["GET", "POST"])
def sign_in() -> Any:
    next_path = safe_next(request.values.get("next"), default="")
    error = None
    email = ""
    if request.method == "POST":
        email = request.form.get("email", "").strip()[:320]
        try:
            user = accounts.authenticate(
                email, request.form.get("password", ""), request.remote_addr
            )
        except RateLimited:
            error = _("Too many failed attempts. Wait a quarter of an hour and try again.")
        except AuthenticationFailed:
            error = _("E-mail address or password is not correct.")
        else:
            flask_login.login_user(user)
            return redirect(next_path or home(user))
    status = 200 if error is None else 401
    return render_template(
        "account/sign_in.html", error=error, email=email, next_path=next_path
    ), status


@bp.post("/afmelden")
def sign_out() -> Response:
    flask_login.logout_user()
    return redirect(url_for("public.search"))


@bp.post("/taal")
def set_language() -> Response:
    """Switch the UI language: a cookie for everyone, and the account's language when signed
    in (so e-mails follow). A POST, so links never carry the language."""
    target = safe_next(request.form.get("next"), default=url_for("public.search"))
    return switch_language(request.form.get("lang", ""), redirect(target))


def switch_language(lang: str, response: Response) -> Response:
    if lang in current_app.config["LANGUAGES"]:
        response.set_cookie(
            "lang",
            lang,
            max_age=LANG_COOKIE_SECONDS,
            samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
        )
        user = signed_in()
        if user is not None and user.language != lang:
            user.language = lang
            db.session.commit()
    return response


def home(user: m.User) -> str:
    return url_for(HOME.get(user.role, "public.search"))


# ------------------------------------------------------------------ invitations


@bp.get("/invitations/accept")
def invitation_link() -> Response:
    """Where accounts.invitation_link points: browsers keep the #fragment over a redirect."""
    return redirect(url_for("account.invitation"))


@bp.route("/uitnodiging", methods=["GET", "POST"])
def invitation() -> Any:
    form = {"token": "", "name": ""}
    errors: dict[str, list[str]] = {}
    link_error = None
    if request.method == "POST":
        form = {"token": _token_field(), "name": request.form.get("name", "").strip()[:200]}
        password = request.form.get("password", "")
        errors = new_password_errors(password, request.form.get("password_repeat", ""))
        if not form["token"]:
            errors["token"] = [_("Paste the invitation code from your e-mail.")]
        if not form["name"]:
            errors["name"] = [_("Enter your name.")]
        if not errors:
            try:
                user = accounts.accept_invitation(form["token"], password, form["name"])
            except NotFound:
                link_error = _invitation_errors()["unknown"]
            except ValidationError as err:
                link_error, errors = _invitation_problem(err)
            else:
                flask_login.login_user(user)
                flash(_("Welcome to socialmap. Your account is ready."), "success")
                return redirect(home(user))
        if link_error:
            form["token"] = ""  # a new code is needed: show the field again
    status = 200 if request.method == "GET" else (400 if link_error else 422)
    html = render_template(
        "account/invitation.html", form=form, errors=errors, link_error=link_error
    )
    return no_store(html, status)


def _invitation_errors() -> dict[str, str]:
    return {
        "unknown": _(
            "This invitation link is not valid. Check that you copied the whole link, "
            "or ask the person who invited you for a new invitation."
        ),
        "used": _("This invitation has already been used. Sign in with your e-mail address."),
        "expired": _("This invitation has expired. Ask the person who invited you for a new one."),
        "taken": _(
            "An account already exists for this invitation. Sign in, or reset your password."
        ),
    }


def _invitation_problem(err: ValidationError) -> tuple[str | None, dict[str, list[str]]]:
    """(message about the link, field errors) for accounts.accept_invitation's refusals."""
    messages = err.normalized_messages()
    texts = _invitation_errors()
    if "token" in messages:
        text = " ".join(str(t) for t in messages["token"])
        reason = "used" if "used" in text else "expired" if "expired" in text else "unknown"
        return texts[reason], {}
    if "email" in messages:
        return texts["taken"], {}
    return None, _field_errors(err)


# ------------------------------------------------------------------ password reset


@bp.route("/wachtwoord-vergeten", methods=["GET", "POST"])
def forgot_password() -> Any:
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        email = request.form.get("email", "").strip()[:320]
        if not email:
            errors["email"] = [_("Enter your e-mail address.")]
            status = 422
        else:
            try:
                password_reset.request_reset(email, request.remote_addr)
            except RateLimited:
                errors["email"] = [_("Too many requests. Wait a quarter of an hour and try again.")]
                status = 429
            else:
                # The same answer whether or not the account exists.
                return redirect(url_for("account.reset_requested"))
    return render_template(
        "account/forgot_password.html", errors=errors, hours=_reset_hours()
    ), status


@bp.get("/wachtwoord-vergeten/verstuurd")
def reset_requested() -> str:
    return render_template("account/reset_requested.html", hours=_reset_hours())


@bp.route("/wachtwoord-herstellen", methods=["GET", "POST"])
def reset_password() -> Any:
    token = ""
    errors: dict[str, list[str]] = {}
    link_error = None
    if request.method == "POST":
        token = _token_field()
        password = request.form.get("password", "")
        errors = new_password_errors(password, request.form.get("password_repeat", ""))
        if not token:
            errors["token"] = [_("Paste the code from the link in your e-mail.")]
        if not errors:
            try:
                user = password_reset.reset_password(token, password)
            except NotFound as err:
                link_error = _reset_errors()[err.details.get("reason", "unknown")]
                token = ""
            except ValidationError as err:
                errors = _field_errors(err)
            else:
                flask_login.login_user(user)  # the new password ended every session
                flash(_("Your new password is saved. You are signed in."), "success")
                return redirect(home(user))
    status = 200 if request.method == "GET" else (400 if link_error else 422)
    html = render_template(
        "account/reset_password.html", token=token, errors=errors, link_error=link_error
    )
    return no_store(html, status)


def _reset_errors() -> dict[str, str]:
    return {
        "unknown": _(
            "This link to reset your password is not valid. Check that you copied the whole "
            "link, or ask for a new one."
        ),
        "used": _("This link has already been used. Ask for a new one if you still need it."),
        "expired": _("This link has expired. Ask for a new one."),
    }


def _reset_hours() -> int:
    return int(current_app.config["PASSWORD_RESET_HOURS"])


# ------------------------------------------------------------------ form helpers


def _token_field() -> str:
    """The pasted code: the token alone, or a whole link with ``#token=...``."""
    value = request.form.get("token", "").strip()
    value = value.rpartition("#")[2]
    return value.removeprefix("token=")[:200]


def new_password_errors(password: str, repeat: str) -> dict[str, list[str]]:
    """The password rules of the logic layer, and the repeat, as translated field errors."""
    errors: dict[str, list[str]] = {}
    if PasswordSchema().validate({"password": password}):
        errors["password"] = [_password_rule()]
    if password != repeat:
        errors["password_repeat"] = [_("The two passwords are not the same.")]
    return errors


def _password_rule() -> str:
    return _(
        "Use at least %(min)s characters (at most %(max)s).",
        min=PASSWORD_MIN_LENGTH,
        max=PASSWORD_MAX_LENGTH,
    )


def _field_errors(err: ValidationError) -> dict[str, list[str]]:
    """Translated messages for a logic-layer ValidationError, per field."""
    known = {"password": _password_rule(), "name": _("Use at most 200 characters.")}
    return {
        str(field): [known.get(str(field), _("Check this field."))]
        for field in err.normalized_messages()
    }


def no_store(html: str, status: int) -> Response:
    """Pages that may show a token or a code: never cached."""
    response = current_app.make_response((html, status))
    response.headers["Cache-Control"] = "no-store"
    return response
