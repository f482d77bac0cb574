"""Correction suggestions: anyone (signed in or not) tells the stewards a listing is wrong.

A suggestion names the part that is wrong (one of FIELDS) and says what is right in words; it
lands in the stewards' queue (see the steward functions below). No personal data is needed: the
optional ``contact`` e-mail address is only for a reply and is erased when the suggestion is
decided."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marshmallow import Schema
from marshmallow import ValidationError
from marshmallow import fields
from marshmallow import validate
from sqlalchemy import case
from sqlalchemy import func
from sqlalchemy import select

from socialmap import models as m
from socialmap.errors import InvalidTransition
from socialmap.errors import NotFound
from socialmap.extensions import db
from socialmap.logic.curation import PER_PAGE
from socialmap.logic.curation import can_steward_service
from socialmap.logic.curation import services_in
from socialmap.logic.curation import steward_codes
from socialmap.logic.provenance import change_fields
from socialmap.logic.search_index import push_after_commit
from socialmap.models.base import utcnow
from socialmap.permissions import require

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


def submit(
    service_id: str, data: dict[str, Any], user: m.User | None = None
) -> m.CorrectionSuggestion:
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


# ------------------------------------------------------------------ the stewards' queue

#: How a steward closes a suggestion.
DECISIONS: tuple[str, ...] = ("applied", "dismissed")

#: Listing fields a steward may correct while applying a suggestion (plain text columns).
EDITABLE: tuple[str, ...] = (
    "name",
    "description",
    "email",
    "url",
    "fees_description",
    "eligibility_description",
)


class DecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    note = fields.String(required=True, validate=validate.Length(min=3, max=2000))


class ListingEditSchema(Schema):
    """The listing fields of :data:`EDITABLE`; an empty optional field clears it."""

    name = fields.String(validate=validate.Length(min=2, max=500))
    description = fields.String(allow_none=True, validate=validate.Length(max=10000))
    email = fields.Email(allow_none=True, validate=validate.Length(max=320))
    url = fields.Url(allow_none=True, validate=validate.Length(max=2000))
    fees_description = fields.String(allow_none=True, validate=validate.Length(max=5000))
    eligibility_description = fields.String(allow_none=True, validate=validate.Length(max=5000))


@dataclass(frozen=True)
class QueueItem:
    suggestion: m.CorrectionSuggestion
    service_name: str
    organization: str


def open_for(actor: m.User, page: int = 1) -> tuple[list[QueueItem], int]:
    """Suggestions about services in the actor's regions (admins: all): open ones first
    (oldest first), then decided ones (latest decision first); one page and the total.

    :raise PermissionDenied: not a steward nor an admin.
    """
    codes = steward_codes(actor)
    cs = m.CorrectionSuggestion
    where = [cs.service_id.in_(select(m.Service.id).where(services_in(codes)))]
    total = db.session.scalar(select(func.count()).select_from(cs).where(*where))
    is_open = case((cs.status == "open", 0), else_=1)
    rows = db.session.execute(
        select(cs, m.Service.name, m.Organization.name)
        .join(m.Service, m.Service.id == cs.service_id)
        .join(m.Organization, m.Organization.id == m.Service.organization_id)
        .where(*where)
        .order_by(
            is_open,
            case((cs.status == "open", cs.created_at), else_=None),
            cs.decided_at.desc(),
            cs.id,
        )
        .offset((max(page, 1) - 1) * PER_PAGE)
        .limit(PER_PAGE)
    )
    return [QueueItem(*row) for row in rows], int(total or 0)


def open_count(actor: m.User) -> int:
    """How many open suggestions the actor may decide."""
    codes = steward_codes(actor)
    cs = m.CorrectionSuggestion
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(cs)
            .where(
                cs.status == "open",
                cs.service_id.in_(select(m.Service.id).where(services_in(codes))),
            )
        )
        or 0
    )


def get_for(actor: m.User, suggestion_id: int) -> QueueItem:
    """One suggestion the actor may decide. :raise NotFound, PermissionDenied:"""
    suggestion = db.session.get(m.CorrectionSuggestion, suggestion_id)
    if suggestion is None:
        raise NotFound("Correction suggestion not found.")
    require(can_steward_service(actor, suggestion.service_id), "see this suggestion")
    service = db.session.get(m.Service, suggestion.service_id)
    assert service is not None  # a foreign key
    organization = db.session.get(m.Organization, service.organization_id)
    return QueueItem(suggestion, service.name, organization.name if organization else "")


def decide(
    actor: m.User,
    suggestion_id: int,
    decision: str,
    note: str,
    changes: dict[str, Any] | None = None,
) -> m.CorrectionSuggestion:
    """Close an open suggestion as ``applied`` or ``dismissed`` with a note; applying may
    correct the listing's text fields (``changes``, field history as the actor). The reply
    address ``contact`` is erased. Commits.

    :raise NotFound: no such suggestion.
    :raise PermissionDenied: the service lies in none of the actor's regions (admins pass).
    :raise ValidationError: unknown decision, note missing, invalid listing values.
    :raise InvalidTransition: the suggestion was already decided.
    """
    suggestion = db.session.get(m.CorrectionSuggestion, suggestion_id)
    if suggestion is None:
        raise NotFound("Correction suggestion not found.")
    require(can_steward_service(actor, suggestion.service_id), "decide this suggestion")
    values = DecisionSchema().load({"decision": decision, "note": (note or "").strip()})
    applied = values["decision"] == "applied"
    edits = _listing_edits(suggestion.service_id, changes) if applied and changes else {}
    if suggestion.status != "open":
        raise InvalidTransition(f"This suggestion was already {suggestion.status}.")
    if edits:
        change_fields(db.session, "service", suggestion.service_id, edits, changed_by=actor.email)
        push_after_commit(db.session, [suggestion.service_id])
    suggestion.status = values["decision"]
    suggestion.decision_note = values["note"]
    suggestion.decided_at = utcnow()
    suggestion.decided_by = actor.email
    suggestion.contact = None
    db.session.commit()
    return suggestion


def listing_values(service_id: str) -> dict[str, Any]:
    """The current values of the :data:`EDITABLE` fields of a service."""
    service = db.session.get(m.Service, service_id)
    if service is None:
        raise NotFound("No such service.")
    return {name: getattr(service, name) for name in EDITABLE}


def _listing_edits(service_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """The :data:`EDITABLE` values that differ from the listing, validated (a value left as
    it was is not checked again: imports may have brought values the form would refuse)."""
    current = listing_values(service_id)
    cleaned: dict[str, Any] = {}
    for name in EDITABLE:
        if name not in changes:
            continue
        value = changes[name]
        value = (value.strip() or None) if isinstance(value, str) else value
        if value != (current[name] or None):
            cleaned[name] = value if value is not None or name != "name" else ""
    return ListingEditSchema().load(cleaned)


__all__ = [
    "DECISIONS",
    "EDITABLE",
    "FIELDS",
    "CorrectionSchema",
    "QueueItem",
    "ValidationError",
    "decide",
    "get_for",
    "listing_values",
    "open_count",
    "open_for",
    "submit",
]
