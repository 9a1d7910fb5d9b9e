"""009: each searched name gets its search key beside it (kiosk.text.search_key: casefolded,
NFKC, without accents), so a search finds Émile, Łukasz, Özge and Øyvind on SQLite as on
PostgreSQL. SQL's LOWER() lowered only ASCII letters on SQLite.

Existing rows are given their keys here, with the app's own `search_key`. Should that function
ever change, a later migration must fill the keys again the same way (`fill_keys`)."""

import peewee as pw
from peewee_migrate import Migrator

from kiosk.text import SEARCH_KEY_LENGTH, search_key

# Each table with a name people search for, and that name's column.
NAMES = {
    "acceptance": "full_name",
    "roster_person": "full_name",
    "staff_user": "display_name",
    "breach": "subject_name",
    "deletion_request": "person_name",
}


def fill_keys(database: pw.Database) -> None:
    """Work out every row's key from its name, in Python: the database's own lower() is what
    this replaces."""
    mark = database.param
    for table, column in NAMES.items():
        rows = database.execute_sql(f"SELECT id, {column} FROM {table}").fetchall()
        for row_id, name in rows:
            database.execute_sql(f"UPDATE {table} SET name_key = {mark} WHERE id = {mark}",
                                 (search_key(name), row_id))


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add the columns and their indexes, then fill them."""
    # Plain ALTER TABLE, as in 006 to 008: add_fields would rebuild the table on SQLite, which
    # the foreign keys pointing at these tables refuse.
    for table in NAMES:
        migrator.sql(f"ALTER TABLE {table} ADD COLUMN name_key VARCHAR({SEARCH_KEY_LENGTH}) "
                     "NOT NULL DEFAULT ''")
        migrator.sql(f"CREATE INDEX {table}_name_key ON {table} (name_key)")
    migrator.run(fill_keys, database)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Remove them again."""
    for table in NAMES:
        migrator.remove_fields(table, "name_key")
