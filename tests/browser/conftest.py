"""Browser tests: the app served on 127.0.0.1 in its own process, driven in Debian's Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from kiosk.models import db, open_database
from tests.postgres import free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}
TABLET = {"viewport": {"width": 1024, "height": 1366}, "is_mobile": True, "has_touch": True}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run `make test`, which installs Debian's chromium")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    }


class LiveServer:
    """The app running in a child process, as `flask run` would serve it."""

    def __init__(self, instance: Path, env: dict[str, str]):
        self.instance = instance
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url = f"sqlite:///{instance / 'kiosk.sqlite3'}"
        self.env = {**os.environ, "KIOSK_INSTANCE_PATH": str(instance), **env}
        self.process: subprocess.Popen | None = None

    def flask(self, *args: str) -> None:
        subprocess.run([sys.executable, "-m", "flask", "--app", "kiosk", *args], cwd=ROOT,
                       env=self.env, check=True, capture_output=True)

    def start(self) -> None:
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
                urllib.request.urlopen(self.url + "/policy", timeout=1)  # noqa: S310 (loopback)
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


@pytest.fixture
def live_server(tmp_path):
    server = LiveServer(tmp_path / "instance", {"KIOSK_THANKS_SECONDS": "5"})
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def axe() -> Axe:
    return Axe()


@pytest.fixture
def assert_accessible(axe):
    """Run axe on the page as it is now; fail with axe's report if anything is violated."""
    def check(page) -> None:
        results = axe.run(page)
        assert results.violations_count == 0, results.generate_report()
    return check


@pytest.fixture
def new_context(browser):
    """Open a browser context with the given options; closed at the end of the test."""
    contexts = []

    def make(**options):
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context
    yield make
    for context in contexts:
        context.close()
