"""Database side of an import run: sources, record links, bulk writes, runs and issues.

``importers.pipeline`` decides what happens to each record; this module persists it. One
``Ingest`` is one transaction: ``finish()`` commits (or rolls back a dry run) and a failure
rolls everything back and records the failed run on its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from socialmap import models as m
from socialmap.logic.bulk import insert_columns
from socialmap.logic.bulk import insert_rows
from socialmap.logic.documents import SPECS
from socialmap.logic.documents import Doc
from socialmap.logic.documents import insert_documents
from socialmap.logic.documents import load_documents
from socialmap.logic.documents import update_documents
from socialmap.logic.provenance import history_rows
from socialmap.logic.provenance import write_history
from socialmap.models.base import utcnow

ENTITY_COLUMN = {
    "organization": "organization_id",
    "location": "location_id",
    "service": "service_id",
}

#: The counts of an import run, in the order they are reported.
RUN_COUNTS = m.ImportRun.COUNTS


@dataclass
class Link:
    id: int
    entity_id: str | None
    hash: str
    status: str


def get_source(session: Session, name: str, fmt: str | None, priority: int) -> m.Source:
    source = session.scalar(select(m.Source).where(m.Source.name == name))
    if source is None:
        source = m.Source(name=name, format=fmt, priority=priority)
        session.add(source)
        session.flush()
    elif source.priority != priority:
        source.priority = priority
    return source


class Ingest:
    def __init__(
        self,
        session: Session,
        *,
        source: str,
        fmt: str,
        location: str,
        priority: int,
        full_snapshot: bool,
        dry_run: bool,
        batch_size: int = 1000,
    ) -> None:
        self.session = session
        self.batch_size = batch_size
        self.source = get_source(session, source, fmt, priority)
        self.run = m.ImportRun(
            source_id=self.source.id,
            format=fmt,
            location=location,
            full_snapshot=full_snapshot,
            dry_run=dry_run,
            status="running",
        )
        session.add(self.run)
        session.flush()
        self.now = utcnow()

    # -- reading -------------------------------------------------------------------------------

    def links(self) -> dict[tuple[str, str], Link]:
        t = m.SourceRecord.__table__
        rows = self.session.execute(
            select(
                t.c.id,
                t.c.entity_type,
                t.c.external_id,
                t.c.content_hash,
                t.c.status,
                t.c.organization_id,
                t.c.location_id,
                t.c.service_id,
            ).where(t.c.source_id == self.source.id)
        )
        out = {}
        for r in rows:
            entity_id = getattr(r, ENTITY_COLUMN[r.entity_type])
            out[(r.entity_type, r.external_id)] = Link(r.id, entity_id, r.content_hash, r.status)
        return out

    def redirects(self, kind: str) -> dict[str, str]:
        t = SPECS[kind].model.__table__
        rows = self.session.execute(
            select(t.c.id, t.c.merged_into_id).where(t.c.merged_into_id.isnot(None))
        )
        return {r.id: r.merged_into_id for r in rows}

    def existing_entities(self, kind: str) -> set[str]:
        t = SPECS[kind].model.__table__
        return set(self.session.scalars(select(t.c.id).where(t.c.merged_into_id.is_(None))))

    def documents(self, kind: str, ids: Iterable[str]) -> dict[str, Doc]:
        return load_documents(self.session, SPECS[kind], ids)

    def organization_rows(self) -> list[dict[str, Any]]:
        """Matching features of the active canonical organizations."""
        o = m.Organization.__table__
        orgs = {
            r.id: {
                "id": r.id,
                "name": r.name,
                "kbo": r.kbo_number,
                "email": r.email,
                "website": r.website,
                "phones": set(),
                "postcodes": set(),
                "lat": None,
                "lon": None,
            }
            for r in self.session.execute(
                select(o.c.id, o.c.name, o.c.kbo_number, o.c.email, o.c.website).where(
                    o.c.status == "active"
                )
            )
        }
        p = m.Phone.__table__
        for r in self.session.execute(
            select(p.c.organization_id, p.c.number).where(p.c.organization_id.isnot(None))
        ):
            if r.organization_id in orgs:
                orgs[r.organization_id]["phones"].add(r.number)
        loc, a = m.Location.__table__, m.Address.__table__
        q = (
            select(loc.c.organization_id, loc.c.latitude, loc.c.longitude, a.c.postcode)
            .join(a, a.c.location_id == loc.c.id, isouter=True)
            .where(loc.c.organization_id.isnot(None), loc.c.status == "active")
        )
        for r in self.session.execute(q):
            org = orgs.get(r.organization_id)
            if org is None:
                continue
            if r.postcode:
                org["postcodes"].add(r.postcode)
            if org["lat"] is None and r.latitude is not None:
                org["lat"], org["lon"] = r.latitude, r.longitude
        return list(orgs.values())

    def location_rows(self) -> list[dict[str, Any]]:
        loc, a, o = m.Location.__table__, m.Address.__table__, m.Organization.__table__
        q = (
            select(
                loc.c.id,
                loc.c.organization_id,
                loc.c.name,
                loc.c.latitude,
                loc.c.longitude,
                o.c.name.label("org_name"),
                a.c.street,
                a.c.house_number,
                a.c.box,
                a.c.address_2,
                a.c.postcode,
                a.c.city,
                a.c.address_type,
            )
            .join(o, o.c.id == loc.c.organization_id, isouter=True)
            .join(a, a.c.location_id == loc.c.id, isouter=True)
            .where(loc.c.status == "active")
        )
        rows: dict[str, dict[str, Any]] = {}
        for r in self.session.execute(q):
            row = rows.get(r.id)
            if row is None or (
                r.address_type == "physical" and row.get("address_type") != "physical"
            ):
                rows[r.id] = {**r._mapping, "phones": set()}
        p = m.Phone.__table__
        for r in self.session.execute(
            select(p.c.location_id, p.c.number).where(p.c.location_id.isnot(None))
        ):
            if r.location_id in rows:
                rows[r.location_id]["phones"].add(r.number)
        return list(rows.values())

    def service_rows(self) -> list[dict[str, Any]]:
        s = m.Service.__table__
        rows = {
            r.id: {**r._mapping, "phones": set(), "location_ids": set()}
            for r in self.session.execute(
                select(s.c.id, s.c.organization_id, s.c.name, s.c.email, s.c.url).where(
                    s.c.status == "active"
                )
            )
        }
        p, sal = m.Phone.__table__, m.ServiceAtLocation.__table__
        for r in self.session.execute(
            select(p.c.service_id, p.c.number).where(p.c.service_id.isnot(None))
        ):
            if r.service_id in rows:
                rows[r.service_id]["phones"].add(r.number)
        for r in self.session.execute(select(sal.c.service_id, sal.c.location_id)):
            if r.service_id in rows:
                rows[r.service_id]["location_ids"].add(r.location_id)
        return list(rows.values())

    # -- writing -------------------------------------------------------------------------------

    def create(self, kind: str, docs: dict[str, Doc]) -> None:
        insert_documents(self.session, SPECS[kind], docs, self.batch_size)

    def update(self, kind: str, changes: dict[str, Doc]) -> None:
        update_documents(self.session, SPECS[kind], changes, self.batch_size)

    def history(
        self,
        kind: str,
        entity_id: str,
        changes: Doc,
        old: Doc,
        *,
        reason: str,
        record_id: int | None = None,
    ) -> list[Doc]:
        return history_rows(
            kind,
            entity_id,
            changes,
            old,
            reason=reason,
            at=self.now,
            source_name=self.source.name,
            source_record_id=record_id,
            import_run_id=self.run.id,
        )

    def write_history(self, rows: list[Doc]) -> None:
        write_history(self.session, rows, self.batch_size)

    def write_links(self, kind: str, new: dict[str, list[Any]], touched: list[Doc]) -> None:
        """Insert new source records of ``kind`` (given column by column: external_id,
        content_hash, raw, the entity column ...); refresh the ones seen again (hash, raw,
        entity link)."""
        t = m.SourceRecord.__table__
        count = len(new["external_id"])
        if count:
            columns = {
                **new,
                "entity_type": [kind] * count,
                "source_id": [self.source.id] * count,
                "first_seen": [self.now] * count,
                "last_seen": [self.now] * count,
                "status": ["active"] * count,
                "last_run_id": [self.run.id] * count,
            }
            insert_columns(self.session, t, columns, self.batch_size)
        groups: dict[tuple[str, ...], list[Doc]] = defaultdict(list)
        for row in touched:
            row.update(last_seen=self.now, status="active", last_run_id=self.run.id)
            groups[tuple(sorted(row))].append(row)
        for keys, rows in groups.items():
            stmt = (
                update(t)
                .where(t.c.id == bindparam("b_id"))
                .values({k: bindparam(f"b_{k}") for k in keys if k != "id"})
            )
            params = [{f"b_{k}": v for k, v in r.items()} for r in rows]
            for i in range(0, len(params), self.batch_size):
                self.session.connection().execute(stmt, params[i : i + self.batch_size])

    def add_candidates(self, rows: list[Doc]) -> None:
        for row in rows:
            row.update(run_id=self.run.id, status="pending", created_at=self.now)
        if rows:
            insert_rows(self.session, m.MergeCandidate.__table__, rows)

    def add_issues(self, issues: Iterable[Any]) -> None:
        rows = [
            {
                "run_id": self.run.id,
                "ref": i.ref[:300],
                "field": i.field,
                "reason": i.reason,
                "rejected": i.rejected,
            }
            for i in issues
        ]
        insert_rows(self.session, m.ImportIssue.__table__, rows, self.batch_size)

    def mark_seen(self, record_ids: list[int]) -> None:
        """Count these source records as present in this run without changing them."""
        t = m.SourceRecord.__table__
        for i in range(0, len(record_ids), 500):
            chunk = record_ids[i : i + 500]
            self.session.execute(update(t).where(t.c.id.in_(chunk)).values(last_run_id=self.run.id))

    def deactivate_missing(self) -> int:
        """Full snapshot: records of this source not seen in this run are marked missing; an
        entity no active record supports any more is deactivated (never deleted)."""
        t = m.SourceRecord.__table__
        missing = self.session.execute(
            select(
                t.c.id, t.c.entity_type, t.c.organization_id, t.c.location_id, t.c.service_id
            ).where(
                t.c.source_id == self.source.id,
                t.c.status == "active",
                (t.c.last_run_id != self.run.id) | t.c.last_run_id.is_(None),
            )
        ).all()
        if not missing:
            return 0
        ids = [r.id for r in missing]
        for i in range(0, len(ids), 500):
            self.session.execute(
                update(t).where(t.c.id.in_(ids[i : i + 500])).values(status="missing")
            )
        count = 0
        for kind, column in ENTITY_COLUMN.items():
            entity_ids = {getattr(r, column) for r in missing if r.entity_type == kind} - {None}
            if not entity_ids:
                continue
            still = set(
                self.session.scalars(
                    select(t.c[column]).where(
                        t.c[column].in_(entity_ids), t.c.status == "active", t.c.entity_type == kind
                    )
                )
            )
            gone = sorted(entity_ids - still)
            docs = self.documents(kind, gone)
            changes, history = {}, []
            for entity_id in gone:
                doc = docs.get(entity_id)
                if doc is None or doc["status"] == "inactive":
                    continue
                sources = dict(doc["_field_sources"])
                sources["status"] = [self.source.name, self.source.priority, self.now.isoformat()]
                change = {"status": "inactive", "_field_sources": sources}
                changes[entity_id] = change
                history += self.history(
                    kind, entity_id, change, {"status": doc["status"]}, reason="deactivate"
                )
                count += 1
            self.update(kind, changes)
            self.write_history(history)
        return count

    def finish(self, counts: dict[str, int], warnings: int) -> m.ImportRun:
        run = self.run
        for key, value in counts.items():
            setattr(run, key, value)
        run.warnings = warnings
        run.finished_at = utcnow()
        run.status = "dry-run" if run.dry_run else "succeeded"
        if run.dry_run:
            # A detached copy carries the figures; the run itself is rolled back with the rest.
            copy = m.ImportRun(
                format=run.format,
                location=run.location,
                status="dry-run",
                dry_run=True,
                full_snapshot=run.full_snapshot,
                warnings=warnings,
                **{k: getattr(run, k) for k in m.ImportRun.COUNTS},
            )
            self.session.rollback()
            return copy
        self.session.commit()
        return run


def record_failure(
    session: Session,
    *,
    source: str,
    fmt: str,
    location: str,
    priority: int,
    error: str,
    full_snapshot: bool,
    dry_run: bool,
) -> m.ImportRun:
    """After a rollback: store the failed run and its reason (nothing else was written)."""
    session.rollback()
    src = get_source(session, source, fmt, priority)
    run = m.ImportRun(
        source_id=src.id,
        format=fmt,
        location=location,
        status="failed",
        error=error,
        finished_at=utcnow(),
        full_snapshot=full_snapshot,
        dry_run=dry_run,
    )
    session.add(run)
    session.flush()
    session.add(m.ImportIssue(run_id=run.id, ref=location[:300], reason=error, rejected=True))
    if dry_run:
        session.rollback()
    else:
        session.commit()
    return run
