"""Helpers for the browser tests: sign-in, axe-core checks, screenshots, console watch."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

CHROMIUM = os.environ.get("SOCIALMAP_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parent.parent.parent
ARTIFACTS = Path(os.environ.get("SOCIALMAP_TEST_ARTIFACTS", ROOT / "var" / "test-artifacts"))

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
DEMO_PASSWORD = "socialmap-demo"
GP = "huisarts@demo.socialmap.invalid"
PROVIDER = "onthaal@demo.socialmap.invalid"
STEWARD = "steward@demo.socialmap.invalid"
ADMIN = "admin@demo.socialmap.invalid"

#: Console lines for failed loads: pages answering 4xx on purpose (a wrong password is a 401)
#: log these too; failed subresources are caught from the responses instead.
_IGNORED = re.compile(r"^Failed to load resource: the server responded with a status of 4")


def watch_console(page: Any) -> list[str]:
    """Collect console errors, uncaught exceptions (CSP violations are console errors) and
    failed subresources (scripts, styles, images, fetches answering >= 400)."""
    problems: list[str] = []

    def on_console(msg: Any) -> None:
        if msg.type == "error" and not _IGNORED.search(msg.text):
            problems.append(msg.text)

    def on_response(response: Any) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            if not response.url.endswith("/favicon.ico"):
                problems.append(f"{response.status} {response.url}")

    page.on("console", on_console)
    page.on("response", on_response)
    page.on("pageerror", lambda exc: problems.append(f"uncaught: {exc}"))
    return problems


def sign_in(page: Any, email: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the sign-in form (the page ends on the role's home page)."""
    page.goto("/aanmelden")
    page.get_by_label(re.compile("^(E-mailadres|Adresse e-mail|E-mail address)")).fill(email)
    page.get_by_label(re.compile("^(Wachtwoord|Mot de passe|Password)")).fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/aanmelden" not in page.url, f"sign-in failed for {email}"


def sign_out(page: Any) -> None:
    page.locator("header form[action$='/afmelden'] button").click()
    page.wait_for_load_state()


def check_accessibility(page: Any, name: str) -> None:
    """Run axe-core (vendored from npm) on the current page: no serious or critical violation.

    The script is evaluated through the DevTools protocol, so the page's CSP still holds."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        """() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(
            v => ({id: v.id, impact: v.impact, help: v.help,
                   nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))"""
    )
    bad = [v for v in result if v["impact"] in ("serious", "critical")]
    assert bad == [], f"axe-core on {name}: " + json.dumps(bad, indent=1)


def screenshot(page: Any, name: str, full_page: bool = True) -> Path:
    """Save a screenshot as a test artifact: <ARTIFACTS>/screenshots/<name>.png."""
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
