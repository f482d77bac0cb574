"""Fixtures (flaskr style): ``app``, ``client``, ``runner``, ``session``.

The database is SQLite in a temporary folder, or PostgreSQL when SOCIALMAP_TEST_DATABASE_URL
is set. Migrations run once per test session; every test starts from empty tables.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine
from sqlalchemy import text

from socialmap import create_app
from socialmap.extensions import db

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("SOCIALMAP_TEST_DATABASE_URL")
    if url:
        engine = create_engine(url)
        with engine.begin() as conn:  # a clean schema for this test session
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db')}/test.db"


@pytest.fixture(scope="session")
def _migrated(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    from flask_migrate import upgrade

    app = create_app({"DATABASE_URL": database_url, "TESTING": True})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database_url


@pytest.fixture
def app(_migrated: str, tmp_path: Path) -> Iterator[Flask]:
    app = create_app(
        {
            "DATABASE_URL": _migrated,
            "TESTING": True,
            "SECRET_KEY": "test",
            "VAR_DIR": str(tmp_path),
            "SEARCH_INDEX_PATH": str(tmp_path / "index.sqlite"),
        }
    )
    with app.app_context():
        yield app
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


def _empty_tables() -> None:
    tables = [t for t in db.metadata.sorted_tables]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                conn.execute(table.delete())


@pytest.fixture
def session(app: Flask):  # type: ignore[no-untyped-def]
    return db.session


@pytest.fixture
def client(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def runner(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()
