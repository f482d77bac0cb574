"""socialmap: the Flask application."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

MIGRATIONS_DIR = str(Path(__file__).parent / "migrations")
#: socialmap/translations/<lang>/LC_MESSAGES/messages.po (+ the compiled .mo); see README.md.
TRANSLATIONS_DIR = str(Path(__file__).parent / "translations")


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: config, then extensions, errors, blueprints, commands."""
    from socialmap.extensions import JSONProvider

    Flask.json_provider_class = JSONProvider
    app = Flask(__name__, template_folder=str(Path(__file__).parent.parent / "templates"))
    configure(app, test_config)
    register_extensions(app)
    register_auth(app)
    register_errors(app)
    api_names = register_api(app)
    register_web(app, api_names)
    register_commands(app)
    return app


def configure(app: Flask, test_config: Mapping[str, Any] | None) -> None:
    from dotenv import load_dotenv

    load_dotenv(override=False)
    app.config.from_object("socialmap.config")
    app.config.from_prefixed_env("SOCIALMAP")
    if test_config:
        app.config.update(test_config)
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    if app.config["DATABASE_URL"].startswith("sqlite:///"):
        Path(app.config["DATABASE_URL"][len("sqlite:///") :]).parent.mkdir(
            parents=True, exist_ok=True
        )
    logging.getLogger("socialmap").setLevel(app.config["LOG_LEVEL"])


def register_extensions(app: Flask) -> None:
    from socialmap.extensions import babel
    from socialmap.extensions import db
    from socialmap.extensions import migrate
    from socialmap.extensions import select_locale
    from socialmap.extensions import sqlite_pragmas

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    with app.app_context():
        sqlite_pragmas(db.engine)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", app.config["DEFAULT_LANGUAGE"])
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/Brussels")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", TRANSLATIONS_DIR)
    babel.init_app(app, locale_selector=select_locale)
    watch_search_changes()


_WATCHING = False


def watch_search_changes() -> None:
    """Push ORM changes to the search index after commit (registered once per process)."""
    global _WATCHING
    if not _WATCHING:
        from socialmap.extensions import db
        from socialmap.logic.search_index import watch_session

        watch_session(db.session)
        _WATCHING = True


def register_auth(app: Flask) -> None:
    from socialmap.auth import register

    register(app)


def register_errors(app: Flask) -> None:
    from socialmap.errors import register

    register(app)


def register_api(app: Flask) -> set[str]:
    from socialmap.api import register

    return register(app)


def register_web(app: Flask, api_names: set[str]) -> None:
    from socialmap.web import register

    register(app, api_names)


def register_commands(app: Flask) -> None:
    from socialmap.cli import register

    register(app)
