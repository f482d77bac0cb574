"""Tests for the ``hsds-json`` reader (HSDS 3.0 JSON) on the official examples."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from importers.formats import FORMATS
from importers.formats import ReadOptions
from importers.formats import load_all
from importers.formats.hsds_json import read
from importers.records import CategoryIn
from importers.records import IdentifierIn
from importers.records import MalformedSource
from importers.records import ServiceAreaIn

DATA = Path(__file__).resolve().parents[1] / "data" / "hsds3"


def load(name: str):
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def write(tmp_path: Path, name: str, data, encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding=encoding)
    return str(path)


def rejected(batch):
    return [issue for issue in batch.issues if issue.rejected]


def service(**fields):
    return {"id": "s1", "name": "Dienst", "status": "active", **fields}


def test_registered():
    load_all()
    assert FORMATS["hsds-json"] is read


@pytest.mark.parametrize(
    ("name", "orgs", "services", "locations"),
    [
        ("organization_full.json", 1, 1, 1),
        ("service_full.json", 1, 1, 1),
        ("service_at_location_full.json", 1, 1, 1),
        ("service_at_location_list.json", 1, 1, 1),
        ("service_list.json", 1, 1, 0),
        ("organization_list.json", 1, 0, 0),
        ("location.json", 0, 0, 1),
        ("tabular.json", 1, 1, 1),
        ("taxonomy_term_list.json", 0, 0, 0),
        ("base.json", 0, 0, 0),
    ],
)
def test_example_counts(name, orgs, services, locations):
    batch = read(str(DATA / name), ReadOptions())
    assert (len(batch.organizations), len(batch.services), len(batch.locations)) == (
        orgs,
        services,
        locations,
    )
    assert not rejected(batch)
    for record in batch.organizations + batch.services + batch.locations:
        json.dumps(record.raw)  # raw stays JSON-serialisable


def test_whole_folder_merges_copies_and_reports_conflicting_ones():
    batch = read(str(DATA), ReadOptions())
    assert (len(batch.organizations), len(batch.services), len(batch.locations)) == (1, 1, 1)
    # location.json gives another external_identifier than the nested copies
    conflicts = [i for i in batch.issues if "appears" in i.reason]
    assert len(conflicts) == 1
    assert conflicts[0].field == "external_identifier"
    assert not conflicts[0].rejected
    # the location is nested in organization_full.json's organization: owner from nesting
    assert batch.locations[0].organization_ref == batch.organizations[0].external_id


def test_service_full_mapping():
    source = load("service_full.json")
    batch = read(str(DATA / "service_full.json"), ReadOptions())
    (svc,) = batch.services
    (org,) = batch.organizations
    (loc,) = batch.locations
    location_source = source["service_at_locations"][0]["location"]
    assert svc.external_id == source["id"]
    assert org.external_id == source["organization"]["id"]
    assert loc.external_id == location_source["id"]
    assert svc.organization_ref == org.external_id
    assert svc.location_refs == [loc.external_id]
    assert svc.name == "Community Counselling"
    assert (svc.minimum_age, svc.maximum_age) == (12.0, 100.0)
    assert svc.assured_date == dt.date(2005, 1, 1)
    assert svc.last_modified == dt.datetime(2023, 3, 15, 10, 30, 45, 123000, tzinfo=dt.UTC)
    assert svc.fees_description.startswith("Non-NHS patients")
    assert svc.eligibility_description.startswith("This service is intended")
    assert svc.intake.instructions.startswith("If you are an NHS patient")
    # schedule byday "TH,FR", 10:00:00-18:00:00 -> one slot per weekday
    assert [(s.weekday, s.opens_at, s.closes_at) for s in svc.schedules] == [
        (4, "10:00", "18:00"),
        (5, "10:00", "18:00"),
    ]
    assert "lunch break" in svc.schedules[0].description  # notes kept with description
    # the same phone is nested under service, service_at_location, org and location
    assert [p.number for p in svc.phones] == ['"+44 1234 234567"']
    assert svc.phones[0].extension == "100"
    assert [p.number for p in org.phones] == ['"+44 1234 234567"']
    assert [p.number for p in loc.phones] == ['"+44 1234 234567"']
    assert svc.languages == ["ur"]
    assert svc.categories == [CategoryIn(scheme="taxonomy", code="code", label="name")]
    assert svc.costs[0].amount == 35.0 and svc.costs[0].currency == "GBP"
    assert svc.service_areas == [
        ServiceAreaIn(kind="text", name=source["service_areas"][0]["name"])
    ]
    assert svc.required_documents[0].startswith("Any official identification")
    assert org.identifiers == [
        IdentifierIn(scheme="GB-COH", value="1234567", type="Company number")
    ]
    assert org.website == "http://example.com"
    (address,) = loc.addresses
    assert (address.street, address.city, address.postcode, address.country) == (
        "1-30 Main Street",
        "MyCity",
        "ABC 1234",
        "US",
    )
    assert address.address_type == "postal"
    assert loc.accessibility[0].startswith("The building is equipped")
    # latitude 100 is not a latitude
    assert loc.latitude is None and loc.longitude is None
    assert any(i.field == "latitude" and not i.rejected for i in batch.issues)
    # English example data with US addresses
    assert batch.default_country == "US"
    assert svc.language == "en"
    # nested location copies are identical: merged without any warning about copies
    assert not [i for i in batch.issues if "appears" in i.reason]


def test_raw_cuts_nested_entities_to_ids():
    batch = read(str(DATA / "organization_full.json"), ReadOptions())
    raw = batch.organizations[0].raw
    assert raw["services"] == [{"id": batch.services[0].external_id}]
    assert raw["name"] == "Example Organization Inc."


def test_kbo_identifiers(tmp_path):
    org = {
        "id": "o1",
        "name": "vzw De Brug",
        "description": "x",
        "organization_identifiers": [
            {
                "id": "i1",
                "identifier_scheme": "BE-BCE_KBO",
                "identifier_type": "x",
                "identifier": "0412.345.678",
            },
            {"id": "i2", "identifier_type": "Ondernemingsnummer", "identifier": "0876 543 210"},
            {
                "id": "i3",
                "identifier_type": "Numéro d'entreprise (BCE)",
                "identifier": "0123456749",
            },
            {
                "id": "i4",
                "identifier_scheme": "GB-CHC",
                "identifier_type": "Charity",
                "identifier": "12",
            },
        ],
    }
    batch = read(write(tmp_path, "org.json", org), ReadOptions())
    identifiers = batch.organizations[0].identifiers
    assert [(i.scheme, i.value) for i in identifiers] == [
        ("KBO", "0412.345.678"),
        ("KBO", "0876 543 210"),
        ("KBO", "0123456749"),
        ("GB-CHC", "12"),
    ]


def test_malformed_json_raises(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"id": "s1", "name": ', encoding="utf-8")
    with pytest.raises(MalformedSource, match="broken.json"):
        read(str(path), ReadOptions())


def test_unrecognised_json_raises(tmp_path):
    with pytest.raises(MalformedSource, match="no HSDS"):
        read(write(tmp_path, "other.json", {"foo": 1, "bar": [1, 2]}), ReadOptions())
    with pytest.raises(MalformedSource):
        read(write(tmp_path, "number.json", 42), ReadOptions())


def test_empty_folder_raises(tmp_path):
    with pytest.raises(MalformedSource, match="no \\*.json"):
        read(str(tmp_path), ReadOptions())


def test_duplicate_top_level_ids_rejected(tmp_path):
    data = [service(), service(name="Tweede"), service(id="s2", name="Derde")]
    batch = read(write(tmp_path, "services.json", data), ReadOptions())
    assert [s.name for s in batch.services] == ["Dienst", "Derde"]
    (issue,) = rejected(batch)
    assert issue.ref == "services.json $[1]"
    assert issue.reason == "duplicate id s1"


def test_missing_name_and_id_rejected(tmp_path):
    data = {"contents": [service(), service(id="s2", name=""), {"name": "x", "status": "active"}]}
    batch = read(write(tmp_path, "page.json", data), ReadOptions())
    assert [s.external_id for s in batch.services] == ["s1"]
    refs = {(i.ref, i.field) for i in rejected(batch)}
    assert refs == {("page.json $.contents[1]", "name"), ("page.json $.contents[2]", "id")}


def test_empty_page_is_an_empty_batch(tmp_path):
    page = {"total_items": 0, "total_pages": 0, "contents": []}
    batch = read(write(tmp_path, "page.json", page), ReadOptions())
    assert batch.services == [] and batch.issues == []


def test_unknown_fields_warned_once_per_key(tmp_path):
    data = [service(x_colour="red"), service(id="s2", x_colour="blue", shoe_size=4)]
    batch = read(write(tmp_path, "s.json", data), ReadOptions())
    unknown = sorted((i.field, i.ref) for i in batch.issues if i.reason.startswith("unknown field"))
    assert unknown == [("shoe_size", "s.json $[1]"), ("x_colour", "s.json $[0]")]
    assert len(batch.services) == 2


def test_schedule_rules(tmp_path):
    data = service(
        schedules=[
            {
                "id": "a",
                "freq": "WEEKLY",
                "byday": "MO,WE",
                "opens_at": "9:00 AM",
                "closes_at": "5pm",
            },
            {"id": "b", "freq": "DAILY", "opens_at": "08:00", "closes_at": "12:00"},
            {"id": "c", "freq": "MONTHLY", "byday": "1MO", "description": "Eerste maandag"},
            {"id": "d", "description": "Op afspraak"},
        ]
    )
    batch = read(write(tmp_path, "s.json", data), ReadOptions())
    slots = batch.services[0].schedules
    assert [(s.weekday, s.opens_at, s.closes_at) for s in slots[:2]] == [
        (1, "09:00", "17:00"),
        (3, "09:00", "17:00"),
    ]
    assert [s.weekday for s in slots[2:9]] == [1, 2, 3, 4, 5, 6, 7]
    monthly, text_only = slots[9:]
    assert monthly.weekday is None and "Eerste maandag" in monthly.description
    assert "BYDAY=1MO" in monthly.description
    assert (text_only.weekday, text_only.description) == (None, "Op afspraak")
    assert any(i.field == "byday" and "not weekly" in i.reason for i in batch.issues)


def test_service_areas_codes_and_text(tmp_path):
    data = service(
        service_areas=[
            {"id": "1", "name": "1000, 1030"},
            {"id": "2", "name": "2000 Antwerpen"},
            {"id": "3", "name": "44021"},
            {"id": "4", "name": "Regio Gent"},
            {"id": "5", "extent": "{}", "extent_type": "geojson"},
        ]
    )
    batch = read(write(tmp_path, "s.json", data), ReadOptions())
    assert batch.default_country == "BE"
    assert batch.services[0].service_areas == [
        ServiceAreaIn(kind="postcode", code="1000"),
        ServiceAreaIn(kind="postcode", code="1030"),
        ServiceAreaIn(kind="postcode", code="2000", name="Antwerpen"),
        ServiceAreaIn(kind="municipality", code="44021"),
        ServiceAreaIn(kind="text", name="Regio Gent"),
    ]
    assert any(i.field == "extent" for i in batch.issues)


def test_capacities_31(tmp_path):
    data = service(
        wait_time="3 weken",
        capacities=[
            {
                "id": "c1",
                "available": 0,
                "maximum": 12,
                "unit": {"id": "u1", "name": "bedden"},
                "updated": "2024-05-01T10:00:00Z",
            }
        ],
    )
    batch = read(write(tmp_path, "s.json", data), ReadOptions())
    capacity = batch.services[0].capacity
    assert capacity.status == "full"
    assert capacity.waiting_weeks == 3.0
    assert "0/12 bedden" in capacity.note
    assert capacity.updated_at == dt.datetime(2024, 5, 1, 10, 0, tzinfo=dt.UTC)


def test_hostile_strings_kept_verbatim(tmp_path):
    long_name = "N" * 10_000
    data = [
        service(name="<script>alert('x')</script>", description="a\x00b\x07c\nd\te"),
        service(id="s2", name=long_name),
    ]
    batch = read(write(tmp_path, "s.json", data), ReadOptions())
    first, second = batch.services
    assert first.name == "<script>alert('x')</script>"
    assert first.description == "abc\nd\te"
    assert second.name == long_name


def test_cp1252_json_decoded_with_warning(tmp_path):
    path = write(tmp_path, "legacy.json", service(name="Café Zoë"), encoding="cp1252")
    batch = read(path, ReadOptions())
    assert batch.services[0].name == "Café Zoë"
    assert any("not UTF-8" in i.reason for i in batch.issues)


def test_utf8_bom_accepted(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(service(name="Één")).encode("utf-8"))
    assert read(str(path), ReadOptions()).services[0].name == "Één"


def test_folder_of_pages(tmp_path):
    for number, ids in ((1, ["s1", "s2"]), (2, ["s2", "s3"])):
        page = {"total_items": 3, "page_number": number, "contents": [service(id=i) for i in ids]}
        write(tmp_path, f"page-{number}.json", page)
    (tmp_path / "notes.json").write_text('{"foo": 1}', encoding="utf-8")
    batch = read(str(tmp_path), ReadOptions())
    # s2 is on both pages: one record, no rejection (not a duplicate within one page)
    assert [s.external_id for s in batch.services] == ["s1", "s2", "s3"]
    assert not rejected(batch)
    assert any(i.ref.startswith("notes.json") and not i.rejected for i in batch.issues)


def test_language_and_country_options(tmp_path):
    path = write(tmp_path, "s.json", service())
    batch = read(path, ReadOptions(extra={"default_country": "be", "language": "fr"}))
    assert batch.default_country == "BE"
    assert batch.services[0].language == "fr"


def test_forced_kind(tmp_path):
    path = write(tmp_path, "x.json", {"id": "l1", "name": "Zaal"})
    with pytest.raises(MalformedSource):
        read(path, ReadOptions())
    batch = read(path, ReadOptions(extra={"hsds_kind": "location"}))
    assert [loc.name for loc in batch.locations] == ["Zaal"]


def test_url(monkeypatch, tmp_path):
    import requests

    class Response:
        content = json.dumps({"contents": [service()]}).encode("utf-8")

        def raise_for_status(self):
            return None

    calls = []

    def fake_get(url, timeout):
        calls.append(url)
        return Response()

    monkeypatch.setattr(requests, "get", fake_get)
    batch = read("https://example.org/api/services?page=1", ReadOptions())
    assert calls == ["https://example.org/api/services?page=1"]
    assert batch.services[0].ref == "services $.contents[0]"
    with pytest.raises(MalformedSource, match="offline"):
        read("https://example.org/api/services", ReadOptions(offline=True))


def test_copy_of_examples_folder_reads_the_same(tmp_path):
    # the reader only reads *.json at the top of the folder (not the csv/ subfolder)
    folder = tmp_path / "ex"
    shutil.copytree(DATA, folder)
    (folder / "csv" / "organizations.csv").unlink()
    batch = read(str(folder), ReadOptions())
    assert len(batch.services) == 1
