"""The web interface: server-rendered pages (Jinja templates in ``templates/``) over the same
logic layer as the JSON API. Progressive enhancement: every page works without JavaScript;
scripts in ``socialmap/static/js`` only add the map, suggestions and "near me".

One blueprint per audience:

- ``public``    the directory: search, service detail, corrections, shared lists (no sign-in)
- ``account``   sign-in/out, invitations, password reset, language switch
- ``workspace`` referrers: needs questionnaire -> matches -> consent -> send; my referrals
- ``inbox``     provider staff: incoming referrals, capacity, own listings
- ``steward``   ELZ staff: import runs, merge review, corrections, freshness, questionnaires
"""

from __future__ import annotations

from flask import Flask

from socialmap.web import account
from socialmap.web import inbox
from socialmap.web import public
from socialmap.web import steward
from socialmap.web import workspace
from socialmap.web.security import csrf

BLUEPRINTS = (public.bp, account.bp, workspace.bp, inbox.bp, steward.bp)


def register(app: Flask, api_blueprint_names: set[str]) -> None:
    from socialmap.web import pages
    from socialmap.web import security

    for bp in BLUEPRINTS:
        app.register_blueprint(bp)
    web_names = {bp.name for bp in BLUEPRINTS}
    security.register(app, web_names=web_names, exempt=api_blueprint_names)
    pages.register(app, web_names=web_names)


__all__ = ["BLUEPRINTS", "csrf", "register"]
