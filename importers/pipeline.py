"""An import run: read -> transform/normalise -> match/merge -> upsert (through socialmap.logic).

Decisions per record, in order: a record this source sent before is *unchanged* (same content
hash) or *updated* (survivorship per field); a new record is *merged* into an existing entity
when the matcher scores it >= the auto-merge threshold, goes to the *review* queue (created, plus
a merge candidate) between the thresholds, and is *created* below. Organizations go first, then
locations (which point at canonical organizations), then services. The whole run is one
transaction: a malformed source or an unexpected error leaves nothing half-written.
"""

from __future__ import annotations

import gc
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from sqlalchemy.orm import Session

from importers import matching
from importers.formats import FORMATS
from importers.formats import ReadOptions
from importers.formats import load_all
from importers.geocode import Geocoder
from importers.match_profiles import basis_of
from importers.match_profiles import batch_org_features
from importers.match_profiles import location_profile
from importers.match_profiles import org_profile
from importers.match_profiles import profile_from_row
from importers.match_profiles import service_profile
from importers.parallel import transform_batch
from importers.records import Batch
from importers.records import Issue
from importers.records import MalformedSource
from importers.transform import Prepared
from socialmap.gazetteer import get_gazetteer
from socialmap.logic.bulk import new_ids
from socialmap.logic.documents import Doc
from socialmap.logic.ingest import ENTITY_COLUMN
from socialmap.logic.ingest import RUN_COUNTS
from socialmap.logic.ingest import Ingest
from socialmap.logic.ingest import record_failure
from socialmap.logic.provenance import initial_sources
from socialmap.logic.provenance import survive
from socialmap.models.base import new_id

log = logging.getLogger(__name__)

KINDS = ("organization", "location", "service")


@dataclass
class Settings:
    auto_merge: float = matching.DEFAULT_THRESHOLDS.auto_merge
    review: float = matching.DEFAULT_THRESHOLDS.review
    priority: int = 50
    batch_size: int = 1000
    geocoder_url: str | None = None
    geocoder_user_agent: str = "socialmap"
    geocoder_cache: str | None = None


@dataclass
class Outcome:
    run_id: int | None
    status: str  # succeeded | dry-run | failed
    counts: dict[str, int]
    issues: list[Issue] = field(default_factory=list)
    error: str | None = None
    #: dry runs only: one line per record that would change
    changes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status != "failed"


def read(fmt: str, location: str, options: ReadOptions | None = None) -> Batch:
    """Read a source with the reader registered for ``fmt``.
    :raise MalformedSource: unknown format or unusable file."""
    readers = load_all()
    if fmt not in readers:
        known = ", ".join(sorted(readers))
        raise MalformedSource(f"unknown format {fmt!r} (known: {known})")
    return FORMATS[fmt](location, options or ReadOptions())


@dataclass(frozen=True)
class _Job:
    """What one run imports, and how."""

    source: str
    fmt: str
    location: str
    full_snapshot: bool
    dry_run: bool
    settings: Settings

    def fail(self, session: Session, error: str) -> Outcome:
        """Record a failed run (after rolling back everything else)."""
        run = record_failure(
            session,
            error=error,
            source=self.source,
            fmt=self.fmt,
            location=self.location,
            priority=self.settings.priority,
            full_snapshot=self.full_snapshot,
            dry_run=self.dry_run,
        )
        return Outcome(None if self.dry_run else run.id, "failed", {}, [], error)


def run_import(
    session: Session,
    *,
    source: str,
    fmt: str,
    location: str,
    options: ReadOptions | None = None,
    full_snapshot: bool = False,
    dry_run: bool = False,
    settings: Settings | None = None,
    batch: Batch | None = None,
) -> Outcome:
    """Import one source file/URL (or an already read ``batch``) as source ``source``."""
    job = _Job(source, fmt, location, full_snapshot, dry_run, settings or Settings())
    try:
        if batch is None:
            batch = read(fmt, location, options)
    except MalformedSource as exc:
        return job.fail(session, str(exc))
    # An import builds hundreds of thousands of small objects that all stay alive until the
    # commit; the cyclic garbage collector would rescan them again and again for nothing.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _run(session, batch, job)
    except Exception as exc:
        log.exception("import of %s failed", location)
        return job.fail(session, f"{type(exc).__name__}: {exc}")
    finally:
        if gc_was_enabled:
            gc.enable()


