"""What the web interface adds around the map: correction suggestions from the public,
requests to providers to confirm a stale listing, shared lists of services, the needs
questionnaire a region's stewards configure, and password-reset tokens."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from socialmap.extensions import db
from socialmap.models.base import JSONType
from socialmap.models.base import UTCDateTime
from socialmap.models.base import id_column
from socialmap.models.base import utcnow

#: Statuses of a correction suggestion in the stewards' queue.
CORRECTION_STATUSES: tuple[str, ...] = ("open", "applied", "dismissed")


class CorrectionSuggestion(db.Model):
    """Someone (citizen, referrer, provider) says a listing is wrong; a steward decides.

    No personal data is required: ``contact`` is an optional e-mail address for a reply, erased
    when the suggestion is closed."""

    __tablename__ = "correction_suggestion"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id"), index=True)
    #: Which part is wrong: a field name from logic.corrections.FIELDS (``phone``, ``hours``...).
    field: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(320))
    submitted_by_id: Mapped[str | None] = mapped_column(ForeignKey("user_account.id"))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(320))
    decision_note: Mapped[str | None] = mapped_column(Text)


class VerificationRequest(db.Model):
    """A steward asked the provider to confirm a listing; answered when the provider confirms."""

    __tablename__ = "verification_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id"), index=True)
    requested_by_id: Mapped[str | None] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    confirmed_by: Mapped[str | None] = mapped_column(String(320))


class SharedList(db.Model):
    """A list of services shared by a short link (``/l/<code>``); holds no personal data."""

    __tablename__ = "shared_list"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    service_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    #: The search that produced the list (what/where), shown as the list's heading.
    title: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Questionnaire(db.Model):
    """The needs questionnaire of a region: per life domain, short psychosocial questions that
    each point at taxonomy needs. ``domains`` is a list of
    ``{"code", "title": {lang: text}, "questions": [{"text": {lang: text}, "needs": [code]}]}``.
    A region without one uses logic.questionnaires.DEFAULT."""

    __tablename__ = "questionnaire"

    region_id: Mapped[str] = mapped_column(ForeignKey("region.id"), primary_key=True)
    domains: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(320))


class PasswordReset(db.Model):
    """A password-reset link sent through the outbox; only the token's SHA-256 is stored."""

    __tablename__ = "password_reset"

    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
