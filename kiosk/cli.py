"""Commands for the server's owner: `flask --app kiosk COMMAND`."""

from __future__ import annotations

import click
from flask import Flask

from .migrate import migrate_database
from .policies import seed_default_policy


def init_app(app: Flask) -> None:
    app.cli.add_command(migrate_command)
    app.cli.add_command(seed_policy_command)


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
