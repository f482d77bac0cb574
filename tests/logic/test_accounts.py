"""Accounts, tokens, sign-in limits, invitations and regions as the logic layer promises them."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from auth_support import PASSWORD
from auth_support import make_organization
from auth_support import make_user
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy import update
from werkzeug.security import check_password_hash

from socialmap import models as m
from socialmap.errors import AuthenticationFailed
from socialmap.errors import NotFound
from socialmap.errors import PermissionDenied
from socialmap.errors import RateLimited
from socialmap.extensions import db
from socialmap.logic import accounts
from socialmap.logic import regions
from socialmap.models.base import utcnow


def _all_values(session, *tables) -> list[str]:  # type: ignore[no-untyped-def]
    """Every stored value of these tables, as text."""
    out = []
    for table in tables:
        for row in session.execute(select(table)).all():
            out += [str(v) for v in row]
    return out


# ------------------------------------------------------------------ users and passwords


def test_create_user_lowercases_email_and_hashes_password_with_scrypt(session):
    org = make_organization("Zorgpunt Oostende")
    user = accounts.create_user(
        "  Els.Peeters@Example.TEST ",
        "provider",
        password=PASSWORD,
        organization_ids=[org.id],
        name="Els",
    )
    session.expire_all()
    stored = session.get(m.User, user.id)
    assert stored.email == "els.peeters@example.test"
    assert stored.password_hash.startswith("scrypt:")
    assert check_password_hash(stored.password_hash, PASSWORD)
    assert not check_password_hash(stored.password_hash, PASSWORD + "x")
    assert stored.organization_ids == {org.id}
    assert stored.active


def test_create_user_rejects_bad_input_field_by_field(session):
    make_user("referrer", email="taken@example.test")
    cases = [
        (dict(email="TAKEN@example.test", role="referrer"), "email"),
        (dict(email="not-an-address", role="referrer"), "email"),
        (dict(email="a@example.test", role="superuser"), "role"),
        (dict(email="a@example.test", role="provider"), "organization_ids"),
        (
            dict(email="a@example.test", role="provider", organization_ids=["nope"]),
            "organization_ids",
        ),
        (dict(email="a@example.test", role="referrer", password="short"), "password"),
        (dict(email="a@example.test", role="steward", region_ids=["nope"]), "region_ids"),
    ]
    for kwargs, field in cases:
        email, role = kwargs.pop("email"), kwargs.pop("role")
        with pytest.raises(ValidationError) as err:
            accounts.create_user(email, role, **kwargs)
        assert field in err.value.messages, (email, role, kwargs)
    assert session.scalar(select(m.User.email).where(m.User.email == "a@example.test")) is None


def test_only_stewards_are_assigned_to_regions(session):
    region = regions.create_region("ELZ Oostende", ["35013"])
    with pytest.raises(ValidationError) as err:
        make_user("referrer", region_ids=[region.id])
    assert "region_ids" in err.value.messages
    steward = make_user("steward", region_ids=[region.id])
    assert [r.name for r in steward.regions] == ["ELZ Oostende"]


def test_set_password_replaces_it_and_enforces_length(session):
    user = make_user("referrer", password=PASSWORD)
    accounts.set_password(user, "another long passphrase")
    assert accounts.authenticate(user.email, "another long passphrase", "10.0.0.1").id == user.id
    with pytest.raises(ValidationError):
        accounts.set_password(user, "too short")


# ------------------------------------------------------------------ API tokens


def test_tokens_are_stored_hashed_and_resolve_to_their_user(session):
    user = make_user("referrer")
    token = accounts.issue_token(user, "laptop")
    assert token.startswith("smp_") and len(token) > 40
    assert token not in " ".join(_all_values(session, m.ApiToken, m.User))
    row = session.scalar(select(m.ApiToken))
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.prefix == token[:12] and row.name == "laptop"
    assert accounts.user_for_token(token).id == user.id
    assert accounts.user_for_token(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert accounts.user_for_token("") is None
    assert accounts.user_for_token(None) is None


def test_revoked_token_and_inactive_user_are_refused(session):
    user = make_user("referrer")
    keep, drop = accounts.issue_token(user), accounts.issue_token(user)
    drop_id = session.scalar(select(m.ApiToken.id).where(m.ApiToken.prefix == drop[:12]))
    accounts.revoke_token(user, drop_id)
    assert accounts.user_for_token(drop) is None
    assert accounts.user_for_token(keep) is not None
    other = make_user("referrer")
    with pytest.raises(NotFound):  # someone else's token cannot be revoked
        accounts.revoke_token(other, session.scalar(select(m.ApiToken.id).limit(1)))
    user.active = False
    session.commit()
    assert accounts.user_for_token(keep) is None


def test_last_used_is_written_at_most_once_a_minute(session):
    user = make_user("referrer")
    token = accounts.issue_token(user)
    accounts.user_for_token(token)
    first = session.scalar(select(m.ApiToken.last_used_at))
    assert first is not None
    accounts.user_for_token(token)
    assert session.scalar(select(m.ApiToken.last_used_at)) == first
    session.execute(update(m.ApiToken).values(last_used_at=first - dt.timedelta(minutes=2)))
    session.commit()
    accounts.user_for_token(token)
    assert session.scalar(select(m.ApiToken.last_used_at)) > first - dt.timedelta(minutes=1)


# ------------------------------------------------------------------ sign-in


def test_authenticate_records_success_and_one_generic_failure(app, session):
    user = make_user("referrer", password=PASSWORD)
    assert user.last_login_at is None
    assert accounts.authenticate(user.email.upper(), PASSWORD, "10.0.0.1").id == user.id
    assert session.get(m.User, user.id).last_login_at is not None
    with pytest.raises(AuthenticationFailed) as wrong_password:
        accounts.authenticate(user.email, "wrong password!!", "10.0.0.1")
    with pytest.raises(AuthenticationFailed) as unknown_email:
        accounts.authenticate("nobody@example.test", PASSWORD, "10.0.0.1")
    assert wrong_password.value.message == unknown_email.value.message
    assert wrong_password.value.status == 401
    attempts = session.execute(select(m.LoginAttempt.email, m.LoginAttempt.succeeded)).all()
    assert sorted(attempts) == sorted(
        [(user.email, True), (user.email, False), ("nobody@example.test", False)]
    )
    assert PASSWORD not in " ".join(_all_values(session, m.LoginAttempt, m.User))


def test_inactive_or_passwordless_accounts_cannot_sign_in(session):
    inactive = make_user("referrer", password=PASSWORD)
    inactive.active = False
    session.commit()
    passwordless = make_user("referrer")
    for user in (inactive, passwordless):
        with pytest.raises(AuthenticationFailed):
            accounts.authenticate(user.email, PASSWORD, "10.0.0.1")


def test_too_many_failures_for_an_email_lock_it_for_the_window(app, session):
    app.config["LOGIN_MAX_FAILURES"] = 3
    user = make_user("referrer", password=PASSWORD)
    for _ in range(3):
        with pytest.raises(AuthenticationFailed):
            accounts.authenticate(user.email, "wrong password!!", "10.0.0.1")
    with pytest.raises(RateLimited) as err:  # even the right password is refused now
        accounts.authenticate(user.email, PASSWORD, "10.0.0.2")
    assert err.value.status == 429
    # an unknown address is limited the same way (no hint that it does not exist)
    for _ in range(3):
        with pytest.raises(AuthenticationFailed):
            accounts.authenticate("ghost@example.test", "whatever", "10.0.0.3")
    with pytest.raises(RateLimited):
        accounts.authenticate("ghost@example.test", "whatever", "10.0.0.3")
    # once the window has passed, signing in works again
    session.execute(update(m.LoginAttempt).values(at=utcnow() - dt.timedelta(minutes=16)))
    session.commit()
    assert accounts.authenticate(user.email, PASSWORD, "10.0.0.1").id == user.id


def test_a_success_resets_the_count_for_that_email(app, session):
    app.config["LOGIN_MAX_FAILURES"] = 3
    user = make_user("referrer", password=PASSWORD)
    for _ in range(2):
        for _ in range(2):
            with pytest.raises(AuthenticationFailed):
                accounts.authenticate(user.email, "wrong password!!", "10.0.0.1")
        accounts.authenticate(user.email, PASSWORD, "10.0.0.1")


def test_too_many_failures_from_one_address_block_it(app, session):
    app.config["LOGIN_MAX_FAILURES"] = 2
    user = make_user("referrer", password=PASSWORD)
    for i in range(8):  # 4 x 2 failures, spread over many addresses
        with pytest.raises(AuthenticationFailed):
            accounts.authenticate(f"guess{i}@example.test", "whatever", "192.0.2.9")
    with pytest.raises(RateLimited):
        accounts.authenticate(user.email, PASSWORD, "192.0.2.9")
    assert accounts.authenticate(user.email, PASSWORD, "192.0.2.10").id == user.id


# ------------------------------------------------------------------ invitations


def test_invitation_creates_the_account_once(app, session):
    app.config["BASE_URL"] = "https://kaart.example/"
    org = make_organization("Budgetpunt")
    admin = make_user("admin")
    invitation, token = accounts.create_invitation(
        admin, "New.Provider@example.test", "provider", organization_id=org.id, practice="Team A"
    )
    assert token not in " ".join(_all_values(session, m.Invitation))
    link = accounts.invitation_link(token)
    assert link == f"https://kaart.example/invitations/accept#token={token}"
    assert invitation.expires_at - utcnow() > dt.timedelta(days=13)

    user = accounts.accept_invitation(token, PASSWORD, name="Nieuwe Collega")
    assert (user.email, user.role, user.practice, user.name) == (
        "new.provider@example.test",
        "provider",
        "Team A",
        "Nieuwe Collega",
    )
    assert user.organization_ids == {org.id}
    assert session.get(m.Invitation, invitation.id).accepted_at is not None
    assert accounts.authenticate(user.email, PASSWORD, "10.0.0.1").id == user.id
    with pytest.raises(ValidationError, match="already been used"):
        accounts.accept_invitation(token, PASSWORD)


def test_expired_unknown_and_weak_acceptances_fail(session):
    admin = make_user("admin")
    invitation, token = accounts.create_invitation(admin, "late@example.test", "referrer")
    with pytest.raises(ValidationError) as err:
        accounts.accept_invitation(token, "short")
    assert "password" in err.value.messages
    invitation.expires_at = utcnow() - dt.timedelta(seconds=1)
    session.commit()
    with pytest.raises(ValidationError, match="expired"):
        accounts.accept_invitation(token, PASSWORD)
    with pytest.raises(NotFound):
        accounts.accept_invitation("no-such-token", PASSWORD)
    assert session.scalar(select(m.User).where(m.User.email == "late@example.test")) is None


def test_who_may_invite_whom(session):
    steward, referrer = make_user("steward"), make_user("referrer")
    org = make_organization("Zorgpunt")
    accounts.create_invitation(steward, "gp@example.test", "referrer", practice="Praktijk Zee")
    accounts.create_invitation(steward, "staff@example.test", "provider", organization_id=org.id)
    for actor, role in [(steward, "steward"), (steward, "admin"), (referrer, "referrer")]:
        with pytest.raises(PermissionDenied):
            accounts.create_invitation(actor, "x@example.test", role)
    with pytest.raises(ValidationError) as err:  # the address already has an account
        accounts.create_invitation(steward, referrer.email, "referrer")
    assert "email" in err.value.messages
    with pytest.raises(ValidationError) as err:
        accounts.create_invitation(steward, "staff2@example.test", "provider")
    assert "organization_ids" in err.value.messages
    assert session.query(m.Invitation).count() == 2


# ------------------------------------------------------------------ regions


def _service(session, name, *, site_nis=None, area_nis=None, accepts=None):  # type: ignore[no-untyped-def]
    """A service with a site in ``site_nis`` and/or a municipality service area."""
    org = make_organization(f"{name} vzw")
    service = m.Service(organization_id=org.id, name=name)
    session.add(service)
    session.flush()
    if site_nis:
        location = m.Location(organization_id=org.id, name=name)
        location.addresses.append(m.Address(street="Kerkstraat 1", municipality_nis=site_nis))
        session.add(location)
        session.flush()
        session.add(m.ServiceAtLocation(service_id=service.id, location_id=location.id))
    if area_nis:
        session.add(m.ServiceArea(service_id=service.id, kind="municipality", code=area_nis))
    if accepts is not None:
        session.add(m.IntakeProcedure(service_id=service.id, accepts_referrals=accepts))
    session.commit()
    return service


def test_create_region_checks_nis_codes_against_the_gazetteer(session):
    region = regions.create_region("  Meetjesland ", ["44001", "44084", "43002"])
    assert region.name == "Meetjesland"
    assert region.municipalities == ["44084", "43002"]  # 44001 (Aalter before 2019) is 44084
    with pytest.raises(ValidationError) as err:
        regions.create_region("Nergens", ["99999", "35013"])
    assert err.value.messages == {"municipalities": ["Unknown NIS code '99999'."]}
    with pytest.raises(ValidationError) as err:
        regions.create_region("Meetjesland", ["35013"])
    assert "name" in err.value.messages
    with pytest.raises(ValidationError):
        regions.create_region("Leeg", [])


def test_steward_sets_referable_only_for_services_in_their_region(session):
    coast = regions.create_region("ELZ Oostende", ["35013", "35005"])
    ghent = regions.create_region("ELZ Gent", ["44021"])
    steward, other = make_user("steward"), make_user("steward")
    regions.add_steward(coast, steward)
    regions.add_steward(ghent, other)
    at_site = _service(session, "Thuiszorg", site_nis="35013")
    by_area = _service(session, "Mantelzorg", area_nis="35005")
    in_ghent = _service(session, "Kinderopvang", site_nis="44021")

    decision = regions.set_referable(steward, coast.id, at_site.id, False, "Wachtlijst")
    assert (decision.referable, decision.note, decision.decided_by) == (
        False,
        "Wachtlijst",
        steward.email,
    )
    regions.set_referable(steward, coast.id, at_site.id, True)  # an update, not a second row
    assert session.query(m.RegionService).count() == 1
    regions.set_referable(steward, coast.id, by_area.id, True)
    with pytest.raises(ValidationError) as err:
        regions.set_referable(steward, coast.id, in_ghent.id, True)
    assert "service_id" in err.value.messages
    with pytest.raises(PermissionDenied):
        regions.set_referable(other, coast.id, at_site.id, False)
    with pytest.raises(PermissionDenied):
        regions.set_referable(make_user("referrer"), coast.id, at_site.id, False)
    with pytest.raises(NotFound):
        regions.set_referable(steward, coast.id, "no-such-service", False)
    admin = make_user("admin")
    regions.set_referable(admin, ghent.id, in_ghent.id, False)
    assert session.query(m.RegionService).count() == 3


def test_add_steward_refuses_non_stewards(session):
    region = regions.create_region("ELZ Oostende", ["35013"])
    with pytest.raises(ValidationError):
        regions.add_steward(region, make_user("provider"))
    assert db.session.scalar(select(m.region_steward.c.user_id)) is None


def test_referable_decisions_false_wins_and_intake_is_the_fallback(session):
    coast = regions.create_region("Kust", ["35013"])
    city = regions.create_region("Oostende stad", ["35013"])
    admin = make_user("admin")
    both = _service(session, "Thuiszorg", site_nis="35013", accepts=True)
    undecided = _service(session, "Mantelzorg", site_nis="35013", accepts=True)
    refused = _service(session, "Gezinszorg", site_nis="35013", accepts=False)
    no_intake = _service(session, "Poetsdienst", site_nis="35013")
    regions.set_referable(admin, coast.id, both.id, True)
    regions.set_referable(admin, city.id, both.id, False)
    regions.set_referable(admin, coast.id, refused.id, True)
    ids = [both.id, undecided.id, refused.id, no_intake.id]
    assert regions.referable_decisions(ids) == {both.id: False, refused.id: True}
    assert regions.effective_referable(ids) == {
        both.id: False,
        undecided.id: True,
        refused.id: True,
        no_intake.id: False,
    }


def test_list_regions_by_role(session):
    coast = regions.create_region("Kust", ["35013"])
    regions.create_region("Gent", ["44021"])
    steward = make_user("steward", region_ids=[coast.id])
    assert [r.name for r in regions.list_regions(steward)] == ["Kust"]
    assert [r.name for r in regions.list_regions(make_user("admin"))] == ["Gent", "Kust"]
    with pytest.raises(PermissionDenied):
        regions.list_regions(make_user("referrer"))
