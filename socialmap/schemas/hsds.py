"""Schemas of the Open Referral HSDS 3.0 API profile (``/hsds``): query arguments, plus the
``Page`` envelope for the OpenAPI document (the HSDS objects themselves are documented by the
official HSDS 3.0 schemas)."""

from __future__ import annotations

import datetime as dt

from marshmallow import Schema
from marshmallow import fields
from marshmallow import validate

from search.query import MAX_RADIUS_KM
from socialmap.taxonomy import LANGUAGES

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
#: HSDS ``proximity`` is in metres.
MAX_PROXIMITY_M = MAX_RADIUS_KM * 1000


class HSDSLangArgsSchema(Schema):
    lang = fields.String(
        load_default="nl",
        validate=validate.OneOf(LANGUAGES),
        metadata={"description": "Language of texts and taxonomy labels (nl, fr, en)"},
    )


class HSDSPageArgsSchema(HSDSLangArgsSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(
        load_default=DEFAULT_PER_PAGE, validate=validate.Range(min=1, max=MAX_PER_PAGE)
    )
    search = fields.String(
        validate=validate.Length(min=1, max=300),
        metadata={"description": "Free text: every word must occur (case-insensitive)"},
    )


class HSDSServiceFilterArgsSchema(HSDSPageArgsSchema):
    taxonomy_term_id = fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={"description": "Term UUID or code; includes the term's descendants"},
    )
    taxonomy_id = fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={"description": "Services with any term of this taxonomy (UUID or name)"},
    )
    organization_id = fields.String(validate=validate.Length(min=1, max=36))
    modified_after = fields.AwareDateTime(
        default_timezone=dt.UTC,
        metadata={"description": "ISO date-time; without offset it is UTC"},
    )
    full = fields.Boolean(
        load_default=False, metadata={"description": "Fully nested objects in the page"}
    )


class HSDSServiceListArgsSchema(HSDSServiceFilterArgsSchema):
    full_service = fields.Boolean(
        load_default=False, metadata={"description": "Same as `full`: fully nested services"}
    )


class HSDSServiceAtLocationListArgsSchema(HSDSServiceFilterArgsSchema):
    postcode = fields.String(
        validate=validate.Length(min=1, max=40),
        metadata={
            "description": "Belgian postcode (or municipality): only services whose service "
            "area covers it"
        },
    )
    proximity = fields.Float(
        validate=validate.Range(min=0, max=MAX_PROXIMITY_M, min_inclusive=False),
        metadata={
            "description": "Metres from the postcode's centre (needs `postcode`); "
            "nearest first. Confidential locations never match."
        },
    )


class HSDSTaxonomyTermListArgsSchema(HSDSPageArgsSchema):
    taxonomy_id = fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={"description": "Taxonomy UUID or name (socialmap-needs, ...)"},
    )
    parent_id = fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={"description": "Only the children of this term (UUID or code)"},
    )
    top_only = fields.Boolean(
        load_default=False, metadata={"description": "Only terms without a parent"}
    )


class HSDSOrganizationListArgsSchema(HSDSPageArgsSchema):
    full = fields.Boolean(
        load_default=False,
        metadata={"description": "Nest identifiers, phones, contacts, locations and services"},
    )
    full_service = fields.Boolean(
        load_default=False, metadata={"description": "Nested services fully nested too"}
    )


class HSDSOrganizationArgsSchema(HSDSLangArgsSchema):
    full_service = fields.Boolean(
        load_default=False, metadata={"description": "Fully nested services"}
    )


class HSDSRootSchema(Schema):
    version = fields.String()
    profile = fields.String()
    openapi_url = fields.String()


class HSDSPageSchema(Schema):
    """The HSDS ``Page``; ``contents`` items follow the official HSDS 3.0 schemas."""

    notice = fields.String(metadata={"description": "Present when the data is fictional demo data"})
    total_items = fields.Integer()
    total_pages = fields.Integer()
    page_number = fields.Integer()
    size = fields.Integer(metadata={"description": "Number of items on this page"})
    first_page = fields.Boolean()
    last_page = fields.Boolean()
    empty = fields.Boolean()
    contents = fields.List(fields.Dict())
