"""Kiosk devices in the browser: the head adds a tablet and reads its code, the tablet pairs
itself, keeps its screen awake, offers full screen, reports in, records its acceptances as its
own and goes back to the start when left alone; removed, it stops being the kiosk."""

from __future__ import annotations

import os
import re

from playwright.sync_api import expect

from kiosk.models import Acceptance, KioskDevice

from .conftest import TABLET, scripts_started
from .test_desk import sign_in_head

SHOTS = os.environ.get("SCREENSHOTS_DIR")  # a folder: save screenshots there to look at

# Records each Screen Wake Lock request; headless Chromium may refuse the real one.
WAKE_LOCK_SPY = """
window.__wakeLocks = 0;
Object.defineProperty(navigator, "wakeLock", {configurable: true, value: {
  request: async (kind) => { window.__wakeLocks += 1; return {type: kind, released: false,
                                                            release: async () => {}}; }}});
"""


def test_the_head_pairs_a_tablet_which_then_works_as_that_kiosk(live_server, new_context,
                                                                  assert_accessible):
    desk = new_context(**TABLET).new_page()
    sign_in_head(desk, live_server)
    desk.get_by_role("link", name="Kiosk devices").click()
    expect(desk.get_by_role("heading", name="Kiosk devices", level=1)).to_be_visible()
    assert_accessible(desk)
    desk.get_by_label("Name of the device").fill("Entrance tablet")
    desk.get_by_role("button", name="Add and show its pairing code").click()
    digits = desk.locator(".pairing-code__digits")
    expect(digits).to_be_visible()
    assert_accessible(desk)
    if SHOTS:
        desk.screenshot(path=f"{SHOTS}/devices-code.png", full_page=True)
    code = re.sub(r"\D", "", digits.inner_text())
    assert len(code) == 6

    context = new_context(**TABLET)
    context.add_init_script(WAKE_LOCK_SPY)
    tablet = context.new_page()
    tablet.goto(live_server.url + "/kiosk/pair")
    assert_accessible(tablet)
    tablet.get_by_label("Pairing code").fill("000000" if code != "000000" else "111111")
    tablet.get_by_role("button", name="Pair this tablet").click()
    expect(tablet.get_by_text("That code is not right")).to_have_count(2)  # summary and field
    assert_accessible(tablet)
    tablet.get_by_label("Pairing code").fill(f"{code[:3]} {code[3:]}")
    tablet.get_by_role("button", name="Pair this tablet").click()
    expect(tablet.get_by_text("This tablet is now the kiosk “Entrance tablet”.")).to_be_visible()
    scripts_started(tablet)
    # Kept awake, with full screen on offer, and reporting in.
    tablet.wait_for_function("window.__wakeLocks >= 1")
    expect(tablet.get_by_role("button", name="Full screen")).to_be_visible()
    assert_accessible(tablet)
    if SHOTS:
        tablet.screenshot(path=f"{SHOTS}/devices-paired-home.png", full_page=True)
    # Shown again (the browser let the lock go while hidden), it asks again.
    tablet.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    tablet.wait_for_function("window.__wakeLocks >= 2")

    desk.get_by_role("link", name="Home", exact=True).click()
    desk.get_by_role("link", name="Kiosk devices").click()
    expect(desk.get_by_text(re.compile(r"Last seen .* up to date .* nothing waiting to send"))
           ).to_be_visible()
    if SHOTS:
        desk.screenshot(path=f"{SHOTS}/devices-list.png", full_page=True)

    # A visitor accepts on it: the acceptance names the tablet.
    tablet.goto(live_server.url + "/accept?channel=kiosk")
    tablet.get_by_label("Full name").fill("Vera Visitor")
    tablet.get_by_text("Visitor", exact=True).click()
    tablet.get_by_label("I have read and accept the policy").check()
    tablet.get_by_role("button", name="Accept").click()
    expect(tablet.get_by_role("heading", name=re.compile("Thank you, Vera Visitor"))).to_be_visible()
    with live_server.database():
        device = KioskDevice.get(KioskDevice.name == "Entrance tablet")
        assert Acceptance.get(Acceptance.full_name == "Vera Visitor").device_id == device.id

    # Removed on the desk: at its next request it is no longer the kiosk.
    desk.get_by_role("button", name="Remove Entrance tablet").click()
    expect(desk.get_by_text("“Entrance tablet” is no longer a kiosk.")).to_be_visible()
    tablet.goto(live_server.url + "/")
    expect(tablet.get_by_role("button", name="Full screen")).to_have_count(0)
    assert not [c for c in context.cookies() if c["name"] == "kiosk_device"]


def test_a_paired_tablet_goes_back_to_the_start_when_left_alone_on_any_page(live_server,
                                                                            new_context):
    from kiosk import devices

    with live_server.database():
        _device, code = devices.add("Nursery door")
    tablet = new_context(**TABLET).new_page()
    tablet.goto(live_server.url + "/kiosk/pair")
    tablet.get_by_label("Pairing code").fill(code)
    tablet.get_by_role("button", name="Pair this tablet").click()
    expect(tablet.get_by_text("This tablet is now the kiosk “Nursery door”.")).to_be_visible()
    tablet.clock.install()
    # The phone's policy page has no idle return of its own; on a paired tablet it does.
    tablet.goto(live_server.url + "/policy?channel=phone")
    scripts_started(tablet)
    tablet.clock.run_for(121_000)
    expect(tablet.get_by_role("heading", name="Welcome to Westacre Infant School")).to_be_visible()


def test_full_screen_is_not_offered_once_the_tablet_is_full_screen(live_server, new_context):
    from kiosk import devices

    with live_server.database():
        _device, code = devices.add("Hall tablet")
    tablet = new_context(**TABLET).new_page()
    tablet.goto(live_server.url + "/kiosk/pair")
    tablet.get_by_label("Pairing code").fill(code)
    tablet.get_by_role("button", name="Pair this tablet").click()
    button = tablet.get_by_role("button", name="Full screen")
    expect(button).to_be_visible()
    button.click()
    tablet.wait_for_function("document.fullscreenElement !== null")
    expect(button).to_be_hidden()
    # And a phone never has the button.
    phone = new_context(**TABLET).new_page()
    phone.goto(live_server.url + "/")
    scripts_started(phone)
    expect(phone.get_by_role("button", name="Full screen")).to_have_count(0)
