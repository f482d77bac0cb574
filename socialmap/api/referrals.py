"""Referrals: create with consent, my referrals, the provider inbox, detail, transitions,
timeline, consent withdrawal, the referral letter, the access log and statistics."""

from __future__ import annotations

import json
from typing import Any

from flask import Response
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import ValidationError
from sqlalchemy import inspect

from socialmap.auth import current_user_or_401
from socialmap.logic import fhir
from socialmap.logic import referral_access
from socialmap.logic import referral_views as views
from socialmap.logic import referrals
from socialmap.schemas.referral import AccessLogEntrySchema
from socialmap.schemas.referral import EventSchema
from socialmap.schemas.referral import LetterArgsSchema
from socialmap.schemas.referral import ReferralCreateSchema
from socialmap.schemas.referral import ReferralDetailSchema
from socialmap.schemas.referral import ReferralListArgsSchema
from socialmap.schemas.referral import ReferralPageSchema
from socialmap.schemas.referral import ReferralRequestSchema
from socialmap.schemas.referral import ReferralStateSchema
from socialmap.schemas.referral import TransitionSchema
from socialmap.web.security import content_security_policy
from socialmap.web.security import inline_style_hashes

bp = Blueprint(
    "referrals",
    __name__,
    url_prefix="/api/referrals",
    description="Referrals (FHIR SDOH Task lifecycle); personal data only with consent",
)


@bp.route("")
class ReferralList(MethodView):
    @bp.arguments(ReferralListArgsSchema, location="query")
    @bp.response(200, ReferralPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """My referrals (sent by me, or shared by my practice), newest change first."""
        return views.list_sent(current_user_or_401(), **args)

    @bp.arguments(ReferralCreateSchema)
    @bp.response(201, ReferralRequestSchema)
    @bp.alt_response(200, description="Replay of a create with the same Idempotency-Key")
    @bp.alt_response(422, description="Invalid input; `errors` names each field")
    @bp.doc(
        parameters=[
            {
                "in": "header",
                "name": "Idempotency-Key",
                "schema": {"type": "string", "maxLength": 100},
                "description": "Retrying with the same key returns the first result",
            }
        ]
    )
    def post(self, _data: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """Send a referral: one person, needs, consent, one task per chosen service."""
        user = current_user_or_401()
        key = request.headers.get("Idempotency-Key") or None
        if key is not None and len(key) > 100:
            raise ValidationError({"Idempotency-Key": ["At most 100 characters."]})
        created, is_new = referrals.create_referral(user, request.get_json(), key)
        # inspect().identity: the id without reloading the committed (expired) object
        return views.created(user, inspect(created).identity[0]), 201 if is_new else 200


@bp.route("/inbox")
class Inbox(MethodView):
    @bp.arguments(ReferralListArgsSchema, location="query")
    @bp.response(200, ReferralPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Referrals sent to my organisations' services: unopened first (provider staff)."""
        return views.inbox(current_user_or_401(), **args)


@bp.route("/stats")
class Stats(MethodView):
    @bp.response(200)
    def get(self) -> dict[str, Any]:
        """Counts by status, reason and need, and unmet needs (stewards, admins)."""
        return views.stats(current_user_or_401())


@bp.route("/<task_id>")
class ReferralDetail(MethodView):
    @bp.response(200, ReferralDetailSchema)
    def get(self, task_id: str) -> dict[str, Any]:
        """One referral; the person's data only as consented (every read is logged)."""
        return views.detail(current_user_or_401(), task_id)


@bp.route("/<task_id>/transitions")
class Transitions(MethodView):
    @bp.arguments(TransitionSchema)
    @bp.response(200, ReferralStateSchema)
    @bp.alt_response(409, description="Stale version or not allowed from the current status")
    def post(self, _data: dict[str, Any], task_id: str) -> dict[str, Any]:
        """Change the status: accept, reject, start, hold, complete, fail, cancel, send,
        enter-in-error (see the transition table in the docs)."""
        user = current_user_or_401()
        return views.state(user, referrals.transition(user, task_id, request.get_json()))


@bp.route("/<task_id>/events")
class Events(MethodView):
    @bp.response(200, EventSchema(many=True))
    def get(self, task_id: str) -> list[dict[str, Any]]:
        """The referral's timeline, oldest first."""
        return views.events(current_user_or_401(), task_id)


@bp.route("/<task_id>/consent/withdraw")
class ConsentWithdrawal(MethodView):
    @bp.response(200, ReferralDetailSchema)
    def post(self, task_id: str) -> dict[str, Any]:
        """Record that the person withdrew consent (the provider stops seeing their data)."""
        user = current_user_or_401()
        referrals.withdraw_consent(user, task_id)
        return views.detail(user, task_id, with_person=False)


@bp.route("/<task_id>/letter")
class Letter(MethodView):
    @bp.arguments(LetterArgsSchema, location="query")
    @bp.response(200, content_type="text/html")
    def get(self, args: dict[str, Any], task_id: str) -> Response:
        """The printable referral letter for the person, in their language (requester)."""
        user = current_user_or_401()
        html = views.letter(user, task_id, args.get("lang"))
        csp = content_security_policy(inline_style_hashes(html))
        headers = {"Cache-Control": "no-store", "Content-Security-Policy": csp}
        return Response(html, mimetype="text/html", headers=headers)


@bp.route("/<task_id>/fhir")
class FhirTask(MethodView):
    @bp.response(200, content_type="application/fhir+json")
    def get(self, task_id: str) -> Response:
        """The referral as a FHIR R4 Task (SDOH Clinical Care profile) with its
        ServiceRequest contained; the patient is an opaque reference, no personal data."""
        body = fhir.task_resource(current_user_or_401(), task_id)
        return Response(json.dumps(body), mimetype="application/fhir+json")


@bp.route("/<task_id>/access-log")
class AccessLog(MethodView):
    @bp.response(200, AccessLogEntrySchema(many=True))
    def get(self, task_id: str) -> list[dict[str, Any]]:
        """Who read the person's data, when (the referrer and admins)."""
        return referral_access.access_log(current_user_or_401(), task_id)
