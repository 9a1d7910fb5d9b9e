"""016: three indexes that another index already holds go (issue 14).

An index on a column is of no use beside one that starts with that column: every look-up the
first serves, the second serves as well (on SQLite, every index ends with the row's id anyway).
Each still costs every INSERT an entry: on the audit log, which every acceptance writes to, two
of its eight. Found by tests/test_migrations.py's check that no index is the start of another:

- audit_event (actor_id), held by (actor_id, id) from migration 013;
- audit_event (action), held by (action, id) from migration 013;
- breach (reporter_id), held by (reporter_id, created_at) from migration 012.

The foreign keys keep their look-ups (a staff account's events or reports, when the account is
deleted and RESTRICT checks) through the longer indexes. Declared on the models too
(kiosk/models.py: index=False where peewee would add them).
"""

import peewee as pw
from peewee_migrate import Migrator

DROPPED = {
    "auditevent_actor_id": ("audit_event", "actor_id"),
    "auditevent_action": ("audit_event", "action"),
    "breach_reporter_id": ("breach", "reporter_id"),
}


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop them (plain SQL: the same on SQLite and PostgreSQL)."""
    for name in DROPPED:
        migrator.sql(f"DROP INDEX {name}")


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Put them back."""
    for name, (table, column) in DROPPED.items():
        migrator.sql(f'CREATE INDEX "{name}" ON "{table}" ("{column}")')
