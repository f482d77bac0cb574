"""Notifications: an in-app inbox per user and an e-mail outbox delivered with retries.

Enqueueing (:func:`notify`, :func:`referral_event`) only adds rows to the caller's
transaction: a notification exists exactly when the change it reports was committed.
:func:`deliver_pending` (run by ``flask notifications send``) then mails them.

Messages never carry personal data of the person in need: they name the event and the
service and link to the referral, which needs a sign-in.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from flask import current_app
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update

from socialmap.errors import NotFound
from socialmap.extensions import db
from socialmap.logic.mailer import Mailer
from socialmap.logic.mailer import MailTransportError
from socialmap.logic.mailer import compose
from socialmap.logic.mailer import make_mailer
from socialmap.logic.mailer import sender_domain
from socialmap.models import Notification
from socialmap.models import ReferralRequest
from socialmap.models import ReferralTask
from socialmap.models import Service
from socialmap.models import User
from socialmap.models import user_organization
from socialmap.models.base import utcnow

log = logging.getLogger(__name__)

LANGUAGES = ("nl", "fr", "en")
#: Longest wait between two delivery attempts of one message.
MAX_RETRY_DELAY = dt.timedelta(hours=6)

#: What happened, per kind and language; ``{service}`` is the service's name.
TITLES: dict[str, dict[str, str]] = {
    "referral_requested": {
        "nl": "Nieuwe doorverwijzing naar {service}",
        "fr": "Nouvelle orientation vers {service}",
        "en": "New referral to {service}",
    },
    "referral_accepted": {
        "nl": "Doorverwijzing naar {service} aanvaard",
        "fr": "Orientation vers {service} acceptée",
        "en": "Referral to {service} accepted",
    },
    "referral_rejected": {
        "nl": "Doorverwijzing naar {service} geweigerd",
        "fr": "Orientation vers {service} refusée",
        "en": "Referral to {service} declined",
    },
    "referral_cancelled": {
        "nl": "Doorverwijzing naar {service} geannuleerd",
        "fr": "Orientation vers {service} annulée",
        "en": "Referral to {service} cancelled",
    },
    "referral_in_progress": {
        "nl": "Doorverwijzing naar {service} in behandeling",
        "fr": "Orientation vers {service} en cours",
        "en": "Referral to {service} in progress",
    },
    "referral_on_hold": {
        "nl": "Doorverwijzing naar {service} on hold gezet",
        "fr": "Orientation vers {service} mise en attente",
        "en": "Referral to {service} put on hold",
    },
    "referral_completed": {
        "nl": "Doorverwijzing naar {service} afgerond",
        "fr": "Orientation vers {service} terminée",
        "en": "Referral to {service} completed",
    },
    "referral_failed": {
        "nl": "Doorverwijzing naar {service} niet gelukt",
        "fr": "Orientation vers {service} non aboutie",
        "en": "Referral to {service} failed",
    },
    "referral_entered_in_error": {
        "nl": "Doorverwijzing naar {service} was een vergissing",
        "fr": "Orientation vers {service} créée par erreur",
        "en": "Referral to {service} entered in error",
    },
    "consent_withdrawn": {
        "nl": "Toestemming ingetrokken voor doorverwijzing naar {service}",
        "fr": "Consentement retiré pour l'orientation vers {service}",
        "en": "Consent withdrawn for the referral to {service}",
    },
    "referral_received": {
        "nl": "Doorverwijzing naar {service} ontvangen",
        "fr": "Orientation vers {service} reçue",
        "en": "Referral to {service} received",
    },
    "referral_overdue": {
        "nl": "Herinnering: doorverwijzing naar {service} wacht op antwoord",
        "fr": "Rappel : une orientation vers {service} attend une réponse",
        "en": "Reminder: referral to {service} is waiting for an answer",
    },
}

#: Where the referrer reads an event differently from the provider.
REFERRER_TITLES: dict[str, dict[str, str]] = {
    "referral_overdue": {
        "nl": "Doorverwijzing naar {service} nog niet beantwoord",
        "fr": "Orientation vers {service} toujours sans réponse",
        "en": "Referral to {service} not answered yet",
    },
}

#: (kind, audience) that only show in the app: the overdue flag for the referrer.
IN_APP_ONLY = {("referral_overdue", "referrer")}

SUBJECT = "socialmap: {title}"
BODY = {
    "nl": "{title}.\n\nMeld u aan om de doorverwijzing te bekijken:\n{link}\n\n"
    "Dit bericht bevat bewust geen gegevens over de persoon.\n-- socialmap\n",
    "fr": "{title}.\n\nConnectez-vous pour consulter l'orientation :\n{link}\n\n"
    "Ce message ne contient volontairement aucune donnée sur la personne.\n-- socialmap\n",
    "en": "{title}.\n\nSign in to view the referral:\n{link}\n\n"
    "This message deliberately holds no data about the person.\n-- socialmap\n",
}


def notify(
    user: User,
    kind: str,
    subject: str,
    body: str,
    link: str | None = None,
    task_id: str | None = None,
    mail: bool = True,
    *,
    now: dt.datetime | None = None,
) -> Notification:
    """Add a notification for ``user`` to the session (the caller commits); with ``mail``
    it is also queued for e-mail delivery right away (``now``: the time it happened)."""
    note = Notification(**_row(user.id, kind, subject, body, link, task_id, mail, now or utcnow()))
    db.session.add(note)
    return note


def _row(
    user_id: str,
    kind: str,
    subject: str,
    body: str,
    link: str | None,
    task_id: str | None,
    mail: bool,
    now: dt.datetime,
) -> dict[str, Any]:
    """The columns of a new notification (mail ones are due for delivery at once)."""
    return {
        "user_id": user_id,
        "kind": kind,
        "subject": _one_line(subject)[:300],
        "body": body,
        "link": link,
        "task_id": task_id,
        "mail_status": "pending" if mail else "none",
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now if mail else None,
    }


def referral_event(
    task_id: str,
    kind: str,
    actor_side: str,
    *,
    now: dt.datetime | None = None,
    facts: Any = None,
) -> None:
    """Queue notifications about a change of a referral task for the other side.

    ``actor_side`` requester -> the active members of the target organisation; target -> the
    referrer (and practice colleagues when the request is shared); system -> both. Adds to
    the caller's transaction without committing. ``facts`` (a
    :class:`~socialmap.logic.referral_access.TaskFacts`, or anything with its
    ``organization_id``, ``service_name``, ``referrer_id``, ``practice`` and
    ``shared_with_practice``) saves reading the task again.
    :raise NotFound: when the task does not exist. :raise ValueError: for an unknown kind/side.
    """
    if kind not in TITLES:
        raise ValueError(f"unknown notification kind {kind!r}")
    if actor_side not in ("requester", "target", "system"):
        raise ValueError(f"unknown actor side {actor_side!r}")
    if facts is None:
        facts = _task_facts(task_id)
    now = now or utcnow()
    service_name = _one_line(facts.service_name or "")[:120]
    link = referral_link(task_id)
    audiences: list[tuple[str, list[tuple[str, str]]]] = []
    if actor_side in ("requester", "system"):
        audiences.append(("provider", _providers(facts.organization_id)))
    if actor_side in ("target", "system"):
        audiences.append(("referrer", _referrers(facts)))
    seen: set[str] = set()
    rows = []
    for audience, users in audiences:
        for user_id, language in users:
            if user_id in seen:
                continue
            seen.add(user_id)
            subject, body = render(kind, audience, language, service=service_name, link=link)
            mail = (kind, audience) not in IN_APP_ONLY
            rows.append(_row(user_id, kind, subject, body, link, task_id, mail, now))
    if rows:
        db.session.execute(insert(Notification), rows)


def render(kind: str, audience: str, language: str, *, service: str, link: str) -> tuple[str, str]:
    """(subject, body) of a referral notification in ``language`` (Dutch when unknown)."""
    lang = language if language in LANGUAGES else "nl"
    titles = REFERRER_TITLES.get(kind) if audience == "referrer" else None
    title = (titles or TITLES[kind])[lang].format(service=service)
    return SUBJECT.format(title=title), BODY[lang].format(title=title, link=link)


def referral_link(task_id: str) -> str:
    return f"{current_app.config['BASE_URL'].rstrip('/')}/referrals/{task_id}"


def _task_facts(task_id: str) -> Any:
    row = db.session.execute(
        select(
            ReferralTask.organization_id.label("organization_id"),
            Service.name.label("service_name"),
            ReferralRequest.referrer_id.label("referrer_id"),
            ReferralRequest.practice.label("practice"),
            ReferralRequest.shared_with_practice.label("shared_with_practice"),
        )
        .join(ReferralRequest, ReferralRequest.id == ReferralTask.request_id)
        .join(Service, Service.id == ReferralTask.service_id)
        .where(ReferralTask.id == task_id)
    ).one_or_none()
    if row is None:
        raise NotFound("Referral not found.")
    return row


def _providers(organization_id: str) -> list[tuple[str, str]]:
    """(id, language) of the organisation's active staff."""
    q = (
        select(User.id, User.language)
        .join(user_organization, user_organization.c.user_id == User.id)
        .where(user_organization.c.organization_id == organization_id, User.active.is_(True))
        .order_by(User.id)
    )
    return [(uid, lang) for uid, lang in db.session.execute(q)]


