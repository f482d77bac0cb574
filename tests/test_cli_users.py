"""``flask users`` and ``flask regions`` as an administrator scripts them."""

from __future__ import annotations

from auth_support import PASSWORD
from auth_support import make_organization
from auth_support import make_user
from sqlalchemy import func
from sqlalchemy import select

from socialmap import models as m
from socialmap.logic import accounts


def _ok(runner, *args: str):  # type: ignore[no-untyped-def]
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result


def _fails(runner, *args: str) -> str:  # type: ignore[no-untyped-def]
    result = runner.invoke(args=list(args))
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    return result.stderr


def test_create_users_with_and_without_password(runner, session):
    org = make_organization("Budgetpunt Kust")
    result = _ok(
        runner,
        *("users", "create", "--email", "Lien@Example.test", "--role", "provider"),
        *("--organization", org.id, "--password", PASSWORD, "--name", "Lien"),
    )
    user = session.get(m.User, result.stdout.strip())
    assert (user.email, user.role, user.name) == ("lien@example.test", "provider", "Lien")
    assert user.organization_ids == {org.id}
    assert accounts.authenticate("lien@example.test", PASSWORD, "127.0.0.1").id == user.id

    result = _ok(runner, "users", "create", "--email", "gp@example.test", "--role", "referrer")
    gp = session.get(m.User, result.stdout.strip())
    assert gp.password_hash is None and gp.practice is None
    assert "no password" in result.stderr


def test_create_user_bad_input_says_what_and_exits_1(runner, session):
    make_user("referrer", email="taken@example.test")
    args = ("users", "create", "--email")
    assert "role: Choose one of" in _fails(runner, *args, "a@example.test", "--role", "boss")
    assert "email: An account" in _fails(runner, *args, "TAKEN@example.test", "--role", "admin")
    assert "organization_ids" in _fails(runner, *args, "a@example.test", "--role", "provider")
    assert "Unknown organization 'nope'" in _fails(
        runner, *args, "a@example.test", "--role", "provider", "--organization", "nope"
    )
    assert "password" in _fails(
        runner, *args, "a@example.test", "--role", "referrer", "--password", "short"
    )
    assert "Region 'Nergens' not found" in _fails(
        runner, *args, "a@example.test", "--role", "steward", "--region", "Nergens"
    )
    assert session.scalar(select(func.count()).select_from(m.User)) == 1


def test_token_prints_only_a_working_token(runner, session):
    user = make_user("referrer", email="script@example.test")
    result = _ok(runner, "users", "token", "SCRIPT@example.test", "--name", "cron")
    token = result.stdout.strip()
    assert result.stdout == token + "\n"
    assert accounts.user_for_token(token).id == user.id
    assert "No account" in _fails(runner, "users", "token", "nobody@example.test")


def test_invite_prints_a_link_that_accepts(app, runner, session):
    app.config["BASE_URL"] = "https://kaart.example"
    org = make_organization("Zorgpunt")
    result = _ok(
        runner,
        *("users", "invite", "--email", "new@example.test", "--role", "provider"),
        *("--organization", org.id),
    )
    link = result.stdout.strip()
    assert link.startswith("https://kaart.example/invitations/accept#token=")
    user = accounts.accept_invitation(link.partition("#token=")[2], PASSWORD)
    assert (user.role, user.organization_ids) == ("provider", {org.id})
    assert "role" in _fails(runner, "users", "invite", "--email", "x@example.test", "--role", "x")


def test_regions_create_and_steward(runner, session):
    result = _ok(
        runner,
        *("regions", "create", "--name", "ELZ Oostende"),
        *("--municipality", "35013", "--municipality", "35005"),
    )
    region = session.get(m.Region, result.stdout.strip())
    assert region.municipalities == ["35013", "35005"]
    assert "Unknown NIS code '12345'" in _fails(
        runner, "regions", "create", "--name", "X", "--municipality", "12345"
    )
    assert "already exists" in _fails(
        runner, "regions", "create", "--name", "ELZ Oostende", "--municipality", "35013"
    )

    steward = make_user("steward", email="steward@example.test")
    _ok(runner, "regions", "steward", "ELZ Oostende", "steward@example.test")
    session.expire_all()
    assert [r.id for r in session.get(m.User, steward.id).regions] == [region.id]
    _ok(runner, "regions", "steward", region.id, "steward@example.test")  # again: no change
    assert "not a steward" in _fails(
        runner, "regions", "steward", region.id, make_user("referrer").email
    )
    assert "not found" in _fails(runner, "regions", "steward", "Nergens", steward.email)

    result = _ok(
        runner,
        *("users", "create", "--email", "s2@example.test", "--role", "steward"),
        *("--region", "ELZ Oostende"),
    )
    assert [r.name for r in session.get(m.User, result.stdout.strip()).regions] == ["ELZ Oostende"]
    listing = _ok(runner, "regions", "list").stdout
    assert "ELZ Oostende\t35013,35005\ts2@example.test,steward@example.test" in listing
