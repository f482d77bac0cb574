"""The steward on the demo data: merge review, import runs, corrections, freshness."""

from __future__ import annotations

import re
from typing import Any

from browser_support import PROVIDER
from browser_support import STEWARD
from browser_support import check_accessibility
from browser_support import screenshot
from browser_support import sign_in
from sqlalchemy import select

from socialmap import models as m
from socialmap.extensions import db
from socialmap.logic import corrections
from socialmap.logic import freshness

#: The demo import leaves 9 location pairs and 2 service pairs to review.
DEMO_PAIRS = 11


def _steward() -> m.User:
    return db.session.scalar(select(m.User).where(m.User.email == STEWARD))


def _named(prefix: str, name: str) -> re.Pattern[str]:
    """A button or link's name: its visible text and the service it is about."""
    return re.compile(rf"^{re.escape(prefix)}\s*:\s*{re.escape(name)}$")


def _fits(page: Any, width: int) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= width


def test_dashboard_counts_and_links(page: Any) -> None:
    sign_in(page, STEWARD)
    assert page.url.endswith("/beheer")
    assert page.get_by_role("heading", level=1).inner_text() == "Beheer"
    todo = page.locator(".todo-grid")
    assert f"{DEMO_PAIRS} gelijkende paren na te kijken" in " ".join(todo.inner_text().split())
    assert page.locator("table.runs tbody tr").count() == 3
    check_accessibility(page, "steward dashboard")
    screenshot(page, "steward-dashboard")


def test_merge_review_side_by_side_then_merge_and_keep_apart(page: Any, live_server: Any) -> None:
    sign_in(page, STEWARD)
    page.get_by_role("link", name=re.compile("gelijkende paren")).click()
    rows = page.locator("table.queue tbody tr")
    assert rows.count() == DEMO_PAIRS
    check_accessibility(page, "merge queue")

    first = rows.first.locator("th a")
    href = first.get_attribute("href")
    first.click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Is dit ")
    compare = page.locator("table.compare")
    assert compare.get_by_role("columnheader", name="Geïmporteerd record").is_visible()
    assert compare.get_by_role("columnheader", name="Bestaand record").is_visible()
    assert compare.locator("tbody tr").count() >= 7
    assert page.locator("table.scores meter").count() >= 3
    assert page.get_by_role("rowheader", name="Gelijkenis van de naam").is_visible()
    check_accessibility(page, "merge review")
    screenshot(page, "steward-merge-review")

    page.set_viewport_size({"width": 320, "height": 800})
    assert _fits(page, 320), "the merge review scrolls sideways at 320 px"
    check_accessibility(page, "merge review at 320 px")
    screenshot(page, "steward-merge-review-320")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("button", name="Samenvoegen: ze zijn hetzelfde").click()
    page.wait_for_load_state()
    assert page.url.endswith("/beheer/samenvoegen")
    assert page.locator(".flash-success").inner_text() == "De records zijn samengevoegd."
    assert page.locator(f"table.queue a[href='{href}']").count() == 0
    assert page.locator("table.queue tbody tr").count() == DEMO_PAIRS - 1
    candidate_id = int(href.rsplit("/", 1)[1])
    with live_server.app_context():
        cand = db.session.get(m.MergeCandidate, candidate_id)
        assert cand.status == "merged" and cand.decided_by == STEWARD
        model = m.Location if cand.entity_type == "location" else m.Service
        assert db.session.get(model, cand.entity_id).merged_into_id == cand.candidate_id

    page.locator("table.queue tbody tr th a").first.click()
    page.get_by_role("button", name="Apart houden: ze verschillen").click()
    page.wait_for_load_state()
    assert page.locator(".flash-success").inner_text() == "De records blijven apart."
    assert page.locator("table.queue tbody tr").count() == DEMO_PAIRS - 2


def test_import_runs_and_rejected_rows(page: Any) -> None:
    sign_in(page, STEWARD)
    page.locator(".steward-nav").get_by_role("link", name="Imports").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Imports"
    runs = page.locator("table.runs tbody tr")
    assert runs.count() == 3
    assert "sociale-kaart" in runs.first.inner_text()  # newest first
    check_accessibility(page, "import runs")
    screenshot(page, "steward-imports")

    runs.first.get_by_role("link").click()
    page.get_by_role("link", name=re.compile("^Geweigerde rijen")).click()
    issues = page.locator("table.issues tbody tr")
    assert issues.count() == 1
    assert "duplicate id" in issues.first.inner_text()
    assert "Geweigerd" in issues.first.inner_text()
    check_accessibility(page, "import run")
    screenshot(page, "steward-import-run")


