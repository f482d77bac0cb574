"""Accounts for tests: users of every role, organisations, and bearer headers."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from socialmap import models as m
from socialmap.extensions import db
from socialmap.logic import accounts

#: A password that passes validation (pass ``password=PASSWORD`` to make_user to set it).
PASSWORD = "correct horse battery staple"

_SEQUENCE = itertools.count(1)


def make_organization(name: str) -> m.Organization:
    org = m.Organization(name=name)
    db.session.add(org)
    db.session.commit()
    return org


def make_user(
    role: str,
    *,
    organizations: Iterable[m.Organization | str] = (),
    practice: str | None = None,
    email: str | None = None,
    region_ids: Iterable[str] = (),
    password: str | None = None,
    name: str | None = None,
) -> m.User:
    """A user through the accounts logic; a provider without organisations gets a new one.

    No password by default (hashing costs time); use :func:`bearer` to call the API."""
    n = next(_SEQUENCE)
    org_ids = [o if isinstance(o, str) else o.id for o in organizations]
    if role == "provider" and not org_ids:
        org_ids = [make_organization(f"Organisation {n}").id]
    return accounts.create_user(
        email or f"{role}-{n}@example.test",
        role,
        password=password,
        organization_ids=org_ids,
        practice=practice,
        name=name or f"{role.title()} {n}",
        region_ids=region_ids,
    )


def bearer(user: m.User) -> dict[str, str]:
    """Headers authenticating as ``user`` with a new API token."""
    return {"Authorization": f"Bearer {accounts.issue_token(user)}"}
