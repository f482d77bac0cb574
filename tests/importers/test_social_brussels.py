"""Tests for the social.brussels reader (one real response, one fictional array)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from importers.formats import ReadOptions
from importers.formats import load_all
from importers.formats import social_brussels
from importers.records import MalformedSource

DATA = Path(__file__).resolve().parents[1] / "data" / "social-brussels"
REAL = DATA / "rest-organisation-13219.json"
FICTIONAL = DATA / "search-fictional.json"


def test_real_organisation() -> None:
    batch = social_brussels.read(str(REAL), ReadOptions())
    assert [i for i in batch.issues] == []
    (org,) = batch.organizations
    (loc,) = batch.locations
    (svc,) = batch.services

    assert org.external_id == "13219"
    assert org.name == "COÖRDINATIE VAN DE SCHAARBEEKSE SOCIALE ACTIE"
    assert org.language == "nl"
    assert org.translations["fr"]["name"] == "COORDINATION DE L'ACTION SOCIALE DE SCHAERBEEK"
    assert org.alternate_name == "CSSA"
    assert org.translations["fr"]["alternate_name"] == "CASS"
    assert org.legal_status == "Openbare dienst - OCMW"
    assert org.translations["fr"]["legal_status"] == "Service public - CPAS"
    assert [(i.scheme, i.value) for i in org.identifiers] == [("KBO", "0212.347.945")]
    assert [p.number for p in org.phones] == ["02/435.51.38", "02/435.51.39"]  # Nl == Fr: once
    assert org.email == "cass@cpas-schaerbeek.be"
    assert org.website == "http://www.cass-cssa.be"
    assert org.last_modified == dt.datetime(2020, 8, 28)
    assert org.description is None  # descriptionNl is null

    address = loc.addresses[0]
    assert (address.street, address.house_number, address.postcode, address.city) == (
        "Auguste Reyerslaan",
        "70",
        "1030",
        "SCHAARBEEK",
    )
    assert loc.translations["fr"]["street"] == "Boulevard Auguste Reyers"
    assert loc.translations["fr"]["city"] == "SCHAERBEEK"
    assert loc.latitude == pytest.approx(50.851756) and loc.longitude == pytest.approx(4.401445)

    assert svc.location_refs == [loc.external_id]
    assert svc.description.startswith("Coördinatie van verenigingen")
    assert svc.translations["fr"]["description"].startswith("Coordination qui regroupe")
    assert [s.description for s in svc.schedules] == [
        "Van maandag tot vrijdag van 8.30 uur tot 16 uur"
    ]
    assert svc.translations["fr"]["schedule"] == "Du lundi au vendredi de 8h30 à 16h"
    assert svc.eligibility_description.startswith("Schaarbeekse verenigingen")
    assert [(c.scheme, c.label) for c in svc.target_groups] == [
        ("label", svc.eligibility_description)
    ]
    assert svc.intake is not None
    assert svc.intake.methods == ["email", "phone"]
    assert svc.intake.instructions == "Per e-mail; Telefonisch"
    assert svc.intake.translations == {"fr": {"instructions": "Par e-mail; Par téléphone"}}
    assert svc.languages == ["fr", "nl"]
    assert svc.categories == []
    assert json.dumps(svc.raw)  # raw stays JSON-serialisable


def test_fictional_array_covers_edge_cases() -> None:
    batch = social_brussels.read(str(FICTIONAL), ReadOptions())
    orgs = {o.external_id: o for o in batch.organizations}
    services = {s.external_id: s for s in batch.services}
    assert set(orgs) == {"990001", "990002"}

    svc = services["990001"]
    assert [(c.code, c.label) for c in svc.categories] == [
        ("454", "Sociale kruidenierszaken"),
        ("43", None),
        ("77", None),
    ]
    assert svc.intake.methods == ["walk_in", "appointment"]
    loc = next(loc for loc in batch.locations if loc.external_id == "990001")
    assert loc.addresses[0].box == "2"
    assert [(p.number, p.type) for p in orgs["990001"].phones] == [
        ("02/000.00.01", "voice"),
        ("02/000.00.09", "fax"),
    ]
    assert orgs["990001"].last_modified == dt.datetime(2024, 1, 5)

    fr_only = orgs["990002"]
    assert fr_only.language == "fr" and fr_only.translations == {}
    assert fr_only.name == "Service fictif <b>Seulement</b> en français"  # NUL dropped
    assert services["990002"].description == "Aide fictive"
    assert services["990002"].location_refs == []  # address null -> no location

    issues = {(i.reason, i.rejected) for i in batch.issues}
    assert ("unknown field newKeyFromFuture", False) in issues
    assert ("duplicate id 990001", True) in issues
    assert ("missing id", True) in issues
    assert ("missing nameOfficialNl/nameOfficialFr", True) in issues
    bad_date = [i for i in batch.issues if i.field == "lastUpdate"]
    assert len(bad_date) == 1 and not bad_date[0].rejected
    assert all("item" in i.ref for i in batch.issues)


def test_folder_of_files(tmp_path: Path) -> None:
    shutil.copy(REAL, tmp_path / "a.json")
    shutil.copy(FICTIONAL, tmp_path / "b.json")
    batch = load_all()["social-brussels"](str(tmp_path), ReadOptions())
    assert {o.external_id for o in batch.organizations} == {"13219", "990001", "990002"}


def test_unusable_input(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text("{oops", encoding="utf-8")
    with pytest.raises(MalformedSource, match="x.json"):
        social_brussels.read(str(tmp_path / "x.json"), ReadOptions())
    with pytest.raises(MalformedSource, match="does not exist"):
        social_brussels.read(str(tmp_path / "missing.json"), ReadOptions())
    (tmp_path / "x.json").write_text('"text"', encoding="utf-8")
    with pytest.raises(MalformedSource, match="neither object nor array"):
        social_brussels.read(str(tmp_path), ReadOptions())
