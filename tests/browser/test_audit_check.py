"""The head's "Check now" after the newest entries of the audit log were removed (issue 13)."""

from __future__ import annotations

import os

from playwright.sync_api import expect

from kiosk import audit
from kiosk.models import AuditEvent, db

from ..helpers import make_user
from .conftest import TABLET, sign_in

SHOTS = os.environ.get("SCREENSHOTS_DIR")  # a folder: save screenshots there to look at


def test_check_now_says_in_words_that_the_newest_entries_were_removed(live_server, new_context,
                                                                     assert_accessible):
    with live_server.database():
        head = make_user("head", email="head@westacre.sch.uk", display_name="Ann Smith")
        for n in range(4):
            audit.record("test.event", kind="test", record_id=n)
        audit.write_checkpoint()
        newest = AuditEvent.select().order_by(AuditEvent.id.desc()).limit(2)
        doomed = [event.id for event in newest]
        # Someone with the database file: the guard dropped, the two newest entries deleted.
        db.execute_sql("DROP TRIGGER audit_event_no_delete")
        db.execute_sql(f"DELETE FROM audit_event WHERE id IN ({doomed[0]}, {doomed[1]})")  # noqa: S608
    page = new_context(**TABLET).new_page()
    sign_in(page, live_server, head.email)
    page.goto(live_server.url + "/admin/audit")
    page.get_by_role("button", name="Check now").click()
    check = page.locator(".audit-check")
    expect(check).to_contain_text("found a problem.")
    expect(check).to_contain_text("but only")
    expect(check).to_contain_text("2 entries have been removed.")
    expect(check).to_contain_text("Ask your IT support to compare the log with a backup")
    expect(check).not_to_contain_text("intact:")
    for hidden in ("HMAC", "hash", "checkpoint", "event "):
        expect(check).not_to_contain_text(hidden)
    assert_accessible(page)
    if SHOTS:
        for width, height in ((1024, 1366), (768, 1024)):
            page.set_viewport_size({"width": width, "height": height})
            page.screenshot(path=f"{SHOTS}/audit-removed-{width}x{height}.png")
