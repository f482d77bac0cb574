"""Words of the referral workspace: the logic's codes (statuses, reasons, matching criteria,
consent) as labels in the UI language, numbers and dates formatted for the locale, and the
English validation messages of the schemas and the logic turned into field errors.

Labels are built per request (the locale is only known then); nothing here reads the
database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from babel import Locale
from flask_babel import format_date
from flask_babel import format_datetime
from flask_babel import format_decimal
from flask_babel import gettext as _

from socialmap import taxonomy
from socialmap.logic import questionnaires as q
from socialmap.web import display
from socialmap.web.display import lang

#: Task statuses in the order of the status filter.
STATUSES = (
    "requested",
    "accepted",
    "in-progress",
    "on-hold",
    "completed",
    "rejected",
    "cancelled",
    "failed",
    "entered-in-error",
    "draft",
)
#: The badge class of a status where it differs from the status (see app.css).
BADGES = {"requested": "sent"}
LETTER_LANGUAGES = ("nl", "fr", "en")


def labels() -> dict[str, dict[str, str]]:
    """Every code the workspace shows, by kind, in the UI language."""
    return {
        "status": {
            **display.referral_statuses(),
            "open": _("All open referrals"),
            "closed": _("All closed referrals"),
        },
        "reason": display.referral_reasons(),
        "urgency": display.urgencies(),
        "contact_method": {
            "phone": _("By phone"),
            "email": _("By e-mail"),
            "through_referrer": _("Through me, the referrer"),
            "none": _("No contact: the person gets in touch"),
        },
        "consent_method": {
            "verbal": _("Verbally"),
            "signed": _("On a signed form"),
            "online": _("Online"),
        },
        "consent_scope": {
            "identity": _("Name and year of birth"),
            "contact": _("Contact details and preference"),
            "postcode": _("Postcode"),
            "language": _("Language"),
            "note": _("The note"),
        },
        "criterion": {
            "service_area": _("Outside its service area"),
            "age": _("The person's age is outside the service's age range"),
            "capacity_full": _("Full: takes no one new at the moment"),
            "inactive": _("The listing is not active"),
            "referable": _("Does not accept referrals through socialmap"),
            "language": _("Not offered in the person's language"),
            "target_group": _("Not for the person's target group"),
        },
        "capacity": {
            "available": _("Can take new people"),
            "waitlist": _("Waiting list"),
            "full": _("Full"),
            "unknown": _("Capacity unknown"),
        },
        "event": {
            "received": _("Opened by the organisation"),
            "consent_withdrawn": _("Consent withdrawn"),
            "reminder": _("Reminder sent to the organisation"),
            "erased": _("The person's details were erased"),
        },
        "hidden": {
            "erased": _("The person's details were erased (retention period)."),
            "no_consent": _("No consent was recorded."),
            "consent_withdrawn": _("Consent was withdrawn."),
            "not_included": _("Not shown."),
        },
        "side": {
            "requester": _("referrer"),
            "target": _("organisation"),
            "system": _("socialmap"),
        },
    }


# ---------------------------------------------------------------- formatting


def badge(status: str) -> str:
    return BADGES.get(status, status)


def km(value: float | None) -> str:
    if value is None:
        return ""
    return _("%(km)s km", km=format_decimal(value, format="0.0"))


def _parse(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return (
                dt.datetime.fromisoformat(value) if "T" in value else dt.date.fromisoformat(value)
            )
        except ValueError:
            return None
    return value


def when(value: Any) -> str:
    """A moment: "maandag 23 november, 09:00" (Brussels time)."""
    moment = _parse(value)
    if not isinstance(moment, dt.datetime):
        return day(moment)
    return format_datetime(moment, "EEEE d MMMM y, HH:mm")


def short(value: Any) -> str:
    """A moment in a list: "23 nov. 2026 09:00"."""
    moment = _parse(value)
    if not isinstance(moment, dt.datetime):
        return day(moment)
    return format_datetime(moment, "d MMM y, HH:mm")


def day(value: Any) -> str:
    found = _parse(value)
    if found is None:
        return ""
    return format_date(found, "long")


def iso(value: Any) -> str:
    found = _parse(value)
    return found.isoformat() if found is not None else ""


def group(code: str) -> str:
    return taxonomy.target_groups().label(code, lang())


def coverage(item: Mapping[str, Any]) -> str:
    """How a service covers one requested need: "Schuldhulpverlening (gedekt)"."""
    kind, via = item.get("coverage"), item.get("via")
    if kind == "exact":
        how = _("covered")
    elif kind == "narrower" and via:
        how = _("covered via %(term)s", term=display.need(via))
    elif kind == "broader" and via:
        how = _("covered via the broader %(term)s", term=display.need(via))
    else:
        how = _("not covered")
    return f"{display.need(item['need'])} ({how})"


def coverage_ok(items: list[Mapping[str, Any]]) -> bool | None:
    """All needs covered: met; none: not met; some: neither."""
    covered = sum(1 for item in items if item.get("coverage") != "none")
    if covered == len(items):
        return True
    return False if covered == 0 else None


def group_list(codes: list[str]) -> str:
    return ", ".join(group(code) for code in codes)


def language_list(codes: list[str]) -> str:
    return ", ".join(language(code) for code in codes)


def language(code: str | None) -> str:
    """A language's name in the UI language ("nl" -> "Nederlands", "Dutch", "néerlandais")."""
    if not code:
        return ""
    name = Locale.parse(lang()).languages.get(code)
    return name or code.upper()


