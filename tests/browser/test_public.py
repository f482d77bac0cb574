"""The public directory in a real browser, on the demo data around Oostende (8400)."""

from __future__ import annotations

import re
from typing import Any

from browser_support import check_accessibility
from browser_support import screenshot

#: The demo's confidential shelter ("Crisishulp" at a secret address).
FOUND = re.compile(r"(Gevonden|Trouvés|Found)\s*:\s*(\d+)")


def _total(page: Any) -> int:
    found = FOUND.search(page.locator(".results-total").inner_text())
    assert found, page.locator(".results-summary").inner_text()
    return int(found.group(2))


def _search(page: Any, what: str, where: str) -> None:
    page.get_by_label("Waarvoor zoek je hulp?").fill(what)
    page.get_by_label("Waar?").fill(where)
    page.get_by_role("button", name="Zoeken", exact=True).click()
    page.wait_for_load_state()


def _active(page: Any) -> dict[str, str]:
    return page.evaluate(
        """() => { const e = document.activeElement;
                   return {id: e.id, cls: e.className || '', text: (e.textContent || '').trim(),
                           tag: e.tagName}; }"""
    )


def _tab_to(page: Any, test: Any, limit: int = 40) -> dict[str, str]:
    for _ in range(limit):
        page.keyboard.press("Tab")
        active = _active(page)
        if test(active):
            return active
    raise AssertionError(f"never reached by Tab; last: {active}")


def test_citizen_searches_filters_opens_a_detail_and_prints_a_list(page: Any) -> None:
    page.goto("/")
    _search(page, "eenzaam", "8400")
    assert "q=eenzaam" in page.url and "place=8400" in page.url
    results = page.locator(".result")
    assert results.count() > 2
    distances = page.locator(".result .distance").all_inner_texts()
    assert distances and all(re.fullmatch(r"op \d+(,\d)?\xa0km", d) for d in distances)
    before = _total(page)
    # the map: markers on a plain background (no tiles in tests), clustered where close
    page.locator("#results-map .leaflet-marker-icon").first.wait_for()
    assert page.locator("#results-map .leaflet-tile").count() == 0
    check_accessibility(page, "public search results")

    # a facet: its count is what the filter leaves
    facet = page.locator(".facet-need label").filter(has_text="Bezoekdienst")
    expected = int(re.search(r"\((\d+)\)", facet.inner_text()).group(1))
    assert expected < before
    facet.locator("input").check()
    page.get_by_role("button", name="Filters toepassen").click()
    page.wait_for_load_state()
    assert _total(page) == expected
    assert page.locator(".facet-need label").filter(has_text="Bezoekdienst").locator(
        "input").is_checked()  # fmt: skip
    screenshot(page, "public-search")

    # back to all results; open the first one
    page.get_by_role("link", name="Alle filters wissen").click()
    page.wait_for_load_state()
    assert _total(page) == before
    first = page.locator(".result-name a").first
    name = first.inner_text()
    first.click()
    page.wait_for_load_state()
    assert "/dienst/" in page.url
    assert page.get_by_role("heading", level=1).inner_text() == name
    assert page.title().startswith(name)
    assert page.get_by_role("heading", name="Hoe meld je je aan").is_visible()
    check_accessibility(page, "public detail")
    screenshot(page, "public-detail")

    # tick two results and make a printable list with a short link
    page.get_by_role("link", name="Terug naar de zoekresultaten").click()
    page.wait_for_load_state()
    # two different services (a service at two sites is listed once per site)
    boxes = page.get_by_role("checkbox", name=re.compile("Op mijn lijst zetten"))
    ids = [boxes.nth(i).get_attribute("value") for i in range(boxes.count())]
    picks = [0, next(i for i, x in enumerate(ids) if x != ids[0])]
    names = [page.locator(".result-name a").nth(i).inner_text() for i in picks]
    for i in picks:
        boxes.nth(i).check()
    page.get_by_role("button", name="Mijn lijst afdrukken of delen").click()
    page.wait_for_load_state()
    assert re.search(r"/l/[a-z0-9]{8}$", page.url)
    assert page.locator(".shared-item h2").all_inner_texts() == names
    assert page.locator(".short-link a").inner_text() == page.url
    assert page.get_by_role("button", name="Deze lijst afdrukken").is_visible()
    assert page.locator("[data-print-hint]").is_hidden()
    check_accessibility(page, "public shared list")
    page.emulate_media(media="print")
    assert page.locator(".site-header").is_hidden()
    assert page.get_by_role("button", name="Deze lijst afdrukken").is_hidden()
    screenshot(page, "public-list-print")
    page.emulate_media(media="screen")


