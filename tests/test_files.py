"""Files and transport (issue 13, finding 8): the instance folder (the live database, its -wal and
-shm files, the secret key) is readable by the server's user only, and HTTPS is kept to with HSTS."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from kiosk import create_app
from kiosk.migrate import migrate_database
from kiosk.models import Acceptance, db
from kiosk.policies import seed_default_policy

from .helpers import make_acceptance


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture
def usual_umask():
    """A server's usual umask (022: files 0644, folders 0755), whatever an earlier test left."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def everything_in(folder: Path) -> dict[str, int]:
    return {str(path.relative_to(folder)): mode(path) for path in folder.rglob("*")}


@pytest.mark.sqlite_only("the SQLite file and its -wal and -shm files are made owner-only")
def test_a_fresh_instance_is_private_after_start_up_and_after_writing(tmp_path, usual_umask):
    instance = tmp_path / "instance"
    app = create_app({"KIOSK_INSTANCE_PATH": str(instance), "TESTING": True})
    assert mode(instance) == 0o700
    assert mode(instance / "secret_key") == 0o600
    with app.app_context():
        migrate_database()
        seed_default_policy()
    client = app.test_client()
    assert client.get("/policy").status_code == 200
    with app.app_context(), db.connection_context():
        make_acceptance(full_name="Ann Visitor")
        # While a connection is open the -wal and -shm files exist: SQLite made them too.
        files = everything_in(instance)
        assert {"kiosk.sqlite3", "kiosk.sqlite3-wal", "kiosk.sqlite3-shm", "secret_key",
                "audit_key"} <= set(files)
        assert files == {name: 0o600 for name in files}
        assert Acceptance.select().count() == 1
    assert mode(instance) == 0o700


def test_an_existing_open_instance_is_tightened_at_start_up_and_logged(tmp_path, usual_umask,
                                                                       caplog):
    instance = tmp_path / "instance"
    (instance / "backups").mkdir(parents=True)
    outside = tmp_path / "shared.txt"  # linked from the folder: not ours to change
    for path in (instance / "kiosk.sqlite3", instance / "kiosk.sqlite3-wal", outside,
                 instance / "backups" / "monday.sqlite3"):
        path.write_text("x")
    (instance / "secret_key").write_text("k" * 48)
    (instance / "shared.txt").symlink_to(outside)
    for path in (instance, instance / "backups"):
        path.chmod(0o755)
    for path in (*instance.rglob("*.sqlite3*"), instance / "secret_key", outside):
        path.chmod(0o644)

    with caplog.at_level(logging.WARNING, logger="kiosk"):
        create_app({"KIOSK_INSTANCE_PATH": str(instance), "TESTING": True})
    assert mode(instance) == 0o700 and mode(instance / "backups") == 0o700
    assert {name: m for name, m in everything_in(instance).items() if name != "shared.txt"} == {
        "audit_key": 0o600, "backups": 0o700, "backups/monday.sqlite3": 0o600,
        "kiosk.sqlite3": 0o600, "kiosk.sqlite3-wal": 0o600, "secret_key": 0o600}
    assert mode(outside) == 0o644
    logged = [record.getMessage() for record in caplog.records]
    assert f"Made {instance} private: its permissions were 0755, now 0700" in logged
    assert f"Made {instance / 'kiosk.sqlite3'} private: its permissions were 0644, now 0600" in logged
    assert len(logged) == 6

    caplog.clear()  # once private, a restart says nothing
    with caplog.at_level(logging.WARNING, logger="kiosk"):
        create_app({"KIOSK_INSTANCE_PATH": str(instance), "TESTING": True})
    assert caplog.records == []


@pytest.mark.sqlite_only("a SQLite file outside the instance folder is made owner-only")
def test_a_sqlite_database_kept_outside_the_instance_folder_is_tightened_too(tmp_path, usual_umask):
    database = tmp_path / "data" / "kiosk.sqlite3"
    database.parent.mkdir()
    database.write_text("")
    database.chmod(0o644)
    create_app({"KIOSK_INSTANCE_PATH": str(tmp_path / "instance"),
                "DATABASE_URL": f"sqlite:///{database}", "TESTING": True})
    assert mode(database) == 0o600


# HSTS -------------------------------------------------------------------------------------------

HSTS = "max-age=31536000; includeSubDomains"


@pytest.mark.parametrize("path", ["/", "/signin", "/static/css/kiosk.css", "/nowhere"])
def test_hsts_over_https_and_never_over_plain_http(client, path):
    with client.get(path, base_url="https://localhost") as https:
        assert https.headers["Strict-Transport-Security"] == HSTS
    with client.get(path) as http:
        assert "Strict-Transport-Security" not in http.headers


def test_behind_a_proxy_hsts_follows_the_forwarded_protocol(tmp_path):
    app = create_app({"KIOSK_INSTANCE_PATH": str(tmp_path / "instance"), "TESTING": True,
                      "KIOSK_PROXY_COUNT": 1})
    with app.app_context():
        migrate_database()
        seed_default_policy()
    client = app.test_client()
    https = client.get("/policy", headers={"X-Forwarded-Proto": "https"})
    assert https.headers["Strict-Transport-Security"] == HSTS
    assert "Strict-Transport-Security" not in client.get(
        "/policy", headers={"X-Forwarded-Proto": "http"}).headers


def test_without_a_proxy_a_forwarded_protocol_is_not_believed(client):
    response = client.get("/policy", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers
