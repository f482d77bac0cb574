"""Referrers: the guided referral flow, my referrals, one referral with its timeline and the
printable letter; and the stewards' editor of the needs questionnaire.

The flow has four steps: where the person lives -> needs (the region's questionnaire and the
taxonomy) -> matching services -> the person, consent and send. Every step is a POST that
carries what came before in hidden fields: the person's needs, place and details never
appear in a URL, and nothing personal is stored before the referrer sends with consent (no
drafts). Sending is idempotent: the person step holds a one-time key, so a double submit
creates one referral. The referral pages are per task (one chosen service), like the logic.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from flask import Blueprint
from flask import Response
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from socialmap import taxonomy
from socialmap.errors import Conflict
from socialmap.errors import NotFound
from socialmap.extensions import db
from socialmap.logic import catalog
from socialmap.logic import matching
from socialmap.logic import questionnaires
from socialmap.logic import referral_views as views
from socialmap.logic import referrals
from socialmap.logic.search import SearchArgumentError
from socialmap.logic.search import resolve_place
from socialmap.schemas.matching import MatchRequestSchema
from socialmap.schemas.referral import LANGUAGES as PERSON_LANGUAGES
from socialmap.schemas.referral import ReferralCreateSchema
from socialmap.schemas.referral import ReferralListArgsSchema
from socialmap.web import workspace_text as text
from socialmap.web.access import roles_required
from socialmap.web.pages import signed_in

bp = Blueprint("workspace", __name__)

#: Matching takes at most this many needs (schemas.matching.MatchRequestSchema).
MAX_NEEDS = 10
MAX_SERVICES = 10
MATCH_LIMIT = 20
PER_PAGE = 20
#: The status filter of "my referrals": a group or one status.
STATUS_FILTERS = {"open": sorted(referrals.OPEN - {"draft"}), "closed": sorted(referrals.CLOSED)}
#: Form fields of the person step for the fields of ReferralCreateSchema.
PERSON_FIELDS = {
    ("person", "name"): "name",
    ("person", "birth_year"): "birth_year",
    ("person", "age"): "birth_year",
    ("person", "postcode"): "postcode",
    ("person", "language"): "language",
    ("person", "contact_method"): "contact_method",
    ("person", "phone"): "phone",
    ("person", "email"): "email",
    ("consent",): "consent_agreed",
    ("consent", "method"): "consent_method",
    ("consent", "scope"): "consent_scope",
    ("note",): "note",
    ("urgency",): "urgency",
    ("services",): "general",
    ("needs",): "general",
}


@bp.context_processor
def _template_helpers() -> dict[str, Any]:
    return {"labels": text.labels(), "fmt": text}


# ---------------------------------------------------------------- my referrals


@bp.get("/verwijzen")
@roles_required("referrer")
def index() -> str:
    """My referrals, newest change first, filtered by status and overdue."""
    chosen = request.args.get("status", "")
    statuses = STATUS_FILTERS.get(chosen) or ([chosen] if chosen in text.STATUSES else None)
    overdue = request.args.get("overdue") == "1"
    try:
        args = ReferralListArgsSchema().load(
            {"page": request.args.get("page", "1"), "per_page": PER_PAGE}
        )
    except ValidationError:
        args = {"page": 1, "per_page": PER_PAGE}
    found = views.list_sent(signed_in(), status=statuses, overdue=True if overdue else None, **args)
    pages = max(1, math.ceil(found["total"] / PER_PAGE))
    filters = {k: v for k, v in {"status": chosen, "overdue": "1" if overdue else ""}.items() if v}
    return render_template(
        "workspace/index.html",
        found=found,
        pages=pages,
        status=chosen,
        overdue=overdue,
        filters=filters,
        status_options=[("", _("All")), *_status_options()],
    )


def _status_options() -> list[tuple[str, str]]:
    names = text.labels()["status"]
    return [(code, names[code]) for code in ("open", "closed", *text.STATUSES)]


# ---------------------------------------------------------------- the flow


@dataclass
class Flow:
    """What the steps so far have asked, carried in hidden fields (never in the URL)."""

    place: str = ""
    age: str = ""
    language: str = ""
    urgency: str = "routine"
    answers: list[str] = field(default_factory=list)
    needs: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)

    @classmethod
    def from_form(cls, form: MultiDict[str, str]) -> Flow:
        return cls(
            place=form.get("place", "").strip()[:200],
            age=form.get("age", "").strip()[:8],
            language=form.get("language", "").strip()[:3],
            urgency=form.get("urgency", "routine"),
            answers=list(dict.fromkeys(form.getlist("answers")))[:100],
            needs=list(dict.fromkeys(form.getlist("needs")))[:100],
            services=list(dict.fromkeys(form.getlist("services")))[:50],
        )

    def match_request(self, needs: list[str]) -> dict[str, Any]:
        body: dict[str, Any] = {"needs": needs, "place": self.place, "urgency": self.urgency}
        if self.age:
            body["age"] = self.age
        if self.language:
            body["language"] = self.language
        return body


@bp.route("/verwijzen/nieuw", methods=["GET", "POST"])
@roles_required("referrer")
def new() -> str:
    """Step 1: where the person lives (and, for matching, age, language and urgency)."""
    flow = Flow.from_form(request.form) if request.method == "POST" else Flow()
    return render_template("workspace/place.html", flow=flow, errors={})


@bp.post("/verwijzen/nieuw/behoeften")
@roles_required("referrer")
def needs() -> Any:
    """Step 2: the region's questionnaire and the taxonomy's needs."""
    flow = Flow.from_form(request.form)
    errors = _place_errors(flow)
    if errors:
        return render_template("workspace/place.html", flow=flow, errors=errors), 422
    return _needs_page(flow, {})


def _needs_page(flow: Flow, errors: dict[str, list[str]], status: int = 200) -> Any:
    questionnaire = questionnaires.for_postcode(flow.place)
    return render_template(
        "workspace/needs.html",
        flow=flow,
        errors=errors,
        questionnaire=questionnaire,
        answer_key=questionnaires.answer_key,
        roots=taxonomy.needs().roots(),
        children=taxonomy.needs().children,
    ), status


def _place_errors(flow: Flow) -> dict[str, list[str]]:
    """Field errors of step 1, through the matching schema and the gazetteer."""
    schema = MatchRequestSchema(partial=("needs",))
    messages = schema.validate({k: v for k, v in flow.match_request([]).items() if k != "needs"})
    if not flow.place:
        messages["place"] = ["Missing data for required field."]
    elif "place" not in messages:
        try:
            resolve_place(flow.place, None, None)
        except SearchArgumentError as exc:
            messages.update(exc.fields)
    if flow.language and flow.language not in PERSON_LANGUAGES:
        messages["language"] = ["Must be one of: nl, fr, en, de."]
    return text.field_errors(messages, {})


def _chosen_needs(flow: Flow) -> list[str]:
    """The needs of the "yes" answers and those picked from the list, condensed to what
    matching takes."""
    domains = questionnaires.for_postcode(flow.place).domains
    codes = questionnaires.needs_for_answers(domains, flow.answers) + flow.needs
    return questionnaires.condense_needs([c for c in codes if c in taxonomy.needs()], MAX_NEEDS)


@bp.post("/verwijzen/nieuw/diensten")
@roles_required("referrer")
def matches() -> Any:
    """Step 3: matching services with their explanation, and the ones left out."""
    flow = Flow.from_form(request.form)
    place_errors = _place_errors(flow)
    if place_errors:
        return render_template("workspace/place.html", flow=flow, errors=place_errors), 422
    chosen = _chosen_needs(flow)
    if not chosen:
        return _needs_page(
            flow, {"general": [_("Answer yes to a question or choose a need.")]}, 422
        )
    if len(chosen) > MAX_NEEDS:
        message = _("Choose at most %(n)s needs: untick a few answers or needs.", n=MAX_NEEDS)
        return _needs_page(flow, {"general": [message]}, 422)
    return _matches_page(flow, chosen, {})


def _matches_page(
    flow: Flow, chosen: list[str], errors: dict[str, list[str]], status: int = 200
) -> Any:
    try:
        result = matching.match_services({**flow.match_request(chosen), "limit": MATCH_LIMIT})
    except ValidationError as exc:
        return _needs_page(flow, text.field_errors(exc.messages, {}), 422)
    return render_template(
        "workspace/matches.html", flow=flow, needs=chosen, result=result.as_dict(), errors=errors
    ), status


@bp.post("/verwijzen/nieuw/persoon")
@roles_required("referrer")
def person() -> Any:
    """Step 4: the person's details, contact preference and consent."""
    flow = Flow.from_form(request.form)
    chosen = _chosen_needs(flow)
    if not flow.services or len(flow.services) > MAX_SERVICES:
        message = _("Choose between 1 and %(n)s services.", n=MAX_SERVICES)
        return _matches_page(flow, chosen, {"services": [message]}, 422)
    values = {"postcode": _postcode(flow.place), "language": flow.language or "nl"}
    return _person_page(flow, chosen, values, {}, secrets.token_urlsafe(24))


