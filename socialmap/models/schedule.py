"""Opening hours: weekly slots (several a day), validity, closures and free-text notes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date
from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from socialmap.extensions import db
from socialmap.models.base import id_column


class Schedule(db.Model):
    """One weekly slot (weekday 1=Monday..7=Sunday, ``HH:MM`` local Europe/Brussels time) or,
    with weekday NULL, a free-text-only schedule ("op afspraak")."""

    __tablename__ = "schedule"

    id: Mapped[str] = id_column()
    service_id: Mapped[str | None] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), index=True
    )
    location_id: Mapped[str | None] = mapped_column(
        ForeignKey("location.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int | None] = mapped_column(Integer)
    opens_at: Mapped[str | None] = mapped_column(String(5))
    closes_at: Mapped[str | None] = mapped_column(String(5))
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    description: Mapped[str | None] = mapped_column(Text)


class Closure(db.Model):
    """Closed (or special hours when ``opens_at`` is set) from ``start_date`` to ``end_date``."""

    __tablename__ = "closure"

    id: Mapped[str] = id_column()
    service_id: Mapped[str | None] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), index=True
    )
    location_id: Mapped[str | None] = mapped_column(
        ForeignKey("location.id", ondelete="CASCADE"), index=True
    )
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(300))
    opens_at: Mapped[str | None] = mapped_column(String(5))
    closes_at: Mapped[str | None] = mapped_column(String(5))
