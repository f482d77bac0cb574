"""Tests for the Eurostat GISCO Belgian hospitals reader (the shipped BE.csv + edge cases)."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest

from importers.formats import ReadOptions
from importers.formats import be_hospitals
from importers.formats import load_all
from importers.records import MalformedSource

SHIPPED = Path(__file__).resolve().parents[2] / "socialmap" / "data" / "hospitals" / "BE.csv"
HEADER = (
    "id,hospital_name,site_name,lat,lon,geo_qual,street,house_number,postcode,city,cc,country,"
    "cap_beds,cap_prac,cap_rooms,emergency,facility_type,public_private,list_specs,tel,email,"
    "url,ref_date,pub_date,comments"
)


def test_shipped_file_one_org_per_hospital_one_location_per_site() -> None:
    with SHIPPED.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    batch = load_all()["be-hospitals"]("", ReadOptions())  # "" = the shipped copy
    assert [i for i in batch.issues if i.rejected] == []
    # The file holds two different "AZ St. Lucas" (Brugge, Gent) under one name: flagged.
    urls: dict[str, set[str]] = {}
    for row in rows:
        if row["url"]:
            urls.setdefault(row["hospital_name"].strip(), set()).add(row["url"].lower())
    flagged = [i.reason for i in batch.issues if i.field == "hospital_name"]
    assert len(flagged) == sum(len(u) > 1 for u in urls.values())
    assert any("'ALGEMEEN ZIEKENHUIS ST. LUCAS'" in reason for reason in flagged)
    names = {row["hospital_name"].strip() for row in rows}
    assert len(batch.organizations) == len(names) == len(batch.services)
    assert {o.name for o in batch.organizations} == names
    assert sorted(loc.external_id for loc in batch.locations) == sorted(row["id"] for row in rows)
    assert len({o.external_id for o in batch.organizations}) == len(names)
    # Every site belongs to exactly one hospital service.
    refs = [ref for svc in batch.services for ref in svc.location_refs]
    assert sorted(refs) == sorted(row["id"] for row in rows)
    assert all(
        svc.categories[0].scheme == "socialmap" and svc.categories[0].code == "hospital-care"
        for svc in batch.services
    )


def test_st_lucas_mapping() -> None:
    batch = be_hospitals.read(str(SHIPPED), ReadOptions())
    org = next(o for o in batch.organizations if o.name == "ALGEMEEN ZIEKENHUIS ST. LUCAS")
    assert org.external_id == be_hospitals.hospital_id(org.name)
    assert org.external_id.startswith("algemeen-ziekenhuis-st-lucas-")
    assert org.website == "www.stlucas.be"
    assert org.legal_status == "private"
    assert org.language == "nl"
    assert org.last_modified == dt.datetime(2020, 4, 16)
    loc = next(loc for loc in batch.locations if loc.external_id == "1000")
    assert loc.name == org.name  # no site_name -> hospital name
    assert loc.addresses[0].street == "ST.-LUCASLAAN 29"  # street + number kept together
    assert loc.addresses[0].house_number is None
    assert (loc.addresses[0].postcode, loc.addresses[0].city) == ("8310", "BRUGGE")
    assert [p.number for p in loc.phones] == ["050/36.91.11"]
    assert loc.latitude == pytest.approx(51.1851255)
    svc = next(s for s in batch.services if s.organization_ref == org.external_id)
    assert svc.name == "Ziekenhuis" and svc.translations["fr"]["name"] == "Hôpital"
    assert "spoedgevallen" in svc.description
    assert ("label", "Algemeen ziekenhuis") in {(c.scheme, c.label) for c in svc.categories}
    assert svc.raw["cap_beds"] == {"1000": "419", "1630": "619", "1640": "160"}
    json.dumps(svc.raw)


def test_multi_site_hospital_names_its_emergency_sites() -> None:
    batch = be_hospitals.read(str(SHIPPED), ReadOptions())
    org = next(o for o in batch.organizations if o.name == "ZIEKENHUISNETWERK ANTWERPEN")
    svc = next(s for s in batch.services if s.organization_ref == org.external_id)
    sites = [loc for loc in batch.locations if loc.organization_ref == org.external_id]
    assert len(sites) == len(svc.location_refs) > 1
    emergency = [loc.name for loc in sites if loc.raw["emergency"] == "yes"]
    assert emergency and len(emergency) < len(sites)
    assert all(name in svc.description for name in emergency)
    assert "ZNA ST. ERASMUS" not in svc.description  # emergency = no


def test_french_hospital_language() -> None:
    batch = be_hospitals.read(str(SHIPPED), ReadOptions())
    language = {o.name: o.language for o in batch.organizations}
    assert language["CHU UCL NAMUR"] == "fr"
    # Brussels: bilingual facility type, the name decides.
    assert language["CLINIQUES UNIVERSITAIRES ST.-LUC"] == "fr"
    assert language["UNIVERSITAIR ZIEKENHUIS BRUSSEL"] == "nl"


def test_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "hosp.csv"
    lines = [
        HEADER,
        "1,FICTIEF ZIEKENHUIS <script>x</script>,,abc,3.1,-1,DROOMLAAN 1,,9000,GENT,BE,"
        "Belgium,10,,,no,,,,09/000.00.00,,,01/02/20,16/04/2020,",
        "1,FICTIEF DUBBEL,,51,3,-1,X 1,,9000,GENT,BE,Belgium,1,,,no,,,,,,,01/02/20,16/04/2020,",
        "2,,,51,3,-1,X 1,,9000,GENT,BE,Belgium,1,,,no,,,,,,,01/02/20,16/04/2020,",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    batch = be_hospitals.read(str(path), ReadOptions())
    assert [o.name for o in batch.organizations] == ["FICTIEF ZIEKENHUIS <script>x</script>"]
    assert batch.services[0].description is None  # no emergency department
    assert batch.locations[0].latitude is None and batch.locations[0].longitude is None
    issues = {(i.ref, i.reason, i.rejected) for i in batch.issues}
    assert ("hosp.csv row 2", "duplicate id 1", True) in issues
    assert ("hosp.csv row 3", "missing hospital_name", True) in issues
    assert any(ref == "hosp.csv row 1" and not rejected for ref, _, rejected in issues)


def test_not_the_hospital_file(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(MalformedSource, match="lacks column"):
        be_hospitals.read(str(path), ReadOptions())
    with pytest.raises(MalformedSource, match="cannot read"):
        be_hospitals.read(str(tmp_path / "missing.csv"), ReadOptions())
