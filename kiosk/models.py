"""Database models. The database itself is bound by the app factory (``init_database``)."""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import threading
import uuid
from collections.abc import Callable
from zoneinfo import ZoneInfo

from flask import g, has_request_context
from flask_babel import gettext
from flask_login import UserMixin
from peewee import (
    SQL,
    BlobField,
    BooleanField,
    CharField,
    DatabaseProxy,
    DateField,
    DateTimeField,
    Field,
    ForeignKeyField,
    IntegerField,
    Model,
    ModelInsert,
    ModelSelect,
    Node,
    PostgresqlDatabase,
    TextField,
    UUIDField,
    Value,
    fn,
)
from playhouse.db_url import connect, parse
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase

from .text import SEARCH_KEY_LENGTH, search_key

db = DatabaseProxy()

# SQLite settings for a single file shared by several app processes: WAL lets readers and a
# writer work together, the busy timeout makes a second writer wait instead of failing, and
# synchronous=FULL makes each commit survive a power cut (WAL's NORMAL does not). Transactions
# begin IMMEDIATE, taking the write lock up front, so two processes never both read the audit
# chain's last hash and then write (a deferred transaction would fail, not wait, there).
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10_000,
    "synchronous": "full",
}


def serialize(lock_id: int) -> None:
    """Inside a transaction, wait for any other transaction holding the same lock. SQLite's
    transactions already begin IMMEDIATE (one writer at a time); PostgreSQL needs a lock."""
    if isinstance(db.obj, PostgresqlDatabase):
        db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (lock_id,))


