"""Notifications: who is told about a referral change, in which language, without personal
data; the e-mail outbox through a real SMTP server (aiosmtpd) with retries; the folder
mailer; overdue reminders on Belgian business days; the ``flask notifications`` worker."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
import socket
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from socialmap import models as m
from socialmap.errors import NotFound
from socialmap.extensions import db
from socialmap.logic import notifications
from socialmap.logic import reminders
from socialmap.logic.mailer import FolderMailer
from socialmap.logic.mailer import compose
from socialmap.models.base import utcnow

BRUSSELS = ZoneInfo("Europe/Brussels")
#: Personal data of the person in need that must never appear in a notification.
PERSONAL = ["Marie Peeters", "1957", "0470 12 34 56", "marie.peeters@example.org", "schulden"]


@dataclass
class World:
    org: m.Organization
    service: m.Service
    provider_nl: m.User
    provider_fr: m.User
    gp: m.User
    colleague: m.User
    task: m.ReferralTask


def _user(email_: str, role: str, language: str = "nl", **kw: object) -> m.User:
    user = m.User(email=email_, role=role, language=language, **kw)
    db.session.add(user)
    return user


def build_world(requested_at: dt.datetime | None = None, shared: bool = True) -> World:
    org = m.Organization(name="OCMW Oostende")
    other = m.Organization(name="CAW Kust")
    db.session.add_all([org, other])
    db.session.flush()
    service = m.Service(organization_id=org.id, name="Schuldhulpverlening")
    db.session.add(service)
    provider_nl = _user("an@ocmw.example", "provider")
    provider_fr = _user("luc@ocmw.example", "provider", "fr")
    gone = _user("old@ocmw.example", "provider", active=False)
    elsewhere = _user("eva@caw.example", "provider")
    provider_nl.organizations.append(org)
    provider_fr.organizations.append(org)
    gone.organizations.append(org)
    elsewhere.organizations.append(other)
    gp = _user("dr.jansen@praktijk.example", "referrer", "en", practice="Praktijk Zee")
    colleague = _user("dr.claes@praktijk.example", "referrer", practice="Praktijk Zee")
    _user("dr.smet@elders.example", "referrer", practice="Praktijk Elders")
    person = m.Person(
        name="Marie Peeters", birth_year=1957, phone="0470 12 34 56",
        email="marie.peeters@example.org", contact_method="phone",
    )  # fmt: skip
    db.session.add(person)
    db.session.flush()
    request = m.ReferralRequest(
        referrer_id=gp.id, practice=gp.practice, shared_with_practice=shared,
        person_id=person.id, needs=["debt-counselling"], note="Grote schulden bij de bank",
    )  # fmt: skip
    db.session.add(request)
    db.session.flush()
    task = m.ReferralTask(
        request_id=request.id, service_id=service.id, organization_id=org.id,
        status="requested", requested_at=requested_at or utcnow(),
    )  # fmt: skip
    db.session.add(task)
    db.session.commit()
    return World(org, service, provider_nl, provider_fr, gp, colleague, task)


def _notes(**where: object) -> list[m.Notification]:
    q = select(m.Notification).filter_by(**where).order_by(m.Notification.id)
    return list(db.session.scalars(q))


def _assert_no_personal_data(text: str) -> None:
    # The link holds a random id whose digits could spell a birth year by chance.
    text = re.sub(r"https?://\S+", "", text).lower()
    for value in PERSONAL:
        assert value.lower() not in text, value


def _message_text(message: email.message.EmailMessage) -> str:
    return f"{message['Subject']}\n{message['To']}\n{message.get_content()}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Collector:
    """aiosmtpd handler that keeps what it receives."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 OK"


@pytest.fixture
def smtp_port(app):  # type: ignore[no-untyped-def]
    port = free_port()
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    return port


@pytest.fixture
def smtp_server(smtp_port):  # type: ignore[no-untyped-def]
    controller = Controller(Collector(), hostname="127.0.0.1", port=smtp_port)
    controller.start()
    yield controller.handler
    controller.stop()


