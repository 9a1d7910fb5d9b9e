"""Long lists a page at a time, in Chromium: the "Older" and "Newer" links are big enough to tap,
reachable by keyboard, and the pages pass axe (the concerns list, my reports, the deletion
requests list, the welfare tasks and the dashboard's link to every request needing attention)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from kiosk.models import Breach, DeletionRequest, utcnow
from kiosk.paging import PAGE_SIZE

from ..helpers import make_breach, make_deletion_request, make_user
from .conftest import TABLET, sign_in

# Set SHOTS (a folder) to keep a screenshot of each page at both sizes.
SIZES = {"1024x1366": TABLET, "768x1024": {**TABLET, "viewport": {"width": 768, "height": 1024}}}


def shoot(page, name: str, size: str) -> None:
    if os.environ.get("SHOTS"):
        folder = Path(os.environ["SHOTS"])
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}-{size}.png"), full_page=True)


@pytest.fixture
def long_lists(live_server):
    with live_server.database():
        head = make_user("head", email="head@westacre.sch.uk")
        teacher = make_user("staff", email="teacher@westacre.sch.uk")
        start = utcnow() - dt.timedelta(days=2)
        for n in range(PAGE_SIZE + 5):
            breach = make_breach(teacher, subject_name=f"Person {n}")
            Breach.update(created_at=start + dt.timedelta(minutes=n)).where(
                Breach.id == breach.id).execute()
            request = make_deletion_request(teacher, person_name=f"Refused {n}")
            DeletionRequest.update(outcome="refused",
                                   due_by=start + dt.timedelta(minutes=n)).where(
                DeletionRequest.id == request.id).execute()
        for n in range(PAGE_SIZE + 5):
            make_deletion_request(teacher, person_name=f"Waiting {n}",
                                  asked_at=utcnow() + dt.timedelta(minutes=n))
        for n in range(PAGE_SIZE + 1):  # welfare tasks for the DSL (and the head)
            make_breach(teacher, subject_kind="staff", category="pupil_contact",
                        pupils=f"Pupil {n}")
    return head, teacher


@pytest.mark.parametrize("size", SIZES)
def test_the_long_lists_page_by_newer_and_older_links_and_pass_axe(live_server, new_context,
                                                                   assert_accessible, long_lists,
                                                                   size):
    head, teacher = long_lists
    page = new_context(**SIZES[size]).new_page()
    sign_in(page, live_server, head.email)

    # 2 x 50 + 6 concerns (those behind the welfare tasks are the head's too): three pages.
    page.goto(live_server.url + "/records/concerns?status=all")
    pager = page.get_by_role("navigation", name="More concerns")
    older = pager.get_by_role("link", name="Older concerns")
    expect(older).to_be_visible()
    expect(pager.get_by_role("link", name="Newer concerns")).to_have_count(0)
    assert older.bounding_box()["height"] >= 48
    expect(page.locator(".record-list li")).to_have_count(PAGE_SIZE)
    assert_accessible(page)
    shoot(page, "concerns", size)
    older.focus()
    page.keyboard.press("Enter")  # the keyboard's path
    expect(page.locator(".record-list li")).to_have_count(PAGE_SIZE)
    page.get_by_role("link", name="Older concerns").click()
    expect(page.locator(".record-list li")).to_have_count(6)
    newer = page.get_by_role("link", name="Newer concerns")
    expect(newer).to_be_visible()
    expect(page.get_by_role("link", name="Older concerns")).to_have_count(0)
    assert newer.bounding_box()["height"] >= 48
    assert_accessible(page)
    shoot(page, "concerns-older", size)

    page.goto(live_server.url + "/records/deletions")
    expect(page.get_by_role("link", name=f"All {PAGE_SIZE + 5} refused or overdue")).to_be_visible()
    expect(page.get_by_role("link", name="Older requests")).to_be_visible()
    assert_accessible(page)
    shoot(page, "deletions", size)
    page.get_by_role("link", name=f"All {PAGE_SIZE + 5} refused or overdue").click()
    expect(page.get_by_role("heading", name=f"Refused or overdue: all {PAGE_SIZE + 5}")
           ).to_be_visible()
    assert_accessible(page)

    page.goto(live_server.url + "/records/welfare")
    newer_tasks = page.get_by_role("link", name="Newer tasks")
    expect(newer_tasks).to_be_visible()
    assert newer_tasks.bounding_box()["height"] >= 48
    assert_accessible(page)
    shoot(page, "welfare", size)
    newer_tasks.click()
    expect(page.get_by_role("link", name="Older tasks")).to_be_visible()
    expect(page.locator(".record-list li")).to_have_count(1)

    page.goto(live_server.url + "/reports/")
    expect(page.get_by_role("link", name=f"All {PAGE_SIZE + 5} refused or overdue")).to_be_visible()
    assert_accessible(page)
    shoot(page, "dashboard", size)

    teacher_page = new_context(**SIZES[size]).new_page()
    sign_in(teacher_page, live_server, teacher.email)
    teacher_page.goto(live_server.url + "/staff/my-reports")
    expect(teacher_page.get_by_role("link", name="Older reports")).to_be_visible()
    expect(teacher_page.get_by_role("link", name="Every deletion request you can see")
           ).to_be_visible()
    assert_accessible(teacher_page)
    shoot(teacher_page, "my-reports", size)


@pytest.mark.parametrize("size", SIZES)
def test_the_roster_pages_by_next_and_previous_links_and_passes_axe(live_server, new_context,
                                                                   assert_accessible, size):
    from kiosk.roster import add_person

    with live_server.database():
        head = make_user("head", email="head@westacre.sch.uk")
        for n in range(PAGE_SIZE + 2):
            add_person(f"Person {n:02d}", f"p{n}@example.org", "volunteer")
    page = new_context(**SIZES[size]).new_page()
    sign_in(page, live_server, head.email)
    page.goto(live_server.url + "/admin/roster")
    following = page.get_by_role("navigation", name="More of the roster").get_by_role(
        "link", name="Next people")
    expect(following).to_be_visible()
    assert following.bounding_box()["height"] >= 48
    assert_accessible(page)
    shoot(page, "roster", size)
    following.click()
    expect(page.get_by_role("link", name="Person 51")).to_be_visible()
    expect(page.get_by_role("link", name="Previous people")).to_be_visible()
    assert_accessible(page)
    shoot(page, "roster-next", size)
