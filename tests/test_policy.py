"""The school's policy is seeded as version 1 and shown safely, as real headings; the head drafts,
previews and publishes new versions and their key points, and is told when a review is due."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest

from kiosk import roster
from kiosk.display import long_date
from kiosk.models import AuditEvent, PolicyDraft, PolicyVersion, RosterPerson, utcnow
from kiosk.pasted import pasted_markdown
from kiosk.policies import (
    PolicyFileError,
    changes_between,
    content_hash,
    parse_policy,
    render_markdown,
    review_overdue,
    seed_default_policy,
)

from .helpers import (
    KEY_POINTS,
    field_error,
    form_page,
    hidden_fields,
    make_acceptance,
    make_policy,
    nothing_written,
    publish_policy,
    sign_in_as,
)


def test_the_default_policy_is_seeded_as_version_1(ctx):
    version = PolicyVersion.get(PolicyVersion.number == 1)
    assert version.title == "Social Media and Mobile Phone Policy"
    assert version.school == "Westacre Infant School"
    assert version.body.startswith("## Introduction to the Policy")
    assert version.content_hash == content_hash(version.title, version.body, version.key_points)


def test_the_bundled_policy_comes_with_its_key_points(ctx):
    points = PolicyVersion.current().key_point_list
    assert 3 <= len(points) <= 6
    assert any("photos" in point for point in points)
    assert any("Designated Safeguarding Lead" in point for point in points)


def test_a_review_date_already_past_is_not_seeded(ctx):
    # The bundled file's "2019-09" is the original document's: the set-up screen asks for one.
    assert PolicyVersion.current().review_due is None


def test_a_review_date_still_ahead_is_seeded(ctx, tmp_path):
    ahead = utcnow().date() + dt.timedelta(days=200)  # the seeding compares with utcnow's date
    path = tmp_path / "policy.md"
    path.write_text(f"---\ntitle: T\nschool: S\nreview_due: {ahead.isoformat()}\n---\nbody\n")
    PolicyVersion.delete().execute()
    assert seed_default_policy(path).review_due == ahead


def test_key_points_must_be_a_list(tmp_path):
    with pytest.raises(PolicyFileError, match="key_points must be a list"):
        parse_policy("---\ntitle: T\nschool: S\nkey_points: one line\n---\nbody\n")


def test_seeding_again_does_nothing(ctx):
    assert seed_default_policy() is None
    assert PolicyVersion.select().count() == 1


def test_the_seed_command_reports_what_it_did(runner):
    result = runner.invoke(args=["seed-policy"])
    assert result.exit_code == 0
    assert "already exists" in result.output


def test_the_policy_page_shows_key_points_then_the_full_text_with_its_version(client):
    response = client.get("/policy")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<h1 lang="en">Social Media and Mobile Phone Policy</h1>' in html
    assert html.index("What this means for you today") < html.index("Continue to accept") \
        < html.index("<h2>Terms of use</h2>")
    assert "Version 1" in html


def test_visitors_are_not_shown_the_review_date(client, app):
    with app.app_context():  # pinned on purpose: the bundled document's own (long past) date
        PolicyVersion.update(review_due=dt.date(2019, 9, 30)).execute()
    for path in ("/", "/policy", "/accept"):
        html = client.get(path).get_data(as_text=True)
        assert "Review due" not in html and "2019" not in html, path


def test_rendering_removes_scripts_styles_and_dangerous_links():
    html = render_markdown(
        "## Heading\n\n<script>alert(1)</script> <b onclick=\"x()\">bold</b>\n\n"
        "[bad](javascript:alert(1)) [good](https://example.org)\n\n<img src=x onerror=y>\n"
        "<style>body{}</style>")
    assert "<h2>Heading</h2>" in html
    assert "<script" not in html and "<style" not in html and "<img" not in html
    assert "onclick" not in html and "onerror" not in html
    assert 'href="javascript' not in html
    assert '<a href="https://example.org" rel="noopener noreferrer">good</a>' in html


@pytest.mark.parametrize(("source", "message"), [
    ("## No front matter\n", "must begin with front matter"),
    ("---\ntitle: T\n---\nbody\n", "must give a title and a school"),
    ("---\ntitle: T\nschool: S\nreview_due: soon\n---\nbody\n", "is not a date"),
])
def test_a_bad_policy_file_is_refused_with_a_reason(source, message):
    with pytest.raises(PolicyFileError, match=message):
        parse_policy(source)


def test_a_full_review_date_is_kept_as_given():
    # Any date will do: parsing reads the file as written; only seeding compares with today.
    text = parse_policy("---\ntitle: T\nschool: S\nreview_due: 2027-03-15\n---\nbody\n")
    assert text.review_due == dt.date(2027, 3, 15)


# The head's policy page: drafts, publishing, key points, the review date --------------------------

REVIEW_DUE = utcnow().date() + dt.timedelta(days=300)


def test_the_head_drafts_previews_and_publishes_a_new_version(app, client, head):
    sign_in_as(client, head)
    fields = form_page(client, "/admin/policy")
    with app.app_context():
        body = PolicyVersion.current().body.replace("## Purpose", "## Purpose\n\nA new first line.")
    response = client.post("/admin/policy", data={**fields, "title": "Social Media Policy",
                                                  "body": body, "review_due": REVIEW_DUE.isoformat(),
                                                  "key_points": KEY_POINTS, "action": "save"})
    assert response.status_code == 303
    html = client.get("/admin/policy").get_data(as_text=True)
    changes = html.split("data-changes")[1].split("</ul>")[0]
    assert "<li class=\"diff-added\">Added: 1 paragraph to &#39;Purpose&#39;</li>" in changes
    assert "New title: &#39;Social Media Policy&#39;" in changes and "Key points changed" in changes
    assert "A new first line." in html.split('data-preview')[1]  # in the preview
    publish_policy(client, title="Social Media Policy", body=body,
                   review_due=REVIEW_DUE.isoformat())
    with app.app_context():
        current = PolicyVersion.current()
        assert (current.number, current.title, current.review_due) == (
            2, "Social Media Policy", REVIEW_DUE)
        assert current.key_point_list == KEY_POINTS.split("\n")
        assert AuditEvent.select().where(AuditEvent.action == "policy.published").count() == 2
    assert "Version 2" in client.get("/policy").get_data(as_text=True)


def test_the_live_preview_returns_sanitised_html_and_the_changes(client, head):
    sign_in_as(client, head)
    token = hidden_fields(client.get("/admin/policy").get_data(as_text=True))["csrf_token"]
    response = client.post("/admin/policy/preview", data={"body": "## New\n\n<script>x()</script>Hi"},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 200
    assert "<h2>New</h2>" in response.json["html"] and "<script" not in response.json["html"]
    said = [change["text"] for change in response.json["changes"]]
    assert "New section: New" in said and "Section taken out: Introduction to the Policy" in said
    assert not any("#" in text for text in said)


def test_publishing_the_same_text_again_is_refused(app, client, head):
    sign_in_as(client, head)
    fields = form_page(client, "/admin/policy")
    with app.app_context():
        current = PolicyVersion.current()
    # Publishing saves what was typed as the draft first, and the refusal leaves it there (so
    # nothing typed is lost; an older draft is replaced, though): that is all it may write.
    with nothing_written(app, except_tables=("policy_draft",)):
        response = client.post("/admin/policy", data={**fields, "title": current.title,
                                                      "body": current.body,
                                                      "key_points": current.key_points,
                                                      "action": "publish"})
    assert response.status_code == 422
    assert "The text is the same as the current version" in response.get_data(as_text=True)
    with app.app_context():
        assert PolicyVersion.select().count() == 1
        assert [(d.title, d.body) for d in PolicyDraft.select()] == [(current.title, current.body)]


def test_new_key_points_alone_make_a_new_version(app, client, head):
    sign_in_as(client, head)
    with app.app_context():
        current = PolicyVersion.current()
    publish_policy(client, title=current.title, body=current.body, key_points=KEY_POINTS)
    with app.app_context():
        new = PolicyVersion.current()
        assert (new.number, new.key_points) == (2, KEY_POINTS)
        assert new.content_hash != current.content_hash
    assert "No photos of pupils." in client.get("/policy").get_data(as_text=True)


@pytest.mark.parametrize(("key_points", "message"), [
    ("Only one.\nAnd two.", "Please write between 3 and 6 key points, one per line (there are 2)."),
    ("\n".join(f"Point {n}." for n in range(7)), "(there are 7)"),
    ("One.\nTwo.\n" + "x" * 201, "Please keep each key point under 200 characters."),
    ("", "Please write the key points visitors read first, one per line."),
])
def test_key_points_are_refused_beside_their_field_unless_3_to_6_short_lines(
        app, client, head, key_points, message):
    sign_in_as(client, head)
    fields = form_page(client, "/admin/policy")
    with app.app_context():
        current = PolicyVersion.current()
    with nothing_written(app):
        response = client.post("/admin/policy", data={**fields, "title": "New", "body": current.body,
                                                      "key_points": key_points, "action": "publish"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html.split('id="key_points-error"')[1].split("</p>")[0]
    with app.app_context():
        assert PolicyVersion.select().count() == 1


def test_list_markers_and_blank_lines_are_dropped_from_key_points(app, client, head):
    sign_in_as(client, head)
    fields = form_page(client, "/admin/policy")
    client.post("/admin/policy", data={**fields, "title": "T", "body": "## B\n\nText.",
                                       "key_points": "- One.\n\n* Two.\n3. Three.",
                                       "action": "save"})
    with app.app_context():
        assert PolicyDraft.get().key_points == "One.\nTwo.\nThree."


def test_a_draft_needs_a_title_and_text(app, client, head):
    sign_in_as(client, head)
    fields = form_page(client, "/admin/policy")
    with nothing_written(app):  # 1066: out of range on purpose, the years allowed are the rule
        response = client.post("/admin/policy", data={**fields, "title": "", "body": "",
                                                      "review_due": "1066-10-14", "action": "save"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Please give the policy a title." in html and "Please write the policy." in html
    assert "Please give a date between 2000 and 2100." in html


@pytest.mark.parametrize("separator", ["\u2028", "\u2029"])
@pytest.mark.parametrize("action", ["save", "publish"])
def test_a_title_with_a_line_or_paragraph_separator_is_refused_beside_it(app, client, head,
                                                                         separator, action):
    """It would break the reminder email's subject line; nothing is saved or published."""
    sign_in_as(client, head)
    fields = form_page(client, "/admin/policy")
    with nothing_written(app):
        response = client.post("/admin/policy", data={
            **fields, "title": f"Social Media{separator}Policy", "body": "## B\n\nNew text.",
            "key_points": KEY_POINTS, "action": action})
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "title") == (
        "Please use letters, numbers and punctuation only.")
    with app.app_context():
        assert PolicyVersion.current().number == 1


