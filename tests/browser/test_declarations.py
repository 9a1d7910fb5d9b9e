"""Declarations of family links in Chromium: a member of staff declares one from the home screen
(after the home asks them to confirm an old one), the head acknowledges it, and sees it beside a
concern that a family link was not declared. Each page passes axe and fits a phone's width."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import expect

from kiosk.models import Declaration, utcnow

from ..helpers import make_breach, make_declaration, make_user
from .conftest import PHONE, TABLET, each_size, sign_in

# Set SHOTS_DIR to keep a full-page screenshot of each page at each size (to look at them).
SIZES = {"390x844": (390, 844), "1024x1366": (1024, 1366)}


def test_a_teacher_declares_a_link_from_the_home_and_the_head_acknowledges_it(
        live_server, new_context, assert_accessible):
    with live_server.database():
        teacher = make_user("staff", email="teacher@westacre.sch.uk", display_name="Sam Taylor")
        head = make_user("head", email="head@westacre.sch.uk", display_name="Ann Smith")
        old = utcnow() - dt.timedelta(days=400)
        make_declaration(teacher, who="Ben Carter in Reception, and his dad",
                         relationship="His dad is my brother", since="since he was born",
                         declared_at=old, confirmed_at=old)
        concern = make_breach(make_user("staff"), category="family_link", subject_kind="staff",
                              subject_name="Sam Taylor",
                              description="Comments on a pupil's mum's photos.")

    page = new_context(**PHONE).new_page()
    sign_in(page, live_server, teacher.email)
    expect(page.get_by_text("not been confirmed for over a year")).to_be_visible()
    assert_accessible(page)
    each_size(page, "staff-home", SIZES, PHONE["viewport"])
    page.get_by_role("link", name="Family links", exact=True).click()
    expect(page.get_by_role("heading", name="Family links")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Declare a family link").click()
    expect(page.get_by_role("heading", name="Declare a family link")).to_be_visible()
    assert_accessible(page)
    each_size(page, "declare", SIZES, PHONE["viewport"])

    page.get_by_role("button", name="Tell the headteacher").click()  # nothing filled in
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert_accessible(page)
    each_size(page, "declare-errors", SIZES, PHONE["viewport"])
    page.get_by_label("The pupil and their family").fill("Amy Jones in Year 2, and her mum")
    page.get_by_label("Your relationship to them").fill("Her mum is a close friend")
    page.get_by_label("Since when").fill("2019")
    page.get_by_role("button", name="Tell the headteacher").click()
    expect(page.get_by_text("Your declaration is with the headteacher.")).to_be_visible()
    expect(page.get_by_text("Amy Jones in Year 2, and her mum", exact=True)).to_be_visible()
    assert_accessible(page)
    each_size(page, "staff-family-links", SIZES, PHONE["viewport"])
    page.get_by_role("button", name="They are all still correct").click()
    expect(page.get_by_text("Your declarations are confirmed as still correct.")).to_be_visible()
    page.goto(live_server.url + "/staff/")
    expect(page.get_by_role("link", name="Log a breach")).to_be_visible()
    expect(page.get_by_text("not been confirmed for over a year")).to_have_count(0)

    head_page = new_context(**TABLET).new_page()
    sign_in(head_page, live_server, head.email)
    head_page.get_by_role("link", name=re.compile(
        "2 declarations of a family link waiting for you to acknowledge")).click()
    expect(head_page.get_by_role("heading", name="Declarations of family links")).to_be_visible()
    assert_accessible(head_page)
    each_size(head_page, "head-family-links", SIZES, TABLET["viewport"])
    head_page.get_by_role("button", name="Acknowledge Sam Taylor's link with Amy Jones in Year 2, "
                                         "and her mum").click()
    expect(head_page.get_by_text("Acknowledged Sam Taylor's link with Amy Jones")).to_be_visible()
    assert_accessible(head_page)
    with live_server.database():
        amy = Declaration.get(Declaration.who == "Amy Jones in Year 2, and her mum")
        assert amy.acknowledged_by_id == head.id

    # The concern that a family link was not declared: the head sees what Sam Taylor declared.
    head_page.goto(f"{live_server.url}/records/breaches/{concern.public_id}")
    box = head_page.get_by_role("region", name="Declared family links")
    expect(box).to_contain_text("Sam Taylor declared these links")
    expect(box).to_contain_text("Ben Carter in Reception, and his dad")
    assert_accessible(head_page)
    each_size(head_page, "concern-box", SIZES, TABLET["viewport"])
