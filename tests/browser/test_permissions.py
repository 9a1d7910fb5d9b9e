"""Asking the headteacher's permission to post about the school, in the browser: a PTA member
asks on their phone through their personal link, the head approves on the iPad, and the PTA
member sees the decision; a teacher logging "posting without permission" sees the approval
under the name as they type it."""

from __future__ import annotations

import datetime as dt
import os

from playwright.sync_api import expect

from kiosk.models import PermissionRequest
from kiosk.roster import add_person

from ..helpers import make_permission_request, make_user
from .conftest import PHONE, TABLET, sign_in
from .test_desk import sign_in_head

SHOTS = os.environ.get("SCREENSHOTS_DIR")  # a folder: save screenshots there to look at


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def test_a_pta_member_asks_on_their_phone_and_the_head_approves(live_server, new_context,
                                                                assert_accessible):
    with live_server.database():
        pam = add_person("Pam Parent", "pam@example.org", "pta")
    post_on = dt.date.today() + dt.timedelta(days=7)
    phone = new_context(**PHONE).new_page()
    phone.goto(f"{live_server.url}/p/{pam.token}")
    phone.get_by_role("link", name="Ask the headteacher's permission").click()
    expect(phone.get_by_role("heading", name="Ask the headteacher's permission")).to_be_visible()
    # The consent question is there only once pupils are ticked.
    consent = phone.get_by_role("group", name="Has the pupils' photo consent been checked")
    expect(consent).to_be_hidden()
    assert_accessible(phone)
    phone.get_by_label("What do you want to post or publish?").fill(
        "Photos of the tombola stall at the summer fair")
    phone.get_by_label("Where will it appear?").fill("The PTA's Facebook page")
    phone.get_by_label("When do you want to post it?").fill(post_on.isoformat())
    phone.get_by_text("Pupils", exact=True).click()
    expect(consent).to_be_visible()
    shot(phone, "permission-ask-phone")
    phone.get_by_role("button", name="Send to the headteacher").click()
    # Told what they left out, beside it.
    expect(phone.get_by_text("It shows pupils: please say whether their photo consent")
           .first).to_be_visible()
    assert_accessible(phone)
    phone.get_by_text("No, not yet").click()
    phone.get_by_role("button", name="Send to the headteacher").click()
    expect(phone.get_by_text("Waiting for the headteacher. You will be emailed")).to_be_visible()
    assert_accessible(phone)

    tablet = new_context(**TABLET).new_page()
    sign_in_head(tablet, live_server)
    tablet.get_by_role("link", name="1 request to post about the school waiting for you").click()
    expect(tablet.get_by_role("heading", name="Waiting for you")).to_be_visible()
    assert_accessible(tablet)
    tablet.get_by_role("link", name="Pam Parent: The PTA's Facebook page").click()
    tablet.get_by_text("Approve", exact=True).click()
    tablet.get_by_label("Conditions (optional)").fill("No faces; first names only")
    tablet.get_by_label("The last day this permission holds").fill(
        (post_on + dt.timedelta(days=14)).isoformat())
    # Approving a post that shows pupils without their consent checked is refused, beside it.
    tablet.get_by_role("button", name="Save", exact=True).click()
    expect(tablet.get_by_text("It shows pupils: please check their photo consent").first
           ).to_be_visible()
    assert_accessible(tablet)
    tablet.get_by_text("I have checked these pupils' photo consent").click()
    tablet.get_by_label("Checked by").fill("Mrs Patel, school office")
    tablet.get_by_label("Checked on").fill(dt.date.today().isoformat())
    shot(tablet, "permission-decide-tablet")
    tablet.get_by_role("button", name="Save", exact=True).click()
    expect(tablet.get_by_text("Approved.")).to_be_visible()
    assert_accessible(tablet)
    with live_server.database():
        row = PermissionRequest.get()
        assert (row.status, row.conditions, row.consent_checked_by) == (
            "approved", "No faces; first names only", "Mrs Patel, school office")

    phone.reload()
    expect(phone.get_by_text("The headteacher approved this until")).to_be_visible()
    expect(phone.get_by_text("No faces; first names only")).to_be_visible()
    assert_accessible(phone)
    shot(phone, "permission-approved-phone")


def test_logging_a_post_without_permission_shows_the_approval_for_the_name(live_server,
                                                                            new_context,
                                                                            assert_accessible):
    with live_server.database():
        teacher = make_user("staff", email="teacher@westacre.sch.uk")
        head = make_user("head")
        pam = add_person("Pam Parent", "pam@example.org", "pta")
        row = make_permission_request(person=pam, where="The PTA's Facebook page")
        PermissionRequest.update(status="approved", decided_by=head, decided_at=row.asked_at,
                                 ends_on=dt.date.today() + dt.timedelta(days=30)).where(
            PermissionRequest.id == row.id).execute()
    page = new_context(**TABLET).new_page()
    sign_in(page, live_server, teacher.email)
    page.get_by_role("link", name="Log a breach").click()
    page.get_by_role("link", name="PTA member or volunteer").click()
    page.get_by_role("link", name="Posting about staff, pupils, parents or a school event "
                                   "without the Headteacher's permission").click()
    name = page.get_by_label("Name")
    name.fill("Pam Parent")
    expect(page.get_by_text("The headteacher gave Pam Parent permission to post")).to_be_visible()
    expect(page.get_by_text("In force today.")).to_be_visible()
    expect(page.get_by_text("on The PTA's Facebook page", exact=False)).to_be_visible()
    assert_accessible(page)
    shot(page, "permission-breach-check")
    name.fill("Pat Visitor")
    expect(page.get_by_text("No permission from the headteacher was found under the name "
                            "“Pat Visitor”")).to_be_visible()
    expect(page.get_by_text("The headteacher gave")).to_have_count(0)
