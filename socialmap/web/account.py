"""Sign-in and sign-out, the language switch; invitations and password resets."""

from __future__ import annotations

from typing import Any

import flask_login
from flask import Blueprint
from flask import current_app
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from socialmap.errors import AuthenticationFailed
from socialmap.errors import RateLimited
from socialmap.extensions import db
from socialmap.logic import accounts
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


@bp.route("/aanmelden", methods=["GET", "POST"])
def sign_in() -> Any:
    next_path = safe_next(request.values.get("next"), default="")
    error = None
    email = ""
    if request.method == "POST":
        email = request.form.get("email", "").strip()[:320]
        try:
            user = accounts.authenticate(email, request.form.get("password", ""),
                                         request.remote_addr)
        except RateLimited:
            error = _("Too many failed attempts. Wait a quarter of an hour and try again.")
        except AuthenticationFailed:
            error = _("E-mail address or password is not correct.")
        else:
            flask_login.login_user(user)
            return redirect(next_path or url_for(HOME.get(user.role, "public.search")))
    status = 200 if error is None else 401
    return render_template("account/sign_in.html", error=error, email=email,
                           next_path=next_path), status


@bp.post("/afmelden")
def sign_out() -> Response:
    flask_login.logout_user()
    return redirect(url_for("public.search"))


@bp.post("/taal")
def set_language() -> Response:
    """Switch the UI language: a cookie for everyone, and the account's language when signed
    in (so e-mails follow). A POST, so links never carry the language."""
    lang = request.form.get("lang", "")
    target = safe_next(request.form.get("next"), default=url_for("public.search"))
    response = redirect(target)
    if lang in current_app.config["LANGUAGES"]:
        response.set_cookie("lang", lang, max_age=LANG_COOKIE_SECONDS, samesite="Lax",
                            secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True)
        user = signed_in()
        if user is not None and user.language != lang:
            user.language = lang
            db.session.commit()
    return response


@bp.get("/meldingen")
def notifications() -> Any:
    from socialmap.web.access import roles_required

    return roles_required()(_notifications)()


def _notifications() -> str:
    from socialmap.logic import notifications as logic

    items, total = logic.list_for_user(signed_in())
    return render_template("account/notifications.html", items=items, total=total)
