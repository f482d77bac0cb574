"""The web interface: server-rendered pages (Jinja templates in ``templates/``) over the same
logic layer as the JSON API. Progressive enhancement: every page works without JavaScript;
scripts in ``socialmap/static/js`` only add the map, suggestions and "near me".

One blueprint per audience (a second module may add routes to its area's blueprint):

- ``public``    the directory: search, service detail, corrections, shared lists (no sign-in)
- ``account``   sign-in/out, invitations, password reset, language switch (``account``);
                notifications and the account page (``my_account``)
- ``workspace`` referrers: needs questionnaire -> matches -> consent -> send; my referrals
                (``workspace``, words in ``workspace_text``); the stewards' questionnaire
                editor (``questionnaire_editor``)
- ``inbox``     provider staff: incoming referrals (``inbox``); capacity and own listings
                (``inbox_listings``)
- ``steward``   ELZ staff: import runs, merge review, corrections, freshness

Shared by all: ``pages`` (template globals, error pages), ``access`` (roles), ``security``
(CSRF, CSP) and ``display`` (code labels and display formatting used by several areas).
"""

from __future__ import annotations

from flask import Flask

from socialmap.web import account
from socialmap.web import inbox
from socialmap.web import inbox_listings
from socialmap.web import my_account
from socialmap.web import public
from socialmap.web import questionnaire_editor
from socialmap.web import steward
from socialmap.web import workspace
from socialmap.web.security import csrf

BLUEPRINTS = (public.bp, account.bp, workspace.bp, inbox.bp, steward.bp)
#: Modules that only add routes to one of the blueprints above (imported for that).
ROUTE_MODULES = (my_account, questionnaire_editor, inbox_listings)


def register(app: Flask, api_blueprint_names: set[str]) -> None:
    from socialmap.web import pages
    from socialmap.web import security

    for bp in BLUEPRINTS:
        app.register_blueprint(bp)
    web_names = {bp.name for bp in BLUEPRINTS}
    security.register(app, web_names=web_names, exempt=api_blueprint_names)
    pages.register(app, web_names=web_names)


__all__ = ["BLUEPRINTS", "csrf", "register"]
