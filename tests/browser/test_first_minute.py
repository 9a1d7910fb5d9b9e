"""The visitor's first minute and the school's first day, in Chromium at the sizes people use: a
portrait and a landscape tablet, a phone and a small phone."""

from __future__ import annotations

import io
import os
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from kiosk.models import Acceptance, SchoolImage, SchoolSettings, utcnow
from kiosk.school import process_image

from ..helpers import make_policy, make_user
from .conftest import scripts_started, sign_in

PORTRAIT = {"viewport": {"width": 1024, "height": 1366}, "is_mobile": True, "has_touch": True}
LANDSCAPE = {"viewport": {"width": 1366, "height": 1024}, "is_mobile": True, "has_touch": True}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}
SMALL_PHONE = {"viewport": {"width": 320, "height": 640}, "is_mobile": True, "has_touch": True}
SIZES = {"tablet": PORTRAIT, "landscape": LANDSCAPE, "phone": PHONE, "small-phone": SMALL_PHONE}
TABLETS = ("tablet", "landscape")


def start_of(size: str) -> str:
    """Where each starts: the kiosk's policy on a tablet, the QR code's address on a phone."""
    return "/policy?channel=kiosk" if size in TABLETS else "/phone"


def box(locator) -> dict:
    locator.page.wait_for_load_state("load")  # measured with the stylesheet, not before it
    found = locator.bounding_box()
    assert found is not None, f"{locator} is not on the page"
    return found


def bottom(locator) -> float:
    found = box(locator)
    return found["y"] + found["height"]


def set_up_school(server, *, logo: bool = False, photo: bool = False) -> None:
    """What the head saves on the set-up screen, written straight to the database."""
    with server.database():
        row = SchoolSettings.create(dsl_name="Dee Safeguard", completed_at=utcnow(),
                                    thanks_next_step="Please sign the visitors' book.")
        for kind, wanted in (("logo", logo), ("dsl_photo", photo)):
            if wanted:
                out = io.BytesIO()
                Image.new("RGB", (400, 300), (30, 80, 160)).save(out, format="PNG")
                image = process_image(out.getvalue(), kind)
                stored = SchoolImage.create(kind=kind, content_type=image.content_type,
                                            data=image.data, digest=f"{kind}-digest-0123456789")
                setattr(row, f"{kind}_digest", stored.digest)
        row.save()


def accept(page, name: str = "Ann Visitor") -> None:
    page.get_by_label("Full name").fill(name)
    page.get_by_label("Visitor", exact=True).check()
    page.get_by_label("I have read and accept the policy").check()
    page.get_by_role("button", name="Accept").click()


@pytest.mark.parametrize("size", SIZES)
def test_accept_is_reachable_at_once_and_the_full_text_is_one_tap_away(live_server, new_context,
                                                                       assert_accessible, size):
    viewport = SIZES[size]["viewport"]
    with live_server.database():  # the head published new key points with version 2
        make_policy(2, key_points="Phones away near children.\nNo photos of pupils, please.\n"
                                  "Ask at the office if you are unsure.")
    page = new_context(**SIZES[size]).new_page()
    page.goto(live_server.url + start_of(size))
    expect(page.get_by_role("heading", name="What this means for you today")).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text="No photos of pupils, please.")
           ).to_be_visible()
    continue_link = page.get_by_role("link", name="Continue to accept")
    # On a tablet the first screen; on a phone, one scroll at most.
    screens = 1 if size in TABLETS else 2
    assert bottom(continue_link) <= viewport["height"] * screens
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert_accessible(page)

    full_text = page.get_by_text("Version 2 of the text.")
    expect(full_text).to_be_hidden()
    page.get_by_text("Read the full policy").click()
    expect(full_text).to_be_visible()
    assert_accessible(page)

    continue_link.click()
    accept(page)
    expect(page.get_by_role("heading", name="Thank you, Ann Visitor")).to_be_visible()
    with live_server.database():
        [row] = Acceptance.select()
        assert row.policy_version.number == 2  # the version whose key points were shown


