"""Account pages in a real browser on the demo data: password reset through the outbox,
invitation links (token in the #fragment), notifications, the account page."""

from __future__ import annotations

import re
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from browser_support import DEMO_PASSWORD
from browser_support import GP
from browser_support import PROVIDER
from browser_support import check_accessibility
from browser_support import screenshot
from browser_support import sign_in
from browser_support import sign_out
from browser_support import watch_console

NEW_PASSWORD = "zeewind boven de dijk"
NEW_FIELD = re.compile("^Nieuw wachtwoord")


def _fits(page: Any, name: str, width: int = 320) -> None:
    """At ``width`` px nothing sticks out sideways (no horizontal scrolling); a screenshot
    ``<name>-320``; then back to the laptop-sized window."""
    page.set_viewport_size({"width": width, "height": 800})
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= width, f"{page.url} is {overflow}px wide at {width}px"
    screenshot(page, f"{name}-{width}")
    page.set_viewport_size({"width": 1280, "height": 900})


def _mail_to(folder: Path, address: str, needle: str) -> str:
    """The text of the newest .eml in the outbox sent to ``address`` and containing ``needle``."""
    for eml in sorted(folder.glob("*.eml"), reverse=True):
        message = message_from_bytes(eml.read_bytes(), policy=default)
        body = message.get_content()
        if message["To"] == address and needle in body:
            return str(body)
    raise AssertionError(f"no mail to {address} with {needle!r} in {folder}")


def _set_password(live_server: Any, email: str, password: str) -> None:
    from socialmap.logic import accounts

    with live_server.app_context():
        accounts.set_password(accounts.find_user(email), password)


def test_forgot_password_mail_link_sets_a_new_password(page: Any, live_server: Any) -> None:
    from socialmap.logic import notifications

    page.goto("/aanmelden")
    page.get_by_role("link", name="Wachtwoord vergeten?").click()
    assert page.get_by_role("heading", name="Wachtwoord vergeten?").is_visible()
    page.get_by_label("E-mailadres").fill(GP)
    check_accessibility(page, "reset request")
    screenshot(page, "account-reset-request")
    _fits(page, "account-reset-request")
    page.get_by_role("button", name="Stuur me een link").click()
    assert page.get_by_role("heading", name="Kijk je mailbox na").is_visible()
    assert page.url.endswith("/wachtwoord-vergeten/verstuurd")
    check_accessibility(page, "reset requested")

    with live_server.app_context():
        assert notifications.deliver_pending()["sent"] >= 1
    body = _mail_to(Path(live_server.app.config["MAIL_FOLDER"]), GP, "/wachtwoord-herstellen#")
    link = re.search(r"(http\S+/wachtwoord-herstellen#token=[\w-]+)", body)[1]
    assert "?" not in link

    page.goto(link)
    # The script took the token out of the address bar and hid the code field.
    assert page.url == f"{live_server.url}/wachtwoord-herstellen"
    assert page.get_by_text("De code is overgenomen uit de link in je e-mail.").is_visible()
    assert page.get_by_label("Code uit de e-mail").is_hidden()
    page.get_by_label(NEW_FIELD).fill(NEW_PASSWORD)
    page.get_by_label("Herhaal het nieuwe wachtwoord").fill(NEW_PASSWORD)
    check_accessibility(page, "reset")
    screenshot(page, "account-reset")
    _fits(page, "account-reset")
    page.get_by_role("button", name="Mijn nieuwe wachtwoord bewaren").click()
    page.wait_for_load_state()
    assert page.url.endswith("/verwijzen"), page.url

    page.goto("/account")
    assert page.get_by_text(GP).is_visible()
    sign_out(page)
    with pytest.raises(AssertionError):
        sign_in(page, GP)  # the demo password no longer works
    sign_in(page, GP, NEW_PASSWORD)
    _set_password(live_server, GP, DEMO_PASSWORD)  # for the other tests of this module


