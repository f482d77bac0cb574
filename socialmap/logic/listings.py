"""Providers keep their own listings current: capacity (room, waiting list) first.

Every change goes through :func:`socialmap.logic.provenance.change_fields`, so it is in the
field history with who made it, and a person's edit wins over later imports."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from socialmap import models as m
from socialmap.errors import NotFound
from socialmap.extensions import db
from socialmap.logic.provenance import change_fields
from socialmap.logic.search_index import push_after_commit
from socialmap.models.base import utcnow
from socialmap.permissions import has_role
from socialmap.permissions import require
from socialmap.schemas.listing import CapacityUpdateSchema


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
