"""What stewards curate: their scope (the municipalities of their regions), import runs with
their issues, and the merge review (two records side by side with the pair's scores).

Read-only view models for the steward pages; deciding a pair is
:func:`socialmap.logic.merging.resolve_candidate`, wrapped here with the permission check."""

from __future__ import annotations

import math
from dataclasses import dataclass
from dataclasses import field
from pathlib import PurePosixPath
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import false
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select

from socialmap import models as m
from socialmap.errors import NotFound
from socialmap.extensions import db
from socialmap.gazetteer import get_gazetteer
from socialmap.logic import merging
from socialmap.logic.regions import service_municipalities
from socialmap.permissions import has_role
from socialmap.permissions import require

#: Rows per page of the steward lists.
PER_PAGE = 25

#: The entity model per merge candidate kind.
MODELS: dict[str, Any] = {
    "organization": m.Organization,
    "location": m.Location,
    "service": m.Service,
}


# ------------------------------------------------------------------ scope


def steward_codes(actor: m.User | None) -> set[str] | None:
    """The NIS codes of the actor's regions; None for an admin (every municipality).

    :raise PermissionDenied: not a steward nor an admin.
    """
    require(has_role(actor, "steward", "admin"), "curate listings")
    assert actor is not None
    if actor.role == "admin":
        return None
    return {code for region in actor.regions for code in region.municipalities}


def can_steward_service(actor: m.User | None, service_id: str) -> bool:
    """Admins; stewards when the service has a site or service area in one of their regions."""
    if not has_role(actor, "steward", "admin"):
        return False
    codes = steward_codes(actor)
    return codes is None or bool(service_municipalities(service_id) & codes)


def services_in(codes: set[str] | None) -> ColumnElement[bool]:
    """SQL condition: the service has a site or a municipality service area in ``codes``
    (None: no condition). Service areas may carry retired NIS codes of merged municipalities."""
    if codes is None:
        return m.Service.id.is_not(None)
    if not codes:
        return false()
    gazetteer = get_gazetteer()
    known = db.session.scalars(
        select(m.ServiceArea.code)
        .where(m.ServiceArea.kind == "municipality", m.ServiceArea.code.is_not(None))
        .distinct()
    )
    area_codes = [c for c in known if gazetteer.current_nis(c) in codes]
    sites = (
        select(m.ServiceAtLocation.service_id)
        .join(m.Address, m.Address.location_id == m.ServiceAtLocation.location_id)
        .where(m.Address.municipality_nis.in_(sorted(codes)))
    )
    areas = select(m.ServiceArea.service_id).where(
        m.ServiceArea.kind == "municipality", m.ServiceArea.code.in_(area_codes)
    )
    return or_(m.Service.id.in_(sites), m.Service.id.in_(areas))


def pages(total: int, per_page: int = PER_PAGE) -> int:
    return max(1, math.ceil(total / per_page))


# ------------------------------------------------------------------ import runs


@dataclass(frozen=True)
class RunRow:
    run: m.ImportRun
    source: str

    @property
    def file(self) -> str:
        """The file or folder name (a URL as given): server paths stay out of the page."""
        location = self.run.location or ""
        if "://" in location:
            return location
        return PurePosixPath(location).name or location


def import_runs(actor: m.User, page: int = 1) -> tuple[list[RunRow], int]:
    """Import runs, newest first, one page of them, and how many there are."""
    steward_codes(actor)
    total = db.session.scalar(select(func.count()).select_from(m.ImportRun)) or 0
    rows = db.session.execute(
        select(m.ImportRun, m.Source.name)
        .join(m.Source, m.Source.id == m.ImportRun.source_id)
        .order_by(m.ImportRun.started_at.desc(), m.ImportRun.id.desc())
        .offset((max(page, 1) - 1) * PER_PAGE)
        .limit(PER_PAGE)
    ).all()
    return [RunRow(run, name) for run, name in rows], int(total)


def import_run(actor: m.User, run_id: int) -> RunRow:
    """One run. :raise NotFound, PermissionDenied:"""
    steward_codes(actor)
    row = db.session.execute(
        select(m.ImportRun, m.Source.name)
        .join(m.Source, m.Source.id == m.ImportRun.source_id)
        .where(m.ImportRun.id == run_id)
    ).one_or_none()
    if row is None:
        raise NotFound("Import run not found.")
    return RunRow(*row)


def run_issues(
    actor: m.User, run_id: int, page: int = 1, kind: str | None = None
) -> tuple[list[m.ImportIssue], int]:
    """Rejected rows first, then warnings, in file order; ``kind`` rejected|warning filters."""
    steward_codes(actor)
    where = [m.ImportIssue.run_id == run_id]
    if kind in ("rejected", "warning"):
        where.append(m.ImportIssue.rejected.is_(kind == "rejected"))
    total = db.session.scalar(select(func.count()).select_from(m.ImportIssue).where(*where))
    issues = db.session.scalars(
        select(m.ImportIssue)
        .where(*where)
        .order_by(m.ImportIssue.rejected.desc(), m.ImportIssue.id)
        .offset((max(page, 1) - 1) * PER_PAGE)
        .limit(PER_PAGE)
    )
    return list(issues), int(total or 0)


