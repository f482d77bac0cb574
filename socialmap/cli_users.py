"""``flask users ...`` and ``flask regions ...``: accounts, API tokens, invitations, regions.

Output meant for scripts (ids, tokens, links) goes to stdout alone; notes go to stderr.
Exit codes: 0 done, 1 bad input or not found (the message says which field).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from marshmallow import ValidationError
from sqlalchemy import select

from socialmap import models as m
from socialmap.errors import DomainError
from socialmap.extensions import db
from socialmap.logic import accounts
from socialmap.logic import regions
from socialmap.models.account import ROLES

_ROLES = "|".join(ROLES)


@contextmanager
def _clear_errors() -> Iterator[None]:
    """Bad input -> one line per problem on stderr and exit code 1."""
    try:
        yield
    except ValidationError as exc:
        db.session.rollback()
        for line in _messages(exc.messages):
            click.echo(f"error: {line}", err=True)
        sys.exit(1)
    except DomainError as exc:
        db.session.rollback()
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(1)


def _messages(messages: object, field: str = "") -> list[str]:
    if isinstance(messages, dict):
        out = []
        for key, value in messages.items():
            out += _messages(value, f"{field}.{key}" if field else str(key))
        return out
    if isinstance(messages, list):
        return [line for item in messages for line in _messages(item, field)]
    return [f"{field}: {messages}" if field else str(messages)]


@click.group("users", help="Accounts: create them, make API tokens, send invitations.")
def users_group() -> None:
    pass


@users_group.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, metavar=_ROLES)
@click.option(
    "--organization", "organization_ids", multiple=True, metavar="ORG_ID", help="Repeatable."
)
@click.option("--password", help="At least 12 characters; without it the account has none yet.")
@click.option("--name")
@click.option("--practice", help="Referrers of one practice share referrals.")
@click.option("--region", "region_refs", multiple=True, metavar="REGION_NAME_OR_ID")
@click.option("--language", default="nl", show_default=True, metavar="nl|fr|en")
def users_create(
    email: str,
    role: str,
    organization_ids: tuple[str, ...],
    password: str | None,
    name: str | None,
    practice: str | None,
    region_refs: tuple[str, ...],
    language: str,
) -> None:
    """Create an account and print its id."""
    with _clear_errors():
        region_ids = [regions.find_region(ref).id for ref in region_refs]
        user = accounts.create_user(
            email,
            role,
            password=password,
            organization_ids=organization_ids,
            practice=practice,
            name=name,
            language=language,
            region_ids=region_ids,
        )
    click.echo(user.id)
    if not password:
        click.echo(
            f"note: {user.email} has no password yet: it cannot sign in on the web; "
            f"API tokens work (flask users token {user.email}). "
            "To let the person choose a password, send an invitation instead.",
            err=True,
        )


@users_group.command("token")
@click.argument("email")
@click.option("--name", help="What the token is for (shown in token lists).")
def users_token(email: str, name: str | None) -> None:
    """Make an API token for EMAIL and print it (only the token, for scripts)."""
    with _clear_errors():
        token = accounts.issue_token(accounts.find_user(email), name)
    click.echo(token)


@users_group.command("invite")
@click.option("--email", required=True)
@click.option("--role", required=True, metavar=_ROLES)
@click.option("--organization", "organization_id", metavar="ORG_ID")
@click.option("--region", "region_ref", metavar="REGION_NAME_OR_ID", help="For a steward.")
@click.option("--practice")
def users_invite(
    email: str,
    role: str,
    organization_id: str | None,
    region_ref: str | None,
    practice: str | None,
) -> None:
    """Invite someone and print the invitation link (valid INVITATION_DAYS days)."""
    with _clear_errors():
        region_id = regions.find_region(region_ref).id if region_ref else None
        invitation, token = accounts.create_invitation(
            None,
            email,
            role,
            organization_id=organization_id,
            region_id=region_id,
            practice=practice,
        )
    click.echo(accounts.invitation_link(token))
    click.echo(f"note: valid until {invitation.expires_at:%Y-%m-%d %H:%M} UTC", err=True)


@click.group("regions", help="Regions (sets of municipalities) and their stewards.")
def regions_group() -> None:
    pass


@regions_group.command("create")
@click.option("--name", required=True)
@click.option(
    "--municipality",
    "municipalities",
    multiple=True,
    metavar="NIS",
    help="NIS code of a municipality (repeatable), e.g. 35013 for Oostende.",
)
def regions_create(name: str, municipalities: tuple[str, ...]) -> None:
    """Create a region and print its id."""
    with _clear_errors():
        region = regions.create_region(name, municipalities)
    click.echo(region.id)


@regions_group.command("steward")
@click.argument("region_ref", metavar="REGION_NAME_OR_ID")
@click.argument("email")
def regions_steward(region_ref: str, email: str) -> None:
    """Make the steward EMAIL curate the region."""
    with _clear_errors():
        region = regions.find_region(region_ref)
        user = accounts.find_user(email)
        regions.add_steward(region, user)
    click.echo(f"{user.email} stewards {region.name}")


@regions_group.command("list")
def regions_list() -> None:
    """Regions with their municipalities and stewards."""
    click.echo("id\tname\tmunicipalities\tstewards")
    for region in db.session.scalars(select(m.Region).order_by(m.Region.name)):
        stewards = db.session.scalars(
            select(m.User.email)
            .join(m.region_steward, m.region_steward.c.user_id == m.User.id)
            .where(m.region_steward.c.region_id == region.id)
            .order_by(m.User.email)
        ).all()
        click.echo(
            f"{region.id}\t{region.name}\t{','.join(region.municipalities)}\t{','.join(stewards)}"
        )
