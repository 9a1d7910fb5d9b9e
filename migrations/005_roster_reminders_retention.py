"""005: the roster and personal links, reminders, retention settings, policy drafts."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add the tables and the new columns."""
    @migrator.create_model
    class RosterPerson(pw.Model):
        id = pw.AutoField()
        full_name = pw.CharField(max_length=100)
        email = pw.CharField(max_length=254, unique=True)
        role = pw.CharField(max_length=20)
        token = pw.CharField(max_length=64, unique=True)
        active = pw.BooleanField(default=True)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "roster_person"

    migrator.add_fields(
        "acceptance",
        roster_person=pw.ForeignKeyField(column_name="roster_person_id", field="id",
                                         model=migrator.orm["roster_person"], null=True,
                                         on_delete="RESTRICT"))
    migrator.add_fields("breach", keep_until=pw.DateTimeField(null=True))

    @migrator.create_model
    class Reminder(pw.Model):
        id = pw.AutoField()
        person = pw.ForeignKeyField(column_name="person_id", field="id",
                                    model=migrator.orm["roster_person"], on_delete="CASCADE")
        policy_version = pw.ForeignKeyField(column_name="policy_version_id", field="id",
                                            model=migrator.orm["policy_version"],
                                            on_delete="RESTRICT")
        sent_at = pw.DateTimeField()
        sent_by = pw.ForeignKeyField(column_name="sent_by_id", field="id",
                                     model=migrator.orm["staff_user"], null=True,
                                     on_delete="RESTRICT")

        class Meta:
            table_name = "reminder"

    @migrator.create_model
    class RetentionSetting(pw.Model):
        id = pw.AutoField()
        kind = pw.CharField(max_length=40, unique=True)
        days = pw.IntegerField()
        updated_at = pw.DateTimeField()

        class Meta:
            table_name = "retention_setting"

    @migrator.create_model
    class PolicyDraft(pw.Model):
        id = pw.AutoField()
        title = pw.CharField(max_length=200)
        body = pw.TextField()
        review_due = pw.DateField(null=True)
        updated_at = pw.DateTimeField()

        class Meta:
            table_name = "policy_draft"


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Remove them again."""
    migrator.remove_model("policy_draft")
    migrator.remove_model("retention_setting")
    migrator.remove_model("reminder")
    migrator.remove_fields("breach", "keep_until")
    migrator.remove_fields("acceptance", "roster_person")
    migrator.remove_model("roster_person")
