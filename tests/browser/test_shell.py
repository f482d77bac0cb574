"""The page shell every page shares: demo notice, language switch, sign-in, CSP, keyboard."""

from __future__ import annotations

from typing import Any

from browser_support import GP
from browser_support import check_accessibility
from browser_support import screenshot
from browser_support import sign_in
from browser_support import sign_out


def test_home_marks_demo_data_and_passes_axe(page: Any) -> None:
    response = page.goto("/")
    assert response.status == 200
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "fictieve demodata" in page.locator(".demo-banner").inner_text().lower()
    assert page.locator("html").get_attribute("lang") == "nl"
    check_accessibility(page, "home")


def test_language_switch_is_a_post_and_sticks(page: Any) -> None:
    page.goto("/")
    page.get_by_role("button", name="FR").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "fr"
    assert "lang=" not in page.url
    page.goto("/aanmelden")
    assert page.get_by_role("heading", name="Se connecter").is_visible()


def test_sign_in_with_a_wrong_password_then_right_one(page: Any) -> None:
    page.goto("/aanmelden")
    page.get_by_label("E-mailadres").fill(GP)
    page.get_by_label("Wachtwoord").fill("wrong-password")
    page.locator("main form button[type=submit]").click()
    assert page.get_by_role("alert").inner_text() == "E-mailadres of wachtwoord is niet juist."
    sign_in(page, GP)
    assert "/verwijzen" in page.url
    screenshot(page, "shell-signed-in")
    sign_out(page)
    assert page.get_by_role("link", name="Aanmelden").is_visible()


def test_skip_link_is_the_first_tab_stop(page: Any) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused.strip() == "Naar de inhoud"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_api_docs_render_under_the_csp(page: Any) -> None:
    page.goto("/api/docs")
    page.locator(".swagger-ui .info").wait_for()
    assert "socialmap API" in page.locator(".swagger-ui .info").inner_text()
