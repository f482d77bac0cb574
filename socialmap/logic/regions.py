"""Regions and their stewards: which services are referable through socialmap in a region.

A service without a decision is referable when its intake procedure accepts referrals; a
steward's decision for a region overrides that. :func:`effective_referable` combines both.
"""

from __future__ import annotations

from collections.abc import Iterable

from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from socialmap import models as m
from socialmap.errors import Conflict
from socialmap.errors import NotFound
from socialmap.extensions import db
from socialmap.gazetteer import get_gazetteer
from socialmap.models.base import utcnow
from socialmap.permissions import has_role
from socialmap.permissions import require
from socialmap.schemas.account import ReferableSchema
from socialmap.schemas.account import RegionCreateSchema

#: Ids per IN (...) query: well below the parameter limits of SQLite and PostgreSQL.
_CHUNK = 500


def can_steward_region(actor: m.User | None, region: m.Region) -> bool:
    """Admins curate every region; a steward the regions they are assigned to."""
    if actor is None or not has_role(actor, "steward", "admin"):
        return False
    return actor.role == "admin" or any(r.id == region.id for r in actor.regions)


def create_region(name: str, municipalities: Iterable[str]) -> m.Region:
    """A region of municipalities (NIS codes; retired codes become their current code).

    :raise ValidationError: empty or taken name, no municipality, unknown NIS code.
    """
    fields = RegionCreateSchema().load({"name": name, "municipalities": list(municipalities)})
    gazetteer = get_gazetteer()
    codes, unknown = [], []
    for code in fields["municipalities"]:
        found = gazetteer.municipality(code.strip())
        if found is None:
            unknown.append(code)
        elif found.nis not in codes:
            codes.append(found.nis)
    if unknown:
        raise ValidationError({"municipalities": [f"Unknown NIS code {c!r}." for c in unknown]})
    if db.session.scalar(select(m.Region.id).where(m.Region.name == fields["name"])):
        raise ValidationError({"name": ["A region with this name already exists."]})
    region = m.Region(name=fields["name"], municipalities=codes)
    db.session.add(region)
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise ValidationError({"name": ["A region with this name already exists."]}) from exc
    return region


def find_region(name_or_id: str) -> m.Region:
    """A region by id or by exact name. :raise NotFound:"""
    region = db.session.get(m.Region, name_or_id) or db.session.scalar(
        select(m.Region).where(m.Region.name == name_or_id.strip())
    )
    if region is None:
        raise NotFound(f"Region {name_or_id!r} not found.")
    return region


def add_steward(region: m.Region, user: m.User) -> None:
    """Make ``user`` a steward of ``region`` (again: no change).

    :raise ValidationError: the account is not a steward (or admin)."""
    if user.role not in ("steward", "admin"):
        raise ValidationError({"user": [f"{user.email} is a {user.role}, not a steward."]})
    if all(r.id != region.id for r in user.regions):
        user.regions.append(region)
    db.session.commit()


def list_regions(actor: m.User) -> list[m.Region]:
    """Every region for an admin; a steward's own regions. :raise PermissionDenied:"""
    require(has_role(actor, "steward", "admin"), "list regions")
    if actor.role == "admin":
        return list(db.session.scalars(select(m.Region).order_by(m.Region.name)))
    return sorted(actor.regions, key=lambda r: r.name)


def set_referable(
    actor: m.User,
    region_id: str,
    service_id: str,
    referable: bool,
    note: str | None = None,
) -> m.RegionService:
    """Record whether a service is referable through socialmap in a region.

    :raise NotFound: unknown region or service.
    :raise PermissionDenied: not a steward of this region (nor an admin).
    :raise ValidationError: the service has no site nor service area in the region.
    """
    region = db.session.get(m.Region, region_id)
    if region is None:
        raise NotFound("Region not found.")
    service = db.session.get(m.Service, service_id)
    if service is None:
        raise NotFound("Service not found.")
    require(can_steward_region(actor, region), "decide which services are referable here")
    fields = ReferableSchema().load({"referable": referable, "note": note})
    if not service_municipalities(service.id) & set(region.municipalities):
        raise ValidationError(
            {"service_id": [f"This service has no site or service area in {region.name}."]}
        )
    decision = db.session.get(m.RegionService, (region.id, service.id))
    if decision is None:
        decision = m.RegionService(region_id=region.id, service_id=service.id)
        db.session.add(decision)
    decision.referable = fields["referable"]
    decision.note = fields["note"]
    decision.decided_by = actor.email
    decision.decided_at = utcnow()
    try:
        db.session.commit()
    except IntegrityError as exc:  # another steward created the same decision meanwhile
        db.session.rollback()
        raise Conflict("Another decision was saved at the same time; try again.") from exc
    return decision


def service_municipalities(service_id: str, session: Session | None = None) -> set[str]:
    """Current NIS codes of the service's sites and of its municipality service areas."""
    sess = session or db.session
    sites = (
        select(m.Address.municipality_nis)
        .join(m.ServiceAtLocation, m.ServiceAtLocation.location_id == m.Address.location_id)
        .where(
            m.ServiceAtLocation.service_id == service_id,
            m.Address.municipality_nis.is_not(None),
        )
    )
    areas = select(m.ServiceArea.code).where(
        m.ServiceArea.service_id == service_id,
        m.ServiceArea.kind == "municipality",
        m.ServiceArea.code.is_not(None),
    )
    gazetteer = get_gazetteer()
    codes = set(sess.scalars(sites)) | set(sess.scalars(areas))
    return {gazetteer.current_nis(code) for code in codes}


def referable_decisions(
    service_ids: Iterable[str], session: Session | None = None
) -> dict[str, bool]:
    """Stewards' decisions for the services that have one; where several regions decided,
    "not referable" wins."""
    sess = session or db.session
    ids = list(dict.fromkeys(service_ids))
    out: dict[str, bool] = {}
    for start in range(0, len(ids), _CHUNK):
        rows = sess.execute(
            select(m.RegionService.service_id, m.RegionService.referable).where(
                m.RegionService.service_id.in_(ids[start : start + _CHUNK])
            )
        )
        for service_id, referable in rows:
            out[service_id] = out.get(service_id, True) and bool(referable)
    return out


def effective_referable(
    service_ids: Iterable[str], session: Session | None = None
) -> dict[str, bool]:
    """Whether each service is referable: a steward's decision if any, else whether its
    intake procedure accepts referrals (no intake procedure: not referable)."""
    sess = session or db.session
    ids = list(dict.fromkeys(service_ids))
    out = dict.fromkeys(ids, False)
    for start in range(0, len(ids), _CHUNK):
        rows = sess.execute(
            select(m.IntakeProcedure.service_id, m.IntakeProcedure.accepts_referrals).where(
                m.IntakeProcedure.service_id.in_(ids[start : start + _CHUNK])
            )
        )
        out.update({service_id: bool(accepts) for service_id, accepts in rows})
    out.update(referable_decisions(ids, sess))
    return out
