"""Keeping the search index true to the database.

* :func:`index_documents` turns active services into :class:`search.IndexDocument` s (one
  per service at location; confidential locations give no coordinates);
* :func:`reindex` rebuilds the whole index (``flask search reindex``, after imports);
* :func:`watch_session` pushes the services a committed transaction changed to the index
  after the commit; a failing push never fails the save: it is logged and the services are
  kept in ``search_backlog`` until :func:`sync_backlog` indexes them;
* :func:`check` compares database and index (``flask search check``, the health check).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Iterator
from typing import Any

from flask import Flask
from flask import current_app
from sqlalchemy import delete
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from search.backend import IndexUnavailable
from search.backend import SearchBackend
from search.backend import make_backend
from search.document import IndexDocument
from search.document import document_id
from search.hours import weekly_interval
from search.needs import NeedTerm
from search.needs import NeedVocabulary
from search.query import area_code
from socialmap import models as m
from socialmap import taxonomy
from socialmap.extensions import db
from socialmap.extensions import on_commit

log = logging.getLogger(__name__)
CHUNK = 2000
EXTENSION = "socialmap_search"


# ---------------------------------------------------------------- backend and vocabulary


def get_backend(app: Flask | None = None) -> SearchBackend:
    """The app's search backend (one per app, created on first use)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    backend = app.extensions.get(EXTENSION)
    if backend is None:
        kind = app.config["SEARCH_BACKEND"]
        backend = make_backend(
            kind,
            path=app.config["SEARCH_INDEX_PATH"],
            url=app.config["ELASTICSEARCH_URL"],
            index=app.config["ELASTICSEARCH_INDEX"],
            client=app.config.get("ELASTICSEARCH_CLIENT"),
        )
        app.extensions[EXTENSION] = backend
    return backend


@functools.lru_cache(maxsize=1)
def need_vocabulary() -> NeedVocabulary:
    """The need taxonomy as the search package sees it (built once per process)."""
    return NeedVocabulary(
        NeedTerm(t.code, t.parent, dict(t.labels), {k: tuple(v) for k, v in t.synonyms.items()})
        for t in taxonomy.needs()
    )


# ---------------------------------------------------------------- documents


def index_documents(
    session: Session, service_ids: Iterable[str] | None = None
) -> Iterator[IndexDocument]:
    """Index documents of active services (all, or those of ``service_ids``)."""
    s = m.Service.__table__
    q = select(s.c.id).where(s.c.status == "active").order_by(s.c.id)
    if service_ids is not None:
        wanted = sorted(set(service_ids))
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            ids = list(session.scalars(q.where(s.c.id.in_(chunk))))
            yield from _documents(session, ids)
        return
    ids = list(session.scalars(q))
    for start in range(0, len(ids), CHUNK):
        yield from _documents(session, ids[start : start + CHUNK])


def _grouped(session: Session, stmt: Any) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = defaultdict(list)
    for row in session.execute(stmt):
        out[row[0]].append(row)
    return out


def _by(session: Session, key: Any, keys: Iterable[str], *columns: Any, where: Any = None):
    """Rows (key, *columns) grouped by key, for the given keys."""
    stmt = select(key, *columns).where(key.in_(list(keys)))
    return _grouped(session, stmt if where is None else stmt.where(where))


