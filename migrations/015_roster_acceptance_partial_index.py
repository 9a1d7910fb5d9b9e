"""015: the roster's acceptance index holds roster acceptances only (issue 14).

Migration 014's index on acceptance (roster_person_id, policy_version_id, accepted_at) also held
every visitor's acceptance, all with no person. SQLite's statistics average the rows per person
(about a thousand), so its planner chose that index for the visitors' queries ("no person, and
accepted before ...") and read every visitor acceptance there is, where the accepted_at index
reads only the old ones: the retention page took a minute at a tenth of a trust's size. Remade
as a partial index (WHERE roster_person_id IS NOT NULL), the visitors' queries cannot use it,
and the roster's still do (a person's id is never NULL). The plain index on roster_person_id
goes: the new one starts with that column. Declared on the model too (kiosk/models.py).
"""

import peewee as pw
from peewee_migrate import Migrator

NAME = "acceptance_roster_person_id_policy_version_id_accepted_at"
COLUMNS = '("roster_person_id", "policy_version_id", "accepted_at")'


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Remake it as a partial index (plain SQL: the same on SQLite and PostgreSQL)."""
    migrator.sql(f"DROP INDEX {NAME}")
    migrator.sql(f'CREATE INDEX "{NAME}" ON "acceptance" {COLUMNS} '
                 'WHERE ("roster_person_id" IS NOT NULL)')
    migrator.sql("DROP INDEX acceptance_roster_person_id")


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Put 014's index, and the plain one, back."""
    migrator.sql("CREATE INDEX acceptance_roster_person_id ON acceptance (roster_person_id)")
    migrator.sql(f"DROP INDEX {NAME}")
    migrator.sql(f'CREATE INDEX "{NAME}" ON "acceptance" {COLUMNS}')
