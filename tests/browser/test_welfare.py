"""The child's welfare in real Chromium: "A child told me something" (online, refused, offline),
the DSL's welfare pages, and the case manager's part of a concern about staff."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from kiosk.models import Breach, WelfareTask

from ..helpers import make_breach, make_user
from .conftest import PHONE, TABLET, sign_in
from .test_offline import all_sent, controlled, wait_for_rows

WORDS = "He said not to tell anyone"


def test_a_child_told_me_something_tells_the_dsl(live_server, new_context, assert_accessible):
    with live_server.database():
        teacher = make_user("staff", email="teacher@westacre.sch.uk")
        make_user("dsl")
    page = new_context(**TABLET).new_page()
    sign_in(page, live_server, teacher.email)
    page.get_by_role("link", name="A child told me something").click()
    expect(page.get_by_role("heading", name="What to do now")).to_be_visible()
    adult_name = page.get_by_label("The adult's name")
    expect(adult_name).to_be_hidden()  # asked only when it was about an adult at school
    page.get_by_label("Yes, about the headteacher").check()
    expect(adult_name).to_be_visible()
    page.get_by_label("No", exact=True).check()
    expect(adult_name).to_be_hidden()
    assert_accessible(page)
    page.get_by_role("button", name="Save and tell the DSL").click()
    # Refused: the reason beside the field, nothing recorded.
    expect(page.get_by_text("Please give the child's name.").first).to_be_visible()
    assert_accessible(page)
    page.get_by_label("The child's name").fill("Chloe Child")
    page.get_by_label("The child's words, as they said them (optional)").fill(WORDS)
    page.get_by_role("button", name="Save and tell the DSL").click()
    expect(page.get_by_text("Saved. The DSL has been told.")).to_be_visible()
    assert_accessible(page)
    with live_server.database():
        [task] = WelfareTask.select()
        assert (task.kind, task.pupils, task.child_words) == ("disclosure", "Chloe Child", WORDS)


def test_about_an_adult_at_school_it_is_passed_on_to_the_headteacher(live_server, new_context):
    with live_server.database():
        teacher = make_user("staff", email="teacher@westacre.sch.uk")
    page = new_context(**PHONE).new_page()
    sign_in(page, live_server, teacher.email)
    page.goto(live_server.url + "/staff/disclosures/new")
    page.get_by_label("The child's name").fill("Chloe Child")
    page.get_by_label("The child's words, as they said them (optional)").fill(WORDS)
    page.get_by_label("Yes", exact=True).check()
    page.get_by_label("The adult's name").fill("Adam Adultson")
    page.get_by_role("button", name="Save and tell the DSL").click()
    expect(page.get_by_text("Saved. The DSL has been told, and what the child said was passed on "
                            "to the headteacher.")).to_be_visible()
    with live_server.database():
        breach = Breach.get()
        assert breach.subject_name == "Adam Adultson" and WORDS in breach.description
        assert WelfareTask.get().child_words == ""


def test_with_the_script_a_concern_about_staff_says_it_was_passed_on(live_server, new_context):
    """The fault this fixes: with the page's script, "Saved. Thank you." flashed instead."""
    with live_server.database():
        teacher = make_user("staff", email="teacher@westacre.sch.uk")
    page = new_context(**TABLET).new_page()
    sign_in(page, live_server, teacher.email)
    page.goto(live_server.url + "/staff/breaches/new?who=staff&category=pupil_contact")
    page.get_by_label("Pupils involved (optional)").fill("Polly Pupil")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved. Received and passed on to the headteacher. The DSL has been "
                            "told about the pupils involved.")).to_be_visible()
    expect(page.get_by_text("Saved. Thank you.")).to_have_count(0)
    with live_server.database():
        assert WelfareTask.get().pupils == "Polly Pupil"


def test_offline_a_childs_disclosure_waits_on_the_ipad_and_arrives_once(live_server, new_context,
                                                                         assert_accessible):
    with live_server.database():
        teacher = make_user("staff", email="teacher@westacre.sch.uk")
    context = new_context(**TABLET)
    page = context.new_page()
    sign_in(page, live_server, teacher.email)
    controlled(page)
    context.set_offline(True)
    page.get_by_role("link", name="A child told me something").click()
    expect(page.get_by_role("heading", name="Working offline")).to_be_visible()
    page.get_by_role("link", name="A child told me something").click()
    form = page.locator("form#disclosure")
    expect(form.get_by_role("heading", name="What to do now")).to_be_visible()
    form.get_by_label("The child's name").fill("Chloe Child")
    form.get_by_label("No", exact=True).check()
    expect(form.get_by_label("When they told you")).not_to_have_value("")  # starts at now
    assert_accessible(page)
    form.get_by_role("button", name="Save on this iPad and tell the DSL").click()
    expect(page.get_by_text("1 record waiting to send")).to_be_visible()
    context.set_offline(False)
    all_sent(page)
    [task] = wait_for_rows(live_server, WelfareTask, 1)
    assert (task.kind, task.pupils, task.created_by_id) == ("disclosure", "Chloe Child", teacher.id)


