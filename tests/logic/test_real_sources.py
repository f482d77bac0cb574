"""Real multi-publisher data through the whole pipeline: the same organisations published by
WA 211, Whatcom and WithinReach end up as one canonical organisation each, re-imports are
idempotent, and every source record keeps its link."""

from __future__ import annotations

from conftest import DATA
from sqlalchemy import func
from sqlalchemy import select

from importers.formats import ReadOptions
from importers.pipeline import Settings
from importers.pipeline import run_import
from socialmap import models as m
from socialmap.logic.taxonomy import sync_taxonomies

US_SOURCES = [
    ("wa211", "airs-wa211", DATA / "wa211"),
    ("whatcom", "whatcom-airtable", DATA / "whatcom"),
    ("withinreach", "hsds-1-csv", DATA / "withinreach"),
]


def _run(session, source, fmt, path, **kw):
    out = run_import(
        session,
        source=source,
        fmt=fmt,
        location=str(path),
        options=ReadOptions(offline=True),
        settings=Settings(),
        **kw,
    )
    assert out.ok, out.error
    return out


def test_three_us_publishers_merge_into_shared_organisations(session):
    sync_taxonomies(session)
    session.commit()
    for source, fmt, path in US_SOURCES:
        _run(session, source, fmt, path)
    multi = session.execute(
        select(m.SourceRecord.organization_id)
        .join(m.Source)
        .where(m.SourceRecord.entity_type == "organization")
        .group_by(m.SourceRecord.organization_id)
        .having(func.count(func.distinct(m.Source.name)) > 1)
    ).all()
    # SOURCES.md counts 32 + 15 + 13 exact normalised-name overlaps between the three sets
    assert len(multi) >= 40
    # merging within one source is rare (WithinReach lists a few organisations per branch)
    per_source = session.execute(
        select(m.SourceRecord.organization_id, m.Source.name, func.count())
        .join(m.Source)
        .where(m.SourceRecord.entity_type == "organization")
        .group_by(m.SourceRecord.organization_id, m.Source.name)
        .having(func.count() > 1)
    ).all()
    assert len(per_source) <= 5
    again = [_run(session, *src) for src in US_SOURCES]
    for out in again:
        assert out.counts["created"] == 0 and out.counts["merged"] == 0, out.counts
        assert out.counts["updated"] == 0, out.counts


def test_hospital_sites_geocoded_with_current_nis_codes(session):
    sync_taxonomies(session)
    session.commit()
    out = _run(session, "be-hospitals", "be-hospitals", "")
    assert out.counts["created"] > 250
    nis = session.scalars(
        select(m.Address.municipality_nis).where(m.Address.postcode == "8400")
    ).all()
    assert nis and set(nis) == {"35013"}
    missing = session.scalar(
        select(func.count()).select_from(m.Location).where(m.Location.latitude.is_(None))
    )
    assert missing == 0
