"""Reminders for referrals nobody answered: after REFERRAL_REMINDER_BUSINESS_DAYS Belgian
business days in status "requested", the provider gets one reminder and the referrer sees
the referral flagged as overdue."""

from __future__ import annotations

import datetime as dt
import logging

from flask import current_app
from sqlalchemy import select
from sqlalchemy import update

from socialmap.extensions import db
from socialmap.logic import notifications
from socialmap.logic.business_days import is_overdue
from socialmap.models import ReferralEvent
from socialmap.models import ReferralTask
from socialmap.models.base import utcnow

log = logging.getLogger(__name__)


def reminder_business_days() -> int:
    return int(current_app.config["REFERRAL_REMINDER_BUSINESS_DAYS"])


def overdue_flag(task: ReferralTask, now: dt.datetime | None = None) -> bool:
    """True when ``task`` still waits for an answer after the reminder period (for listings)."""
    if task.status != "requested" or task.requested_at is None:
        return False
    return is_overdue(task.requested_at, now or utcnow(), reminder_business_days())


def send_reminders(now: dt.datetime | None = None) -> int:
    """Remind the providers of every overdue, not yet reminded task; returns how many.

    Each task is reminded once: ``reminded_at`` is set by a guarded UPDATE (so two workers
    never both remind) in the same transaction as its event and notifications.
    """
    now = now or utcnow()
    days = reminder_business_days()
    # n business days span at least n calendar days: let the database drop the recent ones.
    candidates = db.session.execute(
        select(ReferralTask.id, ReferralTask.requested_at, ReferralTask.version)
        .where(
            ReferralTask.status == "requested",
            ReferralTask.reminded_at.is_(None),
            ReferralTask.requested_at.is_not(None),
            ReferralTask.requested_at <= now - dt.timedelta(days=days),
        )
        .order_by(ReferralTask.requested_at, ReferralTask.id)
    ).all()
    db.session.commit()
    reminded = 0
    for task_id, requested_at, version in candidates:
        if not is_overdue(requested_at, now, days):
            continue
        if _remind(task_id, version, now):
            reminded += 1
    return reminded


def _remind(task_id: str, version: int, now: dt.datetime) -> bool:
    # The reminder does not bump the task's version: it is bookkeeping, and must not turn a
    # provider's open answer form stale (a 409) just because the reminder went out.
    claimed = db.session.execute(
        update(ReferralTask)
        .where(
            ReferralTask.id == task_id,
            ReferralTask.status == "requested",
            ReferralTask.reminded_at.is_(None),
        )
        .values(reminded_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        return False
    db.session.add(
        ReferralEvent(
            task_id=task_id,
            kind="reminder",
            actor_side="system",
            version=version,
            at=now,
        )
    )
    notifications.referral_event(task_id, "referral_overdue", "system", now=now)
    db.session.commit()
    log.info("referral task %s: reminder sent", task_id)
    return True
