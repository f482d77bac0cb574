"""POST /api/match, GET /api/capacity-check and GET /api/taxonomy."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask import jsonify
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from socialmap import taxonomy
from socialmap.auth import current_user_or_401
from socialmap.logic import matching
from socialmap.permissions import has_role
from socialmap.permissions import require
from socialmap.schemas.matching import CapacityCheckArgsSchema
from socialmap.schemas.matching import CapacityCheckSchema
from socialmap.schemas.matching import MatchRequestSchema
from socialmap.schemas.matching import MatchResultSchema
from socialmap.schemas.matching import TaxonomyArgsSchema
from socialmap.schemas.matching import TaxonomyTermSchema

bp = Blueprint(
    "matching",
    __name__,
    url_prefix="/api",
    description="Match a referral request to services; capacity; the taxonomies",
)

#: Who may ask for matches (providers answer referrals, they do not send them).
MATCH_ROLES = ("referrer", "steward", "admin")


@bp.route("/match")
class Match(MethodView):
    # The logic validates the body itself (one place, flat field messages); this documents it.
    @bp.doc(
        requestBody={
            "required": True,
            "content": {"application/json": {"schema": MatchRequestSchema}},
        }
    )
    @bp.response(200, MatchResultSchema)
    @bp.alt_response(401, description="Not signed in")
    @bp.alt_response(403, description="Only referrers, stewards and admins")
    @bp.alt_response(422, description="Invalid request; `errors` names each field")
    def post(self) -> Response:
        """Services for a referral request, ranked and explained per criterion, and the
        nearby services left out with the reasons."""
        user = current_user_or_401()
        require(has_role(user, *MATCH_ROLES), "match services")
        body = request.get_json(silent=True)
        result = matching.match_services(body if body is not None else {})
        # Serialised here: the schema documents the response; dumping it again costs time.
        return jsonify(result.as_dict())


@bp.route("/capacity-check")
class CapacityCheck(MethodView):
    @bp.arguments(CapacityCheckArgsSchema, location="query")
    @bp.response(200, CapacityCheckSchema)
    @bp.alt_response(401, description="Not signed in")
    @bp.alt_response(404, description="Unknown service")
    @bp.alt_response(422, description="Unknown need or place")
    def get(self, args: dict[str, Any]) -> Response:
        """Can services take a referral for this need? Capacity, waiting time and whether
        they accept referrals; no personal data."""
        current_user_or_401()
        found = matching.capacity_check(args["need"], args.get("place"), args.get("service_id"))
        return jsonify(found)


@bp.route("/taxonomy")
class Taxonomy(MethodView):
    @bp.arguments(TaxonomyArgsSchema, location="query")
    @bp.response(200, TaxonomyTermSchema(many=True))
    def get(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        """The needs or target groups: codes, parents, labels (NL/FR/EN) and synonyms."""
        terms = taxonomy.needs() if args["kind"] == "need" else taxonomy.target_groups()
        return [
            {
                "code": term.code,
                "parent": term.parent,
                "label": term.label(args["lang"]),
                "labels": dict(term.labels),
                "synonyms": {lang: list(words) for lang, words in term.synonyms.items()},
            }
            for term in terms
        ]
