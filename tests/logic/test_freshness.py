"""Freshness: confirming a listing, the stale list per region, asking providers to confirm."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from auth_support import make_user
from referral_support import World
from referral_support import build_world
from sqlalchemy import select

from socialmap import models as m
from socialmap.errors import NotFound
from socialmap.errors import PermissionDenied
from socialmap.extensions import db
from socialmap.logic import freshness
from socialmap.logic import regions
from socialmap.logic.business_days import local_date
from socialmap.models.base import utcnow

OOSTENDE, GISTEL = "35013", "35005"


@dataclass
class Coast:
    world: World
    steward: m.User  # region Oostende: debt + budget (org 1)
    other_steward: m.User  # region Gistel: meeting (org 2)


@pytest.fixture
def coast(session) -> Coast:  # type: ignore[no-untyped-def]
    world = build_world(session)
    oostende = regions.create_region("Kust Oostende", [OOSTENDE])
    gistel = regions.create_region("Kust Gistel", [GISTEL])
    return Coast(
        world,
        make_user("steward", region_ids=[oostende.id]),
        make_user("steward", region_ids=[gistel.id]),
    )


def _history(service_id: str, field: str) -> list[m.FieldHistory]:
    return list(
        db.session.scalars(
            select(m.FieldHistory).where(
                m.FieldHistory.entity_id == service_id, m.FieldHistory.field == field
            )
        )
    )


def _set_assured(service: m.Service, day: dt.date | None) -> None:
    service.assured_date = day
    db.session.commit()


def test_provider_confirms_own_listing_with_history_and_closes_requests(coast: Coast) -> None:
    w = coast.world
    _set_assured(w.debt, dt.date(2020, 5, 1))
    db.session.add(m.VerificationRequest(service_id=w.debt.id, requested_by_id=coast.steward.id))
    db.session.commit()

    freshness.confirm_listing(w.provider, w.debt.id)

    service = db.session.get(m.Service, w.debt.id)
    assert service.assured_date == local_date(utcnow())
    assert service.assurer == w.provider.email
    [change] = _history(w.debt.id, "assured_date")
    assert change.old_value == "2020-05-01" and change.changed_by == w.provider.email
    assert _history(w.debt.id, "assurer")[0].new_value == w.provider.email
    request = db.session.scalar(select(m.VerificationRequest))
    assert request.confirmed_at is not None and request.confirmed_by == w.provider.email


def test_steward_of_the_region_and_admin_may_confirm(coast: Coast) -> None:
    w = coast.world
    freshness.confirm_listing(coast.steward, w.debt.id)
    assert db.session.get(m.Service, w.debt.id).assurer == coast.steward.email
    freshness.confirm_listing(w.admin, w.meeting.id)
    assert db.session.get(m.Service, w.meeting.id).assurer == w.admin.email


@pytest.mark.parametrize("who", ["other_provider", "other_steward", "gp"])
def test_others_may_not_confirm(coast: Coast, who: str) -> None:
    actor = {
        "other_provider": coast.world.other_provider,
        "other_steward": coast.other_steward,
        "gp": coast.world.gp,
    }[who]
    _set_assured(coast.world.debt, None)
    with pytest.raises(PermissionDenied):
        freshness.confirm_listing(actor, coast.world.debt.id)
    assert db.session.get(m.Service, coast.world.debt.id).assured_date is None
    assert _history(coast.world.debt.id, "assured_date") == []


def test_confirming_an_unknown_service_is_not_found(coast: Coast) -> None:
    with pytest.raises(NotFound):
        freshness.confirm_listing(coast.world.admin, "no-such-service")


def test_cutoff_is_twelve_months_back_and_clamps_the_day(app) -> None:  # type: ignore[no-untyped-def]
    assert freshness.cutoff(dt.date(2026, 11, 22)) == dt.date(2025, 11, 22)
    app.config["FRESHNESS_MONTHS"] = 3
    assert freshness.cutoff(dt.date(2026, 5, 31)) == dt.date(2026, 2, 28)


def test_stale_list_is_scoped_to_the_region_and_respects_the_threshold(coast: Coast) -> None:
    w = coast.world
    today = dt.date(2026, 11, 22)
    _set_assured(w.debt, dt.date(2025, 11, 21))  # one day past twelve months: stale
    _set_assured(w.budget, dt.date(2025, 11, 22))  # exactly twelve months: still fresh
    _set_assured(w.meeting, None)  # never verified, but in Gistel

    rows, total = freshness.stale_listings(coast.steward, today=today)
    assert [r.service_id for r in rows] == [w.debt.id] and total == 1
    assert rows[0].organization == "Budgetpunt Kust" and rows[0].providers == 1

    rows, _ = freshness.stale_listings(coast.other_steward, today=today)
    assert [r.service_id for r in rows] == [w.meeting.id]

    rows, total = freshness.stale_listings(w.admin, today=today)
    assert [r.service_id for r in rows] == [w.meeting.id, w.debt.id]  # never verified first

    with pytest.raises(PermissionDenied):
        freshness.stale_listings(w.provider, today=today)


def test_request_notifies_every_provider_in_their_language(coast: Coast) -> None:
    w = coast.world
    _set_assured(w.debt, None)
    colleague = make_user("provider", organizations=[w.debt.organization_id])
    colleague.language = "fr"
    gone = make_user("provider", organizations=[w.debt.organization_id])
    gone.active = False
    db.session.commit()

    assert freshness.request_confirmation(coast.steward, w.debt.id) == 2

    kind = m.Notification.kind == "listing_confirmation"
    notes = {n.user_id: n for n in db.session.scalars(select(m.Notification).where(kind))}
    assert set(notes) == {w.provider.id, colleague.id}
    assert notes[w.provider.id].subject.startswith("Bevestig")
    assert notes[colleague.id].subject.startswith("Veuillez confirmer")
    assert notes[w.provider.id].link.endswith(f"/aanbod/{w.debt.id}")
    assert notes[w.provider.id].mail_status == "pending"
    request = db.session.scalar(select(m.VerificationRequest))
    assert request.service_id == w.debt.id and request.requested_by_id == coast.steward.id
    rows, _ = freshness.stale_listings(coast.steward)
    asked = {r.service_id: r.asked_at for r in rows}
    assert asked[w.debt.id] is not None and asked[w.budget.id] is None


def test_request_without_provider_accounts_says_so_and_records_nothing(coast: Coast) -> None:
    w = coast.world
    w.other_provider.active = False
    db.session.commit()
    with pytest.raises(freshness.NoProviderAccount):
        freshness.request_confirmation(coast.other_steward, w.meeting.id)
    assert db.session.scalar(select(m.VerificationRequest)) is None
    assert db.session.scalar(select(m.Notification)) is None


def test_request_for_a_service_outside_my_region_is_denied(coast: Coast) -> None:
    with pytest.raises(PermissionDenied):
        freshness.request_confirmation(coast.other_steward, coast.world.debt.id)
