"""The school's policy is seeded as version 1 and shown safely, as real headings."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.models import PolicyVersion
from kiosk.policies import PolicyFileError, parse_policy, render_markdown, seed_default_policy


def test_the_default_policy_is_seeded_as_version_1(ctx):
    version = PolicyVersion.get(PolicyVersion.number == 1)
    assert version.title == "Social Media and Mobile Phone Policy"
    assert version.school == "Westacre Infant School"
    assert version.review_due == dt.date(2019, 9, 30)
    assert version.body.startswith("## Introduction to the Policy")
    assert len(version.content_hash) == 64


def test_seeding_again_does_nothing(ctx):
    assert seed_default_policy() is None
    assert PolicyVersion.select().count() == 1


def test_the_seed_command_reports_what_it_did(runner):
    result = runner.invoke(args=["seed-policy"])
    assert result.exit_code == 0
    assert "already exists" in result.output


def test_the_policy_page_shows_headings_version_and_review_date(client):
    response = client.get("/policy")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>Social Media and Mobile Phone Policy</h1>" in html
    assert "<h2>Terms of use</h2>" in html
    assert "Version 1" in html
    assert "Review due 30 September 2019" in html


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
    text = parse_policy("---\ntitle: T\nschool: S\nreview_due: 2027-03-15\n---\nbody\n")
    assert text.review_due == dt.date(2027, 3, 15)
