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
                                  "-c fsync=off", "start"]),
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
# its own on the throwaway server. The migrations run once per test process, into a template;
# each test's database is a copy of it (CREATE DATABASE ... TEMPLATE: about 40 ms, where
# migrating again would be twice that) and is dropped when the test ends.


def _admin(server: str):
    conn = psycopg2.connect(server + "/postgres")
    conn.autocommit = True
    return conn


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
        db.close()  # a template may have no connection while it is copied
    return name


class PostgresDatabases:
    """The databases one test uses on the throwaway server, made when first asked for and all
    dropped at its end. An app's database is its instance folder's, as the SQLite file is: two
    apps on one instance folder share one database, apps on two folders have one each."""

    def __init__(self, server: str, template: str):
        self.server, self.template = server, template
        self.by_instance: dict[str, str] = {}
        self.made: list[str] = []

    def _create(self, template: str | None) -> str:
        name = "kiosk_" + uuid.uuid4().hex[:12]
        conn = _admin(self.server)
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        conn.close()
        self.made.append(name)
        return f"{self.server}/{name}"

    def migrated(self, instance_path) -> str:
        """A migrated database for this instance folder (the `app` fixture's)."""
        key = str(os.path.realpath(instance_path))
        self.by_instance[key] = self._create(self.template)
        return self.by_instance[key]

    def for_instance(self, instance_path) -> str:
        """This instance folder's database: empty at first, as a new SQLite file would be."""
        key = str(os.path.realpath(instance_path))
        if key not in self.by_instance:
            self.by_instance[key] = self._create(None)
        return self.by_instance[key]

    def drop_all(self) -> None:
        if not self.made:
            return
        conn = _admin(self.server)
        with conn.cursor() as cur:
            for name in self.made:
                # FORCE: a connection the test left open (a thread's, a server's) is ended.
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()
