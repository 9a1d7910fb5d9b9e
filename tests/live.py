"""The app served in its own process on 127.0.0.1, as `flask run` serves it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from kiosk.models import db, open_database

from .postgres import free_port

ROOT = Path(__file__).resolve().parents[1]


class LiveServer:
    """The app running in a child process, as `flask run` would serve it."""

    def __init__(self, instance: Path, env: dict[str, str], database_url: str | None = None):
        self.instance = instance
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url = database_url or f"sqlite:///{instance / 'kiosk.sqlite3'}"
        if database_url:
            env = {**env, "KIOSK_DATABASE_URL": database_url}
        self.env = {**os.environ, "KIOSK_INSTANCE_PATH": str(instance), **env}
        self.process: subprocess.Popen | None = None

    def flask(self, *args: str) -> None:
        subprocess.run([sys.executable, "-m", "flask", "--app", "kiosk", *args], cwd=ROOT,
                       env=self.env, check=True, capture_output=True)

    def start(self, *, prepare: bool = True) -> None:
        if prepare:
            self.instance.mkdir(parents=True, exist_ok=True)
            self.flask("migrate")
            self.flask("seed-policy")
        self.log = self.instance / "server.log"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "kiosk", "run", "--host", "127.0.0.1",
                 "--port", str(self.port), "--with-threads"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/policy", timeout=1)
                return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(self.log.read_text()) from None
                time.sleep(0.05)
        raise RuntimeError("the app did not start within 15 seconds")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    @contextmanager
    def database(self):
        """The server's database, bound for reading and writing rows from the test."""
        db.initialize(open_database(self.database_url))
        try:
            with db.connection_context():
                yield
        finally:
            if not db.is_closed():
                db.close()
