"""Mail transports: an outbox folder of .eml files (development) or an SMTP server.

A mailer sends one :class:`~email.message.EmailMessage` at a time and may keep its connection
open between messages; use it as a context manager so the connection is closed. Errors:

- :class:`MailTransportError`: the transport itself is unusable (server unreachable, login
  refused, disk full). Every further message would fail the same way.
- any other exception (e.g. ``smtplib.SMTPRecipientsRefused``): this one message was refused.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import email.utils
import os
import smtplib
import ssl
import tempfile
from collections.abc import Mapping
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any
from typing import Protocol

#: Seconds to wait for the SMTP server (connect and each command) when MAIL_TIMEOUT is unset.
DEFAULT_TIMEOUT = 10.0


class MailTransportError(Exception):
    """The mail transport cannot be used right now; retry later."""


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...

    def close(self) -> None: ...

    def __enter__(self) -> Mailer: ...

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...


class _Closing:
    def close(self) -> None:
        pass

    def __enter__(self) -> Any:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def compose(
    sender: str, to: str, subject: str, body: str, *, message_id: str | None = None
) -> EmailMessage:
    """A plain-text RFC 5322 message."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = email.utils.format_datetime(dt.datetime.now(dt.UTC))
    message["Message-ID"] = message_id or email.utils.make_msgid(domain=sender_domain(sender))
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
    message.set_content(body)
    return message


def sender_domain(sender: str) -> str:
    """The domain of an address like ``name <user@example.org>`` (``localhost`` if none)."""
    address = email.utils.parseaddr(sender)[1]
    return address.rpartition("@")[2] or "localhost"


class FolderMailer(_Closing):
    """Writes each message to ``folder`` as ``<UTC time>-<random>.eml`` (CRLF line endings).

    The file appears complete or not at all: it is written under a temporary name in the same
    folder, flushed to disk, then renamed.
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    def send(self, message: EmailMessage) -> None:
        data = message.as_bytes(policy=email.policy.SMTP)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".eml", dir=self.folder)
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                    out.flush()
                    os.fsync(out.fileno())
                final = self.folder / f"{stamp}-{Path(tmp).name[len('.tmp-') :]}"
                os.replace(tmp, final)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise MailTransportError(f"cannot write to the outbox folder: {exc}") from exc


class SmtpMailer(_Closing):
    """Sends through an SMTP server, optionally upgraded with STARTTLS and signed in.

    One connection is opened on the first message and reused until :meth:`close`.
    """

    def __init__(
        self,
        host: str,
        port: int = 25,
        *,
        starttls: bool = False,
        username: str = "",
        password: str = "",
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.host = host
        self.port = port
        self.starttls = starttls
        self.username = username
        self.password = password
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def send(self, message: EmailMessage) -> None:
        smtp = self._smtp or self._connect()
        self._smtp = smtp
        try:
            smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused:
            raise  # this recipient was refused; the session was reset and stays usable
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code == 421:  # the server is closing the session
                self.close()
                raise MailTransportError("SMTP server closed the session (421)") from exc
            raise
        except OSError as exc:  # disconnected, timed out
            self.close()
            raise MailTransportError(f"SMTP connection lost: {type(exc).__name__}") from exc

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()

    def _connect(self) -> smtplib.SMTP:
        try:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        except OSError as exc:
            raise MailTransportError(
                f"cannot connect to SMTP server {self.host}:{self.port}: {type(exc).__name__}"
            ) from exc
        try:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password)
        except OSError as exc:  # smtplib.SMTPException is an OSError too
            smtp.close()
            raise MailTransportError(
                f"SMTP session set-up failed on {self.host}:{self.port}: {type(exc).__name__}"
            ) from exc
        return smtp


def make_mailer(config: Mapping[str, Any]) -> FolderMailer | SmtpMailer:
    """The mailer MAIL_BACKEND names (``folder`` or ``smtp``).

    :raise ValueError: for another backend name.
    """
    backend = str(config.get("MAIL_BACKEND", "folder"))
    if backend == "folder":
        return FolderMailer(config["MAIL_FOLDER"])
    if backend == "smtp":
        return SmtpMailer(
            config["MAIL_SERVER"],
            int(config["MAIL_PORT"]),
            starttls=bool(config.get("MAIL_USE_STARTTLS")),
            username=str(config.get("MAIL_USERNAME") or ""),
            password=str(config.get("MAIL_PASSWORD") or ""),
            timeout=float(config.get("MAIL_TIMEOUT", DEFAULT_TIMEOUT)),
        )
    raise ValueError(f"unknown MAIL_BACKEND {backend!r} (expected 'folder' or 'smtp')")
