"""Staff on the classroom iPad: sign in, log the common breach in four taps, follow it up."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from kiosk.models import Breach, DeletionRequest

from ..helpers import make_breach, make_user
from .conftest import PHONE, TABLET, sign_in


def test_a_visitor_photographing_pupils_and_asked_to_delete_takes_four_taps(live_server, new_context,
                                                                            assert_accessible):
    with live_server.database():
        teacher = make_user("staff", email="teacher@westacre.sch.uk")
    page = new_context(**TABLET).new_page()
    sign_in(page, live_server, teacher.email)
    assert_accessible(page)

    taps = 0

    def tap(locator):
        nonlocal taps
        locator.click()
        taps += 1

    tap(page.get_by_role("link", name="Log a breach"))
    expect(page.get_by_role("heading", name="Who was it?")).to_be_visible()
    assert_accessible(page)
    tap(page.get_by_role("link", name="Visitor", exact=True))
    expect(page.get_by_role("heading", name="What happened?")).to_be_visible()
    assert_accessible(page)
    tap(page.get_by_role("link", name="Photographing or recording pupils or staff on a phone"))
    assert_accessible(page)
    tap(page.get_by_role("button", name="Yes, they were asked to delete it: save"))

    expect(page.get_by_text("Saved. Thank you.")).to_be_visible()
    assert taps == 4
    assert_accessible(page)
    with live_server.database():
        [breach] = Breach.select()
        assert breach.category.slug == "photographing" and breach.subject_kind == "visitor"
        assert breach.action_codes == ["asked_to_delete"]
        assert DeletionRequest.get().breach_id == breach.id


def test_the_dsl_triages_and_records_the_deletion_outcome(live_server, new_context,
                                                          assert_accessible):
    with live_server.database():
        teacher = make_user("staff")
        dsl = make_user("dsl", email="dsl@westacre.sch.uk")
        make_breach(teacher, actions=("asked_to_delete",))
    page = new_context(**PHONE).new_page()
    sign_in(page, live_server, dsl.email)
    expect(page.get_by_role("link", name=re.compile("1 new concern waiting for you"))).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("new concern")).click()
    assert_accessible(page)
    page.get_by_role("link", name="Photographing or recording pupils or staff on a phone").click()
    assert_accessible(page)

    page.get_by_role("link", name=re.compile(r"Photo \(on their device\)")).click()
    assert_accessible(page)
    page.get_by_label("Deleted in front of staff").check()
    page.get_by_role("button", name="Save outcome").click()
    expect(page.get_by_text("Outcome saved.")).to_be_visible()
    page.get_by_role("link", name="Photographing or recording pupils or staff on a phone").click()

    page.get_by_label("Closed").check()
    page.get_by_role("button", name="Save status").click()
    expect(page.get_by_text("Please write the outcome before closing.").first).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Outcome or reason (needed to close)").fill("Photo deleted in front of me.")
    page.get_by_role("button", name="Save status").click()
    expect(page.get_by_text("Status saved.")).to_be_visible()
    with live_server.database():
        assert Breach.get().status == "closed"
        assert DeletionRequest.get().outcome == "deleted_in_front"


def test_the_heads_pages_pass_axe(live_server, new_context, assert_accessible):
    with live_server.database():
        head = make_user("head", email="head@westacre.sch.uk")
        teacher = make_user("staff")
        make_breach(teacher, subject_kind="staff", category="pupil_contact")
    page = new_context(**TABLET).new_page()
    sign_in(page, live_server, head.email)
    for link in ["Concerns to triage", "Deletion requests", "A person's chronology", "Staff accounts",
                 "Breach categories", "Audit log", "Today's visitors", "My reports",
                 "Someone was asked to delete material"]:
        page.get_by_role("link", name="Home", exact=True).click()
        page.get_by_role("link", name=link).click()
        assert_accessible(page)
    page.goto(live_server.url + "/records/concerns")
    page.get_by_role("link", name=re.compile("Member of staff in contact")).click()
    expect(page.get_by_role("heading", name="LADO referral")).to_be_visible()
    assert_accessible(page)


def test_an_error_far_down_a_long_page_is_brought_into_view_and_focused(live_server, new_context,
                                                                        assert_accessible):
    """Closing a concern without an outcome: the DSL sees why at once, not 1,450 px down."""
    with live_server.database():
        teacher = make_user("staff")
        dsl = make_user("dsl", email="dsl@westacre.sch.uk")
        breach = make_breach(teacher, actions=("asked_to_delete",),
                             description="A long account of what happened.\n" * 30)
    page = new_context(viewport={"width": 768, "height": 1024}, is_mobile=True, has_touch=True).new_page()
    sign_in(page, live_server, dsl.email)
    page.goto(f"{live_server.url}/records/breaches/{breach.public_id}")
    status = page.locator("form").filter(has=page.get_by_role("button", name="Save status"))
    status.get_by_label("Closed").check()
    status.get_by_role("button", name="Save status").click()
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    expect(summary).to_contain_text("Please write the outcome before closing.")
    summary.get_by_role("link").click()
    note = page.get_by_label(re.compile("Outcome or reason"))
    expect(note).to_be_focused()
    expect(note).to_be_in_viewport()
    assert_accessible(page)
