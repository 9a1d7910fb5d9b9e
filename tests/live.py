"""The app served in its own process on 127.0.0.1, as `flask run` serves it (Werkzeug's threaded
server), each server a new process with its own settings, database and instance folder."""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import signal
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


# A server process is forked from a process that has already imported the app's modules: starting
# `python -m flask run` afresh took a second of CPU for the imports alone, paid by each of the
# ~150 browser tests, in the process `make test` waits for last. Each server is still a process of
# its own that builds its app (create_app) from its own environment, as `flask run` does; only the
# imports are shared. The forking process imports, never builds an app, opens no database and
# starts no thread, so a child starts as clean as a new interpreter would.
_FORKER = r'''
import ctypes, importlib, json, os, pkgutil, signal, sys, time
import kiosk, werkzeug.serving
for module in pkgutil.walk_packages(kiosk.__path__, "kiosk."):
    if module.name != "kiosk.serve":  # gunicorn's settings, read from the environment
        importlib.import_module(module.name)
signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the system
forker = os.getpid()
for line in sys.stdin:
    order = json.loads(line)
    pid = os.fork()
    if pid == 0:
        os.setsid()  # not in the test's process group: its Ctrl-C is the test's to handle
        # Ended with the forker, which ends with the test process (its input closes), however
        # that ends: no server is left running after the tests.
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        if os.getppid() != forker:  # it ended before the line above
            os._exit(1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        log = os.open(order["log"], os.O_WRONLY | os.O_APPEND)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0); os.dup2(log, 1); os.dup2(log, 2)
        os.close(null); os.close(log)
        sys.stdin = open(os.devnull)
        sys.stdout = os.fdopen(1, "w", buffering=1); sys.stderr = os.fdopen(2, "w", buffering=1)
        os.environ.clear(); os.environ.update(order["env"]); time.tzset()
        try:
            app = kiosk.create_app()
            server = werkzeug.serving.make_server("127.0.0.1", 0, app, threaded=True)
            print(f" * Running on http://127.0.0.1:{server.port}", flush=True)
            server.serve_forever()
        except BaseException:
            import traceback
            traceback.print_exc()
        finally:
            os._exit(1)
    print(pid, flush=True)
# The test process has gone (this input has closed): the servers still running are sent SIGTERM
# by the system as this process ends (PR_SET_PDEATHSIG).
'''
_forker: subprocess.Popen | None = None


class _Server:
    """One app server forked for a LiveServer; stopped as `flask run` is, by SIGTERM."""

    def __init__(self, env: dict[str, str], log: Path):
        global _forker
        if _forker is None or _forker.poll() is not None:
            machine = {name: value for name, value in os.environ.items()
                       if not name.startswith("KIOSK_") and name != "DATABASE_URL"}
            _forker = subprocess.Popen([sys.executable, "-c", _FORKER], cwd=ROOT, env=machine,
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            atexit.register(_forker.stdin.close)  # it ends its servers, then itself
        log.write_bytes(b"")  # there to read from now; the server writes to it from its start
        _forker.stdin.write(json.dumps({"env": env, "log": str(log)}) + "\n")
        _forker.stdin.flush()
        answer = _forker.stdout.readline()
        if not answer.strip().isdigit():
            raise RuntimeError(f"the process that starts test servers has stopped ({answer!r})")
        self.pid = int(answer)
        self.started = self._start_time()

    def _start_time(self) -> str | None:
        """When the process with this id started (/proc's field 22), or None if there is none or
        it has ended (a zombie): ids are used again once a process has gone, so it tells ours
        from a newcomer."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return None if len(fields) < 20 or fields[0] == "Z" else fields[19]

    def running(self) -> bool:
        return self.started is not None and self._start_time() == self.started

    def stop(self) -> None:
        """SIGTERM, and SIGKILL if it is still there 15 seconds later: never left running."""
        for sent, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 15)):
            if not self.running():
                return
            try:
                os.kill(self.pid, sent)
            except ProcessLookupError:
                return
            deadline = time.monotonic() + wait
            while self.running() and time.monotonic() < deadline:
                time.sleep(0.02)
            if not self.running():
                return


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
        self.process: _Server | None = None
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
        self.process = _Server(self.env, self.log)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if not self.process.running():
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
        self.process.stop()
        raise RuntimeError("the app did not start within 15 seconds:\n" + self.log.read_text())

    def stop(self) -> None:
        if self.process:
            self.process.stop()

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
