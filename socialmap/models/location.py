"""Locations (physical sites, postal or virtual) and their addresses."""

from __future__ import annotations

from sqlalchemy import Boolean
from sqlalchemy import Float
from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from socialmap.extensions import db
from socialmap.models.base import CanonicalMixin
from socialmap.models.base import JSONType
from socialmap.models.base import id_column


class Location(CanonicalMixin, db.Model):
    """A site. ``confidential`` hides address and coordinates from the public (e.g. a shelter);
    ``front_door`` is the contact shown instead."""

    __tablename__ = "location"

    id: Mapped[str] = id_column()
    organization_id: Mapped[str | None] = mapped_column(ForeignKey("organization.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(500))
    alternate_name: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    location_type: Mapped[str] = mapped_column(String(16), default="physical")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    #: How good the coordinates are: source | address | postcode | municipality.
    geo_precision: Mapped[str | None] = mapped_column(String(16))
    transportation: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(2000))
    accessibility: Mapped[list[str]] = mapped_column(JSONType, default=list)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    front_door: Mapped[str | None] = mapped_column(Text)

    addresses: Mapped[list[Address]] = relationship(
        back_populates="location", cascade="all, delete-orphan"
    )


class Address(db.Model):
    """A Belgian-style address: street + house number + box; postcode checked against the
    gazetteer; ``municipality_nis`` is the current (2025) NIS code."""

    __tablename__ = "address"

    id: Mapped[str] = id_column()
    location_id: Mapped[str] = mapped_column(
        ForeignKey("location.id", ondelete="CASCADE"), index=True
    )
    address_type: Mapped[str] = mapped_column(String(16), default="physical")
    street: Mapped[str | None] = mapped_column(String(300))
    house_number: Mapped[str | None] = mapped_column(String(32))
    box: Mapped[str | None] = mapped_column(String(32))
    address_2: Mapped[str | None] = mapped_column(String(300))
    postcode: Mapped[str | None] = mapped_column(String(16), index=True)
    city: Mapped[str | None] = mapped_column(String(200))
    municipality_nis: Mapped[str | None] = mapped_column(String(8), index=True)
    state_province: Mapped[str | None] = mapped_column(String(64))
    region: Mapped[str | None] = mapped_column(String(64))
    country: Mapped[str] = mapped_column(String(2), default="BE")
    attention: Mapped[str | None] = mapped_column(String(300))

    location: Mapped[Location] = relationship(back_populates="addresses")

    def one_line(self) -> str:
        street = " ".join(p for p in (self.street, self.house_number) if p)
        if self.box:
            street += f" bus {self.box}"
        place = " ".join(p for p in (self.postcode, self.city) if p)
        return ", ".join(p for p in (street, place) if p)
