"""Who is asking: Flask-Login sessions (browser sign-in) and personal API tokens.

A request is authenticated by the signed session cookie set at sign-in, or by an
``Authorization: Bearer <token>`` header (tokens from :func:`socialmap.logic.accounts.issue_token`).
Handlers call :func:`current_user_or_401`; permission checks stay in ``logic``.
"""

from __future__ import annotations

from typing import NoReturn
from typing import cast

import flask_login
from flask import Flask
from flask import Request
from flask import g

from socialmap import models as m
from socialmap.errors import Unauthorized
from socialmap.extensions import db
from socialmap.logic import accounts

UNAUTHORIZED = "Sign in or send an API token (Authorization: Bearer ...)."
_BY_TOKEN = "socialmap_authenticated_by_token"


def register(app: Flask) -> flask_login.LoginManager:
    """Attach a login manager to ``app`` (one per app: the tests build many apps)."""
    manager = flask_login.LoginManager()
    manager.user_loader(_session_user)
    manager.request_loader(_token_user)
    manager.unauthorized_handler(_unauthorized)
    manager.init_app(app)
    app.before_request(_forget_previous_user)
    return manager


def current_user_or_401() -> m.User:
    """The authenticated, active user of this request. :raise Unauthorized: (401)"""
    user = flask_login.current_user
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        raise Unauthorized(UNAUTHORIZED)
    return cast(m.User, user._get_current_object())  # type: ignore[attr-defined]


def authenticated_by_token() -> bool:
    """True when this request's user came from an API token rather than a session."""
    return bool(g.get(_BY_TOKEN))


def _forget_previous_user() -> None:
    """Flask-Login caches the user in ``g``, which lives as long as the app context. Requests
    made inside one long app context (tests, scripts) would otherwise share a user."""
    g.pop("_login_user", None)
    g.pop(_BY_TOKEN, None)


def _session_user(session_id: str) -> m.User | None:
    """The user of a session cookie, unless the session was ended (see User.session_epoch)."""
    user_id, _, epoch = session_id.partition(":")
    user = db.session.get(m.User, user_id)
    if user is None or not user.active or epoch != str(user.session_epoch or 0):
        return None
    return user


def _token_user(request: Request) -> m.User | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    user = accounts.user_for_token(token.strip())
    if user is not None:
        setattr(g, _BY_TOKEN, True)
    return user


def _unauthorized() -> NoReturn:
    """What ``flask_login.login_required`` answers: the same JSON 401 as everywhere."""
    raise Unauthorized(UNAUTHORIZED)
