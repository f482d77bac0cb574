"""Reading the directory as an Open Referral HSDS 3.0 API (the ``/hsds`` profile).

Only active records are exposed: status ``active`` and not merged away (a merged-away id in a
detail request resolves to the surviving record). Lists are HSDS ``Page`` objects. Each page
is built from a :class:`Bundle` filled with one grouped ``IN`` query per table.

Where HSDS leaves room:
- ``postcode`` keeps a result when its service has no structured service area or has one that
  covers the postcode (municipality, postcode, province, region or country).
- ``proximity`` is in metres (HSDS: "within meters from the centroid of the provided
  postcode"), needs ``postcode``, and orders the results nearest first. Confidential locations
  never match it: filtering on their hidden coordinates would disclose where they are.
- ``taxonomy_term_id`` takes a term UUID or code and includes the term's descendants.
- Schedule times are Europe/Brussels wall-clock time (``HH:MM``); HSDS offers only a fixed
  UTC offset, which daylight saving time would make wrong half of the year.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from sqlalchemy import Select
from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session

from search.query import Place
from search.scoring import bounding_box
from search.scoring import haversine_km
from socialmap import models as m
from socialmap.errors import NotFound
from socialmap.logic.hsds_bundle import Bundle
from socialmap.logic.hsds_bundle import active
from socialmap.logic.hsds_bundle import rows_by_id
from socialmap.logic.hsds_objects import organization
from socialmap.logic.hsds_services import all_terms
from socialmap.logic.hsds_services import find_term
from socialmap.logic.hsds_services import hsds_service
from socialmap.logic.hsds_services import service_at_location
from socialmap.logic.hsds_services import taxonomy_kind
from socialmap.logic.hsds_services import taxonomy_term
from socialmap.logic.hsds_services import with_descendants
from socialmap.logic.search import SearchArgumentError
from socialmap.logic.search import resolve_place
from socialmap.schemas.hsds import DEFAULT_PER_PAGE
from socialmap.taxonomy import fold

HSDS_VERSION = "3.0"
#: Base HSDS 3.0 documentation (homepage of the specification's data package).
PROFILE_URL = "http://docs.openreferral.org"


def root(openapi_url: str) -> dict[str, Any]:
    """The HSDS API root: version, profile and where the OpenAPI document is."""
    return {"version": HSDS_VERSION, "profile": PROFILE_URL, "openapi_url": openapi_url}


def hsds_page(
    contents: list[dict[str, Any]], total: int, page: int, per_page: int
) -> dict[str, Any]:
    """An HSDS ``Page``; ``size`` is the number of items on this page."""
    total_pages = math.ceil(total / per_page)
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": page,
        "size": len(contents),
        "first_page": page == 1,
        "last_page": page >= total_pages,
        "empty": not contents,
        "contents": contents,
    }


# -- services ------------------------------------------------------------------------------


def list_services(
    session: Session,
    *,
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
    search: str | None = None,
    taxonomy_term_id: str | None = None,
    taxonomy_id: str | None = None,
    organization_id: str | None = None,
    modified_after: dt.datetime | None = None,
    full: bool = False,
    lang: str = "nl",
) -> dict[str, Any]:
    """A page of active services by name; ``full`` nests every related list.
    :raise SearchArgumentError: unknown taxonomy term or taxonomy."""
    s = m.Service
    where = _service_filters(
        session, search, taxonomy_term_id, taxonomy_id, organization_id, modified_after
    )
    q = _with_organization(select(s.id)).where(*where)
    total, ids = _paged(session, q.order_by(s.name, s.id), page, per_page)
    bundle = Bundle(session, lang)
    bundle.add_services(ids, full=full)
    contents = [hsds_service(bundle.services[i], bundle, full=full) for i in ids]
    return hsds_page(contents, total, page, per_page)


def get_service(session: Session, service_id: str, *, lang: str = "nl") -> dict[str, Any]:
    """One fully nested service. :raise NotFound: unknown, inactive or merged into nothing."""
    service = _surviving(session, m.Service, service_id)
    org = session.get(m.Organization, service.organization_id) if service else None
    if service is None or org is None or not _visible(org):
        raise NotFound(f"service {service_id} not found")
    bundle = Bundle(session, lang)
    bundle.add_services([service.id], full=True)
    return hsds_service(service, bundle, full=True)


# -- services at locations -------------------------------------------------------------------


def list_service_at_locations(
    session: Session,
    *,
    postcode: str | None = None,
    proximity: float | None = None,
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
    search: str | None = None,
    taxonomy_term_id: str | None = None,
    taxonomy_id: str | None = None,
    organization_id: str | None = None,
    modified_after: dt.datetime | None = None,
    full: bool = False,
    lang: str = "nl",
) -> dict[str, Any]:
    """A page of active services at active locations; with ``postcode`` only those whose
    service area covers it, with ``proximity`` (metres) only those that near, nearest first.
    :raise SearchArgumentError: unknown postcode, term or taxonomy; proximity without postcode.
    """
    s, loc, link = m.Service, m.Location, m.ServiceAtLocation
    where = _service_filters(
        session, search, taxonomy_term_id, taxonomy_id, organization_id, modified_after, loc.name
    )
    where += active(loc)
    if proximity is not None and not postcode:
        raise SearchArgumentError({"proximity": ["proximity needs a postcode"]})
    place = _place(postcode) if postcode else None
    if place is not None:
        where.append(_area_covers(place))
    q = _with_organization(
        select(link.id).join(s, s.id == link.service_id).join(loc, loc.id == link.location_id)
    ).where(*where)
    if place is not None and proximity is not None:
        total, ids = _nearest(session, q, place, proximity / 1000, page, per_page)
    else:
        total, ids = _paged(session, q.order_by(s.name, link.id), page, per_page)
    links = {x.id: x for x in rows_by_id(session, link, ids)}
    bundle = Bundle(session, lang)
    bundle.add_links(links.values(), full=full)
    contents = [service_at_location(links[i], bundle, full=full) for i in ids]
    return hsds_page(contents, total, page, per_page)


def get_service_at_location(session: Session, link_id: str, *, lang: str = "nl") -> dict[str, Any]:
    """One service at location with its full location and its service. :raise NotFound:"""
    link = session.get(m.ServiceAtLocation, link_id)
    bundle = Bundle(session, lang)
    if link is not None:
        bundle.add_links([link], full=True)
    service = bundle.services.get(link.service_id) if link else None
    org = bundle.organizations.get(service.organization_id) if service else None
    if link is None or link.location_id not in bundle.locations or not _visible(service, org):
        raise NotFound(f"service_at_location {link_id} not found")
    return service_at_location(link, bundle, full=True)


def _place(postcode: str) -> Place:
    try:
        place = resolve_place(postcode, None, None)
    except SearchArgumentError as exc:
        raise SearchArgumentError({"postcode": exc.fields.get("place", ["unknown"])}) from exc
    if place is None or place.point is None:
        raise SearchArgumentError({"postcode": [f"unknown postcode {postcode!r}"]})
    return place


def _area_covers(place: Place) -> Any:
    """The service has no structured service area, or one that covers ``place``."""
    a = m.ServiceArea
    codes = [code.split(":", 1) for code in place.area_codes()]
    structured = select(a.service_id).where(a.kind != "text", a.code.is_not(None))
    covering = select(a.service_id).where(or_(*(and_(a.kind == k, a.code == c) for k, c in codes)))
    return or_(m.Service.id.not_in(structured), m.Service.id.in_(covering))


def _nearest(
    session: Session, q: Select, place: Place, km: float, page: int, per_page: int
) -> tuple[int, list[str]]:
    """Public (non-confidential) locations within ``km`` of the place, nearest first."""
    loc = m.Location
    lat, lon = place.point or (0.0, 0.0)
    min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, km)
    rows = session.execute(
        q.add_columns(loc.latitude, loc.longitude, m.Service.name).where(
            loc.confidential.is_(False),
            loc.latitude.between(min_lat, max_lat),
            loc.longitude.between(min_lon, max_lon),
        )
    )
    near = sorted(
        (distance, name, link_id)
        for link_id, y, x, name in rows
        if (distance := haversine_km(lat, lon, y, x)) <= km
    )
    start = (page - 1) * per_page
    return len(near), [link_id for _, _, link_id in near[start : start + per_page]]


# -- taxonomy terms --------------------------------------------------------------------------


def list_taxonomy_terms(
    session: Session,
    *,
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
    taxonomy: str | None = None,
    parent_id: str | None = None,
    top_only: bool = False,
    search: str | None = None,
    lang: str = "nl",
) -> dict[str, Any]:
    """A page of needs and target-group terms in taxonomy order.
    :raise SearchArgumentError: unknown taxonomy or parent term."""
    terms = sorted(all_terms(session).values(), key=lambda t: (t.kind, t.position, t.code))
    if taxonomy:
        kind = _taxonomy_kind(taxonomy)
        terms = [t for t in terms if t.kind == kind]
    if parent_id:
        parent = _term(session, parent_id, "parent_id")
        terms = [t for t in terms if t.parent_code == parent.code]
    if top_only:
        terms = [t for t in terms if t.parent_code is None]
    for word in fold(search or "").split():
        terms = [t for t in terms if word in fold(" ".join([t.code, *t.labels.values()]))]
    start = (page - 1) * per_page
    contents = [taxonomy_term(t, lang) for t in terms[start : start + per_page]]
    return hsds_page(contents, len(terms), page, per_page)


def get_taxonomy_term(session: Session, ident: str, *, lang: str = "nl") -> dict[str, Any]:
    """One term by its UUID or its code. :raise NotFound:"""
    found = find_term(all_terms(session), ident)
    if found is None:
        raise NotFound(f"taxonomy_term {ident} not found")
    return taxonomy_term(found, lang)


def _term(session: Session, ident: str, field: str) -> m.TaxonomyTerm:
    found = find_term(all_terms(session), ident)
    if found is None:
        raise SearchArgumentError({field: [f"unknown taxonomy term {ident!r}"]})
    return found


def _taxonomy_kind(ident: str) -> str:
    kind = taxonomy_kind(ident)
    if kind is not None:
        return kind
    raise SearchArgumentError({"taxonomy_id": [f"unknown taxonomy {ident!r}"]})


# -- organizations ---------------------------------------------------------------------------


def list_organizations(
    session: Session,
    *,
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
    search: str | None = None,
    full: bool = False,
    full_service: bool = False,
    lang: str = "nl",
) -> dict[str, Any]:
    """A page of active organizations by name; ``full`` nests identifiers, phones, contacts,
    locations and services, ``full_service`` makes those services fully nested."""
    o = m.Organization
    where = [*active(o), *_text_match(search, o.name, o.alternate_name, o.description)]
    total, ids = _paged(session, select(o.id).where(*where).order_by(o.name, o.id), page, per_page)
    bundle = Bundle(session, lang)
    bundle.organizations.update((x.id, x) for x in rows_by_id(session, o, ids))
    nested = full or full_service
    if nested:
        bundle.add_organization_details(ids, full_service=full_service)
    contents = [
        _organization(bundle.organizations[i], bundle, nested, full_service=full_service)
        for i in ids
    ]
    return hsds_page(contents, total, page, per_page)


def get_organization(
    session: Session, organization_id: str, *, full_service: bool = False, lang: str = "nl"
) -> dict[str, Any]:
    """One organization, fully nested, with its services. :raise NotFound:"""
    org = _surviving(session, m.Organization, organization_id)
    if org is None:
        raise NotFound(f"organization {organization_id} not found")
    bundle = Bundle(session, lang)
    bundle.organizations[org.id] = org
    bundle.add_organization_details([org.id], full_service=full_service)
    return _organization(org, bundle, True, full_service=full_service)


def _organization(
    org: m.Organization, b: Bundle, nested: bool, *, full_service: bool
) -> dict[str, Any]:
    out = organization(org, b, full=nested)
    if nested:
        services = sorted(
            (s for s in b.services.values() if s.organization_id == org.id),
            key=lambda s: (s.name, s.id),
        )
        out["services"] = [hsds_service(s, b, full=full_service) for s in services]
    return out


# -- shared ----------------------------------------------------------------------------------


def _visible(*rows: Any) -> bool:
    return all(r is not None and r.status == "active" and not r.merged_into_id for r in rows)


def _surviving(session: Session, model: Any, ident: str) -> Any:
    """The active record for ``ident``, following merges; None when there is none."""
    row = session.get(model, ident)
    for _ in range(10):  # merge chains are short; the bound guards against a cycle
        if row is None or not row.merged_into_id:
            break
        row = session.get(model, row.merged_into_id)
    return row if _visible(row) else None


def _paged(session: Session, q: Select, page: int, per_page: int) -> tuple[int, list[str]]:
    total = session.scalar(select(func.count()).select_from(q.order_by(None).subquery())) or 0
    ids = list(session.scalars(q.limit(per_page).offset((page - 1) * per_page)))
    return total, ids


def _with_organization(q: Select) -> Select:
    o = m.Organization
    return q.join(o, o.id == m.Service.organization_id).where(*active(o))


def _text_match(search: str | None, *columns: Any) -> list[Any]:
    """Every word of ``search`` in one of ``columns`` (case-insensitive)."""
    return [
        or_(*(c.icontains(word, autoescape=True) for c in columns))
        for word in (search or "").split()
    ]


def _service_filters(
    session: Session,
    search: str | None,
    term: str | None,
    taxonomy: str | None,
    organization_id: str | None,
    modified_after: dt.datetime | None,
    *text_columns: Any,
) -> list[Any]:
    s = m.Service
    where: list[Any] = [*active(s)]
    where += _text_match(
        search, s.name, s.alternate_name, s.description, m.Organization.name, *text_columns
    )
    if organization_id:
        where.append(s.organization_id == organization_id)
    if modified_after is not None:
        where.append(s.last_modified >= modified_after)
    if term:
        found = _term(session, term, "taxonomy_term_id")
        table = m.service_need if found.kind == "need" else m.service_target_group
        codes = with_descendants(all_terms(session), found.code)
        where.append(s.id.in_(select(table.c.service_id).where(table.c.term_code.in_(codes))))
    if taxonomy:
        table = m.service_need if _taxonomy_kind(taxonomy) == "need" else m.service_target_group
        where.append(s.id.in_(select(table.c.service_id)))
    return where
