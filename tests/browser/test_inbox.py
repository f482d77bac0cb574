"""The provider in a real browser on the demo data: a new referral in the inbox, accept -> start
-> complete with an outcome; the one-click capacity update reaching the public page and
matching; editing opening hours with the change in the field history."""

from __future__ import annotations

import re
from typing import Any

import pytest
from browser_support import GP
from browser_support import PROVIDER
from browser_support import check_accessibility
from browser_support import screenshot
from browser_support import sign_in
from playwright.sync_api import expect
from sqlalchemy import select

#: The demo provider staffs Budgetpunt Kust: its debt mediation service accepts referrals.
ORGANISATION = "Budgetpunt Kust"
SERVICE = "Schuldbemiddeling"
WAITLIST_SERVICE = "Budgetbegeleiding"


def _service_id(live_server: Any, name: str) -> str:
    from socialmap import models as m
    from socialmap.extensions import db

    with live_server.app_context():
        return db.session.scalar(
            select(m.Service.id)
            .join(m.Organization, m.Organization.id == m.Service.organization_id)
            .where(m.Service.name == name, m.Organization.name == ORGANISATION)
        )


@pytest.fixture(scope="module")
def task_id(live_server: Any) -> str:
    """A referral from the demo GP to Budgetpunt Kust's debt mediation, made by the logic."""
    from socialmap import models as m
    from socialmap.extensions import db
    from socialmap.logic import referrals

    service_id = _service_id(live_server, SERVICE)
    with live_server.app_context():
        gp = db.session.scalar(select(m.User).where(m.User.email == GP))
        request, created = referrals.create_referral(
            gp,
            {
                "person": {
                    "name": "Fictieve Persoon",
                    "birth_year": 1961,
                    "postcode": "8400",
                    "language": "nl",
                    "contact_method": "phone",
                    "phone": "059 00 00 00",
                },
                "needs": ["debt-counselling"],
                "services": [service_id],
                "note": "Facturen stapelen zich op sinds de scheiding.",
                "consent": {"method": "verbal"},
            },
        )
        assert created
        return request.tasks[0].id


