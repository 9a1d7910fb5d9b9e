"""011: the audit log is sealed with a key kept outside the database (issue 13).

Events are hashed with HMAC-SHA256 and the audit key from now on. Those already stored keep
their plain SHA-256 hashes (the table refuses UPDATE): this adds one keyed event after them, the
seal, whose hash holds every one before it (see kiosk/audit.py). Nothing is added to an empty log
or one whose newest event is keyed already. The key must be the one the app will run with
(`KIOSK_AUDIT_KEY`, or `instance/audit_key`)."""

import peewee as pw
from peewee_migrate import Migrator


def seal(database: pw.Database) -> None:
    from kiosk import audit

    audit.seal()


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Seal the events hashed before the key."""
    migrator.run(seal, database)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Nothing to undo: the seal is an event like any other, and events stay."""
