"""Provenance: sources, the records they sent, field-level history, import runs and issues,
and merge candidates awaiting a steward's decision."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger
from sqlalchemy import Boolean
from sqlalchemy import Float
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from socialmap.extensions import db
from socialmap.models.base import JSONType
from socialmap.models.base import UTCDateTime
from socialmap.models.base import utcnow

BigId = BigInteger().with_variant(Integer(), "sqlite")


class Source(db.Model):
    """A provenance source (``sociale-kaart``, ``elz-kust``); several files can share one."""

    __tablename__ = "source"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    format: Mapped[str | None] = mapped_column(String(32))
    priority: Mapped[int] = mapped_column(Integer, default=50)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SourceRecord(db.Model):
    """One record as a source sent it, linked to the canonical entity it feeds."""

    __tablename__ = "source_record"
    __table_args__ = (UniqueConstraint("source_id", "entity_type", "external_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id"))
    entity_type: Mapped[str] = mapped_column(String(16))  # organization | location | service
    external_id: Mapped[str] = mapped_column(String(300))
    raw: Mapped[Any] = mapped_column(JSONType)
    content_hash: Mapped[str] = mapped_column(String(64))
    first_seen: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | missing
    last_run_id: Mapped[int | None] = mapped_column(Integer)
    organization_id: Mapped[str | None] = mapped_column(String(36), index=True)
    location_id: Mapped[str | None] = mapped_column(String(36), index=True)
    service_id: Mapped[str | None] = mapped_column(String(36), index=True)


class FieldHistory(db.Model):
    """A change of one canonical field: by an import (source), a merge, or a person."""

    __tablename__ = "field_history"
    __table_args__ = (Index("ix_field_history_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    entity_type: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[str] = mapped_column(String(36))
    field: Mapped[str] = mapped_column(String(64))
    old_value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    new_value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    #: import | merge | edit | revert | deactivate | reactivate
    reason: Mapped[str] = mapped_column(String(16))
    source_name: Mapped[str | None] = mapped_column(String(100))
    source_record_id: Mapped[int | None] = mapped_column(BigId)
    changed_by: Mapped[str | None] = mapped_column(String(320))
    import_run_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ImportRun(db.Model):
    __tablename__ = "import_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id"))
    format: Mapped[str] = mapped_column(String(32))
    location: Mapped[str] = mapped_column(Text)
    #: running | succeeded | failed | dry-run
    status: Mapped[str] = mapped_column(String(16), default="running")
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    full_snapshot: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    merged: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    deactivated: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    review: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)

    COUNTS = ("created", "updated", "merged", "unchanged", "deactivated", "rejected", "review")


class ImportIssue(db.Model):
    __tablename__ = "import_issue"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("import_run.id", ondelete="CASCADE"), index=True)
    ref: Mapped[str] = mapped_column(String(300))
    field: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    rejected: Mapped[bool] = mapped_column(Boolean, default=True)


class MergeCandidate(db.Model):
    """A pair scored between the review and auto-merge thresholds, for a steward to decide.

    ``entity_id`` was created by the import; ``candidate_id`` is the existing look-alike."""

    __tablename__ = "merge_candidate"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[str] = mapped_column(String(36), index=True)
    candidate_id: Mapped[str] = mapped_column(String(36), index=True)
    score: Mapped[float] = mapped_column(Float)
    features: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    reasons: Mapped[list[str]] = mapped_column(JSONType, default=list)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    run_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(320))