def _fits(page: Any) -> bool:
    """Nothing makes the page scroll sideways."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_provider_handles_a_new_referral(page: Any, live_server: Any, task_id: str) -> None:
    sign_in(page, PROVIDER)
    expect(page).to_have_url(re.compile(r"/inbox$"))
    item = page.locator("li.referral-item", has=page.locator(f"a[href='/inbox/{task_id}']"))
    expect(item).to_be_visible()
    expect(item.locator(".badge-new")).to_have_text("Nieuw")
    expect(item).not_to_contain_text("Fictieve Persoon")  # no personal data in the list
    check_accessibility(page, "inbox list")
    screenshot(page, "inbox-list")

    page.set_viewport_size({"width": 320, "height": 800})
    assert _fits(page), "the inbox is wider than 320 px"
    screenshot(page, "inbox-list-320", full_page=False)
    page.set_viewport_size({"width": 1280, "height": 900})

    item.locator("a").first.click()
    expect(page.locator("h1")).to_have_text(f"Doorverwijzing naar {SERVICE}")
    assert "Fictieve" not in page.title()
    expect(page.locator("section.person")).to_contain_text("Fictieve Persoon")
    expect(page.locator(".timeline")).to_contain_text("Geopend door de organisatie")
    check_accessibility(page, "inbox referral")
    screenshot(page, "inbox-referral")
    page.set_viewport_size({"width": 320, "height": 800})
    assert _fits(page), "the referral page is wider than 320 px"
    screenshot(page, "inbox-referral-320")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_label("Bericht aan de doorverwijzer (optioneel)").fill("Intake op dinsdag 10u")
    page.get_by_role("button", name="Aanvaarden").click()
    expect(page.locator(".flash-success")).to_contain_text("Je hebt de doorverwijzing aanvaard")
    expect(page.locator(".referral-badges .badge-accepted")).to_have_text("Aanvaard")
    page.get_by_role("button", name="Starten").click()
    expect(page.locator(".referral-badges .badge-in-progress")).to_have_text("Bezig")
    page.get_by_label("Resultaat").fill("Budgetbegeleiding opgestart, afbetalingsplan gemaakt")
    page.get_by_role("button", name="Afronden").click()
    expect(page.locator(".referral-badges .badge-completed")).to_have_text("Afgerond")
    expect(page.locator("main")).to_contain_text("afbetalingsplan gemaakt")
    expect(page.locator(".timeline li")).to_have_count(5)  # sent, opened, 3 status changes

    page.goto("/inbox")
    expect(page.locator(f"a[href='/inbox/{task_id}']")).to_be_visible()
    expect(page.locator("li.referral-item .badge-completed").first).to_be_visible()


def test_waitlist_shows_on_the_public_page_and_in_matching(page: Any, live_server: Any) -> None:
    from socialmap.logic import matching

    service_id = _service_id(live_server, WAITLIST_SERVICE)
    sign_in(page, PROVIDER)
    page.goto("/aanbod")
    check_accessibility(page, "inbox services")
    card = page.locator(f"#service-{service_id}")
    card.get_by_label("Weken").fill("6")
    card.get_by_role("button", name="Wachtlijst").click()
    expect(page.locator(".flash-success")).to_contain_text("ongeveer 6 weken")
    card = page.locator(f"#service-{service_id}")
    expect(card.locator(".capacity-now .badge-waitlist")).to_be_visible()
    screenshot(page, "inbox-services")
    page.set_viewport_size({"width": 320, "height": 800})
    assert _fits(page), "the services page is wider than 320 px"
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto(f"/dienst/{service_id}")
    expect(page.locator("main .badge-waitlist").first).to_contain_text("6 weken")

    with live_server.app_context():
        result = matching.match_services({"needs": ["budget-management"], "place": "8400"})
    found = [match for match in result.matches if match["service_id"] == service_id]
    assert found, "matching does not list the service"
    capacity = found[0]["explanation"]["capacity"]
    assert (capacity["status"], capacity["waiting_weeks"]) == ("waitlist", 6)


def test_provider_edits_hours_and_sees_the_history(page: Any, live_server: Any) -> None:
    service_id = _service_id(live_server, SERVICE)
    sign_in(page, PROVIDER)
    page.goto("/aanbod")
    page.locator(f"#service-{service_id}").get_by_role(
        "link", name=re.compile("Uren, aanmelding en contact aanpassen")
    ).click()
    expect(page.locator("h1")).to_have_text(f"Fiche aanpassen: {SERVICE}")
    check_accessibility(page, "inbox edit listing")
    monday = page.locator("#day-1")
    monday.get_by_label("Van Maandag, blok 1").fill("08:30")
    monday.get_by_label("Tot Maandag, blok 1").fill("12:00")
    monday.get_by_label("Van Maandag, blok 2").fill("13:00")
    monday.get_by_label("Tot Maandag, blok 2").fill("16:30")
    monday.get_by_label("Notitie Maandag, blok 2").fill("Telefonische permanentie")
    page.get_by_role("checkbox", name="Gesloten (Zondag)").check()
    expect(page.locator("#f-hours-7-1-opens")).to_be_disabled()  # the script folds the day
    page.get_by_role("button", name="Fiche opslaan").click()
    expect(page.locator(".flash-success")).to_contain_text("De fiche is opgeslagen")
    expect(page.locator("#f-hours-1-1-opens")).to_have_value("08:30")
    history = page.locator("table.history tbody tr").first
    expect(history).to_contain_text("Openingsuren")
    expect(history).to_contain_text(PROVIDER)
    expect(history).to_contain_text("Maandag 08:30–12:00")
    screenshot(page, "inbox-edit-listing")
    page.set_viewport_size({"width": 320, "height": 800})
    assert _fits(page), "the listing editor is wider than 320 px"
    screenshot(page, "inbox-edit-listing-320")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("button", name="Deze fiche is actueel").click()
    expect(page.locator(".flash-success")).to_contain_text("bevestigd als actueel")
    expect(page.locator("table.history tbody")).to_contain_text("Laatst nagekeken")
