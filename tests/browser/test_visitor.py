"""A visitor reads the policy and accepts it, on a phone and on the entrance tablet."""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from kiosk.models import Acceptance

from .conftest import PHONE, TABLET, scripts_started, until


def fill_and_accept(page, name="Ann Visitor", role="Contractor"):
    page.get_by_label("Full name").fill(name)
    page.get_by_label(role, exact=True).check()
    page.get_by_label("Organisation or company (optional)").fill("Acme Plumbing")
    page.get_by_label("I have read and accept the policy").check()
    page.get_by_role("button", name="Accept").click()


def test_a_visitor_on_a_phone_reads_accepts_and_is_thanked(live_server, new_context,
                                                          assert_accessible):
    page = new_context(**PHONE).new_page()
    page.goto(live_server.url + "/phone")
    expect(page.get_by_role("heading", level=1)).to_have_text("Social Media and Mobile Phone Policy")
    expect(page.get_by_role("heading", name="What this means for you today")).to_be_visible()
    # The full text is one tap away.
    expect(page.get_by_role("heading", name="Terms of use", level=2)).to_be_hidden()
    page.get_by_text("Read the full policy").click()
    expect(page.get_by_role("heading", name="Terms of use", level=2)).to_be_visible()
    expect(page.get_by_text("Review due")).to_have_count(0)
    # Nothing overflows sideways on a small phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page)

    page.get_by_role("link", name="Continue to accept").click()
    expect(page.get_by_role("heading", name="Accept the policy")).to_be_visible()
    assert_accessible(page)
    fill_and_accept(page)

    expect(page.get_by_role("heading", name="Thank you, Ann Visitor")).to_be_visible()
    expect(page.get_by_text(re.compile(r"You accepted the .*, version 1, at"))).to_be_visible()
    assert_accessible(page)
    with live_server.database():
        [row] = Acceptance.select()
        assert (row.full_name, row.role, row.channel) == ("Ann Visitor", "contractor", "phone")


def test_the_kiosk_thanks_then_returns_home_and_back_cannot_show_the_name(live_server,
                                                                          new_context,
                                                                          assert_accessible):
    page = new_context(**TABLET).new_page()
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", name="Welcome to Westacre Infant School")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Read and accept the policy").click()
    assert_accessible(page)
    page.get_by_role("link", name="Continue to accept").click()
    fill_and_accept(page, name="Kiosk Visitor", role="Visitor")
    expect(page.get_by_role("heading", name="Thank you, Kiosk Visitor")).to_be_visible()
    expect(page.get_by_text(re.compile(r"goes back to the start in \d seconds"))).to_be_visible()
    assert_accessible(page)

    # The live server's thank-you lasts 5 seconds.
    expect(page.get_by_role("heading", name="Welcome to Westacre Infant School")).to_be_visible(
        timeout=10_000)
    # Back, as far as the history goes: the previous person's name is nowhere.
    for _ in range(3):
        page.go_back()
        page.wait_for_load_state()
        assert "Kiosk Visitor" not in page.content()
        if page.get_by_label("Full name").count():
            expect(page.get_by_label("Full name")).to_have_value("")
    with live_server.database():
        [row] = Acceptance.select()
        assert (row.full_name, row.channel) == ("Kiosk Visitor", "kiosk")


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_mistakes_are_shown_beside_the_fields(live_server, new_context, assert_accessible,
                                              javascript):
    page = new_context(**PHONE, java_script_enabled=javascript).new_page()
    page.goto(live_server.url + "/accept?channel=phone")
    page.get_by_label("Full name").fill("A")
    page.get_by_role("button", name="Accept").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    name = page.get_by_label("Full name")
    expect(name).to_have_accessible_description(re.compile("between 2 and 100 characters"))
    expect(page.get_by_label("I have read and accept the policy")).to_have_accessible_description(
        re.compile("Please tick to show you have read and accept the policy"))
    if javascript:  # axe runs as a script in the page
        assert_accessible(page)

    name.fill("Form Visitor")
    page.get_by_label("Governor", exact=True).check()
    page.get_by_label("I have read and accept the policy").check()
    page.get_by_role("button", name="Accept").click()
    expect(page.get_by_role("heading", name="Thank you, Form Visitor")).to_be_visible()
    with live_server.database():
        assert Acceptance.select().count() == 1


