"""Accounts: creating users, passwords, API tokens, sign-in with rate limiting, invitations.

Secrets never leave this module in the clear except once, to the caller that asked for them:
passwords are stored as scrypt hashes, API tokens and invitation tokens as SHA-256 digests.
Nothing here logs a password or a token.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import secrets
from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any

from flask import current_app
from marshmallow import ValidationError
from sqlalchemy import ColumnElement
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash
from werkzeug.security import generate_password_hash

from socialmap import models as m
from socialmap.errors import AuthenticationFailed
from socialmap.errors import NotFound
from socialmap.errors import RateLimited
from socialmap.extensions import db
from socialmap.models.base import utcnow
from socialmap.permissions import has_role
from socialmap.permissions import require
from socialmap.schemas.account import InvitationAcceptSchema
from socialmap.schemas.account import InvitationCreateSchema
from socialmap.schemas.account import PasswordSchema
from socialmap.schemas.account import TokenCreateSchema
from socialmap.schemas.account import UserCreateSchema

log = logging.getLogger(__name__)

#: API tokens start with this, so that a leaked one is recognisable (secret scanners, logs).
TOKEN_PREFIX = "smp_"
#: Characters of a token kept in clear to tell a user's tokens apart.
TOKEN_PREFIX_LENGTH = 12
#: ``ApiToken.last_used_at`` is written at most this often (not on every request).
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
#: Roles a steward may invite; an admin may invite every role.
STEWARD_INVITES = ("referrer", "provider")

AUTH_FAILED = "Incorrect e-mail address or password."
RATE_LIMITED = "Too many failed sign-in attempts. Try again later."
EMAIL_TAKEN = "An account with this e-mail address already exists."


def can_invite(actor: m.User | None, role: str) -> bool:
    """Admins invite anyone; stewards invite referrers and providers."""
    return has_role(actor, "admin") or (has_role(actor, "steward") and role in STEWARD_INVITES)


# ------------------------------------------------------------------ users and passwords


def create_user(
    email: str,
    role: str,
    *,
    password: str | None = None,
    organization_ids: Iterable[str] = (),
    practice: str | None = None,
    name: str | None = None,
    language: str = "nl",
    region_ids: Iterable[str] = (),
) -> m.User:
    """Create an active account (without a password when none is given).

    :raise ValidationError: bad or taken e-mail, unknown role, organisation or region, a provider
        without organisation, a password shorter than 12 characters.
    """
    data = {
        "email": email,
        "role": role,
        "password": password,
        "organization_ids": list(organization_ids),
        "practice": practice,
        "name": name,
        "language": language,
        "region_ids": list(region_ids),
    }
    user = _new_user(UserCreateSchema().load(data))
    _commit_new_user()
    log.info("account %s created (%s)", user.id, user.role)
    return user


def set_password(user: m.User, password: str) -> None:
    """Replace the user's password. :raise ValidationError: shorter than 12 characters."""
    fields = PasswordSchema().load({"password": password})
    user.password_hash = _hash_password(fields["password"])
    user.session_epoch = (user.session_epoch or 0) + 1  # a new password ends old sessions
    db.session.commit()


def end_sessions(user: m.User) -> None:
    """Sign the user out everywhere: every session cookie issued so far stops working."""
    user.session_epoch = (user.session_epoch or 0) + 1
    db.session.commit()


def find_user(email: str) -> m.User:
    """:raise NotFound: no account has this e-mail address."""
    user = db.session.scalar(select(m.User).where(m.User.email == email.strip().lower()))
    if user is None:
        raise NotFound(f"No account with e-mail address {email.strip()!r}.")
    return user


def _new_user(fields: Mapping[str, Any]) -> m.User:
    """Add a user from loaded schema fields to the session (no commit)."""
    if db.session.scalar(select(m.User.id).where(m.User.email == fields["email"])):
        raise ValidationError({"email": [EMAIL_TAKEN]})
    organizations, regions = _assignments(
        fields["role"], fields.get("organization_ids", ()), fields.get("region_ids", ())
    )
    user = m.User(
        email=fields["email"],
        role=fields["role"],
        name=fields.get("name"),
        practice=fields.get("practice"),
        language=fields.get("language") or "nl",
        active=True,
    )
    user.organizations = organizations
    user.regions = regions
    if fields.get("password"):
        user.password_hash = _hash_password(fields["password"])
    db.session.add(user)
    return user