def utcnow() -> dt.datetime:
    """The current time in UTC, without tzinfo (as stored)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# Every time is stored as naive UTC; these two are the only conversions to and from it.
def as_stored(moment: dt.datetime) -> dt.datetime:
    """An aware time (any zone) as it is stored: naive UTC."""
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def as_local(stored: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """A stored (naive UTC) time in the given zone."""
    return stored.replace(tzinfo=dt.UTC).astimezone(zone)


class KioskSqliteDatabase(PooledSqliteDatabase):
    """SQLite as this app uses it, made cheaper per request without being less careful:

    - **Connections are kept** (a pool, one per thread at most, no limit): each request used to
      open the file, set the pragmas and close it again, and closing the last connection makes
      SQLite checkpoint the WAL; a kept connection does neither (about 1 ms a request). A
      connection comes back to the pool at the end of each request with any transaction rolled
      back (peewee's pool does that); a connection serves one thread at a time, so handing it
      to another thread later is safe (check_same_thread=False).
    - **Writers queue for their turn**, not in SQLite: a transaction begins IMMEDIATE (the
      write lock up front), and a writer that finds it taken sleeps in SQLite's busy handler,
      in steps of up to 100 ms, long after the lock is free (that drove the POSTs' p99 past a
      second). So a writer first takes this process's lock (its other threads queue there),
      then an exclusive `flock` on `WRITER_LOCK`, a file beside the database (the other
      processes queue there, gunicorn's workers and the server's commands alike), and wakes as
      soon as the writer before it commits. Each process opens that file itself: a descriptor
      inherited across a fork would share its lock with the parent rather than exclude it. An
      in-memory database has no file and no other process.
    """

    WRITER_LOCK = "{database}-writer.lock"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._writer = threading.Lock()
        self._holding = threading.local()
        self._lock_file: tuple[int, int] | None = None  # (process id, descriptor)

    def begin(self, lock_type=None):
        self._writer.acquire()
        self._holding.lock = True
        try:
            descriptor = self._writers_file()
            if descriptor is not None:
                fcntl.flock(descriptor, fcntl.LOCK_EX)  # waits without holding the GIL
            self._holding.file = descriptor
            super().begin(lock_type)
        except BaseException:
            self._release_writer()
            raise

    def commit(self):
        try:
            super().commit()
        finally:
            self._release_writer()

    def rollback(self):
        try:
            super().rollback()
        finally:
            self._release_writer()

    def close(self):
        try:
            return super().close()
        finally:
            self._release_writer()  # a transaction left open is rolled back by the pool

    def _writers_file(self) -> int | None:
        """This process's descriptor of the writers' lock file; None in memory."""
        if not self.database or self.database == ":memory:" or self.database.startswith("file:"):
            return None
        pid = os.getpid()
        if self._lock_file is None or self._lock_file[0] != pid:
            path = self.WRITER_LOCK.format(database=self.database)
            self._lock_file = (pid, os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600))
        return self._lock_file[1]

    def _release_writer(self) -> None:
        if getattr(self._holding, "lock", False):
            self._holding.lock = False
            descriptor, self._holding.file = getattr(self._holding, "file", None), None
            try:
                if descriptor is not None:
                    fcntl.flock(descriptor, fcntl.LOCK_UN)
            finally:
                self._writer.release()


class _Slot:
    """Where a FixedQuery's value goes: stands in for it while peewee builds the SQL."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index


class FixedQuery:
    """A select whose shape never changes, its SQL built by peewee once per kind of database
    and then run with each request's values. Building the SQL is most of what a simple select
    costs in peewee (a third of an API POST's time: docs/PERFORMANCE.md); running it is not.

    `build` gets one stand-in for each field in `fields` and returns the query; `first(...)`
    runs it with values for those fields (each converted by its field, as peewee would) and
    returns its first row as a model instance, or None.
    """

    def __init__(self, build: Callable[..., ModelSelect], *fields: Field) -> None:
        self._build, self._fields = build, fields
        self._compiled: dict[type, tuple[str, list]] = {}  # by the class of database

    def _sql(self) -> tuple[str, list]:
        kind = type(db.obj)
        if kind not in self._compiled:
            slots = [Value(_Slot(n), converter=False) for n in range(len(self._fields))]
            query = self._build(*slots)
            self._model = query.model
            self._compiled[kind] = query.sql()
        return self._compiled[kind]

    def first(self, *values):
        sql, params = self._sql()
        bound = [self._fields[p.index].db_value(values[p.index]) if isinstance(p, _Slot) else p
                 for p in params]
        for row in self._model.raw(sql, *bound):
            return row
        return None


def open_database(url: str):
    """Make a peewee database for a URL, with our SQLite pragmas where it is SQLite."""
    if url.startswith("sqlite"):
        parts = parse(url)
        return KioskSqliteDatabase(parts.pop("database"), max_connections=None,
                                   pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE",
                                   check_same_thread=False, **parts)
    if url.startswith(("postgres://", "postgresql://")):
        # Connections kept between requests, a pool in each process: one a thread at most (a
        # gunicorn worker has one thread), up to 20, a 21st request at once waiting up to 10 s
        # for one to come back rather than failing. A new connection costs the server a process and
        # its first look at every table a request touches (about 25 ms a request in the
        # access-matrix tests); a kept one costs a round trip: before handing one out, peewee
        # sends it `SELECT 1`, so one the server ended meanwhile (a restart, a failover) is
        # replaced rather than failing a request (tests/test_database.py). One idle for five
        # minutes is closed, not reused. gunicorn's master closes them all before it forks
        # (kiosk/serve.py), so no two workers ever share one.
        parts = parse(url)
        return PooledPostgresqlDatabase(parts.pop("database"), max_connections=20, timeout=10,
                                        stale_timeout=300, **parts)
    return connect(url)


# Each new row's INSERT, built by peewee once per model, kind of database and set of columns:
# (the SQL, which value goes in each placeholder, whether it returns the new id).
_INSERTS: dict[tuple, tuple[str, list[int], bool]] = {}


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False

    def save(self, force_insert=False, only=None):
        """peewee's save, except that a new row (no id yet, every column) is inserted with SQL
        built once per shape rather than on every save: building it is most of what an INSERT
        costs in peewee, as for the selects of `FixedQuery` (docs/PERFORMANCE.md). The values
        are converted by their fields, as peewee would; anything unusual (an id of its own,
        `only=`, an SQL expression as a value) is left to peewee."""
        meta = self._meta
        if (only is not None or not meta.auto_increment or meta.only_save_dirty
                or self._pk is not None):
            return super().save(force_insert=force_insert, only=only)
        data = self.__data__.copy()
        self._populate_unsaved_relations(data)
        pk_name = meta.primary_key.name
        data.pop(pk_name, None)
        names = tuple(data)
        values = [data[name] for name in names]
        if not names or any(isinstance(value, Node) for value in values):
            return super().save(force_insert=force_insert, only=only)
        database = db.obj if meta.database is db else meta.database
        shape = (type(self), type(database), names)
        built = _INSERTS.get(shape)
        fields = meta.fields
        if built is None:
            query = ModelInsert(type(self), {fields[name]: Value(_Slot(n), converter=False)
                                             for n, name in enumerate(names)})
            sql, params = query.sql()
            if not all(isinstance(param, _Slot) for param in params):
                return super().save(force_insert=force_insert, only=only)
            built = _INSERTS[shape] = (sql, [param.index for param in params],
                                       bool(query._returning))
        sql, order, returns_id = built
        cursor = database.execute_sql(sql, [fields[names[n]].db_value(values[n]) for n in order])
        self._pk = cursor.fetchone()[0] if returns_id else cursor.lastrowid
        self._dirty.discard(pk_name)
        self._dirty -= set(data)
        return 1


def name_key_field() -> CharField:
    """The search key of a row's name (text.search_key), kept beside it: every name search
    compares these, so SQLite and PostgreSQL find the same people."""
    return CharField(max_length=SEARCH_KEY_LENGTH, default="", index=True)


class NameKeyed(BaseModel):
    """A table with a name people search for (`NAME_FIELD`) and its `name_key`. The key is set
    here whenever the name is written, by save(), create(), update() or insert(), so no caller
    can forget it; insert_many() and bulk writes are refused rather than left without keys."""

    NAME_FIELD = ""

    @classmethod
    def named(cls, name: str):
        """The condition "this row's name is that name": any case, any accents, any spacing."""
        return cls.name_key == search_key(name)

    @classmethod
    def _key_of(cls, name) -> str:
        if not isinstance(name, str):
            raise TypeError(f"{cls.__name__}.{cls.NAME_FIELD} must be written as text, so "
                            "its search key can be worked out.")
        return search_key(name)

    @classmethod
    def _with_key(cls, data: dict) -> dict:
        name_field = cls._meta.fields[cls.NAME_FIELD]
        if name_field in data:
            data[cls._meta.fields["name_key"]] = cls._key_of(data[name_field])
        return data

    @classmethod
    def update(cls, __data=None, **update):
        return super().update(cls._with_key(cls._normalize_data(__data, update)))

    @classmethod
    def insert(cls, __data=None, **insert):
        return super().insert(cls._with_key(cls._normalize_data(__data, insert)))

    @classmethod
    def insert_many(cls, *args, **kwargs):
        raise NotImplementedError(f"Create {cls.__name__} rows one at a time, so each gets its "
                                  "search key.")

    insert_from = bulk_create = bulk_update = replace_many = insert_many

    def save(self, force_insert=False, only=None):
        name_field = self._meta.fields[self.NAME_FIELD]
        if only is None or name_field in only or self.NAME_FIELD in only:
            self.name_key = self._key_of(getattr(self, self.NAME_FIELD))
            if only is not None:
                only = [*only, self._meta.fields["name_key"]]
        return super().save(force_insert=force_insert, only=only)


class PolicyVersion(BaseModel):
    """One published text of the policy. Acceptances point at the exact version read."""

    number = IntegerField(unique=True)
    title = CharField(max_length=200)
    school = CharField(max_length=200)
    body = TextField()  # Markdown, rendered and sanitised on display
    content_hash = CharField(max_length=64)  # sha256 of title and body
    review_due = DateField(null=True)
    # "What this means for you today": a few short points, one per line, shown to visitors above
    # the full text. Part of what a person accepts, so part of the content hash.
    key_points = TextField(default="")
    published_at = DateTimeField(default=utcnow)
    # A correction the head published as not changing what anyone agreed to (a typing error):
    # acceptances of the version before still count, so nobody is asked to accept again.
    minor_change = BooleanField(default=False)

    @classmethod
    def current(cls) -> PolicyVersion | None:
        """The newest published version, or None before the first is seeded. Read once a
        request (a page asks for it several times); a version saved during the request is seen
        at once, and the next request reads it afresh, so a version the head publishes is what
        the very next visitor reads."""
        if not has_request_context() or db.in_transaction():
            return _NEWEST_VERSION.first()  # what a rollback would take back is not kept
        if "current_policy" not in g:
            g.current_policy = _NEWEST_VERSION.first()
        return g.current_policy

    @classmethod
    def numbered(cls, number: int) -> PolicyVersion | None:
        """The version with this number (the one a form says its reader was shown), or None."""
        current = cls.current()
        if current is not None and current.number == number:
            return current
        return _NUMBERED_VERSION.first(number)

    def save(self, *args, **kwargs):
        if has_request_context():
            g.pop("current_policy", None)  # a new version, or the current one changed
        return super().save(*args, **kwargs)

    @classmethod
    def current_acceptance_floor(cls) -> PolicyVersion | None:
        """The newest version that needs accepting: the current one, or, when it and the ones
        before it were minor changes, the version they corrected. An acceptance of this
        version or a newer one counts as accepting the current policy."""
        return (cls.select().where(cls.minor_change == False)  # noqa: E712
                .order_by(cls.number.desc()).first() or cls.current())

    @classmethod
    def counting_as_current(cls):
        """The versions whose acceptance counts as accepting the current policy: the floor and
        the minor changes after it. Empty before the first version."""
        floor = cls.current_acceptance_floor()
        return cls.select().where(cls.number >= (floor.number if floor else 2**31))

    @classmethod
    def newest_first(cls):
        return cls.select().order_by(cls.number.desc())

    @property
    def label(self) -> str:
        return gettext("Version %(number)d", number=self.number)

    @property
    def description(self) -> str:
        """"Version 4", or "Version 4, a minor change to version 3"."""
        if self.minor_change:
            return gettext("Version %(number)d, a minor change to version %(before)d",
                           number=self.number, before=self.number - 1)
        return self.label

    @property
    def key_point_list(self) -> list[str]:
        return [line.strip() for line in self.key_points.splitlines() if line.strip()]


_NEWEST_VERSION = FixedQuery(lambda: PolicyVersion.newest_first().limit(1))
_NUMBERED_VERSION = FixedQuery(
    lambda number: PolicyVersion.select().where(PolicyVersion.number == number).limit(1),
    PolicyVersion.number)


class PolicyTranslation(BaseModel):
    """A translation of one policy version and its key points, added by the head (issue 16).

    Never changed once saved: saving again adds a newer row, and the newest that is not
    withdrawn is the one offered. An acceptance names the row its reader was shown, so what
    they read stays on record. Unless the head said otherwise, the English version applies."""

    policy_version = ForeignKeyField(PolicyVersion, backref="translations", on_delete="RESTRICT",
                                     index=False)  # the index below starts with it
    language = CharField(max_length=10)
    title = CharField(max_length=200)
    body = TextField()  # Markdown, rendered and sanitised on display, as the English
    key_points = TextField(default="")
    english_applies = BooleanField(default=True)
    content_hash = CharField(max_length=64)
    created_at = DateTimeField(default=utcnow)
    created_by = CharField(max_length=100)  # the head's name as it was then
    withdrawn_at = DateTimeField(null=True)

    class Meta:
        table_name = "policy_translation"
        indexes = ((("policy_version", "language", "created_at"), False),)

    @classmethod
    def offered(cls, version: PolicyVersion, language: str) -> PolicyTranslation | None:
        """The translation a reader of this version in this language is shown, if any."""
        return (cls.select().where(cls.policy_version == version, cls.language == language,
                                   cls.withdrawn_at.is_null())
                .order_by(cls.created_at.desc(), cls.id.desc()).first())

    @property
    def key_point_list(self) -> list[str]:
        return [line.strip() for line in self.key_points.splitlines() if line.strip()]


class RosterPerson(NameKeyed):
    """Someone in scope who is not a one-off visitor (PTA, volunteer, governor, staff): they must
    accept each new version, through their own link."""

    NAME_FIELD = "full_name"

    full_name = CharField(max_length=100)
    name_key = name_key_field()
    email = CharField(max_length=254, unique=True)  # lower-case; a re-import matches on it
    role = CharField(max_length=20)
    token = CharField(max_length=64, unique=True)  # the secret in their personal link
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)
    # The day they stopped working or volunteering at the school, as the head records it: their
    # low-level concerns are kept until then, and then reviewed (KCSIE Part 4).
    left_on = DateField(null=True)

    @classmethod
    def with_link(cls, token: object) -> RosterPerson | None:
        """The person on the roster whose personal link carries this token; no one once they
        are taken off it."""
        return cls.get_or_none(cls.token == str(token or "")[:64], cls.active == True)  # noqa: E712

    @classmethod
    def listed(cls):
        """Everyone on the roster, those still on it first."""
        return cls.select().order_by(cls.active.desc(), cls.full_name)

    def latest_acceptance(self) -> Acceptance | None:
        return (Acceptance.select().where(Acceptance.roster_person == self)
                .order_by(Acceptance.accepted_at.desc()).first())

    def current_acceptance(self) -> Acceptance | None:
        """Their newest acceptance that counts for the current policy (of the current version,
        or of the one a minor change corrected); None when they need to accept it."""
        return (Acceptance.counting_as_current().where(Acceptance.roster_person == self)
                .order_by(Acceptance.accepted_at.desc()).first())