def _run(session: Session, batch: Batch, job: _Job) -> Outcome:
    settings = job.settings
    gaz = get_gazetteer()
    geocoder = Geocoder(
        gazetteer=gaz,
        nominatim_url=settings.geocoder_url or None,
        user_agent=settings.geocoder_user_agent,
        cache_path=settings.geocoder_cache,
    )
    # The entity id each record gets if it is new, known before normalising so that the
    # normalising process can prepare matching keys (importers.match_profiles.AheadKeys).
    # Ascending in record order: new entities are inserted in key order (see new_ids).
    ids = {
        "organization": new_ids(len(batch.organizations)),
        "location": new_ids(len(batch.locations)),
        "service": new_ids(len(batch.services)),
    }
    prepared = transform_batch(batch, gaz, geocoder, ids=ids)
    try:
        return _merge_and_write(session, batch, prepared, job, ids)
    finally:
        prepared.close()


def _merge_and_write(
    session: Session, batch: Batch, prepared: Any, job: _Job, ids: dict[str, list[str]]
) -> Outcome:
    ingest = Ingest(
        session,
        source=job.source,
        fmt=job.fmt,
        location=job.location,
        priority=job.settings.priority,
        full_snapshot=job.full_snapshot,
        dry_run=job.dry_run,
        batch_size=job.settings.batch_size,
    )
    merger = _Merger(ingest, job.settings, batch, ids, describe=job.dry_run)
    links = ingest.links()
    counts: Counter[str] = Counter()
    for kind in KINDS:
        merger.process(kind, prepared.iter(kind), links, counts)
    if job.full_snapshot:
        # A record rejected this time is still in the source: keep what it said before.
        kept = [links[key].id for key in prepared.rejected | merger.rejected if key in links]
        ingest.mark_seen(kept)
        counts["deactivated"] = ingest.deactivate_missing()
    counts["rejected"] = sum(1 for i in batch.issues if i.rejected)
    ingest.add_issues(batch.issues)
    warnings = sum(1 for i in batch.issues if not i.rejected)
    full = {k: counts.get(k, 0) for k in RUN_COUNTS}
    run = ingest.finish(full, warnings)
    outcome = Outcome(None if job.dry_run else run.id, run.status, full, list(batch.issues))
    outcome.changes = merger.changes
    return outcome


