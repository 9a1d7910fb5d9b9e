"""Logging a breach by keyboard alone (issue 16, WCAG 2.2 AA: 2.1.1 Keyboard, 2.4.7 Focus
Visible): from the staff home to the saved record with Tab, Shift+Tab, Enter, Space, the arrow
keys and typing, never a click or a fill, and every control reached showing its focus ring."""

from __future__ import annotations

import datetime as dt
import json
import re

from playwright.sync_api import expect

from kiosk.models import Breach, as_local

from ..helpers import SCHOOL_ZONE, make_acceptance, make_user
from .conftest import scripts_started, sign_in, until

IPAD_KEYBOARD = {"viewport": {"width": 1024, "height": 1366}}
CONDUCT = re.compile("^Breaking the school.s codes of conduct")

# An element as its computed style draws it, and for a radio or a tick its label too: the tile
# a person sees. The ring is kiosk.css's :focus-visible (a 3px outline and a 6px yellow
# box-shadow), on the label of a tile whose input has the focus.
FOCUS_STYLE = """element => {
  const drawn = node => {
    const style = getComputedStyle(node);
    return {outlineStyle: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth),
            outlineColor: style.outlineColor, boxShadow: style.boxShadow};
  };
  const tile = ["radio", "checkbox"].includes(element.type) && element.labels[0];
  return {element: element.outerHTML.slice(0, 120), ...drawn(element),
          label: tile ? drawn(tile) : null, focusVisible: element.matches(":focus-visible"),
          windowFocused: document.hasFocus(), visibility: document.visibilityState};
}"""
# The parts of a date-and-time field in the order the browser's language shows them (Chromium's
# headless shell: month, day, year, hour, minute, AM or PM).
DATE_PARTS = """() => new Intl.DateTimeFormat(undefined, {year: "numeric", month: "2-digit",
  day: "2-digit", hour: "2-digit", minute: "2-digit"}).formatToParts(new Date(2000, 0, 2, 10, 30))
  .map(part => part.type).filter(type => type !== "literal")"""
# One shadow of a computed box-shadow: colour, x, y, blur, spread.
SHADOW = re.compile(r"(rgba?\([^)]*\))\s+(-?[\d.]+)px\s+(-?[\d.]+)px\s+(-?[\d.]+)px\s+(-?[\d.]+)px")


def transparent(colour: str) -> bool:
    return colour == "transparent" or bool(re.fullmatch(r"rgba\(.*,\s*0\)", colour))


def ring_of(style: dict) -> str | None:
    """What draws the focus ring, or None: an outline at least 2px wide, or a box-shadow spread
    at least 2px round the element (a drop shadow, like a button's own, does not count). An
    element has neither unless a focus rule gave it one."""
    if (style["outlineStyle"] != "none" and style["outlineWidth"] >= 2
            and not transparent(style["outlineColor"])):
        return f"{style['outlineWidth']:g}px {style['outlineStyle']} outline"
    for colour, _x, _y, _blur, spread in SHADOW.findall(style["boxShadow"]):
        if float(spread) >= 2 and not transparent(colour):
            return f"{float(spread):g}px box-shadow"
    return None


def assert_ringed(style: dict) -> None:
    said = json.dumps(style)  # whole: pytest would shorten a dict, hiding :focus-visible
    assert ring_of(style), said
    if style["label"]:
        assert ring_of(style["label"]), said


def assert_focus_ring(expected) -> None:
    """`expected` (found by role and name) has the focus, and shows it."""
    expect(expected).to_be_focused()
    assert_shown(lambda: expected.evaluate(FOCUS_STYLE))


def assert_shown(read) -> None:
    """The focused element's style, as `read` returns it, draws the ring (once the browser has
    drawn the focus: on a busy machine the style is read a moment after the key)."""
    def drawn() -> bool:
        style = read()
        return ring_of(style) is not None and (not style["label"] or ring_of(style["label"]))
    until(drawn, timeout=5)
    assert_ringed(read())


