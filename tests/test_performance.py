"""What keeps the hot paths cheap (the kiosk's home, accepting on the form and through the API) and
a worker small, without bending a rule: how many statements each runs, the current policy and
the school's settings read once a request and never kept beyond it, an INSERT's SQL built once,
no look for rate limits where none apply, the writers' queue across processes, and what a SQLite
worker leaves unimported. The timings themselves are in
docs/PERFORMANCE.md, from bench/; none is measured here."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager

import peewee
import pytest
from flask_limiter import Limiter
from peewee import SQL

from kiosk import audit, models, school
from kiosk.acceptances import AcceptanceDetails, record_acceptance
from kiosk.extensions import limiter
from kiosk.models import Acceptance, AuditEvent, PolicyVersion, db, open_database

from .helpers import hidden_fields, make_policy, publish_policy, sign_in_as
from .live import ROOT

OUTBOX = {"X-Kiosk-Client": "outbox"}


def acceptance_body(name: str = "Ann Visitor") -> dict:
    return {"full_name": name, "role": "visitor", "accept": True, "policy_version": "1",
            "channel": "kiosk", "accepted_at": "2026-01-01T10:00:00Z"}


@contextmanager
def statements():
    """Every SQL statement peewee runs meanwhile (it logs each one to its logger at DEBUG)."""
    run: list[str] = []

    class Counter(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            # (sql, params); not the pool's own messages. PostgreSQL's lock on the audit chain
            # is a statement; SQLite's writers queue on a lock outside SQL: neither is counted.
            if isinstance(record.msg, tuple) and "pg_advisory_xact_lock" not in record.msg[0]:
                run.append(record.msg[0])

    logger, counter = logging.getLogger("peewee"), Counter()
    level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    try:
        yield run
    finally:
        logger.removeHandler(counter)
        logger.setLevel(level)


def reading(run: list[str], table: str) -> list[str]:
    return [sql for sql in run if sql.startswith("SELECT") and f'FROM "{table}"' in sql]


@pytest.fixture
def warm(client):
    """The app after one acceptance: the audit log's first checkpoint is written, so the
    requests counted are the ones every visitor makes."""
    response = client.post("/api/v1/acceptances", json=acceptance_body("Warm Up"),
                           headers={**OUTBOX, "Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 201
    return client


# How many statements ----------------------------------------------------------------------------

def test_an_api_acceptance_looks_for_its_key_once_and_runs_at_most_five_statements(app, warm):
    with statements() as run:
        response = warm.post("/api/v1/acceptances", json=acceptance_body(),
                             headers={**OUTBOX, "Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 201
    assert len(reading(run, "acceptance")) == 1  # not again before the insert
    assert len(reading(run, "policy_version")) == 1
    assert [sql.split()[0] for sql in run if sql.startswith("INSERT")] == ["INSERT", "INSERT"]
    assert not [sql for sql in run if "SAVEPOINT" in sql]  # the event in the same transaction
    assert len(run) <= 5, run  # look, version, insert, chain, event
    with app.app_context():
        assert Acceptance.select().count() == 2


def test_a_replay_through_the_api_writes_nothing(app, warm):
    key = str(uuid.uuid4())
    assert warm.post("/api/v1/acceptances", json=acceptance_body(),
                     headers={**OUTBOX, "Idempotency-Key": key}).status_code == 201
    with statements() as run:
        again = warm.post("/api/v1/acceptances", json=acceptance_body(),
                          headers={**OUTBOX, "Idempotency-Key": key})
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert [sql for sql in run if not sql.startswith("SELECT")] == []
    assert len(reading(run, "acceptance")) == 1


def test_the_accept_form_reads_the_version_and_its_key_once_each(app, warm):
    fields = hidden_fields(warm.get("/accept?channel=kiosk").get_data(as_text=True))
    with statements() as run:
        response = warm.post("/accept", data={**fields, "full_name": "Ann Visitor",
                                              "role": "visitor", "accept": "y"})
    assert response.status_code == 303
    assert len(reading(run, "policy_version")) == 1
    assert len(reading(run, "acceptance")) == 1
    assert len(run) <= 5, run


def test_the_kiosk_home_reads_the_policy_and_the_settings_once(client):
    client.get("/")
    with statements() as run:
        assert client.get("/").status_code == 200
    assert len(reading(run, "policy_version")) == 1
    assert len(reading(run, "school_settings")) == 1
    assert len(run) == 2, run


# SQL built once -----------------------------------------------------------------------------------

@pytest.fixture
def counted_inserts(monkeypatch):
    """How many times peewee builds an INSERT's SQL from here on, with no INSERT built before."""
    built = []
    build = peewee.ModelInsert.__sql__

    def counting(query, ctx):
        built.append(query.model.__name__)
        return build(query, ctx)

    monkeypatch.setattr(peewee.ModelInsert, "__sql__", counting)
    monkeypatch.setattr(models, "_INSERTS", {}, raising=False)
    return built


