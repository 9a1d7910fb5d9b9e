"""A busy day on the classroom iPad: the newest of today's visitors as tiles, a search by name
for anyone earlier (with and without the page's script), and a person chosen online still
reaching the record when the connection drops before it is sent."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from kiosk.models import Breach, DeletionRequest

from ..helpers import make_user
from ..test_busy_day import fill_the_day
from .conftest import PHONE, TABLET, sign_in
from .test_offline import all_sent, controlled, rows, wait_for_rows

IPAD_PORTRAIT = {"viewport": {"width": 768, "height": 1024}, "is_mobile": True, "has_touch": True}
SEARCH = "Search today's visitors by name"
# A visitor's tile: the name, then the role and the time apart.
VISITOR_TILE = re.compile(r", \d+:\d\d[ap]m$")


def busy_teacher(live, count: int = 30):
    """A teacher, and `count` of today's visitors with Olwen Price among the earlier ones."""
    with live.database():
        teacher = make_user("staff", email="teacher@westacre.sch.uk", display_name="Teacher One")
    olwen = fill_the_day(live.database(), count, **{"Olwen Price": 25})["Olwen Price"]
    return teacher, olwen


def assert_big_enough(*controls) -> None:
    for control in controls:
        control.page.wait_for_load_state("load")  # measured with the stylesheet, not before it
        box = control.bounding_box()
        assert box["height"] >= 48 and box["width"] >= 48, box


def test_the_who_step_shows_the_newest_twelve_and_the_keyboard_finds_an_earlier_one(
        live_server, new_context, assert_accessible):
    teacher, olwen = busy_teacher(live_server)
    page = new_context(**TABLET).new_page()
    sign_in(page, live_server, teacher.email)
    page.get_by_role("link", name="Log a breach").click()
    tiles = page.get_by_role("link", name=VISITOR_TILE)
    expect(tiles).to_have_count(12)
    expect(page.get_by_text("The 12 most recent of the 30 people who signed in today.")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Olwen Price"))).to_have_count(0)
    box, button = page.get_by_label(SEARCH), page.get_by_role("button", name="Search")
    assert_big_enough(box, button)
    assert_accessible(page)

    # The keyboard's path: from the last kind of person to the box, type, Enter.
    page.get_by_role("link", name="Not known", exact=True).focus()
    page.keyboard.press("Tab")
    expect(box).to_be_focused()
    page.keyboard.type("olwen")
    page.keyboard.press("Enter")
    found = page.get_by_role("heading", name="1 person who signed in today matches “olwen”.")
    expect(found).to_be_focused()  # so a screen reader says what the search found
    expect(tiles).to_have_count(1)
    expect(box).to_have_value("olwen")
    assert_accessible(page)
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Clear the search")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name=re.compile("^Olwen Price"))).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="What happened?")).to_be_visible()
    page.get_by_role("link", name="Photographing or recording pupils or staff on a phone").click()
    expect(page.get_by_text("About: Olwen Price.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Yes, they were asked to delete it: save").click()
    expect(page.get_by_text("Saved. Thank you.")).to_be_visible()
    with live_server.database():
        assert Breach.get().acceptance_id == olwen.id
        assert DeletionRequest.get().acceptance_id == olwen.id


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_the_details_step_searches_and_the_person_found_is_the_one_saved(
        live_server, new_context, assert_accessible, javascript):
    teacher, olwen = busy_teacher(live_server)
    page = new_context(**IPAD_PORTRAIT, java_script_enabled=javascript).new_page()
    sign_in(page, live_server, teacher.email)
    page.goto(live_server.url + "/staff/breaches/new?who=visitor&category=photographing")
    group = page.get_by_role("group", name="Who was it? (optional)")
    expect(group.get_by_role("radio")).to_have_count(13)  # "Not listed" and the newest 12
    expect(group.get_by_label("Not listed, or not known")).to_be_checked()
    assert_big_enough(group.get_by_label(SEARCH), group.get_by_role("button", name="Search"))
    if javascript:  # axe runs in the page's JavaScript
        assert_accessible(page)
    group.get_by_label(SEARCH).fill("PRICE")
    group.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/staff/breaches/new\?.*#visitors-found$"))
    query = parse_qs(urlsplit(page.url).query)
    assert query == {"who": ["visitor"], "category": ["photographing"], "search": ["PRICE"]}
    expect(page.get_by_role("heading", name="1 person who signed in today matches “PRICE”."))\
        .to_be_visible()
    expect(page.get_by_role("heading", name="Photographing or recording pupils or staff on a phone"))\
        .to_be_visible()  # still step 3, what happened kept
    expect(group.get_by_role("radio")).to_have_count(2)
    if javascript:  # axe runs in the page's JavaScript
        assert_accessible(page)
    group.get_by_label(re.compile("^Olwen Price")).check()
    page.get_by_role("button", name="Yes, they were asked to delete it: save").click()
    expect(page.get_by_text("Saved. Thank you.")).to_be_visible()
    expect(page.get_by_role("link", name="Photo: Olwen Price")).to_be_visible()
    with live_server.database():
        assert Breach.get().acceptance_id == olwen.id


def test_the_deletion_form_and_todays_visitors_search_and_page(live_server, new_context,
                                                               assert_accessible):
    teacher, olwen = busy_teacher(live_server, count=60)
    page = new_context(**PHONE).new_page()
    sign_in(page, live_server, teacher.email)
    page.get_by_role("link", name="Someone was asked to delete material").click()
    group = page.get_by_role("group", name="Someone who signed in today? (optional)")
    expect(group.get_by_role("radio")).to_have_count(13)
    assert_big_enough(group.get_by_label(SEARCH), group.get_by_role("button", name="Search"))
    assert_accessible(page)
    group.get_by_label(SEARCH).fill("olwen")
    group.get_by_label(SEARCH).press("Enter")
    expect(page.get_by_role("heading", name=re.compile("^1 person who signed in"))).to_be_focused()
    assert_accessible(page)
    group.get_by_label(re.compile("^Olwen Price")).check()
    page.get_by_label("Photo", exact=True).check()
    page.get_by_label("On their device").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved. Record what happened when you know.")).to_be_visible()
    with live_server.database():
        assert DeletionRequest.get().acceptance_id == olwen.id

    page.goto(live_server.url + "/staff/")
    page.get_by_role("link", name="Today's visitors").click()
    expect(page.get_by_text("60 people have signed in today.")).to_be_visible()
    expect(page.get_by_role("row")).to_have_count(51)  # the heading's row and 50
    assert_accessible(page)
    page.get_by_role("link", name="Show earlier visitors").click()
    expect(page.get_by_role("heading", name="Earlier today")).to_be_focused()
    expect(page.get_by_role("row")).to_have_count(11)
    assert_big_enough(page.get_by_role("link", name="Back to the most recent"))
    assert_accessible(page)
    page.get_by_label(SEARCH).fill("price")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="1 person who signed in today matches “price”"))\
        .to_be_focused()
    expect(page.get_by_role("row", name=re.compile("Olwen Price"))).to_have_count(1)
    expect(page.get_by_role("row")).to_have_count(2)
    assert_accessible(page)


