"""The provider inbox pages: list, one referral with its actions, capacity, listing edits."""

from __future__ import annotations

import re
from typing import Any

import pytest
from auth_support import make_user
from flask.testing import FlaskClient
from referral_support import World
from referral_support import build_world
from referral_support import send
from sqlalchemy import func
from sqlalchemy import select
from web_support import csrf_token
from web_support import post_form
from web_support import sign_in
from werkzeug.datastructures import MultiDict

from socialmap import models as m
from socialmap.logic import catalog
from socialmap.logic import referrals

PERSONAL = ("Janssens", "Weduwe", "059 12", "+3259123456", "1958")


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    return build_world(session)


def _html(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def _version(client: FlaskClient, path: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', _html(client.get(path)))
    assert found, f"no action form on {path}"
    return found.group(1)


def _act(client: FlaskClient, task_id: str, action: str, **fields: str):  # type: ignore[no-untyped-def]
    path = f"/inbox/{task_id}"
    data = {"action": action, "version": _version(client, path), **fields}
    return post_form(client, path, data)


def _task(session, task_id: str) -> m.ReferralTask:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.get(m.ReferralTask, task_id)


# -- the list and one referral -----------------------------------------------------------------


def test_inbox_lists_only_my_organisations_referrals_without_personal_data(
    world: World, client: FlaskClient
) -> None:
    (mine,) = send(world)
    (theirs,) = send(world, world.meeting)
    sign_in(client, world.provider)
    page = client.get("/inbox")
    html = _html(page)
    assert page.status_code == 200
    assert f"/inbox/{mine.id}" in html and "Schuldhulpverlening" in html
    assert f"/inbox/{theirs.id}" not in html and "Ontmoetingsnamiddag" not in html
    assert "Nieuw" in html and "Schuldhulpverlening" in html
    assert not any(p in html for p in PERSONAL)
    # another organisation's referral does not exist for me
    assert client.get(f"/inbox/{theirs.id}").status_code == 404


def test_another_provider_gets_404_on_my_referral(world: World, client: FlaskClient) -> None:
    (task,) = send(world)
    sign_in(client, world.other_provider)
    response = client.get(f"/inbox/{task.id}")
    assert response.status_code == 404
    assert not any(p in _html(response) for p in PERSONAL)


def test_filters_by_status_and_service(world: World, client: FlaskClient, session: Any) -> None:
    (first,) = send(world)
    (second,) = send(world)
    referrals.transition(world.provider, second.id, {"action": "accept", "version": 1})
    sign_in(client, world.provider)
    requested = _html(client.get("/inbox?status=requested"))
    assert f"/inbox/{first.id}" in requested and f"/inbox/{second.id}" not in requested
    by_service = _html(client.get(f"/inbox?service={world.debt.id}&status=open"))
    assert f"/inbox/{first.id}" in by_service and f"/inbox/{second.id}" in by_service
    other_service = _html(client.get(f"/inbox?service={world.budget.id}"))
    assert f"/inbox/{first.id}" not in other_service
    assert "Gevonden doorverwijzingen: 0" in other_service


def test_overdue_referrals_are_flagged_and_filtered(
    world: World, client: FlaskClient, session: Any
) -> None:
    import datetime as dt

    (late,) = send(world)
    (fresh,) = send(world)
    task = session.get(m.ReferralTask, late.id)
    task.requested_at = task.requested_at - dt.timedelta(days=21)
    session.commit()
    sign_in(client, world.provider)
    html = _html(client.get("/inbox"))
    item = html.split(f'href="/inbox/{late.id}"', 1)[1].split("</li>", 1)[0]
    assert "Te laat: nog geen antwoord" in item
    overdue = _html(client.get("/inbox?overdue=1"))
    assert f"/inbox/{late.id}" in overdue and f"/inbox/{fresh.id}" not in overdue


def test_opening_records_received_once_and_shows_the_consented_person(
    world: World, client: FlaskClient, session: Any
) -> None:
    (task,) = send(world)
    sign_in(client, world.provider)
    first = client.get(f"/inbox/{task.id}")
    html = _html(first)
    assert first.status_code == 200
    assert "M. Janssens" in html and "Weduwe sinds kort" in html
    # the title names the service, never the person
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert "Schuldhulpverlening" in title and "Janssens" not in title
    client.get(f"/inbox/{task.id}")
    received = session.scalar(
        select(func.count())
        .select_from(m.ReferralEvent)
        .where(m.ReferralEvent.task_id == task.id, m.ReferralEvent.kind == "received")
    )
    assert received == 1
    assert _task(session, task.id).received_at is not None
    reads = session.scalar(
        select(func.count()).select_from(m.AccessLog).where(m.AccessLog.task_id == task.id)
    )
    assert reads == 2  # every read of the person's data is logged
    assert "Nieuw" not in _html(client.get("/inbox")).split("<main", 1)[1]


def test_accept_start_complete_with_outcome_through_the_forms(
    world: World, client: FlaskClient, session: Any
) -> None:
    (task,) = send(world)
    sign_in(client, world.provider)
    response = _act(client, task.id, "accept", note="Intake op dinsdag")
    assert response.status_code == 302 and response.location == f"/inbox/{task.id}"
    page = _html(client.get(f"/inbox/{task.id}"))
    assert "Je hebt de doorverwijzing aanvaard." in page
    assert "Intake op dinsdag" in page  # the note on the timeline
    assert _task(session, task.id).status == "accepted"
    assert _act(client, task.id, "start").status_code == 302
    response = _act(client, task.id, "complete", outcome="Budgetbegeleiding opgestart")
    assert response.status_code == 302
    done = _task(session, task.id)
    assert done.status == "completed" and done.outcome == "Budgetbegeleiding opgestart"
    page = _html(client.get(f"/inbox/{task.id}"))
    assert "Budgetbegeleiding opgestart" in page
    assert 'name="action"' not in page  # closed: no actions left


def test_reject_needs_a_coded_reason(world: World, client: FlaskClient, session: Any) -> None:
    (task,) = send(world)
    sign_in(client, world.provider)
    response = _act(client, task.id, "reject")
    html = _html(response)
    assert response.status_code == 422
    assert 'id="reject-reason_code-error">Kies een reden.' in html
    assert 'aria-invalid="true"' in html
    assert _task(session, task.id).status == "requested"
    response = _act(client, task.id, "reject", reason_code="other")
    assert response.status_code == 422
    assert 'id="reject-reason_text-error"' in _html(response)
    response = _act(
        client,
        task.id,
        "reject",
        reason_code="not-eligible",
        reason_text="Woont buiten ons werkgebied",
    )
    assert response.status_code == 302
    rejected = _task(session, task.id)
    assert (rejected.status, rejected.reason_code) == ("rejected", "not-eligible")
    page = _html(client.get(f"/inbox/{task.id}"))
    assert "De persoon komt niet in aanmerking" in page


def test_a_stale_version_shows_the_conflict_and_overwrites_nothing(
    world: World, client: FlaskClient, session: Any
) -> None:
    colleague = make_user("provider", organizations=[world.debt.organization_id])
    (task,) = send(world)
    sign_in(client, world.provider)
    path = f"/inbox/{task.id}"
    seen = _version(client, path)
    # a colleague rejects it meanwhile
    referrals.transition(
        colleague, task.id, {"action": "reject", "version": int(seen), "reason_code": "no-capacity"}
    )
    events = session.scalar(select(func.count()).select_from(m.ReferralEvent))
    response = post_form(client, path, {"action": "accept", "version": seen})
    html = _html(response)
    assert response.status_code == 409
    assert "Iemand anders heeft deze doorverwijzing intussen gewijzigd." in html
    assert "Geweigerd" in html  # the current state
    assert _task(session, task.id).status == "rejected"
    assert session.scalar(select(func.count()).select_from(m.ReferralEvent)) == events


def test_a_stale_version_of_an_allowed_action_is_a_conflict(
    world: World, client: FlaskClient, session: Any
) -> None:
    colleague = make_user("provider", organizations=[world.debt.organization_id])
    (task,) = send(world)
    sign_in(client, world.provider)
    _act(client, task.id, "accept")
    path = f"/inbox/{task.id}"
    seen = _version(client, path)
    referrals.transition(colleague, task.id, {"action": "start", "version": int(seen)})
    response = post_form(
        client, path, {"action": "complete", "version": seen, "outcome": "Mijn versie"}
    )
    assert response.status_code == 409
    current = _task(session, task.id)
    assert current.status == "in-progress" and current.outcome is None


def test_forms_need_the_csrf_token(world: World, client: FlaskClient, session: Any) -> None:
    (task,) = send(world)
    sign_in(client, world.provider)
    response = client.post(f"/inbox/{task.id}", data={"action": "accept", "version": "1"})
    assert response.status_code == 400
    assert _task(session, task.id).status == "requested"
    response = client.post(f"/aanbod/{world.debt.id}/capaciteit", data={"status": "full"})
    assert response.status_code == 400
    response = client.post(f"/aanbod/{world.debt.id}", data={"email": "x@y.example"})
    assert response.status_code == 400
    assert session.get(m.ServiceCapacity, world.debt.id).status == "waitlist"


def test_other_roles_cannot_open_the_inbox(world: World, client: FlaskClient) -> None:
    assert "/aanmelden?next=/inbox" in client.get("/inbox").location
    sign_in(client, world.gp)
    assert client.get("/inbox").status_code == 403
    assert client.get("/aanbod").status_code == 403


# -- capacity ----------------------------------------------------------------------------------


def test_capacity_buttons_change_capacity_with_history(
    world: World, client: FlaskClient, session: Any
) -> None:
    sign_in(client, world.provider)
    page = _html(client.get("/aanbod"))
    assert "Schuldhulpverlening" in page and "Budgetbeheer" in page
    assert "Ontmoetingsnamiddag" not in page
    path = f"/aanbod/{world.debt.id}/capaciteit"
    response = post_form(
        client, path, {"status": "waitlist", "waiting_weeks": "6"}, token_from="/aanbod"
    )
    assert response.status_code == 302
    capacity = session.get(m.ServiceCapacity, world.debt.id)
    session.refresh(capacity)
    assert (capacity.status, capacity.waiting_weeks) == ("waitlist", 6)
    assert "Wachtlijst (ongeveer 6 weken)" in _html(client.get("/aanbod"))
    post_form(client, path, {"status": "full", "waiting_weeks": "4"}, token_from="/aanbod")
    session.refresh(capacity)
    assert (capacity.status, capacity.waiting_weeks) == ("full", None)
    history = [
        (row.field, row.changed_by)
        for row in catalog.field_history(session, "service", world.debt.id)
        if row.reason == "edit"
    ]
    assert history == [("capacity", world.provider.email)] * 2


def test_capacity_with_impossible_weeks_is_a_field_error(
    world: World, client: FlaskClient, session: Any
) -> None:
    sign_in(client, world.provider)
    response = post_form(
        client,
        f"/aanbod/{world.debt.id}/capaciteit",
        {"status": "waitlist", "waiting_weeks": "999"},
        token_from="/aanbod",
    )
    assert response.status_code == 422
    assert f'id="weeks-{world.debt.id}-error"' in _html(response)
    assert "Geef een getal van 0 tot 260." in _html(response)
    assert session.get(m.ServiceCapacity, world.debt.id).waiting_weeks == 3


def test_capacity_of_another_organisations_service_is_refused(
    world: World, client: FlaskClient
) -> None:
    sign_in(client, world.provider)
    response = post_form(
        client, f"/aanbod/{world.meeting.id}/capaciteit", {"status": "full"}, token_from="/aanbod"
    )
    assert response.status_code == 403


# -- listing edits -----------------------------------------------------------------------------


def _listing_form(**overrides: str) -> dict[str, str]:
    data = {
        "hours-1-1-opens": "09:00",
        "hours-1-1-closes": "12:00",
        "hours-1-2-opens": "13:30",
        "hours-1-2-closes": "16:00",
        "hours-1-2-note": "Telefonische permanentie",
        "hours-2-closed": "1",
        "hours-2-1-opens": "10:00",  # ignored: the day is closed
        "hours-2-1-closes": "11:00",
        "hours-4-1-opens": "9u",
        "hours-4-1-closes": "12.30",
        "hours_note": "Ook op afspraak",
        "intake_methods": "phone",
        "intake_instructions": "Bel ons, dan plannen we een gesprek.",
        "intake_instructions_fr": "Appelez-nous.",
        "intake_required_information": "Korte omschrijving van de vraag",
        "accepts_referrals": "1",
        "required_documents": "identiteitskaart\r\n\r\nloonbrief\r\n",
        "phone-0-number": "059 99 12 34",
        "phone-0-description": "Onthaal",
        "phone-1-number": "",
        "email": "schulden@budgetpunt.example",
        "url": "https://budgetpunt.example/schulden",
    }
    data.update(overrides)
    return data


def test_listing_edit_saves_hours_intake_contact_with_history(
    world: World, client: FlaskClient, session: Any
) -> None:
    from socialmap.logic import listings

    sign_in(client, world.provider)
    path = f"/aanbod/{world.debt.id}"
    page = client.get(path)
    assert page.status_code == 200 and 'name="hours-1-1-opens"' in _html(page)
    response = post_form(client, path, _listing_form())
    assert response.status_code == 302 and response.location == path
    saved = listings.listing(world.provider, world.debt.id)
    monday, tuesday, _w, thursday = saved["hours"][:4]
    assert [(s["opens_at"], s["closes_at"], s["description"]) for s in monday["slots"]] == [
        ("09:00", "12:00", None),
        ("13:30", "16:00", "Telefonische permanentie"),
    ]
    assert tuesday["slots"] == []
    assert [(s["opens_at"], s["closes_at"]) for s in thursday["slots"]] == [("09:00", "12:30")]
    assert saved["hours_note"] == "Ook op afspraak"
    assert saved["intake"]["methods"] == ["phone"]
    assert saved["intake"]["instructions"] == "Bel ons, dan plannen we een gesprek."
    assert saved["intake"]["translations"] == {"fr": {"instructions": "Appelez-nous."}}
    assert saved["required_documents"] == ["identiteitskaart", "loonbrief"]
    assert saved["phones"][0]["number"] == "+3259991234"
    assert saved["email"] == "schulden@budgetpunt.example"
    edits = {
        row.field
        for row in catalog.field_history(session, "service", world.debt.id)
        if row.changed_by == world.provider.email
    }
    assert edits == {"schedules", "intake", "required_documents", "phones", "email", "url"}
    html = _html(client.get(path))
    assert "De fiche is opgeslagen." in html
    history = html.split('id="h-history"', 1)[1]
    assert world.provider.email in history and "Openingsuren" in history
    # the form shows what was saved
    assert 'name="hours-1-2-note" type="text" value="Telefonische permanentie"' in html
    # saving again without changes records nothing
    count = len(catalog.field_history(session, "service", world.debt.id))
    post_form(client, path, _listing_form())
    assert len(catalog.field_history(session, "service", world.debt.id)) == count


def test_listing_edit_errors_are_shown_next_to_the_fields(
    world: World, client: FlaskClient, session: Any
) -> None:
    sign_in(client, world.provider)
    path = f"/aanbod/{world.debt.id}"
    form = _listing_form(
        **{
            "hours-1-2-closes": "13:00",
            "email": "geen-adres",
            "phone-0-number": "abc",
            "hours-3-1-opens": "10:00",
        }
    )
    response = post_form(client, path, form)
    html = _html(response)
    assert response.status_code == 422
    assert 'id="f-hours-1-2-closes-error">Het sluitingsuur moet na het openingsuur liggen.' in html
    assert 'id="f-hours-3-1-closes-error">Vul dit veld in.' in html
    assert 'id="f-email-error"' in html and 'id="f-phone-0-number-error"' in html
    assert 'value="geen-adres"' in html  # what was typed stays
    assert [
        r for r in catalog.field_history(session, "service", world.debt.id) if r.reason == "edit"
    ] == []


def test_another_organisations_listing_cannot_be_edited(
    world: World, client: FlaskClient, session: Any
) -> None:
    sign_in(client, world.provider)
    path = f"/aanbod/{world.meeting.id}"
    assert client.get(path).status_code == 403
    token = csrf_token(client, "/aanbod")
    response = client.post(path, data={"csrf_token": token, **_listing_form()})
    assert response.status_code == 403
    assert client.get("/aanbod/no-such-service").status_code == 404
    assert catalog.field_history(session, "service", world.meeting.id) == [] or all(
        r.reason != "edit" for r in catalog.field_history(session, "service", world.meeting.id)
    )


def test_saving_the_form_as_shown_records_no_change(
    world: World, client: FlaskClient, session: Any
) -> None:
    """The form as rendered, sent back as a browser does (CRLF line breaks, the ways to
    register in the form's order), changes nothing."""
    from socialmap.logic import listings
    from socialmap.web.inbox_listings import _listing_form

    listings.update_listing(
        world.admin,
        world.debt.id,
        {
            "intake": {
                "methods": ["walk_in", "phone", "appointment"],
                "instructions": "Bel eerst.\nBreng je identiteitskaart mee.",
            },
            "hours_note": "Enkel op afspraak",
            "phones": [{"number": "+3259991234", "description": "Onthaal"}],
        },
    )
    count = len(catalog.field_history(session, "service", world.debt.id))
    sign_in(client, world.provider)
    shown = _listing_form(listings.listing(world.provider, world.debt.id))
    data = [(k, v.replace("\n", "\r\n")) for k, v in shown.items(multi=True)]
    token = csrf_token(client, f"/aanbod/{world.debt.id}")
    body = MultiDict([("csrf_token", token), *data])
    response = client.post(f"/aanbod/{world.debt.id}", data=body)
    assert response.status_code == 302
    assert len(catalog.field_history(session, "service", world.debt.id)) == count


def test_confirming_the_listing_sets_the_last_verified_date(
    world: World, client: FlaskClient, session: Any
) -> None:
    sign_in(client, world.provider)
    path = f"/aanbod/{world.debt.id}"
    response = post_form(client, f"{path}/bevestigen", {}, token_from=path)
    assert response.status_code == 302 and response.location == path
    assert "bevestigd als actueel" in _html(client.get(path))
    confirmed = [
        row
        for row in catalog.field_history(session, "service", world.debt.id)
        if row.field == "assured_date"
    ]
    assert confirmed and confirmed[-1].changed_by == world.provider.email
    other = f"/aanbod/{world.meeting.id}/bevestigen"
    assert post_form(client, other, {}, token_from=path).status_code == 403
