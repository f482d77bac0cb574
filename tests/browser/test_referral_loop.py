"""The whole loop in two browsers at once, on the demo data: the GP refers through the
workspace, the provider sees it as new and accepts, the GP sees "accepted" on the timeline, the
provider completes with an outcome, the GP sees the outcome and the notification."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from browser_support import GP
from browser_support import PROVIDER
from browser_support import screenshot
from browser_support import sign_in
from browser_support import watch_console
from playwright.sync_api import expect

OUTCOME = "Eerste gesprek gehad, afbetalingsplan opgemaakt"


@pytest.fixture
def provider_page(browser: Any, live_server: Any) -> Iterator[Any]:
    """A second browser (own cookies) for the provider, watched like ``page``."""
    ctx = browser.new_context(
        base_url=live_server.url, locale="nl-BE", viewport={"width": 1280, "height": 900}
    )
    ctx.set_default_timeout(10_000)
    page = ctx.new_page()
    problems = watch_console(page)
    yield page
    ctx.close()
    assert problems == [], f"browser console errors: {problems}"


def _refer_debt_counselling(gp: Any) -> str:
    """The GP's four steps; returns the new referral's page path."""
    gp.get_by_role("link", name="Nieuwe doorverwijzing").first.click()
    gp.get_by_label("Postcode of gemeente").fill("8400")
    gp.get_by_role("button", name="Volgende: hulpvragen").click()
    gp.get_by_label("Heeft de persoon schulden of onbetaalde rekeningen?").check()
    gp.get_by_role("button", name="Toon passende hulpverleners").click()
    card = gp.locator("li.match", has_text="Budgetpunt Kust").first
    card.get_by_role("checkbox").check()
    gp.get_by_role("button", name="Volgende: de persoon").click()
    gp.get_by_label("Naam of initialen").fill("R. Fictief")
    gp.get_by_label("Mondeling").check()
    gp.get_by_label("De persoon gaat akkoord met deze doorverwijzing").check()
    gp.get_by_role("button", name="Doorverwijzing versturen").click()
    gp.wait_for_url(re.compile(r"/verwijzingen/[0-9a-f-]{36}$"))
    expect(gp.locator("ol.timeline")).to_contain_text("Verstuurd")
    return gp.url.rsplit("/", 1)[1]


def test_gp_and_provider_close_the_loop(page: Any, provider_page: Any) -> None:
    gp, provider = page, provider_page
    sign_in(gp, GP)
    task_id = _refer_debt_counselling(gp)
    assert "R. Fictief" not in gp.url and "R. Fictief" not in gp.title()

    sign_in(provider, PROVIDER)
    item = provider.locator("li.referral-item", has=provider.locator(f"a[href='/inbox/{task_id}']"))
    expect(item.locator(".badge-new")).to_have_text("Nieuw")
    item.locator("a").first.click()
    expect(provider.locator("section.person")).to_contain_text("R. Fictief")
    provider.get_by_role("button", name="Aanvaarden").click()
    expect(provider.locator(".referral-badges .badge-accepted")).to_have_text("Aanvaard")

    gp.reload()
    expect(gp.locator("ol.timeline")).to_contain_text("Aanvaard")
    screenshot(gp, "loop-gp-accepted")

    provider.get_by_role("button", name="Starten").click()
    provider.get_by_label("Resultaat").fill(OUTCOME)
    provider.get_by_role("button", name="Afronden").click()
    expect(provider.locator(".referral-badges .badge-completed")).to_have_text("Afgerond")

    gp.reload()
    expect(gp.locator("ol.timeline")).to_contain_text("Afgerond")
    expect(gp.locator("main")).to_contain_text(OUTCOME)
    expect(gp.locator(".nav-notifications .count")).to_be_visible()
    gp.locator(".nav-notifications").click()
    expect(gp.locator("main")).to_contain_text("Schuldbemiddeling")
    gp.locator(f"main a[href*='{task_id}']").first.click()
    expect(gp).to_have_url(re.compile(f"/verwijzingen/{task_id}$"))
    screenshot(gp, "loop-gp-completed")
