"""The leads' reports in Chromium: the dashboard passes axe, and the evidence prints on A4 without
the screen's navigation and buttons."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

from playwright.sync_api import expect

from kiosk.display import long_date
from kiosk.models import PolicyVersion, utcnow

from ..helpers import PASSWORD, make_acceptance, make_breach, make_deletion_request, make_policy, make_user
from .conftest import PHONE, TABLET, enter_code, sign_in

A4 = {"viewport": {"width": 794, "height": 1123}}


def test_the_heads_dashboard_passes_axe_with_charts_and_tables(live_server, new_context, assert_accessible):
    with live_server.database():
        head = make_user("head", email="head@westacre.sch.uk")
        teacher = make_user("staff")
        for days, role in [(0, "visitor"), (1, "parent"), (9, "governor"), (30, "visitor"), (60, "pta")]:
            make_acceptance(role=role, accepted_at=utcnow() - dt.timedelta(days=days))
        make_breach(teacher)
        make_breach(teacher, category="working_day", occurred_at=utcnow() - dt.timedelta(days=40))
        make_breach(teacher, subject_kind="staff", category="pupil_contact")
        make_deletion_request(teacher, asked_at=utcnow() - dt.timedelta(days=2), person_name="Olly Overdue")
        review_was_due = utcnow().date() - dt.timedelta(days=60)
        PolicyVersion.update(review_due=review_was_due).execute()
    page = new_context(**TABLET).new_page()
    sign_in(page, live_server, head.email)
    page.goto(live_server.url + "/reports/")

    expect(page.get_by_role("heading", name="Reports", level=1)).to_be_visible()
    expect(page.get_by_role("img", name="Acceptances per week, by role")).to_be_visible()
    expect(page.get_by_role("img", name="Breaches per month, by category")).to_be_visible()
    expect(page.get_by_role("table", name="Acceptances per week, by role, as a table")).to_be_visible()
    expect(page.get_by_role("table", name="Breaches per month, by category, as a table")).to_be_visible()
    expect(page.get_by_text(f"The policy's review date, {long_date(review_was_due)}, has passed.")
           ).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Photo: Olly Overdue"))).to_be_visible()
    expect(page.get_by_role("heading", name="LADO referrals overdue")).to_be_visible()
    assert_accessible(page)
    # The downloads are real links, each at least 48 pixels tall to tap.
    for name in ["Acceptances (CSV)", "Breaches (CSV)", "Evidence for one person", "Subject access request"]:
        assert page.get_by_role("link", name=name).bounding_box()["height"] >= 48


def test_a_large_export_downloads_whole_in_chromium(live_server, new_context):
    """The acceptances CSV, streamed in pieces by the real server, arrives whole: every row once,
    in order, the byte-order mark first."""
    from kiosk.models import Acceptance, db

    with live_server.database():
        dsl = make_user("dsl", email="dsl@westacre.sch.uk")
        version, start = PolicyVersion.current(), utcnow() - dt.timedelta(days=30)
        with db.atomic():
            for n in range(2500):
                Acceptance.insert(policy_version=version, full_name=f"Visitor {n:04d}", role="visitor",
                                  channel="kiosk", accepted_at=start + dt.timedelta(minutes=n)).execute()
    page = new_context(**TABLET, accept_downloads=True).new_page()
    sign_in(page, live_server, dsl.email)
    page.goto(live_server.url + "/reports/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Acceptances (CSV)").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text.startswith("\ufeffAccepted (school time),Full name,")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))[1:]
    assert [row[1] for row in rows] == [f"Visitor {n:04d}" for n in range(2500)]


def test_the_dsls_dashboard_fits_a_phone_and_passes_axe(live_server, new_context, assert_accessible):
    with live_server.database():
        dsl = make_user("dsl", email="dsl@westacre.sch.uk")
        make_policy(2, review_due=dt.date.today() + dt.timedelta(days=90))
        make_acceptance(role="visitor")
        make_breach(make_user("staff"))
    page = new_context(**PHONE).new_page()
    sign_in(page, live_server, dsl.email)
    page.goto(live_server.url + "/reports/")
    expect(page.get_by_role("img", name="Breaches per month, by category")).to_be_visible()
    expect(page.get_by_role("heading", name="LADO referrals overdue")).to_have_count(0)
    # Wide tables scroll inside their own region; the page itself never scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page)


def test_the_evidence_prints_on_a4_without_navigation_or_buttons(live_server, new_context, assert_accessible):
    with live_server.database():
        dsl = make_user("dsl", email="dsl@westacre.sch.uk")
        make_acceptance(full_name="Ann Visitor", channel="phone")
        make_policy(2)
        make_acceptance(full_name="Ann Visitor", channel="kiosk")
    page = new_context(**A4).new_page()
    sign_in(page, live_server, dsl.email)
    page.goto(live_server.url + "/reports/")
    page.get_by_role("link", name="Evidence for one person").click()
    page.get_by_label("Full name").fill("ann visitor")
    page.get_by_role("button", name="Show").click()

    expect(page.get_by_role("heading", name="Evidence of acceptance: ann visitor", level=1)).to_be_visible()
    evidence = page.get_by_role("table", name="What ann visitor accepted, oldest first")
    expect(evidence.get_by_role("row")).to_have_count(3)
    assert_accessible(page)
    navigation = page.get_by_role("navigation", name="Staff")
    buttons = [page.get_by_role("button", name="Show"), page.get_by_role("button", name="Sign out"),
               page.get_by_role("link", name="Back to reports")]
    for locator in [navigation, *buttons]:
        expect(locator).to_be_visible()

    page.emulate_media(media="print")
    for locator in [navigation, *buttons, page.get_by_label("Full name")]:
        expect(locator).to_be_hidden()
    expect(page.get_by_role("heading", name="Evidence of acceptance: ann visitor")).to_be_visible()
    expect(evidence).to_be_visible()
    # Printed, the whole record fits on one A4 sheet.
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1


def test_the_chairs_termly_summary_passes_axe_and_prints_without_the_private_line(
        live_server, new_context, assert_accessible):
    with live_server.database():
        chair = make_user("chair", email="chair@westacre.sch.uk")
        teacher = make_user("staff")
        make_breach(teacher, subject_name="Vera Visitor")
        make_breach(teacher, subject_kind="staff", category="pupil_contact", subject_name="Hal Head",
                    concerns_head=True)
    shots = []
    for size in (TABLET, PHONE):
        page = new_context(**size).new_page()
        page.goto(live_server.url + "/signin")
        page.get_by_label("Email address").fill(chair.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        enter_code(page, live_server, chair.email)
        page.get_by_role("link", name="The governors' termly summary").click()
        heading = page.get_by_role("heading", level=1, name=re.compile("Governors' termly summary: "))
        expect(heading).to_be_visible()
        expect(page.get_by_role("table", name="Breaches by category")).to_be_visible()
        expect(page.get_by_text("1 concern about the headteacher was logged this term")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= size["viewport"]["width"]
        assert_accessible(page)
        shots.append(page)
    page = shots[0]
    page.emulate_media(media="print")
    expect(page.get_by_text("1 concern about the headteacher was logged this term")).to_be_hidden()
    expect(page.get_by_label("Term", exact=True)).to_be_hidden()
    expect(page.get_by_role("table", name="Allegations closed this term, by outcome")).to_be_visible()
    assert "Hal Head" not in page.content() and "Vera Visitor" not in page.content()
