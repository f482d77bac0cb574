"""Words shared by several web areas: the referral codes (statuses, coded reasons, urgency)
and the parts of a listing a correction is about as labels in the UI language, needs by
name, phone numbers as people write them, and the marshmallow error messages as a flat list.

Labels are built per call (the locale is only known in a request). Templates reach this
module as ``display`` (a global, see :mod:`socialmap.web.pages`).
"""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Mapping
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _

from socialmap import taxonomy
from socialmap.logic import corrections
from socialmap.logic.listing_text import phone_text
from socialmap.schemas.referral import REASONS

#: A stored (E.164) number as people write it: "+3259123456" -> "059 12 34 56".
phone = phone_text


def lang() -> str:
    """The UI language of this request."""
    return str(get_locale() or "nl")


def need(code: str) -> str:
    """A need (taxonomy code) by its name in the UI language."""
    return taxonomy.needs().label(code, lang())


def need_list(codes: list[str]) -> str:
    return ", ".join(need(code) for code in codes)


def referral_statuses() -> dict[str, str]:
    """A referral task's status, in the referrer's words (the inbox words a few its own way)."""
    return {
        "draft": _("Draft"),
        "requested": _("Sent"),
        "accepted": _("Accepted"),
        "in-progress": _("In progress"),
        "on-hold": _("On hold"),
        "rejected": _("Rejected"),
        "cancelled": _("Cancelled"),
        "completed": _("Completed"),
        "failed": _("Not completed"),
        "entered-in-error": _("Entered in error"),
    }


def referral_reasons() -> dict[str, str]:
    """The coded reasons of a rejection, hold, failure or cancellation, in the logic's order
    (the inbox words two its own way)."""
    labels = {
        "no-capacity": _("No capacity"),
        "not-eligible": _("Not eligible"),
        "could-not-contact": _("Could not reach the person"),
        "person-declined": _("The person declined"),
        "referred-elsewhere": _("Referred elsewhere"),
        "other": _("Other reason"),
    }
    return {code: labels.get(code, code) for code in REASONS}


def urgencies() -> dict[str, str]:
    return {
        "routine": _("Routine"),
        "urgent": _("Urgent"),
        "asap": _("As soon as possible"),
    }


def correction_fields() -> dict[str, str]:
    """The parts of a listing a correction suggestion can be about (corrections.FIELDS)."""
    labels = {
        "name": _("Name"),
        "description": _("What they do"),
        "address": _("Address"),
        "phone": _("Phone number"),
        "email": _("E-mail address"),
        "website": _("Website"),
        "hours": _("Opening hours"),
        "intake": _("How to register"),
        "costs": _("Costs"),
        "eligibility": _("Who it is for"),
        "capacity": _("Availability or waiting list"),
        "closed": _("The service no longer exists"),
        "other": _("Something else"),
    }
    return {code: labels.get(code, code) for code in corrections.FIELDS}


def error_leaves(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    """(path of keys, message) for every message of a marshmallow error dict; list items
    keep their parent's path, dict keys are kept as they are (ints for list positions)."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield from error_leaves(value, (*path, key))
    elif isinstance(node, list | tuple):
        for item in node:
            yield from error_leaves(item, path)
    else:
        yield path, str(node)
