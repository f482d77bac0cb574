"""The JSON API (flask-smorest): one blueprint per resource, documented in OpenAPI."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask import request
from flask_smorest import Api
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from socialmap.errors import json_safe_messages

NUL_REFUSED = "Text may not contain the NUL character (U+0000)."


class _Api(Api):
    """flask-smorest's Api, whose HTTPException handler (registered after socialmap.errors',
    so it is the one in force) answers field messages with text keys."""

    def handle_http_exception(self, error: HTTPException) -> Any:
        payload, code, headers = super().handle_http_exception(error)
        if "errors" in payload:
            payload["errors"] = json_safe_messages(payload["errors"])
        return payload, code, headers


def register(app: Flask) -> set[str]:
    """Register the API blueprints; return their names (exempt from the web's CSRF tokens)."""
    from socialmap.api import hsds
    from socialmap.api import index
    from socialmap.api import matching
    from socialmap.api import notifications
    from socialmap.api import referrals
    from socialmap.api import search
    from socialmap.api import services
    from socialmap.api import users

    api = _Api(app)
    blueprints = [
        services.bp,
        search.bp,
        hsds.bp,
        users.bp,
        referrals.bp,
        notifications.bp,
        matching.bp,
    ]
    for bp in blueprints:
        api.register_blueprint(bp)
    app.register_blueprint(index.bp)
    api_names = {bp.name for bp in blueprints}

    @app.before_request
    def _refuse_nul() -> None:
        if request.blueprint in api_names:
            _refuse_nul_characters()

    return api_names | {index.bp.name}


def _refuse_nul_characters() -> None:
    """Refuse U+0000 in the request's path parameters, query and JSON body: PostgreSQL text
    cannot hold it (a 500 on every query it reached), and no person types it.

    :raise ValidationError: (422) naming each place, shaped like webargs' messages.
    """
    messages: dict[str, Any] = {}
    path = {k: [NUL_REFUSED] for k, v in (request.view_args or {}).items() if _has_nul(v)}
    query = {k: [NUL_REFUSED] for k, v in request.args.items(multi=True) if _has_nul(v)}
    body = _nul_messages(request.get_json(silent=True)) if request.is_json else None
    for location, found in (("path", path), ("query", query), ("json", body)):
        if found:
            messages[location] = found
    if messages:
        raise ValidationError(messages)


def _has_nul(value: Any) -> bool:
    return isinstance(value, str) and "\x00" in value


def _nul_messages(value: Any) -> Any:
    """Messages for the strings holding NUL in a JSON value, shaped like it; None if none."""
    if _has_nul(value):
        return [NUL_REFUSED]
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    found = {key: msg for key, item in items if (msg := _nul_messages(item))}
    return found or None
