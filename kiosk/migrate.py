"""Schema changes, only through the numbered files in migrations/ (peewee-migrate)."""

from __future__ import annotations

import logging
from pathlib import Path

from peewee import DatabaseError, Table
from peewee_migrate import Router

from .models import db

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# PostgreSQL's "insufficient privilege" (permission denied, must be owner).
INSUFFICIENT_PRIVILEGE = "42501"


class MigrationRefused(Exception):
    """A migration is waiting that this database role may not run; the message says what to do."""


def router() -> Router:
    logger = logging.getLogger("kiosk.migrate")
    return Router(db, migrate_dir=MIGRATIONS_DIR, logger=logger)


def pending(found: Router | None = None) -> list[str]:
    """The migrations not applied yet, in order, read without writing anything: peewee-migrate
    would first create its history table, which the app's own role on PostgreSQL (see
    `database_roles`) may not do, even when it exists already."""
    found = found or router()
    if not db.table_exists(found.migrate_table):
        return list(found.todo)
    history = Table(found.migrate_table, ("name",)).bind(db)
    done = {row["name"] for row in history.select(history.name)}
    return [name for name in found.todo if name not in done]


def migrate_database() -> list[str]:
    """Apply every migration not yet applied, in order; return the names applied. Never drops.
    With nothing to apply, nothing is written (`make run` migrates as the app's role)."""
    found = router()
    waiting = pending(found)
    if not waiting:
        return []
    try:
        return found.run()
    except DatabaseError as error:
        # peewee raises its own error while handling the driver's, which carries the code.
        if getattr(error.__context__, "pgcode", None) != INSUFFICIENT_PRIVILEGE:
            raise
        raise MigrationRefused(
            f"Migration {waiting[0]} is waiting, and this database role may not change the "
            "tables. Run `flask --app kiosk migrate` with DATABASE_URL naming the owner of the "
            "tables (see the README), then start the app again.") from None
