"""The import pipeline end to end on the database: create, re-import, merge, survivorship,
history and revert, snapshots, dry runs and failures."""

from __future__ import annotations

import copy

from factories import coast_batch
from sqlalchemy import func
from sqlalchemy import select

from importers.pipeline import Settings
from importers.pipeline import run_import
from importers.records import Batch
from importers.records import IdentifierIn
from importers.records import LocationIn
from importers.records import OrganizationIn
from importers.records import ServiceIn
from socialmap import models as m
from socialmap.logic import catalog
from socialmap.logic.merging import pending_candidates
from socialmap.logic.merging import resolve_candidate
from socialmap.logic.provenance import change_fields
from socialmap.logic.provenance import field_source
from socialmap.logic.provenance import revert_change
from socialmap.logic.taxonomy import sync_taxonomies


def _import(session, batch, source="elz-kust", priority=50, **kw):
    sync_taxonomies(session)
    session.commit()
    return run_import(
        session,
        source=source,
        fmt="test",
        location="memory",
        batch=batch,
        settings=Settings(priority=priority),
        **kw,
    )


def _count(session, model, **where):
    q = select(func.count()).select_from(model)
    for k, v in where.items():
        q = q.where(getattr(model, k) == v)
    return session.scalar(q)


def test_first_import_creates_normalised_entities(session):
    out = _import(session, coast_batch())
    assert out.ok, out.error
    assert out.counts["created"] == 7
    assert out.counts["rejected"] == 0
    org = session.scalar(select(m.Organization).where(m.Organization.kbo_number == "0417.497.106"))
    assert org.name == "Budgetpunt Kust"
    assert org.legal_form == "vzw"
    assert org.website == "https://www.budgetpunt.example"
    phones = session.scalars(select(m.Phone.number).where(m.Phone.organization_id == org.id)).all()
    assert phones == ["+3259991234"]
    addr = session.scalar(select(m.Address).where(m.Address.postcode == "8400"))
    assert (addr.street, addr.house_number, addr.box) == ("Kerkstraat", "12", "3")
    assert addr.municipality_nis == "35013"
    loc = session.get(m.Location, addr.location_id)
    assert loc.latitude is not None and loc.geo_precision == "postcode"
    shouting = session.scalar(select(m.Organization).where(m.Organization.kbo_number.is_(None)))
    assert shouting.name == "Dienstencentrum de Zeewind"
    svc = session.scalar(select(m.Service).where(m.Service.name == "Schuldhulpverlening"))
    doc = catalog.get_service(session, svc.id)
    assert doc["needs"] == ["debt-counselling"]
    assert doc["is_free"] is True
    assert doc["intake"]["accepts_referrals"] is True
    assert doc["capacity"]["status"] == "waitlist"
    assert [s["opens_at"] for s in doc["locations"][0]["schedules"]] == ["09:00", "13:30"]
    assert _count(session, m.SourceRecord) == 7


def test_reimport_of_the_same_batch_changes_nothing(session):
    _import(session, coast_batch())
    before = _count(session, m.FieldHistory)
    out = _import(session, coast_batch())
    assert out.counts == {
        "created": 0,
        "updated": 0,
        "merged": 0,
        "unchanged": 7,
        "deactivated": 0,
        "rejected": 0,
        "review": 0,
    }
    assert _count(session, m.FieldHistory) == before
    assert _count(session, m.Organization) == 2


def test_changed_record_updates_fields_with_history_and_can_be_reverted(session):
    _import(session, coast_batch())
    batch = coast_batch()
    batch.services[0].description = "Nieuwe beschrijving."
    out = _import(session, batch)
    assert out.counts["updated"] == 1 and out.counts["unchanged"] == 6
    svc = session.scalar(select(m.Service).where(m.Service.name == "Schuldhulpverlening"))
    assert svc.description == "Nieuwe beschrijving."
    change = session.scalar(
        select(m.FieldHistory).where(
            m.FieldHistory.entity_id == svc.id, m.FieldHistory.field == "description"
        )
    )
    assert change.old_value == "Hulp bij schulden en budget."
    assert change.source_name == "elz-kust" and change.reason == "import"
    revert_change(session, change.id, changed_by="steward@example.be")
    session.commit()
    session.refresh(svc)
    assert svc.description == "Hulp bij schulden en budget."
    reasons = session.scalars(
        select(m.FieldHistory.reason).where(m.FieldHistory.entity_id == svc.id)
    ).all()
    assert "revert" in reasons


