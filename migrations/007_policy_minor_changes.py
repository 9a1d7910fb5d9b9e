"""007: a policy version can be a minor change (a typing error put right): acceptances of the
version before it still count, so nobody is asked to accept again."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add the column; every version published so far was a change to be accepted."""
    # Plain ALTER TABLE, as in 006: add_fields would rebuild the table on SQLite to make the
    # column NOT NULL, which the foreign keys from acceptances refuse. The column's type is the
    # one peewee gives a BooleanField on each database (INTEGER on SQLite, BOOLEAN on
    # PostgreSQL), so a migrated schema matches one made from the models.
    column_type = "BOOLEAN" if isinstance(getattr(database, "obj", database),
                                          pw.PostgresqlDatabase) else "INTEGER"
    migrator.sql(f"ALTER TABLE policy_version ADD COLUMN minor_change {column_type} NOT NULL "
                 f"DEFAULT {'FALSE' if column_type == 'BOOLEAN' else '0'}")


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Remove it again."""
    migrator.remove_fields("policy_version", "minor_change")
