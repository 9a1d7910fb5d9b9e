"""Commands for the server's owner: `flask --app kiosk COMMAND`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask

from . import accounts, retention
from .audit import check_chain
from .migrate import migrate_database
from .policies import seed_default_policy
from .vocabulary import STAFF_ROLES


def init_app(app: Flask) -> None:
    app.cli.add_command(migrate_command)
    app.cli.add_command(seed_policy_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(audit_verify_command)
    app.cli.add_command(purge_command)
    app.cli.add_command(backup_command)


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
