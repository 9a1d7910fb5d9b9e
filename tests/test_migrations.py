"""The schema comes only from migrations/, and a database migrated from zero matches the models."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from peewee import SqliteDatabase, Table

from kiosk.migrate import migrate_database
from kiosk.models import MODELS, Acceptance, db, open_database
from kiosk.policies import seed_default_policy

from .helpers import make_acceptance

MIGRATION_TABLE = "migratehistory"


def _predicate(sql: str | None) -> str:
    """A partial index's WHERE, however quoted ("" for a whole-table index)."""
    _, where, predicate = (sql or "").upper().partition(" WHERE ")
    return "".join(c for c in predicate if c not in '"() ') if where else ""


def describe_schema(database) -> dict:
    """Tables, columns (name, type, null, primary key), indexes and foreign keys, comparable."""
    schema = {}
    for table in sorted(set(database.get_tables()) - {MIGRATION_TABLE}):
        columns = sorted((c.name, c.data_type.lower(), c.null, c.primary_key)
                         for c in database.get_columns(table))
        indexes = sorted((tuple(i.columns), i.unique, _predicate(i.sql))
                         for i in database.get_indexes(table))
        foreign_keys = sorted((f.column, f.dest_table, f.dest_column)
                              for f in database.get_foreign_keys(table))
        schema[table] = {"columns": columns, "indexes": indexes, "foreign_keys": foreign_keys}
    return schema


def schema_from(url: str, *, migrate: bool) -> dict:
    db.initialize(open_database(url))
    try:
        if migrate:
            migrate_database()
        else:
            db.create_tables(MODELS)
        return describe_schema(db.obj)
    finally:
        db.close()


@pytest.mark.sqlite_only("SQLite's schema; PostgreSQL's is the test after it")
def test_a_sqlite_database_migrated_from_zero_matches_the_models(tmp_path):
    migrated = schema_from(f"sqlite:///{tmp_path / 'migrated.sqlite3'}", migrate=True)
    created = schema_from(f"sqlite:///{tmp_path / 'created.sqlite3'}", migrate=False)
    assert migrated == created
    assert set(migrated) == {m._meta.table_name for m in MODELS}


def test_a_postgresql_database_migrated_from_zero_matches_the_models(postgres_server, postgres_url):
    migrated = schema_from(postgres_url, migrate=True)
    db.initialize(open_database(postgres_url))
    try:
        db.drop_tables(MODELS)  # the same database, emptied, rebuilt straight from the models
        db.execute_sql(f"DROP TABLE {MIGRATION_TABLE}")
    finally:
        db.close()
    created = schema_from(postgres_url, migrate=False)
    assert migrated == created
    assert set(migrated) == {m._meta.table_name for m in MODELS}


def test_migrating_again_changes_nothing_and_keeps_every_row(app, ctx):
    make_acceptance(full_name="Kept Visitor")
    assert migrate_database() == []
    assert Acceptance.select().where(Acceptance.full_name == "Kept Visitor").count() == 1


@pytest.mark.parametrize(("pragma", "expected"), [
    ("journal_mode", "wal"), ("foreign_keys", 1), ("busy_timeout", 10000), ("synchronous", 2),
])
@pytest.mark.sqlite_only("SQLite's pragmas")
def test_sqlite_runs_with_wal_foreign_keys_a_busy_timeout_and_durable_commits(tmp_path, pragma,
                                                                             expected):
    database = open_database(f"sqlite:///{tmp_path / 'k.sqlite3'}")
    assert isinstance(database, SqliteDatabase)
    database.connect()
    assert database.execute_sql(f"PRAGMA {pragma}").fetchone()[0] == expected
    database.close()


def test_the_app_works_on_postgresql(postgres_url, tmp_path):
    from kiosk import create_app

    app = create_app({"KIOSK_INSTANCE_PATH": str(tmp_path), "DATABASE_URL": postgres_url,
                      "TESTING": True})
    with app.app_context():
        migrate_database()
        version = seed_default_policy()
        make_acceptance(full_name="Postgres Visitor", policy_version=version)
    response = app.test_client().get("/policy")
    assert response.status_code == 200
    assert "Social Media and Mobile Phone Policy" in response.get_data(as_text=True)
    with app.app_context():
        assert Acceptance.get(Acceptance.full_name == "Postgres Visitor").policy_version.number == 1
    db.close()


