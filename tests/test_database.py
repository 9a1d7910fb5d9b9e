"""How the database is opened: SQLite (models.KioskSqliteDatabase: connections kept, writers
queued) and PostgreSQL (models.KioskPostgresqlDatabase: connections kept, checked before use)."""

from __future__ import annotations

import threading

import pytest

from kiosk.models import PolicyVersion, db, open_database


def test_a_connection_is_kept_between_requests(app, client):
    seen = []
    app.before_request(lambda: seen.append(db.connection()) and None)
    client.get("/")
    client.get("/")
    assert len(seen) == 2 and seen[0] is seen[1]
    assert db.is_closed()  # handed back to the pool at the end of each request


@pytest.mark.sqlite_only("the process lock SQLite's writers queue on")
def test_a_writer_holds_the_process_lock_until_it_commits(app):
    """SQLite alone would also make the second writer wait, but in its busy handler (sleeping in
    steps of up to 100 ms); the process lock is what makes it wake as soon as the first commits."""
    with app.app_context(), db.connection_context():
        assert not db.obj._writer.locked()
        with db.atomic():
            assert db.obj._writer.locked()
            with db.atomic():  # a savepoint inside: the same writer, no second lock
                assert db.obj._writer.locked()
            assert db.obj._writer.locked()
        assert not db.obj._writer.locked()


def test_a_writer_that_fails_lets_the_next_one_in(app):
    with app.app_context(), db.connection_context():
        with pytest.raises(ZeroDivisionError), db.atomic():
            PolicyVersion.select().count()
            1 / 0  # noqa: B018
        done = threading.Event()

        def next_writer():
            with app.app_context(), db.connection_context(), db.atomic():
                done.set()

        thread = threading.Thread(target=next_writer)
        thread.start()
        thread.join(5)
        assert done.is_set()


def test_a_transaction_left_open_at_the_end_of_a_request_does_not_block_the_next(app):
    def leave_open():
        with app.app_context():
            db.connect(reuse_if_open=True)
            db.begin()  # never committed: the pool rolls it back when the connection is closed
            db.close()

    thread = threading.Thread(target=leave_open)
    thread.start()
    thread.join(5)
    done = threading.Event()

    def next_writer():
        with app.app_context(), db.connection_context(), db.atomic():
            done.set()

    other = threading.Thread(target=next_writer)
    other.start()
    other.join(5)
    assert done.is_set()


@pytest.mark.sqlite_only("SQLite's write lock on its file and its busy timeout")
def test_another_process_holding_the_write_lock_is_waited_for_ten_seconds(tmp_path):
    """SQLite's busy wait for the other worker process's write is 10 s under the pool too (set
    by the pragma: the pool takes a `timeout` argument as its own wait for a connection)."""
    database = open_database(f"sqlite:///{tmp_path / 'kiosk.sqlite3'}")
    connection = database.connection()
    assert connection.execute("PRAGMA busy_timeout").fetchone()[0] == 10_000
    database.close()


def test_a_postgresql_connection_the_server_ended_is_replaced_not_a_failed_request(postgres_url,
                                                                                   tmp_path):
    """A kept connection can be ended by the server while it waits in the pool (a restart, a
    failover, an administrator): the next request gets a new one and answers as usual."""
    import psycopg2

    from kiosk import create_app
    from kiosk.migrate import migrate_database
    from kiosk.policies import seed_default_policy

    app = create_app({"KIOSK_INSTANCE_PATH": str(tmp_path), "DATABASE_URL": postgres_url,
                      "TESTING": True})
    with app.app_context():
        migrate_database()
        seed_default_policy()
    client = app.test_client()
    pids = []
    app.before_request(lambda: pids.append(db.connection().get_backend_pid()) and None)
    assert client.get("/policy").status_code == 200
    assert client.get("/policy").status_code == 200
    assert pids[0] == pids[1]  # kept
    admin = psycopg2.connect(postgres_url)
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(%s, 5000)", (pids[0],))
        response = client.get("/policy")
    finally:
        admin.close()
        db.obj.close_all()
    assert response.status_code == 200
    assert pids[2] != pids[0]
