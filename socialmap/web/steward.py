"""Data stewards (and admins): import runs, merge review, correction suggestions, freshness.

Thin views over logic.curation, logic.corrections and logic.freshness, which check who may
see and decide what (a steward: the services of their regions)."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from werkzeug.wrappers import Response

from socialmap.errors import Conflict
from socialmap.logic import corrections
from socialmap.logic import curation
from socialmap.logic import freshness
from socialmap.logic.listing_text import phone_text
from socialmap.web import display
from socialmap.web.access import roles_required
from socialmap.web.pages import signed_in

bp = Blueprint("steward", __name__)

#: Latest import runs on the dashboard.
DASHBOARD_RUNS = 5


def _page() -> int:
    return max(request.args.get("page", 1, type=int) or 1, 1)


# ------------------------------------------------------------------ dashboard


@bp.get("/beheer")
@roles_required("steward")
def index() -> str:
    me = signed_in()
    runs, _total = curation.import_runs(me)
    _stale, stale_total = freshness.stale_listings(me)
    return render_template(
        "steward/index.html",
        open_corrections=corrections.open_count(me),
        pending_merges=curation.pending_count(me),
        stale_total=stale_total,
        runs=runs[:DASHBOARD_RUNS],
        labels=labels(),
    )


# ------------------------------------------------------------------ import runs


@bp.get("/beheer/imports")
@roles_required("steward")
def imports() -> str:
    page = _page()
    runs, total = curation.import_runs(signed_in(), page)
    return render_template(
        "steward/imports.html",
        runs=runs,
        page=page,
        pages=curation.pages(total),
        labels=labels(),
    )


@bp.get("/beheer/imports/<int:run_id>")
@roles_required("steward")
def import_run(run_id: int) -> str:
    me = signed_in()
    row = curation.import_run(me, run_id)
    kind = request.args.get("kind") if request.args.get("kind") in ("rejected", "warning") else None
    page = _page()
    issues, total = curation.run_issues(me, run_id, page, kind)
    return render_template(
        "steward/import_run.html",
        row=row,
        run=row.run,
        issues=issues,
        kind=kind,
        total=total,
        page=page,
        pages=curation.pages(total),
        labels=labels(),
    )


# ------------------------------------------------------------------ merge review


@bp.get("/beheer/samenvoegen")
@roles_required("steward")
def merges() -> str:
    return render_template(
        "steward/merges.html", queue=curation.merge_queue(signed_in()), labels=labels()
    )


@bp.get("/beheer/samenvoegen/<int:candidate_id>")
@roles_required("steward")
def merge(candidate_id: int) -> str:
    review = curation.merge_review(signed_in(), candidate_id)
    features = feature_labels()
    order = {code: i for i, code in enumerate(features)}
    scores = sorted(review.features, key=lambda f: (order.get(f[0], len(order)), f[0]))
    questions = {
        "organization": _("Are these the same organisation?"),
        "location": _("Are these the same site?"),
        "service": _("Are these the same service?"),
    }
    return render_template(
        "steward/merge.html",
        review=review,
        cand=review.candidate,
        question=questions[review.candidate.entity_type],
        rows=_compare_rows(review),
        scores=scores,
        features=features,
        reasons=[reason_label(r) for r in review.candidate.reasons or []],
        labels=labels(),
    )


@bp.post("/beheer/samenvoegen/<int:candidate_id>")
@roles_required("steward")
def resolve(candidate_id: int) -> Response:
    decision = request.form.get("decision")
    if decision not in ("merge", "keep_apart"):
        flash(_("Choose whether to merge the records or keep them apart."), "error")
        return redirect(url_for("steward.merge", candidate_id=candidate_id))
    try:
        curation.resolve(signed_in(), candidate_id, merge=decision == "merge")
    except Conflict:
        flash(_("This pair was already decided by someone else."), "warning")
        return redirect(url_for("steward.merges"))
    if decision == "merge":
        flash(_("The records were merged."), "success")
    else:
        flash(_("The records are kept apart."), "success")
    return redirect(url_for("steward.merges"))


def _compare_rows(review: curation.Review) -> list[tuple[str, Any, Any]]:
    """(label, imported value, existing value) per compared field; values are text, lists of
    text or None."""
    new, old = review.new, review.existing
    rows: list[tuple[str, Any, Any]] = [(_("Name"), new.name, old.name)]
    if review.candidate.entity_type != "organization":
        rows.append((_("Organisation"), new.organization, old.organization))
    rows += [
        (_("Address"), new.addresses, old.addresses),
        (
            _("Phone number"),
            [phone_text(p) for p in new.phones],
            [phone_text(p) for p in old.phones],
        ),
        (_("E-mail address"), new.email, old.email),
        (_("Website"), new.website, old.website),
        (_("Description"), new.description, old.description),
        (
            _("Sources"),
            [f"{source}: {ref}" for source, ref in new.sources],
            [f"{source}: {ref}" for source, ref in old.sources],
        ),
    ]
    return rows


# ------------------------------------------------------------------ corrections


@bp.get("/beheer/correcties")
@roles_required("steward")
def suggestions() -> str:
    page = _page()
    items, total = corrections.open_for(signed_in(), page)
    return render_template(
        "steward/corrections.html",
        items=items,
        page=page,
        pages=curation.pages(total),
        parts=display.correction_fields(),
        labels=labels(),
    )


@bp.route("/beheer/correcties/<int:suggestion_id>", methods=["GET", "POST"])
@roles_required("steward")
def suggestion(suggestion_id: int) -> Any:
    me = signed_in()
    item = corrections.get_for(me, suggestion_id)
    values = corrections.listing_values(item.suggestion.service_id)
    note, errors, status = "", {}, 200
    if request.method == "POST":
        note = request.form.get("note", "")
        decision = request.form.get("decision", "")
        edits = {name: request.form.get(name, "") for name in corrections.EDITABLE}
        values.update(edits)
        try:
            corrections.decide(me, suggestion_id, decision, note, edits)
        except ValidationError as err:
            errors, status = _decision_errors(err.messages), 422
        except Conflict:
            flash(_("This suggestion was already decided by someone else."), "warning")
            return redirect(url_for("steward.suggestions"))
        else:
            if decision == "applied":
                flash(_("The suggestion is marked as applied."), "success")
            else:
                flash(_("The suggestion is dismissed."), "success")
            return redirect(url_for("steward.suggestions"))
    return render_template(
        "steward/correction.html",
        item=item,
        s=item.suggestion,
        values=values,
        note=note,
        errors=errors,
        edit_open=bool(set(errors) - {"note", "decision"}),
        parts=display.correction_fields(),
        editable=editable_labels(),
        labels=labels(),
    ), status


def _decision_errors(messages: Any) -> dict[str, list[str]]:
    texts = {
        "decision": _("Choose: applied or dismissed."),
        "note": _("Write a note of 3 to 2000 characters: what was changed, or why not."),
        "name": _("A name needs 2 to 500 characters."),
        "email": _("This is not a valid e-mail address."),
        "url": _("Give a full web address, starting with https://."),
    }
    return {name: [texts.get(name, _("This value is not valid."))] for name in messages}


# ------------------------------------------------------------------ freshness


@bp.get("/beheer/actualiteit")
@roles_required("steward")
def stale() -> str:
    page = _page()
    rows, total = freshness.stale_listings(signed_in(), page)
    return render_template(
        "steward/freshness.html",
        rows=rows,
        total=total,
        page=page,
        pages=curation.pages(total),
        months=current_app.config["FRESHNESS_MONTHS"],
        labels=labels(),
    )


@bp.post("/beheer/actualiteit/vragen")
@roles_required("steward")
def ask_confirmation() -> Response:
    service_id = request.form.get("service_id", "")
    back = url_for("steward.stale", page=request.form.get("page", 1, type=int))
    try:
        count = freshness.request_confirmation(signed_in(), service_id)
    except freshness.NoProviderAccount:
        flash(
            _(
                "This organisation has no provider account, so nobody was asked. "
                "Contact the organisation yourself, then mark the listing as verified."
            ),
            "warning",
        )
        return redirect(back)
    flash(_("Confirmation asked from %(n)s provider account(s).", n=count), "success")
    return redirect(back)


@bp.post("/beheer/actualiteit/bevestigen")
@roles_required("steward")
def confirm() -> Response:
    freshness.confirm_listing(signed_in(), request.form.get("service_id", ""))
    flash(_("The listing is marked as verified today."), "success")
    return redirect(url_for("steward.stale", page=request.form.get("page", 1, type=int)))


# ------------------------------------------------------------------ labels


def labels() -> dict[str, str]:
    """Translated status and kind codes used on the steward pages."""
    return {
        # import runs
        "running": _("Running"),
        "succeeded": _("Succeeded"),
        "failed": _("Failed"),
        "dry-run": _("Dry run"),
        # merge candidates and entity kinds
        "pending": _("Pending"),
        "merged": _("Merged"),
        "kept_apart": _("Kept apart"),
        "organization": _("Organisation"),
        "location": _("Location"),
        "service": _("Service"),
        # correction suggestions
        "open": _("Open"),
        "applied": _("Applied"),
        "dismissed": _("Dismissed"),
        # import issues
        "rejected": _("Rejected"),
        "warning": _("Warning"),
    }


def editable_labels() -> dict[str, str]:
    """Labels of the listing fields a steward may correct (corrections.EDITABLE)."""
    names = {
        "name": _("Name"),
        "description": _("What they do"),
        "email": _("E-mail address"),
        "url": _("Website"),
        "fees_description": _("Costs"),
        "eligibility_description": _("Who it is for"),
    }
    return {code: names.get(code, code) for code in corrections.EDITABLE}


def feature_labels() -> dict[str, str]:
    """The matcher's feature codes (importers.matching), translated."""
    return {
        "name": _("Name similarity"),
        "same_organization": _("Same organisation"),
        "same_org_name": _("Same organisation name"),
        "kbo": _("KBO number"),
        "location": _("Shared location"),
        "street": _("Street"),
        "house_number": _("House number"),
        "unit": _("Room or suite"),
        "postcode": _("Postcode"),
        "city": _("Municipality"),
        "phone": _("Phone number"),
        "email": _("E-mail address"),
        "domain": _("Web or e-mail domain"),
        "url": _("Web page"),
        "distance_m": _("Distance"),
    }