def _database_at_005_with_the_bundled_policy(url: str, *, accepted: bool):
    """A school's database as it was before migration 006: version 1 as `seed-policy` published
    it then (no key points, the 2019 review date), perhaps already accepted, and version 2 of
    the school's own."""
    import datetime as dt
    import hashlib

    from kiosk.migrate import router
    from kiosk.policies import DEFAULT_POLICY, content_hash, parse_policy

    db.initialize(open_database(url))
    router().run("005_roster_reminders_retention")
    text = parse_policy(DEFAULT_POLICY.read_text(encoding="utf-8"))
    old_hash = hashlib.sha256(f"{text.title}\n\n{text.body}".encode()).hexdigest()
    # Written as the code before 006 wrote it: no key points column yet, so not via the model.
    versions = Table("policy_version", ("id", "number", "title", "school", "body", "content_hash",
                                        "review_due", "published_at")).bind(db.obj)
    # Dates pinned on purpose: history, written before 006 existed. 2019-09-30 is the bundled
    # document's own review date: 006 clears it from the bundled version, not from the school's.
    numbers = (1, 2) if not accepted else (1,)
    for number in numbers:
        body = text.body if number == 1 else "## Our own text\n"
        versions.insert(number=number, title=text.title, school=text.school, body=body,
                        content_hash=old_hash if number == 1 else content_hash(text.title, body),
                        review_due=dt.date(2019, 9, 30),
                        published_at=dt.datetime(2024, 1, 1)).execute()
    if accepted:
        Table("acceptance", ("id", "client_uuid", "request_hash", "policy_version_id",
                             "full_name", "role", "organisation", "reason", "channel", "language",
                             "accepted_at", "received_at")).bind(db.obj).insert(
            client_uuid=str(uuid.uuid4()), request_hash="", policy_version_id=1,
            full_name="Early Visitor", role="visitor", organisation="", reason="",
            channel="kiosk", language="en", accepted_at=dt.datetime(2024, 2, 1),
            received_at=dt.datetime(2024, 2, 1)).execute()
    return text, old_hash


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_school_that_seeded_the_bundled_policy_gets_its_key_points(database, tmp_path, request):
    """Migration 006: version 1 as `seed-policy` published it, not yet accepted by anyone, gains
    the key points (and a hash covering them) and loses the 2019 review date; an edited one is
    left be."""
    import datetime as dt

    from kiosk.models import PolicyVersion
    from kiosk.policies import content_hash

    url = (request.getfixturevalue("postgres_url") if database == "postgresql"
           else f"sqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        text, _ = _database_at_005_with_the_bundled_policy(url, accepted=False)
        migrate_database()
        bundled, own = PolicyVersion.get(number=1), PolicyVersion.get(number=2)
        assert bundled.key_points == text.key_points and len(bundled.key_point_list) == 5
        assert bundled.content_hash == content_hash(text.title, text.body, text.key_points)
        assert bundled.review_due is None
        assert (own.key_points, own.review_due) == ("", dt.date(2019, 9, 30))
    finally:
        db.close()


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_version_already_accepted_is_never_changed_its_key_points_wait_in_a_draft(
        database, tmp_path, request):
    from kiosk.models import PolicyDraft, PolicyVersion

    url = (request.getfixturevalue("postgres_url") if database == "postgresql"
           else f"sqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        text, old_hash = _database_at_005_with_the_bundled_policy(url, accepted=True)
        migrate_database()
        bundled = PolicyVersion.get(number=1)
        assert (bundled.key_points, bundled.content_hash) == ("", old_hash)
        assert bundled.review_due is None  # a plan, not the text: still asked for at set-up
        draft = PolicyDraft.get()
        assert (draft.title, draft.body, draft.key_points) == (text.title, text.body,
                                                               text.key_points)
    finally:
        db.close()


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_versions_published_before_minor_changes_existed_all_needed_accepting(database, tmp_path,
                                                                              request):
    """Migration 007: every version already published (and accepted) is a full change, and its
    acceptances are kept, so nobody's standing changes."""
    import datetime as dt

    from kiosk.migrate import router
    from kiosk.models import PolicyVersion

    url = (request.getfixturevalue("postgres_url") if database == "postgresql"
           else f"sqlite:///{tmp_path / 'old.sqlite3'}")
    db.initialize(open_database(url))
    try:
        router().run("006_school_settings_key_points")
        # Written as the code before 007 wrote it: no minor_change column yet, so not via the
        # model. Dates pinned on purpose: history, written before 007 existed.
        published = dt.datetime(2025, 1, 6, 9)
        versions = Table("policy_version", ("id", "number", "title", "school", "body",
                                            "content_hash", "key_points", "published_at"))
        for number in (1, 2):
            versions.bind(db.obj).insert(number=number, title="T", school="S",
                                         body=f"## Text {number}\n", content_hash=str(number),
                                         key_points="", published_at=published).execute()
        Table("acceptance", ("id", "client_uuid", "request_hash", "policy_version_id",
                             "full_name", "role", "organisation", "reason", "channel", "language",
                             "accepted_at", "received_at")).bind(db.obj).insert(
            client_uuid=str(uuid.uuid4()), request_hash="", policy_version_id=1,
            full_name="Early Visitor", role="visitor", organisation="", reason="",
            channel="kiosk", language="en", accepted_at=published,
            received_at=published).execute()
        assert migrate_database()[0] == "007_policy_minor_changes"
        assert [(v.number, v.minor_change) for v in PolicyVersion.newest_first()] == [
            (2, False), (1, False)]
        assert PolicyVersion.current_acceptance_floor().number == 2
        assert Acceptance.get(Acceptance.full_name == "Early Visitor").policy_version.number == 1
    finally:
        db.close()



@pytest.mark.sqlite_only("the models' index names, read once")
def test_migration_012_names_each_index_as_the_models_do():
    """The names matter too: a later migration drops an index by its name, on databases that were
    migrated and on databases made from the models alike."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "scale_indexes", Path(__file__).parent.parent / "migrations" / "012_scale_indexes.py")
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    declared = {index._name for model in MODELS for index in model._meta.fields_to_index()}
    assert set(migration.INDEXES) <= declared, set(migration.INDEXES) - declared


def test_no_index_is_the_start_of_another_on_the_same_table(app, ctx):
    """An index on (a) beside one on (a, b) serves no look-up the longer one does not, and costs
    every INSERT an entry (migration 016 dropped three). A unique index enforces something, and a
    partial one holds other rows: neither counts as held by a longer one."""
    held = []
    for table in db.get_tables():
        indexes = [index for index in db.obj.get_indexes(table) if not _predicate(index.sql)]
        held += [(table, short.name, long.name) for short in indexes for long in indexes
                 if short is not long and not short.unique
                 and long.columns[:len(short.columns)] == short.columns]
    assert held == []