class _Merger:
    """Plans and writes one kind of entity at a time, keeping canonical ids per source id."""

    def __init__(
        self,
        ingest: Ingest,
        settings: Settings,
        batch: Batch,
        new_ids: dict[str, list[str]],
        describe: bool,
    ) -> None:
        self.new_ids = new_ids  # kind -> the id of each batch record if it is new
        self.ingest = ingest
        self.describe = describe
        self.changes: list[str] = []
        self.rejected: set[tuple[str, str]] = set()
        self.settings = settings
        self.batch = batch
        self.thresholds = matching.Thresholds(
            auto_merge=settings.auto_merge, review=settings.review
        )
        self.ids: dict[str, dict[str, str]] = {
            k: {} for k in KINDS
        }  # kind -> external -> canonical
        self.org_names: dict[str, str] = {}
        #: postcodes and coordinates per organization source id (batch_org_features)
        self.batch_features: Any = None

    # -- references ----------------------------------------------------------------------------

    def _resolve_refs(self, rec: Prepared) -> bool:
        """Point the document at canonical ids; False = rejected."""
        if rec.kind == "location":
            org = self.ids["organization"].get(rec.org_ref) if rec.org_ref else None
            if rec.org_ref and org is None:
                self.batch.reject(rec.ref, f"unknown organization {rec.org_ref}", "organization_id")
                self.rejected.add((rec.kind, rec.external_id))
                return False
            rec.doc["organization_id"] = org
        elif rec.kind == "service":
            org = self.ids["organization"].get(rec.org_ref) if rec.org_ref else None
            if org is None:
                why = (
                    f"unknown organization {rec.org_ref}"
                    if rec.org_ref
                    else "service has no organization"
                )
                self.batch.reject(rec.ref, why, "organization_id")
                self.rejected.add((rec.kind, rec.external_id))
                return False
            rec.doc["organization_id"] = org
            locations: set[str] = set()
            for ref in rec.location_refs:
                loc = self.ids["location"].get(ref)
                if loc is None:
                    self.batch.warn(rec.ref, f"unknown location {ref}", "location_id")
                else:
                    locations.add(loc)  # two source sites may have merged into one
            rec.doc["locations"] = [{"location_id": loc} for loc in sorted(locations)]
        return True

    # -- matching profiles ---------------------------------------------------------------------

    def _matcher(self, kind: str) -> matching.Matcher:
        matcher = matching.Matcher(kind, self.thresholds)
        rows = {
            "organization": self.ingest.organization_rows,
            "location": self.ingest.location_rows,
            "service": self.ingest.service_rows,
        }[kind]()
        for row in rows:
            if kind == "organization":
                self.org_names[row["id"]] = row["name"]
            matcher.add(profile_from_row(kind, row))
        return matcher

    def _keys(self, kind: str, entity_id: str, rec: Prepared) -> matching.Keys:
        """The matching keys of ``rec`` as entity ``entity_id``: the ones the normalising
        process prepared if they assumed exactly this id and these references."""
        d = rec.doc
        org_name = self.org_names.get(d.get("organization_id") or "")
        keys, rec.keys = rec.keys, None
        if keys is not None and rec.keys_basis == basis_of(kind, entity_id, d, org_name):
            return keys
        if kind == "organization":
            if self.batch_features is None:
                self.batch_features = batch_org_features(self.batch)
            postcodes, coords = self.batch_features
            ext = rec.external_id
            profile = org_profile(entity_id, d, postcodes.get(ext), coords.get(ext))
        elif kind == "location":
            profile = location_profile(entity_id, d, org_name)
        else:
            profile = service_profile(entity_id, d)
        return matching.prepare_keys(kind, profile)

    # -- one kind ------------------------------------------------------------------------------

    def process(
        self, kind: str, records: Iterable[Prepared], links: dict, counts: Counter[str]
    ) -> None:
        ingest = self.ingest
        redirects = ingest.redirects(kind)
        alive = ingest.existing_entities(kind)
        # Load the matcher before the first record arrives when some record is new: the
        # records may still be being normalised in the other process (importers.parallel).
        matcher = self._matcher(kind) if self._expects_new(kind, links) else None
        fresh_ids = self.new_ids[kind]
        created: dict[str, Doc] = {}
        plans: list[tuple[str, str, Prepared, Any]] = []  # (action, entity id, record, link)
        candidates: list[Doc] = []
        for rec in records:
            if not self._resolve_refs(rec):
                continue
            link = links.get((kind, rec.external_id))
            entity_id = _follow(link.entity_id, redirects) if link and link.entity_id else None
            if entity_id and entity_id not in alive and entity_id not in created:
                entity_id = None  # the entity is gone (should not happen: never deleted)
            if entity_id:
                action = (
                    "unchanged" if link.hash == rec.hash and link.status == "active" else "update"
                )
                plans.append((action, entity_id, rec, link))
                self.ids[kind][rec.external_id] = entity_id
                continue
            if matcher is None:
                matcher = self._matcher(kind)
            entity_id = fresh_ids[rec.index] if 0 <= rec.index < len(fresh_ids) else new_id()
            keys = self._keys(kind, entity_id, rec)
            best = matcher.best_match_keys(keys)
            if best and best[1].decision == "merge":
                entity_id = best[0]
                plans.append(("merge", entity_id, rec, link))
            else:
                created[entity_id] = rec.doc
                plans.append(("create", entity_id, rec, link))
                matcher.add_keys(keys)
                if best and best[1].decision == "review":
                    candidates.append(
                        {
                            "entity_type": kind,
                            "entity_id": entity_id,
                            "candidate_id": best[0],
                            "score": best[1].score,
                            "features": best[1].features,
                            "reasons": best[1].reasons,
                        }
                    )
            if kind == "organization":
                self.org_names[entity_id] = self.org_names.get(entity_id) or rec.doc["name"]
            self.ids[kind][rec.external_id] = entity_id
        self._write(kind, plans, created, candidates, counts)

    def _write(
        self,
        kind: str,
        plans: list,
        created: dict[str, Doc],
        candidates: list[Doc],
        counts: Counter[str],
    ) -> None:
        ingest, source, prio, now = (
            self.ingest,
            self.ingest.source.name,
            self.settings.priority,
            self.ingest.now,
        )
        targets = {eid for action, eid, _, _ in plans if action in ("update", "merge")} - set(
            created
        )
        docs = ingest.documents(kind, targets)
        shared = initial_sources(source, prio, now)  # one object: serialised once on insert
        for doc in created.values():
            doc["_field_sources"] = shared
        changes: dict[str, Doc] = {}
        history: list[Doc] = []
        touched: list[Doc] = []
        column = ENTITY_COLUMN[kind]
        # New source records column by column: tens of thousands of them in a big import.
        new_external: list[str] = []
        new_hash: list[str] = []
        new_raw: list[Any] = []
        new_entity: list[str] = []
        new_org: list[str | None] = []
        for action, eid, rec, link in plans:
            link_row = (
                {column: eid, "organization_id": rec.doc.get("organization_id")}
                if kind != "organization"
                else {column: eid}
            )
            if action == "unchanged":
                counts["unchanged"] += 1
                touched.append({"id": link.id, **link_row})
                continue
            if action != "create":
                base = created.get(eid) or docs.get(eid)
                change, old = survive(base, rec.doc, source, prio, now)
                if change:
                    base.update(change)
                    if eid not in created:
                        changes.setdefault(eid, {}).update(change)
                    history += ingest.history(
                        kind,
                        eid,
                        change,
                        old,
                        reason="merge" if action == "merge" else "import",
                        record_id=link.id if link else None,
                    )
                outcome = "merged" if action == "merge" else ("updated" if change else "unchanged")
                counts[outcome] += 1
                if self.describe and outcome != "unchanged":
                    fields = ", ".join(sorted(k for k in change if not k.startswith("_")))
                    self._describe(outcome, kind, rec, eid, f"fields: {fields or '-'}")
            else:
                counts["created"] += 1
                if self.describe:
                    self._describe("create", kind, rec, eid, "")
            if link is None:
                new_external.append(rec.external_id)
                new_hash.append(rec.hash)
                new_raw.append(rec.raw)
                new_entity.append(eid)
                new_org.append(rec.doc.get("organization_id"))
            else:
                payload = {"content_hash": rec.hash, "raw": rec.raw, **link_row}
                touched.append({"id": link.id, **payload})
        counts["review"] += len(candidates)
        ingest.create(kind, created)
        ingest.update(kind, changes)
        ingest.write_history(history)
        new_links = {
            "external_id": new_external,
            "content_hash": new_hash,
            "raw": new_raw,
            column: new_entity,
        }
        if kind != "organization":
            new_links["organization_id"] = new_org
        ingest.write_links(kind, new_links, touched)
        ingest.add_candidates(candidates)

    def _describe(self, action: str, kind: str, rec: Prepared, eid: str, detail: str) -> None:
        name = rec.doc.get("name") or ""
        line = f"{action} {kind} {rec.external_id!r} {name!r} -> {eid} {detail}".rstrip()
        self.changes.append(line)

    def _raw(self, kind: str) -> list[Any]:
        """The batch's records of ``kind`` as the reader gave them."""
        return {
            "organization": self.batch.organizations,
            "location": self.batch.locations,
            "service": self.batch.services,
        }[kind]

    def _expects_new(self, kind: str, links: dict) -> bool:
        """Whether some record of ``kind`` in the batch has no source record yet."""
        return any(
            r.external_id and (kind, str(r.external_id)) not in links for r in self._raw(kind)
        )


def _follow(entity_id: str, redirects: dict[str, str]) -> str:
    seen = set()
    while entity_id in redirects and entity_id not in seen:
        seen.add(entity_id)
        entity_id = redirects[entity_id]
    return entity_id
