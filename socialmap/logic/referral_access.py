"""Who sees which referral, and which personal data, with every read of it logged.

- The requester side: the referrer who sent it, and colleagues of the same practice when the
  request is shared. They see the person's data they recorded (until it is erased).
- The target side: staff of the receiving organisation, for tasks that were sent (not
  drafts). They see the person's data only while consent holds, and only its scope.
- Stewards and admins see no referral (aggregates only); a task someone may not see is
  "not found", so its existence does not leak.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import Select
from sqlalchemy import and_
from sqlalchemy import false
from sqlalchemy import or_
from sqlalchemy import select

from socialmap import models as m
from socialmap.errors import NotFound
from socialmap.extensions import db
from socialmap.models.base import utcnow

#: Consent scope -> the person's fields it covers.
SCOPE_FIELDS: dict[str, tuple[str, ...]] = {
    "identity": ("name", "birth_year"),
    "contact": ("contact_method", "phone", "email"),
    "postcode": ("postcode",),
    "language": ("language",),
}


def requester_clause(user: m.User) -> ColumnElement[bool]:
    """Requests this user may see as requester."""
    if user.role != "referrer":
        return false()
    mine = m.ReferralRequest.referrer_id == user.id
    if user.practice:
        shared = and_(
            m.ReferralRequest.shared_with_practice.is_(True),
            m.ReferralRequest.practice == user.practice,
        )
        return or_(mine, shared)
    return mine


def target_clause(user: m.User) -> ColumnElement[bool]:
    """Tasks this user may see as target (their organisations', once sent)."""
    orgs = user.organization_ids if user.role == "provider" else set()
    if not orgs:
        return false()
    return and_(m.ReferralTask.organization_id.in_(orgs), m.ReferralTask.status != "draft")


@dataclass(frozen=True)
class TaskFacts:
    """What deciding on a task needs, read in one query (the hot paths use this, not the ORM)."""

    id: str
    request_id: str
    service_id: str
    organization_id: str
    status: str
    version: int
    reason_code: str | None
    reason_text: str | None
    outcome: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    requested_at: dt.datetime | None
    received_at: dt.datetime | None
    referrer_id: str
    practice: str | None
    shared_with_practice: bool
    needs: list[str]
    urgency: str
    service_name: str
    organization_name: str
    #: The acting user's sides, when known (saves reloading the user after a commit).
    sides: frozenset[str] | None = None


_FACT_COLUMNS = (
    m.ReferralTask.id,
    m.ReferralTask.request_id,
    m.ReferralTask.service_id,
    m.ReferralTask.organization_id,
    m.ReferralTask.status,
    m.ReferralTask.version,
    m.ReferralTask.reason_code,
    m.ReferralTask.reason_text,
    m.ReferralTask.outcome,
    m.ReferralTask.created_at,
    m.ReferralTask.updated_at,
    m.ReferralTask.requested_at,
    m.ReferralTask.received_at,
    m.ReferralRequest.referrer_id,
    m.ReferralRequest.practice,
    m.ReferralRequest.shared_with_practice,
    m.ReferralRequest.needs,
    m.ReferralRequest.urgency,
    m.Service.name,
    m.Organization.name,
)


def facts_query() -> Select[Any]:
    return (
        select(*_FACT_COLUMNS)
        .join(m.ReferralRequest, m.ReferralRequest.id == m.ReferralTask.request_id)
        .join(m.Service, m.Service.id == m.ReferralTask.service_id)
        .join(m.Organization, m.Organization.id == m.ReferralTask.organization_id)
    )


def task_facts(user: m.User, task_id: str) -> TaskFacts:
    """The task's facts, if the user is on one of its sides. :raise NotFound:"""
    row = db.session.execute(facts_query().where(m.ReferralTask.id == task_id)).one_or_none()
    facts = TaskFacts(*row) if row is not None else None
    if facts is None or not sides_of(user, facts):
        raise NotFound("No such referral.")
    return facts


def sides_of(user: m.User, facts: TaskFacts) -> set[str]:
    """``requester`` and/or ``target``: the user's relation to the task (empty: none)."""
    found: set[str] = set()
    if not user.is_active:
        return found
    if user.role == "referrer" and (
        facts.referrer_id == user.id
        or (facts.shared_with_practice and user.practice and facts.practice == user.practice)
    ):
        found.add("requester")
    if (
        user.role == "provider"
        and facts.status != "draft"
        and facts.organization_id in user.organization_ids
    ):
        found.add("target")
    return found


def sides(user: m.User, task: m.ReferralTask) -> set[str]:
    """:func:`sides_of` for an ORM task."""
    request = task.request
    return sides_of(
        user,
        SimpleNamespace(  # type: ignore[arg-type]
            referrer_id=request.referrer_id,
            shared_with_practice=request.shared_with_practice,
            practice=request.practice,
            status=task.status,
            organization_id=task.organization_id,
        ),
    )


def load_task(user: m.User, task_id: str) -> m.ReferralTask:
    """The task, if the user is on one of its sides.

    :raise NotFound: for unknown tasks and for tasks the user may not see alike.
    """
    task = db.session.get(m.ReferralTask, task_id)
    if task is None or not sides(user, task):
        raise NotFound("No such referral.")
    return task


def visible_person(user: m.User, task: m.ReferralTask) -> tuple[dict[str, Any] | None, str | None]:
    """The person's data this user may see on this task, and why not when hidden.

    Reading it is logged (who, which person, which task, when); the caller commits.
    """
    request = task.request
    person = db.session.get(m.Person, request.person_id) if request.person_id else None
    if person is None or person.erased_at is not None:
        return None, "erased"
    task_sides = sides(user, task)
    if "requester" in task_sides:
        fields = [f for group in SCOPE_FIELDS.values() for f in group]
        note = request.note
    else:
        consent = task.consent
        if consent is None:
            return None, "no_consent"
        if consent.withdrawn_at is not None:
            return None, "consent_withdrawn"
        fields = [f for scope in consent.scope for f in SCOPE_FIELDS.get(scope, ())]
        note = request.note if "note" in consent.scope else None
    data: dict[str, Any] = {f: getattr(person, f) for f in fields}
    if note is not None:
        data["note"] = note
    log_access(user, person.id, task.id, "view", sorted(data))
    return data, None


def log_access(
    user: m.User, person_id: str, task_id: str | None, action: str, fields: list[str]
) -> None:
    db.session.add(
        m.AccessLog(
            actor_id=user.id,
            person_id=person_id,
            task_id=task_id,
            action=action,
            at=utcnow(),
            details={"fields": fields},
        )
    )


def access_log(user: m.User, task_id: str) -> list[dict[str, Any]]:
    """Every read of the person's data behind this referral (requester side or admin).

    :raise NotFound: the user is neither on the requester side nor an admin.
    """
    task = db.session.get(m.ReferralTask, task_id)
    if task is None or not ("requester" in sides(user, task) or user.role == "admin"):
        raise NotFound("No such referral.")
    person_id = task.request.person_id
    if person_id is None:
        return []
    rows = db.session.execute(
        select(m.AccessLog, m.User.name, m.User.email, m.User.role)
        .join(m.User, m.User.id == m.AccessLog.actor_id)
        .where(m.AccessLog.person_id == person_id)
        .order_by(m.AccessLog.id)
    ).all()
    return [
        {
            "actor": {"id": log.actor_id, "name": name or email, "role": role},
            "action": log.action,
            "task_id": log.task_id,
            "fields": (log.details or {}).get("fields", []),
            "at": log.at,
        }
        for log, name, email, role in rows
    ]
