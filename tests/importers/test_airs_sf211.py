"""Tests for the SF 211 AIRS reader (real sf_only.csv in tests/data/sf211 + edge cases)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from importers.formats import ReadOptions
from importers.formats import airs_sf211
from importers.formats import load_all
from importers.records import Batch
from importers.records import MalformedSource

DATA = Path(__file__).resolve().parents[1] / "data" / "sf211"
SF_ONLY = DATA / "sf_only.csv"


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with SF_ONLY.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def batch() -> Batch:
    return airs_sf211.read(str(DATA), ReadOptions())  # a folder means its sf_only.csv


def _level(rows: list[dict[str, str]], level: str) -> list[dict[str, str]]:
    return [r for r in rows if r["TaxonomyLevelName"] == level]


def test_whole_file_reads() -> None:
    # Speed is measured by benchmarks/, never asserted in a test.
    batch = load_all()["airs-sf211"](str(SF_ONLY), ReadOptions())
    assert len(batch.organizations) > 800


def test_counts_per_level(batch: Batch, rows: list[dict[str, str]]) -> None:
    assert len(rows) == 2824
    agencies = _level(rows, "Agency")
    sites = _level(rows, "Site")
    active_sites = [r for r in sites if r["AgencyStatus"] != "Inactive"]
    assert sorted(o.external_id for o in batch.organizations) == sorted(
        r["ResourceAgencyNum"] for r in agencies
    )
    # Active sites, plus agencies that have no site row of their own.
    parents = {r["ParentAgencyNum"] for r in sites}
    lonely = [
        r
        for r in agencies
        if r["ResourceAgencyNum"] not in parents
        and r["AgencyStatus"] == "Active"
        and (r["PhysicalAddress1"] or r["Latitude"])
    ]
    assert sorted(loc.external_id for loc in batch.locations) == sorted(
        r["ResourceAgencyNum"] for r in active_sites + lonely
    )
    inactive = [i for i in batch.issues if i.reason == "inactive site: left out"]
    assert len(inactive) == len(sites) - len(active_sites) and all(i.rejected for i in inactive)
    assert sorted(s.external_id for s in batch.services) == sorted(
        r["ResourceAgencyNum"] for r in _level(rows, "Program")
    )
    # The three program-at-site rows point to programs missing from the export, nameless.
    unnamed = [i for i in batch.issues if i.field == "ConnectsToProgramNum"]
    assert len(unnamed) == len(_level(rows, "ProgramAtSite")) == 3
    assert batch.default_country == "US"


def test_links_and_statuses(batch: Batch, rows: list[dict[str, str]]) -> None:
    org_ids = {o.external_id for o in batch.organizations}
    by_id = {r["ResourceAgencyNum"]: r for r in rows}
    for loc in batch.locations:
        row = by_id[loc.external_id]
        if row["TaxonomyLevelName"] == "Agency":
            assert loc.organization_ref == loc.external_id
        elif row["ParentAgencyNum"] in org_ids:
            assert loc.organization_ref == row["ParentAgencyNum"]
        else:
            assert loc.organization_ref is None
    orphans = [i for i in batch.issues if i.field == "ParentAgencyNum"]
    assert len(orphans) == sum(loc.organization_ref is None for loc in batch.locations)
    assert all(s.organization_ref in org_ids for s in batch.services)
    statuses = {o.external_id: o.status for o in batch.organizations}
    for row in _level(rows, "Agency"):
        wanted = "inactive" if row["AgencyStatus"] == "Inactive" else "active"
        assert statuses[row["ResourceAgencyNum"]] == wanted
    assert "inactive" in statuses.values()


def test_confidential_site(batch: Batch, rows: list[dict[str, str]]) -> None:
    locations = {loc.external_id: loc for loc in batch.locations}
    private = [
        r
        for r in _level(rows, "Site")
        if r["PhysicalAddressIsPrivate"] == "Yes" and r["AgencyStatus"] == "Active"
    ]
    assert private
    for row in private:
        loc = locations[row["ResourceAgencyNum"]]
        assert loc.confidential
        # The address stays in the record: the model hides it from the public.
        assert loc.addresses[0].street == (row["PhysicalAddress1"].strip() or None)
        assert loc.addresses[0].postcode == row["PhysicalPostalCode"]
    assert sum(loc.confidential for loc in batch.locations) == len(private) + sum(
        1
        for r in _level(rows, "Agency")
        if r["ResourceAgencyNum"] in locations and r["PhysicalAddressIsPrivate"] == "Yes"
    )
    jobscout = locations["10596540"]
    assert jobscout.confidential and jobscout.name == "JOBSCOUT"
    public = locations[_level(rows, "Site")[0]["ResourceAgencyNum"]]
    assert not public.confidential


def test_fein_phones_and_taxonomy(batch: Batch, rows: list[dict[str, str]]) -> None:
    feins = {r["ResourceAgencyNum"]: r["FEIN"] for r in rows if r["FEIN"]}
    assert len(feins) == 2
    for org in batch.organizations:
        wanted = [("FEIN", feins[org.external_id])] if org.external_id in feins else []
        assert [(i.scheme, i.value) for i in org.identifiers] == wanted

    by_id = {r["ResourceAgencyNum"]: r for r in rows}
    for record in (*batch.organizations, *batch.locations):
        row = by_id[record.external_id]
        private = {
            row[f"Phone{n}Number"] for n in range(1, 6) if row[f"Phone{n}IsPrivate"] == "TRUE"
        }
        assert not private & {p.number for p in record.phones}
        assert all(p.country == "US" for p in record.phones)

    svc = next(s for s in batch.services if s.external_id == "10605215")
    assert [(c.scheme, c.code, c.label) for c in svc.categories] == [
        ("airs", "RX-8450.7000-700", "Residential Alcoholism Treatment Facilities"),
        ("airs", "RX-8450.7000-750", "Residential Drug Abuse Treatment Facilities"),
    ]
    assert ("airs", "YS-2000.9500") in [(c.scheme, c.code) for c in svc.target_groups]
    assert svc.fees_description == by_id["10605215"]["FeeStructureSource"]
    # "TJ-3000.8000 * YH-0500.1600; TJ-3000.8000 * YH-6000.3100": one category, two targets.
    for svc in batch.services:
        entries = by_id[svc.external_id]["TaxonomyCodes"].split(";")
        codes = list(dict.fromkeys(e.split("*")[0].strip() for e in entries if e.strip()))
        targets = {t.strip() for e in entries for t in e.split("*")[1:]}
        assert [c.code for c in svc.categories] == codes
        assert {c.code for c in svc.target_groups if c.scheme == "airs"} == targets


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_invalid_utf8_and_hostile_text_warn_not_crash(tmp_path: Path) -> None:
    data = SF_ONLY.read_bytes()
    name = b"AIDS EMERGENCY FUND"
    assert data.count(name) >= 1
    data = data.replace(name, b"AIDS EMERGENCY\x92S FUND\x00<script>", 1)
    path = _write(tmp_path / "sf_only.csv", data)
    batch = airs_sf211.read(str(path), ReadOptions())
    with SF_ONLY.open(encoding="utf-8", newline="") as handle:
        number = next(
            n
            for n, r in enumerate(csv.DictReader(handle), start=1)
            if name.decode() in r["PublicName"]
        )
    warnings = [i for i in batch.issues if "invalid UTF-8" in i.reason]
    assert [(i.ref, i.field, i.rejected) for i in warnings] == [
        (f"sf_only.csv row {number}", "PublicName", False)
    ]
    org = next(o for o in batch.organizations if o.ref == f"sf_only.csv row {number}")
    assert org.name == "AIDS EMERGENCY\u2019S FUND<script>"  # cp1252 0x92, NUL dropped
    assert len(batch.organizations) == 841


def test_truncated_and_garbled_copies(tmp_path: Path) -> None:
    data = SF_ONLY.read_bytes()
    start = data.index(b',"Provides', len(data) // 2) + 12  # inside a quoted description
    with pytest.raises(MalformedSource, match="sf_only.csv"):
        airs_sf211.read(str(_write(tmp_path / "sf_only.csv", data[:start])), ReadOptions())

    lines = data.split(b"\n")
    lines.insert(3, b"10599999,HALF A ROW,,")
    lines.insert(5, b"10596470,DUPLICATE ID" + b"," * 151)
    batch = airs_sf211.read(str(_write(tmp_path / "sf_only.csv", b"\n".join(lines))), ReadOptions())
    rejected = {i.ref: i.reason for i in batch.issues if i.rejected and "inactive" not in i.reason}
    assert rejected["sf_only.csv row 3"].startswith("has 4 fields")
    assert rejected["sf_only.csv row 5"] == "duplicate id 10596470"

    header = data.split(b"\n", 1)[0].replace(b"TaxonomyLevelName", b"Level")
    with pytest.raises(MalformedSource, match="TaxonomyLevelName"):
        airs_sf211.read(str(_write(tmp_path / "sf_only.csv", header + b"\n1,2\n")), ReadOptions())


def test_staff_contact_columns_never_reach_the_raw_payload(
    batch: Batch, rows: list[dict[str, str]]
) -> None:
    assert airs_sf211.PERSONAL_COLUMNS <= set(rows[0])  # the file has them ...
    for rec in [*batch.organizations, *batch.locations, *batch.services]:
        assert not airs_sf211.PERSONAL_COLUMNS & set(rec.raw)  # ... the records do not
