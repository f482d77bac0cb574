"""Data stewards: import runs, merge review, corrections, freshness, questionnaires."""

from __future__ import annotations

from flask import Blueprint
from flask import render_template

from socialmap.web.access import roles_required

bp = Blueprint("steward", __name__)


@bp.get("/beheer")
@roles_required("steward")
def index() -> str:
    return render_template("steward/index.html")
