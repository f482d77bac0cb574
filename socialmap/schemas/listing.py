"""Schemas of the providers' own listing updates."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema
from marshmallow import ValidationError
from marshmallow import fields
from marshmallow import post_load
from marshmallow import validate
from marshmallow import validates_schema

CAPACITY_STATUSES = ("available", "waitlist", "full", "unknown")


class CapacityUpdateSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(CAPACITY_STATUSES))
    waiting_weeks = fields.Float(
        validate=validate.Range(min=0, max=260),
        allow_none=True,
        metadata={"description": "With status waitlist: the expected wait in weeks"},
    )
    note = fields.String(validate=validate.Length(max=1000), allow_none=True)


class CapacitySchema(CapacityUpdateSchema):
    updated_at = fields.DateTime()
    updated_by = fields.String()


#: How people can register for a service (IntakeProcedure.methods).
INTAKE_METHODS = (
    "self_referral",
    "professional_referral",
    "phone",
    "email",
    "form",
    "walk_in",
    "appointment",
)
_TIME = validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", error="Use the form HH:MM.")


class TimeSlotSchema(Schema):
    """One opening period of a weekday (``HH:MM``, local time; 23:59 for midnight)."""

    opens_at = fields.String(required=True, validate=_TIME)
    closes_at = fields.String(required=True, validate=_TIME)
    description = fields.String(validate=validate.Length(max=500), allow_none=True)

    @validates_schema
    def _in_order(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("opens_at") and data.get("closes_at") and data["closes_at"] <= data["opens_at"]:
            raise ValidationError("Closes before it opens.", "closes_at")


class DayHoursSchema(Schema):
    """A weekday (1=Monday..7=Sunday) and its periods; no periods: closed that day."""

    weekday = fields.Integer(required=True, validate=validate.Range(min=1, max=7))
    slots = fields.List(
        fields.Nested(TimeSlotSchema), load_default=list, validate=validate.Length(max=4)
    )


class IntakeUpdateSchema(Schema):
    methods = fields.List(fields.String(validate=validate.OneOf(INTAKE_METHODS)), load_default=list)
    instructions = fields.String(validate=validate.Length(max=4000), allow_none=True)
    required_information = fields.String(validate=validate.Length(max=4000), allow_none=True)
    accepts_referrals = fields.Boolean(load_default=False)
    translations = fields.Dict(
        keys=fields.String(validate=validate.OneOf(("nl", "fr", "en", "de"))),
        values=fields.Dict(
            keys=fields.String(validate=validate.OneOf(("instructions", "required_information"))),
            values=fields.String(validate=validate.Length(max=4000)),
        ),
        load_default=dict,
        metadata={"description": "Other languages: {lang: {field: text}}"},
    )


class PhoneUpdateSchema(Schema):
    number = fields.String(required=True, validate=validate.Length(min=1, max=32))
    extension = fields.String(validate=validate.Length(max=16), allow_none=True)
    type = fields.String(
        validate=validate.OneOf(("voice", "text", "fax", "cell", "video")), allow_none=True
    )
    description = fields.String(validate=validate.Length(max=500), allow_none=True)

    @post_load
    def _e164(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["number"] = normalise_phone(data["number"])
        return data


def normalise_phone(raw: str) -> str:
    """A Belgian or international number as E.164; short numbers (1712) stay as they are.
    :raise ValidationError:"""
    import phonenumbers

    compact = "".join(ch for ch in raw if ch.isdigit() or ch == "+")
    if compact.isdigit() and 3 <= len(compact) <= 6:
        return compact
    try:
        number = phonenumbers.parse(raw, "BE")
    except phonenumbers.NumberParseException as exc:
        raise ValidationError("Not a phone number.", "number") from exc
    if not phonenumbers.is_possible_number(number):
        raise ValidationError("Not a phone number.", "number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class ListingUpdateSchema(Schema):
    """A provider's edit of its own listing; only the sections given are changed."""

    hours = fields.List(
        fields.Nested(DayHoursSchema),
        validate=validate.Length(max=7),
        metadata={"description": "The weekly hours; a weekday left out is closed"},
    )
    hours_note = fields.String(
        validate=validate.Length(max=1000),
        allow_none=True,
        metadata={"description": "Hours in words, e.g. 'by appointment only'"},
    )
    intake = fields.Nested(IntakeUpdateSchema)
    required_documents = fields.List(
        fields.String(validate=validate.Length(min=1, max=500)), validate=validate.Length(max=30)
    )
    email = fields.Email(validate=validate.Length(max=320), allow_none=True)
    url = fields.Url(schemes={"http", "https"}, validate=validate.Length(max=2000), allow_none=True)
    phones = fields.List(fields.Nested(PhoneUpdateSchema), validate=validate.Length(max=10))

    @validates_schema
    def _one_entry_per_weekday(self, data: dict[str, Any], **_: Any) -> None:
        days = [day["weekday"] for day in data.get("hours") or ()]
        if len(days) != len(set(days)):
            raise ValidationError("Each weekday at most once.", "hours")
