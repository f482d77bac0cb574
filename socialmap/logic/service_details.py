"""A service's public detail page as a view model: what it does, for whom, how to register,
costs, languages, opening hours with "open now", sites (or the front-door contact of a
confidential one), contact, capacity, last verification and provenance; and the same for the
services of a shared list.

Read-only, over :mod:`socialmap.logic.catalog` (which strips confidential addresses and
coordinates). Texts are translated in the request's language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.dates import get_day_names
from babel.numbers import format_decimal
from flask_babel import gettext as _
from sqlalchemy import func
from sqlalchemy import select

from search.hours import MINUTES_PER_DAY
from search.hours import is_open
from search.hours import local_time
from search.hours import minute_of_week
from search.hours import weekly_interval
from socialmap import models as m
from socialmap import taxonomy
from socialmap.errors import NotFound
from socialmap.extensions import db
from socialmap.logic import catalog
from socialmap.logic.documents import LOCATION
from socialmap.logic.documents import ORGANIZATION
from socialmap.logic.documents import SERVICE
from socialmap.logic.documents import load_documents
from socialmap.logic.letters import opening_hours
from socialmap.logic.listing_text import ROUGH_PRECISION
from socialmap.logic.listing_text import Text
from socialmap.logic.listing_text import capacity_labels
from socialmap.logic.listing_text import capital
from socialmap.logic.listing_text import intake_steps
from socialmap.logic.listing_text import phone_text
from socialmap.logic.listing_text import phone_uri
from socialmap.logic.listing_text import translated
from socialmap.logic.search_index import need_vocabulary


def service_page(service_id: str, lang: str) -> dict[str, Any]:
    """The detail page of an active service (a merged-away id gives the survivor: compare
    the returned ``id``). :raise NotFound: unknown or inactive."""
    doc = catalog.get_service(db.session, service_id)
    if doc.get("status") != "active":
        raise NotFound(f"service {service_id} is not active")
    view = service_view(doc, lang)
    view["provenance"] = _provenance(doc["id"], lang)
    return view


def services_for_list(service_ids: list[str], lang: str) -> list[dict[str, Any]]:
    """The active services among ``service_ids`` in that order (one bulk load)."""
    docs = {
        "service": load_documents(db.session, SERVICE, service_ids),
        "organization": {},
        "location": {},
    }
    org_ids = {d["organization_id"] for d in docs["service"].values()}
    loc_ids = {x["location_id"] for d in docs["service"].values() for x in d["locations"]}
    docs["organization"] = load_documents(db.session, ORGANIZATION, org_ids)
    docs["location"] = load_documents(db.session, LOCATION, loc_ids)
    out = []
    for sid in service_ids:
        if docs["service"].get(sid, {}).get("status") == "active":
            doc = catalog.service_document(db.session, sid, public=True, docs=docs)
            out.append(service_view(doc, lang))
    return out


def service_view(doc: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """A public service document (catalog, confidential sites already without address)
    as texts in ``lang`` for the templates."""
    now = dt.datetime.now(dt.UTC)
    org = doc["organization"]
    source_lang = doc.get("text_language") or "nl"
    locations = [loc for loc in doc["locations"] if loc.get("status", "active") == "active"]
    hours = _hours_blocks(doc, locations, lang, now)
    return {
        "id": doc["id"],
        "name": doc["name"],
        "alternate_name": doc.get("alternate_name"),
        "organization": org.get("name"),
        "description": _text(doc, "description", lang),
        "alert": _text(doc, "alert", lang),
        "eligibility": _text(doc, "eligibility_description", lang),
        "ages": _ages(doc.get("minimum_age"), doc.get("maximum_age")),
        "target_groups": [taxonomy.target_groups().label(c, lang) for c in doc["target_groups"]],
        "needs": [need_vocabulary().label(c, lang) for c in doc["needs"]],
        "intake": _intake(doc.get("intake"), lang, source_lang),
        "documents": [
            {"text": d["document"], "lang": source_lang}
            for d in doc.get("required_documents") or []
        ],  # fmt: skip
        "costs": _costs(doc, lang),
        "languages": _languages(doc, locations, lang),
        "hours": hours,
        "open_now": next((b["now"] for b in hours if b["now"]), None),
        "locations": [_location(loc, lang) for loc in locations],
        "contact": _contact(doc, org, locations),
        "capacity": _capacity(doc.get("capacity")),
        "verified": format_date(doc["assured_date"], "long", locale=lang)
        if doc.get("assured_date")
        else None,
        "markers": [
            {
                "lat": loc["latitude"],
                "lon": loc["longitude"],
                "name": doc["name"],
                "organization": org.get("name"),
                "id": doc["id"],
            }
            for loc in locations
            if loc.get("latitude") is not None
            and loc.get("longitude") is not None
            and loc.get("geo_precision") not in ROUGH_PRECISION
            and not loc.get("confidential")
        ],  # fmt: skip
    }


def _text(doc: Mapping[str, Any], name: str, lang: str, original: str | None = None) -> Text | None:
    """The text in ``lang`` when translated, else the original in its own language."""
    value = original if original is not None else doc.get(name)
    source_lang = doc.get("text_language") or "nl"
    return translated(doc.get("translations"), name, value, source_lang, lang)


def _ages(minimum: float | None, maximum: float | None) -> str | None:
    def years(value: float) -> str:
        return f"{value:g}"

    if minimum is not None and maximum is not None:
        return _("From %(min)s to %(max)s years", min=years(minimum), max=years(maximum))
    if minimum is not None:
        return _("From %(min)s years", min=years(minimum))
    if maximum is not None:
        return _("Up to %(max)s years", max=years(maximum))
    return None


def _intake(intake: Mapping[str, Any] | None, lang: str, source_lang: str) -> dict[str, Any]:
    if not intake:
        return {"steps": [], "instructions": None, "required_information": None}
    texts = {"translations": intake.get("translations"), "text_language": source_lang}
    return {
        "steps": intake_steps(intake.get("methods") or []),
        "instructions": _text(texts, "instructions", lang, intake.get("instructions") or ""),
        "required_information": _text(
            texts, "required_information", lang, intake.get("required_information") or ""
        ),
    }


def _costs(doc: Mapping[str, Any], lang: str) -> dict[str, Any]:
    lines = []
    for cost in doc.get("costs") or []:
        amount = cost.get("amount")
        parts = [cost.get("option"), cost.get("amount_description")]
        if amount is not None:
            currency = cost.get("currency") or "EUR"
            sign = "€" if currency == "EUR" else currency
            parts.append(f"{sign}\u00a0{format_decimal(amount, '#,##0.00', locale=lang)}")
        text = " · ".join(p for p in parts if p)
        if text:
            lines.append(text)
    return {"free": doc.get("is_free"), "fees": _text(doc, "fees_description", lang),
            "options": lines}  # fmt: skip


def _languages(doc: Mapping[str, Any], locations: list[Mapping[str, Any]], lang: str) -> list[str]:
    names = Locale.parse(lang).languages
    codes = [x["code"] for x in doc.get("languages") or []]
    codes += [x["code"] for loc in locations for x in loc.get("languages") or []]
    out = [names.get(c, c) for c in dict.fromkeys(c for c in codes if c)]
    return [capital(out[0]), *out[1:]] if out else []


# -- opening hours


def _slots(items: Iterable[Mapping[str, Any]]) -> list[SimpleNamespace]:
    return [SimpleNamespace(**item) for item in items]


def _hours_blocks(
    doc: Mapping[str, Any], locations: list[Mapping[str, Any]], lang: str, now: dt.datetime
) -> list[dict[str, Any]]:
    """Opening hours in words with an open/closed badge: the service's own hours, else each
    site's (titled with the site's name)."""
    today = local_time(now).date()
    source_lang = doc.get("text_language") or "nl"
    owners: list[tuple[Text | None, Mapping[str, Any]]] = [(None, doc)]
    if not doc.get("schedules"):
        owners = [(_text(loc, "name", lang), loc) for loc in locations if loc.get("schedules")]
    blocks = []
    for title, owner in owners:
        slots, closures = _slots(owner.get("schedules") or []), _slots(owner.get("closures") or [])
        words = opening_hours(slots, closures, lang, today, source_lang)
        if any(words.values()):
            blocks.append({"title": title, "hours": words,
                           "now": open_status(slots, closures, now, lang)})  # fmt: skip
    return blocks


def open_status(
    slots: list[Any], closures: list[Any], now: dt.datetime, lang: str
) -> dict[str, Any] | None:
    """``{"open": bool, "text": ...}``: "Open now, until 17:00" or "Closed, opens tomorrow at
    09:00"; None without weekly hours."""
    today = local_time(now).date()
    intervals = sorted(
        iv
        for s in slots
        if (s.valid_from or today) <= today <= (s.valid_to or today)
        for iv in weekly_interval(s.weekday or 0, s.opens_at, s.closes_at)
    )
    if not intervals:
        return None
    shut = [(c.start_date, c.end_date or c.start_date) for c in closures if c.opens_at is None]
    if is_open(intervals, shut, now):
        minute = minute_of_week(now)
        end = next(e for s, e in intervals if s <= minute < e)
        return {"open": True, "text": _("Open now, until %(time)s", time=_hhmm(end))}
    week_minute = minute_of_week(now)
    local = local_time(now)
    for days in range(8):
        day = local.date() + dt.timedelta(days=days)
        if any(start <= day <= end for start, end in shut):
            continue
        base = day.weekday() * MINUTES_PER_DAY
        starts = [s for s, _e in intervals if base <= s < base + MINUTES_PER_DAY
                  and (days > 0 or s > week_minute)]  # fmt: skip
        if not starts:
            continue
        time = _hhmm(min(starts))
        if days == 0:
            text = _("Closed, opens today at %(time)s", time=time)
        elif days == 1:
            text = _("Closed, opens tomorrow at %(time)s", time=time)
        else:
            weekday = get_day_names("wide", locale=lang)[day.weekday()]
            text = _("Closed, opens %(day)s at %(time)s", day=weekday, time=time)
        return {"open": False, "text": text}
    return {"open": False, "text": _("Closed now")}