def a_visitor(name: str, **more) -> dict:
    return {"client_uuid": uuid.uuid4(), "full_name": name, "role": "visitor", "channel": "kiosk",
            "accepted_at": dt.datetime(2026, 3, 4, 9, 30, 15, 250000),
            "received_at": dt.datetime(2026, 3, 4, 9, 31), "policy_version": PolicyVersion.current(),
            **more}


def stored(row_id: int) -> dict:
    row = Acceptance.select().where(Acceptance.id == row_id).dicts().get()
    return {name: value for name, value in row.items() if name not in ("id", "client_uuid")}


def test_a_rows_insert_is_built_once_and_stores_what_peewee_would(app, counted_inserts):
    with app.app_context():
        first = Acceptance.create(**a_visitor("Zoë  Ångström", organisation="PTA"))
        second = Acceptance.create(**a_visitor("Bob Lee", reason="Reading with Class 2"))
        assert counted_inserts == ["Acceptance"]  # the second used the first's SQL
        assert second.id == first.id + 1 and not first.dirty_fields and not second.dirty_fields
        # The same values through peewee's own insert store the same row.
        by_peewee = Acceptance.insert(**a_visitor("Zoë  Ångström", organisation="PTA")).execute()
        assert counted_inserts == ["Acceptance", "Acceptance"]
        assert stored(first.id) == stored(by_peewee)
        assert stored(first.id)["name_key"] == "zoe angstrom"
        assert Acceptance.get_by_id(second.id).reason == "Reading with Class 2"
        assert Acceptance.get_by_id(second.id).client_uuid == second.client_uuid
        # A foreign key to a row saved after it was set (peewee's unsaved relation) is its id.
        version = PolicyVersion(number=7, title="T", body="B", school="S", content_hash="h",
                                review_due=dt.date(2027, 1, 1))
        third = Acceptance(**{**a_visitor("Cy Lee"), "policy_version": version})
        version.save()
        third.save()
        assert Acceptance.get_by_id(third.id).policy_version_id == version.id != first.policy_version_id


def test_a_row_with_its_own_id_or_an_sql_value_is_built_by_peewee_every_time(
        app, counted_inserts):
    with app.app_context():
        Acceptance.create(id=500, **a_visitor("Own Id"))
        Acceptance.create(id=501, **a_visitor("Own Id Too"))
        Acceptance.create(**a_visitor("From SQL", role=SQL("'volunteer'")))
        Acceptance.create(**a_visitor("From SQL Too", role=SQL("'governor'")))
        assert counted_inserts == ["Acceptance"] * 4 and models._INSERTS == {}
        made = Acceptance.select().where(Acceptance.full_name.startswith("Own Id")
                                         | Acceptance.full_name.startswith("From SQL"))
        assert sorted((row.full_name, row.role) for row in made) == [
            ("From SQL", "volunteer"), ("From SQL Too", "governor"), ("Own Id", "visitor"),
            ("Own Id Too", "visitor")]
        assert [row.id for row in made.order_by(Acceptance.full_name)][2:] == [500, 501]


def test_no_request_looks_for_rate_limits_but_a_decorators_limit_still_holds(
        app, monkeypatch):
    looked = []
    identify = Limiter.identify_request
    monkeypatch.setattr(Limiter, "identify_request",
                        lambda self: looked.append(1) or identify(self))
    app.add_url_rule("/limited", "limited", limiter.limit("2 per minute")(lambda: "yes"))
    client = app.test_client()
    assert client.get("/").status_code == 200
    assert client.post("/api/v1/acceptances", json=acceptance_body(),
                       headers={**OUTBOX, "Idempotency-Key": str(uuid.uuid4())}
                       ).status_code == 201
    assert looked == []  # no limit applies to either, and none was looked for
    assert [client.get("/limited").status_code for _ in range(3)] == [200, 200, 429]
    assert looked  # the decorator's own check


