"""Low-level concerns about staff (KCSIE Part 4) and who a concern is about: who sees them, the
conversation and actions, the pattern view, leaving dates and retention, the link, the
chronology."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk import low_level, retention
from kiosk.models import AuditEvent, Breach, RecordUpdate, RosterPerson, StaffUser, utcnow
from kiosk.roster import add_person

from .helpers import (
    ACCESS_REFUSED,
    VIEWED,
    field_error,
    hidden_fields,
    make_acceptance,
    make_breach,
    make_user,
    nothing_written,
    sign_in_as,
)


def concern(reporter, classification="low_level", **kw) -> Breach:
    """A concern about a member of staff, classified as its case manager would."""
    kw.setdefault("subject_name", "Pat Staff")
    breach = make_breach(reporter, subject_kind="staff", category="pupil_contact", **kw)
    Breach.update(classification=classification).where(Breach.id == breach.id).execute()
    return Breach.get_by_id(breach.id)


def token(client) -> str:
    return hidden_fields(client.get("/accept").get_data(as_text=True))["csrf_token"]


def page(client, url: str) -> tuple[int, str]:
    response = client.get(url)
    return response.status_code, response.get_data(as_text=True)


def breach_url(breach: Breach) -> str:
    return f"/records/breaches/{breach.public_id}"


def actions(app, name: str) -> int:
    with app.app_context():
        return AuditEvent.select().where(AuditEvent.action == name).count()


# Who sees a low-level concern --------------------------------------------------------------------

def test_a_low_level_concern_is_seen_by_the_dsl_as_lead_but_not_by_other_staff_or_its_reporter(
        app, teacher, other_teacher, dsl, head):
    with app.app_context():
        row = concern(teacher)
    for user, status in ((dsl, 200), (head, 200), (teacher, 404), (other_teacher, 404)):
        client = app.test_client()
        sign_in_as(client, user)
        assert client.get(breach_url(row)).status_code == status, user.role
    reporter = app.test_client()
    sign_in_as(reporter, teacher)
    assert reporter.get("/records/low-level-concerns").status_code == 403


def test_with_the_head_as_lead_the_dsl_no_longer_sees_low_level_concerns(app, client, teacher,
                                                                         dsl):
    with app.app_context():
        row = concern(teacher)
        low_level.save_settings("head", 3)
    sign_in_as(client, dsl)
    assert client.get(breach_url(row)).status_code == 404
    assert client.get("/records/low-level-concerns").status_code == 403
    assert client.get("/records/low-level-concerns/person?who=name-pat+staff").status_code == 403
    status, html = page(client, "/records/concerns?status=all")
    assert status == 200 and "low-level concerns log" not in html


@pytest.mark.parametrize("classification", ["allegation", "conduct", ""])
def test_an_allegation_a_conduct_matter_or_an_unclassified_concern_is_never_the_dsls(
        app, client, teacher, dsl, classification):
    with app.app_context():
        row = concern(teacher, classification)
        concern(teacher, subject_name="Lee Lowlevel")  # so the log is not simply empty
    sign_in_as(client, dsl)
    assert client.get(breach_url(row)).status_code == 404
    status, html = page(client, "/records/low-level-concerns")
    assert status == 200 and "Lee Lowlevel" in html and "Pat Staff" not in html
    assert client.get("/records/low-level-concerns/person?who=name-pat+staff").status_code == 404
    assert client.post(f"{breach_url(row)}/low-level", data={
        "csrf_token": token(client), "entry_kind": "conversation", "entry_text": "Spoke."
    }).status_code == 404


def test_a_low_level_concern_about_the_head_is_the_chairs_and_never_the_dsls(app, teacher, dsl,
                                                                            head, chair):
    with app.app_context():
        about_head = concern(teacher, subject_name="Hilary Head", concerns_head=True)
        concern(teacher, subject_name="Pat Staff")
    seen = {}
    for user in (dsl, head, chair):
        client = app.test_client()
        sign_in_as(client, user)
        assert client.get(breach_url(about_head)).status_code == (200 if user is chair else 404)
        seen[user.role] = page(client, "/records/low-level-concerns")[1]
    assert "Hilary Head" in seen["chair"] and "Pat Staff" not in seen["chair"]
    assert "Hilary Head" not in seen["dsl"] and "Hilary Head" not in seen["head"]


def test_the_dsl_sees_neither_the_lado_nor_the_link_on_a_low_level_concern(app, client, teacher,
                                                                          dsl):
    with app.app_context():
        row = concern(teacher)
    sign_in_as(client, dsl)
    html = page(client, breach_url(row))[1]
    assert "Low-level concern: the conversation and actions" in html
    assert "LADO" not in html and "Who it is about" not in html
    assert "/subject" not in html and "/lado" not in html


def test_the_page_says_who_sees_a_low_level_concern(app, client, teacher, head):
    with app.app_context():
        low, allegation = concern(teacher), concern(teacher, "allegation")
    sign_in_as(client, head)
    assert "Restricted: headteacher and DSL only" in page(client, breach_url(low))[1]
    assert "Restricted: headteacher only" in page(client, breach_url(allegation))[1]
    with app.app_context():
        low_level.save_settings("head", 3)
    assert "Restricted: headteacher only" in page(client, breach_url(low))[1]


# The conversation held and actions taken ---------------------------------------------------------

def test_the_lead_records_the_conversation_held_and_an_action_taken(app, client, teacher, dsl):
    with app.app_context():
        row = concern(teacher)
    sign_in_as(client, dsl)
    for kind, text in (("conversation", "Spoke with Pat about phones in class."),
                       ("action", "Reminded all staff of the policy.")):
        response = client.post(f"{breach_url(row)}/low-level", data={
            "csrf_token": token(client), "entry_kind": kind, "entry_text": text})
        assert response.status_code == 303
    with app.app_context():
        rows = [(u.kind, u.text, u.author_id) for u in
                RecordUpdate.select().where(RecordUpdate.breach == row.id).order_by(RecordUpdate.id)]
    assert rows == [("conversation", "Spoke with Pat about phones in class.", dsl.id),
                    ("action", "Reminded all staff of the policy.", dsl.id)]
    assert actions(app, "breach.conversation_added") == 1
    assert actions(app, "breach.action_added") == 1
    html = page(client, breach_url(row))[1]
    assert "recorded the conversation held: <span class=\"pre-line\">Spoke with Pat" in html


def test_an_empty_entry_is_refused_beside_its_field_and_writes_nothing(app, client, teacher, dsl):
    with app.app_context():
        row = concern(teacher)
    sign_in_as(client, dsl)
    data = {"csrf_token": token(client), "entry_kind": "conversation", "entry_text": "  "}
    with nothing_written(app, allow=VIEWED):
        response = client.post(f"{breach_url(row)}/low-level", data=data)
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "entry_text") == (
        "Please write what was said or done.")
    with nothing_written(app, allow=VIEWED):
        response = client.post(f"{breach_url(row)}/low-level", data={**data, "entry_kind": "note",
                                                                     "entry_text": "x"})
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "entry_kind") == (
        "Please choose the conversation held or an action taken.")


# The pattern view --------------------------------------------------------------------------------

def test_the_pattern_counts_twelve_months_and_flags_at_the_threshold_and_not_below(
        app, client, teacher, head):
    with app.app_context():
        pat = make_user("staff", display_name="Pat Staff")
        now = utcnow()
        for age, typed in ((0, "Pat"), (330, "Mr Staff"), (396, "P. Staff")):  # 396 days: 13 months
            row = concern(teacher, subject_name=typed,
                          occurred_at=now - dt.timedelta(days=age))
            Breach.update(subject_staff=pat).where(Breach.id == row.id).execute()
        people = low_level.pattern(head)
        assert [(p.name, p.recent, len(p.concerns), p.flagged) for p in people] == [
            ("Pat Staff", 2, 3, False)]
        low_level.save_settings("dsl", 2)
        assert [(p.recent, p.flagged) for p in low_level.pattern(head)] == [(2, True)]
    sign_in_as(client, head)
    html = page(client, "/records/low-level-concerns")[1]
    assert "2 in the last 12 months (3 in all)" in html
    assert "A pattern: 2 or more in 12 months" in html
    with app.app_context():
        low_level.save_settings("dsl", 3)
    html = page(client, "/records/low-level-concerns")[1]
    assert "2 in the last 12 months" in html and "A pattern" not in html


def test_concerns_not_linked_are_grouped_by_the_name_as_typed_and_say_so(app, client, teacher,
                                                                        dsl):
    with app.app_context():
        first = concern(teacher, subject_name="Pat Staff")
        concern(teacher, subject_name="pat  staff", description="Phone out in the classroom.")
        concern(teacher, subject_name="Sam Other")
    sign_in_as(client, dsl)
    html = page(client, "/records/low-level-concerns")[1]
    assert html.count("Not linked to an account or the roster") == 2
    assert "/records/low-level-concerns/person?who=name-pat+staff" in html
    status, one = page(client, "/records/low-level-concerns/person?who=name-pat+staff")
    assert status == 200
    assert "2 low-level concerns in the last 12 months" in one
    assert "Phone out in the classroom." in one and "Sam Other" not in one
    assert f'href="/records/breaches/{first.public_id}"' in one
    assert actions(app, "low_level.person_viewed") == 1
    assert actions(app, "low_level.log_viewed") == 1


def test_one_persons_page_shows_each_concern_with_its_conversations_and_actions(
        app, client, teacher, dsl):
    with app.app_context():
        person = add_person("Robin Roster", "robin@example.org", "volunteer")
        row = concern(teacher, subject_name="Robin")
        Breach.update(subject_person=person).where(Breach.id == row.id).execute()
    sign_in_as(client, dsl)
    client.post(f"{breach_url(row)}/low-level", data={
        "csrf_token": token(client), "entry_kind": "conversation", "entry_text": "We talked."})
    status, html = page(client, f"/records/low-level-concerns/person?who=roster-{person.id}")
    assert status == 200
    assert "<h1>Robin Roster</h1>" in html and "Logged as</dt><dd>Robin</dd>" in html
    assert "recorded the conversation held" in html and "We talked." in html
    assert "Not linked" not in html
    assert client.get("/records/low-level-concerns/person?who=roster-999").status_code == 404


# Leaving dates and retention ---------------------------------------------------------------------

def test_a_linked_low_level_concern_comes_up_for_review_when_its_person_leaves_and_not_before(
        app, teacher, head):
    with app.app_context():
        pat = make_user("staff", display_name="Pat Staff")
        recent = concern(teacher)
        old = concern(teacher)
        for row in (recent, old):
            Breach.update(subject_staff=pat).where(Breach.id == row.id).execute()
        long_ago = utcnow() - dt.timedelta(days=10 * 365)
        Breach.update(created_at=long_ago).where(Breach.id == old.id).execute()

        def review() -> set[int]:
            return {b.id for b in retention.due_for_review(StaffUser.get_by_id(head.id))}

        assert review() == set()  # ten years old, but Pat still works here
        today = utcnow().date()
        StaffUser.update(left_on=today + dt.timedelta(days=30)).where(
            StaffUser.id == pat.id).execute()
        assert review() == set()  # leaving next month
        StaffUser.update(left_on=today - dt.timedelta(days=1)).where(
            StaffUser.id == pat.id).execute()
        assert review() == {recent.id, old.id}  # whatever its age
        assert {b.id for b in retention.due_for_review_by_anyone()} == {recent.id, old.id}


def test_a_roster_persons_leaving_date_moves_their_concern_into_review(app, client, teacher,
                                                                       head):
    with app.app_context():
        person = add_person("Robin Roster", "robin@example.org", "volunteer")
        row = concern(teacher)
        Breach.update(subject_person=person).where(Breach.id == row.id).execute()
    sign_in_as(client, head)
    assert f"/admin/retention/{row.public_id}" not in page(client, "/admin/retention")[1]
    yesterday = utcnow().date() - dt.timedelta(days=1)
    response = client.post(f"/admin/roster/{person.id}/left-on", data={
        "csrf_token": token(client), "left_on": yesterday.isoformat()})
    assert response.status_code == 303
    with app.app_context():
        assert RosterPerson.get_by_id(person.id).left_on == yesterday
    html = page(client, "/admin/retention")[1]
    assert f"/admin/retention/{row.public_id}" in html
    assert "A low-level concern about Robin Roster, who left on" in html
    assert actions(app, "roster.left_on_set") == 1


def test_an_unlinked_low_level_concern_follows_the_old_rule_and_the_review_says_to_link_it(
        app, client, teacher, head):
    with app.app_context():
        young, old = concern(teacher), concern(teacher)
        Breach.update(created_at=utcnow() - dt.timedelta(days=7 * 365)).where(
            Breach.id == old.id).execute()
    sign_in_as(client, head)
    html = page(client, "/admin/retention")[1]
    assert f"/admin/retention/{old.public_id}" in html
    assert f"/admin/retention/{young.public_id}" not in html
    assert "Link it to their account or roster entry" in html


def test_the_head_records_a_leaving_date_on_a_staff_account_or_clears_it(app, client, head):
    with app.app_context():
        pat = make_user("staff", display_name="Pat Staff")
    sign_in_as(client, head)
    field = f"u{pat.id}-left_on"
    assert f'id="{field}"' in page(client, f"/admin/staff/{pat.id}")[1]
    response = client.post(f"/admin/staff/{pat.id}/left-on", data={
        "csrf_token": token(client), field: "2026-03-03"})
    assert response.status_code == 303
    with app.app_context():
        assert StaffUser.get_by_id(pat.id).left_on == dt.date(2026, 3, 3)
    assert "Left on 3 March 2026" in page(client, "/admin/staff")[1]
    assert "<dt>Left the school</dt><dd>3 March 2026</dd>" in page(
        client, f"/admin/staff/{pat.id}")[1]
    client.post(f"/admin/staff/{pat.id}/left-on", data={"csrf_token": token(client), field: ""})
    with app.app_context():
        assert StaffUser.get_by_id(pat.id).left_on is None
    assert actions(app, "account.left_on_set") == 2


def test_the_chairs_account_gets_no_leaving_date_from_the_head(app, client, head, chair):
    sign_in_as(client, head)
    assert f"u{chair.id}-left_on" not in page(client, "/admin/staff")[1]
    assert f"/admin/staff/{chair.id}" not in page(client, "/admin/staff")[1]
    with nothing_written(app, allow=ACCESS_REFUSED):
        assert client.get(f"/admin/staff/{chair.id}").status_code == 403
    with nothing_written(app, allow=ACCESS_REFUSED):
        response = client.post(f"/admin/staff/{chair.id}/left-on", data={
            "csrf_token": token(client), f"u{chair.id}-left_on": "2026-03-03"})
    assert response.status_code == 403


def test_a_leaving_date_that_is_not_a_date_is_refused_beside_its_field(app, client, head):
    with app.app_context():
        pat = make_user("staff", display_name="Pat Staff")
        person = add_person("Robin Roster", "robin@example.org", "volunteer")
    sign_in_as(client, head)
    field = f"u{pat.id}-left_on"
    with nothing_written(app):
        response = client.post(f"/admin/staff/{pat.id}/left-on", data={
            "csrf_token": token(client), field: "last week"})
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), field) == (
        "Please enter a date, for example 3/3/2026.")
    with nothing_written(app, allow=("roster.link_shown",)):
        response = client.post(f"/admin/roster/{person.id}/left-on", data={
            "csrf_token": token(client), "left_on": "1899-01-01"})
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "left_on") == (
        "Please give a date between 2000 and 2100.")


# The head's settings -----------------------------------------------------------------------------

def test_the_head_chooses_the_lead_and_the_threshold(app, client, head):
    sign_in_as(client, head)
    status, html = page(client, "/admin/low-level-concerns")
    assert status == 200 and 'value="3"' in html
    response = client.post("/admin/low-level-concerns", data={
        "csrf_token": token(client), "lead": "head", "threshold": " 5 "})
    assert response.status_code == 303
    with app.app_context():
        assert low_level.settings() == low_level.Settings("head", 5)
    assert actions(app, "low_level.settings_saved") == 1


@pytest.mark.one_database("a form's messages; nothing a database does")
@pytest.mark.parametrize(("lead", "threshold", "field", "message"), [
    ("dsl", "", "threshold", "Please give a number from 1 to 20."),
    ("dsl", "0", "threshold", "Please give a whole number from 1 to 20, for example 3."),
    ("dsl", "21", "threshold", "Please give a whole number from 1 to 20, for example 3."),
    ("dsl", "2.5", "threshold", "Please give a whole number from 1 to 20, for example 3."),
    ("dsl", "²", "threshold", "Please give a whole number from 1 to 20, for example 3."),
    ("governors", "3", "lead", "Please choose who leads on low-level concerns."),
])
def test_bad_settings_are_refused_beside_their_field(app, client, head, lead, threshold, field,
                                                     message):
    sign_in_as(client, head)
    with nothing_written(app):
        response = client.post("/admin/low-level-concerns", data={
            "csrf_token": token(client), "lead": lead, "threshold": threshold})
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), field) == message


# Linking who a concern is about ------------------------------------------------------------------

def test_the_head_links_a_concern_to_a_staff_account_and_the_typed_name_stays(app, client,
                                                                             teacher, head):
    with app.app_context():
        row = concern(teacher, "allegation", subject_name="Mr S")
        sam = make_user("staff", display_name="Sam Taylor")
    sign_in_as(client, head)
    html = page(client, breach_url(row))[1]
    assert f'<option value="staff-{sam.id}">Sam Taylor</option>' in html
    response = client.post(f"{breach_url(row)}/subject", data={
        "csrf_token": token(client), "subject": f"staff-{sam.id}"})
    assert response.status_code == 303
    with app.app_context():
        saved = Breach.get_by_id(row.id)
        assert (saved.subject_staff_id, saved.subject_person_id, saved.subject_name) == (
            sam.id, None, "Mr S")
        assert [(u.kind, u.text) for u in saved.updates] == [("subject_linked", "Sam Taylor")]
    assert actions(app, "breach.subject_linked") == 1
    html = page(client, breach_url(row))[1]
    assert "linked it to Sam Taylor" in html
    assert "Linked to the staff account of Sam Taylor." in html


def test_only_the_case_manager_links_who_a_concern_is_about(app, teacher, dsl, head, chair):
    with app.app_context():
        low = concern(teacher)
        about_head = concern(teacher, subject_name="Hilary Head", concerns_head=True)
        sam = make_user("staff", display_name="Sam Taylor")
    refused = [(dsl, low, 403), (head, about_head, 404), (chair, low, 404),
               (teacher, low, 403)]
    for user, row, status in refused:
        client = app.test_client()
        sign_in_as(client, user)
        with nothing_written(app, allow=ACCESS_REFUSED):
            response = client.post(f"{breach_url(row)}/subject", data={
                "csrf_token": token(client), "subject": f"staff-{sam.id}"})
        assert response.status_code == status, user.role
    client = app.test_client()
    sign_in_as(client, chair)
    assert client.post(f"{breach_url(about_head)}/subject", data={
        "csrf_token": token(client), "subject": f"staff-{head.id}"}).status_code == 303


@pytest.mark.parametrize("choice", ["staff-99999", "roster-x", "chair", "staff-{chair}",
                                    "staff-²", "roster-³"])
def test_a_link_to_no_one_on_the_list_is_refused_beside_the_field(app, client, teacher, head,
                                                                  chair, choice):
    with app.app_context():
        row = concern(teacher)
    sign_in_as(client, head)
    with nothing_written(app, allow=VIEWED):
        response = client.post(f"{breach_url(row)}/subject", data={
            "csrf_token": token(client), "subject": choice.format(chair=chair.id)})
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "subject") == (
        "Please choose someone from the list.")


# Finding who it is about at a trust's size -----------------------------------------------------

def _trust(roster: int = 2000, accounts: int = 103) -> None:
    """A trust's roster and staff accounts, written in bulk (the hash is one, shared)."""
    from kiosk.models import db
    with db.atomic():
        for n in range(roster):
            RosterPerson.create(full_name=f"Roster Person {n:04d}", email=f"r{n}@trust.org.uk",
                                role="volunteer", token=f"t{n:060d}")
        hashed = StaffUser.get().password_hash
        for n in range(accounts - StaffUser.select().count()):
            StaffUser.create(email=f"s{n}@trust.org.uk", display_name=f"Staff Member {n:03d}",
                             role="staff", password_hash=hashed)


