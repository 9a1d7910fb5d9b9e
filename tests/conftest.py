"""Fixtures: a fresh app and database per test, the test client and CLI runner."""

from __future__ import annotations

import os

import pytest

from kiosk import create_app
from kiosk.migrate import migrate_database
from kiosk.models import db
from kiosk.policies import seed_default_policy

from .helpers import make_user
from .postgres import closed_port, postgres_server, postgres_url  # noqa: F401  (fixtures)
from .smtp import smtp_server  # noqa: F401  (a fixture)

BROWSER_TESTS = os.path.join("tests", "browser", "")


def pytest_collection_modifyitems(items):
    """`make test` runs two processes (`-n 2 --dist loadgroup`): the browser tests all in one,
    in order, with one Chromium; the rest shared between both."""
    for item in items:
        if BROWSER_TESTS in str(item.path):
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """No KIOSK_* setting from the machine running the tests leaks into them."""
    for name in list(os.environ):
        if name.startswith("KIOSK_") or name == "DATABASE_URL":
            monkeypatch.delenv(name)


@pytest.fixture
def app(tmp_path):
    """An app on a freshly migrated SQLite database, with the default policy as version 1."""
    app = create_app({"KIOSK_INSTANCE_PATH": str(tmp_path / "instance"), "TESTING": True})
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

    monkeypatch.setattr(accounts, "hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


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
