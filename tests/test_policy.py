"""The school's policy is seeded as version 1 and shown safely, as real headings."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.models import PolicyVersion, utcnow
from kiosk.policies import (
    PolicyFileError,
    content_hash,
    parse_policy,
    render_markdown,
    seed_default_policy,
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