def test_second_source_merges_by_kbo_and_survivorship_follows_priority(session):
    _import(session, coast_batch(), source="elz-kust", priority=70)
    other = Batch()
    other.organizations.append(
        OrganizationIn(
            "sk-9",
            "BUDGETPUNT KUST",
            description="Beschrijving uit De Sociale Kaart",
            email="contact@budgetpunt.example",
            identifiers=[IdentifierIn("KBO", "0417497106")],
        )
    )
    out = _import(session, other, source="sociale-kaart", priority=80)
    assert out.counts["merged"] == 1 and out.counts["created"] == 0
    assert _count(session, m.Organization) == 2
    org = session.scalar(select(m.Organization).where(m.Organization.kbo_number == "0417.497.106"))
    # higher priority wins a field both sources give; the empty field is filled
    assert org.email == "contact@budgetpunt.example"
    assert org.description == "Beschrijving uit De Sociale Kaart"
    assert field_source(org.field_sources, "email")[0] == "sociale-kaart"
    assert field_source(org.field_sources, "website")[0] == "elz-kust"
    linked = session.scalars(
        select(m.SourceRecord.external_id).where(
            m.SourceRecord.organization_id == org.id, m.SourceRecord.entity_type == "organization"
        )
    ).all()
    assert sorted(linked) == ["org-1", "sk-9"]
    # a lower-priority source does not override
    low = copy.deepcopy(other)
    low.organizations[0].external_id = "x-1"
    low.organizations[0].email = "other@budgetpunt.example"
    _import(session, low, source="gemeente-lijst", priority=10)
    session.refresh(org)
    assert org.email == "contact@budgetpunt.example"


def test_person_edits_win_over_later_imports(session):
    _import(session, coast_batch())
    svc = session.scalar(select(m.Service).where(m.Service.name == "Budgetbeheer"))
    change_fields(
        session, "service", svc.id, {"description": "Door de dienst zelf"}, changed_by="p@x"
    )
    session.commit()
    batch = coast_batch()
    batch.services[1].description = "Uit de import"
    _import(session, batch)
    session.refresh(svc)
    assert svc.description == "Door de dienst zelf"


def test_rejected_rows_are_reported_and_the_rest_imported(session):
    batch = coast_batch()
    batch.services.append(ServiceIn("svc-bad", "org-1", None, ref="services.csv row 4"))
    batch.services.append(ServiceIn("svc-orphan", "org-404", "Zwevend", ref="services.csv row 5"))
    batch.services.append(ServiceIn("svc-1", "org-1", "Dubbel", ref="services.csv row 6"))
    out = _import(session, batch)
    assert out.ok and out.counts["created"] == 7 and out.counts["rejected"] == 3
    issues = session.scalars(select(m.ImportIssue).where(m.ImportIssue.rejected.is_(True))).all()
    by_ref = {i.ref: i for i in issues}
    assert by_ref["services.csv row 4"].field == "name"
    assert "unknown organization org-404" in by_ref["services.csv row 5"].reason
    assert "duplicate" in by_ref["services.csv row 6"].reason


def test_hostile_strings_are_stored_verbatim(session):
    batch = coast_batch()
    batch.services[0].description = "<script>alert(1)</script>\x00 ' OR 1=1 --"
    long_name = "Budgetpunt " + "x" * 10_000
    batch.organizations[0].name = long_name
    batch.organizations[0].raw = {"id": "org-1", "name": long_name}
    out = _import(session, batch)
    assert out.ok, out.error
    cut = [i for i in out.issues if i.field == "name" and "cut" in i.reason]
    assert cut and not cut[0].rejected
    record = session.scalar(select(m.SourceRecord).where(m.SourceRecord.external_id == "org-1"))
    assert record.raw["name"] == long_name  # what the source sent is kept as it was
    svc = session.scalar(select(m.Service).where(m.Service.name == "Schuldhulpverlening"))
    assert svc.description == "<script>alert(1)</script> ' OR 1=1 --"


