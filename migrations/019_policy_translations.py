"""019: translations of the policy (issue 16).

- a translation of one policy version and its key points, in one language, saved by the head:
  never changed (a newer row replaces it), withdrawn rather than deleted, and whether the English
  version is the one that applies;
- the translation an acceptance's reader was shown (its language was already kept).
"""

import peewee as pw
from peewee_migrate import Migrator



def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add the table and the acceptance's translation."""

    @migrator.create_model
    class PolicyTranslation(pw.Model):
        id = pw.AutoField()
        policy_version = pw.ForeignKeyField(
            column_name="policy_version_id", field="id", model=migrator.orm["policy_version"],
            on_delete="RESTRICT", index=False)
        language = pw.CharField(max_length=10)
        title = pw.CharField(max_length=200)
        body = pw.TextField()
        key_points = pw.TextField(default="")
        english_applies = pw.BooleanField(default=True)
        content_hash = pw.CharField(max_length=64)
        created_at = pw.DateTimeField()
        created_by = pw.CharField(max_length=100)
        withdrawn_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "policy_translation"
            indexes = ((("policy_version", "language", "created_at"), False),)

    # Plain ALTER TABLE, as in 008 and 018: add_fields would rebuild the table on SQLite.
    migrator.sql("ALTER TABLE acceptance ADD COLUMN translation_id INTEGER "
                 "REFERENCES policy_translation (id) ON DELETE RESTRICT")


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Remove them again."""
    migrator.remove_fields("acceptance", "translation")
    migrator.remove_model("policy_translation")