def test_requester_change_notifies_active_members_of_the_target_organisation(app):
    w = build_world()
    notifications.referral_event(w.task.id, "referral_requested", "requester")
    db.session.commit()
    notes = _notes()
    assert {n.user_id for n in notes} == {w.provider_nl.id, w.provider_fr.id}
    by_user = {n.user_id: n for n in notes}
    assert by_user[w.provider_nl.id].subject == (
        "socialmap: Nieuwe doorverwijzing naar Schuldhulpverlening"
    )
    assert by_user[w.provider_fr.id].subject == (
        "socialmap: Nouvelle orientation vers Schuldhulpverlening"
    )
    for note in notes:
        assert note.link == f"{app.config['BASE_URL']}/referrals/{w.task.id}"
        assert note.link in note.body and note.task_id == w.task.id
        assert note.mail_status == "pending" and note.attempts == 0
        _assert_no_personal_data(note.subject + note.body)


def test_target_change_notifies_referrer_and_practice_when_shared(app):
    w = build_world(shared=True)
    notifications.referral_event(w.task.id, "referral_accepted", "target")
    db.session.commit()
    notes = _notes()
    assert {n.user_id for n in notes} == {w.gp.id, w.colleague.id}
    gp_note = next(n for n in notes if n.user_id == w.gp.id)
    assert gp_note.subject == "socialmap: Referral to Schuldhulpverlening accepted"


def test_target_change_notifies_only_referrer_when_not_shared(app):
    w = build_world(shared=False)
    notifications.referral_event(w.task.id, "referral_rejected", "target")
    db.session.commit()
    assert [n.user_id for n in _notes()] == [w.gp.id]


def test_enqueue_is_part_of_the_callers_transaction(app):
    w = build_world()
    notifications.referral_event(w.task.id, "referral_cancelled", "requester")
    db.session.rollback()
    assert _notes() == []
    with pytest.raises(ValueError):
        notifications.referral_event(w.task.id, "referral_exploded", "requester")
    with pytest.raises(NotFound):
        notifications.referral_event("no-such-task", "referral_requested", "requester")


def test_delivers_through_smtp_without_personal_data(app, smtp_server):
    w = build_world()
    notifications.referral_event(w.task.id, "referral_requested", "requester")
    db.session.commit()
    counts = notifications.deliver_pending()
    assert counts["sent"] == 2
    received = {rcpt[0]: msg for rcpt, msg in smtp_server.received}
    assert set(received) == {"an@ocmw.example", "luc@ocmw.example"}
    msg = received["an@ocmw.example"]
    assert msg["To"] == "an@ocmw.example"
    assert msg["Subject"] == "socialmap: Nieuwe doorverwijzing naar Schuldhulpverlening"
    assert msg["From"] == app.config["MAIL_FROM"]
    body = msg.get_content()
    assert f"/referrals/{w.task.id}" in body and "Meld u aan" in body
    assert "Connectez-vous" in received["luc@ocmw.example"].get_content()
    for message in received.values():
        _assert_no_personal_data(_message_text(message))
    assert {n.mail_status for n in _notes()} == {"sent"}
    assert all(n.sent_at is not None and n.attempts == 1 for n in _notes())
    assert notifications.deliver_pending()["sent"] == 0
    assert len(smtp_server.received) == 2


