"""Import benchmark: 100,000 generated listings (~15% cross-source duplicates) through the
whole pipeline (normalise, match/merge, write) into SQLite and, when given, PostgreSQL.

    python benchmarks/import_bench.py [--n 100000] [--pg postgresql+psycopg://...]

Prints JSON: per database, wall time, listings/s and source records/s (organisation, location
and service records) over both source runs,
the run counts and how many of the known duplicates were merged. The target (5,000 records/s)
is printed beside the measured figure; merge quality is
measured against the generator's ground truth (which source-B organisations duplicate which
source-A ones).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from listings import generate_batches  # noqa: E402
from sqlalchemy import create_engine  # noqa: E402
from sqlalchemy import text  # noqa: E402

from importers.pipeline import Settings  # noqa: E402
from importers.pipeline import run_import  # noqa: E402


def _app(url: str):  # type: ignore[no-untyped-def]
    from flask_migrate import upgrade

    from socialmap import create_app

    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    app = create_app({"DATABASE_URL": url, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        upgrade()
    return app


def bench(url: str, n: int, seed: int) -> dict:
    from socialmap.extensions import db
    from socialmap.logic.taxonomy import sync_taxonomies

    app = _app(url)
    a, b, truth = generate_batches(n=n, seed=seed)
    listings = len(a.services) + len(b.services)
    records = sum(len(x.organizations) + len(x.locations) + len(x.services) for x in (a, b))
    result: dict = {"database": url.split(":")[0], "listings": listings}
    with app.app_context():
        sync_taxonomies(db.session)
        db.session.commit()
        t0 = time.perf_counter()
        runs = []
        for name, batch in (("source-a", a), ("source-b", b)):
            t = time.perf_counter()
            out = run_import(
                db.session,
                source=name,
                fmt="generated",
                location="memory",
                batch=batch,
                settings=Settings(priority=50),
            )
            runs.append(
                {
                    "source": name,
                    "seconds": round(time.perf_counter() - t, 2),
                    "status": out.status,
                    **out.counts,
                }
            )
        elapsed = time.perf_counter() - t0
        quality = merge_quality(db.session, truth)
        db.session.remove()
        db.engine.dispose()
    result.update(
        seconds=round(elapsed, 2),
        # a listing is one organisation + one location + one service record
        listings_per_second=round(listings / elapsed),
        source_records=records,
        records_per_second=round(records / elapsed),
        runs=runs,
        expected_distinct_listings=truth.expected_listings,
        merge_quality=quality,
    )
    return result


def merge_quality(session, truth) -> dict:  # type: ignore[no-untyped-def]
    """Organizations of source B merged into an organization of source A vs the known truth."""
    from sqlalchemy import select

    from socialmap import models as m

    rows = session.execute(
        select(m.Source.name, m.SourceRecord.external_id, m.SourceRecord.organization_id)
        .join(m.Source)
        .where(m.SourceRecord.entity_type == "organization")
    ).all()
    canon = {(name, ext): org for name, ext, org in rows}
    a_orgs = {org for (name, _), org in canon.items() if name == "source-a"}
    merged = {ext for (name, ext), org in canon.items() if name == "source-b" and org in a_orgs}
    true_merged = {
        ext
        for ext in merged
        if ext in truth.organizations
        and canon.get(("source-a", truth.organizations[ext])) == canon[("source-b", ext)]
    }
    dups = len(truth.organizations)
    return {
        "organization_duplicates": dups,
        "merged": len(merged),
        "correct_merges": len(true_merged),
        "precision": round(len(true_merged) / len(merged), 4) if merged else None,
        "recall": round(len(true_merged) / dups, 4) if dups else None,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pg", help="PostgreSQL URL (its public schema is dropped!)")
    args = ap.parse_args()
    out = {"machine": "2 cores", "target_records_per_second": 5000, "results": []}
    with tempfile.TemporaryDirectory() as tmp:
        out["results"].append(bench(f"sqlite:///{tmp}/bench.db", args.n, args.seed))
    if args.pg:
        out["results"].append(bench(args.pg, args.n, args.seed))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