def _assignments(
    role: str, organization_ids: Iterable[str], region_ids: Iterable[str]
) -> tuple[list[m.Organization], list[m.Region]]:
    """Load the organisations and regions of a new account. :raise ValidationError:"""
    errors: dict[str, list[str]] = {}
    organizations = []
    for org_id in dict.fromkeys(i for i in organization_ids if i):
        org = db.session.get(m.Organization, org_id)
        if org is None:
            errors.setdefault("organization_ids", []).append(f"Unknown organization {org_id!r}.")
        else:
            organizations.append(org)
    if role == "provider" and not organizations and "organization_ids" not in errors:
        errors["organization_ids"] = ["A provider belongs to at least one organization."]
    regions = []
    for region_id in dict.fromkeys(i for i in region_ids if i):
        region = db.session.get(m.Region, region_id)
        if region is None:
            errors.setdefault("region_ids", []).append(f"Unknown region {region_id!r}.")
        else:
            regions.append(region)
    if regions and role not in ("steward", "admin"):
        errors["region_ids"] = ["Only stewards are assigned to regions."]
    if errors:
        raise ValidationError(errors)
    return organizations, regions


def _commit_new_user() -> None:
    try:
        db.session.commit()
    except IntegrityError as exc:  # the same e-mail address saved meanwhile
        db.session.rollback()
        raise ValidationError({"email": [EMAIL_TAKEN]}) from exc


def _hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Checked against when the account is unknown, so both cases take as long."""
    return _hash_password(secrets.token_urlsafe(16))


def _password_matches(user: m.User | None, password: str) -> bool:
    if user is None or not user.password_hash:
        check_password_hash(_dummy_hash(), password)
        return False
    return check_password_hash(user.password_hash, password) and user.active


# ------------------------------------------------------------------ sign-in


def authenticate(email: str, password: str, remote_addr: str | None) -> m.User:
    """Check an e-mail address and password; every attempt is recorded.

    :raise RateLimited: more than LOGIN_MAX_FAILURES recent failures for this address (or four
        times that from ``remote_addr``) within LOGIN_WINDOW_MINUTES.
    :raise AuthenticationFailed: unknown address, wrong password or inactive account (one
        message for all three).
    """
    email = (email or "").strip().lower()[:320]
    remote_addr = remote_addr[:64] if remote_addr else None
    cfg = current_app.config
    now = utcnow()
    since = now - dt.timedelta(minutes=int(cfg["LOGIN_WINDOW_MINUTES"]))
    limit = int(cfg["LOGIN_MAX_FAILURES"])
    from_client = m.LoginAttempt.remote_addr == remote_addr
    if _failures_for_email(email, since) >= limit or (
        remote_addr and _failures(from_client, m.LoginAttempt.at >= since) >= 4 * limit
    ):
        log.warning("sign-in refused: too many failures (client %s)", remote_addr)
        raise RateLimited(RATE_LIMITED)
    user = db.session.scalar(select(m.User).where(m.User.email == email)) if email else None
    ok = _password_matches(user, password or "")
    db.session.add(m.LoginAttempt(email=email, remote_addr=remote_addr, succeeded=ok, at=now))
    if not ok or user is None:
        db.session.commit()
        raise AuthenticationFailed(AUTH_FAILED)
    user.last_login_at = now
    db.session.commit()
    return user


def _failures_for_email(email: str, since: dt.datetime) -> int:
    """Failures since the window opened or since the last success, whichever is later."""
    attempt = m.LoginAttempt
    last_success = db.session.scalar(
        select(func.max(attempt.at)).where(
            attempt.email == email, attempt.succeeded.is_(True), attempt.at >= since
        )
    )
    after = attempt.at > last_success if last_success else attempt.at >= since
    return _failures(attempt.email == email, after)


def _failures(*where: ColumnElement[bool]) -> int:
    query = select(func.count()).select_from(m.LoginAttempt)
    return db.session.scalar(query.where(m.LoginAttempt.succeeded.is_(False), *where)) or 0


# ------------------------------------------------------------------ API tokens


def issue_token(user: m.User, name: str | None = None) -> str:
    """Make a personal API token; the plain token is returned this once, only its hash kept."""
    fields = TokenCreateSchema().load({"name": name})
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(
        m.ApiToken(
            user_id=user.id,
            token_hash=_sha256(token),
            prefix=token_prefix(token),
            name=fields["name"],
        )
    )
    db.session.commit()
    return token


def token_prefix(token: str) -> str:
    """The part of a token kept in clear (shown in token lists)."""
    return token[:TOKEN_PREFIX_LENGTH]


def list_tokens(user: m.User) -> list[m.ApiToken]:
    """The user's tokens, newest first (revoked ones included)."""
    return list(
        db.session.scalars(
            select(m.ApiToken)
            .where(m.ApiToken.user_id == user.id)
            .order_by(m.ApiToken.created_at.desc())
        )
    )


