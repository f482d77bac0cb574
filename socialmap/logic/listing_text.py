"""Listing facts in words for people, shared by the public directory pages, the referral
letter and the signed-in web pages: phone numbers as people write them, a text in the
reader's language (else the original), the ways to register as sentences, capacity labels.

Translated in the current locale (call inside a request or ``force_locale``); nothing here
reads the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import phonenumbers
from flask_babel import gettext as _

Text = dict[str, str]  # {"text": ..., "lang": ...}: shown with its own lang attribute

#: Coordinates this rough are a postcode or municipality centroid: a pin there would send
#: people to the wrong street, so no pin or map link is given.
ROUGH_PRECISION = ("postcode", "municipality")


def capital(text: str) -> str:
    """``text`` with its first letter in upper case (the rest unchanged)."""
    return text[:1].upper() + text[1:]


def phone_text(number: str | None) -> str:
    """A stored (E.164) number as people write it: ``+3259991234`` -> ``059 99 12 34``
    (foreign numbers in international format); short numbers (``1712``) and anything
    unparsable as stored."""
    parsed = _valid_phone(number)
    if parsed is None:
        return number or ""
    style = phonenumbers.PhoneNumberFormat
    return phonenumbers.format_number(
        parsed, style.NATIONAL if parsed.country_code == 32 else style.INTERNATIONAL
    )


def phone_uri(number: str) -> str:
    """A ``tel:`` link: a valid number in E.164, anything else as stored."""
    parsed = _valid_phone(number)
    if parsed is None:
        return f"tel:{number}"
    return f"tel:{phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)}"


def _valid_phone(number: str | None) -> phonenumbers.PhoneNumber | None:
    if not number:
        return None
    try:
        parsed = phonenumbers.parse(number, "BE")
    except phonenumbers.NumberParseException:
        return None
    return parsed if phonenumbers.is_valid_number(parsed) else None


def translated(
    translations: dict[str, dict[str, str]] | None,
    field: str,
    original: Any,
    source_lang: str,
    lang: str,
) -> Text | None:
    """The text in ``lang`` when a translation exists, else the original in its language."""
    text = ((translations or {}).get(lang) or {}).get(field)
    if text and text.strip():
        return {"text": text.strip(), "lang": lang}
    if original and str(original).strip():
        return {"text": str(original).strip(), "lang": source_lang}
    return None


def intake_steps(methods: Iterable[str], *, to_referred_person: bool = False) -> list[str]:
    """One sentence per way to register, in the provider's order. ``to_referred_person``:
    the reader was referred (the letter), so the referrer can register them."""
    sentences = {
        "phone": _("Call the service."),
        "email": _("Send the service an e-mail."),
        "form": _("Fill in the service's registration form."),
        "walk_in": _("Drop in during the opening hours; no appointment is needed."),
        "appointment": _("Make an appointment first."),
        "self_referral": _("You can contact the service yourself."),
        "professional_referral": _("The person who referred you can also register you.")
        if to_referred_person
        else _("A social worker or your doctor can also register you."),
    }
    return [sentences[x] for x in dict.fromkeys(methods) if x in sentences]


def capacity_labels() -> dict[str, str]:
    """A listing's capacity status as the public reads it."""
    return {
        "available": _("Room available"),
        "waitlist": _("Waiting list"),
        "full": _("Full"),
        "unknown": _("Availability unknown"),
    }