def test_corrections_queue_dismiss_and_apply(page: Any, live_server: Any) -> None:
    with live_server.app_context():
        rows, _ = freshness.stale_listings(_steward())
        first, second = rows[0], rows[1]
        corrections.submit(
            first.service_id,
            {"field": "phone", "message": "Het telefoonnummer is veranderd sinds januari."},
        )
        corrections.submit(
            second.service_id,
            {
                "field": "email",
                "message": "Het e-mailadres werkt niet meer.",
                "contact": "melder@example.org",
            },
        )
    sign_in(page, STEWARD)
    page.goto("/beheer/correcties")
    cards = page.locator(".suggestion")
    assert cards.count() == 2
    assert "Telefoonnummer" in cards.first.inner_text()
    check_accessibility(page, "corrections")
    screenshot(page, "steward-corrections")

    page.get_by_role("link", name=_named("Beslissen", first.name)).click()
    page.get_by_role("button", name="Afwijzen").click()  # no note yet
    assert page.get_by_role("alert").is_visible()
    page.get_by_label("Notitie").fill("Nummer nagebeld: het klopt nog.")
    page.get_by_role("button", name="Afwijzen").click()
    page.wait_for_load_state()
    assert page.locator(".flash-success").inner_text() == "De suggestie is afgewezen."

    page.get_by_role("link", name=_named("Beslissen", second.name)).click()
    assert page.get_by_role("link", name="melder@example.org").is_visible()
    page.locator("summary").click()
    page.get_by_label("E-mailadres").fill("onthaal@voorbeeld.example")
    page.get_by_label("Notitie").fill("Nieuw e-mailadres ingevuld.")
    check_accessibility(page, "correction decision")
    page.get_by_role("button", name="Markeer als verwerkt").click()
    page.wait_for_load_state()
    assert page.locator(".flash-success").inner_text() == "De suggestie is als verwerkt gemarkeerd."
    assert page.locator(".suggestion .badge-open").count() == 0
    with live_server.app_context():
        assert db.session.get(m.Service, second.service_id).email == "onthaal@voorbeeld.example"
        done = db.session.scalars(select(m.CorrectionSuggestion)).all()
        assert {s.status for s in done} == {"dismissed", "applied"}
        assert all(s.contact is None for s in done)


def test_freshness_asks_a_provider_to_confirm(page: Any, live_server: Any) -> None:
    with live_server.app_context():
        rows, total = freshness.stale_listings(_steward())
        target = next(r for r in rows if r.providers)
        lonely = next(r for r in rows if not r.providers)
        provider_id = db.session.scalar(select(m.User.id).where(m.User.email == PROVIDER))
    sign_in(page, STEWARD)
    page.locator(".steward-nav").get_by_role("link", name="Actualiteit").click()
    assert f"Na te kijken fiches: {total}" in page.locator("main").inner_text()
    row = page.locator("table.stale tbody tr").filter(has_text=lonely.name).first
    assert "Geen hulpverleneraccount" in row.inner_text()
    check_accessibility(page, "freshness")
    screenshot(page, "steward-freshness")

    ask = _named("Vraag de hulpverlener om te bevestigen", target.name)
    page.get_by_role("button", name=ask).click()
    page.wait_for_load_state()
    assert "Bevestiging gevraagd aan 1" in page.locator(".flash-success").inner_text()
    assert page.get_by_role("button", name=_named("Opnieuw vragen", target.name)).is_visible()
    with live_server.app_context():
        note = db.session.scalar(
            select(m.Notification).where(m.Notification.kind == "listing_confirmation")
        )
        assert note.user_id == provider_id and note.link.endswith(f"/aanbod/{target.service_id}")
        assert db.session.scalar(select(m.VerificationRequest)).service_id == target.service_id

    page.get_by_role("button", name=_named("Markeer als nagekeken", target.name)).click()
    page.wait_for_load_state()
    assert (
        page.locator(".flash-success").inner_text()
        == "De fiche is gemarkeerd als vandaag nagekeken."
    )
    assert page.locator("table.stale").get_by_text(target.name, exact=True).count() == 0


def test_steward_pages_fit_a_320_px_screen(page: Any) -> None:
    sign_in(page, STEWARD)
    page.set_viewport_size({"width": 320, "height": 700})
    for path in (
        "/beheer",
        "/beheer/imports",
        "/beheer/imports/3",
        "/beheer/samenvoegen",
        "/beheer/correcties",
        "/beheer/actualiteit",
    ):
        page.goto(path)
        assert _fits(page, 320), f"{path} scrolls sideways at 320 px"
