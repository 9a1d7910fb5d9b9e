"""`GET /healthz` (kiosk/health.py): what the proxy and monitoring ask, and nothing more."""

from __future__ import annotations

import pytest

from kiosk import create_app, migrate
from kiosk.migrate import router
from kiosk.models import db

from .helpers import nothing_written

OK = {"status": "ok"}


def problem(name: str) -> dict:
    return {"status": "unavailable", "problem": name}


def test_ok_when_the_database_answers_and_no_migration_is_waiting(app, client):
    with nothing_written(app):  # no audit event, no row of any kind
        response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == OK
    assert "Set-Cookie" not in response.headers  # no session, no cookie of any kind
    assert response.headers["Cache-Control"] == "no-store"


def test_a_waiting_migration_is_a_503_until_it_has_run(app, client):
    with app.app_context():
        last = router().todo[-1]
        history = router().model
        history.delete().where(history.name == last).execute()
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json() == problem("migrations")
    assert "Set-Cookie" not in response.headers
    with app.app_context():
        history.create(name=last)
    assert client.get("/healthz").get_json() == OK


def test_once_current_the_migrations_are_not_read_again(app, client, monkeypatch):
    assert client.get("/healthz").get_json() == OK

    def fail():
        raise AssertionError("the migrations were read again")

    monkeypatch.setattr(migrate, "pending", fail)
    assert client.get("/healthz").get_json() == OK


@pytest.mark.sqlite_only("a file that is not a SQLite database (PostgreSQL's counterpart is a "
                         "server that does not answer, the next test)")
def test_a_database_that_is_not_one_is_a_503_not_a_500(tmp_path):
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(b"this is not a database file " * 100)
    app = create_app({"KIOSK_INSTANCE_PATH": str(tmp_path / "instance"), "TESTING": True,
                      "DATABASE_URL": f"sqlite:///{broken}"})
    try:
        response = app.test_client().get("/healthz")
    finally:
        if not db.is_closed():
            db.close()
    assert response.status_code == 503 and response.get_json() == problem("database")
    assert "Set-Cookie" not in response.headers


def test_a_database_server_that_does_not_answer_is_a_503(tmp_path, closed_port):
    app = create_app({"KIOSK_INSTANCE_PATH": str(tmp_path / "instance"), "TESTING": True,
                      "DATABASE_URL": f"postgresql://kiosk@127.0.0.1:{closed_port}/kiosk"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.get_json() == problem("database")
    # Nothing about the server, the address or the driver's message in the answer.
    assert str(closed_port) not in response.get_data(as_text=True)


@pytest.mark.parametrize(("host", "status"), [("kiosk.westacre.sch.uk", 200), ("127.0.0.1", 200),
                                              ("elsewhere.example", 400)])
def test_the_host_check_still_applies(tmp_path, host, status):
    """Production answers only its hosts, /healthz too: README names KIOSK_TRUSTED_HOSTS=127.0.0.1
    for a check on the server itself."""
    app = create_app({"KIOSK_INSTANCE_PATH": str(tmp_path / "instance"), "TESTING": True,
                      "KIOSK_ENV": "production", "SECRET_KEY": "k" * 40,
                      "KIOSK_AUDIT_KEY": "a" * 40,
                      "KIOSK_PUBLIC_URL": "https://kiosk.westacre.sch.uk",
                      "KIOSK_TRUSTED_HOSTS": ("127.0.0.1",)})
    try:
        with app.app_context():
            migrate.migrate_database()
        response = app.test_client().get("/healthz", base_url=f"https://{host}")
    finally:
        if not db.is_closed():
            db.close()
    assert response.status_code == status
    assert (response.get_json(silent=True) == OK) == (status == 200)