def test_failed_source_writes_nothing_but_the_failed_run(session):
    _import(session, coast_batch())
    before = _count(session, m.SourceRecord)
    out = run_import(session, source="elz-kust", fmt="no-such-format", location="x.json")
    assert not out.ok and "unknown format" in out.error
    run = session.get(m.ImportRun, out.run_id)
    assert run.status == "failed" and "unknown format" in run.error
    assert _count(session, m.SourceRecord) == before


def test_dry_run_reports_without_writing(session):
    out = _import(session, coast_batch(), dry_run=True)
    assert out.status == "dry-run" and out.counts["created"] == 7
    assert len(out.changes) == 7
    assert any(
        line.startswith("create service 'svc-1' 'Schuldhulpverlening'") for line in out.changes
    )
    assert _count(session, m.Organization) == 0
    assert _count(session, m.ImportRun) == 0


def test_full_snapshot_deactivates_missing_records_and_never_deletes(session):
    _import(session, coast_batch())
    batch = coast_batch()
    gone = batch.services.pop(2)
    out = _import(session, batch, full_snapshot=True)
    assert out.counts["deactivated"] == 1 and out.counts["unchanged"] == 6
    svc = session.scalar(select(m.Service).where(m.Service.name == gone.name))
    assert svc.status == "inactive"
    record = session.scalar(select(m.SourceRecord).where(m.SourceRecord.external_id == "svc-3"))
    assert record.status == "missing"
    # it comes back
    out = _import(session, coast_batch(), full_snapshot=True)
    session.refresh(svc)
    assert svc.status == "active" and out.counts["updated"] == 1


def test_rejected_row_in_a_snapshot_does_not_deactivate_what_it_described(session):
    _import(session, coast_batch())
    bad = coast_batch()
    bad.services[0].name = None  # svc-1 is still in the source, but unusable this time
    out = _import(session, bad, full_snapshot=True)
    assert out.counts["rejected"] == 1 and out.counts["deactivated"] == 0
    statuses = session.scalars(select(m.Service.status)).all()
    assert statuses == ["active"] * 3


def test_review_candidate_then_steward_merge_keeps_ids_resolvable(session):
    _import(session, coast_batch())
    other = Batch()
    other.organizations.append(OrganizationIn("o", "Dienstencentrum de Zeewind", phones=[]))
    other.locations.append(LocationIn("l", "o", name="Zeewind", latitude=51.158, longitude=2.972))
    other.services.append(ServiceIn("s", "o", "Ontmoeting", location_refs=["l"]))
    sync_taxonomies(session)
    # thresholds that send every plausible pair to review (auto-merge unreachable)
    out = run_import(
        session,
        source="gemeente",
        fmt="test",
        location="memory",
        batch=other,
        settings=Settings(auto_merge=1.0, review=0.3),
    )
    assert out.counts["review"] >= 1 and out.counts["merged"] == 0
    cand = pending_candidates(session, "organization")[0]
    assert cand.features and cand.score >= 0.3
    resolve_candidate(session, cand.id, merge=True, actor="steward")
    absorbed = session.get(m.Organization, cand.entity_id)
    assert absorbed.status == "merged" and absorbed.merged_into_id == cand.candidate_id
    moved = session.scalars(
        select(m.Service.organization_id).where(m.Service.name == "Ontmoeting")
    ).all()
    assert moved == [cand.candidate_id]
    records = session.scalars(
        select(m.SourceRecord.external_id).where(
            m.SourceRecord.organization_id == cand.candidate_id,
            m.SourceRecord.entity_type == "organization",
        )
    ).all()
    assert sorted(records) == ["o", "org-2"]
    # re-importing the absorbed source record follows the redirect: nothing is recreated
    again = run_import(session, source="gemeente", fmt="test", location="memory", batch=other)
    assert again.counts["created"] == 0 and again.counts["unchanged"] == 3


def test_keep_apart_is_recorded(session):
    _import(session, coast_batch())
    other = Batch()
    other.organizations.append(OrganizationIn("o", "Dienstencentrum de Zeewind"))
    sync_taxonomies(session)
    run_import(
        session,
        source="g",
        fmt="test",
        location="m",
        batch=other,
        settings=Settings(auto_merge=1.0, review=0.3),
    )
    cand = pending_candidates(session)[0]
    resolve_candidate(session, cand.id, merge=False, actor="steward")
    assert session.get(m.MergeCandidate, cand.id).status == "kept_apart"
    assert _count(session, m.Organization, status="active") == 3
