"""A throwaway PostgreSQL server for the tests that need a real one.

Started once per test session from Debian's PostgreSQL binaries into a temporary folder on a
spare port, and stopped at the end. pg_ctl refuses to run as root, so as root it runs as the
`postgres` user through runuser.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid

import psycopg2
import pytest
from psycopg2 import sql


def free_port() -> int:
    """A port free a moment ago. Another process may take it before it is used: callers that
    bind it must retry (see `start_on_a_free_port`)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_on_a_free_port(start, attempts: int = 5):
    """Call start(port) with a free port, again with another if that one was taken meanwhile."""
    for attempt in range(attempts):
        try:
            return start(free_port())
        except (OSError, RuntimeError, subprocess.CalledProcessError):
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


@pytest.fixture
def closed_port():
    """A loopback port nothing listens on, held (bound, never listening) for the whole test so
    nothing else can take it: connecting to it is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} is not installed: run `make test`, which installs it")
    return found[-1]


def _as_owner(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@pytest.fixture(scope="session")
def postgres_server():
    """The base URL (no database name) of a running throwaway PostgreSQL server."""
    folder = tempfile.mkdtemp(prefix="kiosk-pg-")
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data = os.path.join(folder, "data")
    subprocess.run(_as_owner([_bin("initdb"), "-D", data, "-U", "kiosk", "-A", "trust",
                              "--no-sync", "-E", "UTF8"]),
                   check=True, capture_output=True)

    def start(port: int) -> int:
        subprocess.run(_as_owner([_bin("pg_ctl"), "-D", data, "-l", os.path.join(folder, "log"),
                                  "-w", "-o", f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 "
                                  "-c fsync=off -c autovacuum=off", "start"]),
                       check=True, capture_output=True)
        return port

    port = start_on_a_free_port(start)
    try:
        yield f"postgresql://kiosk@127.0.0.1:{port}"
    finally:
        subprocess.run(_as_owner([_bin("pg_ctl"), "-D", data, "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server):
    """A new, empty database on the throwaway server, for one test."""
    name = "kiosk_" + uuid.uuid4().hex[:12]
    conn = psycopg2.connect(postgres_server + "/postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    return f"{postgres_server}/{name}"


# The PostgreSQL pass ---------------------------------------------------------------------------
# Every test that builds an app runs twice (tests/conftest.py): on SQLite, and on a database of
# its own on the throwaway server. The migrations run once per test process, into a template.
# A test's migrated database is a copy of it, made the first time (CREATE DATABASE ... TEMPLATE
# takes about a third of a second, longer than most tests) and afterwards emptied back to the
# template's rows and kept for the next test (a few milliseconds): `MigratedPool`.


def _admin(server: str):
    conn = psycopg2.connect(server + "/postgres")
    conn.autocommit = True
    return conn


def _create_database(server: str, template: str | None = None) -> str:
    """A new database on the server (a copy of `template`, or empty): its name."""
    name = "kiosk_" + uuid.uuid4().hex[:12]
    conn = _admin(server)
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    conn.close()
    return name


@pytest.fixture(scope="session")
def migrated_template(postgres_server, tmp_path_factory) -> str:
    """The name of a migrated database to copy, with no rows of its own but what the migrations
    add (no audit event: the seal adds nothing to an empty log, so any audit key will do)."""
    from kiosk import create_app
    from kiosk.migrate import migrate_database
    from kiosk.models import db

    name = "kiosk_template"
    conn = _admin(postgres_server)
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    app = create_app({"KIOSK_INSTANCE_PATH": str(tmp_path_factory.mktemp("template")),
                      "DATABASE_URL": f"{postgres_server}/{name}"})
    with app.app_context():
        migrate_database()
    if not db.is_closed():
        db.close()
    db.obj.close_all()  # a template may have no connection while it is copied: not even a kept one
    return name


# The schema, in a form that changes when any table, column, index, trigger or constraint does.
_SCHEMA = """
    SELECT md5(string_agg(part, ',' ORDER BY part)) FROM (
        SELECT c.relname || ':' || c.relkind::text || ':' || a.attname || ':' || a.atttypid::text
               || ':' || a.attnotnull::text AS part
          FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
         WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
        UNION ALL SELECT 'trigger:' || tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
         WHERE c.relnamespace = 'public'::regnamespace
        UNION ALL SELECT 'constraint:' || conname || ':' || pg_get_constraintdef(oid)
          FROM pg_constraint WHERE connamespace = 'public'::regnamespace
        UNION ALL SELECT 'index:' || indexdef FROM pg_indexes WHERE schemaname = 'public'
        UNION ALL SELECT 'function:' || proname || ':' || md5(prosrc) FROM pg_proc
         WHERE pronamespace = 'public'::regnamespace
    ) parts"""


_SIZES = ("SELECT relname, reltuples, relpages, relallvisible FROM pg_class "
          "WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'i')")


class MigratedPool:
    """Migrated databases for one test process to reuse. A test's database is taken from here
    (copied from the template when none is free) and given back at its end: every row it
    wrote is deleted and the template's own rows (the migration history, the breach categories) and
    sequence positions put back, so the next test finds it exactly as a fresh copy. One whose
    schema a test changed, or that cannot be emptied, is dropped instead of reused."""

    def __init__(self, server: str, template: str):
        self.server, self.template = server, template
        self.free: list[str] = []
        conn = psycopg2.connect(f"{server}/{template}")
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                            "ORDER BY tablename")
                self.tables = [name for (name,) in cur.fetchall()]
                self.rows = {}
                for table in self.tables:
                    cur.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier(table)))
                    if cur.rowcount:
                        self.rows[table] = ([c.name for c in cur.description], cur.fetchall())
                cur.execute("SELECT sequencename, COALESCE(last_value, 1), last_value IS NOT NULL "
                            "FROM pg_sequences WHERE schemaname = 'public'")
                self.sequences = cur.fetchall()
                cur.execute(_SCHEMA)
                (self.schema,) = cur.fetchone()
                cur.execute(_SIZES)
                self.sizes = cur.fetchall()
        finally:
            conn.close()

    def take(self) -> str:
        return self.free.pop() if self.free else _create_database(self.server, self.template)

    def give_back(self, name: str, admin) -> None:
        """Empty it for the next test; drop it if that cannot be done exactly."""
        with admin.cursor() as cur:
            # A connection the test left open (a thread's, a server's) is ended, as DROP
            # DATABASE ... WITH (FORCE) would; waiting up to 5 s for each to go.
            cur.execute("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                        "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
        try:
            self._empty(name)
        except psycopg2.Error:
            with admin.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            self.free.append(name)

    def _empty(self, name: str) -> None:
        conn = psycopg2.connect(f"{self.server}/{name}")
        try:
            with conn.cursor() as cur:
                cur.execute(_SCHEMA)
                if cur.fetchone()[0] != self.schema:
                    raise psycopg2.DataError("a test changed the schema")
                # As a replica applies rows: no trigger fires (the audit log's append-only
                # guard, the foreign keys), so the tables can be emptied in any order. Rows are
                # deleted, not truncated (truncating costs a tenth of a second): the tables'
                # files keep the pages they grew to, which can tip the planner between two
                # indexes, so a test about query plans asks for a fresh copy (`fresh_database`).
                cur.execute("SET LOCAL session_replication_role = replica")
                cur.execute("SELECT relname FROM pg_class WHERE relnamespace = "
                            "'public'::regnamespace AND relkind = 'r' AND "
                            "(pg_relation_size(oid) > 0 OR relname = ANY(%s))", (list(self.rows),))
                for (table,) in cur.fetchall():
                    cur.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(table)))
                for table, (columns, rows) in self.rows.items():
                    cur.executemany(sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns)),
                        sql.SQL(", ").join(sql.Placeholder() * len(columns))), rows)
                # What the planner knows of the tables, as in the template: a test's ANALYZE
                # (or its rows) must not change the plans the next test gets.
                cur.execute("DELETE FROM pg_statistic WHERE starelid IN (SELECT oid FROM pg_class"
                            " WHERE relnamespace = 'public'::regnamespace)")
                cur.executemany("UPDATE pg_class SET reltuples = %s, relpages = %s, "
                                "relallvisible = %s WHERE oid = %s::regclass",
                                [(tuples, pages, visible, sql.Identifier(name).as_string(conn))
                                 for name, tuples, pages, visible in self.sizes])
                if self.sequences:
                    cur.execute("SELECT " + ", ".join(
                        "setval(%s, %s, %s)" for _ in self.sequences),
                        [value for sequence in self.sequences for value in sequence])
            conn.commit()
        finally:
            conn.close()


@pytest.fixture(scope="session")
def migrated_pool(postgres_server, migrated_template) -> MigratedPool:
    return MigratedPool(postgres_server, migrated_template)


class PostgresDatabases:
    """The databases one test uses on the throwaway server, made when first asked for and all
    dropped (or, migrated ones, given back to the pool) at its end. An app's database is its
    instance folder's, as the SQLite file is: two apps on one instance folder share one
    database, apps on two folders have one each."""

    def __init__(self, server: str, pool: MigratedPool, *, fresh: bool = False):
        self.server, self.pool, self.fresh = server, pool, fresh
        self.by_instance: dict[str, str] = {}
        self.made: list[str] = []
        self.taken: list[str] = []

    def migrated(self, instance_path) -> str:
        """A migrated database for this instance folder (the `app` fixture's)."""
        key = str(os.path.realpath(instance_path))
        if self.fresh:  # a copy of its own, dropped at the end (its files as the template's)
            name = _create_database(self.server, self.pool.template)
            self.made.append(name)
        else:
            name = self.pool.take()
            self.taken.append(name)
        self.by_instance[key] = f"{self.server}/{name}"
        return self.by_instance[key]

    def for_instance(self, instance_path) -> str:
        """This instance folder's database: empty at first, as a new SQLite file would be."""
        key = str(os.path.realpath(instance_path))
        if key not in self.by_instance:
            name = _create_database(self.server)
            self.made.append(name)
            self.by_instance[key] = f"{self.server}/{name}"
        return self.by_instance[key]

    def drop_all(self) -> None:
        if not (self.made or self.taken):
            return
        conn = _admin(self.server)
        try:
            for name in self.taken:
                self.pool.give_back(name, conn)
            with conn.cursor() as cur:
                for name in self.made:
                    # FORCE: a connection the test left open (a thread's, a server's) is ended.
                    cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            conn.close()
        self.made, self.taken = [], []