def _documents(session: Session, ids: list[str]) -> list[IndexDocument]:
    if not ids:
        return []
    s, o = m.Service.__table__, m.Organization.__table__
    loc, addr = m.Location.__table__, m.Address.__table__
    sal = m.ServiceAtLocation.__table__
    services = session.execute(
        select(
            s.c.id, s.c.organization_id, s.c.name, s.c.alternate_name, s.c.description,
            s.c.eligibility_description, s.c.is_free, s.c.minimum_age, s.c.maximum_age,
            s.c.text_language, s.c.translations, s.c.last_modified, o.c.name,
        )
        .join(o, o.c.id == s.c.organization_id)
        .where(s.c.id.in_(ids))
    ).all()  # fmt: skip
    sites = _grouped(
        session,
        select(sal.c.service_id, loc.c.id, loc.c.latitude, loc.c.longitude, loc.c.confidential)
        .join(loc, loc.c.id == sal.c.location_id)
        .where(sal.c.service_id.in_(ids), loc.c.status == "active"),
    )
    location_ids = {row[1] for rows in sites.values() for row in rows}
    municipality = {
        row[0]: row[1]
        for row in session.execute(
            select(addr.c.location_id, addr.c.municipality_nis)
            .where(addr.c.location_id.in_(location_ids), addr.c.municipality_nis.is_not(None))
            .order_by(addr.c.address_type.desc())  # physical before postal
        )
    }
    need, group = m.service_need.c, m.service_target_group.c
    lang, area = m.Language.__table__.c, m.ServiceArea.__table__.c
    cap, intake = m.ServiceCapacity.__table__.c, m.IntakeProcedure.__table__.c
    needs = _by(session, need.service_id, ids, need.term_code)
    groups = _by(session, group.service_id, ids, group.term_code)
    languages = _by(session, lang.service_id, ids, lang.code)
    location_languages = _by(session, lang.location_id, location_ids, lang.code)
    areas = _by(session, area.service_id, ids, area.kind, area.code)
    capacity = {k: rows[0][1] for k, rows in _by(session, cap.service_id, ids, cap.status).items()}
    accepts = {
        k: rows[0][1]
        for k, rows in _by(session, intake.service_id, ids, intake.accepts_referrals).items()
    }
    today = dt.date.today()
    sch, clo = m.Schedule.__table__.c, m.Closure.__table__.c
    valid = (sch.valid_from.is_(None) | (sch.valid_from <= today)) & (
        sch.valid_to.is_(None) | (sch.valid_to >= today)
    )
    slot = (sch.weekday, sch.opens_at, sch.closes_at)
    service_hours = _by(session, sch.service_id, ids, *slot, where=valid)
    location_hours = _by(session, sch.location_id, location_ids, *slot, where=valid)
    # Closures for part of a day do not close the service for the day.
    full_day = clo.opens_at.is_(None) & (clo.end_date.is_(None) | (clo.end_date >= today))
    period = (clo.start_date, clo.end_date)
    service_closures = _by(session, clo.service_id, ids, *period, where=full_day)
    location_closures = _by(session, clo.location_id, location_ids, *period, where=full_day)
    out: list[IndexDocument] = []
    for row in services:
        (sid, org_id, name, alt, description, eligibility, is_free, age_min, age_max,
         text_language, translations, last_modified, org_name) = row  # fmt: skip
        texts = _texts(
            text_language or "nl", translations or {}, name, alt, description, eligibility, org_name
        )
        service_areas = [
            area_code(kind, code) for _, kind, code in areas.get(sid, ()) if code and kind != "text"
        ]
        base = {
            "service_id": sid,
            "organization_id": org_id,
            "name": name,
            "organization_name": org_name,
            "texts": texts,
            "needs": sorted({r[1] for r in needs.get(sid, ())}),
            "target_groups": sorted({r[1] for r in groups.get(sid, ())}),
            "age_min": age_min,
            "age_max": age_max,
            "free": is_free,
            "capacity": capacity.get(sid) or "unknown",
            "accepts_referrals": bool(accepts.get(sid)),
            "updated": last_modified,
        }
        service_langs = {r[1] for r in languages.get(sid, ())}
        for _, location_id, lat, lon, confidential in sites.get(sid) or [
            (sid, None, None, None, False)
        ]:
            langs = service_langs | {r[1] for r in location_languages.get(location_id, ())}
            hours_rows = service_hours.get(sid) or location_hours.get(location_id, [])
            closures = service_closures.get(sid, []) + location_closures.get(location_id, [])
            nis = municipality.get(location_id)
            doc_areas = list(service_areas)
            if confidential and nis:
                # A confidential site is findable by its municipality, never by its position.
                doc_areas.append(area_code("municipality", nis))
            out.append(
                IndexDocument(
                    id=document_id(sid, location_id),
                    location_id=location_id,
                    lat=None if confidential else lat,
                    lon=None if confidential else lon,
                    municipality=nis,
                    areas=sorted(set(doc_areas)),
                    languages=sorted(langs or {text_language or "nl"}),
                    hours=sorted(
                        iv for _, wd, o, c in hours_rows for iv in weekly_interval(wd or 0, o, c)
                    ),
                    closures=[(start, end or start) for _, start, end in closures],
                    **base,
                )
            )
    return out