class KioskDevice(BaseModel):
    """A tablet the head paired as a kiosk ("Entrance tablet"): a six-digit code, valid for ten
    minutes, entered at /kiosk/pair, gives that browser a long-lived credential in an HttpOnly
    cookie (only its SHA-256 is kept here). Acceptances taken on it name it. Revoked, it stops
    being a kiosk at its next request."""

    public_id = UUIDField(unique=True, default=uuid.uuid4)
    name = CharField(max_length=60)
    created_at = DateTimeField(default=utcnow)  # who added it: the audit log's device.added
    pairing_code_hash = CharField(max_length=64, default="")  # "" when no code is open
    pairing_expires_at = DateTimeField(null=True)
    credential_hash = CharField(max_length=64, null=True, unique=True)
    paired_at = DateTimeField(null=True)
    revoked_at = DateTimeField(null=True)
    # What it reported at its last contact.
    last_seen_at = DateTimeField(null=True)
    app_version = CharField(max_length=40, default="")
    waiting_count = IntegerField(default=0)

    @classmethod
    def listed(cls):
        """Every device, those in use first, by name."""
        return cls.select().order_by(cls.revoked_at.is_null(False), cls.name, cls.id)


class Acceptance(NameKeyed):
    """A person's acceptance of one policy version. No IP address or user agent is kept."""

    NAME_FIELD = "full_name"

    client_uuid = UUIDField(unique=True, default=uuid.uuid4)
    request_hash = CharField(max_length=64, default="")  # see kiosk/idempotency.py
    policy_version = ForeignKeyField(PolicyVersion, backref="acceptances", on_delete="RESTRICT")
    # Indexed by the partial index below (which serves a look-up by person too), not by one of
    # its own: most acceptances are visitors' with no person.
    roster_person = ForeignKeyField(RosterPerson, null=True, backref="acceptances",
                                    on_delete="RESTRICT", index=False)
    full_name = CharField(max_length=100)
    name_key = name_key_field()
    role = CharField(max_length=20)
    organisation = CharField(max_length=100, default="")
    reason = CharField(max_length=200, default="")
    channel = CharField(max_length=10)
    # The paired kiosk it was taken on, if any. Not indexed: no list reads acceptances by device,
    # and every acceptance would pay for the index (devices are revoked, never deleted).
    device = ForeignKeyField(KioskDevice, null=True, backref="acceptances", on_delete="RESTRICT",
                             index=False)
    # The language of the policy text shown ("en" unless a translation was), and that
    # translation: what the person read stays on record (migration 019).
    language = CharField(max_length=10, default="en")
    translation = ForeignKeyField(PolicyTranslation, null=True, backref="acceptances",
                                  on_delete="RESTRICT", index=False)
    accepted_at = DateTimeField()  # the device's clock, in UTC
    received_at = DateTimeField(default=utcnow)  # the server's clock, in UTC

    class Meta:
        # Today's visitors, a term's count, and the dashboard's acceptances per week by role,
        # read from the index alone (migration 012). Who on the roster has accepted which
        # version, and when, is the partial index after the class (migrations 014 and 015).
        indexes = ((("accepted_at", "role"), False),)

    @classmethod
    def by_client_uuid(cls, value) -> Acceptance | None:
        """The acceptance a form or the session names by its UUID; None for anything else."""
        try:
            key = value if isinstance(value, uuid.UUID) else uuid.UUID(str(value or ""))
        except ValueError:
            return None
        return cls.get_or_none(cls.client_uuid == key)

    @classmethod
    def counting_as_current(cls):
        """Acceptances that count for the current policy (PolicyVersion.counting_as_current)."""
        return cls.select().where(cls.policy_version.in_(
            PolicyVersion.counting_as_current().select(PolicyVersion.id)))

    @classmethod
    def today(cls, timezone: str, name_containing: str = ""):
        """Acceptances since midnight in the school's time zone, newest first (the later row
        first of two at the same moment, so a page of them has one order); with
        `name_containing`, only those whose name holds it anywhere, compared by search key
        ("emile" finds Émile Martin, "shah" finds Priya Shah)."""
        zone = ZoneInfo(timezone)
        midnight = dt.datetime.now(zone).replace(hour=0, minute=0, second=0, microsecond=0)
        query = cls.select().where(cls.accepted_at >= as_stored(midnight))
        key = search_key(name_containing)
        if key:
            # peewee escapes % and _ in the key; the key is already casefolded on both sides, so
            # the LIKE's own case rule (ASCII on SQLite, the locale on PostgreSQL) never decides.
            query = query.where(cls.name_key.contains(key))
        return query.order_by(cls.accepted_at.desc(), cls.id.desc())



