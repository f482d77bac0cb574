"""Tests for the Whatcom Airtable reader (real export in tests/data/whatcom + edge cases)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from importers.formats import ReadOptions
from importers.formats import load_all
from importers.formats import whatcom_airtable
from importers.records import Batch
from importers.records import MalformedSource

DATA = Path(__file__).resolve().parents[1] / "data" / "whatcom"


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _ids(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(",") if part.strip()]


@pytest.fixture(scope="module")
def batch() -> Batch:
    return whatcom_airtable.read(str(DATA), ReadOptions())


def test_registered_and_counts(batch: Batch) -> None:
    assert load_all()["whatcom-airtable"] is whatcom_airtable.read
    assert [o.name for o in batch.organizations] == [
        r["name"].strip() for r in _rows("what_organization.csv")
    ]
    assert [loc.external_id for loc in batch.locations] == [
        r["id"] for r in _rows("what_location.csv")
    ]
    assert [s.external_id for s in batch.services] == [r["id"] for r in _rows("what_service.csv")]
    assert batch.default_country == "US"


def test_organisation_ids_are_learnt_from_the_linking_tables(batch: Batch) -> None:
    orgs = {o.name: o for o in batch.organizations}
    location = next(r for r in _rows("what_location.csv") if r["name"] == "Bellingham Food Bank")
    assert orgs["Bellingham Food Bank"].external_id == location["organization_id"]
    # A name with a comma is CSV-quoted inside the Airtable link cell.
    phones = _rows("what_phone.csv")
    phone = next(r for r in phones if '"DSHS, Island County ' in r["organizations"])
    assert orgs["DSHS, Island County"].external_id == _ids(phone["organization_id"])[0]
    unlinked = [o for o in batch.organizations if o.external_id.startswith("name:")]
    assert unlinked and all(o.external_id == f"name:{o.name}" for o in unlinked)
    assert len(unlinked) < 20


def test_links_resolve(batch: Batch) -> None:
    org_ids = {o.external_id for o in batch.organizations}
    location_ids = {loc.external_id for loc in batch.locations}
    rows = {r["id"]: r for r in _rows("what_service.csv")}
    for svc in batch.services:
        assert svc.location_refs == _ids(rows[svc.external_id]["location_id"])
        assert set(svc.location_refs) <= location_ids
        wanted = _ids(rows[svc.external_id]["organization_id"])
        assert svc.organization_ref == (wanted[0] if wanted else None)
        assert svc.organization_ref is None or svc.organization_ref in org_ids
    assert all(loc.organization_ref in org_ids | {None} for loc in batch.locations)
    two_orgs = [i for i in batch.issues if "organizations; the first is kept" in i.reason]
    assert [i.ref.split(" row")[0] for i in two_orgs] == ["what_location.csv"] * 2


def test_phones_addresses_schedules_and_taxonomy(batch: Batch) -> None:
    phone_rows = _rows("what_phone.csv")
    for records, column in ((batch.locations, "location_id"), (batch.services, "service_id")):
        for record in records:
            wanted = [
                r["number"].strip()
                for r in phone_rows
                if r["number"].strip() and record.external_id in _ids(r[column])
            ]
            assert [p.number for p in record.phones] == wanted
    assert sum(bool(s.phones) for s in batch.services) > 100
    linked = [r for r in phone_rows if r["organization_id"] or r["location_id"] or r["service_id"]]
    orphans = [i for i in batch.issues if i.reason.startswith("phone not linked")]
    assert len(orphans) == len(phone_rows) - len(linked) and all(i.rejected for i in orphans)

    food_bank = next(loc for loc in batch.locations if loc.name == "Bellingham Food Bank")
    wanted = [
        r["address_1"].strip()
        for r in _rows("what_physical_addresse.csv")
        if food_bank.external_id in _ids(r["location_id"])
    ]
    assert wanted and [a.street for a in food_bank.addresses] == wanted
    assert all(a.country == "US" for loc in batch.locations for a in loc.addresses)

    svc = next(s for s in batch.services if s.name == "Bellingham Food Bank")
    schedule_rows = [r for r in _rows("what_schedule.csv") if svc.external_id in r["service_id"]]
    assert schedule_rows
    first = schedule_rows[0]
    slot = next(s for s in svc.schedules if s.weekday == 1)
    assert (first["opens_at"], first["closes_at"]) == ("10:00 AM", "6:00 PM")
    assert (slot.opens_at, slot.closes_at) == ("10:00", "18:00")

    terms = {r["id"]: r for r in _rows("what_taxonomy_term.csv")}
    frc = next(s for s in batch.services if s.name == "Bellingham Family Resource Centers")
    row = next(r for r in _rows("what_service.csv") if r["id"] == frc.external_id)
    wanted = [terms[t] for t in _ids(row["taxonomy_term_id"])]
    assert [c.label for c in frc.categories] == [
        t["term"] for t in wanted if t["taxonomy"] == "Service Category"
    ]
    assert [c.label for c in frc.target_groups] == [
        t["term"] for t in wanted if t["taxonomy"] == "Service Eligibility"
    ]
    assert {c.scheme for c in frc.categories + frc.target_groups} == {"open-eligibility"}
    assert frc.service_areas[0].name == "Whatcom County"


def test_missing_truncated_and_garbled_files(tmp_path: Path) -> None:
    for path in DATA.glob("what_*.csv"):
        shutil.copy(path, tmp_path / path.name)
    service = tmp_path / "what_service.csv"
    text = service.read_text(encoding="utf-8")
    cut = text.index('"', len(text) // 2) + 3  # inside a quoted cell
    service.write_text(text[:cut], encoding="utf-8")
    with pytest.raises(MalformedSource, match="what_service.csv"):
        whatcom_airtable.read(str(tmp_path), ReadOptions())

    shutil.copy(DATA / "what_service.csv", service)
    location = tmp_path / "what_location.csv"
    lines = location.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(2, "just,three,cells\n")
    location.write_text("".join(lines), encoding="utf-8")
    batch = whatcom_airtable.read(str(tmp_path), ReadOptions())
    bad = [i for i in batch.issues if i.ref == "what_location.csv row 2"]
    assert len(bad) == 1 and bad[0].rejected
    assert len(batch.locations) == len(_rows("what_location.csv"))

    (tmp_path / "what_phone.csv").unlink()  # optional: organisations fall back to the cell
    batch = whatcom_airtable.read(str(tmp_path), ReadOptions())
    assert sum(bool(o.phones) for o in batch.organizations) == sum(
        bool(r["phones"]) for r in _rows("what_organization.csv")
    )
    (tmp_path / "what_organization.csv").unlink()
    with pytest.raises(MalformedSource, match="what_organization.csv"):
        whatcom_airtable.read(str(tmp_path), ReadOptions())
