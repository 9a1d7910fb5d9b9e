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


def test_the_log_pages_back_and_forth_and_says_when_the_last_full_check_was(
        live_server, new_context, assert_accessible):
    with live_server.database():
        head = make_user("head", email="head@westacre.sch.uk", display_name="Ann Smith")
        for _ in range(230):
            audit.record("signin", kind="staff_user", record_id=head.id, actor=head)
        audit.check(full=True)
        audit.record("signout", kind="staff_user", record_id=head.id, actor=head)
        audit.check(head)  # the last check reads only the entry since
    page = new_context(**TABLET).new_page()
    sign_in(page, live_server, head.email)
    page.goto(live_server.url + "/admin/audit")
    check = page.locator(".audit-check")
    expect(check).to_contain_text("added since the check before")
    expect(check).to_contain_text("The last full check, which reads every entry from the first, "
                                  "was at")
    expect(page.get_by_text("The newest 100 entries")).to_be_visible()
    expect(page.get_by_role("link", name="Newer entries")).to_have_count(0)
    assert_accessible(page)
    _shoot(page, "newest")
    page.get_by_role("link", name="Older entries").click()
    expect(page.get_by_role("link", name="Newer entries")).to_be_visible()
    expect(page.get_by_role("link", name="Older entries")).to_be_visible()
    expect(page.get_by_text("Showing 100 entries, from")).to_be_visible()
    assert "before=" in page.url
    expect(page.get_by_role("link", name="Clear the filters")).to_have_count(0)  # none are set
    assert_accessible(page)
    box = page.get_by_role("link", name="Older entries").bounding_box()
    assert box["height"] >= 48
    _shoot(page, "older", full_page=True)
    page.get_by_role("link", name="Newer entries").click()
    assert "after=" in page.url
    expect(page.get_by_text("Showing 100 entries, from")).to_be_visible()


def _shoot(page, name: str, full_page: bool = False) -> None:
    if SHOTS:
        for width, height in ((1024, 1366), (768, 1024)):
            page.set_viewport_size({"width": width, "height": height})
            page.screenshot(path=f"{SHOTS}/audit-{name}-{width}x{height}.png", full_page=full_page)
