"""Reading referrals: the referrer's list, the provider's inbox, one referral with its
timeline, and aggregate statistics for stewards (never personal data)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app
from sqlalchemy import Select
from sqlalchemy import case
from sqlalchemy import func
from sqlalchemy import select

from socialmap import models as m
from socialmap.extensions import db
from socialmap.logic import referral_access as access
from socialmap.logic import referrals
from socialmap.logic.business_days import is_overdue
from socialmap.models.base import utcnow
from socialmap.permissions import has_role
from socialmap.permissions import require


def list_sent(user: m.User, **args: Any) -> dict[str, Any]:
    """Tasks of the requests this user sent (or shares through their practice)."""
    require(has_role(user, "referrer"), "list referrals")
    query = access.facts_query().where(access.requester_clause(user))
    order = (m.ReferralTask.updated_at.desc(), m.ReferralTask.id)
    return _page(query, order, **args)


def inbox(user: m.User, **args: Any) -> dict[str, Any]:
    """Tasks sent to the user's organisations: new (not yet opened) first, then by change."""
    require(has_role(user, "provider"), "read a referral inbox")
    query = access.facts_query().where(access.target_clause(user))
    unopened = case((m.ReferralTask.received_at.is_(None), 0), else_=1)
    order = (unopened, m.ReferralTask.updated_at.desc(), m.ReferralTask.id)
    return _page(query, order, **args)


def detail(user: m.User, task_id: str, with_person: bool = True) -> dict[str, Any]:
    """One referral as this user may see it; opening it as target records "received".

    Reading the person's data is logged. Answers to changes (create, transitions) leave the
    person out (``with_person=False``): data minimisation, and no log entry for a read
    nobody asked for. :raise NotFound:
    """
    task = access.load_task(user, task_id)
    referrals.record_received(user, task)
    facts = access.task_facts(user, task_id)
    body = _summary_of(facts, utcnow())
    person, hidden = access.visible_person(user, task) if with_person else (None, "not_included")
    referrer = db.session.get(m.User, task.request.referrer_id)
    consent = task.consent
    body.update(
        reason_text=facts.reason_text,
        outcome=facts.outcome,
        person=person,
        person_hidden=hidden,
        referrer={
            "name": referrer.name if referrer else None,
            "practice": task.request.practice,
        },
        consent=(
            {
                "method": consent.method,
                "given_at": consent.given_at,
                "scope": list(consent.scope),
                "withdrawn_at": consent.withdrawn_at,
            }
            if consent
            else None
        ),
        allowed_actions=referrals.allowed_actions(access.sides(user, task), task.status),
    )
    db.session.commit()  # the access log entry
    return body


def created(user: m.User, request_id: str) -> dict[str, Any]:
    """A created request with the state of its tasks, for the referrer who sent it (one
    query; the person is left out, as in every answer to a change). Only the referrer who
    created it calls this: they are its requester."""
    rows = db.session.execute(
        access.facts_query()
        .where(m.ReferralTask.request_id == request_id)
        .order_by(m.ReferralTask.created_at, m.ReferralTask.id)
    ).all()
    requester = frozenset({"requester"})
    tasks = [access.TaskFacts(*row, sides=requester) for row in rows]
    return {
        "id": request_id,
        "created_at": tasks[0].created_at if tasks else None,
        "referrals": [state(user, facts) for facts in tasks],
    }


def state(user: m.User, facts: access.TaskFacts) -> dict[str, Any]:
    """A task's state after a change: the summary, reason, outcome and the next actions."""
    body = _summary_of(facts, utcnow())
    body.update(
        reason_text=facts.reason_text,
        outcome=facts.outcome,
        allowed_actions=referrals.allowed_actions(
            set(facts.sides) if facts.sides is not None else access.sides_of(user, facts),
            facts.status,
        ),
    )
    return body


def letter(user: m.User, task_id: str, lang: str | None = None) -> str:
    """The printable referral letter (requester side only; the read is logged).

    :raise NotFound, PermissionDenied:
    """
    from socialmap.logic import letters

    task = access.load_task(user, task_id)
    require("requester" in access.sides(user, task), "print this referral letter")
    context = letters.letter_context(task.id, user, lang)
    if task.request.person_id:
        access.log_access(user, task.request.person_id, task.id, "letter", ["name"])
    db.session.commit()
    return letters.render_letter(context)


