"""flask referrals purge."""

from __future__ import annotations

from referral_support import build_world
from referral_support import send

from socialmap import models as m
from socialmap.extensions import db
from socialmap.logic import referrals


def test_purge_command_erases_closed_referrals_past_retention(runner, session):
    world = build_world(session)
    (task,) = send(world)
    referrals.transition(
        world.gp, task.id, {"action": "cancel", "version": 1, "reason_code": "person-declined"}
    )
    kept = runner.invoke(args=["referrals", "purge"])  # closed today: within retention
    assert kept.exit_code == 0 and "of 0 person(s)" in kept.output
    erased = runner.invoke(args=["referrals", "purge", "--days", "0"])
    assert erased.exit_code == 0 and "of 1 person(s)" in erased.output
    assert db.session.get(m.Person, task.request.person_id).name is None
