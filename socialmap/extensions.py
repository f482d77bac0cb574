"""Shared extension objects: database, migrations, translations, after-commit hooks."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from flask import current_app
from flask import g
from flask import has_request_context
from flask import request
from flask.json.provider import DefaultJSONProvider
from flask_babel import Babel
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Engine
from sqlalchemy import MetaData
from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

# Stable constraint names so Alembic migrations are portable between SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
babel = Babel()

_PENDING = "socialmap_on_commit"


def on_commit(fn: Callable[[], None], session: Session | None = None) -> None:
    """Run ``fn`` after the current transaction commits; dropped on rollback.

    Effects that must not fail a user's save (search index updates, notifications) go here.
    """
    sess = session or db.session()
    sess.info.setdefault(_PENDING, []).append(fn)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    for fn in session.info.pop(_PENDING, []):
        try:
            fn()
        except Exception:  # an after-commit effect never undoes the committed change
            log.exception("after-commit effect failed")


@event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def select_locale() -> str:
    """The UI language of this request, one of config LANGUAGES.

    In order: ``g.locale`` set by code (e.g. a letter in the person's language), the signed-in
    user's ``language``, the ``lang`` cookie, the best Accept-Language match, DEFAULT_LANGUAGE.
    A ``?lang=`` query argument is deliberately not read: pages with personal data must not
    change language (or be cached and shared) through a link.
    """
    languages = current_app.config["LANGUAGES"]
    candidates = [getattr(g, "locale", None), _user_language()]
    if has_request_context():
        candidates.append(request.cookies.get("lang"))
        candidates.append(request.accept_languages.best_match(languages))
    for candidate in candidates:
        if candidate in languages:
            return candidate
    return current_app.config["DEFAULT_LANGUAGE"]


def _user_language() -> str | None:
    """The signed-in user's language, when Flask-Login is set up on this app."""
    if not has_request_context() or getattr(current_app, "login_manager", None) is None:
        return None
    try:
        from flask_login import current_user
    except ImportError:  # pragma: no cover - Flask-Login is a dependency, but stay optional
        return None
    if not getattr(current_user, "is_authenticated", False):
        return None
    return getattr(current_user, "language", None)


def sqlite_pragmas(engine: Engine) -> None:
    """WAL + foreign keys for SQLite (concurrent readers while an import writes)."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=10000")
        # Imports maintain many indexes on tables of 100k+ rows: keep their pages in memory.
        cur.execute("PRAGMA cache_size=-65536")
        cur.execute("PRAGMA temp_store=MEMORY")
        cur.close()


class JSONProvider(DefaultJSONProvider):
    """ISO 8601 dates in JSON responses (Flask's default is the HTTP date format)."""

    @staticmethod
    def default(o: Any) -> Any:
        if isinstance(o, dt.date | dt.datetime):
            return o.isoformat()
        return DefaultJSONProvider.default(o)
