"""Needs and target-group taxonomy terms (NL/FR/EN labels, synonyms, crosswalks)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from socialmap.extensions import db
from socialmap.models.base import JSONType


class TaxonomyTerm(db.Model):
    """HSDS taxonomy_term; ``kind`` is ``need`` or ``target_group``. The code is the id."""

    __tablename__ = "taxonomy_term"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("taxonomy_term.code"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    labels: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    descriptions: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    synonyms: Mapped[dict[str, list[str]]] = mapped_column(JSONType, default=dict)
    crosswalk: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.labels.get("nl") or self.code
