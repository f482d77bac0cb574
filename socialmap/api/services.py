"""GET /api/services and /api/services/<id>."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from socialmap.auth import current_user_or_401
from socialmap.extensions import db
from socialmap.logic import catalog
from socialmap.logic import listings
from socialmap.schemas.listing import CapacitySchema
from socialmap.schemas.listing import CapacityUpdateSchema
from socialmap.schemas.service import ServiceListArgsSchema
from socialmap.schemas.service import ServicePageSchema

bp = Blueprint("services", __name__, url_prefix="/api/services", description="Service listings")


@bp.route("")
class ServiceList(MethodView):
    @bp.arguments(ServiceListArgsSchema, location="query")
    @bp.response(200, ServicePageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Active services, with organization and locations (confidential ones without address)."""
        items, total = catalog.list_services(db.session, **args)
        page = {"total": total, "page": args["page"], "per_page": args["per_page"], "items": items}
        notice = catalog.demo_notice(db.session)
        return {"notice": notice, **page} if notice else page


@bp.route("/<service_id>")
class ServiceDetail(MethodView):
    @bp.response(200)
    def get(self, service_id: str) -> dict[str, Any]:
        """One service (a merged-away id resolves to the surviving service)."""
        service = catalog.get_service(db.session, service_id)
        notice = catalog.demo_notice(db.session)
        return {"notice": notice, **service} if notice else service


@bp.route("/<service_id>/capacity")
class ServiceCapacity(MethodView):
    @bp.arguments(CapacityUpdateSchema)
    @bp.response(200, CapacitySchema)
    def put(self, data: dict[str, Any], service_id: str) -> dict[str, Any]:
        """Set room / waiting list / full (staff of the service's organisation)."""
        return listings.update_capacity(current_user_or_401(), service_id, data)
