"""Schemas of referrals: create (person, needs, consent, target services), transitions,
and the documented shapes of what the API returns."""

from __future__ import annotations

import datetime as dt
from typing import Any

from marshmallow import Schema
from marshmallow import ValidationError
from marshmallow import fields
from marshmallow import post_load
from marshmallow import validate
from marshmallow import validates
from marshmallow import validates_schema

from socialmap import taxonomy

CONTACT_METHODS = ("phone", "email", "through_referrer", "none")
CONSENT_METHODS = ("verbal", "signed", "online")
#: What a person can agree to share with the target organisation.
CONSENT_SCOPES = ("identity", "contact", "postcode", "language", "note")
URGENCIES = ("routine", "urgent", "asap")
#: Coded reasons for rejected, cancelled, failed and on-hold (``other`` needs a text).
REASONS = (
    "no-capacity",
    "not-eligible",
    "could-not-contact",
    "person-declined",
    "referred-elsewhere",
    "other",
)
LANGUAGES = ("nl", "fr", "en", "de")


class PersonSchema(Schema):
    """The person in need: minimal, and only what the referral needs."""

    name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Name or initials"},
    )
    birth_year = fields.Integer(validate=validate.Range(min=1900, max=2100), allow_none=True)
    age = fields.Integer(
        validate=validate.Range(min=0, max=130),
        load_only=True,
        metadata={"description": "Instead of birth_year"},
    )
    postcode = fields.String(validate=validate.Regexp(r"^\d{4}$"), allow_none=True)
    language = fields.String(load_default="nl", validate=validate.OneOf(LANGUAGES))
    contact_method = fields.String(
        load_default="through_referrer", validate=validate.OneOf(CONTACT_METHODS)
    )
    phone = fields.String(validate=validate.Length(max=32), allow_none=True)
    email = fields.Email(validate=validate.Length(max=320), allow_none=True)

    @validates("postcode")
    def _known_postcode(self, value: str | None, **_: Any) -> None:
        from socialmap.gazetteer import get_gazetteer

        if value and not get_gazetteer().is_valid_postcode(value):
            raise ValidationError("Unknown Belgian postcode.")

    @validates_schema
    def _contact_details(self, data: dict[str, Any], **_: Any) -> None:
        method = data.get("contact_method")
        if method == "phone" and not data.get("phone"):
            raise ValidationError("A phone number is needed to contact by phone.", "phone")
        if method == "email" and not data.get("email"):
            raise ValidationError("An e-mail address is needed to contact by e-mail.", "email")

    @post_load
    def _birth_year(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        age = data.pop("age", None)
        if age is not None and not data.get("birth_year"):
            data["birth_year"] = dt.date.today().year - age
        if data.get("phone"):
            data["phone"] = _normalise_phone(data["phone"])
        return data


def _normalise_phone(raw: str) -> str:
    import phonenumbers

    try:
        number = phonenumbers.parse(raw, "BE")
    except phonenumbers.NumberParseException as exc:
        raise ValidationError("Not a phone number.", "phone") from exc
    if not phonenumbers.is_possible_number(number):
        raise ValidationError("Not a phone number.", "phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class ConsentSchema(Schema):
    method = fields.String(required=True, validate=validate.OneOf(CONSENT_METHODS))
    given_at = fields.AwareDateTime(
        default_timezone=dt.UTC, metadata={"description": "Default: now"}
    )
    scope = fields.List(
        fields.String(validate=validate.OneOf(CONSENT_SCOPES)),
        load_default=list(CONSENT_SCOPES),
        metadata={"description": "What the target organisation may see"},
    )


class ReferralCreateSchema(Schema):
    person = fields.Nested(PersonSchema, required=True)
    needs = fields.List(
        fields.String(validate=validate.Length(max=64)),
        required=True,
        validate=validate.Length(min=1, max=20),
    )
    services = fields.List(
        fields.String(validate=validate.Length(max=36)),
        required=True,
        validate=validate.Length(min=1, max=10),
        metadata={"description": "Ids of the services to refer to (one task each)"},
    )
    note = fields.String(validate=validate.Length(max=4000), allow_none=True)
    urgency = fields.String(load_default="routine", validate=validate.OneOf(URGENCIES))
    consent = fields.Nested(ConsentSchema, allow_none=True)
    send = fields.Boolean(
        load_default=True, metadata={"description": "false saves drafts (not sent)"}
    )
    shared_with_practice = fields.Boolean(load_default=False)

    @validates("needs")
    def _known_needs(self, value: list[str], **_: Any) -> None:
        vocabulary = taxonomy.needs()
        unknown = [code for code in value if code not in vocabulary]
        if unknown:
            raise ValidationError(f"Unknown need: {', '.join(unknown)}")

    @validates_schema
    def _consent_to_send(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("send", True) and not data.get("consent"):
            raise ValidationError("The person's consent is needed to send a referral.", "consent")


class TransitionSchema(Schema):
    action = fields.String(required=True, validate=validate.Length(min=1, max=24))
    version = fields.Integer(
        required=True,
        # Far beyond any real version, and its successor still fits the 32-bit column.
        validate=validate.Range(min=1, max=1_000_000_000),
        metadata={"description": "The version you last saw; a newer one answers 409"},
    )
    reason_code = fields.String(validate=validate.OneOf(REASONS), allow_none=True)
    reason_text = fields.String(validate=validate.Length(max=2000), allow_none=True)
    note = fields.String(validate=validate.Length(max=4000), allow_none=True)
    outcome = fields.String(validate=validate.Length(max=4000), allow_none=True)


class ReferralListArgsSchema(Schema):
    status = fields.List(fields.String(validate=validate.Length(max=20)))
    overdue = fields.Boolean()
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class LetterArgsSchema(Schema):
    lang = fields.String(validate=validate.OneOf(("nl", "fr", "en")))


class RefSchema(Schema):
    id = fields.String()
    name = fields.String()


class ReferralSummarySchema(Schema):
    id = fields.String()
    request_id = fields.String()
    status = fields.String()
    version = fields.Integer()
    service = fields.Nested(RefSchema)
    organization = fields.Nested(RefSchema)
    needs = fields.List(fields.String())
    urgency = fields.String()
    reason_code = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    requested_at = fields.DateTime(allow_none=True)
    received_at = fields.DateTime(allow_none=True)
    overdue = fields.Boolean()


class ReferralPageSchema(Schema):
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    items = fields.List(fields.Nested(ReferralSummarySchema))


class ReferralDetailSchema(ReferralSummarySchema):
    reason_text = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    referrer = fields.Dict()
    person = fields.Dict(allow_none=True, metadata={"description": "null when not visible"})
    person_hidden = fields.String(
        allow_none=True,
        metadata={
            "description": "why person is null: consent_withdrawn, no_consent, erased, or "
            "not_included (answers to changes leave the person out)"
        },
    )
    consent = fields.Dict(allow_none=True)
    allowed_actions = fields.List(fields.String())


class ReferralStateSchema(ReferralSummarySchema):
    """A task after a change: no person (see ReferralDetailSchema for that)."""

    reason_text = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    allowed_actions = fields.List(fields.String())


class ReferralRequestSchema(Schema):
    id = fields.String()
    created_at = fields.DateTime()
    referrals = fields.List(fields.Nested(ReferralStateSchema))


class EventSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    action = fields.String(allow_none=True)
    actor = fields.Dict(allow_none=True)
    actor_side = fields.String(allow_none=True)
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)
    reason_code = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    version = fields.Integer(allow_none=True)
    at = fields.DateTime()


class AccessLogEntrySchema(Schema):
    actor = fields.Dict()
    action = fields.String()
    task_id = fields.String(allow_none=True)
    at = fields.DateTime()
