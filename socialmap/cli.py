"""Flask commands: thin wrappers (parse -> logic -> summary -> exit code).

``flask db ...`` comes from Flask-Migrate; this module adds ``import`` and ``demo``, and
``socialmap.cli_search`` adds ``search``. Imports rebuild the search index when they succeed.
Exit codes: 0 done, 1 bad usage / not found, 2 the import failed (nothing was written).
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import click
from flask import Flask
from flask import current_app
from sqlalchemy import func
from sqlalchemy import select

from socialmap import models as m
from socialmap.errors import DomainError
from socialmap.extensions import db
from socialmap.logic import catalog

DEMO_DIR = Path(__file__).parent / "data"

#: What ``flask demo load`` imports: (source name, format, path below socialmap/data).
DEMO_SOURCES = [
    ("be-hospitals", "be-hospitals", "hospitals/BE.csv"),
    ("elz-kust", "hsds-json", "demo/elz-kust"),
    ("sociale-kaart", "sociale-kaart", "demo/sociale-kaart"),
]


def register(app: Flask) -> None:
    from socialmap.cli_notifications import notifications_group
    from socialmap.cli_referrals import referrals_group
    from socialmap.cli_search import search_group
    from socialmap.cli_users import regions_group
    from socialmap.cli_users import users_group

    app.cli.add_command(import_group)
    app.cli.add_command(demo_group)
    app.cli.add_command(search_group)
    app.cli.add_command(users_group)
    app.cli.add_command(regions_group)
    app.cli.add_command(notifications_group)
    app.cli.add_command(referrals_group)


def import_settings(source: str):  # type: ignore[no-untyped-def]
    from importers.pipeline import Settings

    cfg = current_app.config
    return Settings(
        auto_merge=float(cfg["MERGE_AUTO_THRESHOLD"]),
        review=float(cfg["MERGE_REVIEW_THRESHOLD"]),
        priority=int(cfg["SOURCE_PRIORITY"].get(source, cfg["SOURCE_PRIORITY_DEFAULT"])),
        batch_size=int(cfg["IMPORT_BATCH_SIZE"]),
        geocoder_url=cfg["GEOCODER_URL"] or None,
        geocoder_user_agent=cfg["GEOCODER_USER_AGENT"],
        geocoder_cache=cfg["GEOCODER_CACHE_PATH"] if cfg["GEOCODER_URL"] else None,
    )


def run_source(
    source: str,
    fmt: str,
    location: str,
    *,
    mapping: str | None = None,
    offline: bool = False,
    full_snapshot: bool = False,
    dry_run: bool = False,
    extra: dict[str, object] | None = None,
):  # type: ignore[no-untyped-def]
    """Import one source through the pipeline (taxonomies are synced first)."""
    from importers.formats import ReadOptions
    from importers.pipeline import run_import
    from socialmap.logic.taxonomy import sync_taxonomies

    sync_taxonomies(db.session)
    db.session.commit()
    return run_import(
        db.session,
        source=source,
        fmt=fmt,
        location=location,
        options=ReadOptions(mapping=mapping, offline=offline, extra=dict(extra or {})),
        full_snapshot=full_snapshot,
        dry_run=dry_run,
        settings=import_settings(source),
    )


def _parse_options(pairs: tuple[str, ...]) -> dict[str, object]:
    out: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--option")
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out


def _echo_outcome(outcome, show_issues: int = 20) -> None:  # type: ignore[no-untyped-def]
    label = (
        f"run {outcome.run_id}"
        if outcome.run_id
        else "dry run"
        if outcome.status == "dry-run"
        else "run"
    )
    if not outcome.ok:
        click.echo(f"{label}: FAILED: {outcome.error}", err=True)
        return
    counts = " ".join(f"{k}={v}" for k, v in outcome.counts.items())
    click.echo(f"{label}: {outcome.status} {counts}")
    for line in outcome.changes[:50]:
        click.echo(f"  would {line}")
    if len(outcome.changes) > 50:
        click.echo(f"  ... {len(outcome.changes) - 50} more changes")
    rejected = [i for i in outcome.issues if i.rejected]
    warnings = [i for i in outcome.issues if not i.rejected]
    for issue in rejected[:show_issues]:
        field = f" [{issue.field}]" if issue.field else ""
        click.echo(f"  rejected {issue.ref}{field}: {issue.reason}")
    if len(rejected) > show_issues:
        click.echo(
            f"  ... {len(rejected) - show_issues} more rejected (flask import issues RUN_ID)"
        )
    if warnings:
        click.echo(f"  {len(warnings)} warning(s) (flask import issues RUN_ID)")


@click.group("import", help="Import listings from sources and curate the merge.")
def import_group() -> None:
    pass


@import_group.command("run")
@click.option(
    "--format",
    "fmt",
    required=True,
    help="Reader: hsds-json, hsds-csv, hsds-1-csv, sociale-kaart, csv, ...",
)
@click.option(
    "--source", required=True, help="Provenance source name (several files may share one)."
)
@click.option(
    "--mapping", type=click.Path(exists=True, dir_okay=False), help="Column mapping (format csv)."
)
@click.option("--offline", is_flag=True, help="sociale-kaart: read saved responses from a folder.")
@click.option(
    "--full-snapshot", is_flag=True, help="Deactivate this source's records missing from the input."
)
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option(
    "--option",
    "extra",
    multiple=True,
    metavar="KEY=VALUE",
    help="Reader option, repeatable; VALUE is JSON or text (e.g. rubrics='[\"14.04.01. ...\"]').",
)
@click.argument("location")
def import_run(
    fmt: str,
    source: str,
    mapping: str | None,
    offline: bool,
    full_snapshot: bool,
    dry_run: bool,
    extra: tuple[str, ...],
    location: str,
) -> None:
    """Import PATH_OR_URL with reader FORMAT as source NAME."""
    outcome = run_source(
        source,
        fmt,
        location,
        mapping=mapping,
        offline=offline or Path(location).is_dir(),
        full_snapshot=full_snapshot,
        dry_run=dry_run,
        extra=_parse_options(extra),
    )
    _echo_outcome(outcome)
    if not outcome.ok:
        sys.exit(2)
    if not dry_run:
        _reindex()


def _reindex() -> None:
    from socialmap.logic import search_index

    count = search_index.reindex(db.session)
    click.echo(f"search index rebuilt: {count} service location(s)")


@import_group.command("runs")
@click.option("--limit", default=20, show_default=True)
def import_runs(limit: int) -> None:
    """List recent import runs with their counts."""
    rows = db.session.execute(
        select(m.ImportRun, m.Source.name)
        .join(m.Source)
        .order_by(m.ImportRun.id.desc())
        .limit(limit)
    ).all()
    click.echo(
        "id\tsource\tformat\tstatus\tstarted\tcreated\tupdated\tmerged\tunchanged\tdeactivated\trejected\treview"
    )
    for run, name in rows:
        cells = [run.id, name, run.format, run.status, f"{run.started_at:%Y-%m-%d %H:%M}"]
        cells += [getattr(run, k) for k in m.ImportRun.COUNTS]
        click.echo("\t".join(map(str, cells)))


@import_group.command("issues")
@click.argument("run_id", type=int)
@click.option("--rejected-only", is_flag=True)
def import_issues(run_id: int, rejected_only: bool) -> None:
    """Rejected rows and warnings of one run, with their reasons."""
    run = db.session.get(m.ImportRun, run_id)
    if run is None:
        click.echo(f"import run {run_id} not found", err=True)
        sys.exit(1)
    q = select(m.ImportIssue).where(m.ImportIssue.run_id == run_id)
    if rejected_only:
        q = q.where(m.ImportIssue.rejected.is_(True))
    click.echo("kind\tref\tfield\treason")
    for issue in db.session.scalars(q.order_by(m.ImportIssue.id)):
        kind = "rejected" if issue.rejected else "warning"
        click.echo(f"{kind}\t{issue.ref}\t{issue.field or ''}\t{issue.reason}")


@import_group.command("review")
@click.option("--type", "entity_type", type=click.Choice(["organization", "location", "service"]))
def import_review(entity_type: str | None) -> None:
    """Pending merge candidates with their feature scores."""
    from socialmap.logic.merging import pending_candidates

    names = {}
    for kind, model in (
        ("organization", m.Organization),
        ("location", m.Location),
        ("service", m.Service),
    ):
        names[kind] = model
    for cand in pending_candidates(db.session, entity_type):
        model = names[cand.entity_type]
        a, b = db.session.get(model, cand.entity_id), db.session.get(model, cand.candidate_id)
        features = ", ".join(
            f"{k}={v:.2f}" for k, v in sorted(cand.features.items()) if v is not None
        )
        click.echo(f"#{cand.id} {cand.entity_type} score={cand.score:.3f}")
        click.echo(f"   new:      {cand.entity_id} {getattr(a, 'name', None)!r}")
        click.echo(f"   existing: {cand.candidate_id} {getattr(b, 'name', None)!r}")
        click.echo(f"   features: {features}")
        if cand.reasons:
            click.echo(f"   reasons:  {'; '.join(cand.reasons)}")


@import_group.command("resolve")
@click.argument("candidate_id", type=int)
@click.option("--merge", "decision", flag_value="merge", help="Merge the pair.")
@click.option("--keep-apart", "decision", flag_value="keep-apart", help="Record that they differ.")
@click.option(
    "--by", "actor", default="cli", show_default=True, help="Who decides (for the history)."
)
def import_resolve(candidate_id: int, decision: str | None, actor: str) -> None:
    """Decide a merge candidate."""
    from socialmap.logic.merging import resolve_candidate

    if decision is None:
        raise click.UsageError("give --merge or --keep-apart")
    try:
        cand = resolve_candidate(db.session, candidate_id, merge=decision == "merge", actor=actor)
    except DomainError as exc:
        click.echo(exc.message, err=True)
        sys.exit(1)
    click.echo(f"candidate {cand.id}: {cand.status}")


@import_group.command("records")
@click.option("--format", "fmt", type=click.Choice(["csv"]), default="csv", show_default=True)
@click.option("--source", help="Only this source.")
def import_records(fmt: str, source: str | None) -> None:
    """One row per source record with the canonical ids it is linked to."""
    q = (
        select(
            m.Source.name,
            m.SourceRecord.external_id,
            m.SourceRecord.entity_type,
            m.SourceRecord.organization_id,
            m.SourceRecord.service_id,
            m.SourceRecord.location_id,
        )
        .join(m.Source)
        .order_by(m.Source.name, m.SourceRecord.entity_type, m.SourceRecord.id)
    )
    if source:
        q = q.where(m.Source.name == source)
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["source", "external_id", "organization_id", "service_id", "location_id"])
    for row in db.session.execute(q):
        out.writerow(
            [
                row.name,
                row.external_id,
                row.organization_id or "",
                row.service_id or "",
                row.location_id or "",
            ]
        )


@click.group("demo", help="The bundled, fictional demo data.")
def demo_group() -> None:
    pass


@demo_group.command("load")
def demo_load() -> None:
    """Import the bundled demo sources (idempotent: a second load changes nothing)."""
    failed = False
    for source, fmt, rel in DEMO_SOURCES:
        path = DEMO_DIR / rel
        click.echo(f"{source} ({fmt}) <- {rel}")
        outcome = run_source(source, fmt, str(path), offline=True, full_snapshot=True)
        if source != "be-hospitals":  # the hospital sites are real public data
            catalog.mark_demo_source(db.session, source)
            db.session.commit()
        _echo_outcome(outcome, show_issues=5)
        failed |= not outcome.ok
    total = db.session.scalar(
        select(func.count()).select_from(m.Service).where(m.Service.status == "active")
    )
    click.echo(f"{total} active services. FICTIEVE DEMODATA: the welfare listings are fictional.")
    _reindex()
    from socialmap.logic.demo_accounts import DEMO_PASSWORD
    from socialmap.logic.demo_accounts import ensure_demo_accounts

    for email, role in ensure_demo_accounts():
        click.echo(f"demo account {role:<8} {email}  (password: {DEMO_PASSWORD})")
    if failed:
        sys.exit(2)
