"""Provider staff: the referrals sent to their organisations.

- ``/inbox``                     referrals sent to my organisations (no personal data)
- ``/inbox/<task_id>``           one referral: the person as consented, timeline, actions

The blueprint also serves the provider's own listings (``/aanbod``): see
:mod:`socialmap.web.inbox_listings`. The logic layer decides everything (who sees what, which
action is allowed, the versions); these views turn forms into the logic's input and its errors
into messages next to fields.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from socialmap.errors import Conflict
from socialmap.logic import listings
from socialmap.logic import referral_views as views
from socialmap.logic import referrals
from socialmap.web import display
from socialmap.web.access import roles_required
from socialmap.web.pages import signed_in

bp = Blueprint("inbox", __name__)

PER_PAGE = 25
OPEN_STATUSES = ("requested", "accepted", "in-progress", "on-hold")
TARGET_ACTIONS = ("accept", "reject", "start", "hold", "complete", "fail", "cancel")
#: Actions that need a coded reason (the logic's transition table says so too).
REASONED = ("reject", "hold", "fail", "cancel")


# -- labels (translated at render time) --------------------------------------------------------


def status_labels() -> dict[str, str]:
    """Statuses as the provider reads them (declined by them, not rejected)."""
    return {
        **display.referral_statuses(),
        "requested": _("Requested"),
        "rejected": _("Declined"),
        "failed": _("Failed"),
    }


def reason_labels() -> dict[str, str]:
    """The logic's reason codes, in its order."""
    return {
        **display.referral_reasons(),
        "no-capacity": _("No capacity at the moment"),
        "not-eligible": _("The person is not eligible"),
    }


def action_labels(status: str | None = None) -> dict[str, str]:
    return {
        "accept": _("Accept"),
        "reject": _("Decline"),
        "start": _("Resume") if status == "on-hold" else _("Start"),
        "hold": _("Put on hold"),
        "complete": _("Complete"),
        "fail": _("Close as failed"),
        "cancel": _("Stop the referral"),
    }


def _labels() -> dict[str, Any]:
    return {
        "status_labels": status_labels(),
        "reason_labels": reason_labels(),
        "urgency_labels": display.urgencies(),
        "person_labels": {
            "name": _("Name"),
            "birth_year": _("Year of birth"),
            "postcode": _("Postcode"),
            "language": _("Language"),
            "contact_method": _("Contact through"),
            "phone": _("Phone"),
            "email": _("E-mail"),
        },
        "contact_labels": {
            "phone": _("Phone"),
            "email": _("E-mail"),
            "through_referrer": _("Through the referrer"),
            "none": _("No contact"),
        },
        "language_labels": {
            "nl": _("Dutch"),
            "fr": _("French"),
            "en": _("English"),
            "de": _("German"),
        },
        "scope_labels": {
            "identity": _("name and year of birth"),
            "contact": _("contact details"),
            "postcode": _("postcode"),
            "language": _("language"),
            "note": _("the referrer's note"),
        },
        "consent_method_labels": {
            "verbal": _("verbally"),
            "signed": _("signed"),
            "online": _("online"),
        },
    }


bp.context_processor(_labels)


# -- the inbox ---------------------------------------------------------------------------------


@bp.get("/inbox")
@roles_required("provider")
def index() -> str:
    user = signed_in()
    status = request.args.get("status", "")
    service_id = request.args.get("service", "")
    overdue = request.args.get("overdue") == "1"
    page = _positive_int(request.args.get("page"), 1)
    services = listings.services_of(user)
    if service_id not in {s["id"] for s in services}:
        service_id = ""
    statuses = _statuses(status)
    result = _inbox(user, statuses, service_id, overdue, page)
    pages = max(1, math.ceil(result["total"] / PER_PAGE))
    args = {k: v for k, v in (("status", status), ("service", service_id)) if v}
    if overdue:
        args["overdue"] = "1"
    return render_template(
        "inbox/index.html",
        result=result,
        page=page,
        pages=pages,
        args=args,
        services=services,
        filters={"status": status, "service": service_id, "overdue": overdue},
        filtered=bool(args),
    )


def _statuses(choice: str) -> list[str] | None:
    if choice == "open":
        return list(OPEN_STATUSES)
    return [choice] if choice in status_labels() else None


def _inbox(
    user: Any, statuses: list[str] | None, service_id: str, overdue: bool, page: int
) -> dict[str, Any]:
    if user.role != "provider":  # admins pass the door but see no referrals
        return {"total": 0, "items": []}
    flags: dict[str, Any] = {"overdue": True} if overdue else {}
    if service_id:
        flags["service_id"] = service_id
    return views.inbox(user, status=statuses, page=page, per_page=PER_PAGE, **flags)


def _positive_int(raw: str | None, default: int) -> int:
    return int(raw) if raw and raw.isdigit() and 0 < int(raw) < 100_000 else default


# -- one referral ------------------------------------------------------------------------------


@bp.get("/inbox/<task_id>")
@roles_required("provider")
def referral(task_id: str) -> str:
    return _referral_page(task_id)


