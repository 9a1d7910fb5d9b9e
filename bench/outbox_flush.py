"""How long a kiosk's outbox takes to send N acceptances queued offline (target: 200 in < 10 s).

    .venv/bin/python bench/outbox_flush.py [N]

Starts the app on 127.0.0.1 with a fresh SQLite database, queues N acceptances in Chromium's
IndexedDB while offline, goes online and times until the server holds all N. Prints one line.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import sync_playwright

from kiosk.models import Acceptance
from tests.live import LiveServer

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
TARGET_SECONDS = 10


def main(count: int) -> int:
    server = LiveServer(Path(tempfile.mkdtemp()) / "instance", {})
    server.start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            context = browser.new_context()
            page = context.new_page()
            page.goto(server.url + "/")
            page.get_by_text("All sent").wait_for()
            context.set_offline(True)
            page.evaluate("""async (count) => {
                for (let n = 0; n < count; n++) {
                    await KioskOutbox.add({id: crypto.randomUUID(), kind: 'acceptance',
                        url: '/api/v1/acceptances', body: {full_name: `Bench Visitor ${n}`,
                        role: 'visitor', accept: true, policy_version: '1', channel: 'kiosk',
                        accepted_at: new Date().toISOString()}});
                }
            }""", count)
            started = time.monotonic()
            context.set_offline(False)
            while True:
                with server.database():
                    arrived = Acceptance.select().count()
                if arrived >= count or time.monotonic() - started > 120:
                    break
                time.sleep(0.05)
            elapsed = time.monotonic() - started
            browser.close()
    finally:
        server.stop()
    verdict = "ok" if arrived == count and elapsed < TARGET_SECONDS * count / 200 else "SLOW"
    print(f"outbox flush: {arrived}/{count} acceptances in {elapsed:.2f} s "
          f"({arrived / elapsed:.0f}/s) [{verdict}; target 200 in {TARGET_SECONDS} s]")
    return 0 if verdict == "ok" else 1


if __name__ == "__main__":
    raise SystemExit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 200))
