"""Referrals (FHIR SDOH ServiceRequest + Task): the person in need, what they consented to,
one task per target service with its status, the append-only event log, and the log of
every read of personal data."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from socialmap.extensions import db
from socialmap.models.base import JSONType
from socialmap.models.base import UTCDateTime
from socialmap.models.base import id_column
from socialmap.models.base import utcnow
from socialmap.models.provenance import BigId


class Person(db.Model):
    """The person in need: as little as the referral needs, stored apart from the referral.

    ``contact_method``: phone | email | through_referrer | none. Erased (all personal fields
    emptied, ``erased_at`` set) when the retention period of their closed referrals ends."""

    __tablename__ = "person"

    id: Mapped[str] = id_column()
    name: Mapped[str | None] = mapped_column(String(200))  # name or initials
    birth_year: Mapped[int | None] = mapped_column(Integer)
    postcode: Mapped[str | None] = mapped_column(String(8))
    language: Mapped[str | None] = mapped_column(String(8))
    contact_method: Mapped[str | None] = mapped_column(String(20))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    erased_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ReferralRequest(db.Model):
    """What the referrer asked (FHIR ServiceRequest): for one person, some needs, fanned out
    to one task per chosen service. ``idempotency_key`` makes a retried create harmless."""

    __tablename__ = "referral_request"
    __table_args__ = (UniqueConstraint("referrer_id", "idempotency_key"),)

    id: Mapped[str] = id_column()
    referrer_id: Mapped[str] = mapped_column(ForeignKey("user_account.id"), index=True)
    practice: Mapped[str | None] = mapped_column(String(200), index=True)
    shared_with_practice: Mapped[bool] = mapped_column(default=False)
    person_id: Mapped[str | None] = mapped_column(ForeignKey("person.id"), index=True)
    needs: Mapped[list[str]] = mapped_column(JSONType, default=list)
    urgency: Mapped[str] = mapped_column(String(16), default="routine")  # routine|urgent|asap
    note: Mapped[str | None] = mapped_column(Text)  # personal: erased with the person
    municipality: Mapped[str | None] = mapped_column(String(8))  # kept for statistics
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    tasks: Mapped[list[ReferralTask]] = relationship(back_populates="request")


class ReferralTask(db.Model):
    """One referral to one service (FHIR SDOH Task). ``version`` increases on every change;
    a writer must name the version it saw (optimistic concurrency)."""

    __tablename__ = "referral_task"
    __table_args__ = (Index("ix_referral_task_org_status", "organization_id", "status"),)

    id: Mapped[str] = id_column()
    request_id: Mapped[str] = mapped_column(ForeignKey("referral_request.id"), index=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id"), index=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organization.id"))
    status: Mapped[str] = mapped_column(String(20), index=True)
    reason_code: Mapped[str | None] = mapped_column(String(32))
    reason_text: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    requested_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    request: Mapped[ReferralRequest] = relationship(back_populates="tasks")
    consent: Mapped[Consent | None] = relationship(back_populates="task", uselist=False)


class Consent(db.Model):
    """The person's consent for one referral: what is shared with which organisation, given
    when and how (verbal | signed | online), and when it was withdrawn."""

    __tablename__ = "consent"

    id: Mapped[str] = id_column()
    task_id: Mapped[str] = mapped_column(
        ForeignKey("referral_task.id", ondelete="CASCADE"), unique=True
    )
    organization_id: Mapped[str] = mapped_column(ForeignKey("organization.id"))
    scope: Mapped[list[str]] = mapped_column(JSONType, default=list)
    method: Mapped[str] = mapped_column(String(16))
    given_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[str | None] = mapped_column(ForeignKey("user_account.id"))
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[str | None] = mapped_column(ForeignKey("user_account.id"))

    task: Mapped[ReferralTask] = relationship(back_populates="consent")

    @property
    def holds(self) -> bool:
        return self.withdrawn_at is None


class ReferralEvent(db.Model):
    """Append-only: every change of a task (``kind`` status | received | consent_withdrawn |
    reminder | note). Never updated except to erase ``note`` at the end of retention."""

    __tablename__ = "referral_event"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(
        ForeignKey("referral_task.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(24))
    action: Mapped[str | None] = mapped_column(String(24))
    actor_id: Mapped[str | None] = mapped_column(ForeignKey("user_account.id"))
    actor_side: Mapped[str | None] = mapped_column(String(16))  # requester | target | system
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    reason_code: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AccessLog(db.Model):
    """Who read which person's data, when, and through what (GDPR accountability)."""

    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    actor_id: Mapped[str] = mapped_column(ForeignKey("user_account.id"))
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(32))  # view | letter | export
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