def test_the_case_manager_shares_the_name_and_the_dsl_follows_the_task(live_server, new_context,
                                                                        assert_accessible):
    with live_server.database():
        teacher = make_user("staff")
        head = make_user("head", email="head@westacre.sch.uk")
        dsl = make_user("dsl", email="dsl@westacre.sch.uk")
        breach = make_breach(teacher, subject_kind="staff", category="pupil_contact",
                             pupils="Polly Pupil", subject_name="Adam Adultson",
                             description="Very private detail")
    head_page = new_context(**TABLET).new_page()
    sign_in(head_page, live_server, head.email)
    head_page.goto(f"{live_server.url}/records/breaches/{breach.public_id}")
    panel = head_page.get_by_role("region", name="The child's welfare: what the DSL is told")
    panel.get_by_label("What the DSL needs to know for the child's welfare").fill(
        "Polly was upset; please check in with her.")
    panel.get_by_role("button", name="Add for the DSL").click()
    expect(head_page.get_by_text("Added to the DSL's welfare task.")).to_be_visible()
    panel.get_by_role("button", name="Share the name with the DSL").click()
    expect(head_page.get_by_text("Please tick to confirm sharing the name.").first).to_be_visible()
    assert_accessible(head_page)
    panel.get_by_label("Yes, I have decided the DSL should know who this concern is about").check()
    panel.get_by_role("button", name="Share the name with the DSL").click()
    expect(head_page.get_by_text("The name is shared with the DSL.")).to_be_visible()
    assert_accessible(head_page)

    page = new_context(**PHONE).new_page()
    sign_in(page, live_server, dsl.email)
    page.get_by_role("link", name=re.compile("1 welfare task waiting")).click()
    expect(page.get_by_role("heading", name="Welfare tasks")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Polly Pupil").click()
    expect(page.get_by_text("Polly was upset; please check in with her.").first).to_be_visible()
    expect(page.get_by_text("Adam Adultson").first).to_be_visible()
    expect(page.get_by_text("Very private detail")).to_have_count(0)
    # The case manager is not named: the chair's name would say it is about the head.
    expect(page.get_by_text("The case manager said what the DSL needs to know")).to_be_visible()
    expect(page.get_by_text(head.display_name)).to_have_count(0)
    assert_accessible(page)
    page.get_by_label("Reference in the school's safeguarding system (CPOMS, MyConcern)").fill(
        "CPOMS 4411")
    page.get_by_role("button", name="Save the reference").click()
    expect(page.get_by_text("Reference saved.")).to_be_visible()
    page.get_by_label("Done", exact=True).check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("marked it done")).to_be_visible()
    assert_accessible(page)
    with live_server.database():
        task = WelfareTask.get()
        assert (task.status, task.safeguarding_ref) == ("done", "CPOMS 4411")


def test_offline_a_concern_about_staff_asks_for_pupils_only_for_a_member_of_staff(
        live_server, new_context):
    with live_server.database():
        teacher = make_user("staff", email="teacher@westacre.sch.uk")
    context = new_context(**TABLET)
    page = context.new_page()
    sign_in(page, live_server, teacher.email)
    controlled(page)
    context.set_offline(True)
    page.get_by_role("link", name="Log a breach").click()
    pupils = page.get_by_label("Pupils involved (optional)")
    page.get_by_label("Visitor", exact=True).check()
    expect(pupils).to_be_hidden()
    page.get_by_label("Member of staff", exact=True).check()
    page.get_by_label("Member of staff in contact with a pupil, or an ex-pupil under 18").check()
    pupils.fill("Polly Pupil")
    page.get_by_role("button", name="Save the breach on this iPad").click()
    expect(page.get_by_text("1 record waiting to send")).to_be_visible()
    context.set_offline(False)
    all_sent(page)
    [task] = wait_for_rows(live_server, WelfareTask, 1)
    assert (task.kind, task.pupils) == ("staff_concern", "Polly Pupil")
