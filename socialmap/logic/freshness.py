"""Freshness: listings nobody confirmed for FRESHNESS_MONTHS months, asking their providers
to confirm them, and the confirmation itself (``assured_date``, HSDS's "last verified").

A confirmation is a field change like any other (field history, a person's edit wins over
later imports); it answers the open verification requests of the listing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func
from sqlalchemy import select

from socialmap import models as m
from socialmap.errors import Conflict
from socialmap.errors import NotFound
from socialmap.extensions import db
from socialmap.logic import notifications
from socialmap.logic.business_days import local_date
from socialmap.logic.curation import PER_PAGE
from socialmap.logic.curation import can_steward_service
from socialmap.logic.curation import services_in
from socialmap.logic.curation import steward_codes
from socialmap.logic.listings import can_edit_service
from socialmap.logic.provenance import change_fields
from socialmap.logic.search_index import push_after_commit
from socialmap.models.base import utcnow
from socialmap.permissions import require

#: Notification kind of a request to confirm a listing.
KIND = "listing_confirmation"


class NoProviderAccount(Conflict):
    """The service's organisation has no active provider account to ask."""


def confirm_listing(actor: m.User, service_id: str) -> None:
    """The actor confirms the listing is correct today: sets ``assured_date`` and ``assurer``
    (with field history) and answers the open verification requests. Commits.

    Allowed: staff of the service's organisation, stewards of its region, admins.
    :raise NotFound, PermissionDenied:
    """
    service = db.session.get(m.Service, service_id)
    if service is None or service.status == "merged":
        raise NotFound("No such service.")
    require(
        can_edit_service(actor, service) or can_steward_service(actor, service_id),
        "confirm this listing",
    )
    now = utcnow()
    change_fields(
        db.session,
        "service",
        service_id,
        {"assured_date": local_date(now), "assurer": actor.email},
        changed_by=actor.email,
    )
    for request in _open_requests(service_id):
        request.confirmed_at, request.confirmed_by = now, actor.email
    push_after_commit(db.session, [service_id])  # a Core update: the ORM watcher cannot see it
    db.session.commit()


def request_confirmation(actor: m.User, service_id: str) -> int:
    """Ask the service's providers to confirm its listing: a verification request and a
    notification (in-app and e-mail, in each recipient's language) to every active provider
    account of its organisation. Returns how many accounts were notified. Commits.

    :raise NotFound: no such active service.
    :raise PermissionDenied: not a steward of the service's region nor an admin.
    :raise NoProviderAccount: nobody to ask (nothing is recorded).
    """
    service = db.session.get(m.Service, service_id)
    if service is None or service.status != "active":
        raise NotFound("No such service.")
    require(can_steward_service(actor, service_id), "ask to confirm this listing")
    recipients = provider_accounts(service.organization_id)
    if not recipients:
        raise NoProviderAccount("This organisation has no provider account.")
    db.session.add(m.VerificationRequest(service_id=service_id, requested_by_id=actor.id))
    link = f"{current_app.config['BASE_URL'].rstrip('/')}/aanbod/{service_id}"
    name = " ".join(service.name.split())[:120]
    for user in recipients:
        with force_locale(user.language or "nl"):
            subject = _("Please confirm the listing of %(service)s", service=name)
            body = _(
                "The data stewards of socialmap ask you to check whether the listing of "
                "%(service)s is still correct. Sign in, correct what changed and confirm "
                "the listing:\n%(link)s\n\n-- socialmap\n",
                service=name,
                link=link,
            )
        notifications.notify(user, KIND, subject, body, link=link)
    db.session.commit()
    return len(recipients)


def provider_accounts(organization_id: str) -> list[m.User]:
    """The organisation's active provider accounts."""
    q = (
        select(m.User)
        .join(m.user_organization, m.user_organization.c.user_id == m.User.id)
        .where(
            m.user_organization.c.organization_id == organization_id,
            m.User.role == "provider",
            m.User.active.is_(True),
        )
        .order_by(m.User.email)
    )
    return list(db.session.scalars(q))


# ------------------------------------------------------------------ the stale list


@dataclass(frozen=True)
class StaleListing:
    service_id: str
    name: str
    organization: str
    assured_date: dt.date | None
    #: when a confirmation was last asked and is still unanswered (None: not asked)
    asked_at: dt.datetime | None
    providers: int


def cutoff(today: dt.date | None = None) -> dt.date:
    """Listings verified before this date are stale (FRESHNESS_MONTHS months before today)."""
    today = today or local_date(utcnow())
    months = int(current_app.config["FRESHNESS_MONTHS"])
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    month += 1
    for day in range(today.day, 0, -1):  # the 31st of a shorter month: its last day
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def stale_listings(
    actor: m.User, page: int = 1, *, today: dt.date | None = None
) -> tuple[list[StaleListing], int]:
    """Active services of the actor's regions (admins: all) never verified or verified before
    :func:`cutoff`, never verified and oldest first; one page, and how many in all.

    :raise PermissionDenied:
    """
    codes = steward_codes(actor)
    where = [
        m.Service.status == "active",
        m.Service.assured_date.is_(None) | (m.Service.assured_date < cutoff(today)),
        services_in(codes),
    ]
    total = db.session.scalar(select(func.count()).select_from(m.Service).where(*where))
    vr = m.VerificationRequest
    asked = (
        select(vr.service_id, func.max(vr.requested_at).label("asked_at"))
        .where(vr.confirmed_at.is_(None))
        .group_by(vr.service_id)
        .subquery()
    )
    staff = (
        select(m.user_organization.c.organization_id, func.count().label("providers"))
        .join(m.User, m.User.id == m.user_organization.c.user_id)
        .where(m.User.role == "provider", m.User.active.is_(True))
        .group_by(m.user_organization.c.organization_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            m.Service.id,
            m.Service.name,
            m.Organization.name,
            m.Service.assured_date,
            asked.c.asked_at,
            func.coalesce(staff.c.providers, 0),
        )
        .join(m.Organization, m.Organization.id == m.Service.organization_id)
        .outerjoin(asked, asked.c.service_id == m.Service.id)
        .outerjoin(staff, staff.c.organization_id == m.Service.organization_id)
        .where(*where)
        .order_by(
            m.Service.assured_date.is_(None).desc(),
            m.Service.assured_date,
            m.Service.name,
            m.Service.id,
        )
        .offset((max(page, 1) - 1) * PER_PAGE)
        .limit(PER_PAGE)
    )
    return [StaleListing(*row) for row in rows], int(total or 0)


def _open_requests(service_id: str) -> list[m.VerificationRequest]:
    return list(
        db.session.scalars(
            select(m.VerificationRequest).where(
                m.VerificationRequest.service_id == service_id,
                m.VerificationRequest.confirmed_at.is_(None),
            )
        )
    )
