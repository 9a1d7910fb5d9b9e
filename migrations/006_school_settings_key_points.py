"""006: the school's set-up (name, DSL, pictures, public address, privacy contact) and each
policy version's key points for visitors."""

import peewee as pw
from peewee_migrate import Migrator

# The bundled policy as `seed-policy` published it before this migration (title and body).
BUNDLED_HASH = "d0120805aee091e0c4c7b596e34959dce7ab99aa8d4a4de007b8388b27c4b9d9"
# Its key points, as kiosk/content now ships them, for schools that seeded it already.
BUNDLED_KEY_POINTS = "\n".join([
    "Please keep your phone out of sight and do not use it where children are.",
    "Do not take photos, videos or recordings of pupils or staff.",
    "Do not post or share anything about our pupils, staff, parents or school events unless the "
    "headteacher has agreed first.",
    "If you are asked to delete something, please delete it at once. Anyone who does not follow "
    "this policy may be asked to leave.",
    "If anything worries you about a child's safety, tell our Designated Safeguarding Lead or "
    "the office straight away.",
])


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add the key points and the two set-up tables; give the bundled version 1 its key points."""
    # Plain ALTER TABLE, not add_fields: on SQLite that rebuilds the table to make the column NOT
    # NULL, which the foreign keys from acceptances refuse once anyone has accepted a version.
    for table in ("policy_version", "policy_draft"):
        migrator.sql(f"ALTER TABLE {table} ADD COLUMN key_points TEXT NOT NULL DEFAULT ''")

    @migrator.create_model
    class SchoolSettings(pw.Model):
        id = pw.AutoField()
        school_name = pw.CharField(max_length=200, default="")
        dsl_name = pw.CharField(max_length=100, default="")
        public_url = pw.CharField(max_length=300, default="")
        thanks_next_step = pw.CharField(max_length=200, default="")
        privacy_contact = pw.TextField(default="")
        logo_digest = pw.CharField(max_length=64, default="")
        dsl_photo_digest = pw.CharField(max_length=64, default="")
        completed_at = pw.DateTimeField(null=True)
        updated_at = pw.DateTimeField()

        class Meta:
            table_name = "school_settings"

    @migrator.create_model
    class SchoolImage(pw.Model):
        id = pw.AutoField()
        kind = pw.CharField(max_length=20, unique=True)
        content_type = pw.CharField(max_length=30)
        data = pw.BlobField()
        digest = pw.CharField(max_length=64)
        updated_at = pw.DateTimeField()

        class Meta:
            table_name = "school_image"

    # The key points are part of what a person accepts, so the version's hash covers them
    # (kiosk.policies.content_hash). The 2019 review date is the original document's, not this
    # school's plan: the set-up screen asks the head for one.
    import hashlib

    # A version someone has already accepted is never changed: they did not see the key points.
    # Its key points wait in a draft instead, for the head to publish as the next version.
    def give_bundled_version_its_key_points(database=database):
        mark = database.param
        cursor = database.execute_sql(
            f"SELECT id, title, body, number FROM policy_version WHERE content_hash = {mark} "
            "AND key_points = ''", (BUNDLED_HASH,))
        for version_id, title, body, number in list(cursor.fetchall()):
            accepted = database.execute_sql(
                f"SELECT 1 FROM acceptance WHERE policy_version_id = {mark} LIMIT 1",
                (version_id,)).fetchone()
            latest = database.execute_sql("SELECT MAX(number) FROM policy_version").fetchone()[0]
            drafted = database.execute_sql("SELECT 1 FROM policy_draft LIMIT 1").fetchone()
            if accepted is None:
                new_hash = hashlib.sha256(
                    f"{title}\n\n{body}\n\n{BUNDLED_KEY_POINTS}".encode()).hexdigest()
                database.execute_sql(
                    f"UPDATE policy_version SET key_points = {mark}, content_hash = {mark}, "
                    f"review_due = NULL WHERE id = {mark}",
                    (BUNDLED_KEY_POINTS, new_hash, version_id))
            elif number == latest and drafted is None:
                database.execute_sql(
                    "INSERT INTO policy_draft (title, body, key_points, review_due, updated_at) "
                    f"VALUES ({mark}, {mark}, {mark}, NULL, CURRENT_TIMESTAMP)",
                    (title, body, BUNDLED_KEY_POINTS))
            if accepted is not None:
                database.execute_sql(
                    f"UPDATE policy_version SET review_due = NULL WHERE id = {mark}", (version_id,))

    migrator.run(give_bundled_version_its_key_points)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Remove them again."""
    migrator.remove_model("school_image")
    migrator.remove_model("school_settings")
    migrator.remove_fields("policy_draft", "key_points")
    migrator.remove_fields("policy_version", "key_points")
