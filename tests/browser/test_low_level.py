"""Low-level concerns about staff in Chromium: the head's choices, linking who a concern is about,
leaving dates; the DSL recording the conversation and reading the pattern view; axe on each."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect

from kiosk.models import Breach, utcnow
from kiosk.roster import add_person

from ..helpers import make_breach, make_user
from .conftest import PHONE, TABLET, sign_in


def low_level_concerns(reporter, subject, count: int) -> list[Breach]:
    rows = []
    for n in range(count):
        row = make_breach(reporter, subject_kind="staff", category="pupil_contact",
                          subject_name="Mr Taylor", occurred_at=utcnow() - dt.timedelta(days=n * 40),
                          description=f"Phone out in class, time {n + 1}.")
        Breach.update(classification="low_level", subject_staff=subject).where(
            Breach.id == row.id).execute()
        rows.append(row)
    return rows


def test_the_head_chooses_the_lead_links_a_concern_and_records_a_leaving_date(
        live_server, new_context, assert_accessible):
    with live_server.database():
        head = make_user("head", email="head@westacre.sch.uk")
        reporter = make_user("staff", display_name="Rae Porter")
        sam = make_user("staff", display_name="Sam Taylor")
        add_person("Robin Roster", "robin@example.org", "volunteer")
        row = make_breach(reporter, subject_kind="staff", category="pupil_contact",
                          subject_name="Mr Taylor")
        Breach.update(classification="low_level").where(Breach.id == row.id).execute()
    page = new_context(**TABLET).new_page()
    sign_in(page, live_server, head.email)

    page.get_by_role("link", name="Low-level concerns about staff").click()
    expect(page.get_by_role("heading", name="Low-level concerns about staff", level=1)
           ).to_be_visible()
    expect(page.get_by_text("Not linked to an account or the roster")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Change who leads on these").click()
    page.get_by_label("How many low-level concerns").fill("none")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("link", name="Please give a whole number from 1 to 20, for example 3.")
           ).to_be_visible()
    assert_accessible(page)
    page.get_by_label("How many low-level concerns").fill("2")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    expect(page.get_by_label("How many low-level concerns")).to_have_value("2")
    expect(page.get_by_label("The Designated Safeguarding Lead")).to_be_checked()
    assert_accessible(page)

    page.goto(f"{live_server.url}/records/breaches/{row.public_id}")
    page.get_by_label("Their staff account or roster entry").select_option(label="Sam Taylor")
    page.get_by_role("button", name="Save who it is about").click()
    expect(page.get_by_text("Linked to the staff account of Sam Taylor.")).to_be_visible()
    expect(page.get_by_text("linked it to Sam Taylor")).to_be_visible()
    assert_accessible(page)
    expect(page.get_by_text("The DSL sees this link too")).to_be_visible()
    page.get_by_role("link", name="Sam Taylor's chronology").click()
    expect(page.get_by_role("link", name="Member of staff in contact with a pupil")).to_be_visible()
    page.go_back()

    page.goto(f"{live_server.url}/admin/staff")
    page.get_by_role("link", name=f"Manage {sam.display_name}").click()
    page.get_by_label(f"Left the school on, {sam.display_name}").fill("2026-03-03")
    page.get_by_role("button", name=f"Save the leaving date of {sam.display_name}").click()
    expect(page.get_by_text("Sam Taylor is recorded as leaving on 3 March 2026.")).to_be_visible()
    expect(page.get_by_text("Left on 3 March 2026")).to_be_visible()
    assert_accessible(page)

    page.goto(f"{live_server.url}/admin/roster")
    page.get_by_role("link", name="Robin Roster").click()
    page.get_by_label("Left the school on").fill("2026-07-20")
    page.get_by_role("button", name="Save leaving date").click()
    expect(page.get_by_text("Left the school on 20 July 2026.")).to_be_visible()
    assert_accessible(page)

    # Sam has left: the concern is up for the head's review, with who and when.
    page.goto(f"{live_server.url}/admin/retention")
    expect(page.get_by_text("A low-level concern about Sam Taylor, who left on 3 March 2026.")
           ).to_be_visible()
    assert_accessible(page)


def test_the_dsl_records_the_conversation_and_sees_a_pattern_flagged(live_server, new_context,
                                                                     assert_accessible):
    with live_server.database():
        dsl = make_user("dsl", email="dsl@westacre.sch.uk")
        reporter = make_user("staff", display_name="Rae Porter")
        sam = make_user("staff", display_name="Sam Taylor")
        rows = low_level_concerns(reporter, sam, 3)
    page = new_context(**PHONE).new_page()
    sign_in(page, live_server, dsl.email)

    page.goto(f"{live_server.url}/records/breaches/{rows[0].public_id}")
    expect(page.get_by_role("heading", name="LADO referral")).to_have_count(0)
    page.get_by_role("button", name="Add to the record").click()
    expect(page.get_by_role("link", name="Please write what was said or done.")).to_be_visible()
    assert_accessible(page)
    page.get_by_text("The conversation held", exact=True).click()
    page.get_by_label("What was said or done").fill("Spoke with Sam about the policy.")
    page.get_by_role("button", name="Add to the record").click()
    expect(page.get_by_text("recorded the conversation held: Spoke with Sam")).to_be_visible()

    page.get_by_role("link", name="See the low-level concerns log").click()
    listed = page.get_by_role("listitem").filter(has_text="Sam Taylor")
    expect(listed).to_contain_text("3 in the last 12 months")
    expect(listed).to_contain_text("A pattern: 3 or more in 12 months")
    assert_accessible(page)
    page.get_by_role("link", name="Sam Taylor").click()
    expect(page.get_by_role("heading", name="Sam Taylor", level=1)).to_be_visible()
    expect(page.get_by_text("A pattern:")).to_be_visible()
    expect(page.get_by_text("Spoke with Sam about the policy.")).to_be_visible()
    assert_accessible(page)
    # The page fits the phone: nothing wider than the screen.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
