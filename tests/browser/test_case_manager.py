"""The head as case manager, in Chromium: a concern about a member of staff classified as an
allegation, referred to the LADO, a decision on suspension, and closed with KCSIE's outcome.
Each stage passes axe and fits a phone's width."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import expect

from kiosk.models import Breach, utcnow

from ..helpers import make_breach, make_user, typed
from .conftest import TABLET, each_size, sign_in

# Set SHOTS_DIR to keep a screenshot of each stage at each size (to look at them).
SIZES = {"1024x1366": (1024, 1366), "768x1024": (768, 1024), "390x844": (390, 844)}


def test_the_head_classifies_refers_decides_and_closes_an_allegation(live_server, new_context,
                                                                      assert_accessible):
    with live_server.database():
        head = make_user("head", email="head@westacre.sch.uk", display_name="Ann Smith")
        breach = make_breach(make_user("staff"), subject_kind="staff", category="pupil_contact",
                             subject_name="Morgan Staff",
                             description="Messages to a Year 2 pupil's older sibling.")
    page = new_context(**TABLET).new_page()
    sign_in(page, live_server, head.email)
    page.goto(f"{live_server.url}/records/breaches/{breach.public_id}")

    # Not classified yet: the call to action, and no LADO form until it is an allegation.
    expect(page.get_by_text("Not classified yet.")).to_be_visible()
    expect(page.get_by_role("button", name="Save LADO referral")).to_have_count(0)
    assert_accessible(page)
    each_size(page, "1-not-classified", SIZES, TABLET["viewport"])

    what = page.get_by_role("region", name="What this is")
    what.get_by_label("An allegation that may meet the harm threshold").check()
    what.get_by_label("Behaved in a way that has harmed a child").check()
    what.get_by_label("The reason for this decision").fill("A parent showed us the messages.")
    what.get_by_role("button", name="Save classification").click()

    expect(page.get_by_text("Classification saved.")).to_be_visible()
    expect(what.get_by_text("Classified as an allegation that may meet the harm threshold"))\
        .to_be_visible()
    lado = page.get_by_role("region", name="LADO referral")
    expect(lado.get_by_text(re.compile(r"Refer to the LADO by \d+:\d\d[ap]m on \w+day \d+ \w+ "
                                       r"\d{4} \(.* left\)\."))).to_be_visible()
    assert_accessible(page)
    each_size(page, "2-classified", SIZES, TABLET["viewport"])

    referred = utcnow() - dt.timedelta(minutes=30)
    lado.get_by_label("Referred to the LADO on").fill(typed(referred))
    lado.get_by_label("LADO reference").fill("LADO-2026-41")
    lado.get_by_role("button", name="Save LADO referral").click()
    expect(page.get_by_text("LADO referral saved.")).to_be_visible()
    expect(lado.get_by_text(re.compile(r"Referred .*, reference LADO-2026-41\."))).to_be_visible()
    expect(lado.get_by_text("Not referred within one working day.")).to_have_count(0)

    decision = page.get_by_role("region", name="Suspension or alternatives")
    decision.get_by_label("Alternative arrangements").check()
    decision.get_by_label("The reason for this decision").fill("Another adult in class.")
    decision.get_by_role("button", name="Save decision").click()
    expect(page.get_by_text("Decision saved.")).to_be_visible()
    expect(decision.get_by_text(re.compile(r"Decided .* by Ann Smith: Alternative arrangements")))\
        .to_be_visible()
    assert_accessible(page)
    each_size(page, "3-referred-and-decided", SIZES, TABLET["viewport"])

    closing = page.get_by_role("region", name="Close the allegation")
    # Without the pension age, it is refused beside the field, and nothing is closed.
    closing.get_by_label("Unsubstantiated").check()
    closing.get_by_label("What was found, and what happens now").fill(
        "Not enough evidence either way; training arranged.")
    closing.get_by_role("button", name="Close the allegation").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    closing = page.get_by_role("region", name="Close the allegation")
    pension = closing.get_by_label("The date they reach their normal pension age")
    expect(pension).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    each_size(page, "4-refused", SIZES, TABLET["viewport"])

    pension.fill("2049-05-01")
    closing.get_by_role("button", name="Close the allegation").click()
    expect(page.get_by_text("The allegation was closed.")).to_be_visible()
    outcome = page.get_by_role("region", name="Outcome")
    expect(outcome.get_by_text("Closed as unsubstantiated")).to_be_visible()
    expect(outcome.get_by_text("Kept until 1 May 2049")).to_be_visible()
    expect(page.get_by_text("Restricted: headteacher only · Closed")).to_be_visible()
    expect(page.get_by_role("button", name="Close the allegation")).to_have_count(0)
    assert_accessible(page)
    each_size(page, "5-closed", SIZES, TABLET["viewport"])

    with live_server.database():
        stored = Breach.get_by_id(breach.id)
        assert (stored.status, stored.classification, stored.allegation_outcome) == (
            "closed", "allegation", "unsubstantiated")
