"""In Chromium: someone not signed in who keeps asking for staff pages is told to wait, on a
plain page; the head reads an hour of such refusals as one sentence (issue 13, finding 7)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from kiosk import audit

from ..helpers import make_breach, make_user
from ..live import LiveServer
from .conftest import TABLET, sign_in

SHOTS = Path("/tmp/shots-h13d")


@pytest.fixture
def strict_server(tmp_path):
    """The app allowing three refused requests a minute from one address."""
    server = LiveServer(tmp_path / "instance", {"KIOSK_REFUSED_PER_MINUTE": "3"})
    server.start()
    yield server
    server.stop()


def _shots(page, name: str) -> None:
    """Screenshots at the iPad's two sizes and a phone's, to look at (not compared)."""
    SHOTS.mkdir(exist_ok=True)
    for width, height in ((1024, 1366), (768, 1024), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SHOTS / f"{name}-{width}x{height}.png"), full_page=True)
    page.set_viewport_size(TABLET["viewport"])


def test_too_many_refusals_get_a_plain_page_and_the_head_reads_the_hour_in_words(
        strict_server, new_context, assert_accessible):
    with strict_server.database():
        head = make_user("head", email="head@westacre.sch.uk")
        teacher = make_user("staff", email="sam@westacre.sch.uk")
        about_head = make_breach(teacher, subject_kind="staff", category="pupil_contact",
                                 concerns_head=True)
        # An hour that has ended, as the first refusal after it (or this page) writes it.
        audit.record("access.refused_anonymous", kind="page", visitor=True, actor_label="",
                     refused=142, limited=82, start="2026-03-03T10:00:00",
                     end="2026-03-03T11:00:00")
    page = new_context(**TABLET).new_page()
    for _ in range(3):
        page.goto(f"{strict_server.url}/records/breaches/{about_head.public_id}")
        expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    answer = page.goto(f"{strict_server.url}/staff/")
    assert answer.status == 429
    expect(page.get_by_role("heading", name="Too many requests", level=1)).to_be_visible()
    expect(page.get_by_text("Please wait a minute, then sign in and try again.")).to_be_visible()
    assert_accessible(page)
    _shots(page, "too-many-requests")

    sign_in(page, strict_server, head.email)  # signing in is not a refused request
    page.goto(f"{strict_server.url}/admin/audit")
    entries = page.locator(".audit-entries li")
    summary = entries.filter(has_text="were not signed in")
    expect(summary).to_have_count(1)  # this hour's refusals are written once it has ended
    expect(summary).to_contain_text(
        "142 requests for staff pages from people who were not signed in were refused between "
        "10:00am and 11:00am on Tuesday 3 March 2026. 82 of them came too fast and were told to "
        "wait.")
    # What was probed is never named, nor the id in its address.
    expect(page.locator("main")).not_to_contain_text(str(about_head.public_id)[:8])
    assert_accessible(page)
    _shots(page, "audit-log")