@pytest.mark.parametrize("size", SIZES)
def test_the_accept_forms_errors_sit_beside_their_fields_in_the_forms_order(
        live_server, new_context, assert_accessible, size):
    viewport = SIZES[size]["viewport"]
    page = new_context(**SIZES[size]).new_page()
    channel = "kiosk" if size in TABLETS else "phone"
    page.goto(f"{live_server.url}/accept?channel={channel}")
    page.get_by_role("button", name="Accept").click()

    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_be_focused()
    links = summary.get_by_role("link")
    expect(links).to_have_text(["Please enter your full name.",
                                "Please choose what best describes you.",
                                "Please tick to show you have read and accept the policy."])
    # Each error is just above its field.
    name = page.get_by_label("Full name")
    name_error = page.locator("p.error-message").filter(has_text="Please enter your full name.")
    assert 0 <= box(name)["y"] - bottom(name_error) < 20
    role_error = page.locator("p.error-message").filter(has_text="what best describes you")
    visitor = page.locator(".tile").filter(has=page.get_by_label("Visitor", exact=True))
    parent = page.locator(".tile").filter(has=page.get_by_label("Parent or carer"))
    assert bottom(role_error) <= box(visitor)["y"]
    # The grid of tiles is intact: Visitor first, Parent beside it on a wide screen, below on
    # a narrow one; nothing wider than the screen.
    if viewport["width"] >= 720:
        assert box(parent)["y"] == box(visitor)["y"] and box(parent)["x"] > box(visitor)["x"]
    else:
        assert box(parent)["y"] > box(visitor)["y"] and box(parent)["x"] == box(visitor)["x"]
    assert box(visitor)["x"] <= box(name)["x"] + 2
    tick = page.get_by_label("I have read and accept the policy")
    tick_tile = page.locator(".tile").filter(has=tick)
    inner, outer = box(tick), box(tick_tile)
    assert outer["x"] <= inner["x"] and inner["x"] + inner["width"] <= outer["x"] + outer["width"]
    assert outer["y"] <= inner["y"] and bottom(tick) <= bottom(tick_tile)
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert_accessible(page)

    links.nth(1).click()
    expect(page.get_by_label("Visitor", exact=True)).to_be_focused()
    links.nth(0).click()
    expect(name).to_be_focused()
    name.fill("Ann Visitor")
    page.get_by_role("button", name="Accept").click()
    expect(links).to_have_text(["Please choose what best describes you.",
                                "Please tick to show you have read and accept the policy."])
    expect(name_error).to_have_count(0)
    with live_server.database():
        assert Acceptance.select().count() == 0


def test_without_javascript_the_summary_is_in_the_forms_order_with_links(live_server,
                                                                          new_context):
    page = new_context(java_script_enabled=False, **PHONE).new_page()
    page.goto(live_server.url + "/accept?channel=phone")
    page.get_by_label("I have read and accept the policy").check()
    page.get_by_role("button", name="Accept").click()
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary.get_by_role("link")).to_have_text([
        "Please enter your full name.", "Please choose what best describes you."])
    expect(summary.get_by_role("link").first).to_have_attribute("href", "#full_name")


@pytest.mark.parametrize("size", ["landscape", "phone"])
def test_the_thank_you_names_the_next_step_and_who_to_speak_to(live_server, new_context,
                                                               assert_accessible, size):
    set_up_school(live_server, photo=True)
    viewport = SIZES[size]["viewport"]
    context = new_context(**SIZES[size])
    page = context.new_page()
    page.clock.install()
    page.goto(live_server.url + start_of(size))
    expect(page.get_by_text("Speak to our Designated Safeguarding Lead, Dee Safeguard")).to_be_visible()
    page.get_by_role("link", name="Continue to accept").click()
    accept(page)
    heading = page.get_by_role("heading", name="Thank you, Ann Visitor")
    expect(heading).to_be_visible()
    expect(page.get_by_text("Please sign the visitors' book.")).to_be_visible()
    dsl = page.get_by_role("region", name="Worried about a child?")
    expect(dsl.get_by_role("img", name="Photo of Dee Safeguard")).to_be_visible()
    assert_accessible(page)
    if size == "landscape":
        # The width is used: who to speak to sits beside the thanks, and nothing is below the fold.
        assert box(dsl)["x"] > box(heading)["x"] + box(heading)["width"] / 2
        assert bottom(page.get_by_role("link", name="Finish")) <= viewport["height"]
        page.clock.fast_forward(6_000)  # the live server's thank-you lasts 5 seconds
        expect(page.get_by_role("heading", name="Welcome to Westacre Infant School")).to_be_visible()
    else:
        expect(page.get_by_text("goes back to the start")).to_have_count(0)
        page.clock.run_for(120_000)  # every timer due in two minutes fires
        expect(heading).to_be_visible()  # a phone's thank-you stays until its owner closes it


def test_the_landscape_kiosk_home_uses_the_width_and_has_a_discreet_way_in_for_staff(
        live_server, new_context, assert_accessible):
    set_up_school(live_server, logo=True)
    page = new_context(**LANDSCAPE).new_page()
    page.goto(live_server.url + "/")
    start = page.get_by_role("link", name="Read and accept the policy")
    qr = page.get_by_role("region", name="Or use your own phone")
    staff = page.get_by_role("link", name="Staff sign in")
    expect(page.get_by_role("img", name="Westacre Infant School logo")).to_be_visible()
    assert box(qr)["x"] >= box(start)["x"] + box(start)["width"]  # side by side
    for locator in (start, qr, staff):
        assert bottom(locator) <= 1024
    assert page.evaluate("document.documentElement.scrollHeight") <= 1024
    # Small, but still a comfortable tap.
    staff_font = staff.evaluate("link => parseFloat(getComputedStyle(link).fontSize)")
    start_font = start.evaluate("link => parseFloat(getComputedStyle(link).fontSize)")
    assert staff_font < start_font and box(staff)["height"] >= 48
    assert_accessible(page)
    page.clock.install()
    staff.click()
    expect(page.get_by_role("heading", name="Staff sign in")).to_be_visible()
    scripts_started(page)
    # A teacher who taps it and walks away leaves the kiosk at the visitors' start again.
    page.clock.fast_forward(121_000)
    expect(page.get_by_role("heading", name="Welcome to Westacre Infant School")).to_be_visible()


def test_the_logo_is_on_the_phone_pages_too(live_server, new_context):
    set_up_school(live_server, logo=True)
    page = new_context(**PHONE).new_page()
    page.goto(live_server.url + "/phone")
    logo = page.get_by_role("banner").locator("img")
    expect(logo).to_be_visible()
    assert logo.evaluate("img => img.naturalWidth") > 0  # the picture really loaded


def noise_png(path, side: int) -> None:
    """A picture that does not compress: its file is about side x side x 3 bytes."""
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(path, format="PNG")


def save_set_up(page, *, logo, photo) -> None:
    """Fill in what the set-up screen requires, choose the two pictures and save."""
    page.get_by_label("Designated Safeguarding Lead's name").fill("Dee Safeguard")
    page.get_by_label("When the policy is next due for review").fill(f"{utcnow().year + 1}-09-30")
    page.get_by_label(re.compile("School logo")).set_input_files(logo)
    page.get_by_label(re.compile("Their photo")).set_input_files(photo)
    page.get_by_role("button", name="Save the set-up").click()


