"""Commands for the server's owner: `flask --app kiosk COMMAND`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext

from . import accounts, audit, database_roles, retention, second_factor
from .display import local_time
from .migrate import MigrationRefused, migrate_database
from .models import StaffUser
from .policies import seed_default_policy
from .text import normalise_email
from .vocabulary import STAFF_ROLES


def init_app(app: Flask) -> None:
    app.cli.add_command(migrate_command)
    app.cli.add_command(seed_policy_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(audit_verify_command)
    app.cli.add_command(audit_checkpoint_command)
    app.cli.add_command(grant_app_role_command)
    app.cli.add_command(purge_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(reset_second_factor_command)


@click.command("migrate")
@with_appcontext  # audit events are sealed with the app's key
def migrate_command() -> None:
    """Bring the database schema up to date (creates it on first run; never drops data)."""
    try:
        applied = migrate_database()
    except MigrationRefused as refused:
        raise click.ClickException(str(refused)) from None
    if applied:
        click.echo(f"Applied {len(applied)} migration(s): {', '.join(applied)}")
    else:
        click.echo("The database is up to date.")


@click.command("seed-policy")
@with_appcontext
def seed_policy_command() -> None:
    """Publish the school's default policy as version 1 if no version exists yet."""
    version = seed_default_policy()
    if version:
        click.echo(f"Published '{version.title}' as version {version.number}.")
    else:
        click.echo("A policy version already exists; nothing to do.")


@click.command("create-user")
@with_appcontext
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
@click.option("--full", is_flag=True,
              help="Read every event from the first, and compare with every checkpoint (minutes "
                   "for millions of events); run it every night from cron.")
@with_appcontext
def audit_verify_command(full: bool) -> None:
    """Check the audit log's sealed chain: the events added since the last check that found it
    intact (or since the newest checkpoint), or with --full every event from the first and every
    checkpoint in the checkpoint file; the head's audit page shows the result."""
    found = audit.check(full=full)
    if found.problem:
        raise click.ClickException(_problem_in_words(found.checked, found.problem))
    checkpoints = len(audit.checkpoints())
    if not found.full:
        since = "the last check" if found.start == "check" else "the newest checkpoint"
        click.echo(f"The audit log is intact: {found.checked} events checked, those added since "
                   f"{since} (up to event {found.through:,}); it matches the newest checkpoint "
                   f"in {audit.checkpoint_path()}. Events before then are read by --full.")
        return
    matched = (f" It matches all {checkpoints:,} checkpoints in {audit.checkpoint_path()}."
               if checkpoints != 1 else f" It matches the checkpoint in {audit.checkpoint_path()}.")
    click.echo(f"The audit log is intact: {found.checked} events checked, from the first."
               f"{matched if checkpoints else ''}")


def _problem_in_words(checked: int, problem: audit.ChainProblem) -> str:
    if problem.fault == "removed":
        return (f"The audit log has been tampered with: it ends at event {problem.last_event:,}, "
                f"but at {local_time(problem.since)} it had reached event {problem.event_id:,}: "
                f"{problem.removed:,} {'event has' if problem.removed == 1 else 'events have'} been "
                f"removed.")
    if problem.fault == "rewritten":
        return (f"The audit log has been tampered with: event {problem.event_id:,} is not the one "
                f"the checkpoint of {local_time(problem.since)} recorded ({problem.had:,} events "
                f"up to it then, {problem.has:,} now): {problem.reason}.")
    if problem.fault == "checkpoint_damaged":
        return (f"The checkpoint file {audit.checkpoint_path()} has been tampered with: line "
                f"{problem.line} fails its signature (it was changed, or written with another "
                f"key). The {checked} events of the audit log itself are intact.")
    if problem.fault == "unsealed":
        return (f"The audit log has been tampered with: {problem.reason}. None of its events, up "
                f"to event {problem.event_id:,}, can be trusted.")
    return (f"The audit log has been tampered with: event {problem.event_id} fails because "
            f"{problem.reason}. {checked} events before it are intact.")


def _events(count: int) -> str:
    return "event" if count == 1 else "events"


@click.command("audit-checkpoint")
@with_appcontext
def audit_checkpoint_command() -> None:
    """Write a signed checkpoint of the audit log's newest event to the checkpoint file now
    (the app writes one itself once an hour, when events are added; run this from cron too)."""
    checkpoint = audit.write_checkpoint()
    if checkpoint is None:
        click.echo("The audit log is empty: there is nothing to checkpoint yet.")
        return
    click.echo(f"Checkpoint written to {audit.checkpoint_path()}: {checkpoint.count:,} "
               f"{_events(checkpoint.count)}, up to event {checkpoint.event:,}.")


@click.command("grant-app-role")
@with_appcontext
@click.argument("role")
def grant_app_role_command(role: str) -> None:
    """PostgreSQL: let ROLE (the role the app runs as) read and write the tables, but only add
    to and read the audit log. Run as the tables' owner, after `migrate`."""
    try:
        database_roles.grant_app_role(role)
    except database_roles.RoleError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{role} may now use the tables, and only read and add to the audit log. Run the "
               f"app with DATABASE_URL naming {role}; run `migrate` as the owner.")


@click.command("purge")
@with_appcontext
@click.option("--dry-run", is_flag=True, help="Show what would be removed; remove nothing.")
@click.option("--batch-size", type=click.IntRange(min=1), default=retention.PURGE_BATCH,
              show_default=True, help="Records removed in one transaction.")
def purge_command(dry_run: bool, batch_size: int) -> None:
    """Remove personal data past its retention period (run daily; see the README)."""
    if dry_run:
        plan = retention.plan_purge()
        for kind, count in plan.counts().items():
            click.echo(f"{retention.KINDS[kind][0]}: {count} would be removed")
        for public_id, logged in plan.breaches_listed():
            click.echo(f"  breach {public_id} logged {logged:%Y-%m-%d}")
        review = retention.due_for_review_by_anyone()
        if review:
            click.echo(f"{len(review)} safeguarding or restricted record(s) are due for the head's "
                       "review (never removed automatically).")
        return
    counts = retention.purge(batch_size=batch_size)
    click.echo("Removed: " + ", ".join(f"{count} {kind.replace('_', ' ')}"
                                       for kind, count in counts.items()) + ".")


@click.command("backup")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(path: Path) -> None:
    """Copy the live SQLite database to PATH, consistently, while the app keeps running."""
    try:
        pages = retention.backup_sqlite(path)
    except retention.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backed up {pages} pages to {path}.")


@click.command("reset-second-factor")
@with_appcontext
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
