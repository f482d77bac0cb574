"""Retention: erase the personal data of referrals closed long enough ago, keeping the
anonymous facts (needs, municipality, services, statuses, reasons, dates) for statistics."""

from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy import update

from socialmap import models as m
from socialmap.extensions import db
from socialmap.logic.referrals import CLOSED
from socialmap.models.base import utcnow

#: Person fields emptied on erasure.
_PERSONAL = ("name", "birth_year", "postcode", "language", "contact_method", "phone", "email")


def purge_personal_data(now: dt.datetime | None = None, days: int | None = None) -> int:
    """Erase the person behind every request whose tasks are all closed and unchanged for
    ``days`` (default REFERRAL_RETENTION_DAYS); returns how many people were erased.

    Free texts that may describe the person (request note, event notes, reasons, outcomes)
    are erased too; each task gets an ``erased`` event. One transaction.
    """
    now = now or utcnow()
    days = int(current_app.config["REFERRAL_RETENTION_DAYS"]) if days is None else days
    cutoff = now - dt.timedelta(days=days)
    open_or_recent = (
        select(m.ReferralTask.request_id)
        .where((m.ReferralTask.status.not_in(CLOSED)) | (m.ReferralTask.updated_at > cutoff))
        .distinct()
    )
    due = db.session.execute(
        select(m.ReferralRequest.id, m.ReferralRequest.person_id)
        .join(m.Person, m.Person.id == m.ReferralRequest.person_id)
        .where(m.Person.erased_at.is_(None), m.ReferralRequest.id.not_in(open_or_recent))
    ).all()
    if not due:
        return 0
    request_ids = [r for r, _p in due]
    person_ids = list({p for _r, p in due})
    db.session.execute(
        update(m.Person)
        .where(m.Person.id.in_(person_ids))
        .values(erased_at=now, **dict.fromkeys(_PERSONAL))
    )
    db.session.execute(
        update(m.ReferralRequest).where(m.ReferralRequest.id.in_(request_ids)).values(note=None)
    )
    task_ids = list(
        db.session.scalars(
            select(m.ReferralTask.id).where(m.ReferralTask.request_id.in_(request_ids))
        )
    )
    db.session.execute(
        update(m.ReferralTask)
        .where(m.ReferralTask.id.in_(task_ids))
        .values(reason_text=None, outcome=None)
    )
    db.session.execute(
        update(m.ReferralEvent).where(m.ReferralEvent.task_id.in_(task_ids)).values(note=None)
    )
    db.session.add_all(
        m.ReferralEvent(task_id=t, kind="erased", actor_side="system", at=now) for t in task_ids
    )
    db.session.commit()
    return len(person_ids)


def purge_sign_in_records(now: dt.datetime | None = None) -> int:
    """Delete sign-in attempts (e-mail address, client address) and used or expired
    password-reset rows older than SIGN_IN_RECORD_DAYS; returns how many rows went.

    Rate limiting only looks back LOGIN_WINDOW_MINUTES, so nothing older is needed."""
    now = now or utcnow()
    cutoff = now - dt.timedelta(days=int(current_app.config["SIGN_IN_RECORD_DAYS"]))
    attempts = db.session.execute(delete(m.LoginAttempt).where(m.LoginAttempt.at < cutoff))
    resets = db.session.execute(delete(m.PasswordReset).where(m.PasswordReset.expires_at < cutoff))
    db.session.commit()
    return int(attempts.rowcount or 0) + int(resets.rowcount or 0)
