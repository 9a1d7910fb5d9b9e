"""004: a fingerprint of each submission, so a replayed UUID with other content is refused."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add request_hash to the three records the outbox sends."""
    for table in ("acceptance", "breach", "deletion_request"):
        migrator.add_fields(table, request_hash=pw.CharField(default="", max_length=64))


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Remove request_hash."""
    for table in ("acceptance", "breach", "deletion_request"):
        migrator.remove_fields(table, "request_hash")