def press(page, key: str, expected) -> None:
    """Press a key; the focus lands on `expected`, visibly."""
    page.keyboard.press(key)
    assert_focus_ring(expected)


def tab_to(page, expected, most: int = 15) -> int:
    """Tab until `expected` has the focus, each stop on the way showing its ring; how many
    presses it took."""
    for presses in range(1, most + 1):
        page.keyboard.press("Tab")
        assert_shown(lambda: page.evaluate(f"() => ({FOCUS_STYLE})(document.activeElement)"))
        if expected.evaluate("element => element === document.activeElement"):
            return presses
    raise AssertionError(f"{expected} not reached in {most} presses of Tab")


def type_date_and_time(page, moment: dt.datetime) -> None:
    """Type a time into the focused date-and-time field, part by part. A full part moves on to
    the next by itself; the year (up to six digits) needs the right arrow."""
    typed = {"day": f"{moment:%d}", "month": f"{moment:%m}", "year": f"{moment:%Y}",
             "hour": f"{moment:%H}", "minute": f"{moment:%M}", "dayPeriod": f"{moment:%p}"[0]}
    parts = page.evaluate(DATE_PARTS)
    if "dayPeriod" in parts:
        typed["hour"] = f"{moment:%I}"
    for part in parts:
        page.keyboard.type(typed[part])
        if part == "year":
            page.keyboard.press("ArrowRight")