def test_invitation_link_makes_an_account_and_signs_in(page: Any, live_server: Any) -> None:
    from socialmap.logic import accounts

    with live_server.app_context():
        _invitation, token = accounts.create_invitation(
            None, "nieuwe.huisarts@demo.socialmap.invalid", "referrer", practice="Praktijk Zeedijk"
        )
        link = accounts.invitation_link(token)
    page.goto(link)
    assert page.url == f"{live_server.url}/uitnodiging"  # redirected, fragment gone
    assert page.get_by_text("Je uitnodigingscode is uit de link overgenomen.").is_visible()
    assert page.get_by_label("Uitnodigingscode").input_value() == token
    page.get_by_label("Je naam").fill("Dr. Lotte Vermeulen")
    page.get_by_label(NEW_FIELD).fill(NEW_PASSWORD)
    page.get_by_label("Herhaal het nieuwe wachtwoord").fill(NEW_PASSWORD)
    check_accessibility(page, "invitation")
    screenshot(page, "account-invitation")
    _fits(page, "account-invitation")
    page.get_by_label(NEW_FIELD).fill("kort")
    page.get_by_label("Herhaal het nieuwe wachtwoord").fill("kort")
    # The browser's own check (minlength) stops a short password before the server sees it.
    page.get_by_role("button", name="Mijn account aanmaken").click()
    assert page.url == f"{live_server.url}/uitnodiging"
    page.get_by_label(NEW_FIELD).fill(NEW_PASSWORD)
    page.get_by_label("Herhaal het nieuwe wachtwoord").fill(NEW_PASSWORD + " ")
    page.get_by_role("button", name="Mijn account aanmaken").click()
    assert page.get_by_text("De twee wachtwoorden zijn niet hetzelfde.").is_visible()
    assert page.get_by_label("Uitnodigingscode").is_hidden()  # the code survived the error
    check_accessibility(page, "invitation with an error")
    screenshot(page, "account-invitation-error")
    page.get_by_label(NEW_FIELD).fill(NEW_PASSWORD)
    page.get_by_label("Herhaal het nieuwe wachtwoord").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Mijn account aanmaken").click()
    page.wait_for_load_state()
    assert page.url.endswith("/verwijzen"), page.url
    page.goto("/account")
    assert page.get_by_text("nieuwe.huisarts@demo.socialmap.invalid").is_visible()
    assert page.get_by_text("Praktijk Zeedijk").is_visible()


def test_invitation_without_javascript_takes_a_pasted_link(browser: Any, live_server: Any) -> None:
    from socialmap.logic import accounts

    with live_server.app_context():
        _invitation, token = accounts.create_invitation(
            None, "zonder.js@demo.socialmap.invalid", "referrer"
        )
        link = accounts.invitation_link(token)
    context = browser.new_context(
        base_url=live_server.url, java_script_enabled=False, locale="nl-BE"
    )
    page = context.new_page()
    problems = watch_console(page)
    try:
        page.goto("/uitnodiging")
        code = page.get_by_label("Uitnodigingscode")
        assert code.is_visible() and code.input_value() == ""
        code.fill(link)  # the whole link, as copied from the e-mail
        page.get_by_label("Je naam").fill("Jonas Claeys")
        page.get_by_label(NEW_FIELD).fill(NEW_PASSWORD)
        page.get_by_label("Herhaal het nieuwe wachtwoord").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Mijn account aanmaken").click()
        page.wait_for_load_state()
        assert page.url.endswith("/verwijzen"), page.url
    finally:
        context.close()
    assert problems == []


