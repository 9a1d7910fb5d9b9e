"""The head's desk in Chromium: the live preview and the changes, the roster pages, axe."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from kiosk import roster

from ..helpers import make_breach, make_user
from .conftest import TABLET, sign_in


def sign_in_head(page, server):
    with server.database():
        head = make_user("head", email="head@westacre.sch.uk")
    sign_in(page, server, head.email)


def test_the_preview_and_the_changes_follow_the_text_as_it_is_typed(live_server, new_context,
                                                                    assert_accessible):
    page = new_context(**TABLET).new_page()
    sign_in_head(page, live_server)
    page.get_by_role("link", name="Policy versions").click()
    expect(page.get_by_role("heading", name="Policy versions", level=1)).to_be_visible()
    expect(page.get_by_text("No changes yet.")).to_be_visible()
    assert_accessible(page)

    text = page.get_by_label(re.compile("^Text"))
    text.press("Control+End")
    text.type("\n\n## Photographs at events\n\nParents may photograph their own child only.")
    preview = page.locator("[data-preview]")
    expect(preview.get_by_role("heading", name="Photographs at events", level=2)).to_be_visible()
    changes = page.locator("[data-changes]")
    expect(changes.get_by_text("## Photographs at events")).to_be_visible()
    expect(changes.get_by_text("Parents may photograph their own child only.")).to_be_visible()
    expect(changes.locator(".diff-added")).to_have_count(2)
    # Script typed into the policy never runs in the preview.
    text.type("\n\n<script>document.title = 'hacked'</script><img src=x onerror=alert(1)>")
    expect(changes.locator(".diff-added")).to_have_count(3)
    assert page.title() != "hacked" and preview.locator("script, img").count() == 0
    assert_accessible(page)

    page.get_by_label("Review due").fill("2027-09-30")
    page.get_by_role("button", name="Publish as version 2").click()
    expect(page.get_by_text("Published as version 2.")).to_be_visible()
    page.goto(live_server.url + "/policy")
    page.get_by_text("Read the full policy").click()
    expect(page.get_by_role("heading", name="Photographs at events")).to_be_visible()
    expect(page.get_by_text("Version 2", exact=True)).to_be_visible()


def test_the_roster_pages_and_a_personal_link_pass_axe(live_server, new_context, assert_accessible):
    with live_server.database():
        person = roster.add_person("Gina Governor", "gina@example.org", "governor")
    page = new_context(**TABLET).new_page()
    sign_in_head(page, live_server)
    for link in ["Roster", "Who has not accepted", "Retention"]:
        page.get_by_role("link", name="Home", exact=True).click()
        page.get_by_role("link", name=link, exact=True).click()
        assert_accessible(page)
    page.get_by_role("link", name="Home", exact=True).click()
    page.get_by_role("link", name="Roster", exact=True).click()
    page.get_by_role("link", name="Import a CSV").click()
    assert_accessible(page)
    page.get_by_role("link", name="Home", exact=True).click()
    page.get_by_role("link", name="Roster", exact=True).click()
    page.get_by_role("link", name="Gina Governor").click()
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    assert_accessible(page)
    visitor = new_context(viewport={"width": 390, "height": 844}).new_page()
    visitor.goto(f"{live_server.url}/p/{person.token}")
    expect(visitor.get_by_role("heading", name="Hello, Gina Governor")).to_be_visible()
    assert_accessible(visitor)
    visitor.get_by_role("link", name="Continue to accept").click()
    expect(visitor.get_by_label("Full name")).to_have_value("Gina Governor")
    visitor.get_by_label("I have read and accept the policy").check()
    visitor.get_by_role("button", name="Accept").click()
    expect(visitor.get_by_role("heading", name="Thank you, Gina Governor")).to_be_visible()
    visitor.goto(f"{live_server.url}/p/{person.token}")
    expect(visitor.get_by_text("there is nothing more to do")).to_be_visible()


def test_the_audit_log_reads_as_sentences_and_filters_by_person_record_and_day(
        live_server, new_context, assert_accessible):
    with live_server.database():
        head = make_user("head", email="head@westacre.sch.uk", display_name="Ann Smith")
        teacher = make_user("staff", display_name="Sam Taylor")
        breach = make_breach(teacher, subject_name="Pat Visitor")
        make_breach(teacher, category="commercial", subject_name="Kim Parent")
    logged = ("Sam Taylor logged the breach ‘Photographing or recording pupils or staff on a "
              "phone: Pat Visitor’ as a safeguarding matter.")
    page = new_context(**TABLET).new_page()
    sign_in(page, live_server, head.email)
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", name="Audit log", level=1)).to_be_visible()
    expect(page.get_by_text("The log has not been checked yet.")).to_be_visible()
    expect(page.get_by_text(logged)).to_be_visible()
    expect(page.get_by_text("Ann Smith signed in.")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Check now").click()
    expect(page.get_by_text(re.compile(
        r"The log was last checked at \d+:\d\d[ap]m on \w+day \d+ \w+ \d{4} by Ann Smith: all "
        r"\d+ entries were intact\."))).to_be_visible()

    page.get_by_label("Who did it").select_option(label="Sam Taylor")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text(logged)).to_be_visible()
    expect(page.get_by_text("Ann Smith signed in.")).to_have_count(0)
    expect(page.get_by_label("Who did it")).to_have_value(str(teacher.id))
    assert_accessible(page)

    today = page.evaluate("new Date().toLocaleDateString('en-CA', {timeZone: 'Europe/London'})")
    page.get_by_label("Who did it").select_option(label="Anyone")
    page.get_by_label("From", exact=True).fill("2020-01-01")
    page.get_by_label("To", exact=True).fill("2020-01-31")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("No entries match these filters.")).to_be_visible()
    page.get_by_label("To", exact=True).fill(today)
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text(logged)).to_be_visible()

    page.goto(f"{live_server.url}/admin/audit?start=2026-02-31")  # as typed without a calendar
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("link", name="Please enter a date, for example 3/3/2026.")).to_be_visible()
    assert_accessible(page)

    page.goto(f"{live_server.url}/records/breaches/{breach.public_id}")
    page.get_by_role("link", name="Who has viewed or changed this").click()
    expect(page.get_by_text("Showing only what was done with the breach ‘Photographing or "
                            "recording pupils or staff on a phone: Pat Visitor’")).to_be_visible()
    expect(page.get_by_text("Kim Parent")).to_have_count(0)
    expect(page.get_by_text("Ann Smith viewed the breach ‘Photographing or recording pupils or "
                            "staff on a phone: Pat Visitor’.")).to_be_visible()
    assert_accessible(page)
