"""Fixtures: a fresh app and database per test, the test client and CLI runner."""

from __future__ import annotations

import os

import pytest

from kiosk import create_app
from kiosk.migrate import migrate_database
from kiosk.models import db
from kiosk.policies import seed_default_policy

from .postgres import postgres_server, postgres_url  # noqa: F401  (fixtures)


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


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def ctx(app):
    """An application context, for tests that read or write rows directly."""
    with app.app_context():
        yield