def test_a_past_review_date_shows_a_banner_to_the_head_and_the_dsl_only(app, client, head, dsl,
                                                                         teacher):
    past = utcnow().date() - dt.timedelta(days=30)
    with app.app_context():
        PolicyVersion.update(review_due=past).execute()
    for user, shown in ((head, True), (dsl, True), (teacher, False)):
        sign_in_as(client, user)
        html = client.get("/staff/").get_data(as_text=True)
        assert (f"was due for review on {long_date(past)}" in html) is shown
    assert "due for review" not in client.get("/").get_data(as_text=True)


def test_a_fresh_install_shows_no_overdue_banner(client, head, dsl):
    for user in (head, dsl):
        sign_in_as(client, user)
        assert "due for review" not in client.get("/staff/").get_data(as_text=True)


# What changed, in the school's words ---------------------------------------------------------------

OLD_BODY = ("Our school's policy.\n\n## Purpose\n\nTo keep children safe.\n\nTo protect staff.\n\n"
            "## Photographs\n\nNo photos of pupils.\n\n- On phones\n- On tablets\n\n"
            "## Visitors\n\nVisitors sign in.\n\n## Old rules\n\nThese go.\n")


def said(body: str, title: str = "T", key_points: str = KEY_POINTS) -> list[str]:
    current = PolicyVersion(title="T", body=OLD_BODY, key_points=KEY_POINTS)
    return [change.text for change in changes_between(current, title, body, key_points)]


