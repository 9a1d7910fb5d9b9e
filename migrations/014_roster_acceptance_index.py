"""014: the index the roster's "still to accept" pages need at a trust's size (issue 14):
acceptance (roster_person_id, policy_version_id, accepted_at). Whether one person has accepted a
version that counts is one look-up in it, and the newest acceptance of each version a person
accepted is read from the index alone, so the outstanding list, the letters and the links cost
the roster's size, not the years of acceptances. Declared on the model too (`Meta.indexes`)."""

import peewee as pw
from peewee_migrate import Migrator

NAME = "acceptance_roster_person_id_policy_version_id_accepted_at"


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add it (plain SQL: the same on SQLite and PostgreSQL)."""
    migrator.sql(f"CREATE INDEX {NAME} ON acceptance (roster_person_id, policy_version_id, "
                 "accepted_at)")


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop it again."""
    migrator.sql(f"DROP INDEX {NAME}")
