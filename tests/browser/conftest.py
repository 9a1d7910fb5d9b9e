"""Browser tests: the app served on 127.0.0.1 in its own process, driven in Debian's Chromium."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.helpers import PASSWORD, totp_code
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
        # A click that follows a link returns before the next page has loaded: axe run in
        # between finds no document ("reading 'documentElement'") or has its context destroyed.
        # So wait for the load, and run again once if the page was still being swapped.
        for attempt in range(3):
            page.wait_for_load_state("load")
            try:
                results = axe.run(page)
                break
            except PlaywrightError as error:
                swapped = ("documentElement" in error.message
                           or "Execution context was destroyed" in error.message)
                if not swapped or attempt == 2:
                    raise
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
    """Sign in through the real form (and the code step, for the DSL and the head) and wait for
    the staff home."""
    page.goto(server.url + "/signin")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    home = page.get_by_role("link", name="Log a breach")
    expect(home.or_(page.get_by_role("heading", name="Enter your code"))).to_be_visible()
    if not home.is_visible():
        enter_code(page, server, email)
    expect(home).to_be_visible()


def enter_code(page, server, email: str) -> None:
    """The code step, with the code the account's app shows (tests.helpers.totp_secret_for).
    No code is taken twice, so a second sign-in within the same 30 seconds types the next
    one (still accepted, as a phone's clock may be that far ahead), or waits for it."""
    used = server.__dict__.setdefault("second_step_used", {})
    step = int(time.time() // 30)
    while used.get(email, -1) >= step + 1:
        time.sleep(1)
        step = int(time.time() // 30)
    step = max(step, used.get(email, -1) + 1)
    used[email] = step
    page.get_by_label("Code").fill(totp_code(email, step * 30))
    page.get_by_role("button", name="Sign in").click()


def until(condition, timeout: float = 10) -> None:
    """Poll `condition` (a function of no arguments) until it is true, or give up quietly after
    `timeout` seconds for the assertion after it to say what is wrong. Page.wait_for_function
    evaluates a string in the page, which the app's Content-Security-Policy forbids."""
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def scripts_started(page, timeout: float = 10) -> None:
    """Wait until the page's modules have run (kiosk.js, then offline.js, in document order), so
    their timers exist before a test moves the clock (wait_for_function would need eval, which
    the app's Content-Security-Policy forbids)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate("() => Boolean(window.KioskOfflineReady)"):
        if time.monotonic() > deadline:
            raise AssertionError("the page's scripts did not start")
        time.sleep(0.05)


def each_size(page, stage: str, sizes: dict[str, tuple[int, int]], back_to: dict) -> None:
    """At each size: the page never scrolls sideways; with SHOTS_DIR set, a full-page screenshot
    of it there (to look at). Then back to the viewport `back_to`."""
    shots = os.environ.get("SHOTS_DIR")
    page.wait_for_load_state("load")  # measured with the stylesheet, not before it
    for name, (width, height) in sizes.items():
        page.set_viewport_size({"width": width, "height": height})
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (stage, name)
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{shots}/{stage}-{name}.png", full_page=True)
    page.set_viewport_size(back_to)
