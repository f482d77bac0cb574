"""Services (an offer of an organisation) and what describes them: where they are given,
for whom, at what cost, how to apply, how much room they have."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean
from sqlalchemy import Column
from sqlalchemy import Date
from sqlalchemy import Float
from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy import Table
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from socialmap.extensions import db
from socialmap.models.base import CanonicalMixin
from socialmap.models.base import JSONType
from socialmap.models.base import UTCDateTime
from socialmap.models.base import id_column

service_need = Table(
    "service_need",
    db.metadata,
    Column("service_id", ForeignKey("service.id", ondelete="CASCADE"), primary_key=True),
    Column("term_code", ForeignKey("taxonomy_term.code"), primary_key=True, index=True),
)

service_target_group = Table(
    "service_target_group",
    db.metadata,
    Column("service_id", ForeignKey("service.id", ondelete="CASCADE"), primary_key=True),
    Column("term_code", ForeignKey("taxonomy_term.code"), primary_key=True, index=True),
)


class Service(CanonicalMixin, db.Model):
    __tablename__ = "service"

    id: Mapped[str] = id_column()
    organization_id: Mapped[str] = mapped_column(ForeignKey("organization.id"), index=True)
    name: Mapped[str] = mapped_column(String(500))
    alternate_name: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(2000))
    email: Mapped[str | None] = mapped_column(String(320))
    fees_description: Mapped[str | None] = mapped_column(Text)
    is_free: Mapped[bool | None] = mapped_column(Boolean)
    minimum_age: Mapped[float | None] = mapped_column(Float)
    maximum_age: Mapped[float | None] = mapped_column(Float)
    eligibility_description: Mapped[str | None] = mapped_column(Text)
    accreditations: Mapped[str | None] = mapped_column(Text)
    licenses: Mapped[str | None] = mapped_column(Text)
    alert: Mapped[str | None] = mapped_column(Text)
    #: A human confirmed the listing on this date (HSDS assured_date) ...
    assured_date: Mapped[dt.date | None] = mapped_column(Date)
    #: ... and this is who (e-mail or name of the steward/provider).
    assurer: Mapped[str | None] = mapped_column(String(320))


class ServiceAtLocation(db.Model):
    __tablename__ = "service_at_location"
    __table_args__ = (UniqueConstraint("service_id", "location_id"),)

    id: Mapped[str] = id_column()
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"))
    location_id: Mapped[str] = mapped_column(
        ForeignKey("location.id", ondelete="CASCADE"), index=True
    )
    description: Mapped[str | None] = mapped_column(Text)


class ServiceArea(db.Model):
    """Where the service's clients must live. ``kind``: municipality (NIS code) | postcode |
    province (ISO 3166-2:BE code) | region (VLG, BRU, WAL) | country (BE) | text."""

    __tablename__ = "service_area"

    id: Mapped[str] = id_column()
    service_id: Mapped[str] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    code: Mapped[str | None] = mapped_column(String(16), index=True)
    name: Mapped[str | None] = mapped_column(String(300))


class CostOption(db.Model):
    __tablename__ = "cost_option"

    id: Mapped[str] = id_column()
    service_id: Mapped[str] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), index=True
    )
    option: Mapped[str | None] = mapped_column(String(300))
    amount: Mapped[float | None] = mapped_column(Float)
    currency: Mapped[str | None] = mapped_column(String(3))
    amount_description: Mapped[str | None] = mapped_column(Text)


class RequiredDocument(db.Model):
    __tablename__ = "required_document"

    id: Mapped[str] = id_column()
    service_id: Mapped[str] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), index=True
    )
    document: Mapped[str] = mapped_column(String(500))


class IntakeProcedure(db.Model):
    """How to apply (aanmeldingswijze) and whether referrals through socialmap are accepted.

    ``methods``: self_referral, professional_referral, phone, email, form, walk_in, appointment.
    """

    __tablename__ = "intake_procedure"

    service_id: Mapped[str] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), primary_key=True
    )
    methods: Mapped[list[str]] = mapped_column(JSONType, default=list)
    instructions: Mapped[str | None] = mapped_column(Text)
    required_information: Mapped[str | None] = mapped_column(Text)
    accepts_referrals: Mapped[bool] = mapped_column(Boolean, default=False)
    translations: Mapped[dict[str, dict[str, str]]] = mapped_column(JSONType, default=dict)


class ServiceCapacity(db.Model):
    """Room to take new people (HSDS 3.1 service_capacity, FHIR SDOH capacity status).

    ``status``: available | waitlist | full | unknown."""

    __tablename__ = "service_capacity"

    service_id: Mapped[str] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(16), default="unknown")
    waiting_weeks: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_by: Mapped[str | None] = mapped_column(String(320))