def skip_to_main(page) -> None:
    """A new page: the first Tab is the skip link, Enter takes the focus to the main content.
    Chromium focuses the target of a #fragment again once the page has finished loading and
    rendering: on a loaded machine that came a moment after the next Tab, and took the focus
    back to the main content from the control the Tab had reached. So the page has loaded
    before the skip link is used."""
    page.wait_for_load_state("load")
    press(page, "Tab", page.get_by_role("link", name="Skip to main content"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()


def test_a_teacher_logs_a_breach_by_keyboard_alone_seeing_the_focus_at_every_step(
        live_server, new_context):
    with live_server.database():
        teacher = make_user("staff", email="teacher@westacre.sch.uk")
        sam = make_acceptance(full_name="Sam Parent", role="parent")
        make_acceptance(full_name="Priya Shah")  # the newest: the first tile after "Not listed"
    page = new_context(**IPAD_KEYBOARD).new_page()
    sign_in(page, live_server, teacher.email)  # the helper types and clicks; from here, keys only
    page.bring_to_front()  # the focused window: :focus-visible matches only in one
    scripts_started(page)  # the page's modules have run: nothing moves the focus after a key

    # The staff home: past the header by the skip link, to the second tile.
    skip_to_main(page)
    press(page, "Tab", page.get_by_role("link", name="A child told me something"))
    press(page, "Tab", page.get_by_role("link", name="Log a breach"))
    page.keyboard.press("Enter")

    # Step 1, who.
    expect(page.get_by_role("heading", name="Who was it?")).to_be_visible()
    skip_to_main(page)
    press(page, "Tab", page.get_by_role("link", name="Visitor", exact=True))
    page.keyboard.press("Enter")

    # Step 2, what: one Tab too far, and back.
    expect(page.get_by_role("heading", name="What happened?")).to_be_visible()
    skip_to_main(page)
    assert tab_to(page, page.get_by_role("link", name=CONDUCT)) == 7
    press(page, "Tab", page.get_by_role("link", name=re.compile("^Social networking")))
    press(page, "Shift+Tab", page.get_by_role("link", name=CONDUCT))
    page.keyboard.press("Enter")

    # Step 3, the details.
    expect(page.get_by_role("heading", name=CONDUCT)).to_be_visible()
    skip_to_main(page)
    who = page.get_by_role("group", name="Who was it? (optional)")
    # The radio group is one Tab stop; the arrow keys move along it and choose.
    press(page, "Tab", who.get_by_role("radio", name="Not listed, or not known", checked=True))
    press(page, "ArrowDown", who.get_by_role("radio", name=re.compile("^Priya Shah"), checked=True))
    press(page, "ArrowDown", who.get_by_role("radio", name=re.compile("^Sam Parent"), checked=True))
    press(page, "Tab", page.get_by_role("textbox", name="Their name, if known (optional)"))

    more = page.get_by_text("More details: when, where, what happened, what was done")
    press(page, "Tab", more)
    when = page.get_by_label("When")
    expect(when).to_be_hidden()
    page.keyboard.press("Enter")  # unfolds
    expect(when).to_be_visible()

    # It opens at the time now; the teacher types yesterday at 10:30.
    yesterday = dt.datetime.combine(dt.datetime.now(SCHOOL_ZONE).date() - dt.timedelta(days=1),
                                    dt.time(10, 30))
    press(page, "Tab", when)
    type_date_and_time(page, yesterday)
    expect(when).to_have_value(f"{yesterday:%Y-%m-%dT%H:%M}")
    # Past the minutes, then the field's calendar button (Chromium's own: see the report in
    # test_the_calendar_button_of_when_shows_the_focus_ring), to Where.
    page.keyboard.press("Tab")
    press(page, "Tab", page.get_by_role("textbox", name="Where (optional)"))
    page.keyboard.type("The playground gate")
    press(page, "Tab", page.get_by_role("textbox", name="What happened (optional)"))
    page.keyboard.type("Filmed the sports day over the fence and would not stop.")

    actions = page.get_by_role("group", name="Actions already taken (optional)")
    stop = actions.get_by_role("checkbox", name="Asked them to stop")
    press(page, "Tab", stop)
    page.keyboard.press("Space")
    expect(stop).to_be_checked()
    leave = actions.get_by_role("checkbox", name="Asked them to leave the premises")
    assert tab_to(page, leave) == 3
    page.keyboard.press("Space")
    expect(leave).to_be_checked()

    safeguarding = page.get_by_role("checkbox", name="This is a safeguarding matter: tell the DSL")
    assert tab_to(page, safeguarding) == 3  # past "Told the headteacher" and "Told the DSL"
    expect(page.get_by_text("The DSL and the headteacher will see this.")).to_be_visible()
    page.keyboard.press("Space")
    expect(safeguarding).to_be_checked()
    expect(page.get_by_text("The DSL will be told at once.")).to_be_visible()

    press(page, "Tab", page.get_by_role("button", name="Save", exact=True))
    page.keyboard.press("Enter")

    # Saved, once: the thanks, one line in My reports, one row.
    expect(page.get_by_role("heading", name="My reports")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Saved. Thank you.")).to_be_visible()
    expect(page.get_by_role("link", name=CONDUCT)).to_have_count(1)
    with live_server.database():
        [breach] = Breach.select()
        assert breach.reporter_id == teacher.id and breach.acceptance_id == sam.id
        assert breach.subject_kind == "visitor" and breach.category.slug == "conduct"
        assert as_local(breach.occurred_at, SCHOOL_ZONE).replace(tzinfo=None) == yesterday
        assert breach.location == "The playground gate"
        assert breach.description == "Filmed the sports day over the fence and would not stop."
        assert breach.action_codes == ["asked_to_stop", "asked_to_leave"]
        assert breach.safeguarding


def test_the_calendar_button_of_when_shows_the_focus_ring(live_server, new_context):
    with live_server.database():
        teacher = make_user("staff", email="teacher@westacre.sch.uk")
    page = new_context(**IPAD_KEYBOARD).new_page()
    sign_in(page, live_server, teacher.email)
    page.goto(live_server.url + "/staff/breaches/new?who=visitor&category=conduct")
    skip_to_main(page)
    more = page.get_by_text("More details: when, where, what happened, what was done")
    assert tab_to(page, more) == 2  # after "Their name"
    page.keyboard.press("Enter")
    when = page.get_by_label("When")
    press(page, "Tab", when)
    for _part in page.evaluate(DATE_PARTS)[1:]:  # along the parts, each with the ring
        press(page, "Tab", when)
    page.keyboard.press("Tab")  # the calendar button
    assert page.get_by_role("textbox", name="Where (optional)").evaluate(
        "element => element !== document.activeElement")
    assert_focus_ring(when)
