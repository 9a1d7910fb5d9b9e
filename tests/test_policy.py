"""The school's policy is seeded as version 1 and shown safely, as real headings; the head drafts,
previews and publishes new versions and their key points, and is told when a review is due."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.display import long_date
from kiosk.models import AuditEvent, PolicyDraft, PolicyVersion, utcnow
from kiosk.policies import (
    PolicyFileError,
    content_hash,
    parse_policy,
    render_markdown,
    seed_default_policy,
)

from .helpers import KEY_POINTS, form_page, hidden_fields, nothing_written, sign_in_as


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
    assert "<h1>Social Media and Mobile Phone Policy</h1>" in html
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
    assert "<strong>Added:</strong> <span class=\"pre-line\">A new first line.</span>" in html
    assert "A new first line." in html.split('data-preview')[1]  # in the preview too
    client.post("/admin/policy", data={**fields, "title": "Social Media Policy", "body": body,
                                       "review_due": REVIEW_DUE.isoformat(), "key_points": KEY_POINTS,
                                       "action": "publish"})
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
    kinds = {change["kind"] for change in response.json["changes"]}
    assert kinds >= {"added", "removed"}


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
    fields = form_page(client, "/admin/policy")
    with app.app_context():
        current = PolicyVersion.current()
    response = client.post("/admin/policy", data={**fields, "title": current.title,
                                                  "body": current.body, "key_points": KEY_POINTS,
                                                  "action": "publish"})
    assert response.status_code == 303
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
