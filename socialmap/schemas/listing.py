"""Schemas of the providers' own listing updates."""

from __future__ import annotations

from marshmallow import Schema
from marshmallow import fields
from marshmallow import validate

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
