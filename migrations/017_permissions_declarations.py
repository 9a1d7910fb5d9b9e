"""017: asking the headteacher (issue 15).

- permission requests: someone asks the head's permission to post or publish about the school,
  and the head's decision (conditions, an end date, a reason, the pupils' photo consent checked,
  by whom and when);
- the head's questions about a request and the requester's answers;
- declarations of a member of staff's family links with pupils' families;
- how many working days a request may wait before it is flagged to the head.
"""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add the three tables and the setting."""
    staff = migrator.orm["staff_user"]

    @migrator.create_model
    class PermissionRequest(pw.Model):
        id = pw.AutoField()
        public_id = pw.UUIDField(unique=True)
        client_uuid = pw.UUIDField(unique=True)
        request_hash = pw.CharField(max_length=64, default="")
        requester_staff = pw.ForeignKeyField(staff, null=True, on_delete="RESTRICT")
        requester_person = pw.ForeignKeyField(migrator.orm["roster_person"], null=True,
                                              on_delete="RESTRICT")
        requester_name = pw.CharField(max_length=100)
        name_key = pw.CharField(max_length=300, default="", index=True)
        what = pw.TextField()
        where = pw.CharField(max_length=200)
        post_on = pw.DateField()
        shows = pw.CharField(max_length=40, default="")
        consent_answer = pw.CharField(max_length=10, default="")
        status = pw.CharField(max_length=12, default="waiting")
        asked_at = pw.DateTimeField()
        waiting_since = pw.DateTimeField()
        decided_by = pw.ForeignKeyField(staff, null=True, on_delete="RESTRICT")
        decided_at = pw.DateTimeField(null=True)
        conditions = pw.TextField(default="")
        reason = pw.TextField(default="")
        ends_on = pw.DateField(null=True)
        consent_checked = pw.BooleanField(default=False)
        consent_checked_by = pw.CharField(max_length=100, default="")
        consent_checked_on = pw.DateField(null=True)

        class Meta:
            table_name = "permission_request"
            indexes = ((("status", "waiting_since"), False),)

    @migrator.create_model
    class PermissionNote(pw.Model):
        id = pw.AutoField()
        request = pw.ForeignKeyField(PermissionRequest, on_delete="CASCADE")
        kind = pw.CharField(max_length=10)
        text = pw.TextField()
        author = pw.ForeignKeyField(staff, null=True, on_delete="RESTRICT")
        at = pw.DateTimeField()

        class Meta:
            table_name = "permission_note"

    @migrator.create_model
    class Declaration(pw.Model):
        id = pw.AutoField()
        public_id = pw.UUIDField(unique=True)
        client_uuid = pw.UUIDField(unique=True)
        request_hash = pw.CharField(max_length=64, default="")
        declarer = pw.ForeignKeyField(staff, on_delete="RESTRICT")
        who = pw.CharField(max_length=200)
        relationship = pw.CharField(max_length=100)
        since = pw.CharField(max_length=60)
        declared_at = pw.DateTimeField()
        confirmed_at = pw.DateTimeField()
        acknowledged_by = pw.ForeignKeyField(staff, null=True, on_delete="RESTRICT")
        acknowledged_at = pw.DateTimeField(null=True)
        ended_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "declaration"

    migrator.sql("ALTER TABLE school_settings ADD COLUMN permission_wait_days INTEGER NOT NULL "
                 "DEFAULT 3")


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Remove them again."""
    migrator.remove_fields("school_settings", "permission_wait_days")
    migrator.remove_model("declaration")
    migrator.remove_model("permission_note")
    migrator.remove_model("permission_request")
