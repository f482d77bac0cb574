"""Fictional demo accounts, one per role, so the referral loop can be tried on the demo data.

Created by ``flask demo load`` (idempotent). Their password is public: never load the demo
into a production database."""

from __future__ import annotations

from sqlalchemy import select

from socialmap import models as m
from socialmap.extensions import db
from socialmap.logic import accounts
from socialmap.logic import regions

DEMO_PASSWORD = "socialmap-demo"
DEMO_PRACTICE = "Groepspraktijk Demo (fictief)"
#: Organisations of the fictional coast data whose staff the demo provider plays.
DEMO_PROVIDER_ORGANIZATIONS = ("Budgetpunt Kust", "CAW Kustregio", "Sociaal Huis Duinhelm")
#: A fictional eerstelijnszone around Oostende: Oostende, Bredene, Gistel, Middelkerke.
DEMO_REGION = ("ELZ Oostende (demo)", ("35013", "35002", "35005", "35011"))


def ensure_demo_accounts() -> list[tuple[str, str]]:
    """Create the demo accounts that do not exist yet; returns (e-mail, role) of all four."""
    org_ids = list(
        db.session.scalars(
            select(m.Organization.id)
            .where(
                m.Organization.name.in_(DEMO_PROVIDER_ORGANIZATIONS),
                m.Organization.status == "active",
            )
            .order_by(m.Organization.name)
        )
    )
    region = db.session.scalar(select(m.Region).where(m.Region.name == DEMO_REGION[0]))
    if region is None:
        region = regions.create_region(*DEMO_REGION)
    wanted = [
        ("huisarts@demo.socialmap.invalid", "referrer", "Dr. An Demo", {"practice": DEMO_PRACTICE}),
        (
            "onthaal@demo.socialmap.invalid",
            "provider",
            "Onthaal Demo",
            {"organization_ids": org_ids},
        ),
        ("steward@demo.socialmap.invalid", "steward", "ELZ Demo", {"region_ids": [region.id]}),
        ("admin@demo.socialmap.invalid", "admin", "Beheer Demo", {}),
    ]
    existing = {u.email: u for u in db.session.scalars(select(m.User))}
    for email, role, name, extra in wanted:
        user = existing.get(email)
        if user is not None and role == "provider":  # a newer demo may add organisations
            known = user.organization_ids
            orgs = db.session.scalars(select(m.Organization).where(m.Organization.id.in_(org_ids)))
            user.organizations.extend(o for o in orgs if o.id not in known)
            db.session.commit()
        elif user is None and not (role == "provider" and not org_ids):
            accounts.create_user(email, role, password=DEMO_PASSWORD, name=name, **extra)
    return [(email, role) for email, role, _name, _extra in wanted]
