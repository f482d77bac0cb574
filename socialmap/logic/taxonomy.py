"""Keep the taxonomy tables in step with the shipped taxonomy files."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from socialmap import models as m
from socialmap import taxonomy as data


def sync_taxonomies(session: Session) -> int:
    """Insert or update every need and target-group term; returns how many rows changed.

    Idempotent and cheap; runs before each import so service rows can reference the codes.
    Does not commit (the caller's transaction does)."""
    existing = {t.code: t for t in session.scalars(select(m.TaxonomyTerm))}
    changed = 0
    for kind, taxonomy in (("need", data.needs()), ("target_group", data.target_groups())):
        # parents first, so the self-reference is satisfied on every backend
        for position, term in enumerate(sorted(taxonomy.all(), key=lambda t: t.parent is not None)):
            values = {
                "kind": kind,
                "parent_code": term.parent,
                "position": position,
                "labels": dict(term.labels),
                "descriptions": dict(term.descriptions),
                "synonyms": {k: list(v) for k, v in term.synonyms.items()},
                "crosswalk": {
                    "sk_rubrics": list(term.sk_rubrics),
                    "fhir_sdoh": list(term.fhir_sdoh),
                    "airs": list(term.airs),
                    "open_eligibility": list(term.open_eligibility),
                },
            }
            row = existing.get(term.code)
            if row is None:
                session.add(m.TaxonomyTerm(code=term.code, **values))
                session.flush()
                changed += 1
            elif any(getattr(row, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(row, k, v)
                changed += 1
    session.flush()
    return changed