def test_smtp_down_backs_off_then_delivers_exactly_once(app, smtp_port):
    user = _user("an@ocmw.example", "provider")
    db.session.flush()
    notifications.notify(user, "test", "Onderwerp", "Tekst")
    db.session.commit()
    t0 = utcnow() + dt.timedelta(seconds=1)
    counts = notifications.deliver_pending(now=t0)  # nothing listens on the port
    assert counts["retrying"] == 1 and counts["sent"] == 0
    (note,) = _notes()
    assert note.mail_status == "pending" and note.attempts == 1 and note.sent_at is None
    assert note.next_attempt_at == t0 + dt.timedelta(seconds=60)
    assert "MailTransportError" in note.last_error

    controller = Controller(Collector(), hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        # Not due yet: the server is up but the backoff holds.
        assert notifications.deliver_pending(now=t0 + dt.timedelta(seconds=30))["sent"] == 0
        assert controller.handler.received == []
        later = t0 + dt.timedelta(seconds=61)
        assert notifications.deliver_pending(now=later)["sent"] == 1
        assert notifications.deliver_pending(now=later + dt.timedelta(days=1))["sent"] == 0
        assert len(controller.handler.received) == 1
    finally:
        controller.stop()
    (note,) = _notes()
    assert note.mail_status == "sent" and note.attempts == 2 and note.last_error is None


def test_down_server_defers_the_rest_and_a_refused_recipient_does_not_block_others(app, smtp_port):
    users = [_user(f"user{i}@example.org", "provider") for i in range(3)]
    db.session.flush()
    for user in users:
        notifications.notify(user, "test", "Onderwerp", "Tekst")
    db.session.commit()
    now = utcnow() + dt.timedelta(seconds=1)
    counts = notifications.deliver_pending(now=now)  # nothing listens: stop after one try
    assert (counts["retrying"], counts["deferred"]) == (1, 2)
    assert sorted(n.attempts for n in _notes()) == [0, 0, 1]

    class Refusing(Collector):
        async def handle_RCPT(self, server, session, envelope, address, options):
            if address == "user1@example.org":
                return "550 No such user"
            envelope.rcpt_tos.append(address)
            return "250 OK"

    controller = Controller(Refusing(), hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        counts = notifications.deliver_pending(now=now + dt.timedelta(hours=1))
    finally:
        controller.stop()
    assert (counts["sent"], counts["retrying"]) == (2, 1)
    assert sorted(r[0] for r, _msg in controller.handler.received) == [
        "user0@example.org",
        "user2@example.org",
    ]
    refused = next(n for n in _notes() if n.mail_status == "pending")
    assert "SMTPRecipientsRefused" in refused.last_error


def test_gives_up_after_max_attempts_with_growing_backoff(app, smtp_port):
    app.config.update(MAIL_MAX_ATTEMPTS=3, MAIL_RETRY_BASE_SECONDS=10)
    user = _user("an@ocmw.example", "provider")
    db.session.flush()
    notifications.notify(user, "test", "Onderwerp", "Tekst")
    db.session.commit()
    now = utcnow()
    waits = []
    for _ in range(3):
        notifications.deliver_pending(now=now)
        (note,) = _notes()
        if note.next_attempt_at is not None:
            waits.append(note.next_attempt_at - now)
            now = note.next_attempt_at
    assert waits == [dt.timedelta(seconds=10), dt.timedelta(seconds=20)]
    (note,) = _notes()
    assert note.mail_status == "failed" and note.attempts == 3
    assert notifications.deliver_pending(now=now + dt.timedelta(days=1))["failed"] == 0
    assert notifications.retry_delay(30, 60) == dt.timedelta(hours=6)


def test_a_claimed_message_is_not_taken_by_a_second_worker(app):
    user = _user("an@ocmw.example", "provider")
    db.session.flush()
    note = notifications.notify(user, "test", "Onderwerp", "Tekst")
    db.session.commit()
    # Both workers saw attempts=0; only the first UPDATE matches the row.
    assert notifications._claim(note.id, 0, utcnow()) is True
    assert notifications._claim(note.id, 0, utcnow()) is False


def test_inactive_recipient_and_in_app_only_are_not_mailed(app, tmp_path):
    app.config.update(MAIL_BACKEND="folder", MAIL_FOLDER=str(tmp_path / "outbox"))
    user = _user("an@ocmw.example", "provider")
    db.session.flush()
    notifications.notify(user, "test", "In-app", "Tekst", mail=False)
    notifications.notify(user, "test", "Mail", "Tekst")
    db.session.commit()
    user.active = False
    db.session.commit()
    assert notifications.deliver_pending()["skipped"] == 1
    assert [n.mail_status for n in _notes()] == ["none", "none"]
    assert not (tmp_path / "outbox").exists() or not list((tmp_path / "outbox").iterdir())


def test_folder_mailer_writes_parseable_eml(tmp_path):
    mailer = FolderMailer(tmp_path / "outbox")
    with mailer:
        mailer.send(compose("socialmap <noreply@x.invalid>", "an@ocmw.example", "Dag é", "Hallo"))
    (path,) = (tmp_path / "outbox").iterdir()
    assert path.suffix == ".eml" and not path.name.startswith(".tmp")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["To"] == "an@ocmw.example" and message["Subject"] == "Dag é"
    assert message.get_content().strip() == "Hallo"
    assert message["Message-ID"].endswith("@x.invalid>")


def _local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BRUSSELS)


def test_reminder_fires_once_after_two_business_days_honouring_a_holiday(app):
    # Monday 9 Nov 2026, 10:00; Wednesday 11 Nov is Armistice: due Thursday 12 Nov, 10:00.
    w = build_world(requested_at=_local(2026, 11, 9, 10))
    assert reminders.send_reminders(now=_local(2026, 11, 11, 18)) == 0
    assert not reminders.overdue_flag(w.task, _local(2026, 11, 12, 9, 59))
    assert reminders.send_reminders(now=_local(2026, 11, 12, 9, 59)) == 0
    assert _notes() == []

    assert reminders.send_reminders(now=_local(2026, 11, 12, 10)) == 1
    assert reminders.send_reminders(now=_local(2026, 11, 13, 10)) == 0  # idempotent
    task = db.session.get(m.ReferralTask, w.task.id)
    assert task.reminded_at == _local(2026, 11, 12, 10) and task.version == 1
    assert reminders.overdue_flag(task, _local(2026, 11, 12, 10))
    events = db.session.scalars(select(m.ReferralEvent).filter_by(task_id=task.id)).all()
    assert [(e.kind, e.actor_side) for e in events] == [("reminder", "system")]
    notes = {n.user_id: n for n in _notes(kind="referral_overdue")}
    assert set(notes) == {w.provider_nl.id, w.provider_fr.id, w.gp.id, w.colleague.id}
    assert notes[w.provider_nl.id].mail_status == "pending"
    assert notes[w.provider_nl.id].subject.startswith("socialmap: Herinnering")
    assert notes[w.gp.id].mail_status == "none"  # the referrer's flag shows in the app
    assert notes[w.gp.id].subject == "socialmap: Referral to Schuldhulpverlening not answered yet"
    for note in notes.values():
        _assert_no_personal_data(note.subject + note.body)


def test_no_reminder_for_answered_tasks(app):
    w = build_world(requested_at=_local(2026, 11, 2, 10))
    w.task.status = "accepted"
    db.session.commit()
    assert reminders.send_reminders(now=_local(2026, 11, 20, 10)) == 0
    assert not reminders.overdue_flag(w.task, _local(2026, 11, 20, 10))


def test_cli_send_runs_reminders_then_delivery_to_the_outbox(app, runner, tmp_path):
    app.config.update(MAIL_BACKEND="folder", MAIL_FOLDER=str(tmp_path / "outbox"))
    build_world(requested_at=utcnow() - dt.timedelta(days=10))
    result = runner.invoke(args=["notifications", "send"])
    assert result.exit_code == 0, result.output
    assert "reminders=1 sent=2" in result.output
    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 2
    for path in files:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert "/referrals/" in message.get_content()
        _assert_no_personal_data(_message_text(message))
    result = runner.invoke(args=["notifications", "remind"])
    assert result.exit_code == 0 and "reminders=0" in result.output