@bp.post("/inbox/<task_id>")
@roles_required("provider")
def act(task_id: str) -> Any:
    """Apply one of the target's actions; the form names the version it was built from."""
    user = signed_in()
    action = request.form.get("action", "")
    data = _transition_data(request.form, action)
    try:
        facts = referrals.transition(user, task_id, data)
    except ValidationError as err:
        errors = field_errors(err.messages, {})
        return _referral_page(
            task_id, failed={"action": action, "errors": errors, "values": request.form}
        ), 422
    except Conflict as err:
        current = err.details.get("current", {})
        return _referral_page(task_id, conflict=current.get("status") or "?"), 409
    flash(_success_message(action, facts.status), "success")
    return redirect(url_for("inbox.referral", task_id=task_id))


def _transition_data(form: MultiDict[str, str], action: str) -> dict[str, Any]:
    """The form as TransitionSchema input (only the target's actions; empty fields left out)."""
    version = form.get("version", "")
    data: dict[str, Any] = {
        "action": action if action in TARGET_ACTIONS else "",
        "version": int(version) if version.isdigit() else version,
    }
    for name in ("note", "outcome", "reason_code", "reason_text"):
        value = form.get(name, "").strip()
        if value:
            data[name] = value
    return data


def _success_message(action: str, status: str) -> str:
    messages = {
        "accept": _("You accepted the referral. The referrer has been notified."),
        "reject": _("You declined the referral. The referrer has been notified."),
        "start": _("The support has started."),
        "hold": _("The referral is on hold."),
        "complete": _("The referral is completed. The referrer has been notified."),
        "fail": _("The referral is closed as failed. The referrer has been notified."),
        "cancel": _("The referral is stopped. The referrer has been notified."),
    }
    return messages.get(action, _("Status: %(status)s", status=status_labels().get(status, "")))


def _referral_page(
    task_id: str, *, failed: Mapping[str, Any] | None = None, conflict: str | None = None
) -> str:
    user = signed_in()
    body = views.detail(user, task_id)
    events = views.events(user, task_id)
    actions = [a for a in TARGET_ACTIONS if a in body["allowed_actions"]]
    return render_template(
        "inbox/referral.html",
        task=body,
        events=events,
        actions=actions,
        primary=_primary_action(actions),
        reasoned=REASONED,
        action_labels=action_labels(body["status"]),
        event_labels=_event_labels(),
        failed=failed or {},
        conflict=conflict,
    )


def _primary_action(actions: list[str]) -> str | None:
    for action in ("accept", "start", "complete"):
        if action in actions:
            return action
    return None


def _event_labels() -> dict[str, str]:
    return {
        "create": _("Sent"),
        "received": _("Opened by the organisation"),
        "consent_withdrawn": _("Consent withdrawn"),
        "send": _("Sent"),
        "accept": _("Accepted"),
        "reject": _("Declined"),
        "start": _("Support started"),
        "hold": _("Put on hold"),
        "complete": _("Completed"),
        "fail": _("Closed as failed"),
        "cancel": _("Cancelled"),
        "enter-in-error": _("Marked as entered in error"),
    }


# -- field messages ----------------------------------------------------------------------------


def field_errors(messages: Any, names: Mapping[tuple[Any, ...], str]) -> dict[str, list[str]]:
    """The schema's messages by form field name (translated); the path's longest known prefix
    names the field, else the field is the path's first key."""
    out: dict[str, list[str]] = {}
    for path, message in display.error_leaves(messages):
        name = next(
            (names[path[:n]] for n in range(len(path), 0, -1) if path[:n] in names),
            str(path[0]) if path else "_form",
        )
        text = _message(message)
        if text not in out.setdefault(name, []):
            out[name].append(text)
    return out


def _message(message: str) -> str:
    """The logic's and marshmallow's English messages in the user's language."""
    fixed = {
        "Missing data for required field.": _("Fill in this field."),
        "Field may not be null.": _("Fill in this field."),
        "Use the form HH:MM.": _("Enter a time as HH:MM, for example 09:00."),
        "Closes before it opens.": _("The closing time must be after the opening time."),
        "Not a phone number.": _("This is not a valid phone number."),
        "Not a valid email address.": _("Enter a valid e-mail address."),
        "Not a valid URL.": _("Enter a full web address, starting with https://."),
        "Not a valid number.": _("Enter a number."),
        "Not a valid integer.": _("Enter a whole number."),
        "Explain the reason 'other'.": _("Explain the reason in a few words."),
    }
    if message in fixed:
        return fixed[message]
    if message.startswith("A reason is required"):
        return _("Choose a reason.")
    if message.startswith("Must be one of"):
        return _("Choose one of the options.")
    found = re.match(
        r"^(?:Longer than maximum length|Length must be between \d+ and) (\d+)\.$", message
    )
    if found:
        return _("Too long: at most %(n)s characters.", n=found.group(1))
    found = re.match(
        r"^Must be greater than or equal to ([\d.]+) and less than or equal to "
        r"([\d.]+)\.$",
        message,
    )
    if found:
        return _(
            "Enter a number from %(low)s to %(high)s.", low=found.group(1), high=found.group(2)
        )
    return _("Check this value.")