def test_nothing_changed_says_nothing():
    assert said(OLD_BODY) == []


def test_a_new_section_is_named_by_its_heading_without_the_hashes():
    changes = said(OLD_BODY + "\n## Use of **mobile phones**\n\nPhones away.\n")
    assert changes == ["New section: Use of mobile phones"]


def test_changed_added_and_removed_paragraphs_are_counted_in_their_section():
    body = OLD_BODY.replace("No photos of pupils.", "No photos of pupils or staff.").replace(
        "- On phones\n- On tablets", "- On any device").replace(
        "To protect staff.", "To protect staff.\n\nTo protect parents.\n\nAnd governors.")
    assert said(body) == ["Added: 2 paragraphs to 'Purpose'",
                          "Changed: 1 paragraph and 1 list in 'Photographs'"]


def test_a_removed_paragraph_a_removed_section_and_the_text_before_the_first_heading():
    body = OLD_BODY.replace("To keep children safe.\n\n", "").replace(
        "## Old rules\n\nThese go.\n", "").replace("Our school's policy.", "Westacre's policy.")
    assert said(body) == ["Changed: 1 paragraph at the start, before the first heading",
                          "Taken out: 1 paragraph from 'Purpose'",
                          "Section taken out: Old rules"]


def test_a_reworded_heading_and_a_moved_section_are_said_as_such():
    body = OLD_BODY.replace("## Photographs", "## Photographs and videos")
    assert said(body) == ["Heading changed: 'Photographs' is now 'Photographs and videos'"]
    visitors = "## Visitors\n\nVisitors sign in.\n\n"
    moved = OLD_BODY.replace(visitors, "").replace("## Purpose", visitors + "## Purpose")
    assert said(moved) == ["Moved: 'Visitors'"]


