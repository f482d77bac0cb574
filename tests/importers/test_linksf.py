"""Tests for the LinkSF reader (real linksf.json + CR-only locations.csv in tests/data/linksf)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from importers.formats import ReadOptions
from importers.formats import linksf
from importers.formats import load_all
from importers.records import MalformedSource

DATA = Path(__file__).resolve().parents[1] / "data" / "linksf"
CSV_FILE = DATA / "locations.csv"
JSON_FILE = DATA / "linksf.json"


def _items() -> list[dict]:
    return json.loads(JSON_FILE.read_text(encoding="utf-8"))


def test_cr_only_csv_parses_to_89_rows() -> None:
    data = CSV_FILE.read_bytes()
    assert b"\r" in data and b"\n" not in data  # really old-Mac line endings
    batch = load_all()["linksf"](str(CSV_FILE), ReadOptions())
    duplicates = [i for i in batch.issues if i.rejected]
    assert len(batch.locations) + len(duplicates) == 89
    with io.StringIO(data.decode("mac_roman"), newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 89
    assert len(batch.locations) == len({(r["name"], r["address"]) for r in rows})
    assert all(i.reason.startswith("duplicate row") for i in duplicates)
    first = batch.locations[0]
    assert first.name == rows[0]["name"]
    assert (first.latitude, first.longitude) == (float(rows[0]["lat"]), float(rows[0]["long"]))
    assert first.addresses[0].street == rows[0]["address"].strip()
    assert first.addresses[0].country == "US" and first.phones[0].country == "US"
    assert batch.services == [] and batch.organizations == []
    # Not UTF-8: reported once, and the mis-encoded apostrophes are repaired per row.
    assert any(i.ref == "locations.csv" and "mac_roman" in i.reason for i in batch.issues)
    assert any(loc.name and loc.name.endswith("A Woman\u2019s Place") for loc in batch.locations)


def test_json_facilities_services_and_hours() -> None:
    items = _items()
    assert len(items) == 89
    batch = linksf.read(str(JSON_FILE), ReadOptions())
    ids = list(dict.fromkeys(item["objectId"] for item in items))
    assert [loc.external_id for loc in batch.locations] == ids
    duplicates = [i for i in batch.issues if i.reason.startswith("duplicate id")]
    assert len(duplicates) == len(items) - len(ids) and all(i.rejected for i in duplicates)
    first_copies = {item["objectId"]: item for item in reversed(items)}
    services = [s for oid in ids for s in first_copies[oid]["services"]]
    assert [s.external_id for s in batch.services] == [s["objectId"] for s in services]
    location_ids = {loc.external_id for loc in batch.locations}
    assert all(len(s.location_refs) == 1 for s in batch.services)
    assert {s.location_refs[0] for s in batch.services} <= location_ids

    shelter = next(s for s in batch.services if s.name == "Family shelter")
    raw = next(s for s in services if s["objectId"] == shelter.external_id)
    assert raw["openHours"]["0"] == [[0, 700], [1500, 2359]]
    sunday = [(s.opens_at, s.closes_at) for s in shelter.schedules if s.weekday == 7]
    assert sunday == [("00:00", "07:00"), ("15:00", "23:59")]
    assert len(shelter.schedules) == sum(len(v) for v in raw["openHours"].values())
    assert [(c.scheme, c.code) for c in shelter.categories] == [("linksf", "housing")]

    casa = next(s for s in batch.services if s.location_refs == [ids[0]])
    assert [(c.scheme, c.code, c.label) for c in casa.target_groups] == [
        ("linksf-gender", "F", "female")
    ]
    seniors = [
        s
        for s in batch.services
        if ("linksf-age", "S") in [(c.scheme, c.code) for c in s.target_groups]
    ]
    assert seniors


def test_folder_prefers_json(tmp_path: Path) -> None:
    batch = linksf.read(str(DATA), ReadOptions())
    assert batch.services  # only the JSON has services
    (tmp_path / "locations.csv").write_bytes(CSV_FILE.read_bytes())
    assert linksf.read(str(tmp_path), ReadOptions()).services == []
    (tmp_path / "locations.csv").unlink()
    with pytest.raises(MalformedSource):
        linksf.read(str(tmp_path), ReadOptions())


def test_broken_and_truncated_files(tmp_path: Path) -> None:
    text = JSON_FILE.read_text(encoding="utf-8")
    broken = tmp_path / "linksf.json"
    broken.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(MalformedSource, match="linksf.json"):
        linksf.read(str(broken), ReadOptions())
    broken.write_text('{"not": "an array"}', encoding="utf-8")
    with pytest.raises(MalformedSource, match="array"):
        linksf.read(str(broken), ReadOptions())

    data = CSV_FILE.read_bytes()
    cut = data.index(b',"', len(data) // 2) + 5  # inside a quoted cell
    truncated = tmp_path / "locations.csv"
    truncated.write_bytes(data[:cut])
    with pytest.raises(MalformedSource, match="locations.csv"):
        linksf.read(str(truncated), ReadOptions())

    records = data.split(b"\r")
    records.insert(2, b"only a name,0")
    truncated.write_bytes(b"\r".join(records))
    batch = linksf.read(str(truncated), ReadOptions())
    bad = [i for i in batch.issues if i.ref == "locations.csv row 2"]
    assert len(bad) == 1 and bad[0].rejected and "fields" in bad[0].reason

    items = _items()[:3]
    items[1] = {"objectId": "x1", "name": "No services", "location": {"latitude": 999}}
    items[2]["services"][0]["openHours"] = {"9": [[900, 1700]], "1": [["nine", 1700]]}
    odd = tmp_path / "odd.json"
    odd.write_text(json.dumps(items), encoding="utf-8")
    batch = linksf.read(str(odd), ReadOptions())
    assert [loc.external_id for loc in batch.locations][1] == "x1"
    assert batch.locations[1].latitude is None
    reasons = {i.reason.split(" ")[0] for i in batch.issues if not i.rejected}
    assert {"coordinates", "unknown", "unreadable"} <= reasons
