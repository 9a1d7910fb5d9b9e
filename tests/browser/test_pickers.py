"""Two pages that grow with the school, in Chromium: finding who a concern about staff is about
by name at a trust's size (and the plain select at a small school), and the staff accounts list
with each account's own page; axe on each, at a tablet's and a phone's width."""

from __future__ import annotations

import os

from playwright.sync_api import expect

from kiosk.models import Breach, RosterPerson, StaffUser, db

from ..helpers import make_breach, make_user
from .conftest import PHONE, TABLET, sign_in

SHOTS = os.environ.get("SCREENSHOTS_DIR")  # a folder: save screenshots there to look at


def _shoot(page, name: str) -> None:
    if SHOTS:
        size = page.viewport_size
        page.screenshot(path=f"{SHOTS}/{name}-{size['width']}x{size['height']}.png",
                        full_page=True)


def _people(roster: int, accounts: int) -> None:
    with db.atomic():
        for n in range(roster):
            RosterPerson.create(full_name=f"Roster Person {n:04d}", email=f"r{n}@trust.org.uk",
                                role="volunteer", token=f"t{n:060d}")
        hashed = StaffUser.get().password_hash
        for n in range(accounts - StaffUser.select().count()):
            StaffUser.create(email=f"s{n}@trust.org.uk", display_name=f"Staff Member {n:03d}",
                             role="staff", password_hash=hashed)


def _concern(head_email: str, roster: int, accounts: int) -> tuple[Breach, StaffUser]:
    head = make_user("head", email=head_email)
    reporter = make_user("staff", display_name="Rae Porter")
    row = make_breach(reporter, subject_kind="staff", category="pupil_contact",
                      subject_name="Mr Martin")
    Breach.update(classification="allegation").where(Breach.id == row.id).execute()
    _people(roster, accounts)
    return row, head


def test_at_a_trust_size_the_head_finds_who_a_concern_is_about_by_name(
        live_server, new_context, assert_accessible):
    with live_server.database():
        row, head = _concern("head@westacre.sch.uk", 2000, 103)
        RosterPerson.create(full_name="Émile Martin", email="emile@trust.org.uk",
                            role="volunteer", token="e" * 60)
    for device, size in (("tablet", TABLET), ("phone", PHONE)):
        page = new_context(**size).new_page()
        sign_in(page, live_server, head.email)
        page.goto(f"{live_server.url}/records/breaches/{row.public_id}")
        expect(page.get_by_text("Find the person by name to choose them.")).to_be_visible()
        # Only "Not linked" before a search; after the tablet links Émile, Émile too.
        expect(page.locator("#subject option")).to_have_count(1 if device == "tablet" else 2)
        page.get_by_label("Find the person by name").fill("emile")
        page.get_by_role("button", name="Find", exact=True).click()
        expect(page.get_by_text("1 person matches “emile”.")).to_be_visible()
        assert_accessible(page)
        _shoot(page, f"subject-search-{device}")
        if device == "tablet":
            page.get_by_label("Their staff account or roster entry").select_option(
                label="Émile Martin (volunteer)")
            page.get_by_role("button", name="Save who it is about").click()
            expect(page.get_by_text("Linked to Émile Martin on the roster.")).to_be_visible()
            expect(page.get_by_label("Their staff account or roster entry")).to_have_value(
                f"roster-{RosterPerson.get(RosterPerson.full_name == 'Émile Martin').id}")
            assert_accessible(page)


def test_a_small_school_links_from_the_plain_select(live_server, new_context, assert_accessible):
    with live_server.database():
        row, head = _concern("head@westacre.sch.uk", 5, 4)
    page = new_context(**TABLET).new_page()
    sign_in(page, live_server, head.email)
    page.goto(f"{live_server.url}/records/breaches/{row.public_id}")
    expect(page.get_by_label("Find the person by name")).to_have_count(0)
    page.get_by_label("Their staff account or roster entry").select_option(
        label="Roster Person 0003 (volunteer)")
    page.get_by_role("button", name="Save who it is about").click()
    expect(page.get_by_text("Linked to Roster Person 0003 on the roster.")).to_be_visible()
    assert_accessible(page)
    _shoot(page, "subject-select-small")


def test_the_staff_list_at_a_hundred_accounts_and_an_accounts_own_page(
        live_server, new_context, assert_accessible):
    with live_server.database():
        head = make_user("head", email="head@westacre.sch.uk")
        make_user("chair", display_name="Chris Chair")
        _people(0, 103)
    for device, size in (("tablet", TABLET), ("phone", PHONE)):
        page = new_context(**size).new_page()
        sign_in(page, live_server, head.email)
        page.goto(f"{live_server.url}/admin/staff")
        expect(page.get_by_role("link", name="Manage Staff Member 000")).to_be_visible()
        expect(page.get_by_role("link", name="Manage Chris Chair")).to_have_count(0)
        assert_accessible(page)
        _shoot(page, f"staff-list-{device}")
        page.get_by_role("link", name="Manage Staff Member 042").click()
        expect(page.get_by_role("heading", name="Staff Member 042")).to_be_visible()
        assert_accessible(page)
        _shoot(page, f"staff-account-{device}")
        # Nothing on either page scrolls sideways on a phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= size["viewport"]["width"]
        if device == "tablet":
            page.get_by_role("button", name="Deactivate Staff Member 042").click()
            expect(page.get_by_text("Staff Member 042 is deactivated and signed out.")
                   ).to_be_visible()
    with live_server.database():
        assert not StaffUser.get(StaffUser.display_name == "Staff Member 042").active
