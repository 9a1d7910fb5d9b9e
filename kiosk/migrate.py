"""Schema changes, only through the numbered files in migrations/ (peewee-migrate)."""

from __future__ import annotations

import logging
from pathlib import Path

from peewee_migrate import Router

from .models import db

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def router() -> Router:
    logger = logging.getLogger("kiosk.migrate")
    return Router(db, migrate_dir=MIGRATIONS_DIR, logger=logger)


def migrate_database() -> list[str]:
    """Apply every migration not yet applied, in order; return the names applied. Never drops."""
    return router().run()