def test_offline_no_visitor_is_cached_and_one_chosen_online_still_arrives(live_server, new_context,
                                                                          assert_accessible):
    teacher, olwen = busy_teacher(live_server)
    context = new_context(**TABLET)
    page = context.new_page()
    sign_in(page, live_server, teacher.email)
    controlled(page)
    page.goto(live_server.url + "/staff/breaches/new?who=visitor&category=photographing&search=olwen")
    page.get_by_role("group", name="Who was it? (optional)").get_by_label(
        re.compile("^Olwen Price")).check()
    context.set_offline(True)  # the connection drops before Save
    page.get_by_role("button", name="Yes, they were asked to delete it: save").click()
    expect(page.get_by_text("Saved on this iPad. It will be sent when the connection is back.")
           ).to_be_visible()
    # The offline staff screen offers no list of today's visitors: nothing cached names one.
    page.goto(live_server.url + "/staff/breaches/new")
    expect(page.get_by_role("heading", name="Working offline")).to_be_visible()
    expect(page.get_by_text(re.compile("Olwen Price|Fair Visitor"))).to_have_count(0)
    assert_accessible(page)
    cached = page.evaluate("""async () => {
        const texts = [];
        for (const name of await caches.keys()) {
            const cache = await caches.open(name);
            for (const request of await cache.keys()) {
                texts.push(await (await cache.match(request)).text());
            }
        }
        return texts;
    }""")
    assert cached and not [text for text in cached if "Olwen Price" in text or "Fair Visitor" in text]
    assert rows(live_server, Breach) == []
    context.set_offline(False)
    all_sent(page)
    [breach] = wait_for_rows(live_server, Breach, 1)
    assert breach.acceptance_id == olwen.id and breach.subject_name == "Olwen Price"
