"""The public directory: search, service detail, correction suggestions, shared lists."""

from __future__ import annotations

from flask import Blueprint
from flask import render_template

bp = Blueprint("public", __name__)


@bp.get("/")
def search() -> str:
    return render_template("public/search.html")