def events(user: m.User, task_id: str) -> list[dict[str, Any]]:
    """The task's timeline, oldest first. :raise NotFound:"""
    task = access.load_task(user, task_id)
    rows = db.session.execute(
        select(m.ReferralEvent, m.User.name, m.User.email)
        .outerjoin(m.User, m.User.id == m.ReferralEvent.actor_id)
        .where(m.ReferralEvent.task_id == task.id)
        .order_by(m.ReferralEvent.id)
    ).all()
    return [
        {
            "id": e.id,
            "kind": e.kind,
            "action": e.action,
            "actor": {"id": e.actor_id, "name": name or email} if e.actor_id else None,
            "actor_side": e.actor_side,
            "from_status": e.from_status,
            "to_status": e.to_status,
            "reason_code": e.reason_code,
            "note": e.note,
            "version": e.version,
            "at": e.at,
        }
        for e, name, email in rows
    ]


def stats(user: m.User) -> dict[str, Any]:
    """Counts by status, by reason and by need, and the needs most often refused for lack
    of capacity (unmet needs). Stewards and admins; no personal data."""
    require(has_role(user, "steward", "admin"), "read referral statistics")
    by_status = dict(
        db.session.execute(
            select(m.ReferralTask.status, func.count()).group_by(m.ReferralTask.status)
        ).all()
    )
    by_reason = dict(
        db.session.execute(
            select(m.ReferralTask.reason_code, func.count())
            .where(m.ReferralTask.reason_code.is_not(None))
            .group_by(m.ReferralTask.reason_code)
        ).all()
    )
    needs: dict[str, dict[str, int]] = {}
    rows = db.session.execute(
        select(m.ReferralRequest.needs, m.ReferralTask.status, m.ReferralTask.reason_code).join(
            m.ReferralTask, m.ReferralTask.request_id == m.ReferralRequest.id
        )
    )
    for codes, status, reason in rows:
        for code in codes or ():
            counts = needs.setdefault(code, {"referrals": 0, "no_capacity": 0})
            counts["referrals"] += 1
            if status == "rejected" and reason == "no-capacity":
                counts["no_capacity"] += 1
    unmet = sorted(
        ((code, c["no_capacity"]) for code, c in needs.items() if c["no_capacity"]),
        key=lambda item: (-item[1], item[0]),
    )
    return {
        "by_status": by_status,
        "by_reason": by_reason,
        "by_need": needs,
        "unmet_needs": [{"need": code, "no_capacity": n} for code, n in unmet],
    }


def _summary_of(task: access.TaskFacts, now: dt.datetime) -> dict[str, Any]:
    """The list item of a task (no personal data)."""
    return {
        "id": task.id,
        "request_id": task.request_id,
        "status": task.status,
        "version": task.version,
        "service": {"id": task.service_id, "name": task.service_name},
        "organization": {"id": task.organization_id, "name": task.organization_name},
        "needs": list(task.needs or ()),
        "urgency": task.urgency,
        "reason_code": task.reason_code,
        "created_at": task.created_at,
        "updated_at": task.updated_at,
        "requested_at": task.requested_at,
        "received_at": task.received_at,
        "overdue": _overdue(task, now),
    }


def _overdue(task: access.TaskFacts, now: dt.datetime) -> bool:
    if task.status != "requested" or task.requested_at is None:
        return False
    days = int(current_app.config["REFERRAL_REMINDER_BUSINESS_DAYS"])
    return is_overdue(task.requested_at, now, days)


def _page(
    query: Select[Any],
    order: tuple[Any, ...],
    status: list[str] | None = None,
    overdue: bool | None = None,
    page: int = 1,
    per_page: int = 50,
    service_id: str | None = None,
) -> dict[str, Any]:
    if status:
        query = query.where(m.ReferralTask.status.in_(status))
    if service_id:
        query = query.where(m.ReferralTask.service_id == service_id)
    now = utcnow()
    if overdue is not None:
        # Overdue needs the business-day calendar: filter the (few) requested tasks in Python.
        query = query.where(m.ReferralTask.status == "requested")
        found = (access.TaskFacts(*r) for r in db.session.execute(query.order_by(*order)))
        tasks = [t for t in found if _overdue(t, now) == overdue]
        total = len(tasks)
        tasks = tasks[(page - 1) * per_page : page * per_page]
    else:
        total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = db.session.execute(
            query.order_by(*order).offset((page - 1) * per_page).limit(per_page)
        )
        tasks = [access.TaskFacts(*r) for r in rows]
    items = [_summary_of(task, now) for task in tasks]
    return {"total": total, "page": page, "per_page": per_page, "items": items}
