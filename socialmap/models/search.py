"""Bookkeeping of the search index kept in the main database."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from socialmap.extensions import db
from socialmap.models.base import UTCDateTime


class SearchBacklog(db.Model):
    """A service whose index update failed after a commit; drained by ``flask search sync``
    (and by a full reindex). Its age is the index lag the health check reports."""

    __tablename__ = "search_backlog"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    service_id: Mapped[str] = mapped_column(String(36), index=True)
    failed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
