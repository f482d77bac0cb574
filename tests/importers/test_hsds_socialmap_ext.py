"""Tests for the ``x_socialmap`` HSDS extension and the socialmap taxonomies.

Most tests read the bundled demo ``socialmap/data/demo/elz-kust/services.json`` (see
``socialmap/data/demo/README.md``) and check the records against the JSON itself; the
rest use small hand-made documents for the tabular path and for problem reports.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from importers.formats import ReadOptions
from importers.formats.hsds_csv import read as read_csv
from importers.formats.hsds_json import read
from importers.records import Batch
from importers.records import CapacityIn
from importers.records import CategoryIn
from importers.records import ClosureIn
from importers.records import IdentifierIn
from importers.records import IntakeIn
from importers.records import ServiceAreaIn

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "socialmap" / "data" / "demo" / "elz-kust" / "services.json"
HSDS_CSV = ROOT / "tests" / "data" / "hsds3" / "csv"


@pytest.fixture(scope="module")
def demo_json() -> list[dict[str, Any]]:
    return json.loads(DEMO.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def demo() -> Batch:
    return read(str(DEMO), ReadOptions())


def rejected(batch: Batch):
    return [issue for issue in batch.issues if issue.rejected]


def unknown_fields(batch: Batch) -> list[str]:
    return [issue.reason for issue in batch.issues if "unknown field" in issue.reason]


def locations_json(demo_json) -> dict[str, dict[str, Any]]:
    return {
        sal["location"]["id"]: sal["location"]
        for svc in demo_json
        for sal in svc["service_at_locations"]
        if "location" in sal
    }


def term_codes(service: dict[str, Any], taxonomy: str) -> list[str]:
    return [
        attribute["taxonomy_term"]["code"]
        for attribute in service["attributes"]
        if attribute["taxonomy_term"]["taxonomy"] == taxonomy
    ]


def parse_stamp(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


# --------------------------------------------------------------------------- demo file


def test_demo_counts_match_the_readme(demo, demo_json):
    # README table: ELZ Kust organisations / services = 116 / 267.
    assert len(demo.organizations) == 116
    assert len(demo.services) == 267
    assert len(demo.services) == len(demo_json)
    assert len(demo.locations) == len(locations_json(demo_json))


def test_demo_reads_without_rejections_or_unknown_fields(demo):
    assert rejected(demo) == []
    assert unknown_fields(demo) == []  # x_socialmap and _notice are documented


def test_confidential_locations(demo, demo_json):
    published = locations_json(demo_json)
    confidential = [loc for loc in demo.locations if loc.confidential]
    assert len(confidential) == 4  # README: confidential locations (ELZ Kust only) = 4
    for loc in confidential:
        ext = published[loc.external_id]["x_socialmap"]
        assert ext["confidential"] is True
        assert loc.front_door == ext["front_door"]
        assert "059 99 00 00" in loc.front_door
        for language, texts in ext["front_door_translations"].items():
            assert loc.translations[language]["front_door"] == texts["front_door"]
        assert loc.latitude is None and loc.longitude is None
        assert {address.address_type for address in loc.addresses} == {"postal"}
    others = [loc for loc in demo.locations if not loc.confidential]
    assert all(loc.front_door is None for loc in others)
    assert all(
        not published[loc.external_id].get("x_socialmap", {}).get("confidential") for loc in others
    )


def test_known_service_carries_the_whole_extension(demo, demo_json):
    # A service on a waiting list with translated intake instructions, needs and groups.
    source = next(
        svc
        for svc in demo_json
        if svc["x_socialmap"]["capacity"]["status"] == "waitlist"
        and svc["x_socialmap"]["intake"].get("translations")
        and svc["x_socialmap"].get("translations")
        and svc["x_socialmap"]["closures"]
        and term_codes(svc, "socialmap-target-group")
    )
    ext = source["x_socialmap"]
    svc = next(s for s in demo.services if s.external_id == source["id"])

    assert svc.is_free is ext["is_free"]
    intake = ext["intake"]
    assert svc.intake == IntakeIn(
        methods=intake["methods"],
        instructions=intake["instructions"],
        required_information=intake["required_information"],
        accepts_referrals=intake["accepts_referrals"],
        translations=intake["translations"],
    )
    capacity = ext["capacity"]
    assert svc.capacity == CapacityIn(
        status="waitlist",
        waiting_weeks=float(capacity["waiting_weeks"]),
        note=capacity["note"],
        updated_at=parse_stamp(capacity["updated_at"]),
    )
    assert isinstance(svc.capacity.updated_at, dt.datetime)
    assert svc.capacity.updated_at.tzinfo is not None
    assert svc.closures[: len(ext["closures"])] == [
        ClosureIn(
            start=dt.date.fromisoformat(item["start"]),
            end=dt.date.fromisoformat(item["end"]) if item["end"] else None,
            reason=item["reason"],
            opens_at=item.get("opens_at"),
            closes_at=item.get("closes_at"),
        )
        for item in ext["closures"]
    ]
    assert svc.service_areas == [ServiceAreaIn(**area) for area in ext["service_areas"]]
    assert svc.categories == [
        CategoryIn(scheme="socialmap", code=code, label=label)
        for code, label in (
            (a["taxonomy_term"]["code"], a["taxonomy_term"]["name"])
            for a in source["attributes"]
            if a["taxonomy_term"]["taxonomy"] == "socialmap"
        )
    ]
    assert [(c.scheme, c.code) for c in svc.target_groups] == [
        ("socialmap", code) for code in term_codes(source, "socialmap-target-group")
    ]
    assert svc.translations == ext["translations"]
    assert set(svc.translations) == {"fr", "en"}


def test_every_service_mirrors_its_extension(demo, demo_json):
    by_id = {svc.external_id: svc for svc in demo.services}
    for source in demo_json:
        ext = source["x_socialmap"]
        svc = by_id[source["id"]]
        assert svc.is_free is ext["is_free"], source["id"]
        assert svc.capacity is not None and svc.capacity.status == ext["capacity"]["status"]
        assert svc.intake is not None and svc.intake.methods == ext["intake"]["methods"]
        assert svc.intake.accepts_referrals is ext["intake"]["accepts_referrals"]
        # Structured areas replace the plain-text HSDS service_areas (never both).
        assert svc.service_areas == [ServiceAreaIn(**area) for area in ext["service_areas"]]
        assert [c.code for c in svc.categories] == term_codes(source, "socialmap")
        assert all(c.scheme == "socialmap" for c in svc.categories + svc.target_groups)
        assert [c.code for c in svc.target_groups] == term_codes(source, "socialmap-target-group")
        assert svc.translations == ext.get("translations", {})
    kinds = {area.kind for svc in demo.services for area in svc.service_areas}
    assert {"municipality", "postcode"} <= kinds
    assert sum(1 for svc in demo.services if svc.intake.translations) > 0
    assert {svc.is_free for svc in demo.services} == {True, False}


def test_translations_of_organizations_and_locations(demo, demo_json):
    orgs_json = {svc["organization"]["id"]: svc["organization"] for svc in demo_json}
    translated = [org for org in demo.organizations if org.translations]
    assert translated
    assert len(translated) == sum(1 for org in orgs_json.values() if "x_socialmap" in org)
    for org in translated:
        assert org.translations == orgs_json[org.external_id]["x_socialmap"]["translations"]
    published = locations_json(demo_json)
    named = [loc for loc in demo.locations if not loc.confidential and loc.translations]
    assert named
    for loc in named:
        assert loc.translations == published[loc.external_id]["x_socialmap"]["translations"]
    services = [svc for svc in demo.services if svc.translations]
    assert 0 < len(services) < len(demo.services)  # README: about 30% of the services


def test_kbo_identifiers(demo, demo_json):
    orgs_json = {svc["organization"]["id"]: svc["organization"] for svc in demo_json}
    with_kbo = 0
    for org in demo.organizations:
        published = orgs_json[org.external_id].get("organization_identifiers", [])
        expected = [
            IdentifierIn(scheme="KBO", value=item["identifier"], type=item["identifier_type"])
            for item in published
            if item["identifier_scheme"] == "BE-BCE_KBO"
        ]
        assert org.identifiers == expected
        with_kbo += bool(expected)
    # README: a few organisations have no KBO number; most do.
    assert 0 < len(demo.organizations) - with_kbo < with_kbo


# --------------------------------------------------------------------------- small documents


def service(**fields) -> dict[str, Any]:
    return {"id": "s1", "name": "Dienst", "status": "active", **fields}


def read_json(tmp_path: Path, data: Any) -> Batch:
    path = tmp_path / "services.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return read(str(path), ReadOptions())


def test_unknown_extension_keys_are_reported_once_per_key(tmp_path):
    batch = read_json(
        tmp_path,
        [
            service(id="s1", x_socialmap={"is_free": True, "mood": "good"}),
            service(id="s2", x_socialmap={"mood": "bad", "intake": {"methods": [], "via": "x"}}),
        ],
    )
    assert rejected(batch) == []
    assert sorted(unknown_fields(batch)) == [
        "unknown field x_socialmap.intake.via (not imported)",
        "unknown field x_socialmap.mood (not imported)",
    ]
    first = next(svc for svc in batch.services if svc.external_id == "s1")
    assert first.is_free is True


def test_service_specific_keys_are_unknown_on_a_location(tmp_path):
    location = {
        "id": "l1",
        "location_type": "physical",
        "name": "Huis",
        "x_socialmap": {"is_free": True, "confidential": True},
    }
    batch = read_json(tmp_path, location)
    assert unknown_fields(batch) == ["unknown field x_socialmap.is_free (not imported)"]
    assert batch.locations[0].confidential is True


def test_bad_extension_values_are_reported_and_left_out(tmp_path):
    ext = {
        "is_free": "misschien",
        "capacity": {"status": "full", "waiting_weeks": "veel", "updated_at": "gisteren"},
        "closures": [
            {"end": "2026-12-31"},
            {"start": "2026-12-24", "opens_at": "9u30", "closes_at": "25:99"},
        ],
        "service_areas": [{"kind": "deelgemeente", "name": "Stene"}, {"kind": "postcode"}],
    }
    batch = read_json(tmp_path, service(x_socialmap=ext))
    assert rejected(batch) == []
    svc = batch.services[0]
    assert svc.is_free is None
    assert svc.capacity == CapacityIn(status="full")
    assert svc.closures == [ClosureIn(start=dt.date(2026, 12, 24), opens_at="09:30")]
    assert svc.service_areas == [ServiceAreaIn(kind="text", name="Stene")]
    fields = {issue.field for issue in batch.issues}
    assert {
        "x_socialmap.is_free",
        "x_socialmap.capacity.waiting_weeks",
        "x_socialmap.capacity.updated_at",
        "x_socialmap.closures",
        "x_socialmap.closures[1].closes_at",
        "x_socialmap.service_areas",
    } <= fields


def test_extension_fills_gaps_from_hsds_fields(tmp_path):
    batch = read_json(
        tmp_path,
        service(
            application_process="Bel ons",
            wait_time="3 weeks",
            service_areas=[{"name": "Oostende"}],
            x_socialmap={"intake": {"methods": ["phone"]}, "capacity": {"status": "waitlist"}},
        ),
    )
    svc = batch.services[0]
    assert svc.intake == IntakeIn(methods=["phone"], instructions="Bel ons")
    assert svc.capacity.status == "waitlist"
    assert svc.capacity.waiting_weeks == 3.0  # from wait_time: the extension gave none
    # No structured areas: the HSDS text area stays.
    assert svc.service_areas == [ServiceAreaIn(kind="text", name="Oostende")]


@pytest.mark.parametrize(
    ("taxonomy", "field"),
    [
        ("socialmap", "categories"),
        ("SocialMap", "categories"),
        ("socialmap-target-group", "target_groups"),
        ("socialmap_target_groups", "target_groups"),
    ],
)
def test_socialmap_taxonomies(tmp_path, taxonomy, field):
    attribute = {"id": "a1", "taxonomy_term": {"id": "t1", "code": "c1", "taxonomy": taxonomy}}
    batch = read_json(tmp_path, service(attributes=[attribute]))
    svc = batch.services[0]
    assert getattr(svc, field) == [CategoryIn(scheme="socialmap", code="c1")]
    other = "target_groups" if field == "categories" else "categories"
    assert getattr(svc, other) == []


@pytest.mark.parametrize("scheme", ["BE-BCE_KBO", "BCE", "CBE_ID", "kbo-nummer", "KBO"])
def test_kbo_identifier_schemes(tmp_path, scheme):
    organization = {
        "id": "o1",
        "name": "Vzw",
        "organization_identifiers": [{"identifier_scheme": scheme, "identifier": "BE 1990.1"}],
    }
    batch = read_json(tmp_path, organization)
    assert batch.organizations[0].identifiers == [IdentifierIn(scheme="KBO", value="BE 1990.1")]


def test_extension_in_csv_columns(tmp_path):
    folder = tmp_path / "hsds"
    shutil.copytree(HSDS_CSV, folder)
    extension = {
        "intake": {"methods": ["email"], "accepts_referrals": True},
        "service_areas": [{"kind": "municipality", "code": "35013", "name": "Oostende"}],
        "translations": {"fr": {"name": "Conseil"}},
    }
    _add_columns(
        folder / "services.csv",
        {
            "x_socialmap": json.dumps(extension),
            "x_socialmap.is_free": "ja",
            "x_socialmap.capacity.status": "available",
            "x_socialmap.capacity.updated_at": "2026-10-01T08:00:00Z",
            "x_socialmap.closures": '[{"start": "2026-12-25"}]',
        },
    )
    _add_columns(
        folder / "locations.csv",
        {"x_socialmap.confidential": "true", "x_socialmap.front_door": "Bel 059 99 00 00"},
    )
    batch = read_csv(str(folder), ReadOptions())
    assert rejected(batch) == []
    assert [r for r in unknown_fields(batch) if "x_socialmap" in r] == []
    svc = batch.services[0]
    assert svc.is_free is True
    assert svc.intake.methods == ["email"] and svc.intake.accepts_referrals is True
    assert svc.capacity.status == "available"
    assert svc.capacity.updated_at == dt.datetime(2026, 10, 1, 8, tzinfo=dt.UTC)
    assert ClosureIn(start=dt.date(2026, 12, 25)) in svc.closures
    assert svc.service_areas == [ServiceAreaIn("municipality", "35013", "Oostende")]
    assert svc.translations == {"fr": {"name": "Conseil"}}
    loc = batch.locations[0]
    assert loc.confidential is True and loc.front_door == "Bel 059 99 00 00"


def _add_columns(path: Path, values: dict[str, str]) -> None:
    """Add columns with the same value on every row of a CSV file."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*rows[0], *values])
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, **values})
