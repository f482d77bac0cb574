"""Provider staff: their organisations' listings, on the inbox blueprint.

- ``/aanbod``                    my organisations' services with the one-click capacity update
- ``/aanbod/<service_id>``       edit hours, intake, what to bring, contact; field history

Every edit goes through :mod:`socialmap.logic.listings` (permission, validation, the field
history); the form names are shared by ``_listing_form`` (listing -> form) and
``_listing_data`` (form -> ListingUpdateSchema input).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from babel.dates import get_day_names
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from socialmap.extensions import db
from socialmap.logic import catalog
from socialmap.logic import freshness
from socialmap.logic import listings
from socialmap.logic.listing_text import capital
from socialmap.schemas.listing import INTAKE_METHODS
from socialmap.web import display
from socialmap.web.access import roles_required
from socialmap.web.inbox import bp
from socialmap.web.inbox import field_errors
from socialmap.web.pages import signed_in

#: Empty phone rows offered below the listing's numbers.
PHONE_ROWS_EXTRA = 1


# -- labels (translated at render time) --------------------------------------------------------


def capacity_labels() -> dict[str, str]:
    return {
        "available": _("Available"),
        "waitlist": _("Waiting list"),
        "full": _("Full"),
        "unknown": _("Unknown"),
    }


def weekday_labels() -> dict[int, str]:
    """ISO weekday (1 = Monday) -> its name in the UI language (CLDR, as the letter uses)."""
    names = get_day_names("wide", locale=display.lang())  # 0 = Monday
    return {day: capital(names[day - 1]) for day in range(1, 8)}


def intake_method_labels() -> dict[str, str]:
    labels = {
        "self_referral": _("People register themselves"),
        "professional_referral": _("Through a referral by a professional"),
        "phone": _("By phone"),
        "email": _("By e-mail"),
        "form": _("With an online form"),
        "walk_in": _("Walk in without an appointment"),
        "appointment": _("By appointment"),
    }
    return {code: labels[code] for code in INTAKE_METHODS}


# -- capacity ----------------------------------------------------------------------------------


@bp.get("/aanbod")
@roles_required("provider")
def services() -> str:
    return _services_page()


@bp.post("/aanbod/<service_id>/capaciteit")
@roles_required("provider")
def capacity(service_id: str) -> Any:
    status = request.form.get("status", "")
    data: dict[str, Any] = {"status": status}
    weeks = request.form.get("waiting_weeks", "").strip().replace(",", ".")
    if status == "waitlist" and weeks:
        data["waiting_weeks"] = weeks
    try:
        listings.update_capacity(signed_in(), service_id, data)
    except ValidationError as err:
        errors = field_errors(err.messages, {})
        failed = {"service": service_id, "errors": errors, "weeks": weeks}
        return _services_page(failed), 422
    name = next((s["name"] for s in listings.services_of(signed_in()) if s["id"] == service_id), "")
    label = capacity_labels()[status]
    if status == "waitlist" and weeks:
        label = _("Waiting list (about %(weeks)s weeks)", weeks=_weeks(data["waiting_weeks"]))
    flash(_("Capacity of %(service)s is now: %(status)s.", service=name, status=label), "success")
    return redirect(url_for("inbox.services") + f"#service-{service_id}")


def _weeks(raw: Any) -> str:
    value = float(raw)
    return str(int(value)) if value.is_integer() else str(value)


def _services_page(failed: Mapping[str, Any] | None = None) -> str:
    items = listings.services_of(signed_in())
    groups: dict[str, dict[str, Any]] = {}
    for item in items:
        org = item["organization"]
        groups.setdefault(org["id"], {"name": org["name"], "services": []})["services"].append(item)
    return render_template(
        "inbox/services.html",
        groups=list(groups.values()),
        failed=failed or {},
        weeks=_weeks,
        capacity_labels=capacity_labels(),
    )


# -- editing a listing -------------------------------------------------------------------------


@bp.get("/aanbod/<service_id>")
@roles_required("provider")
def edit_listing(service_id: str) -> str:
    current = listings.listing(signed_in(), service_id)
    return _edit_page(current, _listing_form(current), {})


@bp.post("/aanbod/<service_id>")
@roles_required("provider")
def save_listing(service_id: str) -> Any:
    user = signed_in()
    current = listings.listing(user, service_id)
    data, names = _listing_data(request.form)
    try:
        changes = listings.update_listing(user, service_id, data)
    except ValidationError as err:
        db.session.rollback()
        errors = field_errors(err.messages, names)
        return _edit_page(current, request.form, errors), 422
    if changes:
        flash(_("The listing is saved. The change is in the history below."), "success")
    else:
        flash(_("Nothing changed: the listing already said this."), "success")
    return redirect(url_for("inbox.edit_listing", service_id=service_id))


def _edit_page(
    current: Mapping[str, Any], form: MultiDict[str, str], errors: Mapping[str, list[str]]
) -> str:
    phones = max(len(current["phones"]), _phone_rows(form)) + PHONE_ROWS_EXTRA
    return render_template(
        "inbox/edit_listing.html",
        service=current,
        form=form,
        errors=errors,
        phone_rows=phones,
        methods=intake_method_labels(),
        weekday_labels=weekday_labels(),
        history=_history(current["id"]),
    )


def _phone_rows(form: Mapping[str, Any]) -> int:
    rows = [int(m.group(1)) for k in form if (m := re.match(r"^phone-(\d+)-number$", k))]
    return max(rows, default=-1) + 1 - PHONE_ROWS_EXTRA


def _listing_form(listing: Mapping[str, Any]) -> MultiDict[str, str]:
    """The current listing as form values (the names the template and the parser share)."""
    form: MultiDict[str, str] = MultiDict()
    for day in listing["hours"]:
        d = day["weekday"]
        if listing["has_own_hours"] and not day["slots"]:
            form[f"hours-{d}-closed"] = "1"
        for n, slot in enumerate(day["slots"][:2], start=1):
            form[f"hours-{d}-{n}-opens"] = slot["opens_at"]
            form[f"hours-{d}-{n}-closes"] = slot["closes_at"]
            form[f"hours-{d}-{n}-note"] = slot["description"] or ""
    form["hours_note"] = listing["hours_note"] or ""
    intake = listing["intake"]
    for method in intake["methods"]:
        form.add("intake_methods", method)
    form["intake_instructions"] = intake["instructions"] or ""
    form["intake_required_information"] = intake["required_information"] or ""
    for lang in ("fr", "en"):
        form[f"intake_instructions_{lang}"] = (
            intake["translations"].get(lang, {}).get("instructions", "")
        )
    if intake["accepts_referrals"]:
        form["accepts_referrals"] = "1"
    form["required_documents"] = "\n".join(listing["required_documents"])
    form["email"] = listing["email"] or ""
    form["url"] = listing["url"] or ""
    for i, phone in enumerate(listing["phones"]):
        form[f"phone-{i}-number"] = display.phone(phone["number"])
        form[f"phone-{i}-description"] = phone["description"] or ""
    return form


_TIME_INPUT = re.compile(r"^(\d{1,2})\s*[:.uh]\s*(\d{2})?$", re.IGNORECASE)


def _time(raw: str) -> str:
    """Accept 9:00, 9.00, 9u00, 9u and 09:00:00 (browsers without a time input)."""
    raw = raw.strip()
    if re.match(r"^\d{2}:\d{2}:\d{2}$", raw):
        return raw[:5]
    found = _TIME_INPUT.match(raw)
    if found:
        return f"{int(found.group(1)):02d}:{found.group(2) or '00'}"
    return raw


def _listing_data(form: MultiDict[str, str]) -> tuple[dict[str, Any], dict[tuple[Any, ...], str]]:
    """The form as ListingUpdateSchema input, and which form field each input path came from
    (to put the schema's messages next to the right field)."""
    # Browsers send a textarea's line breaks as CRLF: store them as the imports do (LF).
    form = MultiDict([(k, v.replace("\r\n", "\n")) for k, v in form.items(multi=True)])
    names: dict[tuple[Any, ...], str] = {}
    hours = []
    for d in range(1, 8):
        i = d - 1
        slots: list[dict[str, str]] = []
        names[("hours", i)] = f"hours-{d}-1-opens"
        if not form.get(f"hours-{d}-closed"):
            for n in (1, 2):
                field = f"hours-{d}-{n}"
                values = {
                    "opens_at": _time(form.get(f"{field}-opens", "")),
                    "closes_at": _time(form.get(f"{field}-closes", "")),
                    "description": form.get(f"{field}-note", "").strip(),
                }
                if not any(values.values()):
                    continue
                j = len(slots)
                for key, suffix in (
                    ("opens_at", "opens"),
                    ("closes_at", "closes"),
                    ("description", "note"),
                ):
                    names[("hours", i, "slots", j, key)] = f"{field}-{suffix}"
                names[("hours", i, "slots", j)] = f"{field}-opens"
                slots.append({k: v for k, v in values.items() if v})
        hours.append({"weekday": d, "slots": slots})
    translations = {
        lang: {"instructions": form.get(f"intake_instructions_{lang}", "")} for lang in ("fr", "en")
    }
    data: dict[str, Any] = {
        "hours": hours,
        "hours_note": form.get("hours_note", ""),
        "intake": {
            "methods": form.getlist("intake_methods"),
            "instructions": form.get("intake_instructions", ""),
            "required_information": form.get("intake_required_information", ""),
            "accepts_referrals": bool(form.get("accepts_referrals")),
            "translations": translations,
        },
        "required_documents": [
            line.strip() for line in form.get("required_documents", "").splitlines() if line.strip()
        ],
        "email": form.get("email", "").strip() or None,
        "url": form.get("url", "").strip() or None,
        "phones": [],
    }
    names[("hours_note",)] = "hours_note"
    for key in ("methods", "instructions", "required_information", "accepts_referrals"):
        names[("intake", key)] = f"intake_{key}"
    names[("intake", "translations")] = "intake_instructions_fr"
    names[("required_documents",)] = "required_documents"
    names[("email",)] = "email"
    names[("url",)] = "url"
    rows = sorted(int(m.group(1)) for k in form if (m := re.match(r"^phone-(\d+)-number$", k)))
    for row in rows:
        number = form.get(f"phone-{row}-number", "").strip()
        description = form.get(f"phone-{row}-description", "").strip()
        if not number and not description:
            continue
        j = len(data["phones"])
        names[("phones", j)] = f"phone-{row}-number"
        names[("phones", j, "number")] = f"phone-{row}-number"
        names[("phones", j, "description")] = f"phone-{row}-description"
        phone = {"number": number} if number else {}
        if description:
            phone["description"] = description
        data["phones"].append(phone)
    return data, names


def _history(service_id: str) -> list[dict[str, Any]]:
    rows = catalog.field_history(db.session, "service", service_id)
    return [
        {
            "at": row.at,
            "field": _field_label(row.field),
            "new": _summary(row.field, row.new_value),
            "old": _summary(row.field, row.old_value),
            "by": row.changed_by or row.source_name or _("unknown"),
            "reason": _reason_label(row.reason),
        }
        for row in reversed(rows)
    ]


def _field_label(name: str) -> str:
    labels = {
        "name": _("Name"),
        "description": _("Description"),
        "url": _("Website"),
        "email": _("E-mail"),
        "phones": _("Phone numbers"),
        "schedules": _("Opening hours"),
        "intake": _("Intake"),
        "required_documents": _("What to bring"),
        "capacity": _("Capacity"),
        "status": _("Status"),
        "needs": _("Needs"),
        "target_groups": _("Target groups"),
        "costs": _("Costs"),
        "fees_description": _("Costs"),
        "languages": _("Languages"),
        "locations": _("Locations"),
        "eligibility_description": _("For whom"),
        "assured_date": _("Last verified"),
        "assurer": _("Verified by"),
    }
    return labels.get(name, name)


def _reason_label(reason: str) -> str:
    labels = {
        "import": _("import"),
        "merge": _("merge of records"),
        "edit": _("edit"),
        "revert": _("undone"),
        "deactivate": _("deactivated"),
        "reactivate": _("reactivated"),
    }
    return labels.get(reason, reason)


def _summary(field: str, value: Any, limit: int = 160) -> str:
    """A field value from the history in a few words."""
    if value in (None, "", [], {}):
        return _("(empty)")
    if field == "schedules":
        text = _schedule_summary(value)
    elif field == "capacity":
        item = value[0] if isinstance(value, list) else value
        text = capacity_labels().get(item.get("status"), item.get("status") or "")
        if item.get("waiting_weeks"):
            text += " · " + _("%(weeks)s weeks", weeks=_weeks(item["waiting_weeks"]))
    elif field == "intake":
        item = value[0] if isinstance(value, list) else value
        methods = intake_method_labels()
        parts = [methods.get(code, code) for code in item.get("methods") or ()]
        text = "; ".join([", ".join(parts), item.get("instructions") or ""]).strip("; ")
    elif field == "phones":
        text = ", ".join(p.get("number") or "" for p in value)
    elif field == "required_documents":
        text = ", ".join(d.get("document") or "" for d in value)
    elif field in ("needs", "target_groups"):
        text = ", ".join(str(x.get("term_code")) for x in value)
    elif isinstance(value, bool):
        text = _("yes") if value else _("no")
    elif isinstance(value, list):
        text = "; ".join(
            ", ".join(str(v) for v in item.values() if v not in (None, ""))
            if isinstance(item, dict)
            else str(item)
            for item in value
        )
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _schedule_summary(value: list[dict[str, Any]]) -> str:
    days = weekday_labels()
    parts = []
    for slot in sorted(value, key=lambda s: (s.get("weekday") or 8, s.get("opens_at") or "")):
        if slot.get("weekday"):
            text = f"{days.get(slot['weekday'], '')} {slot.get('opens_at')}–{slot.get('closes_at')}"
        else:
            text = ""
        if slot.get("description"):
            text = f"{text} ({slot['description']})" if text else slot["description"]
        parts.append(text)
    return "; ".join(parts)


@bp.post("/aanbod/<service_id>/bevestigen")
@roles_required("provider")
def confirm_listing(service_id: str) -> Response:
    """ "This listing is current": sets the last-verified date (the steward tools' freshness)."""
    freshness.confirm_listing(signed_in(), service_id)
    flash(_("Thank you: the listing is confirmed as current."), "success")
    return redirect(url_for("inbox.edit_listing", service_id=service_id))
