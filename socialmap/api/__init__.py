"""The JSON API (flask-smorest): one blueprint per resource, documented in OpenAPI."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api


def register(app: Flask) -> Api:
    from socialmap.api import hsds
    from socialmap.api import index
    from socialmap.api import matching
    from socialmap.api import notifications
    from socialmap.api import referrals
    from socialmap.api import search
    from socialmap.api import services
    from socialmap.api import users

    api = Api(app)
    api.register_blueprint(services.bp)
    api.register_blueprint(search.bp)
    api.register_blueprint(hsds.bp)
    api.register_blueprint(users.bp)
    api.register_blueprint(referrals.bp)
    api.register_blueprint(notifications.bp)
    api.register_blueprint(matching.bp)
    app.register_blueprint(index.bp)
    return api