# Who on the roster has accepted which version, and when: one look-up per person (migration 014).
# Only roster acceptances are in it (migration 015): with the visitors' (no person) in it too,
# SQLite's statistics saw "a thousand rows a person" and chose it for the visitors' queries,
# reading every visitor acceptance where the accepted_at index reads only the ones asked for.
Acceptance.add_index(Acceptance.index(
    Acceptance.roster_person, Acceptance.policy_version, Acceptance.accepted_at,
    name="acceptance_roster_person_id_policy_version_id_accepted_at",
).where(Acceptance.roster_person.is_null(False)))


class StaffUser(UserMixin, NameKeyed):
    """A signed-in member of staff. Roles: staff, dsl, head, chair."""

    NAME_FIELD = "display_name"

    email = CharField(max_length=254, unique=True)  # stored lower-case
    display_name = CharField(max_length=100)
    name_key = name_key_field()
    role = CharField(max_length=10)
    password_hash = CharField(max_length=255)
    must_change_password = BooleanField(default=False)
    active = BooleanField(default=True)
    # Bumped on sign-out, deactivation and password reset: every older session stops working.
    session_version = IntegerField(default=1)
    created_at = DateTimeField(default=utcnow)
    # The day they left the school's employment, as the head records it (see RosterPerson).
    left_on = DateField(null=True)
    # Two-step sign-in (second_factor.py): the TOTP secret (base32; "" when there is none),
    # when its first code confirmed it (until then it does not count), and the last time step
    # a code was accepted at, so no code works twice.
    totp_secret = CharField(max_length=64, default="")
    totp_confirmed_at = DateTimeField(null=True)
    totp_last_step = IntegerField(default=0)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return self.active

    @classmethod
    def with_role(cls, *roles: str):
        return cls.select().where(cls.role.in_(roles), cls.active == True)  # noqa: E712

    @classmethod
    def listed(cls):
        """Every account, those who can sign in first."""
        return cls.select().order_by(cls.active.desc(), cls.display_name)

    @classmethod
    def any_exist(cls) -> bool:
        return cls.select().exists()