def _texts(
    lang: str,
    translations: dict[str, dict[str, str]],
    name: str,
    alternate_name: str | None,
    description: str | None,
    eligibility: str | None,
    organization_name: str,
) -> dict[str, dict[str, str]]:
    """Per language: the name, and a body of the other searchable texts."""
    body = " ".join(p for p in (alternate_name, organization_name, description, eligibility) if p)
    texts = {lang: {"name": name, "body": body}}
    for other, fields in translations.items():
        if other in texts or other not in ("nl", "fr", "en"):
            continue
        parts = [fields.get("alternate_name"), fields.get("description")]
        texts[other] = {
            "name": fields.get("name") or "",
            "body": " ".join(p for p in parts if p),
        }
    return texts


# ---------------------------------------------------------------- rebuilding and pushing


def reindex(session: Session, backend: SearchBackend | None = None) -> int:
    """Rebuild the whole index from the database; clears the backlog."""
    backend = backend or get_backend()
    started = dt.datetime.now(dt.UTC)
    count = backend.rebuild(index_documents(session), need_vocabulary())
    session.execute(delete(m.SearchBacklog).where(m.SearchBacklog.failed_at <= started))
    session.commit()
    return count


def push_services(session: Session, service_ids: Iterable[str], backend: SearchBackend) -> int:
    """Replace the documents of these services in the index (removed ones disappear)."""
    ids = sorted(set(service_ids))
    if not ids:
        return 0
    docs = list(index_documents(session, ids))
    backend.delete_services(ids)
    return backend.upsert(docs)


def services_of(session: Session, kind: str, ids: Iterable[str]) -> set[str]:
    """Services whose index documents depend on these organisations/locations/services."""
    ids = set(ids)
    if not ids:
        return set()
    if kind == "service":
        return ids
    with session.no_autoflush:
        if kind == "location":
            sal = m.ServiceAtLocation.__table__
            stmt = select(sal.c.service_id).where(sal.c.location_id.in_(ids))
        elif kind == "organization":
            s = m.Service.__table__
            stmt = select(s.c.id).where(s.c.organization_id.in_(ids))
        else:
            raise ValueError(f"unknown entity kind {kind!r}")
        return set(session.scalars(stmt))


#: Modules of the models that index documents are built from.
_DIRECTORY_MODULES = frozenset(
    f"socialmap.models.{name}"
    for name in ("service", "organization", "location", "contact", "schedule")
)


def _changed_services(session: Session, instances: Iterable[Any]) -> set[str]:
    """Services whose index documents an ORM change can alter."""
    ids: dict[str, set[str]] = {"service": set(), "location": set(), "organization": set()}
    for obj in instances:
        if type(obj).__module__ not in _DIRECTORY_MODULES:
            continue  # referrals, accounts, notifications: not part of any document
        if isinstance(obj, m.Service):
            ids["service"].add(obj.id)
        elif isinstance(obj, m.Organization):
            ids["organization"].add(obj.id)
        elif isinstance(obj, m.Location):
            ids["location"].add(obj.id)
        elif isinstance(obj, m.Address):
            ids["location"].add(obj.location_id)
        elif getattr(obj, "service_id", None):
            ids["service"].add(obj.service_id)
        elif getattr(obj, "location_id", None):
            ids["location"].add(obj.location_id)
    return set().union(*(services_of(session, kind, keys) for kind, keys in ids.items()))


