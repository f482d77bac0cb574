"""GET /api/search and /api/search/suggest."""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import Response
from flask import jsonify
from flask.views import MethodView
from flask_smorest import Blueprint

from search.query import DEFAULT_RADIUS_KM
from socialmap.extensions import db
from socialmap.logic import catalog
from socialmap.logic import search as search_logic
from socialmap.schemas.search import SearchArgsSchema
from socialmap.schemas.search import SearchResultsSchema
from socialmap.schemas.search import SuggestArgsSchema
from socialmap.schemas.search import SuggestionSchema

bp = Blueprint("search", __name__, url_prefix="/api/search", description="Search the directory")


@bp.route("")
class Search(MethodView):
    @bp.arguments(SearchArgsSchema(), location="query")
    @bp.response(200, SearchResultsSchema)
    @bp.alt_response(422, description="Invalid arguments; `errors` names each field")
    def get(self, args: dict[str, Any]) -> Response:
        """Services at locations matching needs, text, place and filters, with facets."""
        query, results = search_logic.search_services(args)
        place = query.place
        body: dict[str, Any] = {
            "total": results.total,
            "page": results.page,
            "per_page": results.per_page,
            "hits": [dict(vars(hit)) for hit in results.hits],  # flat: no deep copy needed
            "facets": results.facets,
            "understood": {
                "needs": list(dict.fromkeys(query.text_needs)),
                "corrections": results.corrections,
                "place": dataclasses.asdict(place) if place else None,
                "radius_km": (query.radius_km or DEFAULT_RADIUS_KM) if place else None,
            },
        }
        notice = catalog.demo_notice(db.session)
        # Serialised here: the schema documents the response, dumping it again per hit would
        # cost more than the search itself.
        return jsonify({"notice": notice, **body} if notice else body)


@bp.route("/suggest")
class Suggest(MethodView):
    @bp.arguments(SuggestArgsSchema(), location="query")
    @bp.response(200, SuggestionSchema(many=True))
    def get(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        """Autocomplete: needs (NL/FR/EN labels and synonyms) and organisation names."""
        found = search_logic.suggest(args["prefix"], args["lang"], args["size"])
        return [dataclasses.asdict(s) for s in found]