def _person_page(
    flow: Flow,
    chosen: list[str],
    values: dict[str, Any],
    errors: dict[str, list[str]],
    key: str,
    status: int = 200,
) -> Any:
    services = []
    for service_id in flow.services:
        try:
            services.append(catalog.get_service(db.session, service_id))
        except NotFound:  # removed meanwhile: the send step names it
            continue
    return render_template(
        "workspace/person.html",
        flow=flow,
        needs=chosen,
        services=services,
        values=values,
        errors=errors,
        key=key,
    ), status


def _postcode(place: str) -> str:
    try:
        found = resolve_place(place, None, None)
    except SearchArgumentError:
        return ""
    return (found.postcode or "") if found else ""


@bp.post("/verwijzen/nieuw/versturen")
@roles_required("referrer")
def send() -> Any:
    """Send: create_referral with consent (idempotent by the form's one-time key), then
    Post/Redirect/Get to the referral's page."""
    user = signed_in()
    flow = Flow.from_form(request.form)
    form = request.form
    chosen = _chosen_needs(flow)
    values = {k: form.get(k, "").strip() for k in _PERSON_INPUTS}
    values["consent_scope"] = form.getlist("consent_scope")
    values["consent_agreed"] = form.get("consent_agreed") == "yes"
    values["shared_with_practice"] = form.get("shared_with_practice") == "yes"
    key = form.get("key", "")[:100] or secrets.token_urlsafe(24)
    data = _referral_data(flow, chosen, values)
    messages = ReferralCreateSchema().validate(data)
    if not values["consent_agreed"]:
        messages.setdefault("consent", ["The person's consent is needed to send a referral."])
    if not messages:
        try:
            created, _new = referrals.create_referral(user, data, key)
        except ValidationError as exc:
            messages = exc.messages_dict
        else:
            tasks = views.created(user, created.id)["referrals"]
            _flash_once(_("The referral was sent. You can follow it here."), "success")
            return redirect(url_for("workspace.referral", task_id=tasks[0]["id"]), code=303)
    errors = text.field_errors(messages, PERSON_FIELDS)
    return _person_page(flow, chosen, values, errors, key, 422)