_SIMILARITY = re.compile(r"^name similarity (\d(?:\.\d+)?)$")
_DISTANCE = re.compile(r"^(\d+(?:\.\d+)?) (m|km) apart$")


def reason_label(reason: str) -> str:
    """One piece of the matcher's evidence (importers.matching), translated when known."""
    found = _SIMILARITY.match(reason)
    if found:
        percent = round(float(found.group(1)) * 100)
        return _("names %(percent)s%% alike", percent=percent)
    found = _DISTANCE.match(reason)
    if found:
        return _("%(distance)s %(unit)s apart", distance=found.group(1), unit=found.group(2))
    fixed = {
        "same KBO number": _("same KBO number"),
        "different KBO number": _("different KBO number"),
        "shared phone number": _("shared phone number"),
        "no shared phone number": _("no shared phone number"),
        "shared e-mail address": _("shared e-mail address"),
        "same e-mail address": _("same e-mail address"),
        "shared web/e-mail domain": _("shared web or e-mail domain"),
        "same web page": _("same web page"),
        "same homepage": _("same homepage"),
        "same postcode": _("same postcode"),
        "different postcode": _("different postcode"),
        "different postcodes": _("different postcodes"),
        "different postcode, same city": _("different postcode, same municipality"),
        "same city": _("same municipality"),
        "different city": _("different municipality"),
        "same address": _("same address"),
        "same address (street written differently)": _("same address (street written differently)"),
        "same street": _("same street"),
        "different street": _("different street"),
        "different house number": _("different house number"),
        "house number differs in its letter": _("house number differs in its letter"),
        "same room/suite": _("same room or suite"),
        "different room/suite": _("different room or suite"),
        "different room/suite of organisations not known to be one": _(
            "different room or suite of organisations not known to be one"
        ),
        "same organisation, other room/suite: same site": _(
            "same organisation, other room or suite: same site"
        ),
        "same organisation": _("same organisation"),
        "different or unknown organisation": _("different or unknown organisation"),
        "shared location": _("shared location"),
        "no shared location": _("no shared location"),
    }
    return fixed.get(reason, reason)
