"""Referrers: needs questionnaire, matches, consent, send; my referrals."""

from __future__ import annotations

from flask import Blueprint
from flask import render_template

from socialmap.web.access import roles_required

bp = Blueprint("workspace", __name__)


@bp.get("/verwijzen")
@roles_required("referrer")
def index() -> str:
    return render_template("workspace/index.html")
