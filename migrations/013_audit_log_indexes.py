"""013: the indexes the head's audit log needs at millions of events (issue 14). A page is read
newest first by id (keyset: `before=`/`after=` an entry), narrowed by who did it (actor, id), a
record (record_kind, record_id, id), which days (at), and the last check is found by what was
done (action, id). On SQLite each index already ends in the row's id; PostgreSQL needs it said.
Building them on a log of five million events takes a minute or two (docs/PERFORMANCE.md)."""

import peewee as pw
from peewee_migrate import Migrator

INDEXES = {
    "audit_event_actor_id_id": "actor_id, id",
    "audit_event_action_id": "action, id",
    "audit_event_record_kind_record_id_id": "record_kind, record_id, id",
    "audit_event_at": "at",
}


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add them (plain SQL: no rebuild of the append-only table)."""
    for name, columns in INDEXES.items():
        migrator.sql(f"CREATE INDEX {name} ON audit_event ({columns})")


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop them again."""
    for name in INDEXES:
        migrator.sql(f"DROP INDEX {name}")
