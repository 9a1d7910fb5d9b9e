"""Sign-in limits as a person meets them: a refusal that says when to try again, and the owner's
own iPad, known from an earlier sign-in, still let in while the account is locked."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from ..helpers import PASSWORD, make_user
from .conftest import TABLET, sign_in


def test_the_owner_s_ipad_signs_in_while_a_stranger_is_told_when_to_try_again(
        live_server, new_context, assert_accessible):
    with live_server.database():
        head = make_user("head", email="head@westacre.sch.uk")
    own_ipad = new_context(**TABLET).new_page()
    sign_in(own_ipad, live_server, head.email)  # the iPad becomes a known device
    own_ipad.get_by_role("button", name="Sign out").click()
    expect(own_ipad.get_by_role("heading", name="Staff sign in")).to_be_visible()

    stranger = new_context(**TABLET).new_page()
    stranger.goto(live_server.url + "/signin")
    for attempt in range(11):  # each refusal shows the form again
        stranger.get_by_label("Email address").fill(head.email)
        stranger.get_by_label("Password").fill("a guess at it" if attempt < 10 else PASSWORD)
        stranger.get_by_role("button", name="Sign in").click()
    expect(stranger.get_by_role("heading", name="Too many attempts")).to_be_visible()
    expect(stranger.get_by_text(re.compile(
        r"Try again after \d{1,2}:\d\d[ap]m, or ask the headteacher to reset your password\.")
    )).to_be_visible()
    assert_accessible(stranger)

    sign_in(own_ipad, live_server, head.email)
    assert_accessible(own_ipad)
