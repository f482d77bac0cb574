"""Schemas of the search API (``GET /api/search``, ``GET /api/search/suggest``)."""

from __future__ import annotations

from marshmallow import Schema
from marshmallow import ValidationError
from marshmallow import fields
from marshmallow import validate
from marshmallow import validates_schema

from search.query import CAPACITY_FILTERS
from search.query import MAX_PER_PAGE
from search.query import MAX_RADIUS_KM


class SearchArgsSchema(Schema):
    q = fields.String(
        validate=validate.Length(max=300),
        metadata={"description": "What the person needs, in their own words (NL/FR/EN)"},
    )
    need = fields.List(
        fields.String(validate=validate.Length(max=64)),
        metadata={"description": "Taxonomy code of a need (repeatable; includes sub-needs)"},
    )
    place = fields.String(
        validate=validate.Length(max=200),
        metadata={"description": "Postcode or municipality/deelgemeente (NL/FR), e.g. 8400"},
    )
    lat = fields.Float(validate=validate.Range(min=-90, max=90))
    lon = fields.Float(validate=validate.Range(min=-180, max=180))
    radius_km = fields.Float(
        validate=validate.Range(min=0, max=MAX_RADIUS_KM, min_inclusive=False),
        metadata={"description": "Distance from the place (default 15 km)"},
    )
    target_group = fields.List(fields.String(validate=validate.Length(max=64)))
    age = fields.Float(validate=validate.Range(min=0, max=130))
    language = fields.String(validate=validate.Length(min=2, max=8))
    free = fields.Boolean()
    open_now = fields.Boolean()
    open_at = fields.AwareDateTime(
        default_timezone=None,
        metadata={"description": "ISO date-time; without offset it is Brussels time"},
    )
    capacity = fields.String(validate=validate.OneOf(CAPACITY_FILTERS))
    accepts_referrals = fields.Boolean()
    organization_id = fields.String(validate=validate.Length(max=36))
    sort = fields.String(validate=validate.OneOf(["relevance", "distance"]))
    facets = fields.Boolean(
        load_default=True,
        metadata={"description": "Count needs, target groups, languages, ... (default true)"},
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PER_PAGE))

    @validates_schema
    def _distance_needs_place(self, data: dict, **_: object) -> None:
        if data.get("sort") == "distance" and not (data.get("place") or "lat" in data):
            raise ValidationError("sort=distance needs a place or lat/lon", "sort")


class HitSchema(Schema):
    id = fields.String()
    service_id = fields.String()
    location_id = fields.String(allow_none=True)
    organization_id = fields.String()
    name = fields.String()
    organization_name = fields.String()
    score = fields.Float()
    distance_km = fields.Float(allow_none=True)
    match = fields.String(allow_none=True, metadata={"description": "distance | service_area"})
    matched_needs = fields.List(fields.String())
    matched_terms = fields.List(fields.String())
    highlights = fields.Dict(keys=fields.String(), values=fields.String())
    municipality = fields.String(allow_none=True)
    capacity = fields.String()
    free = fields.Boolean(allow_none=True)
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)


class PlaceSchema(Schema):
    label = fields.String(allow_none=True)
    postcode = fields.String(allow_none=True)
    municipality = fields.String(allow_none=True)
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)


class SearchResultsSchema(Schema):
    notice = fields.String(metadata={"description": "Present when the data is fictional demo data"})
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    hits = fields.List(fields.Nested(HitSchema))
    facets = fields.Dict(keys=fields.String(), values=fields.Dict())
    understood = fields.Dict(
        metadata={"description": "Needs recognised in q, typo corrections and the place used"}
    )


class SuggestArgsSchema(Schema):
    prefix = fields.String(required=True, validate=validate.Length(min=1, max=100))
    lang = fields.String(load_default="nl", validate=validate.OneOf(["nl", "fr", "en"]))
    size = fields.Integer(load_default=8, validate=validate.Range(min=1, max=20))


class SuggestionSchema(Schema):
    kind = fields.String()
    label = fields.String()
    code = fields.String(allow_none=True)
    organization_id = fields.String(allow_none=True)
