"""The referral lifecycle: the transition table per side, reasons, events, concurrency,
idempotency, consent, receipt, capacity signal and retention."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from marshmallow import ValidationError
from referral_support import build_world
from referral_support import referral_data
from referral_support import send
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update

from socialmap import models as m
from socialmap.errors import Conflict
from socialmap.errors import InvalidTransition
from socialmap.errors import NotFound
from socialmap.errors import PermissionDenied
from socialmap.extensions import db
from socialmap.logic import referral_access
from socialmap.logic import referral_views
from socialmap.logic import referrals
from socialmap.logic import retention
from socialmap.logic import search as search_logic
from socialmap.logic.referrals import TRANSITIONS
from socialmap.schemas.search import SearchArgsSchema

STATUSES = sorted(referrals.OPEN | referrals.CLOSED)
REASON = {"reason_code": "other", "reason_text": "test"}


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    return build_world(session)


def _force_status(task: m.ReferralTask, status: str) -> None:
    db.session.execute(
        update(m.ReferralTask).where(m.ReferralTask.id == task.id).values(status=status)
    )
    db.session.commit()
    db.session.refresh(task)


def _events(task_id: str) -> list[m.ReferralEvent]:
    return list(
        db.session.scalars(
            select(m.ReferralEvent)
            .where(m.ReferralEvent.task_id == task_id)
            .order_by(m.ReferralEvent.id)
        )
    )


def test_every_action_from_every_status_per_side(world):
    """Allowed exactly where the table says, for the side it names; otherwise 403/404/409,
    and a refused move appends no event and changes nothing."""
    for action in sorted(referrals.ACTIONS):
        for status in STATUSES:
            for side, user in (("requester", world.gp), ("target", world.provider)):
                _check_move(world, action, status, side, user)


def _check_move(world, action: str, status: str, side: str, user: m.User) -> None:  # type: ignore[no-untyped-def]
    where = f"{action} from {status} as {side}"
    (task,) = send(world)
    _force_status(task, status)
    rule = TRANSITIONS.get((action, side))
    data = {"action": action, "version": task.version, **REASON}
    if side not in referral_access.sides(user, task):
        expected: type[Exception] | None = NotFound  # a draft is not the provider's yet
    elif rule is None:
        expected = PermissionDenied
    elif status not in rule.from_states:
        expected = InvalidTransition
    else:
        expected = None
    if expected is not None:
        with pytest.raises(expected):
            referrals.transition(user, task.id, data)
        assert len(_events(task.id)) == 1, where  # only the create event
        db.session.refresh(task)
        assert (task.status, task.version) == (status, 1), where
        return
    changed = referrals.transition(user, task.id, data)
    assert (changed.status, changed.version) == (rule.to, 2), where
    event = _events(task.id)[-1]
    assert (event.from_status, event.to_status, event.action) == (status, rule.to, action), where
    assert (event.actor_id, event.actor_side) == (user.id, side), where
    # the target's first action also records that it received the referral
    received = ["received"] if side == "target" else []
    assert [e.kind for e in _events(task.id)] == ["status", *received, "status"], where


def test_the_table_matches_the_fhir_lifecycle():
    def targets(status: str) -> set[str]:
        return {r.to for r in TRANSITIONS.values() if status in r.from_states}

    assert targets("draft") == {"requested", "cancelled", "entered-in-error"}
    assert targets("requested") == {"accepted", "rejected", "cancelled", "entered-in-error"}
    assert targets("accepted") == {
        "in-progress",
        "on-hold",
        "completed",
        "failed",
        "cancelled",
        "entered-in-error",
    }
    assert targets("on-hold") == {
        "in-progress",
        "completed",
        "failed",
        "cancelled",
        "entered-in-error",
    }
    assert targets("entered-in-error") == set()
    for closed in ("rejected", "completed", "failed", "cancelled"):
        assert targets(closed) == {"entered-in-error"}
    # entered-in-error belongs to the requester only
    assert {side for (a, side) in TRANSITIONS if a == "enter-in-error"} == {"requester"}


@pytest.mark.parametrize(
    ("action", "status"),
    [("reject", "requested"), ("hold", "accepted"), ("fail", "accepted"), ("cancel", "accepted")],
)
def test_coded_reason_required(world, action, status):
    (task,) = send(world)
    _force_status(task, status)
    with pytest.raises(ValidationError) as err:
        referrals.transition(world.provider, task.id, {"action": action, "version": 1})
    assert "reason_code" in err.value.messages
    with pytest.raises(ValidationError) as err:
        referrals.transition(
            world.provider, task.id, {"action": action, "version": 1, "reason_code": "other"}
        )
    assert "reason_text" in err.value.messages
    with pytest.raises(ValidationError):
        referrals.transition(
            world.provider, task.id, {"action": action, "version": 1, "reason_code": "tired"}
        )
    done = referrals.transition(
        world.provider,
        task.id,
        {"action": action, "version": 1, "reason_code": "person-declined"},
    )
    assert done.reason_code == "person-declined"
    assert _events(task.id)[-1].reason_code == "person-declined"


def test_stale_version_is_a_conflict_with_the_current_state(world):
    (task,) = send(world)
    referrals.transition(world.provider, task.id, {"action": "accept", "version": 1})
    with pytest.raises(Conflict) as err:
        referrals.transition(world.provider, task.id, {"action": "start", "version": 1})
    assert err.value.details["current"] == {"id": task.id, "status": "accepted", "version": 2}
    assert [e.to_status for e in _events(task.id)] == ["requested", None, "accepted"]
    assert _events(task.id)[1].kind == "received"


def test_concurrent_writers_exactly_one_wins(app, world):
    """Two threads change the same version: one succeeds, one gets 409, one event."""
    (task,) = send(world)
    referrals.transition(world.provider, task.id, {"action": "accept", "version": 1})
    task_id, user_id = task.id, world.provider.id
    db.session.remove()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def worker(action: str) -> None:
        with app.app_context():
            user = db.session.get(m.User, user_id)
            barrier.wait()
            try:
                referrals.transition(
                    user, task_id, {"action": action, "version": 2, "reason_code": "no-capacity"}
                )
                outcomes.append("ok")
            except Conflict:
                outcomes.append("409")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(a,)) for a in ("start", "hold")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["409", "ok"]
    events = [e for e in _events(task_id) if e.kind == "status"]
    assert len(events) == 3  # create, accept, and exactly one of start/hold
    final = db.session.get(m.ReferralTask, task_id)
    assert final.version == 3 and final.status == events[-1].to_status


def test_idempotency_key_creates_once(world):
    data = referral_data(world.debt)
    first, created = referrals.create_referral(world.gp, data, "key-1")
    again, created_again = referrals.create_referral(world.gp, data, "key-1")
    assert created and not created_again and again.id == first.id
    assert db.session.scalar(select(func.count()).select_from(m.ReferralTask)) == 1
    # the key is per referrer: another GP's identical key is a different referral
    _, other = referrals.create_referral(world.colleague, data, "key-1")
    assert other


def test_concurrent_creates_with_one_key_make_one_request(app, world):
    data = referral_data(world.debt)
    gp_id = world.gp.id
    db.session.remove()
    barrier = threading.Barrier(2)
    ids: list[str] = []

    def worker() -> None:
        with app.app_context():
            user = db.session.get(m.User, gp_id)
            barrier.wait()
            request, _ = referrals.create_referral(user, data, "same-key")
            ids.append(request.id)
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(ids) == 2 and ids[0] == ids[1]
    assert db.session.scalar(select(func.count()).select_from(m.ReferralRequest)) == 1


def test_services_that_do_not_accept_referrals_are_refused(world):
    with pytest.raises(ValidationError) as err:
        referrals.create_referral(world.gp, referral_data(world.debt, world.budget))
    assert err.value.messages == {
        "services": {1: ["This service does not accept referrals through socialmap."]}
    }
    assert db.session.scalar(select(func.count()).select_from(m.Person)) == 0


def test_sending_needs_consent_and_valid_person(world):
    with pytest.raises(ValidationError) as err:
        referrals.create_referral(world.gp, referral_data(world.debt, consent=None))
    assert "consent" in err.value.messages
    bad = referral_data(world.debt)
    bad["person"] = {"name": "X", "contact_method": "email"}
    with pytest.raises(ValidationError) as err:
        referrals.create_referral(world.gp, bad)
    assert "email" in err.value.messages["person"]


def test_only_referrers_create(world):
    for user in (world.provider, world.steward, world.admin):
        with pytest.raises(PermissionDenied):
            referrals.create_referral(user, referral_data(world.debt))


def test_fan_out_one_task_per_service_with_its_own_consent(world):
    tasks = send(world, world.debt, world.meeting)
    assert {t.organization_id for t in tasks} == {
        world.debt.organization_id,
        world.meeting.organization_id,
    }
    assert all(t.consent.organization_id == t.organization_id for t in tasks)
    # each provider sees only the task sent to its organisation
    inbox = referral_views.inbox(world.provider)
    assert [i["id"] for i in inbox["items"]] == [tasks[0].id]
    other = referral_views.inbox(world.other_provider)
    assert [i["id"] for i in other["items"]] == [tasks[1].id]


def test_drafts_are_invisible_to_the_provider_until_sent(world):
    (task,) = send(world, consent=None, send=False)
    assert task.status == "draft"
    assert referral_views.inbox(world.provider)["total"] == 0
    with pytest.raises(NotFound):
        referral_views.detail(world.provider, task.id)
    referrals.transition(world.gp, task.id, {"action": "send", "version": 1})
    assert referral_views.inbox(world.provider)["total"] == 1


def test_opening_records_received_once(world):
    (task,) = send(world)
    referral_views.detail(world.gp, task.id)  # the referrer's read is not a receipt
    assert task.received_at is None
    referral_views.detail(world.provider, task.id)
    referral_views.detail(world.provider, task.id)
    kinds = [e.kind for e in _events(task.id)]
    assert kinds.count("received") == 1
    db.session.refresh(task)
    assert task.received_at is not None and task.status == "requested"


def test_consent_scope_and_withdrawal(world):
    (task,) = send(world, consent={"method": "signed", "scope": ["identity"]})
    seen = referral_views.detail(world.provider, task.id)
    assert seen["person"] == {"name": "M. Janssens", "birth_year": 1958}
    assert "phone" not in str(seen) and "Weduwe" not in str(seen)
    full = referral_views.detail(world.gp, task.id)
    assert full["person"]["phone"] == "+3259123456" and full["person"]["note"].startswith("Weduwe")
    with pytest.raises(PermissionDenied):
        referrals.withdraw_consent(world.provider, task.id)
    referrals.withdraw_consent(world.gp, task.id)
    hidden = referral_views.detail(world.provider, task.id)
    assert hidden["person"] is None and hidden["person_hidden"] == "consent_withdrawn"
    assert "Janssens" not in str(hidden)
    assert _events(task.id)[-1].kind in {"consent_withdrawn", "received"}
    assert "consent_withdrawn" in [e.kind for e in _events(task.id)]
    with pytest.raises(InvalidTransition):
        referrals.withdraw_consent(world.gp, task.id)


def test_every_read_of_personal_data_is_logged_and_shown_to_the_referrer(world):
    (task,) = send(world)
    referral_views.detail(world.provider, task.id)
    log = referral_access.access_log(world.gp, task.id)
    readers = [(e["actor"]["id"], e["action"]) for e in log]
    assert (world.provider.id, "view") in readers
    assert any("phone" in e["fields"] for e in log if e["actor"]["id"] == world.provider.id)
    assert referral_access.access_log(world.admin, task.id)  # admins audit too
    for user in (world.provider, world.other_gp, world.steward):
        with pytest.raises(NotFound):
            referral_access.access_log(user, task.id)


def test_visibility_sides(world):
    (task,) = send(world)
    shared = send(world, shared_with_practice=True)[0]
    assert referral_views.list_sent(world.colleague)["total"] == 1  # only the shared one
    assert referral_views.detail(world.colleague, shared.id)["id"] == shared.id
    for user in (world.colleague, world.other_gp, world.other_provider, world.steward, world.admin):
        with pytest.raises(NotFound):
            referral_views.detail(user, task.id)
    for user in (world.steward, world.admin, world.provider):
        with pytest.raises(PermissionDenied):
            referral_views.list_sent(user)
    with pytest.raises(PermissionDenied):
        referral_views.inbox(world.gp)


def test_rejection_for_capacity_marks_the_service_full(world):
    (task,) = send(world)
    referrals.transition(
        world.provider, task.id, {"action": "reject", "version": 1, "reason_code": "no-capacity"}
    )
    capacity = db.session.get(m.ServiceCapacity, world.debt.id)
    assert capacity.status == "full" and capacity.updated_by == world.provider.email
    # the signal reaches search (full services are hidden by default) after the commit
    args = SearchArgsSchema().load({"need": ["debt-counselling"], "place": "8400"})
    assert search_logic.search_services(args)[1].total == 0
    args = SearchArgsSchema().load({"need": ["debt-counselling"], "capacity": "any"})
    assert [h.capacity for h in search_logic.search_services(args)[1].hits] == ["full"]
    stats = referral_views.stats(world.steward)
    assert stats["by_status"]["rejected"] == 1
    assert stats["unmet_needs"] == [{"need": "debt-counselling", "no_capacity": 1}]
    assert "Janssens" not in str(stats)


def test_purge_erases_personal_data_of_old_closed_referrals_only(world):
    (closed,) = send(world)
    (still_open,) = send(world, world.meeting)
    referrals.transition(world.provider, closed.id, {"action": "reject", "version": 1, **REASON})
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=400)
    assert retention.purge_personal_data(now=later, days=365) == 1
    person = db.session.get(m.Person, closed.request.person_id)
    assert person.erased_at is not None and person.name is None and person.phone is None
    assert closed.request.note is None
    assert all(e.note is None for e in _events(closed.id))
    assert _events(closed.id)[-1].kind == "erased"
    assert db.session.get(m.Person, still_open.request.person_id).name == "M. Janssens"
    # the anonymous facts stay
    assert closed.request.needs == ["debt-counselling"] and closed.request.municipality
    assert referral_views.detail(world.gp, closed.id)["person_hidden"] == "erased"
    assert retention.purge_personal_data(now=later, days=365) == 0  # idempotent
