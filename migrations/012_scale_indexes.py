"""012: the indexes the lists, the dashboard and the governors' summary need once the years add
up (issue 14; bench/scale.py showed them missing). Each is declared on its model too
(`Meta.indexes` in kiosk/models.py), so a database made from the models has the same ones.

- acceptance (accepted_at, role), in place of (accepted_at): the dashboard's acceptances per
  week by role, counted from the index alone; today's visitors and a term's count as before;
- breach (status, created_at): the leads' concerns list, one status newest first, a page at a time;
- breach (reporter_id, created_at): a teacher's own reports, newest first;
- breach (occurred_at): the dashboard's breaches per month;
- deletion_request (outcome, due_by): open, overdue and refused requests (the dashboard, the
  staff home's count, the deletion requests list);
- deletion_request (asked_at): the governors' summary of a term;
- record_update (kind, at): the allegations closed in a term.
"""

import peewee as pw
from peewee_migrate import Migrator

INDEXES = {
    "acceptance_accepted_at_role": ("acceptance", "accepted_at, role"),
    "breach_status_created_at": ("breach", "status, created_at"),
    "breach_reporter_id_created_at": ("breach", "reporter_id, created_at"),
    "breach_occurred_at": ("breach", "occurred_at"),
    "deletion_request_outcome_due_by": ("deletion_request", "outcome, due_by"),
    "deletion_request_asked_at": ("deletion_request", "asked_at"),
    "record_update_kind_at": ("record_update", "kind, at"),
}


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add the indexes (plain SQL: the same on SQLite and PostgreSQL)."""
    for name, (table, columns) in INDEXES.items():
        migrator.sql(f"CREATE INDEX {name} ON {table} ({columns})")
    migrator.sql("DROP INDEX acceptance_accepted_at")  # the first column of the new one


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop them again."""
    migrator.sql("CREATE INDEX acceptance_accepted_at ON acceptance (accepted_at)")
    for name in INDEXES:
        migrator.sql(f"DROP INDEX {name}")
