"""Browser tests: the app served on 127.0.0.1 in its own process, driven in Debian's Chromium."""

from __future__ import annotations

import os
import time

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.helpers import PASSWORD
from tests.live import LiveServer

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


def sign_in(page, server, email: str) -> None:
    """Sign in through the real form and wait for the staff home."""
    page.goto(server.url + "/signin")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("link", name="Log a breach")).to_be_visible()


def scripts_started(page, timeout: float = 10) -> None:
    """Wait until the page's modules have run (kiosk.js, then offline.js, in document order), so
    their timers exist before a test moves the clock (wait_for_function would need eval, which
    the app's Content-Security-Policy forbids)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate("() => Boolean(window.KioskOfflineReady)"):
        if time.monotonic() > deadline:
            raise AssertionError("the page's scripts did not start")
        time.sleep(0.05)
