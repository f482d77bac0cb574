"""Providers keep their own listings current: capacity (room, waiting list) first, then
hours, intake, what to bring and contact.

Every change goes through :func:`socialmap.logic.provenance.change_fields`, so it is in the
field history with who made it, and a person's edit wins over later imports."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from socialmap import models as m
from socialmap.errors import NotFound
from socialmap.extensions import db
from socialmap.logic.documents import SERVICE
from socialmap.logic.documents import load_documents
from socialmap.logic.provenance import change_fields
from socialmap.logic.search_index import push_after_commit
from socialmap.models.base import utcnow
from socialmap.permissions import has_role
from socialmap.permissions import require
from socialmap.schemas.listing import CapacityUpdateSchema
from socialmap.schemas.listing import ListingUpdateSchema


def can_edit_service(user: m.User | None, service: m.Service) -> bool:
    """Staff of the service's organisation, and admins."""
    if has_role(user, "admin"):
        return True
    return has_role(user, "provider") and service.organization_id in user.organization_ids


def update_capacity(actor: m.User, service_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """Set the service's capacity (available | waitlist with weeks | full | unknown).

    :raise NotFound, PermissionDenied, ValidationError:
    """
    service = db.session.get(m.Service, service_id)
    if service is None or service.status != "active":
        raise NotFound("No such service.")
    require(can_edit_service(actor, service), "update this service's capacity")
    fields = CapacityUpdateSchema().load(data)
    if fields["status"] != "waitlist":
        fields["waiting_weeks"] = None
    capacity = {**fields, "updated_at": utcnow(), "updated_by": actor.email}
    change_fields(
        db.session, "service", service_id, {"capacity": [capacity]}, changed_by=actor.email
    )
    push_after_commit(db.session, [service_id])  # a Core update: the ORM watcher cannot see it
    db.session.commit()
    return capacity


def services_of(actor: m.User) -> list[dict[str, Any]]:
    """The active services of the actor's organisations with their capacity, by organisation
    and name (provider staff; others have no organisations and get an empty list)."""
    org_ids = sorted(actor.organization_ids) if has_role(actor, "provider", "admin") else []
    if not org_ids:
        return []
    rows = db.session.execute(
        select(
            m.Service.id,
            m.Service.name,
            m.Service.assured_date,
            m.Organization.id,
            m.Organization.name,
            m.ServiceCapacity.status,
            m.ServiceCapacity.waiting_weeks,
            m.ServiceCapacity.updated_at,
            m.ServiceCapacity.updated_by,
        )
        .join(m.Organization, m.Organization.id == m.Service.organization_id)
        .outerjoin(m.ServiceCapacity, m.ServiceCapacity.service_id == m.Service.id)
        .where(
            m.Service.organization_id.in_(org_ids),
            m.Service.status == "active",
            m.Service.merged_into_id.is_(None),
        )
        .order_by(m.Organization.name, m.Service.name, m.Service.id)
    ).all()
    return [
        {
            "id": sid,
            "name": name,
            "assured_date": assured,
            "organization": {"id": org_id, "name": org_name},
            "capacity": {
                "status": status or "unknown",
                "waiting_weeks": weeks,
                "updated_at": updated_at,
                "updated_by": updated_by,
            },
        }
        for sid, name, assured, org_id, org_name, status, weeks, updated_at, updated_by in rows
    ]


def listing(actor: m.User, service_id: str) -> dict[str, Any]:
    """What a provider may edit of its service, as the edit form shows it: weekly hours
    (undated periods by weekday), hours in words, intake, what to bring, contact.

    :raise NotFound, PermissionDenied:
    """
    service = _editable(actor, service_id)
    doc = load_documents(db.session, SERVICE, [service_id])[service_id]
    weekly = [s for s in doc["schedules"] if s["weekday"] and not _dated(s)]
    days = {
        day: sorted(
            (
                {k: s[k] for k in ("opens_at", "closes_at", "description")}
                for s in weekly
                if s["weekday"] == day and s["opens_at"] and s["closes_at"]
            ),
            key=lambda slot: slot["opens_at"],
        )
        for day in range(1, 8)
    }
    notes = [s["description"] for s in doc["schedules"] if not s["weekday"] and not _dated(s)]
    intake = doc["intake"][0] if doc["intake"] else {}
    return {
        "id": service_id,
        "name": service.name,
        "organization_id": service.organization_id,
        "assured_date": service.assured_date,
        "hours": [{"weekday": day, "slots": slots} for day, slots in days.items()],
        "has_own_hours": bool(weekly),
        "hours_note": "; ".join(n for n in notes if n) or None,
        "intake": {
            "methods": list(intake.get("methods") or []),
            "instructions": intake.get("instructions"),
            "required_information": intake.get("required_information"),
            "accepts_referrals": bool(intake.get("accepts_referrals")),
            "translations": dict(intake.get("translations") or {}),
        },
        "required_documents": [d["document"] for d in doc["required_documents"]],
        "email": doc["email"],
        "url": doc["url"],
        "phones": [
            {k: p[k] for k in ("number", "extension", "type", "description")} for p in doc["phones"]
        ],
    }


def update_listing(actor: m.User, service_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """Change the sections of the service's listing given in ``data`` (hours, hours_note,
    intake, required_documents, email, url, phones: see ListingUpdateSchema); each changed
    field lands in the field history under the actor's e-mail. Returns the changes made.

    Dated (seasonal) hours are kept as they are: the form edits the regular week.
    :raise NotFound, PermissionDenied, ValidationError:
    """
    _editable(actor, service_id)
    fields = ListingUpdateSchema().load(data)
    current = load_documents(db.session, SERVICE, [service_id])[service_id]
    values: dict[str, Any] = {}
    if "hours" in fields or "hours_note" in fields:
        values["schedules"] = _schedules(current["schedules"], fields)
    if "intake" in fields:
        values["intake"] = _intake(current["intake"], fields["intake"])
    if "required_documents" in fields:
        documents = dict.fromkeys(d.strip() for d in fields["required_documents"] if d.strip())
        values["required_documents"] = [{"document": d} for d in documents]
    for name in ("email", "url"):
        if name in fields:
            values[name] = (fields[name] or "").strip() or None
    if "phones" in fields:
        values["phones"] = _phones(current["phones"], fields["phones"])
    changes = change_fields(db.session, "service", service_id, values, changed_by=actor.email)
    if changes:
        push_after_commit(db.session, [service_id])
    db.session.commit()
    return changes


def _editable(actor: m.User, service_id: str) -> m.Service:
    service = db.session.get(m.Service, service_id)
    if service is None or service.status != "active" or service.merged_into_id:
        raise NotFound("No such service.")
    require(can_edit_service(actor, service), "edit this service's listing")
    return service


def _dated(slot: Mapping[str, Any]) -> bool:
    return bool(slot.get("valid_from") or slot.get("valid_to"))


def _schedules(current: list[dict[str, Any]], fields: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The new schedule rows: the weekly periods and the hours in words from the form (each
    keeps its current value when not given), plus the current dated rows unchanged."""
    blank = dict.fromkeys(("valid_from", "valid_to"))
    if "hours" in fields:
        weekly = [
            {"weekday": day["weekday"], **blank, **_blank_to_none(slot)}
            for day in fields["hours"]
            for slot in day["slots"]
        ]
    else:
        weekly = [s for s in current if s["weekday"] and not _dated(s)]
    if "hours_note" in fields:
        note = (fields["hours_note"] or "").strip()
        words = (
            [{"weekday": None, **blank, "opens_at": None, "closes_at": None, "description": note}]
            if note
            else []
        )
    else:
        words = [s for s in current if not s["weekday"] and not _dated(s)]
    return weekly + words + [s for s in current if _dated(s)]


def _intake(current: list[dict[str, Any]], given: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The intake row with the given values; texts in other languages are merged per language
    and field (an empty text removes one). No row when nothing is known."""
    kept = current[0] if current else {}
    translations = {lang: dict(texts) for lang, texts in (kept.get("translations") or {}).items()}
    for lang, texts in given.get("translations", {}).items():
        for name, text in texts.items():
            if text.strip():
                translations.setdefault(lang, {})[name] = text.strip()
            else:
                translations.get(lang, {}).pop(name, None)
    row = {
        **kept,
        **_blank_to_none({k: v for k, v in given.items() if k != "translations"}),
        "translations": {lang: texts for lang, texts in translations.items() if texts},
    }
    if "methods" in given and set(given["methods"]) == set(kept.get("methods") or ()):
        row["methods"] = kept["methods"]  # the same ways to register, listed in another order
    if not current and not any(row.values()):
        return []
    return [row]


def _phones(current: list[dict[str, Any]], given: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The phones as given; a number that was listed keeps its extension and type unless
    given."""
    known = {p["number"]: p for p in current}
    out = []
    for phone in given:
        before = known.get(phone["number"], {})
        out.append(
            {
                "number": phone["number"],
                "extension": phone.get("extension") or before.get("extension"),
                "type": phone.get("type") or before.get("type") or "voice",
                "description": (phone.get("description") or "").strip() or None,
            }
        )
    return out


def _blank_to_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v.strip() or None) if isinstance(v, str) else v for k, v in values.items()}
