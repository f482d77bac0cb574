"""Speed devices of big imports give the same result as the plain path: ascending id pools,
SQLite indexes rebuilt after bulk inserts (transactionally), matching keys computed ahead
in the normalising process."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text

from importers import matching
from importers import parallel
from importers.geocode import Geocoder
from importers.match_profiles import AheadKeys
from importers.match_profiles import batch_org_features
from importers.match_profiles import location_profile
from importers.match_profiles import org_profile
from importers.match_profiles import service_profile
from importers.pipeline import Settings
from importers.pipeline import run_import
from importers.transform import Transformer
from socialmap import models as m
from socialmap.gazetteer import get_gazetteer
from socialmap.logic import bulk
from socialmap.logic.bulk import new_ids
from socialmap.logic.taxonomy import sync_taxonomies

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from listings import generate_batches  # noqa: E402


def test_new_ids_are_sorted_distinct_version_4_uuids():
    ids = new_ids(2000)
    assert ids == sorted(ids)
    assert len(set(ids)) == 2000
    for value in ids[:200]:
        parsed = uuid.UUID(value)
        assert str(parsed) == value
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
    assert new_ids(0) == []


def _indexes(session, table):
    return set(
        session.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :t"),
            {"t": table},
        ).scalars()
    )


def _import(session, batch, source):
    return run_import(
        session,
        source=source,
        fmt="generated",
        location="memory",
        batch=batch,
        settings=Settings(priority=50),
    )


def _sqlite_only(session):
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite only: PostgreSQL keeps its indexes")


def test_bulk_insert_rebuilds_sqlite_indexes_in_the_transaction(session, monkeypatch):
    _sqlite_only(session)
    monkeypatch.setattr(bulk, "DEFER_INDEXES_MIN_ROWS", 10)
    sync_taxonomies(session)
    session.commit()
    before = {t: _indexes(session, t) for t in ("organization", "phone", "source_record")}
    statements: list[str] = []
    engine = session.get_bind()

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    a, _, _ = generate_batches(n=60, seed=3)
    try:
        out = _import(session, a, "source-a")
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert out.ok, out.error
    assert any(s.startswith("DROP INDEX") and "ix_phone_organization_id" in s for s in statements)
    assert out.counts["created"] > 0
    after = {t: _indexes(session, t) for t in before}
    assert after == before
    assert "ix_phone_organization_id" in after["phone"]
    # The rebuilt indexes answer queries like the originals.
    org = session.scalars(select(m.Organization.id)).first()
    plan = session.execute(
        text("EXPLAIN QUERY PLAN SELECT id FROM phone WHERE organization_id = :o"), {"o": org}
    ).all()
    assert any("ix_phone_organization_id" in str(row) for row in plan)


def test_a_failed_bulk_import_keeps_indexes_and_writes_nothing(session, monkeypatch):
    _sqlite_only(session)
    monkeypatch.setattr(bulk, "DEFER_INDEXES_MIN_ROWS", 10)
    sync_taxonomies(session)
    session.commit()
    before = _indexes(session, "organization") | _indexes(session, "phone")
    original = bulk.insert_columns

    def failing(session_, table, columns, batch_size=1000):
        original(session_, table, columns, batch_size)
        if table.name == "location":  # after organizations and their phones went in
            raise RuntimeError("disk full")

    monkeypatch.setattr("socialmap.logic.documents.insert_columns", failing)
    a, _, _ = generate_batches(n=60, seed=3)
    out = _import(session, a, "source-a")
    assert out.status == "failed"
    assert "disk full" in out.error
    assert _indexes(session, "organization") | _indexes(session, "phone") == before
    assert session.scalar(select(func.count()).select_from(m.Organization)) == 0
    assert session.scalar(select(func.count()).select_from(m.SourceRecord)) == 0


def _slots(keys):
    prepared, blocking = keys
    return {s: getattr(prepared, s) for s in type(prepared).__slots__}, blocking


def test_keys_computed_ahead_equal_the_pipeline_keys():
    gaz = get_gazetteer()
    batch, _, _ = generate_batches(n=200, seed=5)
    ids = {
        "organization": new_ids(len(batch.organizations)),
        "location": new_ids(len(batch.locations)),
        "service": new_ids(len(batch.services)),
    }
    prepared = Transformer(batch, gaz, Geocoder(gazetteer=gaz)).run()
    ahead = AheadKeys(batch, ids)
    postcodes, coords = batch_org_features(batch)
    org_of, loc_of, names = {}, {}, {}
    checked = 0
    for kind in ("organization", "location", "service"):
        for rec in prepared.of(kind):
            ahead.add(rec)
            eid = ids[kind][rec.index]
            d = dict(rec.doc)
            # What the pipeline has when nothing merged: the ids of new entities.
            if kind == "organization":
                org_of[rec.external_id] = eid
                names[eid] = d["name"]
                profile = org_profile(
                    eid, d, postcodes.get(rec.external_id), coords.get(rec.external_id)
                )
            elif kind == "location":
                loc_of[rec.external_id] = eid
                d["organization_id"] = org_of.get(rec.org_ref)
                profile = location_profile(eid, d, names.get(d["organization_id"]))
            else:
                d["organization_id"] = org_of[rec.org_ref]
                sites = sorted({loc_of[r] for r in rec.location_refs if r in loc_of})
                d["locations"] = [{"location_id": x} for x in sites]
                profile = service_profile(eid, d)
            assert rec.keys is not None
            assert _slots(rec.keys) == _slots(matching.prepare_keys(kind, profile))
            checked += 1
    assert checked == len(batch.organizations) + len(batch.locations) + len(batch.services)


def _merged_pairs(session):
    rows = session.execute(
        select(m.Source.name, m.SourceRecord.external_id, m.SourceRecord.organization_id)
        .join(m.Source)
        .where(m.SourceRecord.entity_type == "organization")
    ).all()
    by_org: dict[str, list[str]] = {}
    for name, ext, org in rows:
        by_org.setdefault(org, []).append(f"{name}:{ext}")
    return sorted(tuple(sorted(v)) for v in by_org.values() if len(v) > 1)


def _run_both(session, forked: bool, monkeypatch):
    sync_taxonomies(session)
    session.commit()
    monkeypatch.setattr(parallel, "MIN_RECORDS", 0 if forked else 10**9)
    if forked:
        # Keys ahead for every record, not only when the parent lags behind.
        original = parallel._add_keys
        monkeypatch.setattr(parallel, "_add_keys", lambda ahead, recs, _: original(ahead, recs, 1))
    a, b, _ = generate_batches(n=300, seed=11)
    counts = []
    for name, batch in (("source-a", a), ("source-b", b)):
        out = _import(session, batch, name)
        assert out.ok, out.error
        counts.append(out.counts)
    pairs = _merged_pairs(session)
    again = _import(session, a, "source-a")  # idempotent
    records = len(a.organizations) + len(a.locations) + len(a.services)
    assert again.counts["unchanged"] == records
    assert _merged_pairs(session) == pairs
    return counts, pairs


def test_forked_import_with_keys_ahead_merges_like_in_process(session, monkeypatch):
    from conftest import _empty_tables

    alone = _run_both(session, False, monkeypatch)
    session.remove()
    _empty_tables()
    forked = _run_both(session, True, monkeypatch)
    assert forked[0] == alone[0]
    assert forked[1] == alone[1]
    assert alone[0][1]["merged"] > 0
