"""How SQLite is opened (models.KioskSqliteDatabase): connections kept, writers queued in-process."""

from __future__ import annotations

import threading

import pytest

from kiosk.models import PolicyVersion, db, open_database


@pytest.mark.sqlite_only("SQLite's connection pool")
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
