"""The flask commands as a data steward scripts them: import, inspect, re-import, demo."""

from __future__ import annotations

import csv
import io
import re

from conftest import DATA
from sqlalchemy import func
from sqlalchemy import select

from socialmap import models as m
from socialmap.extensions import db


def _records(runner):
    result = runner.invoke(args=["import", "records", "--format", "csv"])
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.output)))


def test_hsds_json_import_records_and_idempotent_reimport(runner):
    path = str(DATA / "hsds3" / "service_full.json")
    result = runner.invoke(
        args=["import", "run", "--format", "hsds-json", "--source", "hsds", path]
    )
    assert result.exit_code == 0, result.output
    assert re.search(r"succeeded created=\d+", result.output)
    rows = _records(runner)
    assert rows and list(rows[0]) == [
        "source",
        "external_id",
        "organization_id",
        "service_id",
        "location_id",
    ]
    services = [r for r in rows if r["service_id"]]
    assert services and all(r["organization_id"] for r in services)
    ids_before = {r["external_id"]: r for r in rows}
    again = runner.invoke(args=["import", "run", "--format", "hsds-json", "--source", "hsds", path])
    assert "created=0 updated=0 merged=0" in again.output
    assert {r["external_id"]: r for r in _records(runner)} == ids_before


def test_malformed_file_fails_with_exit_2_and_writes_nothing(runner, tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text('{"id": "x", "name": ', encoding="utf-8")
    result = runner.invoke(
        args=["import", "run", "--format", "hsds-json", "--source", "s", str(bad)]
    )
    assert result.exit_code == 2
    assert "FAILED" in result.output
    assert db.session.scalar(select(func.count()).select_from(m.SourceRecord)) == 0
    runs = runner.invoke(args=["import", "runs"])
    assert "failed" in runs.output
    run_id = runs.output.splitlines()[1].split("\t")[0]
    issues = runner.invoke(args=["import", "issues", run_id])
    assert "broken.json" in issues.output


def test_csv_with_mapping_reports_rejected_rows(runner):
    src = DATA / "tabular"
    mapping = next(src.glob("*.toml"))
    table = next(p for p in src.iterdir() if p.suffix in (".csv", ".xlsx"))
    result = runner.invoke(
        args=[
            "import",
            "run",
            "--format",
            "csv",
            "--source",
            "gemeente",
            "--mapping",
            str(mapping),
            str(table),
        ]
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count()).select_from(m.Service)) > 0
    run = db.session.scalar(select(m.ImportRun).order_by(m.ImportRun.id.desc()))
    issues = runner.invoke(args=["import", "issues", str(run.id), "--rejected-only"])
    assert issues.exit_code == 0
    assert run.rejected == 3
    assert "diensten.csv row 4\tMin leeftijd\tminimum_age: not a number: 'abc'" in issues.output


def test_dry_run_writes_nothing(runner):
    path = str(DATA / "hsds3" / "service_full.json")
    result = runner.invoke(
        args=["import", "run", "--dry-run", "--format", "hsds-json", "--source", "hsds", path]
    )
    assert result.exit_code == 0 and "dry run: dry-run created=" in result.output
    assert db.session.scalar(select(func.count()).select_from(m.Organization)) == 0


def test_demo_load_merges_the_two_sources_and_is_idempotent(runner):
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "FICTIEVE DEMODATA" in first.output
    merged = db.session.scalar(select(func.sum(m.ImportRun.merged)))
    assert merged > 0
    # one canonical organization per KBO number across both sources
    duplicated = db.session.execute(
        select(m.Organization.kbo_number)
        .where(m.Organization.kbo_number.isnot(None), m.Organization.merged_into_id.is_(None))
        .group_by(m.Organization.kbo_number)
        .having(func.count() > 1)
    ).all()
    assert duplicated == []
    # organizations fed by both sources exist
    both = db.session.execute(
        select(m.SourceRecord.organization_id)
        .join(m.Source)
        .where(m.SourceRecord.entity_type == "organization")
        .group_by(m.SourceRecord.organization_id)
        .having(func.count(func.distinct(m.Source.name)) > 1)
    ).all()
    assert len(both) >= 40
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0
    for line in second.output.splitlines():
        if line.startswith("run "):
            assert "created=0 updated=0 merged=0" in line, line
    # one fictional account per role; the provider staffs the coast's debt service
    roles = dict(db.session.execute(select(m.User.email, m.User.role)).all())
    assert sorted(roles.values()) == ["admin", "provider", "referrer", "steward"]
    provider = db.session.scalar(select(m.User).where(m.User.role == "provider"))
    assert "Budgetpunt Kust" in {o.name for o in provider.organizations}


