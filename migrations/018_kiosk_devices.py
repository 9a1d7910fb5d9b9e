"""018: kiosk devices (issue 16).

- a tablet the head pairs as a kiosk: its name, the pairing code's hash and expiry, the hash of
  its credential, when it was paired, revoked and last seen, and what it last reported (the
  app's version, how many records were waiting to send);
- the device an acceptance was taken on;
- how many hours a device may go unseen before it is flagged.
"""

import peewee as pw
from peewee_migrate import Migrator



def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add the table, the acceptance's device and the setting."""

    @migrator.create_model
    class KioskDevice(pw.Model):
        id = pw.AutoField()
        public_id = pw.UUIDField(unique=True)
        name = pw.CharField(max_length=60)
        created_at = pw.DateTimeField()
        pairing_code_hash = pw.CharField(max_length=64, default="")
        pairing_expires_at = pw.DateTimeField(null=True)
        credential_hash = pw.CharField(max_length=64, null=True, unique=True)
        paired_at = pw.DateTimeField(null=True)
        revoked_at = pw.DateTimeField(null=True)
        last_seen_at = pw.DateTimeField(null=True)
        app_version = pw.CharField(max_length=40, default="")
        waiting_count = pw.IntegerField(default=0)

        class Meta:
            table_name = "kiosk_device"

    # Plain ALTER TABLE, as in 008: add_fields would rebuild the table on SQLite.
    migrator.sql("ALTER TABLE acceptance ADD COLUMN device_id INTEGER "
                 "REFERENCES kiosk_device (id) ON DELETE RESTRICT")
    migrator.sql("ALTER TABLE school_settings ADD COLUMN device_silent_hours INTEGER NOT NULL "
                 "DEFAULT 24")


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Remove them again."""
    migrator.remove_fields("school_settings", "device_silent_hours")
    migrator.remove_fields("acceptance", "device")
    migrator.remove_model("kiosk_device")
