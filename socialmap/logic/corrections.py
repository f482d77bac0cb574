"""Correction suggestions: anyone (signed in or not) tells the stewards a listing is wrong.

A suggestion names the part that is wrong (one of FIELDS) and says what is right in words; it
lands in the stewards' queue (see the steward functions below). No personal data is needed: the
optional ``contact`` e-mail address is only for a reply and is erased when the suggestion is
decided."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema
from marshmallow import ValidationError
from marshmallow import fields
from marshmallow import validate

from socialmap import models as m
from socialmap.errors import NotFound
from socialmap.extensions import db

#: The parts of a listing a suggestion can be about (codes; the UI translates them).
FIELDS: tuple[str, ...] = (
    "name",
    "description",
    "address",
    "phone",
    "email",
    "website",
    "hours",
    "intake",
    "costs",
    "eligibility",
    "capacity",
    "closed",
    "other",
)


class CorrectionSchema(Schema):
    field = fields.String(required=True, validate=validate.OneOf(FIELDS))
    message = fields.String(required=True, validate=validate.Length(min=5, max=2000))
    contact = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=320))


def submit(service_id: str, data: dict[str, Any], user: m.User | None = None) -> m.CorrectionSuggestion:
    """Queue a suggestion about an active service (the caller need not be signed in).

    :raise NotFound: no such active service.
    :raise ValidationError: field messages (unknown part, message too short or long, bad e-mail).
    """
    service = db.session.get(m.Service, service_id)
    if service is None or service.status != "active":
        raise NotFound("No such service.")
    cleaned = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
    if not cleaned.get("contact"):
        cleaned["contact"] = None
    values = CorrectionSchema().load(cleaned)
    suggestion = m.CorrectionSuggestion(
        service_id=service_id,
        field=values["field"],
        message=values["message"],
        contact=values["contact"],
        submitted_by_id=user.id if user is not None else None,
    )
    db.session.add(suggestion)
    db.session.commit()
    return suggestion


__all__ = ["FIELDS", "CorrectionSchema", "ValidationError", "submit"]