def test_used_invitation_link_says_so(page: Any, live_server: Any) -> None:
    from socialmap.logic import accounts

    with live_server.app_context():
        _invitation, token = accounts.create_invitation(
            None, "twee.keer@demo.socialmap.invalid", "referrer"
        )
        accounts.accept_invitation(token, NEW_PASSWORD, "Eerste keer")
        link = accounts.invitation_link(token)
    page.goto(link)
    page.get_by_label("Je naam").fill("Tweede keer")
    page.get_by_label(NEW_FIELD).fill(NEW_PASSWORD)
    page.get_by_label("Herhaal het nieuwe wachtwoord").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Mijn account aanmaken").click()
    alert = page.get_by_role("alert")
    assert "Deze uitnodiging is al gebruikt." in alert.inner_text()
    assert "twee.keer@" not in page.content()
    assert page.get_by_label("Uitnodigingscode").is_visible()  # room for a new code


def test_notifications_mark_read_and_the_header_count_drops(page: Any, live_server: Any) -> None:
    from socialmap.extensions import db
    from socialmap.logic import accounts
    from socialmap.logic import notifications

    with live_server.app_context():
        gp = accounts.find_user(GP)
        for kind, service in [
            ("referral_received", "Budgetpunt Kust"),
            ("referral_accepted", "CAW Kustregio – onthaal"),
            ("referral_completed", "Sociaal Huis Duinhelm"),
        ]:
            subject, body = notifications.render(kind, "referrer", "nl", service=service, link="")
            notifications.notify(gp, kind, subject, body, mail=False)
        db.session.commit()
        unread = notifications.unread_count(gp)
    assert unread >= 3

    sign_in(page, GP)
    count = page.locator("header .nav-notifications .count")
    assert count.inner_text() == str(unread)
    page.locator("header .nav-notifications").click()
    assert page.get_by_role("heading", name="Meldingen", exact=True).is_visible()
    first = page.locator(".notification-list > li").first
    assert "is-unread" in first.get_attribute("class")
    assert "Doorverwijzing naar Sociaal Huis Duinhelm afgerond" in first.inner_text()
    check_accessibility(page, "notifications")
    screenshot(page, "account-notifications")
    _fits(page, "account-notifications")

    first.get_by_role("button", name="Als gelezen markeren").click()
    page.wait_for_load_state()
    assert count.inner_text() == str(unread - 1)
    assert "is-unread" not in page.locator(".notification-list > li").first.get_attribute("class")
    page.get_by_role("button", name="Alles als gelezen markeren").click()
    page.wait_for_load_state()
    assert count.count() == 0
    assert page.get_by_text("Alle meldingen zijn als gelezen gemarkeerd.").is_visible()
    assert page.locator(".notification-list > li.is-unread").count() == 0


def test_account_page_language_and_tokens(page: Any, live_server: Any) -> None:
    sign_in(page, PROVIDER)
    page.goto("/account")
    assert page.get_by_role("heading", name="Je account").is_visible()
    for org in ("Budgetpunt Kust", "CAW Kustregio", "Sociaal Huis Duinhelm"):
        assert page.locator("dl.facts").get_by_text(org).count() >= 1
    check_accessibility(page, "account")
    screenshot(page, "account-profile")
    _fits(page, "account-profile")

    page.get_by_label("Naam van een nieuw token").fill("wekelijkse export")
    page.get_by_role("button", name="Een token aanmaken").click()
    token = page.locator("#new-token").inner_text()
    assert token.startswith("smp_")
    assert page.get_by_role("button", name="Token kopiëren").is_visible()
    row = page.locator("tr", has_text="wekelijkse export")
    assert token[:12] in row.inner_text() and token not in row.inner_text()
    screenshot(page, "account-profile-token")
    row.get_by_role("button", name=re.compile("^Intrekken")).click()
    page.wait_for_load_state()
    assert "Ingetrokken op" in page.locator("tr", has_text="wekelijkse export").inner_text()

    page.get_by_label("Taal van de pagina's en je e-mails").select_option("fr")
    page.get_by_role("button", name="Taal bewaren").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("heading", name="Votre compte").is_visible()
    assert page.get_by_text("Langue enregistrée.").is_visible()
    page.get_by_label("Langue des pages et de vos e-mails").select_option("nl")
    page.get_by_role("button", name="Enregistrer la langue").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "nl"
