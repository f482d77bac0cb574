"""The referral workspace in Chromium on the demo data: the GP refers a person in 8400 through
the questionnaire, and a steward changes the questionnaire the GP then sees.

The tests of this module share one server: the steward's change comes after the GP's
referral (which uses the default questionnaire either way).
"""

from __future__ import annotations

import re
from typing import Any

from browser_support import GP
from browser_support import STEWARD
from browser_support import check_accessibility
from browser_support import screenshot
from browser_support import sign_in
from browser_support import sign_out

LONELY = "Voelt de persoon zich vaak eenzaam?"
DEBTS = "Heeft de persoon schulden of onbetaalde rekeningen?"
NEW_QUESTION = "Heeft de persoon sinds kort een partner verloren?"


def _no_horizontal_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"the page scrolls sideways: {width}px"


def _start(page: Any, place: str = "8400") -> None:
    """From the workspace home to the needs step."""
    page.goto("/verwijzen")
    page.get_by_role("link", name="Nieuwe doorverwijzing").first.click()
    page.get_by_label("Postcode of gemeente").fill(place)
    page.get_by_role("button", name="Volgende: hulpvragen").click()
    page.wait_for_load_state()


def test_the_gp_refers_a_person_through_the_questionnaire(page: Any) -> None:
    sign_in(page, GP)
    assert page.url.endswith("/verwijzen")
    check_accessibility(page, "workspace home")

    page.get_by_role("link", name="Nieuwe doorverwijzing").first.click()
    assert page.get_by_role("heading", name="Waar woont de persoon?").is_visible()
    check_accessibility(page, "workspace place")
    page.set_viewport_size({"width": 320, "height": 800})
    _no_horizontal_scroll(page)
    screenshot(page, "workspace-place-320")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_label("Postcode of gemeente").fill("8400")
    page.get_by_role("button", name="Volgende: hulpvragen").click()

    # Step 2: the questionnaire of ELZ Oostende (demo) (still the default questions).
    assert page.get_by_text("Vragenlijst van ELZ Oostende (demo).").is_visible()
    page.get_by_label(LONELY).check()
    page.get_by_label(DEBTS).check()
    page.locator("summary", has_text="Geld en schulden").click()  # the full list opens
    assert page.get_by_label("Schuldhulpverlening", exact=True).is_visible()
    check_accessibility(page, "workspace needs")
    screenshot(page, "workspace-needs")
    assert "8400" not in page.url
    page.get_by_role("button", name="Toon passende hulpverleners").click()

    # Step 3: matches, each explained per criterion, and the ones left out with why.
    card = page.locator("li.match", has_text="Budgetpunt Kust").first
    card.wait_for()
    explained = card.locator(".criteria").inner_text()
    assert "Schuldhulpverlening (gedekt)" in explained
    assert "werkt waar de persoon woont" in explained
    assert re.search(r"Capaciteit:.*(Kan nieuwe mensen opnemen|Wachtlijst)", explained)
    excluded = page.locator("section.excluded")
    assert "In de buurt, maar niet weerhouden" in excluded.inner_text()
    assert "Neemt geen doorverwijzingen aan via socialmap" in excluded.inner_text()
    check_accessibility(page, "workspace matches")
    screenshot(page, "workspace-matches")
    page.set_viewport_size({"width": 320, "height": 800})
    _no_horizontal_scroll(page)
    screenshot(page, "workspace-matches-320", full_page=False)
    page.set_viewport_size({"width": 1280, "height": 900})
    card.get_by_role("checkbox").check()
    page.get_by_role("button", name="Volgende: de persoon").click()

    # Step 4: the person, contact preference and consent.
    assert page.locator("section.chosen").get_by_text("Budgetpunt Kust").is_visible()
    page.get_by_label("Naam of initialen").fill("M. Demo")
    page.get_by_label("Geboortejaar", exact=True).fill("1958")
    page.get_by_label("Telefonisch").check()
    page.get_by_label("Telefoon", exact=True).fill("059 12 34 56")
    page.get_by_label("Korte notitie voor de organisatie").fill("Fictieve persoon voor de demo.")
    page.get_by_label("Mondeling").check()
    page.get_by_label("De persoon gaat akkoord met deze doorverwijzing").check()
    check_accessibility(page, "workspace person")
    screenshot(page, "workspace-person")
    page.get_by_role("button", name="Doorverwijzing versturen").click()

    # The referral's page: sent, on the timeline; no personal data in the URL or title.
    page.wait_for_url(re.compile(r"/verwijzingen/[0-9a-f-]{36}$"))
    assert "Demo" not in page.url and "Demo" not in page.title()
    assert (
        page.get_by_role("status").first.inner_text().startswith("De doorverwijzing is verstuurd")
    )
    assert "Verstuurd" in page.locator("ol.timeline").inner_text()
    assert page.get_by_role("heading", name="Doorverwijzing naar Schuldbemiddeling").is_visible()
    assert "M. Demo" in page.locator("main").inner_text()
    check_accessibility(page, "workspace referral")
    screenshot(page, "workspace-referral")
    referral_url = page.url

    # My referrals lists it, with its status.
    page.get_by_role("link", name="Mijn doorverwijzingen").click()
    item = page.locator("li.referral-item").first
    assert "Schuldbemiddeling" in item.inner_text() and "Verstuurd" in item.inner_text()
    check_accessibility(page, "my referrals")
    screenshot(page, "workspace-home")
    item.get_by_role("link").click()
    assert page.url == referral_url

    # The letter, in Dutch, with a print button (from the script file).
    page.get_by_role("link", name="Verwijsbrief voor de persoon").click()
    assert page.get_by_role("heading", name="Verwijsbrief").is_visible()
    assert page.get_by_role("button", name="Afdrukken").is_visible()
    assert "M. Demo" in page.locator("body").inner_text()
    check_accessibility(page, "workspace letter")
    screenshot(page, "workspace-letter")
    page.get_by_role("link", name="Terug naar de doorverwijzing").click()
    assert page.url == referral_url


def test_a_steward_adds_a_question_and_the_gp_sees_it(page: Any) -> None:
    sign_in(page, STEWARD)
    page.goto("/beheer/vragenlijst")
    assert page.get_by_role("heading", name="ELZ Oostende (demo)").is_visible()
    check_accessibility(page, "questionnaire overview")
    edit = re.compile(r"^Bewerken\W+Eenzaamheid en sociaal netwerk$")
    page.get_by_role("link", name=edit).click()

    new = page.locator("fieldset.question", has_text="Nieuwe vraag").first
    new.get_by_label("Nederlands").fill(NEW_QUESTION)
    new.get_by_label("Frans").fill("La personne a-t-elle perdu son partenaire récemment ?")
    new.get_by_label("Engels").fill("Has the person recently lost a partner?")
    new.locator("summary").click()
    new.get_by_label("Bezoekdienst en buddywerking").check()
    check_accessibility(page, "questionnaire editor")
    screenshot(page, "workspace-questionnaire-editor")
    page.get_by_role("button", name="Bewaren").click()
    assert page.get_by_role("status").first.inner_text() == "De vragenlijst is bewaard."
    assert NEW_QUESTION in page.locator("main").inner_text()
    sign_out(page)

    sign_in(page, GP)
    _start(page)
    question = page.get_by_label(NEW_QUESTION)
    assert question.is_visible()
    question.check()
    page.get_by_role("button", name="Toon passende hulpverleners").click()
    assert "Hulpvragen: Bezoekdienst en buddywerking." in page.locator(".flow-context").inner_text()
