"""``flask referrals purge``: erase personal data past the retention period."""

from __future__ import annotations

import click

from socialmap.logic import retention


@click.group("referrals")
def referrals_group() -> None:
    """Referral housekeeping."""


@referrals_group.command("purge")
@click.option("--days", type=int, default=None, help="Override REFERRAL_RETENTION_DAYS.")
def purge(days: int | None) -> None:
    """Erase the personal data of referrals closed for longer than the retention period, and
    sign-in records older than SIGN_IN_RECORD_DAYS."""
    erased = retention.purge_personal_data(days=days)
    click.echo(f"erased the personal data of {erased} person(s)")
    forgotten = retention.purge_sign_in_records()
    click.echo(f"deleted {forgotten} old sign-in attempt(s) and password-reset link(s)")