def test_at_a_trust_size_the_link_is_a_search_and_the_page_stays_under_100_kb(app, client,
                                                                              teacher, head):
    with app.app_context():
        row = concern(teacher, "allegation", subject_name="Mr S")
        _trust()
        emile = RosterPerson.create(full_name="Émile Martin", email="emile@trust.org.uk",
                                    role="volunteer", token="e" * 60)
        assert RosterPerson.select().count() == 2001 and StaffUser.select().count() == 103
    sign_in_as(client, head)
    response = client.get(breach_url(row))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and len(response.data) < 100_000
    assert 'label for="subject-find">Find the person by name</label>' in html
    assert "Roster Person" not in html and "Staff Member" not in html
    assert "Find the person by name to choose them." in html
    viewed = actions(app, "breach.viewed")
    with nothing_written(app, allow=VIEWED):  # a search writes nothing but the view's audit
        status, html = page(client, breach_url(row) + "?find=emile")
    assert status == 200 and actions(app, "breach.viewed") == viewed + 1
    assert f'<option value="roster-{emile.id}">Émile Martin (volunteer)</option>' in html
    assert "1 person matches “emile”." in html and "Roster Person" not in html
    # Spaces, tabs and new lines are one space, as names are stored; a long search is cut.
    assert "1 person matches “emile martin”." in page(
        client, breach_url(row) + "?find=%09emile%0A%20%20martin")[1]
    assert page(client, breach_url(row) + "?find=" + "x" * 5000)[0] == 200
    status, html = page(client, breach_url(row) + "?find=person+1")
    assert html.count('<option value="roster-') == 20
    assert "1,000 people match “person 1”: the first 20 are offered." in html


