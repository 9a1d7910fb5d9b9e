"""The head's desk in Chromium: the live preview and the changes, the roster pages (statuses, the
CSV import, letters to print and links to copy), retention in years and months, axe."""

from __future__ import annotations

import datetime as dt
import os
import re

from playwright.sync_api import expect

from kiosk import roster
from kiosk.models import PolicyVersion, SchoolSettings, db, utcnow

from ..helpers import make_acceptance, make_breach, make_policy, make_user
from .conftest import TABLET, enter_code, sign_in


def sign_in_head(page, server):
    with server.database():
        head = make_user("head", email="head@westacre.sch.uk")
    sign_in(page, server, head.email)


def open_policy_page(page, server):
    sign_in_head(page, server)
    page.get_by_role("link", name="Policy versions").click()
    expect(page.get_by_role("heading", name="Policy versions", level=1)).to_be_visible()
    # The editor's module shows the toolbar in the same step as it starts listening for pastes:
    # a paste before that would find no one listening (a race seen in a full run).
    expect(page.get_by_role("toolbar", name="Formatting")).to_be_visible()
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


def test_retention_periods_are_chosen_in_years_and_months(live_server, new_context,
                                                          assert_accessible):
    page = new_context(**TABLET).new_page()
    sign_in_head(page, live_server)
    page.get_by_role("link", name="Retention", exact=True).click()
    visitors = page.get_by_role("group", name="Acceptances by one-off visitors")
    expect(visitors.get_by_label("Years")).to_have_value("1")
    expect(visitors.get_by_label("Months")).to_have_value("0")
    expect(page.get_by_text("The daily clean-up has not run yet")).to_be_visible()
    assert_accessible(page)

    breaches = page.get_by_role("group", name="Breaches that are not a safeguarding matter")
    breaches.get_by_label("Years").fill("50")
    breaches.get_by_label("Months").fill("1")
    visitors.get_by_label("Years").fill("0")
    visitors.get_by_label("Months").fill("18")
    page.get_by_role("button", name="Save").click()
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_be_focused()
    expect(breaches).to_contain_text("Please give a period between 1 month and 50 years.")
    assert_accessible(page)
    summary.get_by_role("link", name="Please give a period between 1 month and 50 years.").click()
    expect(breaches.get_by_label("Years")).to_be_focused()

    breaches.get_by_label("Years").fill("10")
    breaches.get_by_label("Months").fill("")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Retention settings saved.")).to_be_visible()
    expect(visitors.get_by_label("Years")).to_have_value("1")  # 18 months: 1 year and 6 months
    expect(visitors.get_by_label("Months")).to_have_value("6")
    page.goto(live_server.url + "/privacy")
    expect(page.get_by_role("listitem").filter(has_text="If you visit once")).to_contain_text(
        "18 months after you accept")
    expect(page.get_by_role("listitem").filter(has_text="policy was broken")).to_contain_text(
        "10 years")


def test_the_head_sees_what_the_next_clean_up_will_remove(live_server, new_context, assert_accessible):
    with live_server.database():
        for n in range(3):
            make_acceptance(full_name=f"Old Visitor {n}",
                            accepted_at=utcnow() - dt.timedelta(days=400))
        make_acceptance(full_name="New Visitor")
    page = new_context(**TABLET).new_page()
    sign_in_head(page, live_server)
    page.get_by_role("link", name="Retention", exact=True).click()
    expect(page.get_by_role("heading", name="Past these periods now")).to_be_visible()
    due = page.get_by_role("list").filter(has_text="Acceptances by one-off visitors:")
    expect(due.get_by_role("listitem")).to_have_text([
        "Acceptances by one-off visitors: 3", "Acceptances by people on the roster: 0",
        "Breaches that are not a safeguarding matter: 0",
        "Deletion requests, on their own or with their breach: 0",
        "Declarations of family links that have ended, or of staff who have left: 0",
        "Requests to post about the school, once declined or ended: 0"])
    assert_accessible(page)