def test_demo_data_is_announced_as_fictional_in_every_listing(runner, client):
    assert "notice" not in client.get("/api/services").get_json()
    runner.invoke(args=["demo", "load"])
    body = client.get("/api/services?per_page=1").get_json()
    assert "FICTIEVE DEMODATA" in body["notice"]
    detail = client.get(f"/api/services/{body['items'][0]['id']}").get_json()
    assert "fictional" in detail["notice"]
    assert "FICTIEVE" in client.get("/api").get_json()["notice"]
    assert "FICTIEVE" in client.get("/api/search?q=schulden").get_json()["notice"]


def test_demo_answers_needs_and_place_queries(runner, client):
    loaded = runner.invoke(args=["demo", "load"])
    assert "search index rebuilt" in loaded.output
    lonely = client.get("/api/search?q=eenzaam&place=8400&radius_km=10").get_json()
    assert lonely["total"] > 0
    assert "social-contact" in lonely["understood"]["needs"]
    assert all(hit["matched_needs"] for hit in lonely["hits"])
    assert all(h["match"] in ("distance", "service_area") for h in lonely["hits"])
    debt = client.get("/api/search?need=debt-money&place=Ostende&sort=distance").get_json()
    distances = [h["distance_km"] for h in debt["hits"] if h["distance_km"] is not None]
    assert debt["total"] > 0 and distances == sorted(distances)


def test_reader_options_must_be_key_value(runner):
    path = str(DATA / "hsds3" / "service_full.json")
    result = runner.invoke(
        args=["import", "run", "--format", "hsds-json", "--source", "s", "--option", "x", path]
    )
    assert result.exit_code == 2 and "KEY=VALUE" in result.output
    ok = runner.invoke(
        args=[
            "import",
            "run",
            "--format",
            "hsds-json",
            "--source",
            "s",
            "--option",
            'language="en"',
            path,
        ]
    )
    assert ok.exit_code == 0, ok.output


def test_review_and_resolve_from_the_command_line(app, runner, tmp_path):
    import json

    app.config.update(MERGE_AUTO_THRESHOLD=1.0, MERGE_REVIEW_THRESHOLD=0.3)  # review only
    service = json.loads((DATA / "hsds3" / "service_full.json").read_text(encoding="utf-8"))
    twin = json.loads(json.dumps(service).replace(service["id"], "twin-service"))
    twin["organization"]["id"] = "twin-org"
    path = tmp_path / "twin.json"
    path.write_text(json.dumps(twin), encoding="utf-8")
    src = str(DATA / "hsds3" / "service_full.json")
    assert (
        runner.invoke(
            args=["import", "run", "--format", "hsds-json", "--source", "a", src]
        ).exit_code
        == 0
    )
    out = runner.invoke(args=["import", "run", "--format", "hsds-json", "--source", "b", str(path)])
    assert "merged=0" in out.output and "review=0" not in out.output, out.output
    review = runner.invoke(args=["import", "review", "--type", "organization"])
    cand_id = re.search(r"#(\d+) organization score=", review.output).group(1)
    assert "features:" in review.output and "reasons:" in review.output
    done = runner.invoke(args=["import", "resolve", cand_id, "--merge", "--by", "steward@elz"])
    assert done.exit_code == 0 and "merged" in done.output
    again = runner.invoke(args=["import", "resolve", cand_id, "--keep-apart"])
    assert again.exit_code == 1 and "already merged" in again.output
    org_ids = {r["organization_id"] for r in _records(runner) if r["external_id"] in ("twin-org",)}
    survivors = {
        r["organization_id"]
        for r in _records(runner)
        if r["external_id"] == service["organization"]["id"]
    }
    assert org_ids == survivors
