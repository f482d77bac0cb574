"""Browser tests: Playwright (sync API) driving Debian's headless Chromium against the app
served by a real HTTP server on 127.0.0.1, on the demo data of README command 1.

- The demo data is imported once per test session (``flask db upgrade`` + ``flask demo load``)
  into SQLite; each test module gets its own copy of that database and search index and its own
  server, so modules do not see each other's changes (tests inside one module do).
- Chromium is /usr/bin/chromium (``apt-get install chromium``; .ci/run installs it). Without
  it the suite is skipped with that reason, unless SOCIALMAP_REQUIRE_BROWSER=1 (CI), where a
  missing browser fails.
- The suite runs in the SQLite pass only: with SOCIALMAP_TEST_DATABASE_URL set it is skipped
  (it does not touch that database, and one run is enough).
- Screenshots go to SOCIALMAP_TEST_ARTIFACTS (default var/test-artifacts)/screenshots.
- Every page is checked for Content-Security-Policy violations and script errors.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import CHROMIUM
from werkzeug.serving import make_server


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _skip_reason()
    if reason is None:
        return
    if os.environ.get("SOCIALMAP_REQUIRE_BROWSER") == "1" and "DATABASE_URL" not in reason:
        raise pytest.UsageError(f"browser tests required but: {reason}")
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.skip(reason=reason))


def _skip_reason() -> str | None:
    if os.environ.get("SOCIALMAP_TEST_DATABASE_URL"):
        return "browser suite runs in the SQLite pass (SOCIALMAP_TEST_DATABASE_URL is set)"
    if not os.access(CHROMIUM, os.X_OK):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    return None


def _config(folder: Path) -> dict[str, Any]:
    return {
        "DATABASE_URL": f"sqlite:///{folder}/socialmap.db",
        "VAR_DIR": str(folder),
        "SEARCH_INDEX_PATH": str(folder / "index.sqlite"),
        "MAIL_FOLDER": str(folder / "outbox"),
        "SECRET_KEY": "browser-tests",
        "MAP_TILE_URL": "",  # no third-party requests from tests
        "BASE_URL": "http://127.0.0.1",
    }


@pytest.fixture(scope="session")
def demo_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """README command 1's data: migrations, then ``flask demo load``, done once."""
    from flask_migrate import upgrade

    from socialmap import create_app
    from socialmap.extensions import db

    folder = tmp_path_factory.mktemp("demo")
    app = create_app(_config(folder))
    with app.app_context():
        upgrade()
        result = app.test_cli_runner().invoke(args=["demo", "load"])
        assert result.exit_code == 0, result.output
        db.session.remove()
        db.engine.dispose()
    return folder


def _copy_sqlite(src: Path, dst: Path) -> None:
    with sqlite3.connect(src) as source, sqlite3.connect(dst) as target:
        source.backup(target)
    source.close()
    target.close()


class LiveServer:
    """The app served over HTTP on a free port in a background thread."""

    def __init__(self, folder: Path) -> None:
        from socialmap import create_app

        self.folder = folder
        self.app = create_app(_config(folder))
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.app.config["BASE_URL"] = self.url
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def app_context(self) -> Any:
        """An app context on the server's database, to arrange or check data directly."""
        return self.app.app_context()

    def stop(self) -> None:
        from socialmap.extensions import db

        self.server.shutdown()
        self.server.server_close()
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="module")
def live_server(
    demo_snapshot: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("live")
    _copy_sqlite(demo_snapshot / "socialmap.db", folder / "socialmap.db")
    _copy_sqlite(demo_snapshot / "index.sqlite", folder / "index.sqlite")
    for extra in demo_snapshot.iterdir():
        if extra.is_dir():
            shutil.copytree(extra, folder / extra.name)
    server = LiveServer(folder)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        yield browser
        browser.close()


@pytest.fixture
def context(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A fresh browser profile (no cookies) in Dutch, on a laptop-sized window."""
    ctx = browser.new_context(
        base_url=live_server.url, locale="nl-BE", viewport={"width": 1280, "height": 900}
    )
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: Any) -> Iterator[Any]:
    """A page that fails the test on script errors and Content-Security-Policy violations."""
    from browser_support import watch_console

    page = context.new_page()
    problems = watch_console(page)
    yield page
    assert problems == [], f"browser console errors: {problems}"