def test_language_switch_keeps_the_search(page: Any) -> None:
    page.goto("/?q=eenzaam&place=8400")
    assert page.get_by_role("heading", level=1).inner_text() == "Vind hulp in de buurt"
    total = _total(page)
    page.get_by_role("button", name="FR").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "fr"
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading == "Trouver de l'aide près de chez vous"
    assert page.get_by_label("Pour quoi cherchez-vous de l'aide ?").input_value() == "eenzaam"
    assert _total(page) == total
    distance = page.locator(".result .distance").first.inner_text()
    assert re.fullmatch(r"à \d+(,\d)?\xa0km", distance)
    page.get_by_role("button", name="EN").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Find help nearby"
    assert page.get_by_label("What do you need help with?").input_value() == "eenzaam"
    assert page.get_by_label("Where?").input_value() == "8400"
    distance = page.locator(".result .distance").first.inner_text()
    assert re.fullmatch(r"\d+(\.\d)?\xa0km away", distance)
    page.get_by_role("button", name="NL").click()  # the cookie lives in this context only


def test_keyboard_only_search_with_suggestions(page: Any) -> None:
    page.goto("/")
    _tab_to(page, lambda a: a["id"] == "f-q")
    page.keyboard.type("eenz")
    listbox = page.get_by_role("listbox")
    listbox.get_by_role("option").first.wait_for()
    field = page.locator("#f-q")
    assert field.get_attribute("aria-expanded") == "true"
    assert "suggestie" in page.locator("#f-q-status").inner_text()
    page.keyboard.press("ArrowDown")
    option_id = field.get_attribute("aria-activedescendant")
    chosen = page.locator(f"#{option_id}").inner_text()
    page.keyboard.press("Enter")  # picks the suggestion, does not search yet
    assert field.input_value() == chosen and listbox.is_hidden()
    assert page.url.endswith("/")
    page.keyboard.press("Control+A")
    page.keyboard.type("eenzaam")
    page.keyboard.press("Tab")  # closes the suggestions
    assert _active(page)["id"] == "f-place"
    page.keyboard.type("8400")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=eenzaam"))
    page.wait_for_load_state()
    assert _total(page) > 0
    # past the search form, the first stop of the results area skips the filters
    skip = _tab_to(page, lambda a: "skip-results" in a["cls"])
    assert skip["text"] == "Filters overslaan: naar de resultaten"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    first = _active(page)
    assert first["tag"] == "A"
    assert first["text"] == page.locator(".result-name a").first.inner_text()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/dienst/"))
    assert page.get_by_role("heading", level=1).inner_text() == first["text"]


def test_narrow_screens_do_not_scroll_sideways(page: Any) -> None:
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto("/?q=eenzaam&place=8400")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 320
    # the filters fold away behind a button on a phone
    toggle = page.get_by_role("button", name="Filters tonen")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert page.locator("#filter-form").is_hidden()
    screenshot(page, "public-search-320")
    toggle.click()
    assert page.locator("#filter-form").is_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 320
    page.locator(".result-name a").first.click()
    page.wait_for_load_state()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 320


def test_correction_suggestion_lands_with_the_stewards(page: Any, live_server: Any) -> None:
    from sqlalchemy import select

    from socialmap import models as m
    from socialmap.extensions import db

    page.goto("/?q=schulden&place=8400")
    page.locator(".result-name a").first.click()
    page.wait_for_load_state()
    service_name = page.get_by_role("heading", level=1).inner_text()
    page.get_by_role("link", name="Klopt er iets niet? Stel een verbetering voor").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Voorstel versturen").click()
    page.wait_for_load_state()
    assert page.get_by_role("alert").inner_text() == "Enkele velden vragen je aandacht."
    assert page.locator("#f-field").get_attribute("aria-invalid") == "true"
    check_accessibility(page, "public correction with errors")
    screenshot(page, "public-correction")
    page.get_by_label("Wat klopt er niet?").select_option(label="Openingsuren")
    page.get_by_label("Wat is juist?").fill("Op vrijdagnamiddag is het onthaal gesloten.")
    page.get_by_role("button", name="Voorstel versturen").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == service_name
    assert "Bedankt" in page.locator(".flash-success").inner_text()
    with live_server.app_context():
        suggestion = db.session.scalar(
            select(m.CorrectionSuggestion).order_by(m.CorrectionSuggestion.id.desc())
        )
        assert suggestion.field == "hours" and "vrijdagnamiddag" in suggestion.message


def test_confidential_shelter_shows_no_address_or_map(page: Any) -> None:
    page.goto("/?q=partnergeweld&place=8400")
    page.get_by_role("link", name="Crisisopvang bij geweld thuis").first.click()
    page.wait_for_load_state()
    assert page.get_by_text("Het adres van deze locatie is vertrouwelijk.").is_visible()
    assert page.locator("#detail-map").count() == 0
    assert "Bel het centrale nummer" in page.locator(".location").first.inner_text()
