"""Providers edit their own listings: hours, intake, what to bring, contact; every change is
in the field history under the editor's e-mail, and only staff of the organisation may edit."""

from __future__ import annotations

from typing import Any

import pytest
from marshmallow import ValidationError
from referral_support import World
from referral_support import build_world
from sqlalchemy import select

from socialmap import models as m
from socialmap.errors import NotFound
from socialmap.errors import PermissionDenied
from socialmap.logic import catalog
from socialmap.logic import listings
from socialmap.logic import search_index


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    return build_world(session)


def _history(session, service_id):  # type: ignore[no-untyped-def]
    return [
        (row.field, row.changed_by, row.reason)
        for row in catalog.field_history(session, "service", service_id)
        if row.reason == "edit"
    ]


def test_hours_are_replaced_by_weekday_and_recorded(world: World, session: Any) -> None:
    data = {
        "hours": [
            {
                "weekday": 1,
                "slots": [
                    {"opens_at": "09:00", "closes_at": "12:00"},
                    {
                        "opens_at": "13:30",
                        "closes_at": "16:00",
                        "description": "Telefonische permanentie",
                    },
                ],
            },
            {"weekday": 3, "slots": [{"opens_at": "18:00", "closes_at": "20:00"}]},
        ],
        "hours_note": "Ook op afspraak",
    }
    changes = listings.update_listing(world.provider, world.debt.id, data)
    assert set(changes) == {"schedules"}
    form = listings.listing(world.provider, world.debt.id)
    monday, wednesday = form["hours"][0], form["hours"][2]
    assert [(s["opens_at"], s["closes_at"]) for s in monday["slots"]] == [
        ("09:00", "12:00"),
        ("13:30", "16:00"),
    ]
    assert monday["slots"][1]["description"] == "Telefonische permanentie"
    assert [(s["opens_at"], s["closes_at"]) for s in wednesday["slots"]] == [("18:00", "20:00")]
    assert form["hours"][1]["slots"] == []
    assert form["hours_note"] == "Ook op afspraak"
    assert form["has_own_hours"] is True
    assert _history(session, world.debt.id) == [("schedules", world.provider.email, "edit")]


def test_dated_hours_are_kept_when_the_week_is_edited(world: World, session: Any) -> None:
    import datetime as dt

    session.add(
        m.Schedule(
            service_id=world.debt.id,
            weekday=6,
            opens_at="10:00",
            closes_at="12:00",
            valid_from=dt.date(2026, 7, 1),
            valid_to=dt.date(2026, 8, 31),
        )
    )
    session.commit()
    listings.update_listing(
        world.provider,
        world.debt.id,
        {"hours": [{"weekday": 2, "slots": [{"opens_at": "09:00", "closes_at": "12:00"}]}]},
    )
    rows = session.scalars(select(m.Schedule).where(m.Schedule.service_id == world.debt.id))
    assert sorted((r.weekday, r.valid_from is not None) for r in rows) == [(2, False), (6, True)]
    # the form shows the regular week only
    form = listings.listing(world.provider, world.debt.id)
    assert form["hours"][5]["slots"] == []


def test_intake_contact_and_documents_are_saved_with_history(world: World, session: Any) -> None:
    listings.update_listing(
        world.provider,
        world.debt.id,
        {
            "intake": {
                "methods": ["phone", "walk_in", "professional_referral"],
                "instructions": "Bel eerst, dan krijg je een afspraak.",
                "accepts_referrals": True,
                "translations": {
                    "fr": {"instructions": "Appelez d'abord."},
                    "en": {"instructions": ""},
                },
            },
            "required_documents": ["identiteitskaart", "loonbrief", "identiteitskaart"],
            "email": "schulden@budgetpunt.example",
            "url": "https://budgetpunt.example/schulden",
            "phones": [{"number": "059 99 12 34", "description": "Onthaal"}],
        },
    )
    form = listings.listing(world.provider, world.debt.id)
    assert form["intake"]["methods"] == ["phone", "walk_in", "professional_referral"]
    assert form["intake"]["instructions"] == "Bel eerst, dan krijg je een afspraak."
    assert form["intake"]["translations"] == {"fr": {"instructions": "Appelez d'abord."}}
    assert sorted(form["required_documents"]) == ["identiteitskaart", "loonbrief"]
    assert form["email"] == "schulden@budgetpunt.example"
    assert form["url"] == "https://budgetpunt.example/schulden"
    assert form["phones"] == [
        {"number": "+3259991234", "extension": None, "type": "voice", "description": "Onthaal"}
    ]
    fields = {f for f, by, _r in _history(session, world.debt.id) if by == world.provider.email}
    assert fields == {"intake", "required_documents", "email", "url", "phones"}


