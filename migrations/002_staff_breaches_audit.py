"""002: staff accounts, breach categories, breaches, deletion requests, LADO referrals, audit."""

from contextlib import suppress

import peewee as pw
from peewee_migrate import Migrator


with suppress(ImportError):
    import playhouse.postgres_ext as pw_pext


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Create the tables, then make the audit table append-only."""
    @migrator.create_model
    class StaffUser(pw.Model):
        id = pw.AutoField()
        email = pw.CharField(max_length=254, unique=True)
        display_name = pw.CharField(max_length=100)
        role = pw.CharField(max_length=10)
        password_hash = pw.CharField(max_length=255)
        must_change_password = pw.BooleanField(default=False)
        active = pw.BooleanField(default=True)
        session_version = pw.IntegerField(default=1)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "staff_user"

    @migrator.create_model
    class AuditEvent(pw.Model):
        id = pw.AutoField()
        at = pw.DateTimeField()
        actor = pw.ForeignKeyField(column_name='actor_id', field='id', model=migrator.orm['staff_user'], null=True, on_delete='RESTRICT')
        actor_label = pw.CharField(default='', max_length=254)
        action = pw.CharField(index=True, max_length=40)
        record_kind = pw.CharField(default='', max_length=30)
        record_id = pw.CharField(default='', index=True, max_length=40)
        detail = pw.TextField(default='')
        previous_hash = pw.CharField(max_length=64)
        hash = pw.CharField(max_length=64, unique=True)

        class Meta:
            table_name = "audit_event"

    @migrator.create_model
    class BreachCategory(pw.Model):
        id = pw.AutoField()
        slug = pw.CharField(max_length=40, unique=True)
        label = pw.CharField(max_length=200)
        safeguarding = pw.BooleanField(default=False)
        restricted = pw.BooleanField(default=False)
        material = pw.CharField(default='', max_length=20)
        position = pw.IntegerField(default=0)
        active = pw.BooleanField(default=True)

        class Meta:
            table_name = "breach_category"

    @migrator.create_model
    class Breach(pw.Model):
        id = pw.AutoField()
        public_id = pw.UUIDField(unique=True)
        client_uuid = pw.UUIDField(unique=True)
        reporter = pw.ForeignKeyField(column_name='reporter_id', field='id', model=migrator.orm['staff_user'], on_delete='RESTRICT')
        occurred_at = pw.DateTimeField()
        location = pw.CharField(default='', max_length=200)
        subject_kind = pw.CharField(max_length=20)
        subject_name = pw.CharField(default='', max_length=100)
        acceptance = pw.ForeignKeyField(column_name='acceptance_id', field='id', model=migrator.orm['acceptance'], null=True, on_delete='RESTRICT')
        category = pw.ForeignKeyField(column_name='category_id', field='id', model=migrator.orm['breach_category'], on_delete='RESTRICT')
        description = pw.TextField(default='')
        actions = pw.CharField(default='', max_length=400)
        safeguarding = pw.BooleanField(default=False)
        restricted = pw.BooleanField(default=False)
        concerns_head = pw.BooleanField(default=False)
        status = pw.CharField(default='open', max_length=12)
        created_at = pw.DateTimeField(index=True)

        class Meta:
            table_name = "breach"

    @migrator.create_model
    class DeletionRequest(pw.Model):
        id = pw.AutoField()
        public_id = pw.UUIDField(unique=True)
        client_uuid = pw.UUIDField(unique=True)
        breach = pw.ForeignKeyField(column_name='breach_id', field='id', model=migrator.orm['breach'], null=True, on_delete='RESTRICT')
        material = pw.CharField(max_length=20)
        material_location = pw.CharField(max_length=10)
        link = pw.CharField(default='', max_length=500)
        person_name = pw.CharField(default='', max_length=100)
        acceptance = pw.ForeignKeyField(column_name='acceptance_id', field='id', model=migrator.orm['acceptance'], null=True, on_delete='RESTRICT')
        asked_at = pw.DateTimeField()
        asked_by = pw.ForeignKeyField(column_name='asked_by_id', field='id', model=migrator.orm['staff_user'], on_delete='RESTRICT')
        due_by = pw.DateTimeField(index=True)
        outcome = pw.CharField(default='pending', max_length=20)
        outcome_note = pw.TextField(default='')
        checked_by = pw.ForeignKeyField(column_name='checked_by_id', field='id', model=migrator.orm['staff_user'], null=True, on_delete='RESTRICT')
        checked_at = pw.DateTimeField(null=True)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "deletion_request"

    @migrator.create_model
    class LadoReferral(pw.Model):
        id = pw.AutoField()
        breach = pw.ForeignKeyField(column_name='breach_id', field='id', model=migrator.orm['breach'], on_delete='RESTRICT', unique=True)
        referred_at = pw.DateTimeField(null=True)
        reference = pw.CharField(default='', max_length=100)
        advice = pw.TextField(default='')
        police_involved = pw.BooleanField(default=False)
        outcome = pw.TextField(default='')
        updated_at = pw.DateTimeField()

        class Meta:
            table_name = "lado_referral"

    @migrator.create_model
    class RecordUpdate(pw.Model):
        id = pw.AutoField()
        breach = pw.ForeignKeyField(column_name='breach_id', field='id', model=migrator.orm['breach'], null=True, on_delete='RESTRICT')
        deletion_request = pw.ForeignKeyField(column_name='deletion_request_id', field='id', model=migrator.orm['deletion_request'], null=True, on_delete='RESTRICT')
        author = pw.ForeignKeyField(column_name='author_id', field='id', model=migrator.orm['staff_user'], on_delete='RESTRICT')
        at = pw.DateTimeField()
        kind = pw.CharField(max_length=20)
        old_value = pw.CharField(default='', max_length=40)
        new_value = pw.CharField(default='', max_length=40)
        text = pw.TextField(default='')

        class Meta:
            table_name = "record_update"

    postgres = isinstance(getattr(database, "obj", database), pw.PostgresqlDatabase)
    for statement in POSTGRES_APPEND_ONLY if postgres else SQLITE_APPEND_ONLY:
        migrator.sql(statement)


# Audit events can be added, never changed or removed, whatever code or person holds the database.
SQLITE_APPEND_ONLY = [
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
]
POSTGRES_APPEND_ONLY = [
    """CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'audit events are append-only'; END $$""",
    """CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event
       FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
    """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
       FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()""",
]


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop the tables (and with them the audit triggers)."""
    if isinstance(getattr(database, "obj", database), pw.PostgresqlDatabase):
        migrator.sql("DROP FUNCTION audit_event_append_only() CASCADE")
    migrator.remove_model('record_update')

    migrator.remove_model('lado_referral')

    migrator.remove_model('deletion_request')

    migrator.remove_model('breach')

    migrator.remove_model('breach_category')

    migrator.remove_model('audit_event')

    migrator.remove_model('staff_user')
