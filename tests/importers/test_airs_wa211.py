"""Tests for the WA 211 reader (real Whatcom-area export in tests/data/wa211 + edge cases)."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from importers.formats import ReadOptions
from importers.formats import airs_wa211
from importers.formats import load_all
from importers.records import Batch
from importers.records import MalformedSource

DATA = Path(__file__).resolve().parents[1] / "data" / "wa211"
FILES = ("wa211_agency.csv", "wa211_site.csv", "wa211_program.csv", "wa211_service.csv")


def _rows(name: str, folder: Path = DATA) -> list[dict[str, str]]:
    """The data rows of a file, the template row (first data row) left out."""
    with (folder / name).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert "*REQUIRED*" in " ".join(rows[0].values())  # the template row is really there
    return rows[1:]


def _ids(cell: str, key: str) -> list[str]:
    return [str(item[key]) for item in json.loads(cell)] if cell else []


@pytest.fixture(scope="module")
def batch() -> Batch:
    return airs_wa211.read(str(DATA), ReadOptions())


def test_registered_and_counts_skip_the_template_rows(batch: Batch) -> None:
    assert load_all()["airs-wa211"] is airs_wa211.read
    agencies, sites = _rows("wa211_agency.csv"), _rows("wa211_site.csv")
    programs, services = _rows("wa211_program.csv"), _rows("wa211_service.csv")
    assert sorted(o.external_id for o in batch.organizations) == sorted(
        r["Agency_Id"] for r in agencies
    )
    assert sorted(loc.external_id for loc in batch.locations) == sorted(r["Site_Id"] for r in sites)
    # Every service row, plus every program no service points to.
    used = {p for r in services for p in _ids(r["ServiceProgram_ServiceProgram"], "Program_Id")}
    orphans = {r["Program_Id"] for r in programs} - used
    assert len(batch.services) == len(services) + len(orphans)
    assert {s.external_id for s in batch.services} == {r["Service_Id"] for r in services} | {
        f"program-{p}" for p in orphans
    }
    # Template rows are neither imported nor reported.
    assert not [i for i in batch.issues if i.ref.endswith(" row 1")]
    assert [i for i in batch.issues if i.rejected] == []
    assert all(o.name != "*REQUIRED* text" for o in batch.organizations)
    assert batch.default_country == "US"


def test_links_between_services_sites_and_agencies_resolve(batch: Batch) -> None:
    org_ids = {o.external_id for o in batch.organizations}
    site_ids = {loc.external_id for loc in batch.locations}
    assert all(s.organization_ref in org_ids for s in batch.services)
    assert all(loc.organization_ref in org_ids for loc in batch.locations)
    assert all(set(s.location_refs) <= site_ids for s in batch.services)

    rows = {r["Service_Id"]: r for r in _rows("wa211_service.csv")}
    linked = dropped = 0
    for svc in batch.services:
        if svc.external_id not in rows:
            continue
        wanted = _ids(rows[svc.external_id]["ServiceSite_ServiceSite"], "Site_Id")
        assert svc.location_refs == [s for s in wanted if s in site_ids]
        linked += bool(svc.location_refs)
        dropped += len([s for s in wanted if s not in site_ids])
    assert linked > 300  # the Whatcom-area services really reach their sites
    site_warnings = [i for i in batch.issues if i.field == "ServiceSite_ServiceSite"]
    assert len(site_warnings) == dropped and not any(i.rejected for i in site_warnings)
    assert "Brigid Collins Family Support Center in Skagit" in " ".join(
        i.reason for i in site_warnings
    )

    svc = next(s for s in batch.services if s.external_id == "18575")
    assert (svc.organization_ref, svc.location_refs) == ("4929", ["164"])
    site = next(loc for loc in batch.locations if loc.external_id == "164")
    assert [a.address_type for a in site.addresses] == ["physical", "postal"]
    assert site.addresses[0].street == "800 Chestnut Street"
    assert site.addresses[0].country == "US" and site.phones[0].country == "US"
    assert site.schedules[0].description == "2nd Tu, 7pm."


def test_fein_identifiers(batch: Batch) -> None:
    expected = {r["Agency_Id"]: r["AgencySystem_Fein"] for r in _rows("wa211_agency.csv")}
    got = {o.external_id: [(i.scheme, i.value) for i in o.identifiers] for o in batch.organizations}
    assert got == {k: ([("FEIN", v)] if v else []) for k, v in expected.items()}
    assert sum(bool(v) for v in got.values()) > 20


def test_airs_categories_program_texts_and_hours(batch: Batch) -> None:
    rows = {r["Service_Id"]: r for r in _rows("wa211_service.csv")}
    for svc in batch.services[:200]:
        cell = rows[svc.external_id]["ServiceTaxonomy_ModuleServicepost"]
        codes = list(dict.fromkeys(_ids(cell, "taxonomy_code")))
        assert [(c.scheme, c.code) for c in svc.categories] == [("airs", c) for c in codes]

    svc = next(s for s in batch.services if s.external_id == "14601")
    program = next(p for p in _rows("wa211_program.csv") if p["Program_Id"] == "274")
    assert svc.fees_description == program["ProgramSystem_TypeOfFees"]
    assert svc.eligibility_description == program["ProgramSystem_Eligibility"]
    assert svc.intake is not None
    assert svc.intake.instructions == program["ProgramSystem_ApplicationintakeProcess"]
    slots = [(s.weekday, s.opens_at, s.closes_at) for s in svc.schedules if s.weekday]
    assert slots == [(day, "08:00", "17:00") for day in range(1, 6)]
    assert svc.schedules[-1].description == "M-F, 8am-5pm."
    assert svc.service_areas[0].name == "Whatcom County, WA"
    free = [s for s in batch.services if s.fees_description == "None."]
    assert free and all(s.is_free for s in free)


def test_statuses(batch: Batch) -> None:
    closures = {
        r["Service_Id"] for r in _rows("wa211_service.csv") if "COVID" in r["ServiceOption_Status"]
    }
    assert closures
    for svc in batch.services:
        if svc.external_id in closures:
            assert svc.status == "temporarily closed"
    hidden = [i for i in batch.issues if i.field == "ServiceOption_WebsiteVisibility"]
    assert len(hidden) == sum(
        "Hide" in r["ServiceOption_WebsiteVisibility"] for r in _rows("wa211_service.csv")
    )


def _small_copy(tmp_path: Path, rows: int = 6) -> Path:
    """The header, template row and a few data rows of every file."""
    for name in FILES:
        with (DATA / name).open(encoding="utf-8", newline="") as handle:
            records = list(csv.reader(handle))[: rows + 2]
        with (tmp_path / name).open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(records)
    return tmp_path


def test_inactive_agency_and_template_row_in_the_middle(tmp_path: Path) -> None:
    folder = _small_copy(tmp_path)
    path = folder / "wa211_agency.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        records = list(csv.reader(handle))
    records[2][2] = '["Inactive"]'  # first real agency
    records.append(records[1])  # the template row again, at the end
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(records)
    batch = airs_wa211.read(str(path), ReadOptions())  # a file path means its folder
    assert batch.organizations[0].external_id == records[2][0]
    assert batch.organizations[0].status == "inactive"
    assert batch.organizations[1].status == "active"
    rejected = [i for i in batch.issues if i.rejected]
    assert [i.ref for i in rejected] == [f"wa211_agency.csv row {len(records) - 1}"]
    assert "template" in rejected[0].reason


def test_truncated_and_garbled_files(tmp_path: Path) -> None:
    folder = _small_copy(tmp_path)
    path = folder / "wa211_program.csv"
    text = path.read_text(encoding="utf-8")
    # Cut the file inside a quoted cell: the rest of the file would vanish silently.
    cut = text.index('"[""Active', text.index("\n", text.index("\n") + 1)) + 5
    path.write_text(text[:cut], encoding="utf-8")
    with pytest.raises(MalformedSource, match="wa211_program.csv"):
        airs_wa211.read(str(folder), ReadOptions())

    shutil.copy(DATA / "wa211_program.csv", path)
    site = folder / "wa211_site.csv"
    lines = site.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = ",".join(lines[3].split(",")[:5]) + "\n"  # data row 3 loses its tail
    lines.append("\x00garbage without commas\n")
    site.write_text("".join(lines), encoding="utf-8")
    batch = airs_wa211.read(str(folder), ReadOptions())
    refs = {i.ref for i in batch.issues if i.rejected}
    assert refs == {"wa211_site.csv row 3", f"wa211_site.csv row {len(lines) - 1}"}
    assert len(batch.locations) == len(lines) - 4  # header, template, two bad rows

    (folder / "wa211_service.csv").unlink()
    with pytest.raises(MalformedSource, match="wa211_service.csv"):
        airs_wa211.read(str(folder), ReadOptions())