def test_the_head_sets_up_the_school_and_prints_the_poster(live_server, new_context,
                                                           assert_accessible, tmp_path):
    with live_server.database():
        head = make_user("head", email="head@westacre.sch.uk", display_name="Alex Edmunds")
    not_a_picture = tmp_path / "staff.csv"
    not_a_picture.write_text("name,email\nAnn,ann@example.org\n")
    too_big = tmp_path / "huge.png"
    noise_png(too_big, 1400)  # about 5.9 MB
    logo, photo = tmp_path / "logo.png", tmp_path / "dee.jpg"
    Image.new("RGBA", (900, 300), (29, 79, 145, 255)).save(logo)
    Image.new("RGB", (1200, 1600), (120, 90, 60)).save(photo, format="JPEG")

    context = new_context(**PORTRAIT)
    context.add_init_script("window.print = () => { window.__printed = true; };")
    page = context.new_page()
    sign_in(page, live_server, head.email)
    assert_accessible(page)
    page.get_by_role("link", name="Finish setting up the kiosk").click()
    expect(page.get_by_role("heading", name="Set up the kiosk for your school")).to_be_visible()
    expect(page.get_by_text("phones cannot open it")).to_be_visible()  # served on 127.0.0.1
    assert_accessible(page)

    save_set_up(page, logo=not_a_picture, photo=too_big)
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_be_focused()
    expect(page.locator("#logo-error")).to_contain_text("Please choose a picture")
    expect(page.locator("#dsl_photo-error")).to_contain_text("too large: please choose one under 5 MB")
    assert_accessible(page)
    with live_server.database():
        assert SchoolSettings.select().count() == 0

    save_set_up(page, logo=logo, photo=photo)
    expect(page.get_by_text("Set-up saved.")).to_be_visible()
    expect(page.get_by_role("img", name="The school's logo now")).to_be_visible()
    assert_accessible(page)

    page.goto(live_server.url + "/staff/")
    page.get_by_role("link", name="Poster for the entrance").click()
    warning = page.get_by_role("status").filter(has_text="Check the address before you print")
    expect(warning).to_contain_text("phones cannot open it")
    expect(page.get_by_role("img", name="Westacre Infant School logo")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Print the poster").click()
    assert page.evaluate("() => window.__printed === true")
    page.emulate_media(media="print")
    expect(warning).to_be_hidden()
    expect(page.get_by_role("button", name="Print the poster")).to_be_hidden()
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    page.emulate_media(media="screen")

    page.goto(live_server.url + "/admin/setup")
    page.get_by_label("The kiosk's public address").fill("https://kiosk.westacre.sch.uk")
    page.get_by_role("button", name="Save the set-up").click()
    expect(page.get_by_text("Set-up saved.")).to_be_visible()
    page.goto(live_server.url + "/poster")
    expect(page.get_by_text("https://kiosk.westacre.sch.uk/phone")).to_be_visible()
    expect(page.get_by_text("Check the address before you print")).to_have_count(0)


@pytest.mark.parametrize("size", ["tablet", "small-phone"])
def test_the_privacy_notice_beside_accept_follows_the_retention_settings(
        live_server, new_context, assert_accessible, size):
    page = new_context(**SIZES[size]).new_page()
    channel = "kiosk" if size in TABLETS else "phone"
    page.goto(f"{live_server.url}/accept?channel={channel}")
    link = page.get_by_role("link", name=re.compile("How we use your information"))
    accept_button = page.get_by_role("button", name="Accept")
    # Beside the button: level with it on a tablet, just below it on a small phone.
    if size in TABLETS:
        assert abs(box(link)["y"] + box(link)["height"] / 2
                   - box(accept_button)["y"] - box(accept_button)["height"] / 2) < 30
    else:
        assert 0 <= box(link)["y"] - bottom(accept_button) < 40
    link.click()
    expect(page.get_by_role("heading", name="How we use your information")).to_be_visible()
    kept = page.get_by_role("listitem").filter(has_text="If you visit once")
    expect(kept).to_contain_text("1 year after you accept")
    assert_accessible(page)
    with live_server.database():
        from kiosk.models import RetentionSetting
        RetentionSetting.create(kind="visitor_acceptances", days=548)
    page.reload()
    expect(kept).to_contain_text("18 months after you accept")
    page.get_by_role("link", name="Back to accepting the policy").click()
    expect(page.get_by_role("heading", name="Accept the policy")).to_be_visible()