def _referrers(facts: Any) -> list[tuple[str, str]]:
    """(id, language) of the referrer, then practice colleagues when the request is shared."""
    who = User.id == facts.referrer_id
    if facts.shared_with_practice and facts.practice:
        who = or_(who, User.practice == facts.practice)
    q = select(User.id, User.language).where(who, User.active.is_(True)).order_by(User.id)
    rows = [(uid, lang) for uid, lang in db.session.execute(q)]
    return sorted(rows, key=lambda r: r[0] != facts.referrer_id)


def list_for_user(
    user: User, unread_only: bool = False, page: int = 1, per_page: int = 20
) -> tuple[list[Notification], int]:
    """The user's own notifications, newest first, and how many there are in all."""
    where = [Notification.user_id == user.id]
    if unread_only:
        where.append(Notification.read_at.is_(None))
    total = db.session.scalar(select(func.count()).select_from(Notification).where(*where))
    page, per_page = max(page, 1), min(max(per_page, 1), 100)
    q = (
        select(Notification)
        .where(*where)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return list(db.session.scalars(q)), int(total or 0)


def unread_count(user: User) -> int:
    q = select(func.count()).select_from(Notification)
    q = q.where(Notification.user_id == user.id, Notification.read_at.is_(None))
    return int(db.session.scalar(q) or 0)


def mark_all_read(user: User) -> int:
    """Mark every unread notification of the user read in one statement; returns how many."""
    done = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
    return int(done.rowcount or 0)


def mark_read(user: User, notification_id: int) -> Notification:
    """Mark one of the user's own notifications read (again is harmless).

    :raise NotFound: when it does not exist or belongs to someone else.
    """
    note = db.session.get(Notification, notification_id)
    if note is None or note.user_id != user.id:
        raise NotFound("Notification not found.")
    if note.read_at is None:
        note.read_at = utcnow()
        db.session.commit()
    return note


def retry_delay(attempts: int, base_seconds: float) -> dt.timedelta:
    """Wait after the ``attempts``-th failed attempt: base * 2**(attempts-1), at most 6 h."""
    seconds = float(base_seconds) * 2 ** max(attempts - 1, 0)
    return min(dt.timedelta(seconds=seconds), MAX_RETRY_DELAY)


def deliver_pending(
    now: dt.datetime | None = None, limit: int = 100, mailer: Mailer | None = None
) -> dict[str, int]:
    """Mail the queued notifications that are due; returns counts per outcome.

    Each message is first claimed by a guarded UPDATE that records the attempt and schedules
    the next one, and committed; so a second worker skips it, and after a crash mid-send it
    is retried later rather than lost. Success is committed per message, so a delivered
    message is never sent again by a later run.
    """
    now = now or utcnow()
    cfg = current_app.config
    counts = {"sent": 0, "retrying": 0, "failed": 0, "skipped": 0, "deferred": 0}
    due = db.session.execute(
        select(Notification.id, Notification.attempts)
        .where(Notification.mail_status == "pending", Notification.next_attempt_at <= now)
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(limit)
    ).all()
    db.session.commit()
    if not due:
        return counts
    with mailer or make_mailer(cfg) as transport:
        for position, (note_id, attempts) in enumerate(due):
            if not _claim(note_id, attempts, now):
                counts["skipped"] += 1  # another worker has it
                continue
            outcome, transport_down = _deliver_one(transport, note_id, now)
            counts[outcome] += 1
            if transport_down:  # every further message would fail too: keep them queued
                counts["deferred"] += len(due) - position - 1
                break
    return counts


def _claim(note_id: int, seen_attempts: int, now: dt.datetime) -> bool:
    attempts = seen_attempts + 1
    retry_at = now + retry_delay(attempts, current_app.config["MAIL_RETRY_BASE_SECONDS"])
    result = db.session.execute(
        update(Notification)
        .where(
            Notification.id == note_id,
            Notification.mail_status == "pending",
            Notification.attempts == seen_attempts,
        )
        .values(attempts=attempts, next_attempt_at=retry_at)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1  # type: ignore[attr-defined]


#: kind -> how to rewrite a message's stored body once it is mailed, for messages that carry a
#: one-time secret (a password-reset link): the secret then lives in the e-mail only.
_REDACT_AFTER_SENDING: dict[str, Callable[[str], str]] = {}


def redact_after_sending(kind: str, redact: Callable[[str], str]) -> None:
    """Register how the stored body of ``kind`` messages is rewritten once they are mailed."""
    _REDACT_AFTER_SENDING[kind] = redact


def _deliver_one(transport: Mailer, note_id: int, now: dt.datetime) -> tuple[str, bool]:
    """Send one claimed message: (outcome, whether the transport is down)."""
    cfg = current_app.config
    note = db.session.get(Notification, note_id)
    if note is None:  # the account was deleted since the claim
        return "skipped", False
    user = db.session.get(User, note.user_id)
    if user is None or not user.active or not user.email:
        note.mail_status, note.next_attempt_at = "none", None
        note.last_error = "recipient inactive"
        db.session.commit()
        return "skipped", False
    stamp = note.created_at.strftime("%Y%m%d%H%M%S")
    sender = cfg["MAIL_FROM"]
    message_id = f"<notification.{note.id}.{stamp}@{sender_domain(sender)}>"
    try:
        message = compose(sender, user.email, note.subject, note.body, message_id=message_id)
        transport.send(message)
    except Exception as exc:
        return _record_failure(note, exc), isinstance(exc, MailTransportError)
    note.mail_status, note.sent_at, note.next_attempt_at = "sent", now, None
    note.last_error = None
    if redact := _REDACT_AFTER_SENDING.get(note.kind):
        note.body = redact(note.body)
    db.session.commit()
    log.info("notification %s mailed to user %s", note.id, note.user_id)
    return "sent", False


def _record_failure(note: Notification, exc: Exception) -> str:
    note.last_error = f"{type(exc).__name__}: {exc}"[:1000]
    gave_up = note.attempts >= int(current_app.config["MAIL_MAX_ATTEMPTS"])
    if gave_up:
        note.mail_status, note.next_attempt_at = "failed", None
    db.session.commit()
    # Only ids in the log: the exception text may hold the recipient's address.
    log.warning(
        "notification %s to user %s: attempt %d failed (%s)%s",
        note.id,
        note.user_id,
        note.attempts,
        type(exc).__name__,
        "; giving up" if gave_up else "",
    )
    return "failed" if gave_up else "retrying"


def _one_line(text: Any) -> str:
    return " ".join(str(text).split())