def text(value: Mapping[str, str] | None) -> str:
    """A questionnaire text in the UI language (else Dutch)."""
    if not value:
        return ""
    return value.get(lang()) or value.get("nl") or next(iter(value.values()), "")


def ages(minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return _("Ages %(low)s to %(high)s", low=f"{minimum:g}", high=f"{maximum:g}")
    if minimum is not None:
        return _("From age %(low)s", low=f"{minimum:g}")
    if maximum is not None:
        return _("Up to age %(high)s", high=f"{maximum:g}")
    return _("All ages")


def percent(score: float) -> str:
    return f"{round(score * 100)}%"


# ---------------------------------------------------------------- validation messages


def _messages() -> dict[str, str]:
    return {
        "Missing data for required field.": _("This field is required."),
        "Field may not be null.": _("This field is required."),
        "Not a valid integer.": _("Enter a whole number."),
        "Not a valid number.": _("Enter a number."),
        "Not a valid email address.": _("Enter a valid e-mail address."),
        "Not a phone number.": _("Enter a valid phone number."),
        "A phone number is needed to contact by phone.": _(
            "Enter a phone number to contact the person by phone."
        ),
        "An e-mail address is needed to contact by e-mail.": _(
            "Enter an e-mail address to contact the person by e-mail."
        ),
        "Unknown Belgian postcode.": _("This is not a Belgian postcode."),
        "String does not match expected pattern.": _("Enter a postcode of 4 digits."),
        "The person's consent is needed to send a referral.": _(
            "The person's consent is needed to send a referral."
        ),
        "No active service with this id.": _("One of the chosen services is no longer active."),
        "This service does not accept referrals through socialmap.": _(
            "One of the chosen services does not accept referrals through socialmap."
        ),
        "Explain the reason 'other'.": _("Explain the other reason."),
        q.TEXT_REQUIRED: _("Fill in this text."),
        q.TEXT_TOO_LONG: _("Use at most 300 characters."),
        q.NEEDS_REQUIRED: _("Choose at least one need."),
        q.TOO_MANY_NEEDS: _("Choose at most 8 needs."),
        q.UNKNOWN_NEED: _("Unknown need code."),
        q.QUESTIONS_REQUIRED: _("Add at least one question."),
        q.TOO_MANY_QUESTIONS: _("Use at most 12 questions per domain."),
        q.DOMAINS_REQUIRED: _("Add at least one life domain."),
        q.TOO_MANY_DOMAINS: _("Use at most 20 life domains."),
        q.DUPLICATE_CODE: _("Two domains have the same code."),
        q.BAD_CODE: _("Use lowercase letters, digits and hyphens."),
    }


#: English messages recognised by how they start (they carry values).
def _prefixed() -> list[tuple[str, str]]:
    return [
        ("Must be greater than or equal to", _("This number is outside the allowed range.")),
        ("Must be one of", _("Choose one of the options.")),
        ("Longer than maximum length", _("This text is too long.")),
        ("Length must be between", _("This text is too long or empty.")),
        ("A reason is required", _("Choose a reason.")),
        ("unknown place", _("Unknown place: enter a Belgian postcode or municipality.")),
        ("an ISO 639 code", _("Choose one of the options.")),
        ("give a postcode or municipality", _("Enter a postcode or municipality.")),
        ("Unknown need", _("Unknown need.")),
        ("unknown need", _("Unknown need.")),
    ]


def message(english: str) -> str:
    """The UI-language version of a validation message of the schemas or the logic."""
    found = _messages().get(english)
    if found is not None:
        return found
    if "is more than one place" in english:
        return _("More than one place has this name: add the postcode.")
    for start, translated in _prefixed():
        if english.startswith(start):
            return translated
    return _("Check this field.")


def field_errors(messages: Any, fields: Mapping[tuple[str, ...], str]) -> dict[str, list[str]]:
    """Translated messages per form field: the longest path prefix in ``fields`` names the
    field, else the path's first part (``general`` for schema-wide messages)."""
    out: dict[str, list[str]] = {}
    for path, english in display.error_leaves(messages):
        names = [str(p) for p in path if not str(p).isdigit()]
        target = None
        for size in range(len(names), 0, -1):
            target = fields.get(tuple(names[:size]))
            if target:
                break
        if not target:
            target = names[0] if names and names[0] != "_schema" else "general"
        translated = message(english)
        if translated not in out.setdefault(target, []):
            out[target].append(translated)
    return out