def test_saving_the_same_values_changes_nothing(world: World, session: Any) -> None:
    data = {"email": "a@budgetpunt.example", "required_documents": ["identiteitskaart"]}
    assert listings.update_listing(world.provider, world.debt.id, data)
    count = len(_history(session, world.debt.id))
    assert listings.update_listing(world.provider, world.debt.id, data) == {}
    assert len(_history(session, world.debt.id)) == count


def test_a_person_may_empty_a_field_an_import_gave(world: World, session: Any) -> None:
    listings.update_listing(
        world.provider, world.debt.id, {"intake": {"methods": [], "accepts_referrals": False}}
    )
    assert listings.listing(world.provider, world.debt.id)["intake"]["methods"] == []


def test_invalid_input_is_refused_per_field(world: World, session: Any) -> None:
    with pytest.raises(ValidationError) as err:
        listings.update_listing(
            world.provider,
            world.debt.id,
            {
                "hours": [{"weekday": 1, "slots": [{"opens_at": "12:00", "closes_at": "09:00"}]}],
                "email": "not-an-address",
                "url": "javascript:alert(1)",
                "phones": [{"number": "abc"}],
            },
        )
    messages = err.value.messages
    assert messages["hours"][0]["slots"][0]["closes_at"] == ["Closes before it opens."]
    assert "email" in messages and "url" in messages
    assert messages["phones"][0]["number"] == ["Not a phone number."]
    assert _history(session, world.debt.id) == []


def test_only_staff_of_the_organisation_may_edit(world: World, session: Any) -> None:
    with pytest.raises(PermissionDenied):
        listings.update_listing(world.other_provider, world.debt.id, {"email": "x@y.example"})
    with pytest.raises(PermissionDenied):
        listings.listing(world.gp, world.debt.id)
    with pytest.raises(NotFound):
        listings.listing(world.provider, "no-such-service")
    # admins may
    listings.update_listing(world.admin, world.debt.id, {"email": "beheer@budgetpunt.example"})
    assert _history(session, world.debt.id) == [("email", world.admin.email, "edit")]


def test_services_of_lists_my_organisations_services_with_capacity(world: World) -> None:
    mine = listings.services_of(world.provider)
    assert [s["name"] for s in mine] == ["Budgetbeheer", "Schuldhulpverlening"]
    debt = mine[1]
    assert debt["capacity"]["status"] == "waitlist" and debt["capacity"]["waiting_weeks"] == 3
    assert listings.services_of(world.gp) == []


def test_an_edit_reaches_the_search_index(world: World, session: Any) -> None:
    import datetime as dt
    from zoneinfo import ZoneInfo

    from search.query import Query

    sunday_morning = dt.datetime(2026, 11, 22, 10, 30, tzinfo=ZoneInfo("Europe/Brussels"))
    query = Query(needs=("debt-counselling",), open_at=sunday_morning, capacity="any")

    def open_then() -> set[str]:
        return {hit.service_id for hit in search_index.get_backend().search(query).hits}

    assert world.debt.id not in open_then()  # the site's hours: Mondays only
    listings.update_listing(
        world.provider,
        world.debt.id,
        {"hours": [{"weekday": 7, "slots": [{"opens_at": "10:00", "closes_at": "11:00"}]}]},
    )
    assert world.debt.id in open_then()