def _hhmm(minute_of_week_value: int) -> str:
    minutes = minute_of_week_value % MINUTES_PER_DAY
    if minute_of_week_value and not minutes:
        return "24:00"
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# -- places and contact


def _location(loc: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """A site: its address, or for a confidential one only the front-door contact (the
    catalog has already removed the address and coordinates)."""
    confidential = bool(loc.get("confidential"))
    return {
        "name": _text(loc, "name", lang),
        "confidential": confidential,
        "front_door": _text(loc, "front_door", lang) if confidential else None,
        "address": None if confidential else _address_lines(loc.get("addresses") or []),
        "transportation": None if confidential else _text(loc, "transportation", lang),
        "accessibility": [] if confidential else list(loc.get("accessibility") or []),
    }


def _address_lines(addresses: list[Mapping[str, Any]]) -> list[str] | None:
    ranked = sorted(addresses, key=lambda a: a.get("address_type") != "physical")
    if not ranked:
        return None
    a = ranked[0]
    street = " ".join(p for p in (a.get("street"), a.get("house_number")) if p)
    if a.get("box"):
        street = " ".join(p for p in (street, _("box %(box)s", box=a["box"])) if p)
    place = " ".join(p for p in (a.get("postcode"), a.get("city")) if p)
    lines = [x for x in (a.get("attention"), street, a.get("address_2"), place) if x]
    return lines or None


def _contact(
    doc: Mapping[str, Any], org: Mapping[str, Any], locations: list[Mapping[str, Any]]
) -> dict[str, Any]:
    """Phones (the service's, else its public sites', else the organisation's), e-mail and
    website (the service's, else the organisation's)."""
    phones = list(doc.get("phones") or [])
    if not phones:
        phones = [
            p for loc in locations if not loc.get("confidential") for p in loc.get("phones") or []
        ]
    if not phones:
        phones = list(org.get("phones") or [])
    website = doc.get("url") or org.get("website")
    if website and not website.startswith(("http://", "https://")):
        website = f"https://{website}"
    return {
        "phones": list({p["number"]: _phone(p) for p in phones if p.get("number")}.values()),
        "email": doc.get("email") or org.get("email"),
        "website": website,
        "website_text": website.split("://", 1)[1].rstrip("/") if website else None,
    }


def _phone(phone: Mapping[str, Any]) -> dict[str, Any]:
    number = phone["number"]
    return {
        "text": phone_text(number),
        "uri": phone_uri(number),
        "extension": phone.get("extension"),
        "description": phone.get("description"),
    }


def _capacity(capacity: Mapping[str, Any] | None) -> dict[str, Any] | None:
    status = (capacity or {}).get("status") or "unknown"
    if status == "unknown":
        return None
    weeks = capacity.get("waiting_weeks") if capacity else None
    text = capacity_labels()[status] if status in capacity_labels() else status
    if status == "waitlist" and weeks:
        text = (_("Waiting list: about 1 week") if weeks == 1
                else _("Waiting list: about %(weeks)s weeks", weeks=f"{weeks:g}"))  # fmt: skip
    elif status == "full":
        text = _("Full: no new registrations for now")
    return {"status": status, "text": text}


def _provenance(service_id: str, lang: str) -> dict[str, Any]:
    """Which sources sent this listing (and when last), and whether people edited it."""
    rows = db.session.execute(
        select(m.Source.name, func.max(m.SourceRecord.last_seen))
        .join(m.SourceRecord, m.SourceRecord.source_id == m.Source.id)
        .where(m.SourceRecord.service_id == service_id)
        .group_by(m.Source.name)
        .order_by(m.Source.name)
    ).all()
    field_sources = (
        db.session.scalar(select(m.Service.field_sources).where(m.Service.id == service_id)) or {}
    )
    edited = any(str(v[0]).startswith("user:") for v in field_sources.values() if v)
    return {
        "sources": [{"name": name, "seen": format_date(local_time(seen).date(), "long",
                                                        locale=lang) if seen else None}
                    for name, seen in rows],
        "edited": edited,
    }  # fmt: skip
