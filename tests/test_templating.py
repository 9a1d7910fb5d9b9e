"""What every page shares: the audience each blueprint names, and stored codes shown in words."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from kiosk.models import Breach, PolicyVersion
from kiosk.vocabulary import VOCABULARIES, label

from .helpers import make_acceptance, make_breach, make_deletion_request, sign_in_as


def body_attrs(html: str) -> str:
    return re.search(r"<body[^>]*>", html).group(0)


def manifest(html: str) -> str:
    return re.search(r'<link rel="manifest" href="([^"]+)"', html).group(1)


@pytest.mark.parametrize(("path", "audience", "app_manifest"), [
    ("/", "public", "/manifest.webmanifest"),
    ("/policy", "public", "/manifest.webmanifest"),
    ("/offline", "public", "/manifest.webmanifest"),
    ("/signin", "sign-in", "/staff.webmanifest"),
    ("/staff/offline", "staff", "/staff.webmanifest"),
])
def test_each_page_names_its_audience_and_its_app(client, path, audience, app_manifest):
    html = client.get(path).get_data(as_text=True)
    assert f'data-audience="{audience}"' in body_attrs(html)
    assert manifest(html) == app_manifest
    assert "data-staff-id" not in body_attrs(html)  # nobody is signed in


@pytest.mark.parametrize("page", ["staff", "record", "deletion", "desk", "reports"])
def test_every_signed_in_staff_page_carries_who_is_signed_in(client, app, head, page):
    with app.app_context():
        breach = make_breach(head)
        request_row = make_deletion_request(head)
    path = {"staff": "/staff/", "record": f"/records/breaches/{breach.public_id}",
            "deletion": f"/records/deletions/{request_row.public_id}", "desk": "/admin/roster",
            "reports": "/reports/"}[page]
    sign_in_as(client, head)
    response = client.get(path)
    assert response.status_code == 200, path
    attrs = body_attrs(response.get_data(as_text=True))
    assert 'data-audience="staff"' in attrs
    assert f'data-staff-id="{head.id}"' in attrs and attrs.count("data-staff-id") == 1
    assert manifest(response.get_data(as_text=True)) == "/staff.webmanifest"


def test_a_public_page_never_carries_a_signed_in_teacher(client, teacher):
    """The entrance tablet may have a teacher signed in; the visitor's page is not theirs."""
    sign_in_as(client, teacher)
    html = client.get("/policy").get_data(as_text=True)
    assert 'data-audience="public"' in body_attrs(html) and "data-staff-id" not in html
    assert manifest(html) == "/manifest.webmanifest"


def test_the_review_reminder_is_on_staff_pages_but_not_printed_reports(client, app, head):
    with app.app_context():
        PolicyVersion.update(review_due=dt.date(2019, 9, 30)).execute()
    sign_in_as(client, head)
    assert "was due for review" in client.get("/staff/").get_data(as_text=True)
    assert "was due for review" in client.get("/admin/roster").get_data(as_text=True)
    assert "was due for review" not in client.get("/reports/").get_data(as_text=True)


def test_a_stored_code_is_shown_in_words_and_an_unknown_one_as_stored():
    assert label("in_review", "breach_status") == "In review"
    assert label("deleted_in_front", "outcome") == "Deleted in front of staff"
    assert label("retired_code", "outcome") == "retired_code"  # a code from an older release
    assert label(None, "material") == ""
    with pytest.raises(KeyError):
        label("open", "no_such_list")


def test_a_record_page_shows_its_codes_in_words(client, app, dsl):
    with app.app_context():
        breach = make_breach(dsl, subject_kind="pta_volunteer", actions=("asked_to_delete", "told_dsl"))
        Breach.update(status="in_review").where(Breach.id == breach.id).execute()
    sign_in_as(client, dsl)
    html = client.get(f"/records/breaches/{breach.public_id}").get_data(as_text=True)
    assert "PTA member or volunteer" in html and "In review" in html
    assert "Asked them to delete material; Told the DSL" in html
    assert "pta_volunteer" not in html.split("<main", 1)[1].split("<form", 1)[0]


def test_my_reports_shows_statuses_and_outcomes_in_the_words_of_the_record_pages(client, app,
                                                                                 teacher):
    from kiosk.models import DeletionRequest

    with app.app_context():
        breach = make_breach(teacher)
        Breach.update(status="in_review").where(Breach.id == breach.id).execute()
        done = make_deletion_request(teacher, person_name="Done Person", material="video")
        DeletionRequest.update(outcome="deleted_in_front").where(
            DeletionRequest.id == done.id).execute()
        make_deletion_request(teacher, person_name="Waiting Person")
    sign_in_as(client, teacher)
    html = client.get("/staff/my-reports").get_data(as_text=True)
    assert "· In review" in html and "· Deleted in front of staff" in html and "· Waiting" in html
    assert "Video: Done Person" in html
    for code_as_words in ("Pending", "In_review", "Deleted in front<", "Deleted in front\n"):
        assert code_as_words not in html, code_as_words


def test_no_template_makes_words_from_a_stored_code_itself():
    """A code is shown through `label`, so a page says what the vocabulary says (no "Pending"
    where the record's own page says "Waiting")."""
    from pathlib import Path

    templates = Path(__file__).resolve().parents[1] / "templates"
    found = [f"{path.relative_to(templates)}:{number}"
             for path in templates.rglob("*.html")
             for number, line in enumerate(path.read_text().splitlines(), 1)
             if re.search(r'\.replace\(\s*["\']_|\|\s*(capitalize|title)\b', line)]
    assert found == []


def test_every_vocabulary_has_words_for_every_code():
    for name, words in VOCABULARIES.items():
        assert words and all(code and text and text[0].isupper() for code, text in words.items()), name


def test_every_history_list_is_one_partial_in_the_schools_time(client, app, dsl):
    """The breach, the deletion request and a person's chronology: each line starts with the
    school's local time in words (and a machine-readable UTC time for screen readers and copy)."""
    with app.app_context():
        app.config["KIOSK_TIMEZONE"] = "Europe/London"
        make_acceptance(full_name="Pat Visitor", channel="kiosk",
                        accepted_at=dt.datetime(2026, 7, 1, 13, 5))  # 2:05pm in summer time
        breach = make_breach(dsl, subject_name="Pat Visitor")
        request_row = make_deletion_request(dsl, person_name="Pat Visitor")
    sign_in_as(client, dsl)
    pages = {path: client.get(path).get_data(as_text=True) for path in (
        f"/records/breaches/{breach.public_id}", f"/records/deletions/{request_row.public_id}",
        "/reports/chronology?name=Pat+Visitor")}
    for path, html in pages.items():
        entries = re.findall(r'<li><time class="record-meta" datetime="[0-9T:.-]+Z">([^<]+)</time>',
                             html)
        assert entries, path
        assert all(re.fullmatch(r"\d{1,2}:\d\d[ap]m on \d{1,2} [A-Z][a-z]+ \d{4}", e) for e in entries)
    chronology = pages["/reports/chronology?name=Pat+Visitor"]
    assert "2:05pm on 1 July 2026" in chronology
    assert "(entrance tablet)" in chronology and "(kiosk)" not in chronology
