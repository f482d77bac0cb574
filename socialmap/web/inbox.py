"""Provider staff: incoming referrals, capacity, own listings."""

from __future__ import annotations

from flask import Blueprint
from flask import render_template

from socialmap.web.access import roles_required

bp = Blueprint("inbox", __name__)


@bp.get("/inbox")
@roles_required("provider")
def index() -> str:
    return render_template("inbox/index.html")
