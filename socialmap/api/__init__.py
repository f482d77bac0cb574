"""The JSON API (flask-smorest): one blueprint per resource, documented in OpenAPI."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api


def register(app: Flask) -> Api:
    from socialmap.api import index
    from socialmap.api import search
    from socialmap.api import services

    api = Api(app)
    api.register_blueprint(services.bp)
    api.register_blueprint(search.bp)
    app.register_blueprint(index.bp)
    return api
