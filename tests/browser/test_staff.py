"""Staff on the classroom iPad: sign in, log the common breach in four taps, follow it up."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from kiosk.models import Breach, DeletionRequest

from ..helpers import make_acceptance, make_breach, make_deletion_request, make_user
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
    # Not classified yet: the case manager's call to action (the LADO comes with an allegation:
    # test_case_manager.py).
    expect(page.get_by_role("heading", name="What this is")).to_be_visible()
    expect(page.get_by_text("Not classified yet.")).to_be_visible()
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


# The details step, the deletion form and My reports, as a teacher sees them -----------------------

IPAD_PORTRAIT = {"viewport": {"width": 768, "height": 1024}, "is_mobile": True, "has_touch": True}


def assert_inside_its_tile(page) -> None:
    """Every radio and tick sits in the middle of the tile it belongs to (its label), however
    tall the tile beside it."""
    page.wait_for_load_state("load")  # measured with the stylesheet, not before it
    boxes = [box for box in page.get_by_role("radio").all() + page.get_by_role("checkbox").all()
             if box.is_visible()]
    assert boxes
    for box in boxes:
        tile = page.locator(f'label[for="{box.get_attribute("id")}"]')
        inner, outer = box.bounding_box(), tile.bounding_box()
        middle = outer["y"] + outer["height"] / 2
        assert abs(inner["y"] + inner["height"] / 2 - middle) <= 2, (box.get_attribute("id"),
                                                                     inner, outer)
        assert outer["x"] <= inner["x"] <= outer["x"] + outer["width"] - inner["width"]


def test_a_visitor_is_offered_no_concern_about_staff_and_a_forged_address_says_why(
        live_server, new_context, assert_accessible):
    with live_server.database():
        teacher = make_user("staff", email="teacher@westacre.sch.uk")
    page = new_context(**IPAD_PORTRAIT).new_page()
    sign_in(page, live_server, teacher.email)
    page.get_by_role("link", name="Log a breach").click()
    page.get_by_role("link", name="Visitor", exact=True).click()
    expect(page.get_by_role("link", name="Something else")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Member of staff"))).to_have_count(0)
    page.goto(live_server.url + "/staff/breaches/new?who=visitor&category=representative")
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("is a concern about a member of staff")
    expect(page.get_by_role("heading", name="What happened?")).to_be_visible()
    assert_accessible(page)
    summary.get_by_role("link", name="log it about a member of staff").click()
    expect(page.get_by_role("heading", name=re.compile("identifying as a representative"))).to_be_visible()
    expect(page.get_by_text("Only the headteacher will see this.")).to_be_visible()


def test_step_three_says_who_will_see_it_and_follows_the_tick(live_server, new_context,
                                                              assert_accessible):
    with live_server.database():
        teacher = make_user("staff", email="teacher@westacre.sch.uk")
    page = new_context(**IPAD_PORTRAIT).new_page()
    sign_in(page, live_server, teacher.email)
    page.goto(live_server.url + "/staff/breaches/new?who=staff&category=family_link")
    expect(page.get_by_text("Only the headteacher will see this.")).to_be_visible()
    expect(page.get_by_label("This is a safeguarding matter: tell the DSL")).to_have_count(0)
    page.get_by_label("This concern is about the headteacher").check()
    expect(page.get_by_text("Only the chair of governors will see this.")).to_be_visible()
    expect(page.get_by_text("Only the headteacher will see this.")).to_have_count(0)
    assert_accessible(page)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text(re.compile(r"^Saved\."))).to_be_visible()
    expect(page.get_by_text("Received and passed to the chair of governors")).to_be_visible()
    assert_accessible(page)
    with live_server.database():
        breach = Breach.get()
        assert breach.restricted and breach.concerns_head and breach.subject_kind == "staff"

    page.goto(live_server.url + "/staff/breaches/new?who=parent&category=commercial")
    expect(page.get_by_text("The DSL and the headteacher will see this.")).to_be_visible()
    page.get_by_label("This is a safeguarding matter: tell the DSL").check()
    expect(page.get_by_text("The DSL will be told at once.")).to_be_visible()
    page.get_by_label("This is a safeguarding matter: tell the DSL").uncheck()
    expect(page.get_by_text("The DSL and the headteacher will see this.")).to_be_visible()
    expect(page.get_by_label("This concern is about the headteacher")).to_have_count(0)


def test_a_visitor_picked_on_step_three_is_the_one_asked_to_delete(live_server, new_context,
                                                                   assert_accessible):
    with live_server.database():
        teacher = make_user("staff", email="teacher@westacre.sch.uk")
        make_acceptance(full_name="Alexandra Montgomery-Richardson", role="parent")
        priya = make_acceptance(full_name="Priya Shah")
    page = new_context(**IPAD_PORTRAIT).new_page()
    sign_in(page, live_server, teacher.email)
    page.get_by_role("link", name="Log a breach").click()
    page.get_by_role("link", name="Visitor", exact=True).click()
    page.get_by_role("link", name="Photographing or recording pupils or staff on a phone").click()
    group = page.get_by_role("group", name="Who was it? (optional)")
    expect(group.get_by_label("Not listed, or not known")).to_be_checked()
    # The name and, apart from it, the role and the time.
    expect(group.get_by_label(re.compile(r"^Priya Shah Visitor, \d+:\d\d[ap]m$"))).to_be_visible()
    assert_inside_its_tile(page)
    page.get_by_text("More details").click()  # the actions' ticks, unfolded
    assert_inside_its_tile(page)
    assert_accessible(page)
    group.get_by_label(re.compile("Priya Shah")).check()
    page.get_by_role("button", name="Yes, they were asked to delete it: save").click()
    expect(page.get_by_text("Saved. Thank you.")).to_be_visible()
    expect(page.get_by_role("link", name="Photo: Priya Shah")).to_be_visible()
    with live_server.database():
        [request_row] = DeletionRequest.select()
        assert request_row.acceptance_id == priya.id and request_row.person_name == "Priya Shah"
        assert Breach.get().acceptance_id == priya.id


def test_a_refused_detail_folded_away_is_unfolded_beside_its_reason(live_server, new_context,
                                                                   assert_accessible):
    """Sent through the outbox, the server's reason lands beside a field in "More details":
    the fold opens so the teacher sees it."""
    with live_server.database():
        teacher = make_user("staff", email="teacher@westacre.sch.uk")
    page = new_context(**IPAD_PORTRAIT).new_page()
    sign_in(page, live_server, teacher.email)
    page.goto(live_server.url + "/staff/breaches/new?who=visitor&category=conduct")
    more = page.get_by_text("More details: when, where, what happened, what was done")
    more.click()
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    page.get_by_label("When").fill(f"{tomorrow}T10:00")
    more.click()  # folded again
    expect(page.get_by_label("When")).to_be_hidden()
    page.get_by_role("button", name="Save").click()
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_contain_text("That time is in the future.")
    expect(page).to_have_url(re.compile(r"/staff/breaches/new\?"))  # answered by the API
    expect(page.get_by_label("When")).to_be_visible()
    expect(page.get_by_text("That time is in the future.").last).to_be_visible()
    assert_accessible(page)
    with live_server.database():
        assert Breach.select().count() == 0


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_the_link_is_asked_for_only_for_material_online(live_server, new_context, assert_accessible,
                                                        javascript):
    with live_server.database():
        teacher = make_user("staff", email="teacher@westacre.sch.uk")
        make_acceptance(full_name="Alexandra Montgomery-Richardson", role="parent")
        make_acceptance(full_name="Tom Builder", role="contractor")
    page = new_context(**IPAD_PORTRAIT, java_script_enabled=javascript).new_page()
    sign_in(page, live_server, teacher.email)
    page.goto(live_server.url + "/staff/deletions/new")
    link = page.get_by_label("Link to it online")
    hint = page.get_by_text("Needed for something online, so someone can check it has gone.")
    assert_inside_its_tile(page)
    if javascript:
        expect(link).to_be_hidden()
        page.get_by_label("On their device").check()
        expect(link).to_be_hidden()
        page.get_by_label("Online (with a link)").check()
        expect(link).to_be_visible()
        assert_accessible(page)
        page.get_by_label("On their device").check()
        expect(link).to_be_hidden()
    else:  # the page without its script: the field is there, with the hint saying when
        expect(link).to_be_visible()
        expect(hint).to_be_visible()
    page.get_by_label("Photo", exact=True).check()
    page.get_by_label("On their device").check()
    page.get_by_label(re.compile("^Tom Builder")).check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved. Record what happened when you know.")).to_be_visible()
    expect(page.get_by_text("Overdue")).to_have_count(0)
    with live_server.database():
        request_row = DeletionRequest.get()
        assert request_row.link == "" and request_row.person_name == "Tom Builder"
        assert request_row.due_by - request_row.asked_at == dt.timedelta(hours=2)


def test_my_reports_speaks_the_record_pages_words(live_server, new_context, assert_accessible):
    with live_server.database():
        teacher = make_user("staff", email="teacher@westacre.sch.uk")
        make_breach(teacher, actions=("asked_to_delete",))
        done = make_deletion_request(teacher, person_name="Sam Parent")
        DeletionRequest.update(outcome="deleted_in_front").where(
            DeletionRequest.id == done.id).execute()
    page = new_context(**TABLET).new_page()
    sign_in(page, live_server, teacher.email)
    page.get_by_role("link", name="My reports").click()
    expect(page.get_by_text(re.compile("· Deleted in front of staff$"))).to_be_visible()
    expect(page.get_by_text(re.compile("· Waiting$"))).to_be_visible()
    expect(page.get_by_text("Pending")).to_have_count(0)
    assert_accessible(page)