def _flash_once(message: str, category: str) -> None:
    """A repeated submit (same one-time key) must not show the message twice."""
    if (category, message) not in [tuple(f) for f in session.get("_flashes", [])]:
        flash(message, category)


_PERSON_INPUTS = (
    "name",
    "birth_year",
    "postcode",
    "language",
    "contact_method",
    "phone",
    "email",
    "note",
    "consent_method",
)


def _referral_data(flow: Flow, chosen: list[str], values: dict[str, Any]) -> dict[str, Any]:
    """The body of create_referral from the form (empty fields left out)."""
    person = {
        k: values[k]
        for k in ("name", "birth_year", "postcode", "language", "contact_method", "phone", "email")
        if values.get(k)
    }
    if "birth_year" not in person and flow.age:
        try:
            person["age"] = int(float(flow.age))
        except ValueError:
            pass
    data: dict[str, Any] = {
        "person": person,
        "needs": chosen,
        "services": flow.services,
        "urgency": flow.urgency,
        "send": True,
        "shared_with_practice": values["shared_with_practice"],
    }
    if values.get("note"):
        data["note"] = values["note"]
    if values["consent_agreed"]:
        consent: dict[str, Any] = {"scope": values["consent_scope"]}
        if values.get("consent_method"):
            consent["method"] = values["consent_method"]
        data["consent"] = consent
    return data


# ---------------------------------------------------------------- one referral


@bp.get("/verwijzingen/<task_id>")
@roles_required("referrer")
def referral(task_id: str) -> Any:
    """One referral (task): status, the person (a logged read), timeline, actions."""
    return _referral_page(task_id, {})


def _referral_page(task_id: str, errors: dict[str, list[str]], status: int = 200) -> Any:
    user = signed_in()
    detail = views.detail(user, task_id)
    events = views.events(user, task_id)
    siblings = [
        t for t in views.created(user, detail["request_id"])["referrals"] if t["id"] != task_id
    ]
    return render_template(
        "workspace/referral.html",
        task=detail,
        events=events,
        siblings=siblings,
        errors=errors,
        form=request.form,
    ), status


@bp.post("/verwijzingen/<task_id>/status")
@roles_required("referrer")
def transition(task_id: str) -> Any:
    """A status change the referrer may make (cancel with a coded reason)."""
    form = request.form
    data = {k: form.get(k) or None for k in ("action", "version", "reason_code", "reason_text")}
    try:
        task = referrals.transition(signed_in(), task_id, data)
    except ValidationError as exc:
        return _referral_page(task_id, text.field_errors(exc.messages_dict, {}), 422)
    except Conflict:
        flash(_("This referral changed meanwhile. Check its status and try again."), "warning")
    else:
        label = text.labels()["status"].get(task.status, task.status)
        flash(_("The referral is now: %(status)s.", status=label), "success")
    return redirect(url_for("workspace.referral", task_id=task_id), code=303)


@bp.post("/verwijzingen/<task_id>/toestemming-intrekken")
@roles_required("referrer")
def withdraw_consent(task_id: str) -> Any:
    """The person withdrew consent: the organisation stops seeing their details."""
    try:
        referrals.withdraw_consent(signed_in(), task_id)
    except Conflict:
        flash(_("There is no consent to withdraw."), "warning")
    else:
        flash(
            _("Consent withdrawn: the organisation no longer sees the person's details."), "success"
        )
    return redirect(url_for("workspace.referral", task_id=task_id), code=303)


@bp.get("/verwijzingen/<task_id>/brief")
@roles_required("referrer")
def letter(task_id: str) -> Response:
    """The printable referral letter, in the UI language unless another is asked."""
    lang = request.args.get("lang")
    if lang not in text.LETTER_LANGUAGES:
        lang = str(get_locale())
    html = views.letter(signed_in(), task_id, lang)
    return Response(html, mimetype="text/html", headers={"Cache-Control": "no-store"})
