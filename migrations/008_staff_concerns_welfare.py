"""008: concerns about staff handled the way KCSIE Part 4 expects, and the child's welfare.

- a concern about staff gets its case manager's classification, when it became an allegation,
  the allegation's outcome, and who it is about (a staff account or a person on the roster);
- a history entry can carry codes (the harm tests an allegation met) and belong to a welfare
  task;
- welfare tasks for the DSL;
- the day a member of staff or a roster person left, and the school's low-level-concerns lead
  and pattern threshold;
- the category a child's disclosure about an adult at school is logged under.
"""

import peewee as pw
from peewee_migrate import Migrator

CHILD_DISCLOSURE = ("child_about_staff", "A child's disclosure about an adult who works or "
                    "volunteers at the school")


def _types(database: pw.Database) -> dict[str, str]:
    postgres = isinstance(getattr(database, "obj", database), pw.PostgresqlDatabase)
    return {"datetime": "TIMESTAMP" if postgres else "DATETIME", "false": "FALSE" if postgres else "0"}


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add the columns and the welfare table; seed the child's-disclosure category."""
    types = _types(database)
    # Plain ALTER TABLE, as in 006 and 007: add_fields would rebuild the table on SQLite, which
    # the foreign keys pointing at these tables refuse.
    migrator.sql("ALTER TABLE breach ADD COLUMN classification VARCHAR(20) NOT NULL DEFAULT ''")
    migrator.sql(f"ALTER TABLE breach ADD COLUMN allegation_since {types['datetime']}")
    migrator.sql("ALTER TABLE breach ADD COLUMN allegation_outcome VARCHAR(20) NOT NULL DEFAULT ''")
    migrator.sql('ALTER TABLE breach ADD COLUMN subject_staff_id INTEGER '
                 'REFERENCES staff_user (id) ON DELETE RESTRICT')
    migrator.sql('ALTER TABLE breach ADD COLUMN subject_person_id INTEGER '
                 'REFERENCES roster_person (id) ON DELETE RESTRICT')
    migrator.sql('CREATE INDEX breach_subject_staff_id ON breach (subject_staff_id)')
    migrator.sql('CREATE INDEX breach_subject_person_id ON breach (subject_person_id)')
    for table in ("staff_user", "roster_person"):
        migrator.sql(f"ALTER TABLE {table} ADD COLUMN left_on DATE")
    migrator.sql("ALTER TABLE school_settings ADD COLUMN low_level_lead VARCHAR(10) NOT NULL "
                 "DEFAULT 'dsl'")
    migrator.sql("ALTER TABLE school_settings ADD COLUMN low_level_threshold INTEGER NOT NULL "
                 "DEFAULT 3")

    @migrator.create_model
    class WelfareTask(pw.Model):
        id = pw.AutoField()
        public_id = pw.UUIDField(unique=True)
        client_uuid = pw.UUIDField(unique=True)
        request_hash = pw.CharField(max_length=64, default="")
        kind = pw.CharField(max_length=20)
        breach = pw.ForeignKeyField(migrator.orm["breach"], null=True, on_delete="RESTRICT")
        concerns_head = pw.BooleanField(default=False)
        pupils = pw.CharField(max_length=300)
        occurred_at = pw.DateTimeField()
        child_words = pw.TextField(default="")
        safeguarding_ref = pw.CharField(max_length=100, default="")
        created_by = pw.ForeignKeyField(migrator.orm["staff_user"], on_delete="RESTRICT")
        created_at = pw.DateTimeField(index=True)
        status = pw.CharField(max_length=12, default="open")

        class Meta:
            table_name = "welfare_task"

    migrator.sql("ALTER TABLE record_update ADD COLUMN detail VARCHAR(200) NOT NULL DEFAULT ''")
    migrator.sql('ALTER TABLE record_update ADD COLUMN welfare_task_id INTEGER '
                 'REFERENCES welfare_task (id) ON DELETE RESTRICT')
    migrator.sql('CREATE INDEX record_update_welfare_task_id ON record_update (welfare_task_id)')

    def seed():
        category = migrator.orm["breach_category"]
        if category.select().where(category.slug == CHILD_DISCLOSURE[0]).exists():
            return
        # Just before "Something else" when it is still last; otherwise at the end.
        last = category.select(pw.fn.MAX(category.position)).scalar() or 0
        other = category.get_or_none(category.slug == "other")
        position = last + 1
        if other is not None and other.position == last:
            position = last
            category.update(position=last + 1).where(category.id == other.id).execute()
        category.create(slug=CHILD_DISCLOSURE[0], label=CHILD_DISCLOSURE[1], safeguarding=True,
                        restricted=True, material="", position=position, active=True)

    migrator.run(seed)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Remove them again (the category stays if a breach uses it)."""
    migrator.remove_fields("record_update", "detail", "welfare_task")
    migrator.remove_model("welfare_task")
    migrator.remove_fields("school_settings", "low_level_lead", "low_level_threshold")
    migrator.remove_fields("roster_person", "left_on")
    migrator.remove_fields("staff_user", "left_on")
    migrator.remove_fields("breach", "classification", "allegation_since", "allegation_outcome",
                           "subject_staff", "subject_person")