def test_a_search_escapes_like_wildcards_and_finds_no_one_by_them(app, client, teacher, head):
    with app.app_context():
        row = concern(teacher, "allegation", subject_name="Mr S")
        _trust(roster=40, accounts=3)
    sign_in_as(client, head)
    for wildcard in ("%25", "_", "person%25"):
        html = page(client, breach_url(row) + f"?find={wildcard}")[1]
        assert '<option value="roster-' not in html and '<option value="staff-' not in html
        assert "No staff account or roster entry has" in html


def test_someone_not_among_the_shown_matches_can_still_be_linked(app, client, teacher, head):
    with app.app_context():
        row = concern(teacher, "allegation", subject_name="Mr S")
        _trust(roster=100, accounts=3)
        last = RosterPerson.get(RosterPerson.full_name == "Roster Person 0099")
    sign_in_as(client, head)
    assert f'value="roster-{last.id}"' not in page(client, breach_url(row) + "?find=person")[1]
    response = client.post(f"{breach_url(row)}/subject", data={
        "csrf_token": token(client), "subject": f"roster-{last.id}"})
    assert response.status_code == 303
    with app.app_context():
        assert Breach.get_by_id(row.id).subject_person_id == last.id
    html = page(client, breach_url(row))[1]
    # The current link is always offered, selected, whatever the search shows.
    assert f'<option value="roster-{last.id}" selected>Roster Person 0099 (volunteer)' in html
    assert "Linked to Roster Person 0099 on the roster." in html


