"""Stewards: the editor of a region's needs questionnaire (the referral flow's step 2): the
life domains in order with delete, move and reset, and one domain's titles, questions and the
needs each question points at. Routes on the workspace blueprint (``workspace.questionnaires``,
``workspace.questionnaire_domain``); the rules are in :mod:`socialmap.logic.questionnaires`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from socialmap import taxonomy
from socialmap.logic import questionnaires
from socialmap.logic import regions
from socialmap.web import display
from socialmap.web import workspace_text as text
from socialmap.web.access import roles_required
from socialmap.web.pages import signed_in
from socialmap.web.workspace import bp

LANGUAGES = questionnaires.LANGUAGES


@bp.route("/beheer/vragenlijst", methods=["GET", "POST"], endpoint="questionnaires")
@roles_required("steward")
def questionnaires_page() -> Any:
    """Stewards: a region's questionnaire, with delete, move and reset."""
    user = signed_in()
    mine = regions.list_regions(user)
    region_id = request.values.get("regio") or (mine[0].id if len(mine) == 1 else "")
    options = [("", _("Choose a region")), *((r.id, r.name) for r in mine)]
    if not region_id:
        return render_template(
            "workspace/questionnaires.html", region_options=options, current=None
        )
    if region_id not in {r.id for r in mine}:
        abort(403)
    current = questionnaires.for_region(region_id)
    if request.method == "POST":
        return _questionnaire_action(user, current)
    return render_template("workspace/questionnaires.html", region_options=options, current=current)


def _questionnaire_action(user: Any, current: questionnaires.RegionQuestionnaire) -> Any:
    action, code = request.form.get("action", ""), request.form.get("domain", "")
    domains = current.domains
    index = next((i for i, d in enumerate(domains) if d["code"] == code), None)
    if action == "reset":
        questionnaires.reset(user, current.region_id)
        flash(_("The questionnaire is the default one again."), "success")
    elif index is not None and action in ("up", "down", "delete"):
        if action == "delete":
            del domains[index]
        else:
            other = index - 1 if action == "up" else index + 1
            if 0 <= other < len(domains):
                domains[index], domains[other] = domains[other], domains[index]
        try:
            questionnaires.save(user, current.region_id, domains)
        except ValidationError:
            flash(_("A questionnaire needs at least one life domain."), "error")
        else:
            flash(_("The questionnaire was saved."), "success")
    return redirect(url_for("workspace.questionnaires", regio=current.region_id), code=303)


@bp.route("/beheer/vragenlijst/domein", methods=["GET", "POST"])
@roles_required("steward")
def questionnaire_domain() -> Any:
    """Stewards: edit one life domain (titles, questions, their needs) or add one."""
    user = signed_in()
    region_id = request.values.get("regio", "")
    if region_id not in {r.id for r in regions.list_regions(user)}:
        abort(403)
    current = questionnaires.for_region(region_id)
    code = request.values.get("domein", "")
    domains = current.domains
    index = next((i for i, d in enumerate(domains) if d["code"] == code), None)
    if code != "nieuw" and index is None:
        abort(404)
    domain = domains[index] if index is not None else {"title": {}, "questions": []}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        domain = _domain_from_form(request.form, domain.get("code"))
        if index is None:
            index = len(domains)
            domains.append(domain)
        else:
            domains[index] = domain
        try:
            questionnaires.save(user, region_id, domains)
        except ValidationError as exc:
            errors = _domain_errors(exc.messages_dict, index)
        else:
            flash(_("The questionnaire was saved."), "success")
            return redirect(url_for("workspace.questionnaires", regio=region_id), code=303)
    return render_template(
        "workspace/questionnaire_domain.html",
        current=current,
        domain=domain,
        code=code,
        errors=errors,
        roots=taxonomy.needs().roots(),
        children=taxonomy.needs().children,
    ), 422 if errors else 200


# ---------------------------------------------------------------- the editor's form


def _domain_from_form(form: MultiDict[str, str], code: str | None) -> dict[str, Any]:
    """One domain from the editor's form; deleted and empty question rows are left out."""
    domain: dict[str, Any] = {
        "title": {lg: form.get(f"title-{lg}", "") for lg in LANGUAGES},
        "questions": [],
    }
    if code:
        domain["code"] = code
    try:
        rows = min(int(form.get("question_count", "0")), 40)
    except ValueError:
        rows = 0
    for j in range(rows):
        if form.get(f"q{j}-delete") == "yes":
            continue
        texts = {lg: form.get(f"q{j}-text-{lg}", "") for lg in LANGUAGES}
        needs = form.getlist(f"q{j}-needs")
        if not needs and not any(t.strip() for t in texts.values()):
            continue
        domain["questions"].append({"text": texts, "needs": needs})
    return domain


def _domain_errors(messages: Mapping[str, Any], index: int) -> dict[str, list[str]]:
    """The errors of domain ``index`` by editor field: ``title-fr``, ``q2-needs``..."""
    out: dict[str, list[str]] = {}
    domains = messages.get("domains")
    mine = domains.get(index, {}) if isinstance(domains, Mapping) else {"_domain": domains}
    for path, english in display.error_leaves(mine):
        if path[:1] == ("title",) and len(path) > 1:
            target = f"title-{path[1]}"
        elif path[:1] == ("questions",) and len(path) > 2:
            target = f"q{path[1]}-" + ("needs" if path[2] == "needs" else f"text-{path[-1]}")
        elif path[:1] == ("questions",):
            target = "questions"
        else:
            target = "general"
        out.setdefault(target, []).append(text.message(english))
    return out