class RecoveryCode(BaseModel):
    """One of the ten single-use codes that stand in for the authenticator app once each: only
    its argon2 hash is kept (as a password's is), and when it was spent."""

    user = ForeignKeyField(StaffUser, backref="recovery_codes", on_delete="CASCADE")
    code_hash = CharField(max_length=255)
    used_at = DateTimeField(null=True)

    @classmethod
    def unused(cls, user: StaffUser):
        return cls.select().where(cls.user == user, cls.used_at.is_null()).order_by(cls.id)


class BreachCategory(BaseModel):
    """What kind of breach; seeded from the policy, editable by the head."""

    slug = CharField(max_length=40, unique=True)
    label = CharField(max_length=200)
    safeguarding = BooleanField(default=False)  # routed to the DSL
    restricted = BooleanField(default=False)  # a concern about an adult in school: head only
    # The kind of material someone can be asked to delete for this breach ("" when none).
    material = CharField(max_length=20, default="")
    position = IntegerField(default=0)
    active = BooleanField(default=True)

    @classmethod
    def in_order(cls):
        """Every category, retired ones too, in the order staff see them."""
        return cls.select().order_by(cls.position, cls.id)

    @classmethod
    def in_use(cls):
        return cls.in_order().where(cls.active == True)  # noqa: E712

    @classmethod
    def in_use_by_slug(cls, slug: str) -> BreachCategory | None:
        return cls.in_use().where(cls.slug == slug).first()


class Breach(NameKeyed):
    """A logged breach of the policy. Changes are added as RecordUpdate rows, never overwritten."""

    NAME_FIELD = "subject_name"

    public_id = UUIDField(unique=True, default=uuid.uuid4)  # the id in every URL
    client_uuid = UUIDField(unique=True, default=uuid.uuid4)
    request_hash = CharField(max_length=64, default="")
    # Indexed by (reporter, created_at) below, not on its own too (migration 016).
    reporter = ForeignKeyField(StaffUser, backref="breaches", on_delete="RESTRICT", index=False)
    occurred_at = DateTimeField()
    location = CharField(max_length=200, default="")
    subject_kind = CharField(max_length=20)
    subject_name = CharField(max_length=100, default="")
    name_key = name_key_field()
    acceptance = ForeignKeyField(Acceptance, null=True, backref="breaches", on_delete="RESTRICT")
    category = ForeignKeyField(BreachCategory, backref="breaches", on_delete="RESTRICT")
    description = TextField(default="")
    actions = CharField(max_length=400, default="")  # comma-separated action codes
    safeguarding = BooleanField(default=False)
    restricted = BooleanField(default=False)
    concerns_head = BooleanField(default=False)  # restricted to the chair of governors
    # A concern about a member of staff, as its case manager classified it (KCSIE Part 4):
    # "" not yet, "allegation", "low_level" or "conduct" (vocabulary.CLASSIFICATIONS). The
    # history keeps every classification with its reason; this is the latest.
    classification = CharField(max_length=20, default="")
    # When it became an allegation (the LADO's working day counts from here), and how it ended.
    allegation_since = DateTimeField(null=True)
    allegation_outcome = CharField(max_length=20, default="")
    # Who a concern about staff is about, when the case manager links it to an account or a
    # person on the roster (the name typed stays as it was written).
    subject_staff = ForeignKeyField(StaffUser, null=True, backref="concerns_about",
                                    on_delete="RESTRICT")
    subject_person = ForeignKeyField(RosterPerson, null=True, backref="concerns_about",
                                     on_delete="RESTRICT")
    status = CharField(max_length=12, default="open")
    created_at = DateTimeField(default=utcnow, index=True)
    # Safeguarding and restricted breaches are never purged automatically; the head reviews them
    # when their retention runs out and may keep them until this date.
    keep_until = DateTimeField(null=True)

    class Meta:
        # The leads' list by status and a teacher's own reports, newest first; the dashboard's
        # breaches per month (migration 012).
        indexes = ((("status", "created_at"), False), (("reporter", "created_at"), False),
                   (("occurred_at",), False))

    @property
    def action_codes(self) -> list[str]:
        return [code for code in self.actions.split(",") if code]

    def managed_by(self, user: StaffUser) -> bool:
        """Whether this user is the case manager of this concern about a member of staff (KCSIE
        Part 4): the head; the chair of governors when it is about the head. Nothing else has a
        case manager."""
        return self.restricted and user.role == ("chair" if self.concerns_head else "head")

    @classmethod
    def visible_to(cls, user: StaffUser):
        """What this user may open. A concern about staff (restricted) exists only for its case
        manager, the head (the chair if it concerns the head); once classified as a low-level
        concern, also for the school's low-level-concerns lead when that is the DSL (never one
        about the head, nor one linked to that DSL's own account). Staff see their own reports
        that are not restricted."""
        if user.role == "head":
            return cls.select().where(~(cls.restricted & cls.concerns_head))
        if user.role == "chair":
            return cls.select().where(cls.restricted & cls.concerns_head)
        if user.role == "dsl":
            if SchoolSettings.low_level_lead_role() == "dsl":
                # Never one linked to their own account: a concern about a DSL is not theirs.
                return cls.select().where(~cls.restricted | (
                    (cls.classification == "low_level") & ~cls.concerns_head
                    & (cls.subject_staff.is_null() | (cls.subject_staff != user.id))))
            return cls.select().where(~cls.restricted)
        return cls.select().where(cls.reporter == user, ~cls.restricted)


