"""Schemas of matching (``POST /api/match``), the capacity pre-check and the taxonomy list.

The request schemas validate; the response schemas document the JSON for OpenAPI (the
handlers serialise the plain dicts of :mod:`socialmap.logic.matching` directly).
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema
from marshmallow import ValidationError
from marshmallow import fields
from marshmallow import validate
from marshmallow import validates
from marshmallow import validates_schema

from search.query import MAX_RADIUS_KM
from socialmap import taxonomy

URGENCIES = ("routine", "urgent", "asap")
MOBILITIES = ("walk", "bike", "public_transport", "car")
MAX_LIMIT = 100


def _unknown(codes: list[str], known: taxonomy.Taxonomy, what: str) -> None:
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise ValidationError(f"unknown {what} code(s): {', '.join(unknown)}")


class MatchRequestSchema(Schema):
    """What a referrer asks: needs, where the person lives, and what matters for them."""

    needs = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)),
        required=True,
        validate=validate.Length(min=1, max=10),
        metadata={"description": "Need codes of the taxonomy (GET /api/taxonomy)"},
    )
    place = fields.String(
        validate=validate.Length(max=200),
        metadata={"description": "Postcode or municipality (NL/FR), e.g. 8400 or Oostende"},
    )
    lat = fields.Float(validate=validate.Range(min=-90, max=90))
    lon = fields.Float(validate=validate.Range(min=-180, max=180))
    age = fields.Float(validate=validate.Range(min=0, max=130))
    target_groups = fields.List(fields.String(validate=validate.Length(max=64)), load_default=list)
    language = fields.String(
        validate=validate.Regexp(r"^[a-z]{2,3}$", error="an ISO 639 code such as nl, fr, en, de"),
        metadata={"description": "Language the person speaks (ISO 639-1: nl, fr, en, de, ...)"},
    )
    urgency = fields.String(load_default="routine", validate=validate.OneOf(URGENCIES))
    max_distance_km = fields.Float(
        validate=validate.Range(min=0, max=MAX_RADIUS_KM, min_inclusive=False),
        metadata={"description": "Overrides the radius that mobility implies"},
    )
    mobility = fields.String(
        validate=validate.OneOf(MOBILITIES),
        metadata={"description": "walk 2 km, bike 7.5 km, public_transport 20 km, car 40 km"},
    )
    note = fields.String(
        load_only=True,
        validate=validate.Length(max=2000),
        metadata={"description": "Free text; not used for scoring, never logged or stored"},
    )
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_LIMIT))

    @validates("needs")
    def _known_needs(self, value: list[str], **_: Any) -> None:
        _unknown(value, taxonomy.needs(), "need")

    @validates("target_groups")
    def _known_groups(self, value: list[str], **_: Any) -> None:
        _unknown(value, taxonomy.target_groups(), "target group")

    @validates_schema
    def _place_given(self, data: dict[str, Any], **_: Any) -> None:
        if ("lat" in data) != ("lon" in data):
            raise ValidationError("lat and lon go together", "lon" if "lat" in data else "lat")
        if not (data.get("place") or "lat" in data):
            raise ValidationError("give a postcode or municipality, or lat and lon", "place")


class NeedCoverageSchema(Schema):
    need = fields.String()
    label = fields.String()
    coverage = fields.String(metadata={"description": "exact | narrower | broader | none"})
    via = fields.String(allow_none=True, metadata={"description": "The service's term"})
    via_label = fields.String(allow_none=True)
    message = fields.String()


class MatchExplanationSchema(Schema):
    """One object per criterion; each has ``ok`` (true/false, null when not asked)."""

    needs = fields.List(fields.Nested(NeedCoverageSchema))
    place = fields.Dict(
        metadata={"description": "distance_km, radius_km, service_area (covers|outside|none)"}
    )
    eligibility = fields.Dict(metadata={"description": "age range and target groups"})
    language = fields.Dict(metadata={"description": "requested, offered"})
    hours = fields.Dict(metadata={"description": "known, open_now, next_opening"})
    capacity = fields.Dict(metadata={"description": "status, waiting_weeks, updated_at"})
    referable = fields.Dict(metadata={"description": "ok, decided_by (steward | intake)"})
    verified = fields.Dict(metadata={"description": "assured_date, months_ago"})
    status = fields.Dict(metadata={"description": "the listing's status (active, ...)"})


class MatchOrganizationSchema(Schema):
    id = fields.String()
    name = fields.String()


class MatchSchema(Schema):
    service_id = fields.String()
    location_id = fields.String(allow_none=True)
    name = fields.String()
    organization = fields.Nested(MatchOrganizationSchema)
    distance_km = fields.Float(allow_none=True)
    score = fields.Float(metadata={"description": "0..1; same input and data, same score"})
    score_parts = fields.Dict(
        keys=fields.String(),
        values=fields.Float(),
        metadata={"description": "criterion -> contribution; they add up to the score"},
    )
    explanation = fields.Nested(MatchExplanationSchema)


class ExclusionReasonSchema(Schema):
    criterion = fields.String(
        metadata={
            "description": "service_area | age | capacity_full | inactive | referable | "
            "language | target_group"
        }
    )
    message = fields.String()


class MatchExcludedSchema(Schema):
    service_id = fields.String()
    location_id = fields.String(allow_none=True)
    name = fields.String()
    organization = fields.Nested(MatchOrganizationSchema)
    distance_km = fields.Float(allow_none=True)
    reasons = fields.List(fields.Nested(ExclusionReasonSchema))


class MatchResultSchema(Schema):
    query = fields.Dict(
        metadata={"description": "How the request was understood: needs, place, radius, rules"}
    )
    matches = fields.List(fields.Nested(MatchSchema))
    excluded = fields.List(fields.Nested(MatchExcludedSchema))
    counts = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "candidates, matches, excluded, and excluded per criterion"},
    )


class CapacityCheckArgsSchema(Schema):
    need = fields.String(required=True, validate=validate.Length(min=1, max=64))
    place = fields.String(validate=validate.Length(max=200))
    service_id = fields.String(validate=validate.Length(max=36))

    @validates_schema
    def _place_or_service(self, data: dict[str, Any], **_: Any) -> None:
        if not (data.get("place") or data.get("service_id")):
            raise ValidationError("give a place or a service_id", "place")


class CapacityEntrySchema(Schema):
    service_id = fields.String()
    location_id = fields.String(allow_none=True)
    name = fields.String()
    organization = fields.Nested(MatchOrganizationSchema)
    distance_km = fields.Float(allow_none=True)
    need_coverage = fields.String(metadata={"description": "exact | narrower | broader | none"})
    status = fields.String(metadata={"description": "The listing's status (active, ...)"})
    capacity = fields.String(metadata={"description": "available | waitlist | full | unknown"})
    waiting_weeks = fields.Float(allow_none=True)
    capacity_updated_at = fields.DateTime(allow_none=True)
    accepts_referrals = fields.Boolean(metadata={"description": "Effective: steward or intake"})


class CapacityCheckSchema(Schema):
    need = fields.String()
    place = fields.String(allow_none=True)
    services = fields.List(fields.Nested(CapacityEntrySchema))


class TaxonomyArgsSchema(Schema):
    kind = fields.String(load_default="need", validate=validate.OneOf(["need", "target_group"]))
    lang = fields.String(load_default="nl", validate=validate.OneOf(taxonomy.LANGUAGES))


class TaxonomyTermSchema(Schema):
    code = fields.String()
    parent = fields.String(allow_none=True)
    label = fields.String(metadata={"description": "In the requested language (else Dutch)"})
    labels = fields.Dict(keys=fields.String(), values=fields.String())
    synonyms = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
