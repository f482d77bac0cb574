"""Correction suggestions in the stewards' queue: region scope, decisions, erasing the contact."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from auth_support import make_user
from marshmallow import ValidationError
from referral_support import World
from referral_support import build_world
from sqlalchemy import select

from socialmap import models as m
from socialmap.errors import InvalidTransition
from socialmap.errors import NotFound
from socialmap.errors import PermissionDenied
from socialmap.extensions import db
from socialmap.logic import corrections
from socialmap.logic import regions


@dataclass
class Coast:
    world: World
    steward: m.User  # Oostende: debt, budget
    other_steward: m.User  # Gistel: meeting


@pytest.fixture
def coast(session) -> Coast:  # type: ignore[no-untyped-def]
    world = build_world(session)
    oostende = regions.create_region("Kust Oostende", ["35013"])
    gistel = regions.create_region("Kust Gistel", ["35005"])
    return Coast(
        world,
        make_user("steward", region_ids=[oostende.id]),
        make_user("steward", region_ids=[gistel.id]),
    )


def _suggest(service: m.Service, field: str = "phone", contact: str | None = "an@example.org"):
    data = {"field": field, "message": "Het nummer is veranderd.", "contact": contact}
    return corrections.submit(service.id, data)


def test_queue_shows_only_my_regions_open_first(coast: Coast) -> None:
    w = coast.world
    first = _suggest(w.debt)
    meeting = _suggest(w.meeting)
    later = _suggest(w.budget, "hours")
    corrections.decide(coast.steward, first.id, "dismissed", "Nummer klopt nog.")

    items, total = corrections.open_for(coast.steward)
    assert [i.suggestion.id for i in items] == [later.id, first.id] and total == 2
    assert items[0].service_name == "Budgetbeheer" and items[0].organization == "Budgetpunt Kust"
    assert corrections.open_count(coast.steward) == 1

    items, _ = corrections.open_for(coast.other_steward)
    assert [i.suggestion.id for i in items] == [meeting.id]
    items, total = corrections.open_for(w.admin)
    assert total == 3
    with pytest.raises(PermissionDenied):
        corrections.open_for(w.provider)


def test_decide_records_who_and_when_and_erases_the_contact(coast: Coast) -> None:
    suggestion = _suggest(coast.world.debt)
    corrections.decide(coast.steward, suggestion.id, "applied", "Nummer aangepast.")
    db.session.expire_all()
    done = db.session.get(m.CorrectionSuggestion, suggestion.id)
    assert done.status == "applied" and done.decision_note == "Nummer aangepast."
    assert done.decided_by == coast.steward.email and done.decided_at is not None
    assert done.contact is None


def test_a_steward_of_another_region_may_not_decide(coast: Coast) -> None:
    suggestion = _suggest(coast.world.debt)
    with pytest.raises(PermissionDenied):
        corrections.decide(coast.other_steward, suggestion.id, "dismissed", "Niet mijn regio.")
    with pytest.raises(PermissionDenied):
        corrections.get_for(coast.other_steward, suggestion.id)
    db.session.expire_all()
    still = db.session.get(m.CorrectionSuggestion, suggestion.id)
    assert still.status == "open" and still.contact == "an@example.org"


def test_decision_needs_a_known_decision_and_a_note(coast: Coast) -> None:
    suggestion = _suggest(coast.world.debt)
    with pytest.raises(ValidationError) as err:
        corrections.decide(coast.steward, suggestion.id, "ignored", "")
    assert set(err.value.messages) == {"decision", "note"}


def test_a_decided_suggestion_cannot_be_decided_again(coast: Coast) -> None:
    suggestion = _suggest(coast.world.debt)
    corrections.decide(coast.steward, suggestion.id, "dismissed", "Klopt al.")
    with pytest.raises(InvalidTransition):
        corrections.decide(coast.steward, suggestion.id, "applied", "Toch aangepast.")


def test_unknown_suggestion_is_not_found(coast: Coast) -> None:
    with pytest.raises(NotFound):
        corrections.decide(coast.world.admin, 999, "dismissed", "Bestaat niet.")


def test_applying_with_edits_changes_the_listing_with_history(coast: Coast) -> None:
    w = coast.world
    suggestion = _suggest(w.debt, "email")
    corrections.decide(
        coast.steward,
        suggestion.id,
        "applied",
        "E-mailadres aangepast.",
        {
            "email": "schulden@budgetpunt.example",
            "description": "  ",
            "name": "Schuldhulpverlening",
        },
    )
    service = db.session.get(m.Service, w.debt.id)
    assert service.email == "schulden@budgetpunt.example" and service.description is None
    history = db.session.scalars(
        select(m.FieldHistory).where(m.FieldHistory.entity_id == w.debt.id)
    ).all()
    assert {h.field for h in history} == {"email", "description"}
    assert {h.changed_by for h in history} == {coast.steward.email}


def test_invalid_edits_change_nothing(coast: Coast) -> None:
    suggestion = _suggest(coast.world.debt, "email")
    with pytest.raises(ValidationError) as err:
        corrections.decide(
            coast.steward, suggestion.id, "applied", "Aangepast.", {"email": "not-an-address"}
        )
    assert "email" in err.value.messages
    db.session.expire_all()
    assert db.session.get(m.CorrectionSuggestion, suggestion.id).status == "open"
