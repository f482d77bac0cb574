"""Domain exceptions and the one table that maps them to HTTP responses."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask import jsonify
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

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
        body = {"code": 422, "status": "Unprocessable Entity", "errors": _json_keys(err.messages)}
        return jsonify(body), 422

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):  # type: ignore[no-untyped-def]
        body: dict[str, Any] = {"code": err.code, "status": err.name, "message": err.description}
        data = getattr(err, "data", None)  # flask-smorest/webargs put field messages here
        if data and "messages" in data:
            body["errors"] = _json_keys(data["messages"])
        return jsonify(body), err.code


def _json_keys(messages: Any) -> Any:
    """Field messages with text keys. A list field keys its items' messages by index (an int)
    and a field validator adds ``_schema`` beside them: JSON's sorted keys cannot mix the two."""
    if isinstance(messages, dict):
        return {str(key): _json_keys(value) for key, value in messages.items()}
    if isinstance(messages, list):
        return [_json_keys(value) for value in messages]
    return messages
