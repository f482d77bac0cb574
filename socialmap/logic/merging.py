"""The steward's merge review: list pending candidates, merge a pair or keep it apart."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from socialmap import models as m
from socialmap.errors import Conflict
from socialmap.errors import NotFound
from socialmap.logic import search_index
from socialmap.logic.documents import SPECS
from socialmap.logic.documents import is_empty
from socialmap.logic.documents import load_documents
from socialmap.logic.documents import update_documents
from socialmap.logic.ingest import ENTITY_COLUMN
from socialmap.logic.provenance import field_source
from socialmap.logic.provenance import history_rows
from socialmap.logic.provenance import write_history
from socialmap.models.base import utcnow


def pending_candidates(session: Session, entity_type: str | None = None) -> list[m.MergeCandidate]:
    q = select(m.MergeCandidate).where(m.MergeCandidate.status == "pending")
    if entity_type:
        q = q.where(m.MergeCandidate.entity_type == entity_type)
    return list(session.scalars(q.order_by(m.MergeCandidate.score.desc(), m.MergeCandidate.id)))


def resolve_candidate(
    session: Session, candidate_id: int, *, merge: bool, actor: str
) -> m.MergeCandidate:
    """Merge the imported entity into its look-alike, or record that they are distinct.

    Merging keeps the existing entity's id (ids stay stable); the other entity is marked
    ``merged`` with ``merged_into_id`` so its old id still resolves. Commits.
    :raise NotFound, Conflict:
    """
    cand = session.get(m.MergeCandidate, candidate_id)
    if cand is None:
        raise NotFound(f"merge candidate {candidate_id} not found")
    if cand.status != "pending":
        raise Conflict(f"merge candidate {candidate_id} is already {cand.status}")
    now = utcnow()
    cand.decided_at, cand.decided_by = now, actor
    if not merge:
        cand.status = "kept_apart"
        session.commit()
        return cand
    cand.status = "merged"
    session.flush()  # before the repointing below, which rewrites other pending candidates
    merge_entities(
        session, cand.entity_type, survivor=cand.candidate_id, absorbed=cand.entity_id, actor=actor
    )
    merged = [cand.candidate_id, cand.entity_id]
    search_index.push_after_commit(
        session, search_index.services_of(session, cand.entity_type, merged)
    )
    session.commit()
    return cand


def merge_entities(
    session: Session, kind: str, *, survivor: str, absorbed: str, actor: str
) -> None:
    """Fold ``absorbed`` into ``survivor`` (fields the survivor lacks, links, children).
    Does not commit."""
    spec = SPECS[kind]
    docs = load_documents(session, spec, [survivor, absorbed])
    if survivor not in docs or absorbed not in docs:
        raise NotFound(f"{kind} to merge not found")
    keep, gone = docs[survivor], docs[absorbed]
    if gone["status"] == "merged":
        raise Conflict(f"{kind} {absorbed} was already merged")
    now = utcnow()
    changes: dict = {}
    old: dict = {}
    sources = dict(keep["_field_sources"])
    for name in spec.fields:
        if name in ("status",):
            continue
        if is_empty(keep.get(name)) and not is_empty(gone.get(name)):
            changes[name], old[name] = gone[name], keep.get(name)
            given_by = field_source(gone["_field_sources"], name)
            if given_by:
                sources[name] = given_by
    if changes:
        changes["_field_sources"] = sources
        update_documents(session, spec, {survivor: changes})
    history = history_rows(kind, survivor, changes, old, reason="merge", at=now, changed_by=actor)
    table = spec.model.__table__
    session.execute(
        update(table)
        .where(table.c.id == absorbed)
        .values(status="merged", merged_into_id=survivor, last_modified=now)
    )
    history += history_rows(
        kind,
        absorbed,
        {"status": "merged"},
        {"status": gone["status"]},
        reason="merge",
        at=now,
        changed_by=actor,
    )
    write_history(session, history)
    _repoint(session, kind, survivor, absorbed)


def _repoint(session: Session, kind: str, survivor: str, absorbed: str) -> None:
    sr = m.SourceRecord.__table__
    column = ENTITY_COLUMN[kind]
    session.execute(update(sr).where(sr.c[column] == absorbed).values({column: survivor}))
    if kind == "organization":
        for model in (m.Location, m.Service):
            t = model.__table__
            session.execute(
                update(t).where(t.c.organization_id == absorbed).values(organization_id=survivor)
            )
    elif kind == "location":
        sal = m.ServiceAtLocation.__table__
        already = select(sal.c.service_id).where(sal.c.location_id == survivor)
        session.execute(
            delete(sal).where(sal.c.location_id == absorbed, sal.c.service_id.in_(already))
        )
        session.execute(
            update(sal).where(sal.c.location_id == absorbed).values(location_id=survivor)
        )
    mc = m.MergeCandidate.__table__
    for col in (mc.c.entity_id, mc.c.candidate_id):
        session.execute(
            update(mc)
            .where(col == absorbed, mc.c.status == "pending", mc.c.entity_type == kind)
            .values({col.name: survivor})
        )
    session.execute(
        update(mc)
        .where(mc.c.entity_id == mc.c.candidate_id, mc.c.status == "pending")
        .values(status="merged", decided_at=utcnow())
    )