# ------------------------------------------------------------------ merge review


@dataclass
class Record:
    """One side of a merge candidate, as a steward compares it."""

    id: str
    name: str | None = None
    organization: str | None = None
    addresses: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    email: str | None = None
    website: str | None = None
    description: str | None = None
    sources: list[tuple[str, str]] = field(default_factory=list)  # (source, external id)


@dataclass(frozen=True)
class QueueRow:
    candidate: m.MergeCandidate
    new_name: str | None
    existing_name: str | None


@dataclass(frozen=True)
class Review:
    candidate: m.MergeCandidate
    new: Record
    existing: Record
    #: (feature code, value) of the comparable features, in a stable order
    features: list[tuple[str, float]]


def merge_queue(actor: m.User) -> list[QueueRow]:
    """Pending merge candidates, most likely pairs first, with both names."""
    steward_codes(actor)
    candidates = merging.pending_candidates(db.session)
    names: dict[tuple[str, str], str | None] = {}
    for kind, model in MODELS.items():
        ids = {
            i for c in candidates if c.entity_type == kind for i in (c.entity_id, c.candidate_id)
        }
        if ids:
            rows = db.session.execute(select(model.id, model.name).where(model.id.in_(ids)))
            names.update({(kind, i): n for i, n in rows})
    return [
        QueueRow(
            c, names.get((c.entity_type, c.entity_id)), names.get((c.entity_type, c.candidate_id))
        )
        for c in candidates
    ]


def pending_count(actor: m.User) -> int:
    """How many merge candidates wait for a decision."""
    steward_codes(actor)
    q = select(func.count()).select_from(m.MergeCandidate)
    return int(db.session.scalar(q.where(m.MergeCandidate.status == "pending")) or 0)


def merge_review(actor: m.User, candidate_id: int) -> Review:
    """A candidate with both records. :raise NotFound, PermissionDenied:"""
    steward_codes(actor)
    cand = db.session.get(m.MergeCandidate, candidate_id)
    if cand is None or cand.entity_type not in MODELS:
        raise NotFound("Merge candidate not found.")
    features = [
        (code, float(value))
        for code, value in sorted((cand.features or {}).items())
        if isinstance(value, int | float)
    ]
    return Review(
        cand,
        _record(cand.entity_type, cand.entity_id),
        _record(cand.entity_type, cand.candidate_id),
        features,
    )


def resolve(actor: m.User, candidate_id: int, *, merge: bool) -> m.MergeCandidate:
    """Merge the pair or keep it apart, as the actor.

    :raise NotFound, Conflict, PermissionDenied:
    """
    steward_codes(actor)
    return merging.resolve_candidate(db.session, candidate_id, merge=merge, actor=actor.email)


def _record(kind: str, entity_id: str) -> Record:
    entity = db.session.get(MODELS[kind], entity_id)
    if entity is None:
        raise NotFound("Merge candidate not found.")
    record = Record(id=entity.id, name=entity.name)
    record.description = entity.description
    record.email = getattr(entity, "email", None)
    record.website = getattr(entity, "website", None) or getattr(entity, "url", None)
    org_id = entity.organization_id if kind != "organization" else None
    if org_id:
        record.organization = db.session.scalar(
            select(m.Organization.name).where(m.Organization.id == org_id)
        )
    record.addresses = [a.one_line() for a in _addresses(kind, entity_id)]
    owner = {"organization": m.Phone.organization_id, "location": m.Phone.location_id}.get(
        kind, m.Phone.service_id
    )
    record.phones = list(
        db.session.scalars(select(m.Phone.number).where(owner == entity_id).order_by(m.Phone.id))
    )
    column = {"organization": "organization_id", "location": "location_id"}.get(kind, "service_id")
    record.sources = [
        (source, external_id)
        for source, external_id in db.session.execute(
            select(m.Source.name, m.SourceRecord.external_id)
            .join(m.Source, m.Source.id == m.SourceRecord.source_id)
            .where(
                m.SourceRecord.entity_type == kind,
                getattr(m.SourceRecord, column) == entity_id,
            )
            .order_by(m.Source.name, m.SourceRecord.external_id)
        )
    ]
    return record


def _addresses(kind: str, entity_id: str) -> list[m.Address]:
    q = select(m.Address).order_by(m.Address.id)
    if kind == "location":
        q = q.where(m.Address.location_id == entity_id)
    elif kind == "service":
        q = q.join(
            m.ServiceAtLocation, m.ServiceAtLocation.location_id == m.Address.location_id
        ).where(m.ServiceAtLocation.service_id == entity_id)
    else:
        q = q.join(m.Location, m.Location.id == m.Address.location_id).where(
            m.Location.organization_id == entity_id
        )
    return list(db.session.scalars(q.limit(10)))