def revoke_token(user: m.User, token_id: str) -> None:
    """Revoke one of the user's tokens (again: no change). :raise NotFound:"""
    row = db.session.get(m.ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound("API token not found.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        db.session.commit()


def user_for_token(token: str | None) -> m.User | None:
    """The active user owning this unrevoked token, else None.

    The token is looked up by its SHA-256 digest: the database compares digests, never the
    secret itself, so timing differences of that comparison reveal nothing about the token.
    """
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    digest = _sha256(token)
    found = db.session.execute(
        select(m.User, m.ApiToken.id, m.ApiToken.last_used_at)
        .join(m.ApiToken, m.ApiToken.user_id == m.User.id)
        .where(m.ApiToken.token_hash == digest, m.ApiToken.revoked_at.is_(None))
    ).one_or_none()
    if found is None or not found[0].active:
        return None
    user, token_id, last_used_at = found
    now = utcnow()
    if last_used_at is None or now - last_used_at >= LAST_USED_RESOLUTION:
        db.session.execute(
            update(m.ApiToken).where(m.ApiToken.id == token_id).values(last_used_at=now)
        )
        db.session.commit()
    return user


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# ------------------------------------------------------------------ invitations


def create_invitation(
    actor: m.User | None,
    email: str,
    role: str,
    organization_id: str | None = None,
    region_id: str | None = None,
    practice: str | None = None,
) -> tuple[m.Invitation, str]:
    """Invite someone to make an account; returns the invitation and its plain token (once).

    ``actor`` None stands for the command line (a trusted operator).
    :raise PermissionDenied: not an admin, or a steward inviting a steward or admin.
    :raise ValidationError: bad e-mail, an account exists, unknown role/organisation/region.
    """
    if actor is not None:
        require(can_invite(actor, role), "invite people with this role")
    fields = InvitationCreateSchema().load(
        {
            "email": email,
            "role": role,
            "organization_id": organization_id,
            "region_id": region_id,
            "practice": practice,
        }
    )
    if db.session.scalar(select(m.User.id).where(m.User.email == fields["email"])):
        raise ValidationError({"email": [EMAIL_TAKEN]})
    organizations, regions = _assignments(
        fields["role"], [fields["organization_id"] or ""], [fields["region_id"] or ""]
    )
    token = secrets.token_urlsafe(32)
    invitation = m.Invitation(
        email=fields["email"],
        role=fields["role"],
        organization_id=organizations[0].id if organizations else None,
        region_id=regions[0].id if regions else None,
        practice=fields["practice"],
        token_hash=_sha256(token),
        created_by_id=actor.id if actor is not None else None,
        expires_at=utcnow() + dt.timedelta(days=int(current_app.config["INVITATION_DAYS"])),
    )
    db.session.add(invitation)
    db.session.commit()
    log.info("invitation %s created (%s)", invitation.id, invitation.role)
    return invitation, token


def invitation_link(token: str) -> str:
    """The link to send; the token is in the fragment, which browsers never send to servers
    (so it stays out of access logs and Referer headers)."""
    return f"{current_app.config['BASE_URL'].rstrip('/')}/invitations/accept#token={token}"


def accept_invitation(token: str, password: str, name: str | None = None) -> m.User:
    """Create the invited account with the invitation's role, organisation, region, practice.

    :raise NotFound: unknown token.
    :raise ValidationError: used or expired invitation, password too short, account exists.
    """
    fields = InvitationAcceptSchema().load({"token": token, "password": password, "name": name})
    invitation = db.session.scalar(
        select(m.Invitation).where(m.Invitation.token_hash == _sha256(fields["token"]))
    )
    if invitation is None:
        raise NotFound("This invitation link is not valid.")
    now = utcnow()
    if invitation.accepted_at is not None:
        raise ValidationError({"token": ["This invitation has already been used."]})
    if invitation.expires_at <= now:
        raise ValidationError({"token": ["This invitation has expired; ask for a new one."]})
    user = _new_user(
        {
            "email": invitation.email,
            "role": invitation.role,
            "password": fields["password"],
            "name": fields["name"],
            "practice": invitation.practice,
            "organization_ids": [invitation.organization_id] if invitation.organization_id else [],
            "region_ids": [invitation.region_id] if invitation.region_id else [],
        }
    )
    invitation.accepted_at = now
    _commit_new_user()
    log.info("invitation %s accepted: account %s", invitation.id, user.id)
    return user