def push_after_commit(session: Session, service_ids: Iterable[str]) -> None:
    """Update these services in the index once ``session`` commits (Core updates, which the
    ORM watcher cannot see, call this themselves)."""
    service_ids = set(service_ids)
    if not service_ids:
        return
    pending = session.info.setdefault("search_push", set())
    if not pending:
        on_commit(lambda: _push_after_commit(pending), session)
    pending.update(service_ids)


def watch_session(session_factory: Any) -> None:
    """Push services changed through the ORM to the index after each commit."""

    @event.listens_for(session_factory, "before_flush")
    def _collect(session: Session, _context: Any, _instances: Any) -> None:
        changed = list(session.new) + list(session.dirty) + list(session.deleted)
        push_after_commit(session, _changed_services(session, changed))


def _push_after_commit(service_ids: set[str]) -> None:
    ids = sorted(service_ids)
    service_ids.clear()
    try:
        with Session(db.engine) as session:
            push_services(session, ids, get_backend())
    except Exception:
        # The user's save stands; the index catches up from the backlog.
        log.exception("search index update failed for %d service(s)", len(ids))
        with Session(db.engine) as session:
            now = dt.datetime.now(dt.UTC)
            session.add_all(m.SearchBacklog(service_id=sid, failed_at=now) for sid in ids)
            session.commit()


def sync_backlog(session: Session, backend: SearchBackend | None = None) -> int:
    """Index the services whose push failed; returns how many were pushed."""
    backend = backend or get_backend()
    rows = session.execute(select(m.SearchBacklog.service_id).distinct()).scalars().all()
    if not rows:
        return 0
    push_services(session, rows, backend)
    session.execute(delete(m.SearchBacklog).where(m.SearchBacklog.service_id.in_(rows)))
    session.commit()
    return len(rows)


def _backlog(session: Session) -> tuple[int, float]:
    """(services waiting for an index update, seconds the oldest has waited)."""
    count, oldest = session.execute(
        select(func.count(), func.min(m.SearchBacklog.failed_at)).select_from(m.SearchBacklog)
    ).one()
    lag = (dt.datetime.now(dt.UTC) - oldest).total_seconds() if oldest else 0.0
    return count or 0, lag


def health(session: Session, backend: SearchBackend | None = None) -> dict[str, Any]:
    """Cheap health of the index for monitoring: backend stats, backlog and its lag."""
    backend = backend or get_backend()
    backlog, lag = _backlog(session)
    try:
        stats = backend.stats()
        reachable = True
    except Exception as exc:  # the health check reports, it does not fail
        stats, reachable = {"backend": backend.name, "error": type(exc).__name__}, False
    stats.pop("path", None)  # a public endpoint does not tell where files live
    return {
        "status": "ok" if reachable and not backlog else "degraded",
        "backlog": backlog,
        "lag_seconds": round(lag, 1),
        **stats,
    }


def check(session: Session, backend: SearchBackend | None = None) -> dict[str, Any]:
    """Compare the database with the index: counts, missing and extra ids, lag."""
    backend = backend or get_backend()
    expected = {doc.id for doc in index_documents(session)}
    error = None
    try:
        indexed = backend.ids()
    except IndexUnavailable as exc:
        indexed, error = set(), str(exc)
    missing, extra = sorted(expected - indexed), sorted(indexed - expected)
    backlog, lag = _backlog(session)
    return {
        "ok": not missing and not extra and not backlog and error is None,
        "error": error,
        "database": len(expected),
        "index": len(indexed),
        "missing": missing[:20],
        "missing_count": len(missing),
        "extra": extra[:20],
        "extra_count": len(extra),
        "backlog": backlog,
        "lag_seconds": round(lag, 1),
        "stats": backend.stats() if error is None else {"backend": backend.name},
    }