def test_the_roster_shows_where_each_person_stands(live_server, new_context, assert_accessible):
    with live_server.database():
        old = roster.add_person("Olive Older", "olive@example.org", "pta")
        roster.add_person("Nora Never", "nora@example.org", "volunteer")
        make_acceptance(full_name="Olive Older", roster_person=old, channel="link")
        make_policy(2)
        now = roster.add_person("Cora Current", "cora@example.org", "governor")
        make_acceptance(full_name="Cora Current", roster_person=now, channel="link")
    page = new_context(**TABLET).new_page()
    sign_in_head(page, live_server)
    page.get_by_role("link", name="Roster", exact=True).click()
    rows = page.get_by_role("row")
    expect(rows.filter(has_text="Cora Current")).to_contain_text("Accepted the current version (")
    expect(rows.filter(has_text="Olive Older")).to_contain_text(
        re.compile(r"Accepted an older version \(version 1, \d{1,2} \w+ \d{4}\)"))
    expect(rows.filter(has_text="Nora Never")).to_contain_text("Not accepted yet")
    assert_accessible(page)


def test_the_import_takes_the_good_rows_and_lists_the_bad_ones(live_server, new_context,
                                                               assert_accessible, tmp_path):
    page = new_context(**TABLET, accept_downloads=True).new_page()
    sign_in_head(page, live_server)
    page.goto(live_server.url + "/admin/roster/import")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download a template").click()
    template = tmp_path / "template.csv"
    download.value.save_as(template)
    assert template.read_text(encoding="utf-8-sig").splitlines()[0] == "name,email,role"

    filled = tmp_path / "roster.csv"
    filled.write_text(template.read_text(encoding="utf-8-sig")
                      + "Ann PTA,ann@example.org,PTA member\r\nBad Row,not-an-email,governor\r\n"
                      + "Bob Governor,bob@example.org,governor\r\n", encoding="utf-8")
    page.get_by_label(re.compile("CSV file")).set_input_files(filled)
    page.get_by_role("button", name="Preview").click()
    skipped = page.get_by_role("table", name="Rows that will be skipped, and why")
    expect(skipped.get_by_role("row")).to_have_count(3)  # the header, the example, the bad row
    expect(skipped).to_contain_text("That is not an email address.")
    expect(skipped).to_contain_text("This is the template's example")
    expect(page.get_by_role("table", name="Rows that will be imported").get_by_role("row")
           ).to_have_count(3)
    assert_accessible(page)

    page.get_by_role("button", name="Import 2 people and skip 2 rows").click()
    expect(page.get_by_role("heading", name="Roster imported, with 2 rows skipped")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Imported: 2 added")).to_be_visible()
    expect(page.get_by_role("table", name="Rows that were skipped")).to_contain_text("Bad Row")
    assert_accessible(page)
    page.get_by_role("link", name="Back to the roster").click()
    expect(page.get_by_role("link", name="Ann PTA")).to_be_visible()
    expect(page.get_by_role("link", name="Bad Row")).to_have_count(0)


def people_still_to_accept(server, count: int = 3) -> list:
    with server.database():
        SchoolSettings.create(public_url="https://kiosk.westacre.sch.uk")
        people = [roster.add_person(name, f"person{n}@example.org", "volunteer")
                  for n, name in enumerate(["Ann Volunteer", "Ben Volunteer", "Cal Volunteer",
                                            "Dee Volunteer"][:count])]
        make_acceptance(full_name="Ann Volunteer", roster_person=people[0], channel="link",
                        policy_version=PolicyVersion.current())
        make_policy(2)
    return people


def test_without_email_the_head_prints_a_letter_for_each_person(live_server, new_context,
                                                                assert_accessible):
    people = people_still_to_accept(live_server)
    context = new_context(**TABLET)
    context.add_init_script("window.print = () => { window.__printed = (window.__printed || 0) + 1; };")
    page = context.new_page()
    sign_in_head(page, live_server)
    page.get_by_role("link", name="Who has not accepted").click()
    expect(page.get_by_role("button", name="Email a reminder")).to_have_count(0)
    expect(page.get_by_text("ask your IT support to connect the kiosk")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Letters to print").click()
    letters = page.get_by_role("article")
    expect(letters).to_have_count(3)
    for person, letter in zip(people, letters.all(), strict=True):
        expect(letter.get_by_role("heading", name=f"Dear {person.full_name},")).to_be_visible()
        expect(letter).to_contain_text(f"https://kiosk.westacre.sch.uk/p/{person.token}")
        qr = letter.get_by_role("img", name=f"QR code of {person.full_name}'s personal link")
        assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    assert_accessible(page)

    page.get_by_role("button", name="Print 3 letters").click()
    assert page.evaluate("window.__printed") == 1
    # Printed on A4: one page for each letter, and nothing of the screen around them.
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Print 3 letters")).to_be_hidden()
    expect(page.locator(".site-header")).to_be_hidden()
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) == 3


def test_past_a_hundred_the_letters_come_a_printout_at_a_time(live_server, new_context,
                                                              assert_accessible):
    with live_server.database():
        SchoolSettings.create(public_url="https://kiosk.westacre.sch.uk")
        with db.atomic():
            for n in range(101):
                roster.add_person(f"Person {n:03}", f"p{n}@example.org", "volunteer")
    context = new_context(**TABLET)
    page = context.new_page()
    sign_in_head(page, live_server)
    page.goto(live_server.url + "/admin/roster/letters")
    expect(page.get_by_role("article")).to_have_count(100)
    expect(page.get_by_text("Letters 1 to 100 of 101")).to_be_visible()
    expect(page.get_by_role("button", name="Print these 100 letters")).to_be_visible()
    assert_accessible(page)
    if os.environ.get("SCREENSHOTS_DIR"):  # a folder: save a screenshot there to look at
        page.screenshot(path=os.environ["SCREENSHOTS_DIR"] + "/letters-printout.png")
    page.get_by_role("link", name="Next letters (101 onwards)").click()
    expect(page.get_by_role("article")).to_have_count(1)
    expect(page.get_by_role("heading", name="Dear Person 100,")).to_be_visible()
    expect(page.get_by_role("link", name="Previous letters")).to_be_visible()
    expect(page.get_by_text("Letter 101 of 101", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Print this letter")).to_be_visible()
    assert_accessible(page)
    if os.environ.get("SCREENSHOTS_DIR"):
        page.screenshot(path=os.environ["SCREENSHOTS_DIR"] + "/letters-last-one.png")
    # The way between printouts is not printed: one page, the one letter.
    page.emulate_media(media="print")
    expect(page.get_by_role("link", name="Previous letters")).to_be_hidden()
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) == 1


def test_without_email_the_head_copies_the_links(live_server, new_context, assert_accessible):
    people = people_still_to_accept(live_server, count=2)
    context = new_context(**TABLET)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    sign_in_head(page, live_server)
    page.goto(live_server.url + "/admin/roster/outstanding")
    page.get_by_role("link", name="Links to copy").click()
    links = page.get_by_label(re.compile("Names and personal links"))
    expected = "".join(f"{p.full_name}\thttps://kiosk.westacre.sch.uk/p/{p.token}\n"
                       for p in people)
    expect(links).to_have_value(expected)
    assert_accessible(page)
    page.get_by_role("button", name="Copy the links").click()
    expect(page.get_by_role("status").filter(has_text="Copied.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == expected


def test_where_the_browser_will_not_copy_the_links_are_selected_instead(live_server, new_context):
    people_still_to_accept(live_server, count=2)
    context = new_context(**TABLET)
    context.add_init_script("navigator.clipboard.writeText = () => Promise.reject(new Error('no'));")
    page = context.new_page()
    sign_in_head(page, live_server)
    page.goto(live_server.url + "/admin/roster/links")
    page.get_by_role("button", name="Copy the links").click()
    expect(page.get_by_role("status").filter(has_text="The links are selected")).to_be_visible()
    links = page.get_by_label(re.compile("Names and personal links"))
    expect(links).to_be_focused()
    assert links.evaluate("t => t.selectionStart === 0 && t.selectionEnd === t.value.length")
    assert page.evaluate("getSelection().toString() || document.activeElement.value") != ""


def test_without_javascript_the_copy_and_print_buttons_are_not_shown(live_server, new_context):
    people_still_to_accept(live_server, count=2)
    page = new_context(**TABLET, java_script_enabled=False).new_page()
    page.goto(live_server.url + "/signin")
    with live_server.database():
        head = make_user("head", email="head@westacre.sch.uk")
    page.get_by_label("Email address").fill(head.email)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in").click()
    enter_code(page, live_server, head.email)
    page.goto(live_server.url + "/admin/roster/links")
    expect(page.get_by_label(re.compile("Names and personal links"))).to_be_visible()
    expect(page.get_by_role("button", name="Copy the links")).to_be_hidden()
    page.goto(live_server.url + "/admin/roster/letters")
    expect(page.get_by_role("article")).to_have_count(2)
    expect(page.get_by_role("button", name=re.compile("^Print"))).to_be_hidden()

def test_the_audit_log_reads_as_sentences_and_filters_by_person_record_and_day(
        live_server, new_context, assert_accessible):
    with live_server.database():
        head = make_user("head", email="head@westacre.sch.uk", display_name="Ann Smith")
        teacher = make_user("staff", display_name="Sam Taylor")
        breach = make_breach(teacher, subject_name="Pat Visitor")
        make_breach(teacher, category="commercial", subject_name="Kim Parent")
    logged = ("Sam Taylor logged the breach ‘Photographing or recording pupils or staff on a "
              "phone: Pat Visitor’ as a safeguarding matter.")
    page = new_context(**TABLET).new_page()
    sign_in(page, live_server, head.email)
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", name="Audit log", level=1)).to_be_visible()
    expect(page.get_by_text("The log has not been checked yet.")).to_be_visible()
    expect(page.get_by_text(logged)).to_be_visible()
    expect(page.get_by_text("Ann Smith signed in.")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Check now").click()
    expect(page.get_by_text(re.compile(
        r"The log was last checked at \d+:\d\d[ap]m on \w+day \d+ \w+ \d{4} by Ann Smith: "
        r"(all \d+ entries were intact|the (one entry|\d+ entries) added since .+ (was|were) "
        r"intact)\."))).to_be_visible()

    page.get_by_label("Who did it").select_option(label="Sam Taylor")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text(logged)).to_be_visible()
    expect(page.get_by_text("Ann Smith signed in.")).to_have_count(0)
    expect(page.get_by_label("Who did it")).to_have_value(str(teacher.id))
    assert_accessible(page)

    today = page.evaluate("new Date().toLocaleDateString('en-CA', {timeZone: 'Europe/London'})")
    page.get_by_label("Who did it").select_option(label="Anyone")
    page.get_by_label("From", exact=True).fill("2020-01-01")
    page.get_by_label("To", exact=True).fill("2020-01-31")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("No entries match these filters.")).to_be_visible()
    page.get_by_label("To", exact=True).fill(today)
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text(logged)).to_be_visible()

    page.goto(f"{live_server.url}/admin/audit?start=2026-02-31")  # as typed without a calendar
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("link", name="Please enter a date, for example 3/3/2026.")).to_be_visible()
    assert_accessible(page)

    page.goto(f"{live_server.url}/records/breaches/{breach.public_id}")
    page.get_by_role("link", name="Who has viewed or changed this").click()
    expect(page.get_by_text("Showing only what was done with the breach ‘Photographing or "
                            "recording pupils or staff on a phone: Pat Visitor’")).to_be_visible()
    expect(page.get_by_text("Kim Parent")).to_have_count(0)
    expect(page.get_by_text("Ann Smith viewed the breach ‘Photographing or recording pupils or "
                            "staff on a phone: Pat Visitor’.")).to_be_visible()
    assert_accessible(page)
