"""People who use socialmap (not the people in need): accounts, organisation membership,
API tokens, invitations, login attempts, and the regions stewards curate."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean
from sqlalchemy import Column
from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Table
from sqlalchemy import Text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from socialmap.extensions import db
from socialmap.models.base import JSONType
from socialmap.models.base import UTCDateTime
from socialmap.models.base import id_column
from socialmap.models.base import utcnow
from socialmap.models.provenance import BigId

#: referrer: GP, social worker, pharmacist; provider: staff of one or more organisations;
#: steward: curates the map of a region (ELZ staff); admin: everything but personal data reads.
ROLES: tuple[str, ...] = ("referrer", "provider", "steward", "admin")

user_organization = Table(
    "user_organization",
    db.metadata,
    Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    Column("organization_id", ForeignKey("organization.id"), primary_key=True, index=True),
)

region_steward = Table(
    "region_steward",
    db.metadata,
    Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    Column("region_id", ForeignKey("region.id", ondelete="CASCADE"), primary_key=True),
)


class User(db.Model):
    """An account. ``practice`` groups referrers who may share referrals (a GP practice, a
    social service); ``password_hash`` is a werkzeug scrypt hash (None until set)."""

    __tablename__ = "user_account"

    id: Mapped[str] = id_column()
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16), index=True)
    practice: Mapped[str | None] = mapped_column(String(200), index=True)
    language: Mapped[str] = mapped_column(String(8), default="nl")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Part of the session cookie's user id: bumping it (sign-out, new password) ends every
    #: session of this user, including copied cookies.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    # Loaded when used (every API request loads its user: keep that one query).
    organizations = relationship("Organization", secondary=user_organization)
    regions = relationship("Region", secondary=region_steward)

    # Flask-Login's user protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_epoch or 0}"

    @property
    def organization_ids(self) -> set[str]:
        return {o.id for o in self.organizations}


class ApiToken(db.Model):
    """A personal API token; only its SHA-256 is stored, ``prefix`` identifies it in lists."""

    __tablename__ = "api_token"

    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    name: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Invitation(db.Model):
    """An invitation to create an account; only the token's SHA-256 is stored."""

    __tablename__ = "invitation"

    id: Mapped[str] = id_column()
    email: Mapped[str] = mapped_column(String(320), index=True)
    role: Mapped[str] = mapped_column(String(16))
    organization_id: Mapped[str | None] = mapped_column(ForeignKey("organization.id"))
    region_id: Mapped[str | None] = mapped_column(ForeignKey("region.id"))
    practice: Mapped[str | None] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class LoginAttempt(db.Model):
    """Failed and successful sign-ins, for rate limiting per e-mail and per address."""

    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    remote_addr: Mapped[str | None] = mapped_column(String(64), index=True)
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Region(db.Model):
    """A set of municipalities (2025 NIS codes) a steward curates, e.g. one eerstelijnszone."""

    __tablename__ = "region"

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(200), unique=True)
    municipalities: Mapped[list[str]] = mapped_column(JSONType, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class RegionService(db.Model):
    """A steward's decision whether a service is referable through socialmap in a region.

    Without a decision, a service is referable when its intake procedure accepts referrals."""

    __tablename__ = "region_service"

    region_id: Mapped[str] = mapped_column(
        ForeignKey("region.id", ondelete="CASCADE"), primary_key=True
    )
    service_id: Mapped[str] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    referable: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(320))
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
