"""The governors' termly summary: counts by category, classification and outcome, late LADO
referrals and refused deletion requests, for one term; never a name; concerns about the
headteacher left out of every printed count."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from kiosk.deletions import record_outcome
from kiosk.models import AuditEvent, Breach
from kiosk.reports.governors import parse_term, recent_terms, term_containing
from kiosk.staff_concerns import AllegationClosing, close_allegation

from .helpers import (
    make_acceptance,
    make_allegation,
    make_breach,
    make_deletion_request,
    make_user,
    sign_in_as,
)

LONDON = ZoneInfo("Europe/London")


def stored(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), LONDON).astimezone(dt.UTC).replace(tzinfo=None)


def count_in(html: str, row_label: str) -> int:
    """The number in the summary's table row that starts with this label."""
    match = re.search(r"<t[hd][^>]*>" + re.escape(row_label) + r"</t[hd]><td>(?:<strong>)?(\d+)", html)
    assert match, f"no row {row_label!r}"
    return int(match[1])


@pytest.mark.parametrize(("day", "label", "dates"), [
    (dt.date(2026, 11, 26), "Autumn term 2026", "1 September 2026 to 31 December 2026"),
    (dt.date(2027, 1, 4), "Spring term 2027", "1 January 2027 to 31 March 2027"),
    (dt.date(2027, 3, 31), "Spring term 2027", "1 January 2027 to 31 March 2027"),
    (dt.date(2027, 4, 1), "Summer term 2027", "1 April 2027 to 31 August 2027"),
    (dt.date(2027, 8, 31), "Summer term 2027", "1 April 2027 to 31 August 2027"),
])
def test_every_day_of_the_year_falls_in_one_term(day, label, dates):
    term = term_containing(day)
    assert (term.label, term.dates) == (label, dates)
    assert term.start <= day < term.end
    assert parse_term(term.code) == term


def test_the_terms_offered_are_this_one_and_the_five_before_it():
    terms = recent_terms(dt.date(2026, 11, 26))
    assert [t.label for t in terms] == ["Autumn term 2026", "Summer term 2026", "Spring term 2026",
                                        "Autumn term 2025", "Summer term 2025", "Spring term 2025"]
    assert parse_term("2026-winter") is None
    assert parse_term("2026-autumn; drop table") is None


@pytest.fixture
def term_of_records(app, teacher, head):
    """This term: two photographs (one refused deletion), one concern about staff classified as
    an allegation and closed unsubstantiated, one low-level, one not classified, one allegation
    removed as malicious (only its audit entry is left), a concern about the head; and last
    term, a breach that must not be counted."""
    with app.app_context():
        term = term_containing(dt.datetime.now(LONDON).date())
        day = term.start + dt.timedelta(days=1)
        make_acceptance(full_name="Ann Acceptor", accepted_at=stored(day))
        photo = make_breach(teacher, subject_name="Vera Visitor")
        refused = make_deletion_request(teacher, person_name="Vera Visitor", breach=photo)
        record_outcome(refused, head, "refused", "She would not.")
        make_breach(teacher, subject_name="Val Visitor")
        allegation = make_allegation(teacher, subject_name="Sam Staffer",
                                     description="Messaged Pupil Pippa")
        low = make_breach(teacher, "representative", subject_kind="staff", subject_name="Lou Lowlevel")
        make_breach(teacher, "representative", subject_kind="staff", subject_name="Una Unclassified")
        about_head = make_breach(teacher, "pupil_contact", subject_kind="staff", subject_name="Hal Head",
                                 concerns_head=True)
        close_allegation(allegation, head, AllegationClosing(
            "unsubstantiated", "Not enough either way.", pension_age_on=dt.date(2050, 1, 1)))
        # Logged last term, closed this term: its outcome is this term's.
        earlier = make_allegation(teacher, subject_name="Ed Earlier")
        Breach.update(created_at=stored(term.start - dt.timedelta(days=5))).where(
            Breach.id == earlier.id).execute()
        close_allegation(Breach.get_by_id(earlier.id), head, AllegationClosing(
            "substantiated", "Proven.", pension_age_on=dt.date(2050, 1, 1)))
        Breach.update(classification="low_level").where(Breach.id == low.id).execute()
        Breach.update(classification="allegation", allegation_since=about_head.created_at,
                      allegation_outcome="false", status="closed").where(
            Breach.id == about_head.id).execute()
        malicious = make_allegation(teacher, subject_name="Mal Icious")
        close_allegation(malicious, head, AllegationClosing("malicious", "Made up.", removal_confirmed=True))
        false_about_head = make_allegation(teacher, subject_name="Hal Head", concerns_head=True)
        close_allegation(false_about_head, make_user("chair"),
                         AllegationClosing("false", "Not so.", removal_confirmed=True))
        old = make_breach(teacher, subject_name="Olive Oldterm")
        Breach.update(created_at=stored(term.start - dt.timedelta(days=3))).where(
            Breach.id == old.id).execute()
        return term


