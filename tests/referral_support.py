"""A small referral world: the coast directory, users on every side, and a referral maker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from auth_support import make_user
from factories import coast_batch
from sqlalchemy import select

from importers.pipeline import run_import
from importers.records import IntakeIn
from socialmap import models as m
from socialmap.logic import referrals
from socialmap.logic import search_index
from socialmap.logic.taxonomy import sync_taxonomies


@dataclass
class World:
    debt: m.Service  # Schuldhulpverlening (org 1, accepts referrals)
    budget: m.Service  # Budgetbeheer (org 1, does not accept referrals)
    meeting: m.Service  # Ontmoetingsnamiddag (org 2, accepts referrals)
    gp: m.User
    colleague: m.User  # same practice as gp
    other_gp: m.User
    provider: m.User  # staff of org 1
    other_provider: m.User  # staff of org 2
    steward: m.User
    admin: m.User


def build_world(session) -> World:  # type: ignore[no-untyped-def]
    sync_taxonomies(session)
    session.commit()
    batch = coast_batch()
    batch.services[2].intake = IntakeIn(methods=["phone"], accepts_referrals=True)
    out = run_import(session, source="t", fmt="t", location="m", batch=batch)
    assert out.ok, out.error
    search_index.reindex(session)
    by_name = {s.name: s for s in session.scalars(select(m.Service))}
    debt, budget, meeting = (
        by_name["Schuldhulpverlening"],
        by_name["Budgetbeheer"],
        by_name["Ontmoetingsnamiddag"],
    )
    return World(
        debt=debt,
        budget=budget,
        meeting=meeting,
        gp=make_user("referrer", practice="Praktijk Zeedijk"),
        colleague=make_user("referrer", practice="Praktijk Zeedijk"),
        other_gp=make_user("referrer", practice="Huisartsen Centrum"),
        provider=make_user("provider", organizations=[debt.organization_id]),
        other_provider=make_user("provider", organizations=[meeting.organization_id]),
        steward=make_user("steward"),
        admin=make_user("admin"),
    )


def referral_data(*services: m.Service, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "person": {
            "name": "M. Janssens",
            "birth_year": 1958,
            "postcode": "8400",
            "language": "nl",
            "contact_method": "phone",
            "phone": "059 12 34 56",
        },
        "needs": ["debt-counselling"],
        "services": [s.id for s in services],
        "note": "Weduwe sinds kort, facturen stapelen zich op.",
        "urgency": "routine",
        "consent": {"method": "verbal"},
    }
    data.update(overrides)
    return data


def send(world: World, *services: m.Service, **overrides: Any) -> list[m.ReferralTask]:
    """The gp refers to the services (default: the debt service); returns the tasks."""
    request, created = referrals.create_referral(
        world.gp, referral_data(*(services or (world.debt,)), **overrides)
    )
    assert created
    return sorted(request.tasks, key=lambda t: t.created_at)
