"""What every page shares: template globals (user, languages, demo notice, unread count, the
shared ``display`` words) and error pages in HTML for browser requests (the API keeps its JSON
errors)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flask_login
from flask import Flask
from flask import current_app
from flask import g
from flask import render_template
from flask import request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import refresh
from werkzeug.exceptions import HTTPException

from socialmap.errors import DomainError
from socialmap.extensions import db
from socialmap.logic import catalog
from socialmap.logic import notifications
from socialmap.web import display

API_PREFIXES = ("/api", "/hsds", "/health")


def register(app: Flask, *, web_names: set[str]) -> None:
    app.context_processor(_globals)
    # Flask-Babel keeps the locale in the app context, which requests share when one is already
    # pushed (scripts, tests): choose it afresh per request.
    app.before_request(refresh)
    app.before_request(_forget_csrf_token)
    for exc in (HTTPException, DomainError):
        _wrap_handler(app, exc, web_names)


def _forget_csrf_token() -> None:
    """Flask-WTF caches the session's CSRF token in ``g``, which outlives a request in the same
    way; the token must come from this request's session."""
    g.pop("csrf_token", None)


def signed_in() -> Any:
    """The signed-in, active user, or None (never raises)."""
    user = flask_login.current_user
    if getattr(user, "is_authenticated", False) and user.is_active:
        return user._get_current_object()
    return None


def _globals() -> dict[str, Any]:
    user = signed_in() if request else None
    return {
        "me": user,
        "lang": str(get_locale()),
        "languages": current_app.config["LANGUAGES"],
        "demo_notice": catalog.demo_notice(db.session),
        "unread_notifications": notifications.unread_count(user) if user else 0,
        "display": display,
    }


def wants_html(web_names: set[str]) -> bool:
    """A browser page: a web blueprint's view, or any non-API path asked for as HTML."""
    if request.blueprint in web_names:
        return True
    if request.path.startswith(API_PREFIXES) or request.blueprint:
        return False
    return request.accept_mimetypes.accept_html


#: Titles of the error page per status (translated when rendered).
def _title(status: int) -> str:
    titles = {
        400: _("The request could not be handled"),
        401: _("Please sign in"),
        403: _("You do not have access to this page"),
        404: _("Page not found"),
        409: _("Someone else changed this in the meantime"),
        422: _("Some fields need your attention"),
        429: _("Too many attempts"),
    }
    return titles.get(status, _("Something went wrong"))


def error_page(status: int, message: str | None = None) -> tuple[str, int]:
    return render_template(
        "errors/error.html", status=status, title=_title(status), message=message
    ), status


def _wrap_handler(app: Flask, exc: type[Exception], web_names: set[str]) -> None:
    previous: Callable[[Any], Any] | None = app.error_handler_spec[None][None].get(exc)

    def handle(err: Any) -> Any:
        if wants_html(web_names):
            status = getattr(err, "code", None) or getattr(err, "status", 500)
            if isinstance(err, HTTPException) and status < 400:  # redirects raised as errors
                return err
            return error_page(int(status))
        if previous is None:
            raise err
        return previous(err)

    app.register_error_handler(exc, handle)
