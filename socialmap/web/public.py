"""The public directory: search, service detail, correction suggestions, shared lists.

No sign-in. A citizen's own search may sit in the URL (GET form); nothing else personal does.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from socialmap.errors import NotFound
from socialmap.logic import corrections
from socialmap.logic import directory
from socialmap.logic import service_details
from socialmap.logic import shared_lists
from socialmap.web import display
from socialmap.web.access import safe_next
from socialmap.web.pages import signed_in

bp = Blueprint("public", __name__)


def _lang() -> str:
    return str(get_locale())


def _map_settings() -> dict[str, str]:
    return {
        "tiles": current_app.config.get("MAP_TILE_URL") or "",
        "attribution": current_app.config.get("MAP_TILE_ATTRIBUTION") or "",
    }


@bp.get("/")
def search() -> str:
    form = directory.parse_form(request.args)
    lang = _lang()
    return render_template(
        "public/search.html",
        form=form,
        results=directory.search_page(form, lang),
        themes=directory.themes(lang),
        radius_choices=directory.RADIUS_CHOICES,
        map_settings=_map_settings(),
    )


def _back_to_search() -> str:
    """The results page the visitor came from (same site only), else the search page."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path == url_for("public.search"):
        return safe_next(f"{referrer.path}?{referrer.query}" if referrer.query else referrer.path)
    return url_for("public.search")


@bp.get("/dienst/<service_id>")
def detail(service_id: str) -> Any:
    service = service_details.service_page(service_id, _lang())
    if service["id"] != service_id:  # merged into another listing
        return redirect(url_for("public.detail", service_id=service["id"]))
    return render_template(
        "public/detail.html",
        service=service,
        map_settings=_map_settings(),
        back_url=_back_to_search(),
    )


def _correction_errors(messages: dict[str, Any]) -> dict[str, list[str]]:
    texts = {
        "field": _("Choose which part is wrong."),
        "message": _("Describe what is wrong, in 5 to 2000 characters."),
        "contact": _("This is not a valid e-mail address."),
    }
    return {name: [texts.get(name, _("This value is not valid."))] for name in messages}


@bp.route("/dienst/<service_id>/correctie", methods=["GET", "POST"])
def correction(service_id: str) -> Any:
    service = service_details.service_page(service_id, _lang())
    if service["id"] != service_id:
        return redirect(url_for("public.correction", service_id=service["id"]))
    values = {"field": request.values.get("field", ""), "message": "", "contact": ""}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = {k: request.form.get(k, "")[:4000] for k in ("field", "message", "contact")}
        try:
            corrections.submit(service_id, values, signed_in())
        except corrections.ValidationError as exc:
            errors = _correction_errors(exc.messages if isinstance(exc.messages, dict) else {})
        else:
            flash(_("Thank you. A data steward will check your suggestion."), "success")
            return redirect(url_for("public.detail", service_id=service_id))
    return render_template(
        "public/correction.html",
        service=service,
        values=values,
        errors=errors,
        labels=display.correction_fields(),
    ), (422 if errors else 200)


@bp.post("/lijst")
def share() -> Response:
    """Make a short link for the services ticked on a results page."""
    back = safe_next(request.form.get("next"), default=url_for("public.search"))
    ids = request.form.getlist("service")[: shared_lists.MAX_SERVICES * 2]
    if not ids:
        flash(_("Tick at least one service to print or share."), "warning")
        return redirect(back)
    try:
        shared = shared_lists.create(ids, request.form.get("title", "").strip())
    except NotFound:
        flash(_("These services are no longer listed."), "warning")
        return redirect(back)
    return redirect(url_for("public.shared_list", code=shared.code))


@bp.get("/l/<code>")
def shared_list(code: str) -> str:
    if len(code) > 16:
        abort(404)
    shared = shared_lists.get(code)
    services = service_details.services_for_list(list(shared.service_ids or []), _lang())
    link = current_app.config["BASE_URL"].rstrip("/") + url_for(
        "public.shared_list", code=shared.code
    )
    return render_template(
        "public/list.html",
        shared=shared,
        services=services,
        missing=len(shared.service_ids or []) - len(services),
        link=link,
    )
