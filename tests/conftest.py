"""Fixtures: a fresh app and database per test, the test client and CLI runner.

Every test that builds an app (it uses `app`, or `tmp_path` for an instance folder of its own) runs
twice: `[sqlite]`, on a new SQLite file in its instance folder, and `[postgresql]`, on a new
database of its own on a throwaway PostgreSQL server (tests/postgres.py). `--database sqlite` (or
`postgresql`) runs one of them only. A test about SQLite itself is marked `sqlite_only` with the
reason, and its PostgreSQL run is skipped saying so. A test of a form's messages, which does not
depend on what a database does, is marked `one_database` with the reason, and runs once (on
SQLite, or on the one database --database names). Tests that pick their database themselves
(`postgres_url`, or a `database` or `backend` parameter of their own) run once, as written."""

from __future__ import annotations

import os
import shutil

import pytest

from kiosk import config, create_app
from kiosk.migrate import migrate_database
from kiosk.models import KioskSqliteDatabase, db
from kiosk.policies import seed_default_policy

from . import live
from .helpers import make_user
from .postgres import (  # noqa: F401  (fixtures)
    PostgresDatabases,
    closed_port,
    migrated_pool,
    migrated_template,
    postgres_server,
    postgres_url,
)
from .smtp import smtp_server  # noqa: F401  (a fixture)

BROWSER_TESTS = os.path.join("tests", "browser", "")
DATABASES = ("sqlite", "postgresql")
# A test that has any of these picks its database itself, and is run once as written.
OWN_DATABASE = {"postgres_url", "postgres_server", "database", "backend", "any_app",
                "closed_port"}


def pytest_addoption(parser):
    parser.addoption("--database", choices=("both", *DATABASES), default="both",
                     help="run the tests that build an app on SQLite, PostgreSQL or both")


def pytest_generate_tests(metafunc):
    """The tests that build an app, outside the browser tests, once on each database."""
    names = set(metafunc.fixturenames)
    if (BROWSER_TESTS in str(metafunc.definition.path) or not names & {"app", "tmp_path"}
            or names & OWN_DATABASE):
        return
    chosen = metafunc.config.getoption("database")
    databases = DATABASES if chosen == "both" else (chosen,)
    # A test of a form's messages, not of what a database does: one run is enough (SQLite's,
    # or with --database postgresql, PostgreSQL's).
    if metafunc.definition.get_closest_marker("one_database"):
        databases = databases[:1]
    metafunc.parametrize("on_database", databases, indirect=True)


def pytest_xdist_make_scheduler(config, log):
    """`make test` runs pytest in several processes (`-n 3 --dist loadgroup`): the browser tests
    all in one, in order, with one Chromium; the rest shared between the others. xdist's own
    loadgroup groups tests by a suffix its workers add to each test's id, which pytest 9 no
    longer reads (every process then ran browser tests at once, two or three Chromiums on two
    cores): the same grouping here, by the test's path."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class BrowserTestsTogether(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return "browser" if nodeid.startswith(BROWSER_TESTS) else nodeid

    return BrowserTestsTogether(config, log)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """No KIOSK_* setting from the machine running the tests leaks into them."""
    for name in list(os.environ):
        if name.startswith("KIOSK_") or name == "DATABASE_URL":
            monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def on_database(request, monkeypatch):
    """"sqlite", or on the PostgreSQL run the test's databases (`PostgresDatabases`): then an app
    built without a DATABASE_URL, and a live server started without one, gets its instance
    folder's own database on the throwaway server where it would have had a new SQLite file."""
    if getattr(request, "param", "sqlite") == "sqlite":
        yield "sqlite"
        return
    marker = request.node.get_closest_marker("sqlite_only")
    if marker:
        pytest.skip("about SQLite itself: " + marker.args[0])
    databases = PostgresDatabases(request.getfixturevalue("postgres_server"),
                                  request.getfixturevalue("migrated_pool"),
                                  fresh=request.node.get_closest_marker("fresh_database") is not None)
    monkeypatch.setattr(config, "_database_default", databases.for_instance)
    monkeypatch.setattr(live, "default_database", databases.for_instance)
    # A test that still opens a SQLite file here would pass on SQLite and be counted as passed
    # on PostgreSQL: it fails instead, to be marked `sqlite_only` or given its own database.
    opened = []
    sqlite_init = KioskSqliteDatabase.__init__
    monkeypatch.setattr(KioskSqliteDatabase, "__init__",
                        lambda self, *args, **kwargs: opened.append(args[:1])
                        or sqlite_init(self, *args, **kwargs))
    try:
        yield databases
    finally:
        if not db.is_closed():
            db.close()
        databases.drop_all()
    if opened:
        pytest.fail(f"On its PostgreSQL run this test opened SQLite ({opened[0][0]}): mark it "
                    "sqlite_only with the reason, or use its instance's database.")


@pytest.fixture
def new_database_url(tmp_path, on_database):
    """A new, empty database for this test, on the database of this run: new_database_url(name)."""
    if on_database == "sqlite":
        return lambda name: f"sqlite:///{tmp_path / (name + '.sqlite3')}"
    return lambda name: on_database.for_instance(tmp_path / name)


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory):
    """A SQLite file the migrations ran on, once per test process (migrating a new file takes
    longer than most tests); each test's `app` gets a copy. No audit event in it (the seal adds
    nothing to an empty log), so it does not matter that its audit key is not the test's."""
    instance = tmp_path_factory.mktemp("sqlite-template")
    app = create_app({"KIOSK_INSTANCE_PATH": str(instance), "TESTING": True})
    with app.app_context():
        migrate_database()
    if not db.is_closed():
        db.close()
    db.obj.close_all()  # the last connection checkpoints the WAL into the file
    return instance / "kiosk.sqlite3"


@pytest.fixture
def app(tmp_path, on_database, request):
    """An app on a freshly migrated database, with the default policy as version 1."""
    instance = tmp_path / "instance"
    settings = {"KIOSK_INSTANCE_PATH": str(instance), "TESTING": True}
    if on_database == "sqlite":
        instance.mkdir()
        shutil.copyfile(request.getfixturevalue("migrated_sqlite_file"),
                        instance / "kiosk.sqlite3")
    else:
        settings["DATABASE_URL"] = on_database.migrated(instance)
    app = create_app(settings)
    with app.app_context():
        migrate_database()
        seed_default_policy()
    yield app
    if not db.is_closed():
        db.close()


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch):
    """argon2 at its lowest cost in tests, so signing in a hundred times takes no time."""
    from argon2 import PasswordHasher

    from kiosk import accounts

    quick = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(accounts, "hasher", quick)
    # The hash an unknown address is checked against carries its own (full) cost: cheap here too.
    monkeypatch.setattr(accounts, "_DUMMY_HASH", quick.hash("not anyone's password"))


@pytest.fixture
def client(app):
    return app.test_client()


def _persona(role):
    @pytest.fixture
    def persona(app):
        with app.app_context():
            return make_user(role)
    return persona


teacher = _persona("staff")
other_teacher = _persona("staff")
dsl = _persona("dsl")
head = _persona("head")
chair = _persona("chair")


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def ctx(app):
    """An application context, for tests that read or write rows directly."""
    with app.app_context():
        yield
