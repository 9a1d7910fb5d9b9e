"""The head's desk in Chromium: the live preview and the changes, the roster pages, axe."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from kiosk import roster

from ..helpers import make_acceptance, make_user
from .conftest import TABLET, sign_in

SHOTS = "/tmp/shots-policy"


def sign_in_head(page, server):
    with server.database():
        head = make_user("head", email="head@westacre.sch.uk")
    sign_in(page, server, head.email)


def open_policy_page(page, server):
    sign_in_head(page, server)
    page.get_by_role("link", name="Policy versions").click()
    expect(page.get_by_role("heading", name="Policy versions", level=1)).to_be_visible()
    return page.get_by_label("Text of the policy")


def test_the_preview_and_the_changes_follow_the_text_as_it_is_typed(live_server, new_context,
                                                                    assert_accessible):
    page = new_context(**TABLET).new_page()
    text = open_policy_page(page, live_server)
    expect(page.get_by_text("No changes yet.")).to_be_visible()
    assert_accessible(page)

    text.press("Control+End")
    text.type("\n\n## Photographs at events\n\nParents may photograph their own child only.")
    preview = page.locator("[data-preview]")
    expect(preview.get_by_role("heading", name="Photographs at events", level=2)).to_be_visible()
    changes = page.locator("[data-changes]")
    # In words, not Markdown: the section by its name, never its "## ".
    expect(changes.get_by_role("listitem")).to_have_text(["New section: Photographs at events"])
    expect(changes).not_to_contain_text("##")
    # Script typed into the policy never runs in the preview.
    text.type("\n\n<script>document.title = 'hacked'</script><img src=x onerror=alert(1)>")
    page.get_by_label(re.compile("^Key points")).press("Control+End")
    page.get_by_label(re.compile("^Key points")).type("\nAsk at the office.")
    expect(changes.get_by_role("listitem")).to_have_text(
        ["Key points changed", "New section: Photographs at events"])
    assert page.title() != "hacked" and preview.locator("script, img").count() == 0
    assert_accessible(page)

    page.get_by_label("Review due").fill("2027-09-30")
    page.get_by_role("button", name="Publish as version 2").click()
    # Nothing is published until the head confirms, on a page of its own.
    expect(page.get_by_role("heading", name="Publish version 2?", level=1)).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text="New section: Photographs at events")
           ).to_be_visible()
    assert "Version 1" in page.context.new_page().goto(live_server.url + "/policy").text()
    expect(page.get_by_label("A change everyone must accept again")).to_be_checked()
    assert_accessible(page)
    page.get_by_role("button", name="Yes, publish version 2").click()
    expect(page.get_by_text("Published as version 2.")).to_be_visible()
    page.goto(live_server.url + "/policy")
    page.get_by_text("Read the full policy").click()
    expect(page.get_by_role("heading", name="Photographs at events")).to_be_visible()
    expect(page.get_by_text("Version 2", exact=True)).to_be_visible()


def test_a_minor_change_is_confirmed_and_asks_nobody_on_the_roster_again(live_server, new_context,
                                                                         assert_accessible):
    with live_server.database():
        person = roster.add_person("Gina Governor", "gina@example.org", "governor")
        make_acceptance(full_name="Gina Governor", roster_person=person, channel="link")
    page = new_context(**TABLET).new_page()
    text = open_policy_page(page, live_server)
    text.fill(text.input_value().replace("Social Media", "Social-Media", 1))
    page.get_by_role("button", name="Publish as version 2").click()
    full = page.get_by_label("A change everyone must accept again")
    expect(page.locator("#change-full-hint")).to_contain_text(
        "1 person on the roster who has accepted version 1 will be asked to accept version 2")
    expect(page.locator("#change-minor-hint")).to_contain_text("nobody is asked to accept again")
    expect(full).to_be_checked()
    page.get_by_label("A minor change (no re-acceptance)").check()
    assert_accessible(page)
    page.get_by_role("button", name="Yes, publish version 2").click()
    expect(page.get_by_text("Published as version 2, a minor change to version 1.")).to_be_visible()
    expect(page.get_by_role("cell", name="Version 2, a minor change to version 1")).to_be_visible()
    visitor = new_context(viewport={"width": 390, "height": 844}).new_page()
    visitor.goto(f"{live_server.url}/p/{person.token}")
    expect(visitor.get_by_text("there is nothing more to do")).to_be_visible()
    expect(visitor.get_by_role("link", name="Continue to accept")).to_have_count(0)


def select_text(field, needle: str) -> None:
    """Select the first `needle` in a text box, as a person would by dragging over it."""
    field.evaluate("(area, needle) => { const at = area.value.indexOf(needle); area.focus();"
                   " area.setSelectionRange(at, at + needle.length); }", needle)


def test_the_toolbar_writes_markdown_at_the_selection(live_server, new_context, assert_accessible):
    page = new_context(**TABLET).new_page()
    text = open_policy_page(page, live_server)
    toolbar = page.get_by_role("toolbar", name="Formatting")
    expect(toolbar).to_be_visible()
    assert_accessible(page)
    text.fill("Mobile phones\n\nKeep phones away.\n\nOne\nTwo\n\nFirst\nSecond\n\nSee the guidance.")

    select_text(text, "Mobile phones")
    toolbar.get_by_role("button", name="Heading").click()
    select_text(text, "away")
    toolbar.get_by_role("button", name="Bold").click()
    select_text(text, "One\nTwo")
    toolbar.get_by_role("button", name="Bulleted list").click()
    select_text(text, "First\nSecond")
    toolbar.get_by_role("button", name="Numbered list").click()
    select_text(text, "the guidance")
    toolbar.get_by_role("button", name="Link").click()
    page.keyboard.type("https://www.gov.uk/kcsie")  # the address is selected, ready to type over
    expect(text).to_have_value("## Mobile phones\n\nKeep phones **away**.\n\n- One\n- Two\n\n"
                               "1. First\n2. Second\n\nSee [the guidance](https://www.gov.uk/kcsie).")
    preview = page.locator("[data-preview]")
    expect(preview.get_by_role("heading", name="Mobile phones", level=2)).to_be_visible()
    expect(preview.locator("strong")).to_have_text("away")
    expect(preview.get_by_role("link", name="the guidance")).to_be_visible()

    # Pressed again, Bold takes the stars off; undo still works after a button.
    select_text(text, "**away**")
    toolbar.get_by_role("button", name="Bold").click()
    expect(text).to_have_value(re.compile(r"Keep phones away\."))
    page.keyboard.press("Control+z")
    expect(text).to_have_value(re.compile(r"Keep phones \*\*away\*\*\."))

    # By keyboard: one Tab stop, the arrow keys move along it, Enter presses.
    text.press("Control+End")
    text.press("Enter")
    text.press("Enter")
    page.get_by_label("Title").focus()
    page.keyboard.press("Tab")  # the key points
    page.keyboard.press("Tab")  # the toolbar's first button
    expect(toolbar.get_by_role("button", name="Heading")).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(toolbar.get_by_role("button", name="Bulleted list")).to_be_focused()
    page.keyboard.press("End")
    expect(toolbar.get_by_role("button", name="Link")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")  # back into the toolbar: where the head left it
    expect(toolbar.get_by_role("button", name="Link")).to_be_focused()
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Enter")  # Bold, with nothing selected: words to type over
    page.keyboard.type("Take care")
    expect(text).to_have_value(re.compile(r"\n\n\*\*Take care\*\*$"))
    for width, height in ((1024, 1366), (768, 1024)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=f"{SHOTS}/policy-editor-{width}x{height}.png", full_page=True)


WORD_HTML = (
    "<html><head><style>p { color: red }</style></head><body><!--StartFragment-->"
    "<h1>Use of mobile phones</h1>"
    "<p class=MsoNormal style='color:red' onclick='document.title=\"hacked\"'>Staff <b>must not</b>"
    " use phones near children.</p>"
    "<ul><li>Phones away</li><li>No photos</li></ul>"
    "<script>document.title = 'hacked'</script><img src=x onerror=alert(1)>"
    "<!--EndFragment--></body></html>")


def paste(field, html: str, plain: str) -> None:
    """Paste as Word does: a ClipboardEvent carrying text/html and text/plain."""
    field.evaluate("""(area, [html, plain]) => {
        const data = new DataTransfer();
        data.setData("text/html", html);
        data.setData("text/plain", plain);
        area.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true,
                                                        cancelable: true }));
    }""", [html, plain])


def test_pasting_from_word_inserts_clean_markdown_at_the_cursor(live_server, new_context,
                                                                assert_accessible):
    page = new_context(**TABLET).new_page()
    text = open_policy_page(page, live_server)
    text.fill("Before.\n\nAfter.")
    select_text(text, "After.")
    page.evaluate("() => { const area = document.querySelector('textarea[name=body]');"
                  " area.setSelectionRange(9, 9); }")  # between the two paragraphs
    paste(text, WORD_HTML, "Use of mobile phones Staff must not use phones near children.")
    expect(text).to_have_value(
        "Before.\n\n## Use of mobile phones\n\nStaff **must not** use phones near children.\n\n"
        "- Phones away\n- No photos\n\nAfter.")
    value = text.input_value()
    assert "script" not in value and "onclick" not in value and "style" not in value
    assert "color" not in value and page.title() != "hacked"
    expect(page.get_by_role("status").filter(has_text="Pasted with its headings")).to_be_visible()
    assert_accessible(page)


def test_a_paste_the_server_cannot_clean_goes_in_as_plain_text(live_server, new_context):
    page = new_context(**TABLET).new_page()
    text = open_policy_page(page, live_server)
    text.fill("")
    page.route("**/admin/policy/paste", lambda route: route.abort())
    paste(text, "<p>Formatted <b>words</b></p>", "Formatted words")
    expect(text).to_have_value("Formatted words")
    expect(page.get_by_text("Pasted as plain text")).to_be_visible()


def test_the_roster_pages_and_a_personal_link_pass_axe(live_server, new_context, assert_accessible):
    with live_server.database():
        person = roster.add_person("Gina Governor", "gina@example.org", "governor")
    page = new_context(**TABLET).new_page()
    sign_in_head(page, live_server)
    for link in ["Roster", "Who has not accepted", "Retention"]:
        page.get_by_role("link", name="Home", exact=True).click()
        page.get_by_role("link", name=link, exact=True).click()
        assert_accessible(page)
    page.get_by_role("link", name="Home", exact=True).click()
    page.get_by_role("link", name="Roster", exact=True).click()
    page.get_by_role("link", name="Import a CSV").click()
    assert_accessible(page)
    page.get_by_role("link", name="Home", exact=True).click()
    page.get_by_role("link", name="Roster", exact=True).click()
    page.get_by_role("link", name="Gina Governor").click()
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    assert_accessible(page)
    visitor = new_context(viewport={"width": 390, "height": 844}).new_page()
    visitor.goto(f"{live_server.url}/p/{person.token}")
    expect(visitor.get_by_role("heading", name="Hello, Gina Governor")).to_be_visible()
    assert_accessible(visitor)
    visitor.get_by_role("link", name="Continue to accept").click()
    expect(visitor.get_by_label("Full name")).to_have_value("Gina Governor")
    visitor.get_by_label("I have read and accept the policy").check()
    visitor.get_by_role("button", name="Accept").click()
    expect(visitor.get_by_role("heading", name="Thank you, Gina Governor")).to_be_visible()
    visitor.goto(f"{live_server.url}/p/{person.token}")
    expect(visitor.get_by_text("there is nothing more to do")).to_be_visible()
