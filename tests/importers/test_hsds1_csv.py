"""Tests for the ``hsds-1-csv`` reader (HSDS 1.x/2.x datapackages, WithinReach export)."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import pytest

from importers.formats import FORMATS
from importers.formats import ReadOptions
from importers.formats import load_all
from importers.formats.hsds1_csv import read
from importers.records import CategoryIn
from importers.records import ClosureIn
from importers.records import IdentifierIn
from importers.records import MalformedSource
from importers.records import ServiceAreaIn

DATA = Path(__file__).resolve().parents[1] / "data"
SAMPLE = DATA / "hsds1-sample"
WITHINREACH = DATA / "withinreach"


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def rejected(batch):
    return [issue for issue in batch.issues if issue.rejected]


@pytest.fixture(scope="module")
def sample():
    return read(str(SAMPLE / "all_resources"), ReadOptions())


@pytest.fixture(scope="module")
def withinreach():
    return read(str(WITHINREACH), ReadOptions())


def test_registered():
    load_all()
    assert FORMATS["hsds-1-csv"] is read


@pytest.mark.parametrize("variant", ["all_resources", "simple"])
def test_sample_counts_and_ids(variant):
    folder = SAMPLE / variant
    batch = read(str(folder), ReadOptions())
    assert [o.external_id for o in batch.organizations] == [
        row["id"] for row in csv_rows(folder / "organizations.csv")
    ]
    assert [s.external_id for s in batch.services] == [
        row["id"] for row in csv_rows(folder / "services.csv")
    ]
    assert [loc.external_id for loc in batch.locations] == [
        row["id"] for row in csv_rows(folder / "locations.csv")
    ]
    assert (len(batch.organizations), len(batch.services), len(batch.locations)) == (10, 13, 10)
    assert not rejected(batch)
    links = csv_rows(folder / "services_at_location.csv")
    by_id = {s.external_id: s for s in batch.services}
    for link in links:
        assert link["location_id"] in by_id[link["service_id"]].location_refs


def test_sample_schedules_closures_addresses(sample):
    svc = next(s for s in sample.services if s.name == "Never Homeless Helpline")
    loc = next(loc for loc in sample.locations if loc.name == "Sanctuary on 5th Street")
    slots = [(s.weekday, s.opens_at, s.closes_at) for s in svc.schedules]
    assert slots == [(1, "09:00", "17:00"), (2, "09:00", "17:00"), (3, "09:00", "17:00")]
    assert [s.weekday for s in loc.schedules] == [1, 2, 3]
    closure = ClosureIn(start=dt.date(2019, 12, 24), end=dt.date(2019, 12, 26))
    assert svc.closures == [closure] and loc.closures == [closure]
    assert [(a.address_type, a.city, a.state_province, a.country) for a in loc.addresses] == [
        ("physical", "New York City", "NY", "US"),
        ("postal", "New York City", "NY", "US"),
    ]
    assert sample.default_country == "US"
    assert svc.language == "en"
    assert loc.accessibility == ["disabled_parking", "Some details regarding the parking lot"]
    assert svc.languages == ["English", "Spanish"]
    # 1.x eligibility / payment_accepted / required documents / service areas
    assert svc.target_groups == [CategoryIn(scheme="label", label="adult")]
    assert svc.eligibility_description == "adult"
    assert svc.fees_description == "Payment accepted: cash, credit card"
    assert svc.required_documents == ["Sample required document"]
    assert svc.service_areas == [ServiceAreaIn(kind="text", name="Sample service area")]
    assert svc.intake.instructions == "Call for further information"


def test_sample_phones_and_identifiers(sample):
    by_name = {s.name: s for s in sample.services}
    org = next(o for o in sample.organizations if o.name == "Example Cross Trust")
    assert [(p.number, p.type) for p in org.phones] == [
        ("(223) 346 12361", "voice"),
        ("(223) 346 12361", "textphone"),
    ]
    # phones.csv row 5 only names a service_at_location: the phone goes to its service
    assert [p.number for p in by_name["Bubbles at The Cross"].phones] == [
        "(223) 4567 12534",
        "(773) 2351 2461",
    ]
    loc = next(loc for loc in sample.locations if loc.name == "The Roz Bernstein Building")
    assert [(p.number, p.extension) for p in loc.phones] == [("(0123) 4567 8900", "42")]
    sanctuary = next(o for o in sample.organizations if o.name == "Sanctuary Example City")
    assert sanctuary.identifiers == [IdentifierIn("EIN", "574374770", "tax_id")]
    assert by_name["Shop Assist"].capacity.waiting_weeks == 4.0  # wait_time "28 days"


def test_withinreach_counts(withinreach):
    services = csv_rows(WITHINREACH / "data" / "within_service.csv")
    nameless = [n for n, row in enumerate(services, start=1) if not row["name"].strip()]
    assert len(withinreach.organizations) == len(
        csv_rows(WITHINREACH / "data" / "within_organization.csv")
    )
    assert len(withinreach.locations) == len(csv_rows(WITHINREACH / "data" / "within_location.csv"))
    assert len(withinreach.services) == len(services) - len(nameless)
    assert [(i.ref, i.field) for i in rejected(withinreach)] == [
        (f"within_service.csv row {n}", "name") for n in nameless
    ]


def test_withinreach_mapping(withinreach):
    assert withinreach.default_country == "US"
    by_id = {s.external_id: s for s in withinreach.services}
    wic = by_id["3190"]
    assert (wic.minimum_age, wic.maximum_age) == (0.0, 5.0)  # x_age_range "0-5"
    assert CategoryIn(scheme="label", label="Food") in wic.categories  # x_need
    assert CategoryIn(scheme="label", label="WIC") in wic.categories  # x_keywords
    assert CategoryIn(scheme="airs", code="NL-6000.9500") in wic.categories
    assert wic.service_areas == [ServiceAreaIn(kind="text", name="WA")]
    assert wic.organization_ref == "1406"
    counties = [
        s for s in withinreach.services if any("County" in (a.name or "") for a in s.service_areas)
    ]
    assert [a.name for a in counties[0].service_areas][0] == "Whatcom County, WA"
    org = next(o for o in withinreach.organizations if o.external_id == "159")
    assert org.assured_date == dt.date(2022, 1, 24)  # x_last_complete_update_at 2022/01/24
    assert [p.number for p in org.phones] == ["3603832045"]
    loc = next(loc for loc in withinreach.locations if loc.external_id == "901")
    (address,) = loc.addresses
    assert (address.street, address.city, address.postcode, address.country) == (
        "4152 Meridian St,Suite 105",
        "Bellingham",
        "98226",
        "US",
    )
    assert (loc.latitude, loc.longitude) == (48.7920455, -122.4851992)
    assert loc.organization_ref == "208"
    assert loc.schedules[0].weekday is None and loc.schedules[0].description


def test_withinreach_files_found_by_name_not_broken_datapackage_paths(withinreach):
    # datapackage.json paths point to examples/withinreach/...; the within_*.csv files are used
    refs = {s.ref.split(" row ")[0] for s in withinreach.services}
    assert refs == {"within_service.csv"}
    missing = [i for i in withinreach.issues if i.ref == "datapackage.json"]
    assert len(missing) == 1 and "contacts" in missing[0].reason
    unknown = {(i.ref, i.field) for i in withinreach.issues if "unknown field" in i.reason}
    assert ("within_service.csv", "x_staff_notes") in unknown
    assert ("within_service.csv", "x_age_range") not in unknown


def test_missing_services_table(tmp_path):
    folder = tmp_path / "wr"
    shutil.copytree(WITHINREACH, folder)
    (folder / "data" / "within_service.csv").unlink()
    with pytest.raises(MalformedSource, match="services.csv"):
        read(str(folder), ReadOptions())


def test_holiday_hours_weekday_names_and_zip_areas(tmp_path):
    folder = tmp_path / "pkg"
    shutil.copytree(SAMPLE / "simple", folder)
    svc_id = csv_rows(folder / "services.csv")[0]["id"]
    (folder / "holiday_schedules.csv").write_text(
        "id,service_id,closed,opens_at,closes_at,start_date,end_date\n"
        f"h1,{svc_id},false,10:00,12:00,2024-12-24,2024-12-24\n"
        f"h2,{svc_id},,,,24/13/2024,\n",
        encoding="utf-8",
    )
    (folder / "regular_schedules.csv").write_text(
        f"id,service_id,weekday,opens_at,closes_at\nr1,{svc_id},Saturday,9u30,12:00\n"
        f"r2,{svc_id},9,10:00,11:00\n",
        encoding="utf-8",
    )
    (folder / "service_areas.csv").write_text(
        f'id,service_id,service_area\na1,{svc_id},"[{{""scope"":""zip"",""zip"":""98225""}}]"\n',
        encoding="utf-8",
    )
    (folder / "physical_addresses.csv").write_text(
        "id,location_id,address_1,city,state_province,postal_code\n"
        f"p1,{csv_rows(folder / 'locations.csv')[0]['id']},1 Main St,Bellingham,WA,98225\n",
        encoding="utf-8",
    )
    batch = read(str(folder), ReadOptions())
    svc = batch.services[0]
    assert svc.closures == [
        ClosureIn(
            start=dt.date(2024, 12, 24),
            end=dt.date(2024, 12, 24),
            opens_at="10:00",
            closes_at="12:00",
        )
    ]
    assert [(s.weekday, s.opens_at) for s in svc.schedules] == [(6, "09:30")]
    assert svc.service_areas == [ServiceAreaIn(kind="postcode", code="98225")]
    assert batch.default_country == "US"  # the address only gives a US state
    assert batch.locations[0].addresses[0].country == "US"
    warned = {(i.ref, i.field) for i in batch.issues if not i.rejected}
    assert ("holiday_schedules.csv row 2", "start_date") in warned
    assert ("regular_schedules.csv row 2", "weekday") in warned


def test_service_taxonomy_and_taxonomy_ids(tmp_path):
    folder = tmp_path / "pkg"
    shutil.copytree(SAMPLE / "all_resources", folder)
    services = csv_rows(folder / "services.csv")
    term = csv_rows(folder / "taxonomy.csv")[0]
    (folder / "services_taxonomy.csv").write_text(
        f"id,service_id,taxonomy_id,taxonomy_detail\nst1,{services[0]['id']},{term['id']},\n"
        f"st2,{services[1]['id']},missing-term,\n",
        encoding="utf-8",
    )
    batch = read(str(folder), ReadOptions())
    expected = CategoryIn(scheme="airs", label=term["name"])  # vocabulary "AIRS"
    assert batch.services[0].categories == [expected]
    assert batch.services[1].categories == []
    (issue,) = [i for i in batch.issues if i.ref == "services_taxonomy.csv row 2"]
    assert "unknown taxonomy term missing-term" in issue.reason
