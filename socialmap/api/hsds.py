"""GET /hsds/...: the directory as a read-only Open Referral HSDS 3.0 API.

Responses follow the official HSDS 3.0 schemas (``Page`` objects for lists); only active
records are exposed and confidential locations never show their address or coordinates.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from flask import jsonify
from flask import url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from socialmap.extensions import db
from socialmap.logic import catalog
from socialmap.logic import hsds
from socialmap.schemas.hsds import HSDSLangArgsSchema
from socialmap.schemas.hsds import HSDSOrganizationArgsSchema
from socialmap.schemas.hsds import HSDSOrganizationListArgsSchema
from socialmap.schemas.hsds import HSDSPageSchema
from socialmap.schemas.hsds import HSDSRootSchema
from socialmap.schemas.hsds import HSDSServiceAtLocationListArgsSchema
from socialmap.schemas.hsds import HSDSServiceListArgsSchema
from socialmap.schemas.hsds import HSDSTaxonomyTermListArgsSchema

bp = Blueprint(
    "hsds", __name__, url_prefix="/hsds", description="Open Referral HSDS 3.0 profile (read-only)"
)

_INVALID = "Invalid arguments; `errors` names each field"


def _json(body: dict[str, Any]) -> Response:
    # Serialised here: the HSDS objects are already JSON-ready and documented by the official
    # HSDS schemas; dumping them again through marshmallow would only cost time.
    notice = catalog.demo_notice(db.session)
    return jsonify({"notice": notice, **body} if notice else body)


@bp.route("/")
class Root(MethodView):
    @bp.response(200, HSDSRootSchema)
    def get(self) -> Response:
        """HSDS version, profile and the OpenAPI document of this API."""
        return jsonify(hsds.root(url_for("api-docs.openapi_json", _external=True)))


@bp.route("/services")
class ServiceList(MethodView):
    @bp.arguments(HSDSServiceListArgsSchema(), location="query")
    @bp.response(200, HSDSPageSchema)
    @bp.alt_response(422, description=_INVALID)
    def get(self, args: dict[str, Any]) -> Response:
        """Active services (one-to-one fields and organization; `full` nests everything)."""
        full_service = args.pop("full_service")
        args["full"] = args["full"] or full_service
        return _json(hsds.list_services(db.session, **args))


@bp.route("/services/<service_id>")
class ServiceDetail(MethodView):
    @bp.arguments(HSDSLangArgsSchema(), location="query")
    @bp.response(200)
    @bp.alt_response(404, description="Unknown or inactive service")
    def get(self, args: dict[str, Any], service_id: str) -> Response:
        """One fully nested service (a merged-away id resolves to the surviving service)."""
        return _json(hsds.get_service(db.session, service_id, **args))


@bp.route("/service_at_locations")
class ServiceAtLocationList(MethodView):
    @bp.arguments(HSDSServiceAtLocationListArgsSchema(), location="query")
    @bp.response(200, HSDSPageSchema)
    @bp.alt_response(422, description=_INVALID)
    def get(self, args: dict[str, Any]) -> Response:
        """Active services at active locations; `postcode` + `proximity` (metres) nearby."""
        return _json(hsds.list_service_at_locations(db.session, **args))


@bp.route("/service_at_locations/<link_id>")
class ServiceAtLocationDetail(MethodView):
    @bp.arguments(HSDSLangArgsSchema(), location="query")
    @bp.response(200)
    @bp.alt_response(404, description="Unknown or inactive service at location")
    def get(self, args: dict[str, Any], link_id: str) -> Response:
        """One service at location with its full location and its service."""
        return _json(hsds.get_service_at_location(db.session, link_id, **args))


@bp.route("/taxonomy_terms")
class TaxonomyTermList(MethodView):
    @bp.arguments(HSDSTaxonomyTermListArgsSchema(), location="query")
    @bp.response(200, HSDSPageSchema)
    @bp.alt_response(422, description=_INVALID)
    def get(self, args: dict[str, Any]) -> Response:
        """Needs and target-group terms (labels in `lang`)."""
        args["taxonomy"] = args.pop("taxonomy_id", None)
        return _json(hsds.list_taxonomy_terms(db.session, **args))


@bp.route("/taxonomy_terms/<term_id>")
class TaxonomyTermDetail(MethodView):
    @bp.arguments(HSDSLangArgsSchema(), location="query")
    @bp.response(200)
    @bp.alt_response(404, description="Unknown taxonomy term")
    def get(self, args: dict[str, Any], term_id: str) -> Response:
        """One taxonomy term, by UUID or code."""
        return _json(hsds.get_taxonomy_term(db.session, term_id, **args))


@bp.route("/organizations")
class OrganizationList(MethodView):
    @bp.arguments(HSDSOrganizationListArgsSchema(), location="query")
    @bp.response(200, HSDSPageSchema)
    @bp.alt_response(422, description=_INVALID)
    def get(self, args: dict[str, Any]) -> Response:
        """Active organizations; `full` nests their details and services."""
        return _json(hsds.list_organizations(db.session, **args))


@bp.route("/organizations/<organization_id>")
class OrganizationDetail(MethodView):
    @bp.arguments(HSDSOrganizationArgsSchema(), location="query")
    @bp.response(200)
    @bp.alt_response(404, description="Unknown or inactive organization")
    def get(self, args: dict[str, Any], organization_id: str) -> Response:
        """One organization with identifiers, phones, contacts, locations and services."""
        return _json(hsds.get_organization(db.session, organization_id, **args))
