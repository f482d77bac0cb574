"""Domain exceptions and the one table that maps them to HTTP responses."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask import jsonify
from marshmallow import ValidationError

from search.backend import IndexUnavailable


class DomainError(Exception):
    status = 400

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError):
    status = 404


class PermissionDenied(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409


class InvalidTransition(Conflict):
    pass


class Unauthorized(DomainError):
    """No valid credentials: sign in or send an API token."""

    status = 401


class AuthenticationFailed(Unauthorized):
    """Wrong e-mail address or password (one message for both: accounts are not revealed)."""


class RateLimited(DomainError):
    """Too many attempts (e.g. failed sign-ins) in a short time."""

    status = 429


class ImportFailed(DomainError):
    """A source could not be imported at all (malformed file, unknown format)."""

    status = 422


#: Exception -> HTTP status. Subclasses inherit their parent's status.
STATUS = {ValidationError: 422}


def register(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(err: DomainError):  # type: ignore[no-untyped-def]
        body = {"code": err.status, "status": type(err).__name__, "message": err.message}
        if err.details:
            body["errors"] = err.details
        return jsonify(body), err.status

    @app.errorhandler(IndexUnavailable)
    def _index(err: IndexUnavailable):  # type: ignore[no-untyped-def]
        body = {"code": 503, "status": "Service Unavailable", "message": str(err)}
        return jsonify(body), 503

    @app.errorhandler(ValidationError)
    def _validation(err: ValidationError):  # type: ignore[no-untyped-def]
        errors = json_safe_messages(err.messages)
        body = {"code": 422, "status": "Unprocessable Entity", "errors": errors}
        return jsonify(body), 422

    # HTTP errors (404, 405, webargs' 422) are answered by flask-smorest's handler, as
    # socialmap.api registers it: JSON with ``code``, ``status``, ``message``, ``errors``.


def json_safe_messages(messages: Any) -> Any:
    """Field messages with text keys. A list field keys its items' messages by index (an int)
    and a field validator adds ``_schema`` beside them: the JSON encoder sorts keys, and cannot
    compare an int with a str (a 500 instead of the 422)."""
    if isinstance(messages, dict):
        return {str(key): json_safe_messages(value) for key, value in messages.items()}
    if isinstance(messages, list):
        return [json_safe_messages(value) for value in messages]
    return messages