def test_an_app_with_rate_limits_switched_off_still_starts(tmp_path, monkeypatch):
    from kiosk import create_app

    # The limiter is one for the process, and flask-limiter keeps "switched off" on it for every
    # app made after: switched on again once this test ends.
    monkeypatch.setattr(limiter, "enabled", limiter.enabled)
    app = create_app({"KIOSK_INSTANCE_PATH": str(tmp_path / "instance"), "TESTING": True,
                      "RATELIMIT_ENABLED": False})
    assert limiter._check_request_limit not in app.before_request_funcs.get(None, [])


def test_an_acceptance_whose_audit_event_fails_is_not_kept_and_one_outside_any_is(
        app, monkeypatch):
    with app.app_context():
        details = AcceptanceDetails(
            client_uuid=uuid.uuid4(), full_name="Ann Visitor", role="visitor", organisation="",
            reason="", channel="kiosk", accepted_at=dt.datetime(2026, 1, 1, 10),
            policy_version=PolicyVersion.current(), roster_person=None)
        events = AuditEvent.select().count()
        keyed_hash = audit.keyed_hash
        monkeypatch.setattr(audit, "keyed_hash", lambda event: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            record_acceptance(details, "hash")
        assert Acceptance.select().count() == 0 and AuditEvent.select().count() == events
        monkeypatch.setattr(audit, "keyed_hash", keyed_hash)
        record_acceptance(details, "hash")  # in a transaction of its own, as before
        audit.record("test.outside", kind="test")  # and one with none around it
        assert Acceptance.select().count() == 1 and AuditEvent.select().count() == events + 2
        assert not db.in_transaction()


# Read once a request, never kept beyond it ------------------------------------------------------

def test_a_version_published_between_two_requests_is_what_the_next_one_shows(app, client):
    assert "Version 2 title" not in client.get("/").get_data(as_text=True)
    with app.app_context():  # as the head's publish in another worker would commit it
        make_policy(title="Version 2 title")
    assert "Version 2 title" in client.get("/").get_data(as_text=True)
    # ...and what a form of the new version sends is taken as that version
    fields = hidden_fields(client.get("/accept?channel=kiosk").get_data(as_text=True))
    assert fields["policy_version"] == "2"
    response = client.post("/accept", data={**fields, "full_name": "Ann Visitor",
                                            "role": "visitor", "accept": "y"})
    assert response.status_code == 303
    with app.app_context():
        assert Acceptance.get().policy_version.number == 2


def test_the_heads_publish_is_what_the_kiosk_shows_next(app, client, head):
    kiosk = app.test_client()  # its own session, as the tablet at the door
    assert 'name="policy_version" type="hidden" value="1"' in kiosk.get(
        "/accept?channel=kiosk").get_data(as_text=True)
    sign_in_as(client, head)
    publish_policy(client, title="Our Phone Policy")
    page = kiosk.get("/accept?channel=kiosk").get_data(as_text=True)
    assert 'name="policy_version" type="hidden" value="2"' in page
    assert "Our Phone Policy" in kiosk.get("/").get_data(as_text=True)


def test_a_version_saved_during_a_request_is_seen_at_once_by_that_request(app):
    with app.test_request_context("/"):
        assert PolicyVersion.current().number == 1
        make_policy()
        assert PolicyVersion.current().number == 2
        assert PolicyVersion.numbered(1).number == 1  # an older version is still found


def test_a_version_read_inside_a_transaction_is_not_kept_after_it(app):
    """What a rollback takes back must not stay as the request's current version."""
    with app.test_request_context("/"):
        with pytest.raises(RuntimeError), db.atomic():
            make_policy()
            assert PolicyVersion.current().number == 2
            raise RuntimeError("the publish fails after the version was written")
        assert PolicyVersion.current().number == 1


def test_the_schools_name_saved_is_on_the_very_next_page(app, client):
    client.get("/")
    with app.test_request_context("/"):
        school.save_setup(school.SetupDetails(
            school_name="Eastacre Infants", dsl_name="", public_url="", thanks_next_step="",
            privacy_contact="", review_due=None))
    assert "Eastacre Infants" in client.get("/").get_data(as_text=True)


def test_an_asset_address_follows_the_prefix_each_request_is_served_under(client):
    plain = client.get("/").get_data(as_text=True)
    prefixed = client.get("/", base_url="http://localhost/kiosk/").get_data(as_text=True)
    stylesheet = re.search(r'href="(/static/css/kiosk\.css\?v=[0-9a-f]{10})"', plain).group(1)
    assert f'href="/kiosk{stylesheet}"' in prefixed
    assert f'href="{stylesheet}"' in client.get("/").get_data(as_text=True)


# The writers' queue across processes ------------------------------------------------------------

WRITER = """
import sys, time
from kiosk.models import open_database
database = open_database(sys.argv[1])
database.connect()
database.execute_sql("PRAGMA busy_timeout = 0")  # SQLite's own wait would fail at once
print("ready", flush=True)
started = time.monotonic()
with database.atomic():
    database.execute_sql("INSERT INTO note (text) VALUES ('second')")
print(f"waited {time.monotonic() - started:.3f}", flush=True)
"""


def _database(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    database = open_database(url)
    database.connect()
    database.execute_sql("CREATE TABLE note (text TEXT)")
    return url, database


@pytest.mark.sqlite_only("the lock file SQLite's writers queue on across processes")
def test_a_writer_in_another_process_queues_for_the_lock_instead_of_failing(tmp_path):
    url, database = _database(tmp_path)
    other = subprocess.Popen([sys.executable, "-c", WRITER, url], cwd=ROOT, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        with database.atomic():
            database.execute_sql("INSERT INTO note (text) VALUES ('first')")
            assert other.stdout.readline().strip() == "ready"
            time.sleep(0.5)  # the other writer is waiting now
        output = other.communicate(timeout=30)[0]
    finally:
        other.kill()
    assert other.returncode == 0, output
    assert float(output.split()[-1]) >= 0.3  # it waited for our commit, then wrote
    assert [row[0] for row in database.execute_sql("SELECT text FROM note ORDER BY rowid")] == [
        "first", "second"]
    database.close_all()


@pytest.mark.sqlite_only("the lock file SQLite's writers queue on across processes")
def test_a_forked_worker_takes_the_lock_on_its_own_and_does_not_share_its_parents(tmp_path):
    """gunicorn forks its workers from a master that has used the database: a lock file opened
    in the master and inherited would be one lock shared by both, excluding neither."""
    _url, database = _database(tmp_path)
    with database.atomic():  # the master has opened the lock file
        database.execute_sql("INSERT INTO note (text) VALUES ('master')")
    database.close_all()
    go_read, go_write = os.pipe()
    result_read, result_write = os.pipe()
    child = os.fork()
    if child == 0:  # the worker: nothing here may return into pytest
        code = 1
        try:
            os.read(go_read, 1)
            database.connect()
            database.execute_sql("PRAGMA busy_timeout = 0")
            started = time.monotonic()
            with database.atomic():
                database.execute_sql("INSERT INTO note (text) VALUES ('worker')")
            os.write(result_write, f"{time.monotonic() - started:.3f}".encode())
            code = 0
        finally:
            os._exit(code)
    try:
        with database.atomic():
            database.execute_sql("INSERT INTO note (text) VALUES ('master again')")
            os.write(go_write, b"x")
            time.sleep(0.5)
        _, status = os.waitpid(child, 0)
    finally:
        for descriptor in (go_read, go_write, result_write):
            os.close(descriptor)
    waited = os.read(result_read, 32).decode()
    os.close(result_read)
    assert os.waitstatus_to_exitcode(status) == 0  # a shared lock: "database is locked"
    assert float(waited) >= 0.3
    assert [row[0] for row in database.execute_sql("SELECT text FROM note ORDER BY rowid")] == [
        "master", "master again", "worker"]
    database.close_all()


# A SQLite worker's memory ------------------------------------------------------------------------

LOADED = """
import sys
import kiosk.serve  # gunicorn reads its settings first, as `make run` starts it
import wsgi
print(" ".join(name for name in ("psycopg2", "yaml", "email_validator") if sys.modules.get(name)))
"""


@pytest.mark.parametrize(("database_url", "loaded"), [
    (None, ""),  # SQLite in the instance folder
    ("postgresql://kiosk@127.0.0.1:1/kiosk", "psycopg2"),  # never connected to here
])
def test_a_sqlite_worker_never_imports_the_postgresql_driver(tmp_path, database_url, loaded):
    env = {**os.environ, "KIOSK_INSTANCE_PATH": str(tmp_path / "instance")}
    if database_url:
        env["KIOSK_DATABASE_URL"] = database_url
    result = subprocess.run([sys.executable, "-c", LOADED], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == loaded
