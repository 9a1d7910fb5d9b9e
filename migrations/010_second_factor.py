"""010: two-step sign-in for the DSL, the headteacher and the chair of governors: a TOTP
secret on the account (confirmed by its first code, and the last time step a code was accepted
at) and ten single-use recovery codes, kept as argon2 hashes.

Anyone in those roles signed in before this ran is signed out (their session version moves on),
so the next sign-in sets up the second step rather than a session carrying on without it."""

import peewee as pw
from peewee_migrate import Migrator

ROLES = ("dsl", "head", "chair")


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add the columns and the recovery codes' table; end the sessions of those roles."""
    postgres = isinstance(getattr(database, "obj", database), pw.PostgresqlDatabase)
    # Plain ALTER TABLE, as in 006 to 009: add_fields would rebuild the table on SQLite, which
    # the foreign keys pointing at staff_user refuse.
    migrator.sql("ALTER TABLE staff_user ADD COLUMN totp_secret VARCHAR(64) NOT NULL DEFAULT ''")
    migrator.sql("ALTER TABLE staff_user ADD COLUMN totp_confirmed_at "
                 f"{'TIMESTAMP' if postgres else 'DATETIME'}")
    migrator.sql("ALTER TABLE staff_user ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0")

    @migrator.create_model
    class RecoveryCode(pw.Model):
        id = pw.AutoField()
        user = pw.ForeignKeyField(migrator.orm["staff_user"], on_delete="CASCADE")
        code_hash = pw.CharField(max_length=255)
        used_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "recovery_code"

    roles = ", ".join(f"'{role}'" for role in ROLES)
    migrator.sql("UPDATE staff_user SET session_version = session_version + 1 "
                 f"WHERE role IN ({roles})")


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Remove them again."""
    migrator.remove_model("recovery_code")
    migrator.remove_fields("staff_user", "totp_secret", "totp_confirmed_at", "totp_last_step")
