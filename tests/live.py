"""The app served in its own process on 127.0.0.1, as `flask run` serves it."""

from __future__ import annotations

import atexit
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from kiosk import create_app
from kiosk.models import db, open_database

ROOT = Path(__file__).resolve().parents[1]
# A migrated, seeded SQLite instance, made once per test process and copied for each server:
# every server still starts from its own fresh database, without running the migrations again.
_template: Path | None = None


def default_database(instance: Path) -> str | None:
    """The database a server gets when it is given none: its instance folder's SQLite file
    (None), or on the PostgreSQL run of a test its own database there (tests/conftest.py)."""
    return None


def _prepared_instance() -> Path:
    global _template
    if _template is None:
        folder = Path(tempfile.mkdtemp(prefix="kiosk-template-"))
        atexit.register(shutil.rmtree, folder, True)
        instance = folder / "instance"
        instance.mkdir()
        server = LiveServer(instance, {})
        server.flask("migrate")
        server.flask("seed-policy")
        _template = instance
    return _template


class LiveServer:
    """The app running in a child process, as `flask run` would serve it."""

    def __init__(self, instance: Path, env: dict[str, str], database_url: str | None = None):
        self.instance = instance
        self.port: int | None = None  # chosen by the system when the server starts
        self.url = ""
        database_url = database_url or default_database(instance)
        self.database_url = database_url or f"sqlite:///{instance / 'kiosk.sqlite3'}"
        if database_url:
            env = {**env, "KIOSK_DATABASE_URL": database_url}
        self.env = {**os.environ, "KIOSK_INSTANCE_PATH": str(instance), **env}
        self.process: subprocess.Popen | None = None
        self._app = None  # made on first use of database()

    def flask(self, *args: str) -> None:
        subprocess.run([sys.executable, "-m", "flask", "--app", "kiosk", *args], cwd=ROOT,
                       env=self.env, check=True, capture_output=True)

    def start(self, *, prepare: bool = True) -> None:
        if prepare and self.database_url == f"sqlite:///{self.instance / 'kiosk.sqlite3'}":
            shutil.copytree(_prepared_instance(), self.instance, dirs_exist_ok=True)
        elif prepare:
            self.instance.mkdir(parents=True, exist_ok=True)
            self.flask("migrate")
            self.flask("seed-policy")
        self.log = self.instance / "server.log"
        # Port 0: the system picks a free port as the server binds it, so no other process can
        # take it in between; the server says which in its first lines.
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "kiosk", "run", "--host", "127.0.0.1",
                 "--port", "0", "--with-threads"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(self.log.read_text())
            if self.port is None:
                found = re.search(r"Running on http://127\.0\.0\.1:(\d+)", self.log.read_text())
                if found:
                    self.port = int(found.group(1))
                    self.url = f"http://127.0.0.1:{self.port}"
            if self.port is not None:
                try:
                    with urllib.request.urlopen(self.url + "/policy", timeout=1):
                        return
                except OSError:
                    pass
            time.sleep(0.05)
        raise RuntimeError("the app did not start within 15 seconds")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:  # a loaded machine: never leave it running
                self.process.kill()
                self.process.wait()

    @contextmanager
    def database(self):
        """The server's database, bound for reading and writing rows from the test, inside an
        app of its own on that database (domain functions read the app's settings). It has no
        mail server, so records the test makes directly send no alerts."""
        if self._app is None:
            # The server's own audit key, when it was given one rather than its instance's.
            key = {"KIOSK_AUDIT_KEY": self.env["KIOSK_AUDIT_KEY"]} if "KIOSK_AUDIT_KEY" in self.env else {}
            self._app = create_app({"KIOSK_INSTANCE_PATH": str(self.instance),
                                    "DATABASE_URL": self.database_url, **key})
        db.initialize(open_database(self.database_url))
        try:
            with self._app.app_context(), db.connection_context():
                yield
        finally:
            if not db.is_closed():
                db.close()