class DeletionRequest(NameKeyed):
    """Someone was asked to delete material; followed until it is done, refused or overdue."""

    NAME_FIELD = "person_name"

    public_id = UUIDField(unique=True, default=uuid.uuid4)
    client_uuid = UUIDField(unique=True, default=uuid.uuid4)
    request_hash = CharField(max_length=64, default="")
    breach = ForeignKeyField(Breach, null=True, backref="deletion_requests", on_delete="RESTRICT")
    material = CharField(max_length=20)
    material_location = CharField(max_length=10)  # device or online
    link = CharField(max_length=500, default="")
    person_name = CharField(max_length=100, default="")
    name_key = name_key_field()
    acceptance = ForeignKeyField(Acceptance, null=True, backref="deletion_requests",
                                 on_delete="RESTRICT")
    asked_at = DateTimeField()
    asked_by = ForeignKeyField(StaffUser, backref="deletion_requests", on_delete="RESTRICT")
    due_by = DateTimeField(index=True)
    outcome = CharField(max_length=20, default="pending")
    outcome_note = TextField(default="")
    checked_by = ForeignKeyField(StaffUser, null=True, backref="deletion_checks",
                                 on_delete="RESTRICT")
    checked_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        # Open, overdue and refused requests; a term's requests (migration 012).
        indexes = ((("outcome", "due_by"), False), (("asked_at",), False))

    @classmethod
    def visible_to(cls, user: StaffUser):
        """Those of breaches this user may see, plus standalone ones they made (staff) or any
        standalone one (DSL and head).

        "Of a breach they may see" is asked of each request's own breach (EXISTS, by the
        breach's id), never by listing every breach the user may see: a count of the open
        requests costs those requests, not the years of breaches."""
        linked = fn.EXISTS(Breach.visible_to(user).select(SQL("1"))
                           .where(Breach.id == cls.breach))
        if user.role in ("dsl", "head"):
            return cls.select().where(linked | cls.breach.is_null())
        if user.role == "chair":
            return cls.select().where(linked)
        return cls.select().where((cls.asked_by == user) & (linked | cls.breach.is_null()))


class LadoReferral(BaseModel):
    """A referral of a restricted concern to the Local Authority Designated Officer."""

    breach = ForeignKeyField(Breach, unique=True, backref="lado_referrals", on_delete="RESTRICT")
    referred_at = DateTimeField(null=True)
    reference = CharField(max_length=100, default="")
    advice = TextField(default="")
    police_involved = BooleanField(default=False)
    outcome = TextField(default="")
    updated_at = DateTimeField(default=utcnow)


def N_(message: str) -> str:
    """Marks a message for the catalogues without translating it here: kept as it is, and
    translated where it is shown (`WelfareTask.named_as`)."""
    return message


# How the head or the chair is named on a welfare task from a concern about staff.
CASE_MANAGER = N_("The case manager")
# Who logged a concern about staff, as its welfare task names them: members of staff report
# themselves too (the policy asks them to), so their name could tell the DSL who it is about.
RAISED_IT = N_("The member of staff who raised it")


class WelfareTask(BaseModel):
    """What the DSL needs to know for a child's welfare: from a concern about a member of staff
    that involves a pupil (without the adult's name unless the case manager shares it), or from
    a child's disclosure ("A child told me something"). The full child-protection record lives
    in the school's safeguarding system; `safeguarding_ref` ties this to it. Its notes and
    status changes are RecordUpdate rows."""

    public_id = UUIDField(unique=True, default=uuid.uuid4)
    client_uuid = UUIDField(unique=True, default=uuid.uuid4)
    request_hash = CharField(max_length=64, default="")
    kind = CharField(max_length=20)  # "staff_concern" or "disclosure" (vocabulary.WELFARE_KINDS)
    breach = ForeignKeyField(Breach, null=True, backref="welfare_tasks", on_delete="RESTRICT")
    # From a concern about the headteacher: the chair's and the DSL's, never the head's. Kept on
    # the task itself, so it stays hidden from the head if the concern is removed at closing.
    concerns_head = BooleanField(default=False)
    pupils = CharField(max_length=300)  # the pupil or pupils, as the member of staff wrote them
    occurred_at = DateTimeField()  # when the child told them, or when the concern arose
    child_words = TextField(default="")  # a disclosure: the child's words, if they chose to
    safeguarding_ref = CharField(max_length=100, default="")  # CPOMS, MyConcern...
    created_by = ForeignKeyField(StaffUser, backref="welfare_tasks", on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow, index=True)
    status = CharField(max_length=12, default="open")  # open or done

    def named_as(self, person: StaffUser) -> str:
        """How someone who acted on this task is named on it (its page, the DSL's email): the
        case manager of a concern about staff as "The case manager", head or chair alike, so
        that the chair's name does not tell the DSL that a concern is about the head; and whoever
        logged a concern about staff as "The member of staff who raised it", since they may be
        the adult it is about."""
        case_managed = self.kind == "staff_concern" or self.breach_id is not None or self.concerns_head
        if person.role == "chair" or (person.role == "head" and case_managed):
            return gettext(CASE_MANAGER)  # in the page's language (the email's is English)
        if self.kind == "staff_concern" and person.id == self.created_by_id:
            return gettext(RAISED_IT)
        return person.display_name

    @classmethod
    def visible_to(cls, user: StaffUser):
        """What this user may open: every task for the DSL; for the head every task but those
        from a concern about the head, which are the chair's (with the DSL's); none for other
        staff, who hand a child's welfare to the DSL and do not follow it."""
        if user.role == "dsl":
            return cls.select()
        if user.role == "head":
            return cls.select().where(~cls.concerns_head)
        if user.role == "chair":
            return cls.select().where(cls.concerns_head)
        return cls.select().where(cls.id.is_null())


