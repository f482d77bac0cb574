"""Organizations (legal entities) and their identifiers (KBO first)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date
from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from socialmap.extensions import db
from socialmap.models.base import CanonicalMixin
from socialmap.models.base import id_column


class Organization(CanonicalMixin, db.Model):
    __tablename__ = "organization"

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(500))
    alternate_name: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    legal_form: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(320))
    website: Mapped[str | None] = mapped_column(String(2000))
    kbo_number: Mapped[str | None] = mapped_column(String(12), index=True)
    assured_date: Mapped[dt.date | None] = mapped_column(Date)
    assurer: Mapped[str | None] = mapped_column(String(320))

    identifiers: Mapped[list[OrganizationIdentifier]] = relationship(
        back_populates="organization", cascade="all, delete-orphan"
    )


class OrganizationIdentifier(db.Model):
    """HSDS organization_identifier: KBO/BCE number, NIHII/RIZIV, FEIN, ..."""

    __tablename__ = "organization_identifier"

    id: Mapped[str] = id_column()
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    scheme: Mapped[str] = mapped_column(String(32))
    type: Mapped[str | None] = mapped_column(String(64))
    identifier: Mapped[str] = mapped_column(String(64), index=True)

    organization: Mapped[Organization] = relationship(back_populates="identifiers")
