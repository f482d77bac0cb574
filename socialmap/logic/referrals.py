"""The referral lifecycle: create (with consent), transitions, receipt, consent withdrawal.

A referral request (one person, some needs) fans out to one task per chosen service. Each
task follows the FHIR SDOH Task statuses; :data:`TRANSITIONS` is the whole state machine:
``(action, side) -> Transition``, where the side is ``requester`` (the referrer, or a practice
colleague when the request is shared) or ``target`` (staff of the receiving organisation).
Every change appends one :class:`~socialmap.models.ReferralEvent`.

Concurrency: a writer names the ``version`` it saw; the status changes through one guarded
``UPDATE ... WHERE version = :seen``. Of two concurrent writers exactly one matches a row;
the other gets :class:`~socialmap.errors.Conflict` with the current state, and its event is
never written. Notifications are queued in the same transaction (an outbox).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from socialmap import models as m
from socialmap.errors import Conflict
from socialmap.errors import InvalidTransition
from socialmap.extensions import db
from socialmap.logic import notifications
from socialmap.logic import referral_access as access
from socialmap.models.base import new_id
from socialmap.models.base import utcnow
from socialmap.permissions import has_role
from socialmap.permissions import require
from socialmap.schemas.referral import ReferralCreateSchema
from socialmap.schemas.referral import TransitionSchema

OPEN = frozenset({"draft", "requested", "accepted", "in-progress", "on-hold"})
CLOSED = frozenset({"rejected", "cancelled", "completed", "failed", "entered-in-error"})
_ACTIVE = frozenset({"accepted", "in-progress", "on-hold"})


@dataclass(frozen=True)
class Transition:
    from_states: frozenset[str]
    to: str
    reason_required: bool = False


def _t(states: set[str] | frozenset[str], to: str, reason: bool = False) -> Transition:
    return Transition(frozenset(states), to, reason)


#: (action, side) -> allowed from-states, the new status, and whether a coded reason is needed.
TRANSITIONS: dict[tuple[str, str], Transition] = {
    ("send", "requester"): _t({"draft"}, "requested"),
    ("cancel", "requester"): _t(OPEN, "cancelled", reason=True),
    ("enter-in-error", "requester"): _t(OPEN | CLOSED - {"entered-in-error"}, "entered-in-error"),
    ("accept", "target"): _t({"requested"}, "accepted"),
    ("reject", "target"): _t({"requested"}, "rejected", reason=True),
    ("start", "target"): _t({"accepted", "on-hold"}, "in-progress"),
    ("hold", "target"): _t({"accepted", "in-progress"}, "on-hold", reason=True),
    ("complete", "target"): _t(_ACTIVE, "completed"),
    ("fail", "target"): _t(_ACTIVE, "failed", reason=True),
    ("cancel", "target"): _t(_ACTIVE, "cancelled", reason=True),
}
ACTIONS = frozenset(action for action, _side in TRANSITIONS)


def create_referral(
    actor: m.User, data: Mapping[str, Any], idempotency_key: str | None = None
) -> tuple[m.ReferralRequest, bool]:
    """Create a referral request with one task per service; ``(request, created)``.

    A retried call with the same ``idempotency_key`` returns the first request and
    ``created=False`` instead of creating a second one.
    :raise PermissionDenied, ValidationError:
    """
    require(has_role(actor, "referrer"), "create referrals")
    if idempotency_key:
        existing = _by_idempotency_key(actor, idempotency_key)
        if existing is not None:
            return existing, False
    fields = ReferralCreateSchema().load(data)
    services = _referable_services(fields["services"])
    names = {service.id: service.name for service in services}
    now = utcnow()
    person = m.Person(id=new_id(), **fields["person"])
    request = m.ReferralRequest(
        id=new_id(),
        referrer_id=actor.id,
        practice=actor.practice,
        shared_with_practice=fields["shared_with_practice"] and bool(actor.practice),
        person_id=person.id,
        needs=fields["needs"],
        urgency=fields["urgency"],
        note=fields.get("note"),
        municipality=_municipality(person.postcode),
        idempotency_key=idempotency_key,
        created_at=now,
    )
    db.session.add_all([person, request])
    status = "requested" if fields["send"] else "draft"
    consent = fields.get("consent")
    tasks = [
        m.ReferralTask(
            id=new_id(),
            request_id=request.id,
            service_id=service.id,
            organization_id=service.organization_id,
            status=status,
            created_at=now,
            updated_at=now,
            requested_at=now if status == "requested" else None,
        )
        for service in services
    ]
    db.session.add_all(tasks)
    try:
        # The rows the consents, events and notifications refer to; a concurrent create with
        # the same idempotency key fails here.
        db.session.flush()
    except IntegrityError as exc:
        return _replay(actor, idempotency_key, exc)
    for task in tasks:
        if consent:
            db.session.add(
                m.Consent(
                    task_id=task.id,
                    organization_id=task.organization_id,
                    scope=consent["scope"],
                    method=consent["method"],
                    given_at=consent.get("given_at") or now,
                    recorded_by_id=actor.id,
                )
            )
        db.session.add(
            m.ReferralEvent(
                task_id=task.id,
                kind="status",
                action="create",
                actor_id=actor.id,
                actor_side="requester",
                to_status=status,
                version=1,
                at=now,
            )
        )
        if status == "requested":
            facts = SimpleNamespace(
                organization_id=task.organization_id,
                service_name=names[task.service_id],
                referrer_id=actor.id,
                practice=request.practice,
                shared_with_practice=request.shared_with_practice,
            )
            notifications.referral_event(
                task.id, "referral_requested", "requester", now=now, facts=facts
            )
    try:
        db.session.commit()
    except IntegrityError as exc:
        return _replay(actor, idempotency_key, exc)
    return request, True


def _replay(actor: m.User, key: str | None, exc: IntegrityError) -> tuple[m.ReferralRequest, bool]:
    """The same idempotency key committed concurrently: answer with that request."""
    db.session.rollback()
    existing = _by_idempotency_key(actor, key) if key else None
    if existing is None:
        raise exc
    return existing, False


def transition(actor: m.User, task_id: str, data: Mapping[str, Any]) -> access.TaskFacts:
    """Apply ``data["action"]`` to a task the actor can see, if the table allows it; returns
    the task's new state. The target's first action also records "received" if opening the
    referral did not already.

    A hot path: one read, one guarded update, one insert of events and one of notifications.
    :raise NotFound: the task is not visible to the actor.
    :raise PermissionDenied: the action belongs to the other side.
    :raise InvalidTransition: not allowed from the current status (409).
    :raise Conflict: ``version`` is not the current version (409, with the current state).
    :raise ValidationError: unknown action, missing reason.
    """
    from marshmallow import ValidationError

    fields = TransitionSchema().load(data)
    facts = access.task_facts(actor, task_id)
    action = fields["action"]
    if action not in ACTIONS:
        raise ValidationError({"action": [f"Unknown action; one of {sorted(ACTIONS)}."]})
    sides = access.sides_of(actor, facts)
    rule, side = _rule(action, sides)
    if facts.status not in rule.from_states:
        raise InvalidTransition(
            f"Cannot {action} a referral that is {facts.status}.", **_state(facts)
        )
    _check_reason(rule, fields)
    now = utcnow()
    seen = fields["version"]
    values: dict[str, Any] = {"status": rule.to, "version": seen + 1, "updated_at": now}
    if rule.reason_required:
        values["reason_code"] = fields.get("reason_code")
        values["reason_text"] = fields.get("reason_text")
    if rule.to == "requested":
        values["requested_at"] = now
    if fields.get("outcome") is not None:
        values["outcome"] = fields["outcome"]
    done = db.session.execute(
        update(m.ReferralTask)
        .where(m.ReferralTask.id == facts.id, m.ReferralTask.version == seen)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        db.session.rollback()
        current = access.task_facts(actor, task_id)
        raise Conflict(
            "This referral was changed meanwhile; reload and try again.", **_state(current)
        )
    events = []
    if side == "target" and facts.received_at is None and _mark_received(facts.id, now):
        values["received_at"] = now
        events.append(_event(facts.id, "received", actor, "target", now))
    events.append(
        _event(
            facts.id,
            "status",
            actor,
            side,
            now,
            action=action,
            from_status=facts.status,
            to_status=rule.to,
            reason_code=values.get("reason_code"),
            note=fields.get("note") or fields.get("reason_text"),
            version=seen + 1,
        )
    )
    db.session.execute(insert(m.ReferralEvent), events)
    if action == "reject" and fields.get("reason_code") == "no-capacity":
        _mark_full(facts.service_id, actor, now)
    kind = f"referral_{rule.to.replace('-', '_')}"
    notifications.referral_event(facts.id, kind, side, now=now, facts=facts)
    db.session.commit()
    return dataclasses.replace(facts, **values, sides=frozenset(sides))


def _mark_received(task_id: str, now: dt.datetime) -> bool:
    """Set ``received_at`` once (concurrent openers: only one succeeds)."""
    done = db.session.execute(
        update(m.ReferralTask)
        .where(m.ReferralTask.id == task_id, m.ReferralTask.received_at.is_(None))
        .values(received_at=now)
        .execution_options(synchronize_session=False)
    )
    return done.rowcount == 1


def _event(
    task_id: str, kind: str, actor: m.User, side: str, at: dt.datetime, **values: Any
) -> dict[str, Any]:
    row = dict.fromkeys(("action", "from_status", "to_status", "reason_code", "note", "version"))
    row.update(task_id=task_id, kind=kind, actor_id=actor.id, actor_side=side, at=at, **values)
    return row


def record_received(actor: m.User, task: m.ReferralTask) -> None:
    """The target organisation opened the referral: the loop's first feedback (an event and
    ``received_at``, recorded once, not a status)."""
    if task.received_at is not None or task.status == "draft":
        return
    if "target" not in access.sides(actor, task):
        return
    now = utcnow()
    if _mark_received(task.id, now):
        db.session.add(
            m.ReferralEvent(
                task_id=task.id, kind="received", actor_id=actor.id, actor_side="target", at=now
            )
        )
        notifications.referral_event(task.id, "referral_received", "target")
    db.session.commit()
    db.session.refresh(task)


def withdraw_consent(actor: m.User, task_id: str) -> m.ReferralTask:
    """Record that the person withdrew consent: the target stops seeing personal data at once.

    :raise NotFound, PermissionDenied, InvalidTransition:
    """
    task = access.load_task(actor, task_id)
    require("requester" in access.sides(actor, task), "withdraw consent for this referral")
    consent = task.consent
    if consent is None or consent.withdrawn_at is not None:
        raise InvalidTransition("There is no consent to withdraw.", **_state(task))
    now = utcnow()
    consent.withdrawn_at = now
    consent.withdrawn_by_id = actor.id
    db.session.add(
        m.ReferralEvent(
            task_id=task.id,
            kind="consent_withdrawn",
            actor_id=actor.id,
            actor_side="requester",
            at=now,
        )
    )
    notifications.referral_event(task.id, "consent_withdrawn", "requester")
    db.session.commit()
    return task


def allowed_actions(sides: set[str], status: str) -> list[str]:
    """The actions open to these sides of a task in ``status`` (for buttons and clients)."""
    return sorted(
        {
            action
            for (action, side), rule in TRANSITIONS.items()
            if side in sides and status in rule.from_states
        }
    )


def _rule(action: str, sides: set[str]) -> tuple[Transition, str]:
    for side in ("requester", "target"):
        rule = TRANSITIONS.get((action, side))
        if rule is not None and side in sides:
            return rule, side
    require(False, f"{action} this referral")
    raise AssertionError  # unreachable: require raised


def _check_reason(rule: Transition, fields: Mapping[str, Any]) -> None:
    from marshmallow import ValidationError

    if not rule.reason_required:
        return
    code = fields.get("reason_code")
    if not code:
        raise ValidationError({"reason_code": [f"A reason is required to move to {rule.to}."]})
    if code == "other" and not (fields.get("reason_text") or "").strip():
        raise ValidationError({"reason_text": ["Explain the reason 'other'."]})


def _state(task: m.ReferralTask | access.TaskFacts) -> dict[str, Any]:
    return {"current": {"id": task.id, "status": task.status, "version": task.version}}


def _by_idempotency_key(actor: m.User, key: str) -> m.ReferralRequest | None:
    return db.session.scalar(
        select(m.ReferralRequest).where(
            m.ReferralRequest.referrer_id == actor.id,
            m.ReferralRequest.idempotency_key == key,
        )
    )


def _referable_services(ids: list[str]) -> list[Any]:
    """The chosen services (id, organization_id, name), each active and referable through
    socialmap: a steward's decision if any, else the intake procedure's.

    :raise ValidationError: naming each service that cannot receive referrals.
    """
    from marshmallow import ValidationError

    from socialmap.logic.regions import referable_decisions

    unique = list(dict.fromkeys(ids))
    rows = db.session.execute(
        select(
            m.Service.id,
            m.Service.organization_id,
            m.Service.name,
            m.IntakeProcedure.accepts_referrals,
        )
        .outerjoin(m.IntakeProcedure, m.IntakeProcedure.service_id == m.Service.id)
        .where(
            m.Service.id.in_(unique),
            m.Service.status == "active",
            m.Service.merged_into_id.is_(None),
        )
    ).all()
    found = {row.id: row for row in rows}
    decisions = referable_decisions(unique)
    errors: dict[int, list[str]] = {}
    for i, sid in enumerate(unique):
        row = found.get(sid)
        if row is None:
            errors[i] = ["No active service with this id."]
        elif not decisions.get(sid, bool(row.accepts_referrals)):
            errors[i] = ["This service does not accept referrals through socialmap."]
    if errors:
        raise ValidationError({"services": errors})
    return [found[sid] for sid in unique]


def _municipality(postcode: str | None) -> str | None:
    """The NIS code of a postcode (kept for statistics after the person is erased)."""
    if not postcode:
        return None
    from socialmap.gazetteer import get_gazetteer

    places = get_gazetteer().by_postcode(postcode)
    return places[0].nis if places else None


def _mark_full(service_id: str, actor: m.User, now: dt.datetime) -> None:
    """A rejection for lack of capacity is a capacity signal: the service is full for now."""
    capacity = db.session.get(m.ServiceCapacity, service_id)
    if capacity is None:
        capacity = m.ServiceCapacity(service_id=service_id)
        db.session.add(capacity)
    capacity.status = "full"
    capacity.updated_at = now
    capacity.updated_by = actor.email
