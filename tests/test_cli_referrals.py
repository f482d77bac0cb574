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


def test_purge_forgets_old_sign_in_records_only(runner, session):  # type: ignore[no-untyped-def]
    import datetime as dt

    from auth_support import make_user
    from sqlalchemy import func
    from sqlalchemy import select

    from socialmap import models as m
    from socialmap.models.base import utcnow

    now = utcnow()
    old, recent = now - dt.timedelta(days=31), now - dt.timedelta(days=1)
    user = make_user("referrer")
    session.add_all(
        [
            m.LoginAttempt(email="a@example.test", remote_addr="192.0.2.1", at=old),
            m.LoginAttempt(email="a@example.test", remote_addr="192.0.2.1", at=recent),
            m.PasswordReset(user_id=user.id, token_hash="a" * 64, expires_at=old),
            m.PasswordReset(user_id=user.id, token_hash="b" * 64, expires_at=now),
        ]
    )
    session.commit()
    result = runner.invoke(args=["referrals", "purge"])
    assert result.exit_code == 0, result.output
    assert "deleted 2 old sign-in attempt(s) and password-reset link(s)" in result.output
    left = session.scalars(select(m.LoginAttempt.at)).all()
    assert [at.date() for at in left] == [recent.date()]
    assert session.scalar(select(func.count()).select_from(m.LoginAttempt)) == 1
    assert session.scalars(select(m.PasswordReset.token_hash)).all() == ["b" * 64]
