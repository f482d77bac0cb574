"""Phones, organisational contacts and languages (HSDS phone, contact, language)."""

from __future__ import annotations

from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from socialmap.extensions import db
from socialmap.models.base import id_column


class Phone(db.Model):
    """``number`` is E.164 (``+3250369111``) or a national short number (``1712``)."""

    __tablename__ = "phone"

    id: Mapped[str] = id_column()
    organization_id: Mapped[str | None] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    service_id: Mapped[str | None] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), index=True
    )
    location_id: Mapped[str | None] = mapped_column(
        ForeignKey("location.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[str] = mapped_column(String(32), index=True)
    extension: Mapped[str | None] = mapped_column(String(16))
    type: Mapped[str | None] = mapped_column(String(16))
    description: Mapped[str | None] = mapped_column(String(500))


class Contact(db.Model):
    """An organisational role (``Onthaal``, ``Intake``), never a private person's data."""

    __tablename__ = "contact"

    id: Mapped[str] = id_column()
    organization_id: Mapped[str | None] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    service_id: Mapped[str | None] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), index=True
    )
    location_id: Mapped[str | None] = mapped_column(
        ForeignKey("location.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(32))


class Language(db.Model):
    """A language spoken at a service or location (ISO 639-1 code)."""

    __tablename__ = "language"

    id: Mapped[str] = id_column()
    service_id: Mapped[str | None] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), index=True
    )
    location_id: Mapped[str | None] = mapped_column(
        ForeignKey("location.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(8), index=True)
    note: Mapped[str | None] = mapped_column(String(300))