NAMES = ("Ed Earlier", "Mal Icious", "Vera Visitor", "Val Visitor", "Sam Staffer", "Lou Lowlevel",
         "Una Unclassified", "Hal Head", "Pippa", "Olive Oldterm", "Ann Acceptor")


def test_the_head_sees_this_terms_counts_without_concerns_about_the_head(app, client, head, term_of_records):
    sign_in_as(client, head)
    html = client.get("/reports/governors").get_data(as_text=True)
    assert term_of_records.label in html
    assert count_in(html, "People who accepted the policy") == 1
    assert count_in(html, "Breaches logged") == 5  # not last term's, not the one about the head
    assert count_in(html, "Of which, concerns about a member of staff") == 3
    assert count_in(html, "Photographing or recording pupils or staff on a phone") == 2
    assert count_in(html, "An allegation that may meet the harm threshold") == 1
    assert count_in(html, "A low-level concern") == 1
    assert count_in(html, "Not classified yet") == 1
    assert count_in(html, "Unsubstantiated") == 1
    assert count_in(html, "Substantiated") == 1  # logged last term, closed this one
    assert count_in(html, "Malicious") == 1  # removed at closing: counted from the log
    assert count_in(html, "False") == 0  # the false one was about the head
    assert count_in(html, "Refused") == 1
    assert "For you only" not in html


def test_the_summary_names_no_one(app, client, head, chair, term_of_records):
    for reader in (head, chair):
        sign_in_as(client, reader)
        html = client.get("/reports/governors").get_data(as_text=True)
        for name in NAMES:
            assert name not in html, (reader.role, name)


def test_the_chair_alone_is_told_how_many_concerns_about_the_head_there_were(app, client, chair,
                                                                              term_of_records):
    sign_in_as(client, chair)
    html = client.get("/reports/governors").get_data(as_text=True)
    assert "For you only:</strong> 1 concern about the headteacher was logged this term" in html
    assert 'class="callout no-print"' in html  # and it is not printed
    assert count_in(html, "Breaches logged") == 5


def test_an_earlier_term_counts_only_its_own_records(app, client, head, term_of_records):
    sign_in_as(client, head)
    earlier = recent_terms(term_of_records.start)[1]
    html = client.get(f"/reports/governors?term={earlier.code}").get_data(as_text=True)
    assert earlier.label in html
    assert count_in(html, "Breaches logged") == 2  # the old breach, and the allegation logged then
    assert count_in(html, "Substantiated") == 0  # closed this term, so not counted then
    assert count_in(html, "Refused") == 0


def test_lado_referrals_not_made_in_time_are_counted_open_or_closed(app, client, head, teacher):
    with app.app_context():
        term_start = stored(term_containing(dt.datetime.now(LONDON).date()).start)
        for status in ("open", "closed"):
            late = make_breach(teacher, "pupil_contact", subject_kind="staff", subject_name="Sam Staffer")
            long_ago = late.created_at - dt.timedelta(days=10)
            Breach.update(classification="allegation", allegation_since=long_ago, status=status,
                          created_at=max(long_ago, term_start)).where(Breach.id == late.id).execute()
    sign_in_as(client, head)
    html = client.get("/reports/governors").get_data(as_text=True)
    assert count_in(html, "Not referred to the LADO within one working day") == 2


def test_a_term_that_is_not_in_the_list_gets_a_message_beside_the_field(app, client, head):
    sign_in_as(client, head)
    response = client.get("/reports/governors?term=2026-winter")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="term-error"' in html and "Please choose a term from the list." in html
    assert 'aria-describedby="term-error"' in html


def test_looking_at_it_is_audited_and_reads_as_a_sentence(app, client, head):
    sign_in_as(client, head)
    client.get("/reports/governors")
    with app.app_context():
        assert AuditEvent.select().where(AuditEvent.action == "reports.governors_viewed").count() == 1
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "looked at the governors&#39; termly summary." in page


@pytest.mark.parametrize("role", ["staff", "dsl"])
def test_staff_and_the_dsl_cannot_open_it(app, client, role):
    with app.app_context():
        user = make_user(role)
    sign_in_as(client, user)
    assert client.get("/reports/governors").status_code == 403
