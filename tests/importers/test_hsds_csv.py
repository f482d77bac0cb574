"""Tests for the ``hsds-csv`` reader (HSDS 3.0 tabular folder) and the CSV helper."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import pytest

from importers.formats import FORMATS
from importers.formats import ReadOptions
from importers.formats import _hsds_tables
from importers.formats import load_all
from importers.formats._csvutil import ROW_KEY
from importers.formats._csvutil import read_csv_rows
from importers.formats.hsds1_csv import read as read_hsds1
from importers.formats.hsds_csv import read
from importers.formats.hsds_json import read as read_json
from importers.records import IdentifierIn
from importers.records import MalformedSource

DATA = Path(__file__).resolve().parents[1] / "data"
EXAMPLE = DATA / "hsds3" / "csv"


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def folder(tmp_path) -> Path:
    """A writable copy of the official HSDS 3.0 CSV example."""
    target = tmp_path / "hsds"
    shutil.copytree(EXAMPLE, target)
    return target


def write_csv(path: Path, header: list[str], rows: list[list[str]], **kwargs) -> None:
    with path.open("w", newline="", encoding=kwargs.pop("encoding", "utf-8")) as handle:
        writer = csv.writer(handle, **kwargs)
        writer.writerow(header)
        writer.writerows(rows)


def append_row(path: Path, values: dict[str, str]) -> None:
    header, _rows = read_csv_rows(path)
    with path.open("a", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerow([values.get(column, "") for column in header])


def rejected(batch):
    return [issue for issue in batch.issues if issue.rejected]


def test_registered():
    load_all()
    assert FORMATS["hsds-csv"] is read


def test_example_counts_and_ids():
    batch = read(str(EXAMPLE), ReadOptions())
    expected = {
        name: [row["id"] for row in csv_rows(EXAMPLE / f"{name}.csv")]
        for name in ("organizations", "services", "locations")
    }
    assert [o.external_id for o in batch.organizations] == expected["organizations"]
    assert [s.external_id for s in batch.services] == expected["services"]
    assert [loc.external_id for loc in batch.locations] == expected["locations"]
    assert (len(batch.organizations), len(batch.services), len(batch.locations)) == (1, 1, 1)
    assert not rejected(batch)


def test_example_children_attached():
    batch = read(str(EXAMPLE), ReadOptions())
    (org,), (svc,), (loc,) = batch.organizations, batch.services, batch.locations
    assert svc.organization_ref == org.external_id
    assert svc.location_refs == [loc.external_id]  # from service_at_location.csv
    # phones.csv row 1 names the service, the location and the organization
    for record in (org, svc, loc):
        assert [p.number for p in record.phones] == ['"+44 1234 234567"']
    assert [(s.weekday, s.opens_at, s.closes_at) for s in svc.schedules] == [
        (4, "10:00", "18:00"),
        (5, "10:00", "18:00"),
    ]
    assert [s.weekday for s in loc.schedules] == [4, 5]
    (address,) = loc.addresses
    assert (address.street, address.city, address.country) == ("1-30 Main Street", "MyCity", "US")
    assert org.identifiers[-1] == IdentifierIn("GB-COH", "1234567", "Company number")
    assert svc.languages == ["ur"] and loc.languages == ["ur"]
    assert svc.costs[0].option == "Under 18s and Over 60s"
    assert svc.required_documents and svc.service_areas
    assert loc.accessibility[0].startswith("The building is equipped")
    # locations.csv names an organization that is not in organizations.csv
    assert loc.organization_ref is None
    (issue,) = [i for i in batch.issues if i.field == "organization_id"]
    assert issue.ref == "locations.csv row 1" and not issue.rejected
    # attributes.csv links to an id that is no service: reported, not attached
    assert svc.categories == []


def test_same_result_as_tabular_json():
    from_csv = read(str(EXAMPLE), ReadOptions())
    from_json = read_json(str(DATA / "hsds3" / "tabular.json"), ReadOptions())
    assert from_csv.services[0].schedules == from_json.services[0].schedules
    assert from_csv.locations[0].addresses == from_json.locations[0].addresses
    assert from_csv.organizations[0].identifiers == from_json.organizations[0].identifiers


def test_attributes_to_categories(folder):
    append_row(
        folder / "attributes.csv",
        {
            "id": "attr-2",
            "link_id": "ac148810-d857-441c-9679-408f346de14b",
            "taxonomy_term_id": "3f7b145d-84af-42d7-8fae-eaca714b02b2",
            "link_entity": "service",
        },
    )
    batch = read(str(folder), ReadOptions())
    categories = batch.services[0].categories
    assert [(c.scheme, c.code, c.label) for c in categories] == [("taxonomy", "code", "name")]


def test_missing_organizations_file(folder):
    (folder / "organizations.csv").unlink()
    with pytest.raises(MalformedSource, match="organizations.csv"):
        read(str(folder), ReadOptions())


def test_missing_services_file(folder):
    (folder / "services.csv").unlink()
    with pytest.raises(MalformedSource, match="services.csv"):
        read(str(folder), ReadOptions())


def test_missing_folder():
    with pytest.raises(MalformedSource):
        read("/nonexistent/hsds", ReadOptions())


def test_service_without_name_rejected(folder):
    append_row(
        folder / "services.csv",
        {
            "id": "svc-2",
            "organization_id": "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610",
            "status": "active",
        },
    )
    append_row(
        folder / "phones.csv", {"id": "ph-2", "service_id": "svc-2", "number": "09 123 45 67"}
    )
    batch = read(str(folder), ReadOptions())
    assert [s.external_id for s in batch.services] == ["ac148810-d857-441c-9679-408f346de14b"]
    (issue,) = rejected(batch)
    assert (issue.ref, issue.field) == ("services.csv row 2", "name")
    (orphan,) = [i for i in batch.issues if i.ref == "phones.csv row 2"]
    assert "svc-2 was rejected" in orphan.reason and not orphan.rejected


def test_organization_without_name_rejected(folder):
    append_row(folder / "organizations.csv", {"id": "org-2", "name": "  "})
    batch = read(str(folder), ReadOptions())
    assert len(batch.organizations) == 1
    (issue,) = rejected(batch)
    assert (issue.ref, issue.field) == ("organizations.csv row 2", "name")


def test_duplicate_ids_rejected(folder):
    append_row(
        folder / "services.csv", {"id": "ac148810-d857-441c-9679-408f346de14b", "name": "Kopie"}
    )
    append_row(folder / "phones.csv", {"id": "1554f2e2-a373-45db-a3fa-9fc48a61c15e", "number": "1"})
    batch = read(str(folder), ReadOptions())
    assert [s.name for s in batch.services] == ["Community Counselling"]
    refs = sorted((i.ref, i.reason) for i in rejected(batch))
    assert refs == [
        ("phones.csv row 2", "duplicate id 1554f2e2-a373-45db-a3fa-9fc48a61c15e"),
        ("services.csv row 2", "duplicate id ac148810-d857-441c-9679-408f346de14b"),
    ]


def test_child_with_unknown_parent_warned(folder):
    append_row(folder / "schedules.csv", {"id": "sch-2", "location_id": "nope", "byday": "MO"})
    batch = read(str(folder), ReadOptions())
    (issue,) = [i for i in batch.issues if i.ref == "schedules.csv row 2"]
    assert issue.field == "location_id" and "unknown location nope" in issue.reason
    assert not issue.rejected


def test_cp1252_copy_reads_correctly(folder):
    text = (folder / "organizations.csv").read_text(encoding="utf-8")
    text = text.replace("Example Organization Inc.", "Café Zoë – «Brussel»")
    (folder / "organizations.csv").write_bytes(text.encode("cp1252"))
    batch = read(str(folder), ReadOptions())
    assert batch.organizations[0].name == "Café Zoë – «Brussel»"
    # services.csv contains "£50" in UTF-8 and still reads as such
    assert "£50" in batch.services[0].fees_description


def test_semicolons_bom_and_cr_line_endings(folder):
    header, rows = read_csv_rows(folder / "services.csv")
    body = "\r".join(
        ";".join(f'"{row[c]}"' if ";" in row[c] else row[c] for c in header) for row in rows
    )
    data = "\ufeff" + ";".join(header) + "\r" + body + "\r"
    (folder / "services.csv").write_bytes(data.encode("utf-8"))
    batch = read(str(folder), ReadOptions())
    assert batch.services[0].name == "Community Counselling"
    assert batch.services[0].minimum_age == 12.0


def test_kbo_identifiers(folder):
    append_row(
        folder / "organization_identifiers.csv",
        {
            "id": "kbo-1",
            "organization_id": "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610",
            "identifier_scheme": "BE-BCE_KBO",
            "identifier_type": "Enterprise number",
            "identifier": "0412.345.678",
        },
    )
    batch = read(str(folder), ReadOptions())
    assert IdentifierIn("KBO", "0412.345.678", "Enterprise number") in (
        batch.organizations[0].identifiers
    )


def test_hostile_strings_kept_verbatim(folder):
    long_name = "Ä" * 10_000
    append_row(folder / "organizations.csv", {"id": "o2", "name": "<img src=x onerror=alert(1)>"})
    append_row(folder / "organizations.csv", {"id": "o3", "name": long_name})
    append_row(folder / "organizations.csv", {"id": "o4", "name": "Bel\x07\x00 de =1+1\nlijn"})
    batch = read(str(folder), ReadOptions())
    names = [o.name for o in batch.organizations[1:]]
    assert names == ["<img src=x onerror=alert(1)>", long_name, "Bel de =1+1\nlijn"]


def test_unknown_columns_and_tables_reported(folder):
    text = (folder / "locations.csv").read_text(encoding="utf-8").splitlines()
    text[0] += ",x_colour"
    text[1] += ",red"
    (folder / "locations.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    (folder / "notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    batch = read(str(folder), ReadOptions())
    fields = [(i.ref, i.field) for i in batch.issues if "unknown field" in i.reason]
    assert fields == [("locations.csv", "x_colour")]
    assert any(i.ref == "notes.csv" for i in batch.issues)


def test_datapackage_paths_used(folder):
    (folder / "services.csv").rename(folder / "export-diensten.csv")
    package = (folder / "datapackage.json").read_text(encoding="utf-8")
    (folder / "datapackage.json").write_text(
        package.replace('"services.csv"', '"export-diensten.csv"'), encoding="utf-8"
    )
    batch = read(str(folder / "datapackage.json"), ReadOptions())
    assert len(batch.services) == 1
    assert batch.services[0].ref == "export-diensten.csv row 1"


def test_each_file_read_once(monkeypatch):
    calls: list[str] = []
    original = _hsds_tables.read_csv_rows

    def counting(path, **kwargs):
        calls.append(Path(path).name)
        return original(path, **kwargs)

    monkeypatch.setattr(_hsds_tables, "read_csv_rows", counting)
    read(str(EXAMPLE), ReadOptions())
    assert sorted(calls) == sorted(p.name for p in EXAMPLE.glob("*.csv"))


def test_all_hsds_test_sets_read():
    # Speed is measured by benchmarks/, never asserted in a test.
    for batch in (
        read(str(EXAMPLE), ReadOptions()),
        read_json(str(DATA / "hsds3"), ReadOptions()),
        read_hsds1(str(DATA / "hsds1-sample" / "all_resources"), ReadOptions()),
        read_hsds1(str(DATA / "hsds1-sample" / "simple"), ReadOptions()),
        read_hsds1(str(DATA / "withinreach"), ReadOptions()),
    ):
        assert batch.services


# ----------------------------------------------------------------- _csvutil


def test_read_csv_rows_encodings_and_delimiters(tmp_path):
    cases = {
        "utf8.csv": "ID,Naam\r\n1,Zoë\r\n".encode(),
        "bom.csv": "\ufeffid;naam\n1;Zoë\n".encode(),
        "cp1252.csv": "id\tnaam\r1\tZoë\r".encode("cp1252"),
        "pipe.csv": "id|naam\n1|Zoë\n".encode(),
        "utf16.csv": "id,naam\r\n1,Zoë\r\n".encode("utf-16"),
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        header, rows = read_csv_rows(tmp_path / name)
        assert header == ["id", "naam"], name
        assert [(r["id"], r["naam"], r[ROW_KEY]) for r in rows] == [("1", "Zoë", 1)], name


def test_read_csv_rows_row_numbers_and_header(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text(' Name ,name,\n"a\nb",1,2\n\n,,\nc,3,4,extra\n', encoding="utf-8")
    header, rows = read_csv_rows(path)
    assert header == ["name", "name_2", "column_3"]
    assert [r[ROW_KEY] for r in rows] == [1, 4]  # blank lines skipped but counted
    assert rows[0]["name"] == "a\nb"
    assert rows[1]["__extra__"] == ["extra"]


def test_read_csv_rows_rejects_binary(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    with pytest.raises(MalformedSource, match="x.csv"):
        read_csv_rows(path)
    with pytest.raises(MalformedSource, match="missing.csv"):
        read_csv_rows(tmp_path / "missing.csv")


def test_read_csv_rows_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert read_csv_rows(path) == ([], [])


# ----------------------------------------------------------------- value helpers


def test_parse_date_orders():
    from importers.formats._hsds_fields import parse_date

    assert parse_date("03/04/2024") == dt.date(2024, 4, 3)  # Belgian day/month
    assert parse_date("03/04/2024", month_first=True) == dt.date(2024, 3, 4)  # US
    assert parse_date("25/04/2024", month_first=True) == dt.date(2024, 4, 25)  # only one fits
    assert parse_date("2022/01/24") == dt.date(2022, 1, 24)
    assert parse_date("2023-03-15T10:30:45Z") == dt.date(2023, 3, 15)
    with pytest.raises(ValueError):
        parse_date("gisteren")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("09:00:00", "09:00"),
        ("9:30 AM", "09:30"),
        ("12am", "00:00"),
        ("5 p.m.", "17:00"),
        ("9u30", "09:30"),
        ("17:00Z", "17:00"),
        ("18:00:00+01:00", "18:00"),
    ],
)
def test_parse_time(value, expected):
    from importers.formats._hsds_fields import parse_time

    assert parse_time(value) == expected


@pytest.mark.parametrize("value", ["25:00", "13pm", "noon", "9:75"])
def test_parse_time_rejects(value):
    from importers.formats._hsds_fields import parse_time

    with pytest.raises(ValueError):
        parse_time(value)
