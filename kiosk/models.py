"""Database models. The database itself is bound by the app factory (``init_database``)."""

from __future__ import annotations

import datetime as dt
import uuid

from peewee import (
    CharField,
    DatabaseProxy,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
    UUIDField,
)
from playhouse.db_url import connect

db = DatabaseProxy()

# SQLite settings for a single file shared by several app processes: WAL lets readers and a
# writer work together, the busy timeout makes a second writer wait instead of failing, and
# synchronous=FULL makes each commit survive a power cut (WAL's NORMAL does not).
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10_000,
    "synchronous": "full",
}


def utcnow() -> dt.datetime:
    """The current time in UTC, without tzinfo (as stored)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def open_database(url: str):
    """Make a peewee database for a URL, with our SQLite pragmas where it is SQLite."""
    if url.startswith("sqlite"):
        return connect(url, pragmas=SQLITE_PRAGMAS, timeout=10)
    return connect(url)


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


class PolicyVersion(BaseModel):
    """One published text of the policy. Acceptances point at the exact version read."""

    number = IntegerField(unique=True)
    title = CharField(max_length=200)
    school = CharField(max_length=200)
    body = TextField()  # Markdown, rendered and sanitised on display
    content_hash = CharField(max_length=64)  # sha256 of title and body
    review_due = DateField(null=True)
    published_at = DateTimeField(default=utcnow)

    @classmethod
    def current(cls) -> PolicyVersion | None:
        """The newest published version, or None before the first is seeded."""
        return cls.select().order_by(cls.number.desc()).first()

    @property
    def label(self) -> str:
        return f"Version {self.number}"


class Acceptance(BaseModel):
    """A person's acceptance of one policy version. No IP address or user agent is kept."""

    CHANNELS = ("kiosk", "phone")

    client_uuid = UUIDField(unique=True, default=uuid.uuid4)
    policy_version = ForeignKeyField(PolicyVersion, backref="acceptances", on_delete="RESTRICT")
    full_name = CharField(max_length=100)
    role = CharField(max_length=20)
    organisation = CharField(max_length=100, default="")
    reason = CharField(max_length=200, default="")
    channel = CharField(max_length=10)
    language = CharField(max_length=10, default="en")
    accepted_at = DateTimeField(index=True)  # the device's clock, in UTC
    received_at = DateTimeField(default=utcnow)  # the server's clock, in UTC

    @classmethod
    def today(cls):
        """Today's acceptances (by the server's UTC date), newest first."""
        start = dt.datetime.combine(utcnow().date(), dt.time())
        return cls.select().where(cls.accepted_at >= start).order_by(cls.accepted_at.desc())


MODELS = (PolicyVersion, Acceptance)
