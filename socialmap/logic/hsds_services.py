"""HSDS 3.0 service, service_at_location and taxonomy_term objects, built from a
:class:`~socialmap.logic.hsds_bundle.Bundle` (see :mod:`socialmap.logic.hsds`).

Needs and target groups become HSDS ``attributes`` of the service (``link_type`` ``need`` or
``target_group``), each with its taxonomy term nested. Term and taxonomy ids are UUIDs derived
from the codes, so they are stable across databases.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from socialmap import models as m
from socialmap.gazetteer import get_gazetteer
from socialmap.logic.hsds_bundle import Bundle
from socialmap.logic.hsds_objects import REGIONS
from socialmap.logic.hsds_objects import STATUSES
from socialmap.logic.hsds_objects import TAXONOMIES
from socialmap.logic.hsds_objects import compact
from socialmap.logic.hsds_objects import contact
from socialmap.logic.hsds_objects import derived_id
from socialmap.logic.hsds_objects import email_or_none
from socialmap.logic.hsds_objects import iso_date
from socialmap.logic.hsds_objects import iso_datetime
from socialmap.logic.hsds_objects import language
from socialmap.logic.hsds_objects import location
from socialmap.logic.hsds_objects import organization
from socialmap.logic.hsds_objects import phone
from socialmap.logic.hsds_objects import schedules
from socialmap.logic.hsds_objects import sorted_rows
from socialmap.logic.hsds_objects import taxonomy_id
from socialmap.logic.hsds_objects import term_id
from socialmap.logic.hsds_objects import text

_BELGIUM = {"nl": "België", "fr": "Belgique", "en": "Belgium"}


def hsds_service(service: m.Service, b: Bundle, *, full: bool = True) -> dict[str, Any]:
    """An HSDS service: the one-to-one fields and its organization, plus (``full``) every
    nested list: phones, schedules, areas, locations, languages, costs, documents, contacts,
    attributes (needs and target groups)."""
    sid = service.id
    intake = b.kids(m.IntakeProcedure, "service_id", sid)
    org = b.organizations.get(service.organization_id)
    out = compact(
        {
            "id": sid,
            "organization_id": service.organization_id,
            "name": text(service, "name", b.lang),
            "alternate_name": text(service, "alternate_name", b.lang),
            "description": text(service, "description", b.lang),
            "url": service.url,
            "email": email_or_none(service.email),
            "status": service.status if service.status in STATUSES else "inactive",
            "application_process": _application_process(intake[0], b.lang) if intake else None,
            "fees_description": text(service, "fees_description", b.lang),
            "accreditations": service.accreditations,
            "eligibility_description": text(service, "eligibility_description", b.lang),
            "minimum_age": service.minimum_age,
            "maximum_age": service.maximum_age,
            "assured_date": iso_date(service.assured_date),
            "assurer_email": email_or_none(service.assurer),
            "licenses": service.licenses,
            "alert": text(service, "alert", b.lang),
            "last_modified": iso_datetime(service.last_modified),
            "organization": organization(org, b) if org is not None else None,
        }
    )
    if not full:
        return out
    out["phones"] = [phone(p) for p in sorted_rows(b.kids(m.Phone, "service_id", sid), "number")]
    out["schedules"] = schedules(b.kids(m.Schedule, "service_id", sid))
    areas = sorted_rows(b.kids(m.ServiceArea, "service_id", sid), "kind", "code", "name")
    out["service_areas"] = [service_area(a, b.lang) for a in areas]
    links = sorted_rows(b.kids(m.ServiceAtLocation, "service_id", sid), "location_id")
    out["service_at_locations"] = [
        service_at_location(x, b, full=True, nest_service=False)
        for x in links
        if x.location_id in b.locations
    ]
    langs = sorted_rows(b.kids(m.Language, "service_id", sid), "code")
    out["languages"] = [language(x) for x in langs]
    costs = sorted_rows(b.kids(m.CostOption, "service_id", sid), "option", "amount")
    out["cost_options"] = [cost_option(c) for c in costs]
    docs = sorted_rows(b.kids(m.RequiredDocument, "service_id", sid), "document")
    out["required_documents"] = [
        {"id": d.id, "service_id": d.service_id, "document": d.document} for d in docs
    ]
    contacts = sorted_rows(b.kids(m.Contact, "service_id", sid), "name")
    out["contacts"] = [contact(c) for c in contacts]
    out["attributes"] = [
        attribute(sid, kind, code, b)
        for kind, code in sorted(b.term_links.get(sid, ()))
        if code in b.terms
    ]
    return out


def _application_process(intake: m.IntakeProcedure, lang: str) -> str | None:
    translated = (intake.translations or {}).get(lang, {})
    return translated.get("instructions") or intake.instructions


def service_area(area: m.ServiceArea, lang: str) -> dict[str, Any]:
    """``description`` keeps the machine-readable area (``municipality:35013``)."""
    code = area.code or ""
    return compact(
        {
            "id": area.id,
            "service_id": area.service_id,
            "name": area.name or _area_name(area.kind, code, lang) or code or None,
            "description": f"{area.kind}:{code}" if code else area.kind,
        }
    )


def _area_name(kind: str, code: str, lang: str) -> str | None:
    gazetteer = get_gazetteer()
    if kind == "municipality":
        found = gazetteer.municipality(code)
        return found.name(lang) if found else None
    if kind == "postcode":
        places = gazetteer.by_postcode(code)
        main = next((p for p in places if p.is_main), places[0]) if places else None
        if main is None:
            return None
        return f"{code} {main.name_fr if lang == 'fr' else main.name_nl}"
    if kind == "province":
        names = gazetteer.provinces().get(code)
        return (names[1] if lang == "fr" else names[0]) if names else None
    if kind == "region":
        return REGIONS.get(code)
    if kind == "country" and code.upper() == "BE":
        return _BELGIUM.get(lang, "België")
    return None


def cost_option(c: m.CostOption) -> dict[str, Any]:
    return compact(
        {
            "id": c.id,
            "service_id": c.service_id,
            "option": c.option,
            "currency": c.currency,
            "amount": c.amount,
            "amount_description": c.amount_description,
        }
    )


def attribute(service_id: str, kind: str, code: str, b: Bundle) -> dict[str, Any]:
    return {
        "id": derived_id("attribute", service_id, kind, code),
        "link_id": service_id,
        "link_entity": "service",
        "link_type": kind,
        "taxonomy_term_id": term_id(code),
        "taxonomy_term": taxonomy_term(b.terms[code], b.lang),
    }


def taxonomy_term(term: m.TaxonomyTerm, lang: str) -> dict[str, Any]:
    """HSDS taxonomy_term in ``lang`` (labels fall back to Dutch), with its taxonomy."""
    name, _ = TAXONOMIES.get(term.kind, (term.kind, ""))
    return compact(
        {
            "id": term_id(term.code),
            "code": term.code,
            "name": term.label(lang),
            "description": (term.descriptions or {}).get(lang)
            or (term.descriptions or {}).get("nl")
            or "",
            "parent_id": term_id(term.parent_code) if term.parent_code else None,
            "taxonomy": name,
            "taxonomy_detail": taxonomy(term.kind),
            "language": lang,
            "taxonomy_id": taxonomy_id(term.kind),
        }
    )


def all_terms(session: Session) -> dict[str, m.TaxonomyTerm]:
    return {t.code: t for t in session.scalars(select(m.TaxonomyTerm))}


def find_term(terms: dict[str, m.TaxonomyTerm], ident: str) -> m.TaxonomyTerm | None:
    """A term by code or by its (derived) UUID."""
    return terms.get(ident) or next((t for c, t in terms.items() if term_id(c) == ident), None)


def with_descendants(terms: dict[str, m.TaxonomyTerm], code: str) -> list[str]:
    children: dict[str, list[str]] = defaultdict(list)
    for t in terms.values():
        if t.parent_code:
            children[t.parent_code].append(t.code)
    out, todo = [], [code]
    while todo:
        current = todo.pop()
        out.append(current)
        todo += children[current]
    return out


def taxonomy_kind(ident: str) -> str | None:
    """``need`` or ``target_group`` from a taxonomy UUID, name or kind."""
    for kind, (name, _) in TAXONOMIES.items():
        if ident in (kind, name, taxonomy_id(kind)):
            return kind
    return None


def taxonomy(kind: str) -> dict[str, Any]:
    name, description = TAXONOMIES.get(kind, (kind, ""))
    return {"id": taxonomy_id(kind), "name": name, "description": description}


def service_at_location(
    link: m.ServiceAtLocation, b: Bundle, *, full: bool = False, nest_service: bool = True
) -> dict[str, Any]:
    """HSDS service_at_location with its location (and, ``nest_service``, its service's
    one-to-one fields). ``full`` nests the location's addresses, phones, schedules, ..."""
    out = compact(
        {
            "id": link.id,
            "service_id": link.service_id,
            "location_id": link.location_id,
            "description": link.description,
        }
    )
    if full:  # we keep no contacts, phones or schedules per service-at-location
        out |= {"contacts": [], "phones": [], "schedules": []}
    loc = b.locations.get(link.location_id)
    if loc is not None:
        out["location"] = location(loc, b, full=full)
    service = b.services.get(link.service_id)
    if nest_service and service is not None:
        out["service"] = hsds_service(service, b, full=False)
    return out
