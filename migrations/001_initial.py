"""001: policy versions and acceptances."""

from contextlib import suppress

import peewee as pw
from peewee_migrate import Migrator


with suppress(ImportError):
    import playhouse.postgres_ext as pw_pext


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Write your migrations here."""
    @migrator.create_model
    class PolicyVersion(pw.Model):
        id = pw.AutoField()
        number = pw.IntegerField(unique=True)
        title = pw.CharField(max_length=200)
        school = pw.CharField(max_length=200)
        body = pw.TextField()
        content_hash = pw.CharField(max_length=64)
        review_due = pw.DateField(null=True)
        published_at = pw.DateTimeField()

        class Meta:
            table_name = "policy_version"

    @migrator.create_model
    class Acceptance(pw.Model):
        id = pw.AutoField()
        client_uuid = pw.UUIDField(unique=True)
        policy_version = pw.ForeignKeyField(column_name='policy_version_id', field='id', model=migrator.orm['policy_version'], on_delete='RESTRICT')
        full_name = pw.CharField(max_length=100)
        role = pw.CharField(max_length=20)
        organisation = pw.CharField(default='', max_length=100)
        reason = pw.CharField(default='', max_length=200)
        channel = pw.CharField(max_length=10)
        language = pw.CharField(default='en', max_length=10)
        accepted_at = pw.DateTimeField(index=True)
        received_at = pw.DateTimeField()

        class Meta:
            table_name = "acceptance"


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Write your rollback migrations here."""
    migrator.remove_model('acceptance')

    migrator.remove_model('policy_version')