def test_the_title_and_the_key_points_are_changes_too():
    assert said(OLD_BODY, title="New title", key_points="One.\nTwo.\nThree.") == [
        "New title: 'New title'", "Key points changed"]


def test_the_changes_list_on_the_page_shows_words_not_markdown(app, client, head):
    sign_in_as(client, head)
    fields = form_page(client, "/admin/policy")
    with app.app_context():
        current = PolicyVersion.current()
    client.post("/admin/policy", data={**fields, "title": current.title,
                                       "key_points": current.key_points, "action": "save",
                                       "body": current.body + "\n\n## Use of mobile phones\n\n"
                                                              "Phones away near children.\n"})
    html = client.get("/admin/policy").get_data(as_text=True)
    changes = html.split("data-changes")[1].split("</ul>")[0]
    assert '<li class="diff-added">New section: Use of mobile phones</li>' in changes
    assert "##" not in changes and "Phones away near children." not in changes


# Publishing: a confirmation first, and a minor change -------------------------------------------

def test_choosing_publish_asks_for_confirmation_and_publishes_nothing_yet(app, client, head):
    sign_in_as(client, head)
    fields = form_page(client, "/admin/policy")
    with nothing_written(app, except_tables=("policy_draft",)):
        response = client.post("/admin/policy", data={**fields, "title": "Social Media Policy",
                                                      "body": "## Our policy\n\nNew text.",
                                                      "key_points": KEY_POINTS,
                                                      "action": "publish"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/admin/policy/publish")
    html = client.get("/admin/policy/publish").get_data(as_text=True)
    assert "<h1>Publish version 2?</h1>" in html
    assert "Yes, publish version 2" in html
    with app.app_context():
        assert PolicyVersion.select().count() == 1
        assert PolicyDraft.get().body == "## Our policy\n\nNew text.\n"  # kept to confirm


def test_the_confirmation_says_who_will_be_asked_to_accept_again(app, client, head):
    with app.app_context():
        accepted = roster.add_person("Ann Accepted", "ann@example.org", "pta")
        roster.add_person("Bob Never", "bob@example.org", "volunteer")
        gone = roster.add_person("Cat Gone", "cat@example.org", "governor")
        for person in (accepted, gone):
            make_acceptance(full_name=person.full_name, roster_person=person, channel="link")
        RosterPerson.update(active=False).where(RosterPerson.id == gone.id).execute()
        make_acceptance(full_name="Dan Visitor")  # a visitor: not on the roster
    sign_in_as(client, head)
    fields = form_page(client, "/admin/policy")
    client.post("/admin/policy", data={**fields, "title": "T", "body": "## New\n\nText.",
                                       "key_points": KEY_POINTS, "action": "publish"})
    html = client.get("/admin/policy/publish").get_data(as_text=True)
    full_hint = " ".join(html.split('id="change-full-hint">')[1].split("</p>")[0].split())
    assert full_hint == ("<strong>1 person on the roster</strong> who has accepted version 1 will "
                         "be asked to accept version 2, and can be sent a reminder. 1 other on "
                         "the roster has still to accept in any case.")
    assert "nobody is asked to accept again" in html.split('id="change-minor-hint">')[1]
    assert "accept version 2 at their next visit, whichever you choose" in html
    assert 'value="full" aria-describedby="change-full-hint" checked' in html  # the safe default


def test_publishing_after_confirming_makes_the_version_and_audits_the_choice(app, client, head):
    sign_in_as(client, head)
    page = publish_policy(client, change="full")
    assert "Published as version 2." in page and "Visitors accept it at their next visit." in page
    with app.app_context():
        version = PolicyVersion.current()
        assert (version.number, version.minor_change) == (2, False)
        event = AuditEvent.select().where(AuditEvent.action == "policy.published").order_by(
            AuditEvent.id.desc()).first()
        assert (event.record_id, json.loads(event.detail)["change"]) == ("2", "full")
        assert PolicyDraft.select().count() == 0


def test_a_minor_change_is_recorded_audited_and_shown_in_the_version_list(app, client, head):
    sign_in_as(client, head)
    page = publish_policy(client, change="minor")
    assert ("Published as version 2, a minor change to version 1. Nobody is asked to accept it "
            "again.") in page
    assert "<td>Version 2, a minor change to version 1</td>" in page
    assert "<td>Version 1</td>" in page
    assert "The current version is <strong>version 2, a minor change to version 1</strong>" in page
    with app.app_context():
        assert PolicyVersion.current().minor_change is True
        event = AuditEvent.get(AuditEvent.action == "policy.published",
                               AuditEvent.record_id == "2")
        assert json.loads(event.detail)["change"] == "minor"
    # Visitors are shown the new text, as with any version.
    assert "Version 2" in client.get("/policy").get_data(as_text=True)


def test_publishing_without_choosing_or_from_a_hand_made_form_publishes_nothing(app, client,
                                                                               head):
    sign_in_as(client, head)
    fields = form_page(client, "/admin/policy")
    client.post("/admin/policy", data={**fields, "title": "T", "body": "## New\n\nText.",
                                       "key_points": KEY_POINTS, "action": "publish"})
    confirm = form_page(client, "/admin/policy/publish")
    for data, message in (
            ({**confirm, "change": ""}, "Please choose what kind of change this is."),
            ({key: value for key, value in confirm.items() if key != "change"},
             "Please choose what kind of change this is."),
            ({**confirm, "change": "sideways"}, "Please choose what kind of change this is."),
            ({"csrf_token": confirm["csrf_token"], "change": "full"},
             "Please confirm again: the page was incomplete.")):
        with nothing_written(app):
            response = client.post("/admin/policy/publish", data=data)
        html = response.get_data(as_text=True)
        assert response.status_code == 422 and message in html
        if data.get("change") != "full":  # nothing is ticked for the head that was not chosen
            assert " checked" not in html.split('class="choices"')[1].split("</fieldset>")[0]
    with nothing_written(app):  # and no CSRF token: refused before anything is read
        assert client.post("/admin/policy/publish",
                           data={**confirm, "csrf_token": ""}).status_code == 400
    with app.app_context():
        assert PolicyVersion.select().count() == 1


def test_a_draft_changed_after_the_confirmation_was_shown_is_not_published_unseen(app, client,
                                                                                  head):
    sign_in_as(client, head)
    fields = form_page(client, "/admin/policy")
    draft = {**fields, "title": "T", "key_points": KEY_POINTS, "action": "publish"}
    client.post("/admin/policy", data={**draft, "body": "## New\n\nFirst wording."})
    confirm = form_page(client, "/admin/policy/publish")
    # In another tab, the head changes the text and saves it.
    client.post("/admin/policy", data={**draft, "action": "save", "body": "## New\n\nSecond."})
    with nothing_written(app):
        response = client.post("/admin/policy/publish", data={**confirm, "change": "full"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The draft or the current version changed since you were asked to confirm" in html
    with app.app_context():
        assert PolicyVersion.select().count() == 1
    # The page now confirms what it shows: the second wording.
    again = client.post("/admin/policy/publish", data={**hidden_fields(html), "change": "full"})
    assert again.status_code == 303
    with app.app_context():
        assert PolicyVersion.current().body == "## New\n\nSecond.\n"


def test_the_confirmation_without_a_publishable_draft_goes_back_with_the_reason(app, client, head):
    sign_in_as(client, head)
    response = client.get("/admin/policy/publish")
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/policy")
    assert "There is no draft to publish" in client.get("/admin/policy").get_data(as_text=True)
    with app.app_context():
        current = PolicyVersion.current()
        PolicyDraft.create(title=current.title, body=current.body, key_points=current.key_points)
    client.get("/admin/policy/publish")
    assert "The text is the same as the current version" in client.get(
        "/admin/policy").get_data(as_text=True)


def test_a_minor_change_is_named_on_the_evidence_and_the_dashboard(app, client, head):
    with app.app_context():
        person = roster.add_person("Eve Evidence", "eve@example.org", "volunteer")
        make_acceptance(full_name="Eve Evidence", roster_person=person, channel="link")
        make_policy(minor_change=True)
        make_acceptance(full_name="Eve Evidence", roster_person=person, channel="link")
    sign_in_as(client, head)
    evidence = client.get(f"/reports/evidence?person={person.id}").get_data(as_text=True)
    assert "<td>Version 1</td>" in evidence
    assert "<td>Version 2, a minor change to version 1</td>" in evidence
    dashboard = client.get("/reports/").get_data(as_text=True)
    assert "version 2, a minor change to version 1." in dashboard


# Pasting from Word or a web page ------------------------------------------------------------------

WORD = (
    '<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><meta charset="utf-8">'
    "<style>p.MsoNormal{margin:0}</style><title>Policy</title></head><body>"
    "<!--StartFragment--><h1>Use of mobile phones</h1>"
    '<p class="MsoNormal" style="color:red" onclick="steal()">Staff <b>must not</b> use phones '
    '<i>near children</i>. See <a href="https://www.gov.uk/kcsie">KCSIE</a> or '
    '<a href="javascript:alert(1)">this</a>.<o:p></o:p></p>'
    "<p class=MsoListParagraphCxSpFirst style='mso-list:l0 level1 lfo1'><![if !supportLists]>"
    "<span style='font-family:Symbol'>·<span>&nbsp;&nbsp;&nbsp; </span></span><![endif]>"
    "Phones away<o:p></o:p></p>"
    "<p class=MsoListParagraphCxSpLast style='mso-list:l0 level1 lfo1'><![if !supportLists]>"
    "<span style='font-family:Symbol'>·<span>&nbsp;&nbsp;&nbsp; </span></span><![endif]>"
    "No <b>photos</b><o:p></o:p></p>"
    "<ol><li>Tell the DSL</li><li>Write it down</li></ol>"
    "<script>alert(2)</script><img src=x onerror=alert(3)>"
    "<p>Ask about 1 * 2 &lt;script&gt;</p><!--EndFragment--></body></html>")


def test_pasted_word_html_becomes_markdown_with_only_the_safe_parts():
    assert pasted_markdown(WORD) == (
        "## Use of mobile phones\n\n"
        "Staff **must not** use phones *near children*. See [KCSIE](https://www.gov.uk/kcsie) "
        "or this.\n\n"
        "- Phones away\n- No **photos**\n\n"
        "1. Tell the DSL\n2. Write it down\n\n"
        "Ask about 1 \\* 2 &lt;script>\n")


@pytest.mark.parametrize("html", [
    "<p onclick=\"steal()\">Hi</p>", "<p style=\"color:red\">Hi</p>", "<script>alert(1)</script>Hi",
    "<p>Hi<style>p{}</style></p>", "<a href=\"javascript:alert(1)\">Hi</a>",
    "<p>Hi</p><img src=x onerror=alert(1)>", "<svg><script>alert(1)</script></svg><p>Hi</p>",
    "<p>Hi</p><iframe src=\"https://example.org\"></iframe>", "<div><span>Hi</span></div>",
])
def test_scripts_handlers_styles_and_pictures_never_survive_a_paste(html):
    markdown = pasted_markdown(html)
    assert markdown == "Hi\n"
    assert "script" not in render_markdown(markdown)


def test_text_that_only_looks_like_markdown_stays_text():
    markdown = pasted_markdown("<p># Not a heading</p><p>1. Not a list</p><p>- Nor this</p>")
    assert markdown == "\\# Not a heading\n\n1\\. Not a list\n\n\\- Nor this\n"
    assert "<h1>" not in render_markdown(markdown) and "<li>" not in render_markdown(markdown)


def test_the_paste_endpoint_answers_with_markdown_for_the_head(app, client, head):
    sign_in_as(client, head)
    token = hidden_fields(client.get("/admin/policy").get_data(as_text=True))["csrf_token"]
    with nothing_written(app):
        response = client.post("/admin/policy/paste", json={"html": WORD},
                               headers={"X-CSRFToken": token})
    assert response.status_code == 200
    assert response.json["markdown"].startswith("## Use of mobile phones\n\n")
    assert "onclick" not in response.json["markdown"] and "alert" not in response.json["markdown"]


@pytest.mark.one_database("a form's messages; nothing a database does")
@pytest.mark.parametrize(("body", "status"), [
    ({"html": ""}, 400), ({"text": "<p>x</p>"}, 400), (["<p>x</p>"], 400), ({"html": 3}, 400),
    ({"html": "<script>only()</script><img src=x>"}, 422),
])
def test_the_paste_endpoint_refuses_what_it_cannot_use_with_a_reason(client, head, body, status):
    sign_in_as(client, head)
    token = hidden_fields(client.get("/admin/policy").get_data(as_text=True))["csrf_token"]
    response = client.post("/admin/policy/paste", json=body, headers={"X-CSRFToken": token})
    assert response.status_code == status and response.json["error"]


def test_a_paste_nested_past_pythons_limit_is_a_422_not_a_500(client, head, monkeypatch):
    from kiosk import pasted

    def too_deep(html):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(pasted, "pasted_markdown", too_deep)
    sign_in_as(client, head)
    token = hidden_fields(client.get("/admin/policy").get_data(as_text=True))["csrf_token"]
    response = client.post("/admin/policy/paste", json={"html": "<b>deep</b>"},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 422 and "nested too deeply" in response.json["error"]


@pytest.mark.parametrize("start", ["²", "9" * 5000, "-3", "x"])
def test_a_list_starting_at_a_strange_number_starts_at_one(client, head, start):
    sign_in_as(client, head)
    token = hidden_fields(client.get("/admin/policy").get_data(as_text=True))["csrf_token"]
    response = client.post("/admin/policy/paste", json={"html": f'<ol start="{start}"><li>First</li></ol>'},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 200 and response.json["markdown"].strip() == "1. First"


def test_the_paste_endpoint_needs_the_csrf_token(client, head):
    sign_in_as(client, head)
    response = client.post("/admin/policy/paste", json={"html": "<p>x</p>"})
    assert response.status_code == 400 and "markdown" not in (response.get_json(silent=True) or {})


def test_the_review_is_overdue_by_the_schools_date_not_utcs(app):
    """Due today at the school is not overdue, and due yesterday is, whatever UTC's date: one of
    these two zones (UTC+14 and UTC-12) is on another date than UTC at every hour."""
    for zone in ("Pacific/Kiritimati", "Etc/GMT+12"):
        app.config["KIOSK_TIMEZONE"] = zone
        with app.app_context():
            school_today = dt.datetime.now(ZoneInfo(zone)).date()
            PolicyVersion.update(review_due=school_today).execute()
            assert review_overdue() is None, zone
            PolicyVersion.update(review_due=school_today - dt.timedelta(days=1)).execute()
            assert review_overdue() is not None, zone
