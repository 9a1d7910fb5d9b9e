"""Two-step sign-in in Chromium: a head sets it up from the QR code page through to the staff
home, then signs in with the code from the app (the rules: tests/test_second_factor.py)."""

from __future__ import annotations

import re
import time

import pyotp
from playwright.sync_api import expect

from kiosk.models import StaffUser

from ..helpers import PASSWORD, make_user
from .conftest import PHONE


def test_a_head_sets_up_two_step_sign_in_then_signs_in_with_the_code(live_server, new_context,
                                                                     assert_accessible):
    with live_server.database():
        head = make_user("head", email="head@westacre.sch.uk", totp_secret="")
        dsl = make_user("dsl", display_name="Dee Lead")
    page = new_context(**PHONE).new_page()
    page.goto(live_server.url + "/signin")
    page.get_by_label("Email address").fill(head.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Set up two-step sign-in")).to_be_visible()
    qr = page.get_by_role("img", name="QR code for your authenticator app")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")  # the data: image drew
    key = page.locator("code").inner_text()
    assert re.fullmatch(r"([A-Z2-7]{4} ){7}[A-Z2-7]{4}", key)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]
    assert_accessible(page)
    # A wrong first code: the message beside the field, and the summary above.
    page.get_by_label("The 6-digit code the app shows").fill("12345")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("That code is not right").first).to_be_visible()
    assert_accessible(page)

    totp = pyotp.TOTP(key.replace(" ", ""))
    page.get_by_label("The 6-digit code the app shows").fill(totp.now())
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.get_by_role("listitem")).to_have_count(10)
    expect(page.get_by_role("button", name="Print these codes")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="I have kept these somewhere safe").click()
    expect(page.get_by_role("link", name="Log a breach")).to_be_visible()

    # The head resets the DSL's (a lost phone), after a page that asks.
    page.goto(live_server.url + "/admin/staff")
    assert_accessible(page)
    page.get_by_role("link", name="Manage Dee Lead").click()
    assert_accessible(page)
    page.get_by_role("link", name="Reset two-step sign-in for Dee Lead").click()
    expect(page.get_by_role("heading", name="Reset two-step sign-in for Dee Lead?")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Reset two-step sign-in").click()
    expect(page.get_by_text("Dee Lead's two-step sign-in is reset")).to_be_visible()
    with live_server.database():
        assert StaffUser.get_by_id(dsl.id).totp_secret == ""

    # The next sign-in, on another device: the code step.
    other = new_context(**PHONE).new_page()
    other.goto(live_server.url + "/signin")
    other.get_by_label("Email address").fill(head.email)
    other.get_by_label("Password").fill(PASSWORD)
    other.get_by_role("button", name="Sign in").click()
    expect(other.get_by_role("heading", name="Enter your code")).to_be_visible()
    assert_accessible(other)
    other.get_by_label("Code").fill(totp.at(time.time() + 30))  # the set-up's code is spent
    other.get_by_role("button", name="Sign in").click()
    expect(other.get_by_role("link", name="Log a breach")).to_be_visible()