class RecordUpdate(BaseModel):
    """One change to a breach or deletion request: a note, an action, a status or outcome.

    Append-only: the history of a record is its first version plus these rows in order.
    """

    breach = ForeignKeyField(Breach, null=True, backref="updates", on_delete="RESTRICT")
    deletion_request = ForeignKeyField(DeletionRequest, null=True, backref="updates",
                                       on_delete="RESTRICT")
    author = ForeignKeyField(StaffUser, backref="updates", on_delete="RESTRICT")
    at = DateTimeField(default=utcnow)
    welfare_task = ForeignKeyField(WelfareTask, null=True, backref="updates", on_delete="RESTRICT")
    kind = CharField(max_length=20)  # note, action, status, outcome, lado, classification, ...
    old_value = CharField(max_length=40, default="")
    new_value = CharField(max_length=40, default="")
    # Codes that go with the change: the KCSIE harm tests an allegation met, comma-separated.
    detail = CharField(max_length=200, default="")
    text = TextField(default="")

    class Meta:
        indexes = ((("kind", "at"), False),)  # the allegations closed in a term (migration 012)


class AuditEvent(BaseModel):
    """Who did or saw what, when. Append-only and hash-chained (see kiosk/audit.py)."""

    at = DateTimeField(default=utcnow, index=True)  # the head's "which days" (migration 013)
    # Looked up by (actor, id) and (action, id), the indexes below: not each on its own too
    # (migration 016).
    actor = ForeignKeyField(StaffUser, null=True, backref="audit_events", on_delete="RESTRICT",
                            index=False)
    actor_label = CharField(max_length=254, default="")  # kept even if the account changes
    action = CharField(max_length=40)
    record_kind = CharField(max_length=30, default="")
    record_id = CharField(max_length=40, default="", index=True)
    detail = TextField(default="")  # JSON
    previous_hash = CharField(max_length=64)
    hash = CharField(max_length=64, unique=True)

    class Meta:
        # The head's log is read newest first a page at a time (by id), narrowed by who did it,
        # by a record, or (the last check) by what was done: each with the id after it, so a
        # page is one walk down one index, on PostgreSQL as on SQLite (migration 013).
        indexes = ((("actor", "id"), False), (("action", "id"), False),
                   (("record_kind", "record_id", "id"), False))


class Reminder(BaseModel):
    """A reminder emailed to a roster person to accept the current version."""

    person = ForeignKeyField(RosterPerson, backref="reminders", on_delete="CASCADE")
    policy_version = ForeignKeyField(PolicyVersion, backref="reminders", on_delete="RESTRICT")
    sent_at = DateTimeField(default=utcnow)
    sent_by = ForeignKeyField(StaffUser, null=True, backref="reminders_sent", on_delete="RESTRICT")


class RetentionSetting(BaseModel):
    """How long one kind of personal data is kept, in days; the head can change it."""

    kind = CharField(max_length=40, unique=True)
    days = IntegerField()
    updated_at = DateTimeField(default=utcnow)


class PolicyDraft(BaseModel):
    """The head's next version, being written. At most one; publishing turns it into a version."""

    title = CharField(max_length=200)
    body = TextField()
    key_points = TextField(default="")
    review_due = DateField(null=True)
    updated_at = DateTimeField(default=utcnow)


class SchoolSettings(BaseModel):
    """What the head sets on the school's first day: one row. Empty means "not set yet"."""

    school_name = CharField(max_length=200, default="")
    dsl_name = CharField(max_length=100, default="")
    public_url = CharField(max_length=300, default="")
    thanks_next_step = CharField(max_length=200, default="")
    privacy_contact = TextField(default="")
    # The sha256 of the stored picture ("" when none): its address changes when it does.
    logo_digest = CharField(max_length=64, default="")
    dsl_photo_digest = CharField(max_length=64, default="")
    completed_at = DateTimeField(null=True)  # the head saved the set-up screen at least once
    # Who leads on low-level concerns about staff besides the case manager: "dsl" or "head"
    # (vocabulary.LOW_LEVEL_LEADS); and how many in twelve months flag a pattern.
    low_level_lead = CharField(max_length=10, default="dsl")
    low_level_threshold = IntegerField(default=3)
    # A permission request waiting longer than this many working days is flagged to the head.
    permission_wait_days = IntegerField(default=3)
    # A kiosk device not seen for longer than this many hours is flagged on the head's list.
    device_silent_hours = IntegerField(default=24)
    updated_at = DateTimeField(default=utcnow)

    @classmethod
    def low_level_lead_role(cls) -> str:
        """The school's low-level-concerns lead ("dsl" unless the head set otherwise)."""
        row = cls.select(cls.low_level_lead).order_by(cls.id).first()
        return row.low_level_lead if row is not None else "dsl"