def test_the_kiosk_can_be_used_with_the_keyboard_alone(live_server, new_context):
    page = new_context(**TABLET).new_page()
    page.goto(live_server.url + "/accept?channel=kiosk")
    page.get_by_label("Full name").focus()
    page.keyboard.type("Keyboard Visitor")
    page.keyboard.press("Tab")  # into the role radios
    page.keyboard.press("Space")
    for _ in range(3):  # organisation, reason, the tick
        page.keyboard.press("Tab")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Accept")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Thank you, Keyboard Visitor")).to_be_visible()


def test_the_policy_page_skips_to_accept_from_the_first_keys_with_the_focus_seen(live_server,
                                                                                  new_context):
    page = new_context(**TABLET).new_page()
    page.goto(live_server.url + "/policy?channel=kiosk")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to accept")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()  # shown while it has the focus
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # from the accept button's place: the link after it
    page.keyboard.press("Shift+Tab")
    accept = page.get_by_role("link", name="Continue to accept")
    expect(accept).to_be_focused()
    outline = accept.evaluate("el => getComputedStyle(el).outlineStyle + ' ' + "
                              "getComputedStyle(el).outlineWidth")
    assert not outline.startswith("none") and not outline.endswith(" 0px"), outline
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Accept the policy")).to_be_visible()


def test_the_kiosk_offers_larger_text_until_the_screen_goes_back_to_the_start(
        live_server, new_context, assert_accessible):
    page = new_context(**TABLET).new_page()
    page.clock.install()
    page.goto(live_server.url + "/policy?channel=kiosk")
    scripts_started(page)
    size = "() => getComputedStyle(document.documentElement).fontSize"
    usual = page.evaluate(size)
    button = page.get_by_role("button", name="Larger text")
    expect(button).to_have_attribute("aria-pressed", "false")
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    larger = page.evaluate(size)
    assert float(larger[:-2]) >= 1.2 * float(usual[:-2])
    assert_accessible(page)
    page.get_by_role("link", name="Continue to accept").click()
    expect(page.get_by_role("heading", name="Accept the policy")).to_be_visible()
    # Kept for this person, page to page (once the page's stylesheet and script have run).
    until(lambda: page.evaluate(size) == larger)
    scripts_started(page)
    page.clock.run_for(121_000)  # left alone: back to the start, for the next person
    expect(page.get_by_role("heading", name="Welcome to Westacre Infant School")).to_be_visible()
    until(lambda: page.evaluate(size) == usual)
    expect(page.get_by_role("button", name="Larger text")).to_have_attribute("aria-pressed",
                                                                             "false")
    # Someone's own phone zooms by itself: no button.
    phone = new_context(**PHONE).new_page()
    phone.goto(live_server.url + "/policy?channel=phone")
    scripts_started(phone)
    expect(phone.get_by_role("button", name="Larger text")).to_be_hidden()


def test_less_motion_is_honoured(live_server, new_context):
    """Whatever moves on a page (an element with a transition, as a later change might add) stands
    still for someone whose device asks for less motion, and moves for everyone else."""
    moving = """() => { const el = document.createElement('p');
        el.style.transition = 'opacity 1s'; el.style.animation = 'spin 2s infinite';
        document.querySelector('main').append(el);
        const style = getComputedStyle(el);
        return [style.transitionDuration, style.animationName]; }"""
    still = new_context(**TABLET, reduced_motion="reduce").new_page()
    still.goto(live_server.url + "/policy?channel=kiosk")
    assert still.evaluate(moving) == ["0s", "none"]
    usual = new_context(**TABLET).new_page()
    usual.goto(live_server.url + "/policy?channel=kiosk")
    assert usual.evaluate(moving) == ["1s", "spin"]


@pytest.mark.parametrize("size", [PHONE, TABLET], ids=["phone", "tablet"])
def test_every_tap_target_is_at_least_48_pixels(live_server, new_context, size):
    page = new_context(**size).new_page()
    page.goto(live_server.url + "/accept?channel=kiosk")
    # Buttons, button-like links, the tiles (a radio's or tick's whole label) and text boxes;
    # links inside sentences are exempt (WCAG 2.5.8).
    targets = page.evaluate("""() => [...document.querySelectorAll(
            'main button, main .button, main .tile label, main input[type=text]')]
        .filter(el => el.getClientRects().length)  // leave out what is hidden
        .map(el => [el.textContent.trim() || el.id, el.getBoundingClientRect().height,
                    el.getBoundingClientRect().width])""")
    assert len(targets) >= 12
    assert [t for t in targets if t[1] < 48 or t[2] < 48] == []


