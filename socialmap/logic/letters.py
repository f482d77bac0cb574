"""The printable referral letter (verwijsbrief) for the person in need, in their language.

This module only gathers and renders what one letter shows. It checks no permission and writes
no access log: callers (``socialmap.logic.referrals``) do both first, because the letter shows
personal data (the person's name, who referred them, for which service).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from babel.dates import format_date
from babel.dates import get_day_names
from babel.lists import format_list
from flask import current_app
from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import select

from search.hours import local_time
from search.hours import parse_hhmm
from socialmap import models as m
from socialmap.errors import NotFound
from socialmap.extensions import db
from socialmap.logic.listing_text import ROUGH_PRECISION
from socialmap.logic.listing_text import Text
from socialmap.logic.listing_text import capital
from socialmap.logic.listing_text import intake_steps
from socialmap.logic.listing_text import phone_text
from socialmap.logic.listing_text import translated
from socialmap.models.base import utcnow

#: Closures and special hours shown: those that are not over and start within this many days.
CLOSURES_AHEAD_DAYS = 92
OSM_URL = "https://www.openstreetmap.org/?mlat={lat:.5f}&mlon={lon:.5f}#map=17/{lat:.5f}/{lon:.5f}"


def letter_context(task_id: str, actor: m.User, lang: str | None = None) -> dict[str, Any]:
    """Everything the letter for one referral task shows, with its text in one language.

    The caller MUST have checked that ``actor`` may read this referral and MUST have written
    the access log entry (action ``letter``) before calling: this function does neither.
    ``actor`` is that checked user; the letter names the referrer of the request, not the actor.

    Language: ``lang`` if given, else the person's language if offered (config LANGUAGES),
    else DEFAULT_LANGUAGE. Confidential locations carry their front-door contact instead of
    an address and map link. An erased person (or one without a name) is not named.
    :raise NotFound: no such task.
    :raise ValidationError: ``lang`` is not one of config LANGUAGES.
    """
    task = db.session.get(m.ReferralTask, task_id)
    if task is None:
        raise NotFound(f"referral task {task_id} not found")
    request = task.request
    person = db.session.get(m.Person, request.person_id) if request.person_id else None
    lang = letter_language(person, lang)
    service = _surviving_service(task.service_id)
    organization = db.session.get(m.Organization, service.organization_id)
    referrer = db.session.get(m.User, request.referrer_id)
    source_lang = service.text_language or "nl"
    today = local_time(utcnow()).date()
    referred_on = local_time(task.requested_at or request.created_at).date()
    locations = _locations(service.id)
    slots = _schedules(m.Schedule.service_id == service.id)
    closures = _closures(m.Closure.service_id == service.id)
    intake = db.session.get(m.IntakeProcedure, service.id)

    with force_locale(lang):
        return {
            "lang": lang,
            "today": _date(today, lang),
            "person_name": _person_name(person),
            "referral_date": _date(referred_on, lang),
            "urgency": request.urgency,
            "urgency_label": _urgency_label(request.urgency),
            "service": {
                "name": _text(service, "name", lang),
                "description": _text(service, "description", lang),
                "organization": _text(organization, "name", lang) if organization else None,
            },
            "locations": [_location(loc, lang, today, not slots) for loc in locations],
            "hours": opening_hours(slots, closures, lang, today, source_lang),
            "intake": _intake(intake, lang, source_lang),
            "documents": _documents(service.id, source_lang),
            "costs": _costs(service, lang),
            "contact": _contact(service, organization, locations),
            "referrer": {
                "name": referrer.name if referrer else None,
                "practice": request.practice or (referrer.practice if referrer else None),
            },
        }


def render_letter(context: dict[str, Any]) -> str:
    """The letter as a standalone HTML page (templates/referrals/letter.html)."""
    with force_locale(context["lang"]):
        return render_template("referrals/letter.html", **context)


def letter_language(person: m.Person | None, lang: str | None = None) -> str:
    """``lang`` if given, else the person's language when offered, else DEFAULT_LANGUAGE.
    :raise ValidationError: ``lang`` is not offered."""
    languages = current_app.config["LANGUAGES"]
    if lang is not None:
        if lang not in languages:
            raise ValidationError({"lang": [f"must be one of {', '.join(languages)}"]})
        return lang
    code = (person.language if person else None) or ""
    code = code.strip().lower().replace("_", "-").split("-")[0]
    return code if code in languages else current_app.config["DEFAULT_LANGUAGE"]


def opening_hours(
    slots: Sequence[m.Schedule],
    closures: Sequence[m.Closure],
    lang: str,
    today: dt.date,
    source_lang: str = "nl",
) -> dict[str, list[Any]]:
    """Opening hours in words: ``weekly`` lines ("Van maandag tot vrijdag: van 09:00 tot
    12:00"), free-text ``notes`` (as the source wrote them, in ``source_lang``) and coming
    ``exceptions`` (closures and special hours)."""
    with force_locale(lang):
        days = get_day_names("wide", locale=lang)  # 0 = Monday
        by_day: dict[int, set[tuple[int, str, str]]] = {}
        notes: list[Text] = []
        for slot in slots:
            if not _valid_on(slot, today):
                continue
            start, end = parse_hhmm(slot.opens_at), parse_hhmm(slot.closes_at)
            weekday = slot.weekday if slot.weekday in range(1, 8) else None
            if weekday and start is not None and end is not None and start != end:
                by_day.setdefault(weekday, set()).add((start, slot.opens_at, slot.closes_at))
            elif slot.description:
                prefix = f"{capital(days[weekday - 1])}: " if weekday else ""
                notes.append({"text": prefix + slot.description, "lang": source_lang})
        runs: list[list[Any]] = []  # [first weekday, last weekday, slots]
        for weekday in range(1, 8):
            hours = tuple(sorted(by_day.get(weekday, ())))
            if not hours:
                continue
            if runs and runs[-1][1] == weekday - 1 and runs[-1][2] == hours:
                runs[-1][1] = weekday
            else:
                runs.append([weekday, weekday, hours])
        weekly = [
            capital(
                _(
                    "%(days)s: %(hours)s",
                    days=_day_span(days[first - 1], days[last - 1], last - first),
                    hours=_hours_text(hours, lang),
                )
            )
            for first, last, hours in runs
        ]
        exceptions = [_closure_text(c, lang) for c in closures if _coming(c, today)]
    return {"weekly": weekly, "notes": notes, "exceptions": exceptions}


def _day_span(first: str, last: str, gap: int) -> str:
    if gap == 0:
        return first
    if gap == 1:
        return _("%(first)s and %(second)s", first=first, second=last)
    return _("from %(first)s to %(last)s", first=first, last=last)


def _hours_text(hours: Sequence[tuple[int, str, str]], lang: str) -> str:
    parts = [_("from %(opens)s to %(closes)s", opens=o, closes=c) for _start, o, c in hours]
    return format_list(parts, locale=lang)


def _closure_text(closure: m.Closure, lang: str) -> str:
    start = format_date(closure.start_date, "long", locale=lang)
    if closure.end_date and closure.end_date != closure.start_date:
        end = format_date(closure.end_date, "long", locale=lang)
        when = _("from %(first)s to %(last)s", first=start, last=end)
    else:
        when = _("on %(date)s", date=start)
    if parse_hhmm(closure.opens_at) is not None and parse_hhmm(closure.closes_at) is not None:
        text = _(
            "%(days)s: %(hours)s",
            days=when,
            hours=_hours_text([(0, closure.opens_at or "", closure.closes_at or "")], lang),
        )
    else:
        text = _("Closed %(when)s", when=when)
    text = capital(text)
    return f"{text} ({closure.reason})" if closure.reason else text


def _valid_on(slot: m.Schedule, day: dt.date) -> bool:
    return (slot.valid_from or day) <= day <= (slot.valid_to or day)


def _coming(closure: m.Closure, today: dt.date) -> bool:
    last = closure.end_date or closure.start_date
    return last >= today and closure.start_date <= today + dt.timedelta(days=CLOSURES_AHEAD_DAYS)


def _date(day: dt.date, lang: str) -> dict[str, str]:
    return {"iso": day.isoformat(), "text": format_date(day, "long", locale=lang)}


def _person_name(person: m.Person | None) -> str | None:
    if person is None or person.erased_at is not None:
        return None
    return (person.name or "").strip() or None


def _urgency_label(urgency: str) -> str:
    labels = {"routine": _("normal"), "urgent": _("urgent"), "asap": _("as soon as possible")}
    return labels.get(urgency, urgency)


def _intake(intake: m.IntakeProcedure | None, lang: str, source_lang: str) -> dict[str, Any]:
    """One sentence per way to register (in the provider's order), the provider's instructions
    and the information to have at hand."""
    if intake is None:
        return {"steps": [], "instructions": None, "required_information": None}
    texts = intake.translations
    return {
        "steps": intake_steps(intake.methods or [], to_referred_person=True),
        "instructions": translated(texts, "instructions", intake.instructions, source_lang, lang),
        "required_information": translated(
            texts, "required_information", intake.required_information, source_lang, lang
        ),
    }


def _documents(service_id: str, source_lang: str) -> list[Text]:
    q = select(m.RequiredDocument.document).where(m.RequiredDocument.service_id == service_id)
    names = db.session.scalars(q.order_by(m.RequiredDocument.document))
    return [{"text": name, "lang": source_lang} for name in names]


def _costs(service: m.Service, lang: str) -> Text | None:
    fees = _text(service, "fees_description", lang)
    if fees:
        return fees
    if service.is_free:
        return {"text": _("Free of charge"), "lang": lang}
    return None


def _text(entity: Any, field: str, lang: str) -> Text | None:
    return translated(
        entity.translations, field, getattr(entity, field), entity.text_language or "nl", lang
    )


def _surviving_service(service_id: str) -> m.Service:
    service = db.session.get(m.Service, service_id)
    seen = set()
    while service is not None and service.merged_into_id and service.id not in seen:
        seen.add(service.id)
        service = db.session.get(m.Service, service.merged_into_id)
    if service is None:
        raise NotFound(f"service {service_id} not found")
    return service


def _locations(service_id: str) -> list[m.Location]:
    q = (
        select(m.Location)
        .join(m.ServiceAtLocation, m.ServiceAtLocation.location_id == m.Location.id)
        .where(m.ServiceAtLocation.service_id == service_id, m.Location.status == "active")
        .order_by(m.Location.name, m.Location.id)
    )
    return list(db.session.scalars(q))


def _location(loc: m.Location, lang: str, today: dt.date, own_hours: bool) -> dict[str, Any]:
    """A site: address and map link, or (confidential) only its front-door contact.

    ``own_hours``: the service has no hours of its own, so the site's hours (if any) are shown."""
    hours = None
    if own_hours:
        slots = _schedules(m.Schedule.location_id == loc.id)
        closures = _closures(m.Closure.location_id == loc.id)
        hours = opening_hours(slots, closures, lang, today, loc.text_language or "nl")
        hours = hours if any(hours.values()) else None
    out: dict[str, Any] = {
        "name": _text(loc, "name", lang),
        "confidential": loc.confidential,
        "front_door": _text(loc, "front_door", lang) if loc.confidential else None,
        "address": None,
        "map_url": None,
        "transportation": None if loc.confidential else _text(loc, "transportation", lang),
        "hours": hours,
    }
    if loc.confidential:
        return out
    out["address"] = _address_lines(loc.addresses)
    rough = loc.geo_precision in ROUGH_PRECISION
    if loc.latitude is not None and loc.longitude is not None and not rough:
        out["map_url"] = OSM_URL.format(lat=loc.latitude, lon=loc.longitude)
    return out


def _address_lines(addresses: Sequence[m.Address]) -> list[str] | None:
    ranked = sorted(addresses, key=lambda a: (a.address_type != "physical", a.id))
    if not ranked:
        return None
    a = ranked[0]
    street = " ".join(p for p in (a.street, a.house_number) if p)
    if a.box:
        street = " ".join(p for p in (street, _("box %(box)s", box=a.box)) if p)
    place = " ".join(p for p in (a.postcode, a.city) if p)
    lines = [x for x in (a.attention, street, a.address_2, place) if x]
    if a.country and a.country != "BE":
        lines.append(a.country)
    return lines or None


def _schedules(where: Any) -> list[m.Schedule]:
    q = select(m.Schedule).where(where).order_by(m.Schedule.weekday, m.Schedule.opens_at)
    return list(db.session.scalars(q))


def _closures(where: Any) -> list[m.Closure]:
    return list(db.session.scalars(select(m.Closure).where(where).order_by(m.Closure.start_date)))


def _contact(
    service: m.Service, organization: m.Organization | None, locations: Sequence[m.Location]
) -> dict[str, Any]:
    """Phone numbers (the service's, else the public sites', else the organisation's), e-mail
    and website (the service's, else the organisation's)."""
    phones = _phones(m.Phone.service_id == service.id)
    public_sites = [loc.id for loc in locations if not loc.confidential]
    if not phones and public_sites:
        phones = _phones(m.Phone.location_id.in_(public_sites))
    if not phones and organization is not None:
        phones = _phones(m.Phone.organization_id == organization.id)
    return {
        "phones": phones,
        "email": service.email or (organization.email if organization else None),
        "website": service.url or (organization.website if organization else None),
    }


def _phones(where: Any) -> list[dict[str, str | None]]:
    phones: dict[str, dict[str, str | None]] = {}
    for phone in db.session.scalars(select(m.Phone).where(where).order_by(m.Phone.number)):
        text = {"number": phone_text(phone.number), "extension": phone.extension}
        phones.setdefault(phone.number, {**text, "uri": f"tel:{phone.number}"})
    return list(phones.values())
