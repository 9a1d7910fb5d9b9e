"""Commands for the server's owner: `flask --app kiosk COMMAND`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask

from . import accounts, retention, second_factor
from .audit import check_chain
from .migrate import migrate_database
from .models import StaffUser
from .policies import seed_default_policy
from .text import normalise_email
from .vocabulary import STAFF_ROLES


def init_app(app: Flask) -> None:
    app.cli.add_command(migrate_command)
    app.cli.add_command(seed_policy_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(audit_verify_command)
    app.cli.add_command(purge_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(reset_second_factor_command)


@click.command("migrate")
def migrate_command() -> None:
    """Bring the database schema up to date (creates it on first run; never drops data)."""
    applied = migrate_database()
    if applied:
        click.echo(f"Applied {len(applied)} migration(s): {', '.join(applied)}")
    else:
        click.echo("The database is up to date.")


@click.command("seed-policy")
def seed_policy_command() -> None:
    """Publish the school's default policy as version 1 if no version exists yet."""
    version = seed_default_policy()
    if version:
        click.echo(f"Published '{version.title}' as version {version.number}.")
    else:
        click.echo("A policy version already exists; nothing to do.")


@click.command("create-user")
@click.option("--role", type=click.Choice(list(STAFF_ROLES)), required=True)
@click.option("--email", prompt="Email address")
@click.option("--name", "display_name", prompt="Name")
@click.password_option("--password", prompt="Password (at least 8 characters)")
def create_user_command(role: str, email: str, display_name: str, password: str) -> None:
    """Add a staff account, e.g. the first headteacher: --role head."""
    try:
        user = accounts.create_user(email, display_name, role, password)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {user.role} account for {user.email}.")


@click.command("audit-verify")
def audit_verify_command() -> None:
    """Check the audit log's hash chain from the first event to the last; the head's audit page
    shows the result."""
    checked, problem = check_chain()
    if problem:
        raise click.ClickException(
            f"The audit log has been tampered with: event {problem.event_id} fails because "
            f"{problem.reason}. {checked} events before it are intact.")
    click.echo(f"The audit log is intact: {checked} events checked.")


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Show what would be removed; remove nothing.")
def purge_command(dry_run: bool) -> None:
    """Remove personal data past its retention period (run daily; see the README)."""
    if dry_run:
        plan = retention.plan_purge()
        for kind, count in plan.counts().items():
            click.echo(f"{retention.KINDS[kind][0]}: {count} would be removed")
        for breach in plan.breaches:
            click.echo(f"  breach {breach.public_id} logged {breach.created_at:%Y-%m-%d}")
        review = retention.due_for_review_by_anyone()
        if review:
            click.echo(f"{len(review)} safeguarding or restricted record(s) are due for the head's "
                       "review (never removed automatically).")
        return
    counts = retention.purge()
    click.echo("Removed: " + ", ".join(f"{count} {kind.replace('_', ' ')}"
                                       for kind, count in counts.items()) + ".")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(path: Path) -> None:
    """Copy the live SQLite database to PATH, consistently, while the app keeps running."""
    try:
        pages = retention.backup_sqlite(path)
    except retention.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backed up {pages} pages to {path}.")


@click.command("reset-second-factor")
@click.argument("email")
def reset_second_factor_command(email: str) -> None:
    """Reset someone's two-step sign-in (the chair's, or a head's own): they set it up again at
    their next sign-in, and are signed out now. Audited."""
    user = StaffUser.get_or_none(StaffUser.email == normalise_email(email))
    if user is None:
        raise click.ClickException(f"There is no account with the email address {email}.")
    if not second_factor.required(user):
        raise click.ClickException(f"{user.email} signs in without a second step: nothing to "
                                   "reset.")
    was_set_up = second_factor.is_set_up(user)
    second_factor.reset(user, by=None)
    if was_set_up:
        click.echo(f"Reset two-step sign-in for {user.email}: they set it up again when they "
                   "next sign in.")
    else:
        click.echo(f"{user.email} had no two-step sign-in set up; they set it up when they next "
                   "sign in.")
