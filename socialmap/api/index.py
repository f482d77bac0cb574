"""GET /api : what this server is and where to go (HSDS-style root). ``/`` is the web directory."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import render_template
from flask import url_for

from socialmap.extensions import db
from socialmap.logic import catalog
from socialmap.logic import search_index

bp = Blueprint("index", __name__)


@bp.get("/api")
def index() -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "socialmap",
        "version": "0.1.0",
        "services": url_for("services.ServiceList"),
        "search": url_for("search.Search"),
        "health": url_for("index.health"),
        "openapi_url": url_for("api-docs.openapi_json"),
        "docs": url_for("index.api_docs"),
    }
    notice = catalog.demo_notice(db.session)
    if notice:
        body["notice"] = notice
    return body


@bp.get("/health")
def health() -> tuple[dict[str, Any], int]:
    """Liveness plus the search index's state (lag of failed index updates)."""
    search = search_index.health(db.session)
    status = 200 if search["status"] == "ok" else 503
    return {"status": search["status"], "search": search}, status


@bp.get("/api/docs")
def api_docs() -> str:
    """The OpenAPI documentation (Swagger UI, vendored: no CDN)."""
    return render_template("api/docs.html")
