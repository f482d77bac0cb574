"""Open Referral HSDS 3.0 objects built from our rows (used by :mod:`socialmap.logic.hsds`).

The builders only read a :class:`~socialmap.logic.hsds_bundle.Bundle` (the rows of one
response, fetched beforehand). HSDS types do not allow ``null``, so empty values are left out.

Confidential locations never leave this module with their address, coordinates or
transportation notes: they carry ``confidential: true`` and the ``front_door`` contact instead
(two profile extensions of the HSDS location object).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from socialmap import models as m
from socialmap.gazetteer import get_gazetteer
from socialmap.logic.hsds_bundle import Bundle

#: Namespace of the ids we derive (taxonomy terms are keyed by code, HSDS wants UUIDs).
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:socialmap:hsds")

#: Our taxonomy kinds as HSDS taxonomies.
TAXONOMIES = {
    "need": ("socialmap-needs", "Needs people ask help for (NL/FR/EN labels)."),
    "target_group": ("socialmap-target-groups", "Groups of people a service is meant for."),
}
STATUSES = ("active", "inactive", "defunct", "temporarily closed")
_RFC6350_PHONE_TYPES = {"text", "voice", "fax", "cell", "video", "pager", "textphone"}
_PHONE_TYPES = {"mobile": "cell", "fixed_line": "voice", "fixed_line_or_mobile": "voice"}
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
REGIONS = {"VLG": "Vlaams Gewest", "BRU": "Brussels Hoofdstedelijk Gewest", "WAL": "Waals Gewest"}
_LANGUAGE_NAMES = {
    "nl": "Dutch",
    "fr": "French",
    "en": "English",
    "de": "German",
    "ar": "Arabic",
    "tr": "Turkish",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "ru": "Russian",
    "pl": "Polish",
    "ro": "Romanian",
    "uk": "Ukrainian",
    "fa": "Persian",
    "ps": "Pashto",
    "so": "Somali",
    "ti": "Tigrinya",
    "ber": "Berber",
    "sgn": "Sign language",
    "vgt": "Flemish Sign Language",
}


def derived_id(*parts: str) -> str:
    """A stable UUID for something we key otherwise (a term code, a list item)."""
    return str(uuid.uuid5(NAMESPACE, ":".join(parts)))


def term_id(code: str) -> str:
    return derived_id("taxonomy_term", code)


def taxonomy_id(kind: str) -> str:
    return derived_id("taxonomy", kind)


def compact(obj: dict[str, Any]) -> dict[str, Any]:
    """Leave out ``None`` (HSDS properties are typed and do not allow null)."""
    return {k: v for k, v in obj.items() if v is not None}


def text(row: Any, name: str, lang: str) -> Any:
    """A text field in ``lang`` when the record has that translation, else as written."""
    value = getattr(row, name)
    if lang != row.text_language:
        value = (row.translations or {}).get(lang, {}).get(name) or value
    return value


def iso_date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def iso_datetime(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds") if value else None


def email_or_none(value: str | None) -> str | None:
    return value if value and "@" in value else None


def sorted_rows(rows: Iterable[Any], *keys: str) -> list[Any]:
    return sorted(rows, key=lambda r: tuple(str(getattr(r, k) or "") for k in keys))


# -- organization --------------------------------------------------------------------------


def organization(org: m.Organization, b: Bundle, *, full: bool = False) -> dict[str, Any]:
    """HSDS organization; ``full`` adds identifiers, phones, contacts and locations."""
    out = compact(
        {
            "id": org.id,
            "name": text(org, "name", b.lang),
            "alternate_name": text(org, "alternate_name", b.lang),
            "description": text(org, "description", b.lang) or "",
            "email": email_or_none(org.email),
            "website": org.website,
            "legal_status": org.legal_form,
        }
    )
    if full:
        idents = sorted_rows(b.kids(m.OrganizationIdentifier, "organization_id", org.id), "scheme")
        out["organization_identifiers"] = [_identifier(i) for i in idents]
        out["phones"] = [
            phone(p) for p in sorted_rows(b.kids(m.Phone, "organization_id", org.id), "number")
        ]
        contacts = sorted_rows(b.kids(m.Contact, "organization_id", org.id), "name")
        out["contacts"] = [contact(c) for c in contacts]
        locations = [x for x in b.locations.values() if x.organization_id == org.id]
        out["locations"] = [location(x, b, full=True) for x in sorted_rows(locations, "name", "id")]
    return out


def _identifier(ident: m.OrganizationIdentifier) -> dict[str, Any]:
    if ident.scheme.upper() == "KBO":  # org-id.guide: Crossroads Bank for Enterprises
        scheme, kind = "BE-BCE_KBO", ident.type or "Ondernemingsnummer (KBO/BCE)"
        value = "".join(ch for ch in ident.identifier if ch.isdigit()) or ident.identifier
    else:
        scheme, kind, value = ident.scheme, ident.type or ident.scheme, ident.identifier
    return {
        "id": ident.id,
        "organization_id": ident.organization_id,
        "identifier_scheme": scheme,
        "identifier_type": kind,
        "identifier": value,
    }


# -- contact details ---------------------------------------------------------------------------


def phone(p: m.Phone) -> dict[str, Any]:
    kind = (p.type or "").lower()
    extension = p.extension if p.extension and p.extension.isdigit() else None
    return compact(
        {
            "id": p.id,
            "service_id": p.service_id,
            "location_id": p.location_id,
            "organization_id": p.organization_id,
            "number": p.number,
            "extension": int(extension) if extension else None,
            "type": kind if kind in _RFC6350_PHONE_TYPES else _PHONE_TYPES.get(kind),
            "description": p.description,
        }
    )


def contact(c: m.Contact) -> dict[str, Any]:
    phones = [{"id": derived_id("contact_phone", c.id), "number": c.phone}] if c.phone else []
    return compact(
        {
            "id": c.id,
            "organization_id": c.organization_id,
            "service_id": c.service_id,
            "location_id": c.location_id,
            "name": c.name,
            "title": c.title,
            "department": c.department,
            "email": email_or_none(c.email),
            "phones": phones,
        }
    )


def language(lang: m.Language) -> dict[str, Any]:
    return compact(
        {
            "id": lang.id,
            "service_id": lang.service_id,
            "location_id": lang.location_id,
            "name": _LANGUAGE_NAMES.get(lang.code),
            "code": lang.code,
            "note": lang.note,
        }
    )


def schedule(s: m.Schedule) -> dict[str, Any]:
    """A weekly slot as an iCal-style WEEKLY rule; times are Europe/Brussels wall-clock."""
    weekly = s.weekday is not None and 1 <= s.weekday <= 7
    return compact(
        {
            "id": s.id,
            "service_id": s.service_id,
            "location_id": s.location_id,
            "valid_from": iso_date(s.valid_from),
            "valid_to": iso_date(s.valid_to),
            "wkst": "MO" if weekly else None,
            "freq": "WEEKLY" if weekly else None,
            "byday": _WEEKDAYS[s.weekday - 1] if weekly and s.weekday else None,
            "opens_at": s.opens_at,
            "closes_at": s.closes_at,
            "description": s.description,
        }
    )


def schedules(rows: list[m.Schedule]) -> list[dict[str, Any]]:
    ordered = sorted(rows, key=lambda s: (s.weekday or 8, s.opens_at or "", s.id))
    return [schedule(s) for s in ordered]


# -- location --------------------------------------------------------------------------------


def location(loc: m.Location, b: Bundle, *, full: bool = False) -> dict[str, Any]:
    """HSDS location; a confidential one without address, coordinates or transportation."""
    hidden = loc.confidential
    out = compact(
        {
            "id": loc.id,
            "location_type": loc.location_type or "physical",
            "url": loc.url,
            "organization_id": loc.organization_id,
            "name": text(loc, "name", b.lang),
            "alternate_name": text(loc, "alternate_name", b.lang),
            "description": text(loc, "description", b.lang),
            "transportation": None if hidden else text(loc, "transportation", b.lang),
            "latitude": None if hidden else loc.latitude,
            "longitude": None if hidden else loc.longitude,
        }
    )
    if hidden:
        out["confidential"] = True
        if loc.front_door:
            out["front_door"] = loc.front_door
    if full:
        addresses = [] if hidden else b.kids(m.Address, "location_id", loc.id)
        out["addresses"] = [
            address(a, b.lang) for a in sorted_rows(addresses, "address_type", "id")
        ]
        out["phones"] = [
            phone(p) for p in sorted_rows(b.kids(m.Phone, "location_id", loc.id), "number")
        ]
        out["schedules"] = schedules(b.kids(m.Schedule, "location_id", loc.id))
        out["languages"] = [
            language(x) for x in sorted_rows(b.kids(m.Language, "location_id", loc.id), "code")
        ]
        contacts = sorted_rows(b.kids(m.Contact, "location_id", loc.id), "name")
        out["contacts"] = [contact(c) for c in contacts]
        out["accessibility"] = [
            {
                "id": derived_id("accessibility", loc.id, item),
                "location_id": loc.id,
                "description": item,
            }
            for item in loc.accessibility or []
        ]
    return out


def address(a: m.Address, lang: str) -> dict[str, Any]:
    """A Belgian address; province and region come from the gazetteer when not stored."""
    municipality = get_gazetteer().municipality(a.municipality_nis) if a.municipality_nis else None
    province = a.state_province
    region = a.region
    if municipality is not None:
        province = province or (
            municipality.province_fr if lang == "fr" else municipality.province_nl
        )
        region = region or REGIONS.get(municipality.region)
    street = " ".join(p for p in (a.street, a.house_number) if p)
    if a.box:
        street += f" bus {a.box}"
    return compact(
        {
            "id": a.id,
            "location_id": a.location_id,
            "attention": a.attention,
            "address_1": street,
            "address_2": a.address_2,
            "city": a.city or (municipality.name(lang) if municipality else ""),
            "region": region,
            "state_province": province or "",
            "postal_code": a.postcode or "",
            "country": a.country or "BE",
            "address_type": a.address_type or "physical",
        }
    )