def test_a_bad_link_at_a_trust_size_is_refused_beside_the_field(app, client, teacher, head):
    with app.app_context():
        row = concern(teacher, "allegation", subject_name="Mr S")
        _trust(roster=100, accounts=3)
    sign_in_as(client, head)
    with nothing_written(app, allow=VIEWED):
        response = client.post(f"{breach_url(row)}/subject", data={
            "csrf_token": token(client), "subject": "roster-999999"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, "subject") == "Please choose someone from the list."
    assert 'label for="subject-find">Find the person by name</label>' in html


def test_a_quiet_school_sees_everyone_in_the_plain_select_with_no_search(app, client, teacher,
                                                                         head):
    with app.app_context():
        row = concern(teacher, "allegation", subject_name="Mr S")
        _trust(roster=25, accounts=5)
        assert (StaffUser.select().count() - 0) + RosterPerson.select().count() == 30
    sign_in_as(client, head)
    html = page(client, breach_url(row) + "?find=nobody")[1]
    assert "subject-find" not in html and "Find the person by name" not in html
    assert html.count('<option value="roster-') == 25
    assert html.count('<option value="staff-') == 5


def test_the_search_lists_no_one_for_anyone_but_the_case_manager(app, teacher, dsl, head):
    with app.app_context():
        row = concern(teacher)  # low-level: the DSL leads and sees it; the head manages it
        _trust(roster=100, accounts=5)
    client = app.test_client()
    sign_in_as(client, dsl)
    status, html = page(client, breach_url(row) + "?find=person")
    assert status == 200
    assert "Roster Person" not in html and "subject-find" not in html
    with nothing_written(app, allow=ACCESS_REFUSED):
        response = client.post(f"{breach_url(row)}/subject", data={
            "csrf_token": token(client), "subject": "roster-1"})
    assert response.status_code == 403
    other = app.test_client()
    sign_in_as(other, teacher)
    assert other.get(breach_url(row) + "?find=person").status_code == 404


# The chronology ----------------------------------------------------------------------------------

def _linked(reporter, user, classification, **kw) -> Breach:
    row = concern(reporter, classification, subject_name="Mr S", **kw)
    Breach.update(subject_staff=user).where(Breach.id == row.id).execute()
    return row


def _chronology(app, user, name="Sam Taylor") -> str:
    client = app.test_client()
    sign_in_as(client, user)
    response = client.get("/reports/chronology", query_string={"name": name})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_linked_concern_is_in_the_persons_chronology_for_the_case_manager_only(
        app, teacher, dsl, head, chair):
    with app.app_context():
        sam = make_user("staff", display_name="Sam Taylor")
        allegation = _linked(teacher, sam, "allegation")
        conduct = _linked(teacher, sam, "conduct")
        low = _linked(teacher, sam, "low_level")
        make_acceptance(full_name="Sam Taylor")
    for_head = _chronology(app, head)
    for row in (allegation, conduct, low):
        assert str(row.public_id) in for_head
    assert "An allegation that may meet the harm threshold" in for_head
    for_dsl = _chronology(app, dsl)
    assert str(allegation.public_id) not in for_dsl and str(conduct.public_id) not in for_dsl
    assert str(low.public_id) in for_dsl  # the DSL leads on low-level concerns
    assert "Accepted" in for_dsl
    for_chair = _chronology(app, chair)
    assert "Mr S" not in for_chair and "/records/breaches/" not in for_chair
    assert "Accepted" not in for_chair  # acceptances are not the chair's to look through
    with app.app_context():
        low_level.save_settings("head", 3)
    assert str(low.public_id) not in _chronology(app, dsl)


def test_the_chair_finds_a_concern_about_the_head_in_the_heads_chronology(app, teacher, head,
                                                                        chair):
    with app.app_context():
        hilary = StaffUser.get_by_id(head.id)
        about = concern(teacher, "allegation", subject_name="The head", concerns_head=True)
        Breach.update(subject_staff=hilary).where(Breach.id == about.id).execute()
        make_acceptance(full_name=hilary.display_name)
    for_chair = _chronology(app, chair, hilary.display_name)
    assert str(about.public_id) in for_chair and "Accepted" not in for_chair
    assert str(about.public_id) not in _chronology(app, head, hilary.display_name)


def test_a_linked_concerns_page_leads_its_case_manager_to_the_persons_chronology(app, client,
                                                                                teacher, head,
                                                                                chair):
    """The chair has no chronology tile: a concern about the head linked to the head's account
    leads there (and the head's own concerns about staff the same way)."""
    with app.app_context():
        hilary = StaffUser.get_by_id(head.id)
        about = concern(teacher, "allegation", subject_name="The head", concerns_head=True)
        Breach.update(subject_staff=hilary).where(Breach.id == about.id).execute()
        unlinked = concern(teacher, "allegation", subject_name="Someone")
    sign_in_as(client, chair)
    html = client.get(breach_url(about)).get_data(as_text=True)
    link = f'href="/reports/chronology?name={hilary.display_name.replace(" ", "+")}"'
    assert link in html
    assert str(about.public_id) in client.get(
        "/reports/chronology", query_string={"name": hilary.display_name}).get_data(as_text=True)
    sign_in_as(client, head)
    assert "/reports/chronology?" not in client.get(breach_url(unlinked)).get_data(as_text=True)


def test_the_link_says_who_sees_it(app, client, teacher, head):
    """The DSL sees the link of a low-level concern while they lead (its history, the pattern
    view): the hint says so, and "only you" otherwise."""
    with app.app_context():
        low = concern(teacher, "low_level")
        conduct = concern(teacher, "conduct")
    sign_in_as(client, head)
    html = client.get(breach_url(low)).get_data(as_text=True)
    assert "The DSL sees this link too, while they lead on low-level concerns." in html
    assert "Only you see this link." not in html
    assert "Only you see this link." in client.get(breach_url(conduct)).get_data(as_text=True)
    with app.app_context():
        low_level.save_settings("head", 3)
    assert "Only you see this link." in client.get(breach_url(low)).get_data(as_text=True)


def test_a_concern_linked_to_the_heads_own_account_passes_to_the_chair(app, client, teacher, head,
                                                                      chair, dsl):
    """The reporter did not tick "about the headteacher": once the head links it to their own
    account it is the chair's (KCSIE Part 4: the head cannot manage a concern about themselves),
    with its welfare task, and the head can no longer open it."""
    from kiosk.models import WelfareTask

    with app.app_context():
        breach = make_breach(teacher, "pupil_contact", subject_kind="staff", subject_name="The Head",
                             pupils="Polly Pupil")
        task = WelfareTask.get(WelfareTask.breach == breach)
    sign_in_as(client, head)
    response = client.post(f"/records/breaches/{breach.public_id}/subject",
                           data={"csrf_token": token(client), "subject": f"staff-{head.id}"})
    assert response.status_code == 303 and response.location.endswith("/records/concerns")
    assert "passed to the chair of governors" in client.get("/records/concerns").get_data(as_text=True)
    assert client.get(f"/records/breaches/{breach.public_id}").status_code == 404
    assert client.get(f"/records/welfare/{task.public_id}").status_code == 404
    with app.app_context():
        moved = Breach.get_by_id(breach.id)
        assert moved.concerns_head and moved.subject_staff_id == head.id
        assert WelfareTask.get_by_id(task.id).concerns_head
    sign_in_as(client, chair)
    assert client.get(f"/records/breaches/{breach.public_id}").status_code == 200
    assert client.get(f"/records/welfare/{task.public_id}").status_code == 200


def test_a_concern_linked_to_another_member_of_staff_stays_with_the_head(app, client, teacher, head):
    with app.app_context():
        breach = make_breach(teacher, "pupil_contact", subject_kind="staff", subject_name="Sam")
    sign_in_as(client, head)
    response = client.post(f"/records/breaches/{breach.public_id}/subject",
                           data={"csrf_token": token(client), "subject": f"staff-{teacher.id}"})
    assert response.status_code == 303, response.get_data(as_text=True)[-3000:]
    assert response.location.endswith(f"/records/breaches/{breach.public_id}")
    with app.app_context():
        assert not Breach.get_by_id(breach.id).concerns_head
