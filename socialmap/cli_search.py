"""``flask search reindex|check|sync``: keeping the search index true to the database."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup

from socialmap.extensions import db
from socialmap.logic import search_index

search_group = AppGroup("search", help="The search index (embedded or Elasticsearch).")


@search_group.command("reindex")
def search_reindex() -> None:
    """Rebuild the index from the database; searches keep working meanwhile."""
    backend = search_index.get_backend()
    count = search_index.reindex(db.session, backend)
    click.echo(f"indexed {count} service location(s) into the {backend.name} index")


@search_group.command("check")
def search_check() -> None:
    """Compare database and index; exit 1 when they differ or updates are pending."""
    report = search_index.check(db.session)
    click.echo(json.dumps(report, indent=2, default=str))
    if not report["ok"]:
        sys.exit(1)


@search_group.command("sync")
def search_sync() -> None:
    """Index the services whose update failed after a commit (the backlog)."""
    count = search_index.sync_backlog(db.session)
    click.echo(f"pushed {count} service(s) from the backlog")
