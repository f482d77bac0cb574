"""Schemas of the service listing API."""

from __future__ import annotations

from marshmallow import Schema
from marshmallow import fields
from marshmallow import validate


class ServiceListArgsSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    organization_id = fields.String()
    need = fields.String(metadata={"description": "Taxonomy code of a need"})


class ServiceSchema(Schema):
    """A service with its organization and (public view of its) locations nested."""

    class Meta:
        unknown = "include"

    id = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String(allow_none=True)
    status = fields.String()
    organization = fields.Dict()
    locations = fields.List(fields.Dict())
    needs = fields.List(fields.String())
    target_groups = fields.List(fields.String())
    intake = fields.Dict(allow_none=True)
    capacity = fields.Dict(allow_none=True)


class ServicePageSchema(Schema):
    notice = fields.String(metadata={"description": "Present when the data is fictional demo data"})
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    items = fields.List(fields.Raw())