def test_the_poster_qr_code_opens_the_configured_public_address(tmp_path, new_context,
                                                                assert_accessible):
    from tests.live import LiveServer

    server = LiveServer(tmp_path / "instance", {"KIOSK_PUBLIC_URL": "https://kiosk.westacre.sch.uk"})
    server.start()
    try:
        page = new_context(viewport={"width": 794, "height": 1123}).new_page()
        page.goto(server.url + "/poster")
        expect(page.get_by_text("https://kiosk.westacre.sch.uk/phone")).to_be_visible()
        assert_accessible(page)
        png = page.get_by_role("img", name=re.compile("QR code")).screenshot()
        [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
        assert code.text == "https://kiosk.westacre.sch.uk/phone"
        page.emulate_media(media="print")
        expect(page.get_by_role("link", name="Back to the start")).to_be_hidden()

        # A request for another host (a forged Host, or a name the server was not told of): a
        # plain page, no link, readable on a phone (the real server answers it).
        phone = new_context(**PHONE).new_page()
        phone.route("http://evil.example/**", lambda route: route.fulfill(response=route.fetch(
            url=server.url + "/signin", headers={**route.request.headers, "host": "evil.example"})))
        refused = phone.goto("http://evil.example/signin")
        assert refused.status == 400
        expect(phone.get_by_role("heading", level=1)).to_have_text("This is not the kiosk's address")
        assert phone.locator("a").count() == 0
        assert_accessible(phone)
    finally:
        server.stop()


def test_a_half_filled_kiosk_screen_goes_home_when_left_alone_not_while_someone_types(
        live_server, new_context):
    page = new_context(**TABLET).new_page()
    page.clock.install()
    page.goto(live_server.url + "/accept?channel=kiosk")
    # Opened and never touched: back at the start after two minutes.
    expect(page.get_by_role("heading", name="Accept the policy")).to_be_visible()
    scripts_started(page)
    page.clock.run_for(121_000)
    expect(page.get_by_role("heading", name="Welcome to Westacre Infant School")).to_be_visible()
    page.goto(live_server.url + "/accept?channel=kiosk")
    scripts_started(page)
    name = page.get_by_label("Full name")
    # Someone types slowly for three minutes, longer than the two-minute idle time in all...
    for letters in ("Ann", " Vis", "itor"):
        page.clock.fast_forward(60_000)
        name.press_sequentially(letters)
    expect(page.get_by_role("heading", name="Accept the policy")).to_be_visible()
    expect(name).to_have_value("Ann Visitor")
    # ...then walks away: two minutes later the screen is back at the start, and empty.
    page.clock.fast_forward(121_000)
    expect(page.get_by_role("heading", name="Welcome to Westacre Infant School")).to_be_visible()
    page.goto(live_server.url + "/accept?channel=kiosk")
    expect(page.get_by_label("Full name")).to_have_value("")


def test_a_personal_links_thank_you_never_counts_down(live_server, new_context):
    from kiosk.roster import add_person

    with live_server.database():
        person = add_person("Gina Governor", "gina@example.org", "governor")
    page = new_context(**PHONE).new_page()
    page.clock.install()
    page.goto(f"{live_server.url}/p/{person.token}")
    page.get_by_role("link", name="Continue to accept").click()
    page.get_by_label("I have read and accept the policy").check()
    page.get_by_role("button", name="Accept").click()
    thanks = page.get_by_role("heading", name="Thank you, Gina Governor")
    expect(thanks).to_be_visible()
    expect(page.get_by_text("goes back to the start")).to_have_count(0)
    page.clock.run_for(300_000)  # every timer due in five minutes fires, one after another
    expect(thanks).to_be_visible()


def test_the_public_pages_fit_320_pixels_even_with_larger_text(live_server, new_context):
    """320 CSS pixels is a 1280-pixel screen at 400% zoom, or a small phone: nothing is cut off
    and nothing needs sideways scrolling, with the kiosk's larger text too."""
    page = new_context(viewport={"width": 320, "height": 640}, is_mobile=True,
                       has_touch=True).new_page()
    for path in ("/", "/policy?channel=kiosk", "/accept?channel=kiosk", "/privacy?channel=kiosk",
                 "/kiosk/pair"):
        for larger in (False, True):
            page.goto(live_server.url + path)
            scripts_started(page)
            if larger and page.get_by_role("button", name="Larger text").is_visible():
                page.get_by_role("button", name="Larger text").click()
            assert page.evaluate("document.documentElement.scrollWidth") <= 320, (path, larger)
