"""``flask notifications``: the worker that sends reminders and delivers the mail outbox.

``flask notifications send`` runs one cycle (reminders, then delivery) and exits;
``--loop`` repeats it every ``--interval`` seconds until interrupted (the docker-compose
``worker`` service). Two workers may run side by side: each message and each reminder is
claimed by a guarded update.
"""

from __future__ import annotations

import logging
import time

import click

from socialmap.extensions import db
from socialmap.logic import notifications
from socialmap.logic import reminders

log = logging.getLogger(__name__)


@click.group("notifications", help="Reminders and the e-mail outbox.")
def notifications_group() -> None:
    pass


def run_cycle(limit: int) -> str:
    """Send due reminders, then deliver due mail; a one-line summary."""
    reminded = reminders.send_reminders()
    counts = notifications.deliver_pending(limit=limit)
    cells = " ".join(f"{key}={value}" for key, value in counts.items())
    return f"reminders={reminded} {cells}"


@notifications_group.command("send")
@click.option("--loop", is_flag=True, help="Repeat until interrupted.")
@click.option(
    "--interval",
    type=click.FloatRange(min=1),
    default=30,
    show_default=True,
    help="Seconds between cycles with --loop.",
)
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True)
def send_command(loop: bool, interval: float, limit: int) -> None:
    """Send reminders for overdue referrals, then deliver pending e-mail."""
    while True:
        try:
            click.echo(run_cycle(limit))
        except Exception:
            if not loop:
                raise
            # A worker outlives a database hiccup: log, start clean, try again next cycle.
            log.exception("notification cycle failed")
            db.session.rollback()
        finally:
            db.session.remove()
        if not loop:
            return
        time.sleep(interval)


@notifications_group.command("remind")
def remind_command() -> None:
    """Only send reminders for referrals nobody answered in time."""
    click.echo(f"reminders={reminders.send_reminders()}")