class SchoolImage(BaseModel):
    """A picture the head uploaded (the logo, the DSL's photo), already resized and stripped of
    its metadata. Kept in the database, so a backup holds it too."""

    KINDS = ("logo", "dsl_photo")

    kind = CharField(max_length=20, unique=True)
    content_type = CharField(max_length=30)
    data = BlobField()
    digest = CharField(max_length=64)
    updated_at = DateTimeField(default=utcnow)


class PermissionRequest(NameKeyed):
    """Someone asks the headteacher's permission to post or publish about the school (the
    policy: "References should not be made to any staff member, pupil, parent or school
    activity/event unless prior permission has been obtained and agreed with the Headteacher").
    Asked by a member of staff signed in, or by a person on the roster through their personal
    link. The head approves it (with conditions, until an end date), declines it with a reason,
    or asks a question, which the requester answers (PermissionNote rows)."""

    NAME_FIELD = "requester_name"

    public_id = UUIDField(unique=True, default=uuid.uuid4)
    client_uuid = UUIDField(unique=True, default=uuid.uuid4)
    request_hash = CharField(max_length=64, default="")
    # One of the two: who asked.
    requester_staff = ForeignKeyField(StaffUser, null=True, backref="permission_requests",
                                      on_delete="RESTRICT")
    requester_person = ForeignKeyField(RosterPerson, null=True, backref="permission_requests",
                                       on_delete="RESTRICT")
    # Their name as it was when they asked: a breach about them is matched on it.
    requester_name = CharField(max_length=100)
    name_key = name_key_field()
    what = TextField()  # what they want to post or publish
    where = CharField(max_length=200)  # the platform or publication
    post_on = DateField()  # when they mean to post it
    shows = CharField(max_length=40, default="")  # comma-separated: pupils, staff, parents
    # Whether the pupils' photo consent has been checked, as the requester answered ("yes",
    # "no"; "" when it shows no pupils).
    consent_answer = CharField(max_length=10, default="")
    # waiting, question (the head asked one), approved, declined (vocabulary.PERMISSION_STATUSES)
    status = CharField(max_length=12, default="waiting")
    asked_at = DateTimeField(default=utcnow)
    # Since when it has been as it is: asked, the head's question (waiting for the answer), or
    # the answer (waiting for the head again).
    waiting_since = DateTimeField(default=utcnow)
    # The head's decision.
    decided_by = ForeignKeyField(StaffUser, null=True, backref="permission_decisions",
                                 on_delete="RESTRICT")
    decided_at = DateTimeField(null=True)
    conditions = TextField(default="")  # an approval's conditions ("no faces")
    reason = TextField(default="")  # a refusal's reason
    ends_on = DateField(null=True)  # an approval holds until the end of this day
    # The pupils' photo consent as the head's decision records it: checked, by whom, on what day
    # (consent itself stays in the school's information system).
    consent_checked = BooleanField(default=False)
    consent_checked_by = CharField(max_length=100, default="")
    consent_checked_on = DateField(null=True)

    class Meta:
        # The head's lists by status: those waiting, longest first (migration 017).
        indexes = ((("status", "waiting_since"), False),)

    @property
    def shows_codes(self) -> list[str]:
        return [code for code in self.shows.split(",") if code]

    @classmethod
    def visible_to(cls, user: StaffUser):
        """The head sees every request; a member of staff, their own."""
        if user.role == "head":
            return cls.select()
        return cls.select().where(cls.requester_staff == user)


class PermissionNote(BaseModel):
    """A question the head asked about a permission request, or the requester's answer."""

    request = ForeignKeyField(PermissionRequest, backref="notes", on_delete="CASCADE")
    kind = CharField(max_length=10)  # "question" or "answer"
    text = TextField()
    author = ForeignKeyField(StaffUser, null=True, backref="permission_notes",
                             on_delete="RESTRICT")  # none for a roster person's answer
    at = DateTimeField(default=utcnow)


class Declaration(BaseModel):
    """A member of staff's family or friendship link with a pupil's family, declared to the
    headteacher (the policy: "Where family and friends have pupils in school and there are
    legitimate family links, please inform the Headteacher"). Only the head and the member of
    staff who declared it see it. Confirmed as still correct once a year; ended when it no longer
    applies."""

    public_id = UUIDField(unique=True, default=uuid.uuid4)
    client_uuid = UUIDField(unique=True, default=uuid.uuid4)
    request_hash = CharField(max_length=64, default="")
    declarer = ForeignKeyField(StaffUser, backref="declarations", on_delete="RESTRICT")
    who = CharField(max_length=200)  # the pupil and family, as the member of staff puts it
    relationship = CharField(max_length=100)
    since = CharField(max_length=60)  # since when, in their words ("2019", "birth")
    declared_at = DateTimeField(default=utcnow)
    confirmed_at = DateTimeField(default=utcnow)  # declared, or last confirmed still correct
    acknowledged_by = ForeignKeyField(StaffUser, null=True, backref="declarations_acknowledged",
                                      on_delete="RESTRICT")
    acknowledged_at = DateTimeField(null=True)
    ended_at = DateTimeField(null=True)  # no longer applies (kept for the retention period)

    @classmethod
    def visible_to(cls, user: StaffUser):
        """The head sees every declaration; a member of staff, their own."""
        if user.role == "head":
            return cls.select()
        return cls.select().where(cls.declarer == user)


MODELS = (PolicyVersion, PolicyTranslation, RosterPerson, KioskDevice, Acceptance, StaffUser,
          BreachCategory, Breach, DeletionRequest, LadoReferral, WelfareTask,
          RecordUpdate, AuditEvent, Reminder,
          RetentionSetting, PolicyDraft, SchoolSettings, SchoolImage, RecoveryCode,
          PermissionRequest, PermissionNote, Declaration)
