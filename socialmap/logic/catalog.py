"""Reading the directory: service listings and details for the public and the API.

Confidential locations never leave this module with their address or coordinates: the public
view carries the ``front_door`` contact instead.
"""

from __future__ import annotations

import time
from typing import Any

from flask import current_app
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from socialmap import models as m
from socialmap.errors import NotFound
from socialmap.logic.documents import LOCATION
from socialmap.logic.documents import ORGANIZATION
from socialmap.logic.documents import SERVICE
from socialmap.logic.documents import load_documents

PUBLIC_HIDDEN_WHEN_CONFIDENTIAL = ("addresses", "latitude", "longitude", "geo_precision")

#: Sources loaded by ``flask demo load`` carry this description; while one is present every
#: listing says that the data is fictional.
DEMO_DESCRIPTION = "FICTIONAL DEMO DATA"
DEMO_NOTICE = (
    "FICTIEVE DEMODATA - données de démonstration fictives - fictional demo data: "
    "these welfare listings are invented."
)


NOTICE_TTL_SECONDS = 10.0
_NOTICE_CACHE = "socialmap_demo_notice"


def demo_notice(session: Session) -> str | None:
    """The fictional-data notice when demo sources are loaded, else None.

    Asked on every API response, so the answer is kept per app for NOTICE_TTL_SECONDS
    (loading demo data in this process clears it at once).
    """
    cache = current_app.extensions.setdefault(_NOTICE_CACHE, {})
    now = time.monotonic()
    kept = cache.get("notice")
    if kept is not None and kept[0] > now:
        return kept[1]
    found = session.scalar(
        select(m.Source.id).where(m.Source.description == DEMO_DESCRIPTION).limit(1)
    )
    notice = DEMO_NOTICE if found else None
    cache["notice"] = (now + NOTICE_TTL_SECONDS, notice)
    return notice


def mark_demo_source(session: Session, name: str) -> None:
    """Label a source as fictional demo data (does not commit)."""
    current_app.extensions.pop(_NOTICE_CACHE, None)
    source = session.scalar(select(m.Source).where(m.Source.name == name))
    if source is not None:
        source.description = DEMO_DESCRIPTION


def list_services(
    session: Session,
    *,
    page: int = 1,
    per_page: int = 50,
    organization_id: str | None = None,
    need: str | None = None,
    status: str = "active",
) -> tuple[list[dict[str, Any]], int]:
    """A page of services (summary documents) and the total count."""
    s = m.Service.__table__
    q = select(s.c.id).where(s.c.status == status)
    if organization_id:
        q = q.where(s.c.organization_id == organization_id)
    if need:
        q = q.where(
            s.c.id.in_(
                select(m.service_need.c.service_id).where(m.service_need.c.term_code == need)
            )
        )
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    ids = list(
        session.scalars(q.order_by(s.c.name, s.c.id).limit(per_page).offset((page - 1) * per_page))
    )
    return [service_document(session, i, public=True, docs=_bulk(session, ids)) for i in ids], total


def _bulk(session: Session, ids: list[str]) -> dict[str, Any]:
    services = load_documents(session, SERVICE, ids)
    org_ids = {d["organization_id"] for d in services.values()}
    loc_ids = {x["location_id"] for d in services.values() for x in d["locations"]}
    return {
        "service": services,
        "organization": load_documents(session, ORGANIZATION, org_ids),
        "location": load_documents(session, LOCATION, loc_ids),
    }


def service_document(
    session: Session, service_id: str, *, public: bool = True, docs: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One service with its organization and locations nested (HSDS-like).
    :raise NotFound:"""
    docs = docs or _bulk(session, [service_id])
    doc = docs["service"].get(service_id)
    if doc is None:
        raise NotFound(f"service {service_id} not found")
    out = _clean(doc)
    out["id"] = service_id
    out["organization"] = {
        "id": doc["organization_id"],
        **_clean(docs["organization"][doc["organization_id"]]),
    }
    out["locations"] = []
    for link in doc["locations"]:
        loc = docs["location"].get(link["location_id"])
        if loc is None:
            continue
        item = {"id": link["location_id"], **_clean(loc)}
        if public and item.get("confidential"):
            for key in PUBLIC_HIDDEN_WHEN_CONFIDENTIAL:
                item.pop(key, None)
        out["locations"].append(item)
    out["intake"] = doc["intake"][0] if doc["intake"] else None
    out["capacity"] = doc["capacity"][0] if doc["capacity"] else None
    out["needs"] = [x["term_code"] for x in doc["needs"]]
    out["target_groups"] = [x["term_code"] for x in doc["target_groups"]]
    return out


def get_service(session: Session, service_id: str, *, public: bool = True) -> dict[str, Any]:
    """Resolve merged-away ids to the surviving service. :raise NotFound:"""
    service = session.get(m.Service, service_id)
    if service is None:
        raise NotFound(f"service {service_id} not found")
    if service.merged_into_id:
        return get_service(session, service.merged_into_id, public=public)
    return service_document(session, service_id, public=public)


def _clean(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if not k.startswith("_")}


def field_history(session: Session, entity_type: str, entity_id: str) -> list[m.FieldHistory]:
    q = (
        select(m.FieldHistory)
        .where(m.FieldHistory.entity_type == entity_type, m.FieldHistory.entity_id == entity_id)
        .order_by(m.FieldHistory.id)
    )
    return list(session.scalars(q))
