"""A concern about a member of staff, as its case manager handles it (kiosk/staff_concerns.py):
classifying it, and for an allegation the LADO's working day, the decision on suspension, the
outcome that closes it, how long it is kept, and the removal of a malicious or false one."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from kiosk import audit, retention
from kiosk.breaches import LadoDetails, lado_overdue, record_lado
from kiosk.models import (
    AuditEvent,
    Breach,
    DeletionRequest,
    LadoReferral,
    RecordUpdate,
    SchoolSettings,
    WelfareTask,
    as_stored,
    utcnow,
)
from kiosk.staff_concerns import (
    AllegationClosing,
    classify,
    close_allegation,
    decide_suspension,
    keep_until,
)

from .helpers import (
    ACCESS_REFUSED,
    SCHOOL_ZONE,
    VIEWED,
    field_error,
    hidden_fields,
    make_allegation,
    make_breach,
    make_deletion_request,
    make_user,
    nothing_written,
    sign_in_as,
)

NOT_CLASSIFIED = "Not classified yet"
ALLEGATION_WORDS = "an allegation that may meet the harm threshold"
HARMED = "Behaved in a way that has harmed a child, or may have harmed a child"


def concern_about_staff(reporter, **kw) -> Breach:
    return make_breach(reporter, subject_kind="staff", category="pupil_contact", **kw)


def page_of(breach: Breach) -> str:
    return f"/records/breaches/{breach.public_id}"


def token(client) -> str:
    """The session's CSRF token, from a page every signed-in role opens and nobody audits."""
    return hidden_fields(client.get("/account/password").get_data(as_text=True))["csrf_token"]


def send(client, breach: Breach, action: str, **data):
    """Post one of the case manager's forms on a breach's page, as a browser would."""
    return client.post(f"{page_of(breach)}/{action}", data={"csrf_token": token(client), **data})


def reloaded(breach: Breach) -> Breach:
    return Breach.get_by_id(breach.id)


def entries(breach: Breach, kind: str) -> list[RecordUpdate]:
    return list(RecordUpdate.select().where(RecordUpdate.breach == breach.id,
                                            RecordUpdate.kind == kind).order_by(RecordUpdate.id))


def set_low_level_lead(lead: str) -> None:
    row = SchoolSettings.select().first() or SchoolSettings.create()
    SchoolSettings.update(low_level_lead=lead).where(SchoolSettings.id == row.id).execute()


# Who is the case manager -------------------------------------------------------------------------

def test_the_case_manager_is_the_head_or_the_chair_when_it_is_about_the_head(ctx, teacher, dsl,
                                                                             head, chair):
    about_staff = concern_about_staff(teacher)
    about_head = concern_about_staff(teacher, concerns_head=True)
    ordinary = make_breach(teacher)
    assert [about_staff.managed_by(u) for u in (teacher, dsl, head, chair)] == [
        False, False, True, False]
    assert [about_head.managed_by(u) for u in (teacher, dsl, head, chair)] == [
        False, False, False, True]
    assert not ordinary.managed_by(head)


# Classifying -------------------------------------------------------------------------------------

def test_a_concern_not_classified_yet_is_a_call_to_action_on_its_page_and_in_the_list(
        app, client, head, teacher):
    with app.app_context():
        waiting = concern_about_staff(teacher)
        ordinary = make_breach(teacher, category="working_day")
        done = make_allegation(teacher)
    sign_in_as(client, head)
    html = client.get(page_of(waiting)).get_data(as_text=True)
    assert NOT_CLASSIFIED in html and "Save classification" in html
    assert NOT_CLASSIFIED not in client.get(page_of(done)).get_data(as_text=True)
    assert NOT_CLASSIFIED not in client.get(page_of(ordinary)).get_data(as_text=True)
    listed = client.get("/records/concerns").get_data(as_text=True)
    rows = {b.public_id: next(li for li in re.findall(r"<li>.*?</li>", listed, re.S)
                              if str(b.public_id) in li) for b in (waiting, ordinary, done)}
    assert NOT_CLASSIFIED in rows[waiting.public_id]
    assert NOT_CLASSIFIED not in rows[ordinary.public_id] + rows[done.public_id]


def test_the_head_classifies_an_allegation_with_its_harm_tests_and_reason(app, client, head,
                                                                          teacher):
    with app.app_context():
        breach = concern_about_staff(teacher)
    sign_in_as(client, head)
    response = send(client, breach, "classification", classification="allegation",
                    harm_tests=["harmed", "risk"], reason="A parent saw the messages.")
    assert response.status_code == 303
    with app.app_context():
        stored = reloaded(breach)
        assert (stored.classification, stored.allegation_since) == ("allegation", stored.created_at)
        [entry] = entries(breach, "classification")
        assert (entry.author_id, entry.old_value, entry.new_value, entry.detail, entry.text) == (
            head.id, "", "allegation", "harmed,risk", "A parent saw the messages.")
        [event] = AuditEvent.select().where(AuditEvent.action == "breach.classified")
        assert (event.record_id, event.actor_id) == (str(breach.public_id), head.id)
    html = client.get(page_of(breach)).get_data(as_text=True)
    assert f"Classified as <strong>{ALLEGATION_WORDS}</strong>" in html
    assert HARMED in html and "A parent saw the messages." in html
    assert f"classified it as {ALLEGATION_WORDS} ({HARMED.lower()}; " in html
    assert "Refer to the LADO by" in html and "Save LADO referral" in html


def test_an_allegation_needs_a_harm_test_and_every_classification_a_reason(app, client, head,
                                                                           teacher):
    with app.app_context():
        breach = concern_about_staff(teacher)
    sign_in_as(client, head)
    with nothing_written(app, allow=VIEWED):
        no_test = send(client, breach, "classification", classification="allegation",
                       reason="Reported by a parent.")
        no_reason = send(client, breach, "classification", classification="low_level",
                         reason="  ")
        nothing = send(client, breach, "classification")
    assert (no_test.status_code, no_reason.status_code, nothing.status_code) == (422, 422, 422)
    assert field_error(no_test.get_data(as_text=True), "harm_tests") == (
        "Please tick at least one of the tests an allegation may meet.")
    assert field_error(no_reason.get_data(as_text=True), "classify_reason") == (
        "Please give the reason for this decision.")
    assert field_error(nothing.get_data(as_text=True), "classification") == (
        "Please choose what this is.")


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"classification": "dismissed"}, "classification", "Please choose what this is."),
    ({"classification": "allegation", "harm_tests": ["harmed", "gossip"]}, "harm_tests",
     "Please tick from the listed tests."),
    ({"classification": "allegation", "harm_tests": ["harmed"], "reason": "x\x07y"}, "classify_reason",
     "Please use letters, numbers and punctuation only."),
])
def test_a_forged_classification_is_refused_beside_its_field(app, client, head, teacher, data,
                                                             field, message):
    with app.app_context():
        breach = concern_about_staff(teacher)
    sign_in_as(client, head)
    with nothing_written(app, allow=VIEWED):
        response = send(client, breach, "classification", **{"reason": "Because.", **data})
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), field) == message


def test_the_harm_tests_are_kept_only_for_an_allegation(app, client, head, teacher):
    with app.app_context():
        breach = concern_about_staff(teacher)
    sign_in_as(client, head)
    assert send(client, breach, "classification", classification="low_level",
                harm_tests=["harmed"], reason="Over-familiar, no harm.").status_code == 303
    with app.app_context():
        [entry] = entries(breach, "classification")
        assert (entry.new_value, entry.detail) == ("low_level", "")
        assert reloaded(breach).allegation_since is None


def test_reclassifying_adds_an_entry_and_keeps_the_earlier_one(app, client, head, teacher):
    with app.app_context():
        breach = concern_about_staff(teacher)
    sign_in_as(client, head)
    send(client, breach, "classification", classification="low_level", reason="First view.")
    with app.app_context():
        [first] = entries(breach, "classification")
        first_row = RecordUpdate.select().where(RecordUpdate.id == first.id).tuples().get()
    before = utcnow()
    assert send(client, breach, "classification", classification="allegation",
                harm_tests=["unsuitable"], reason="More came to light.").status_code == 303
    with app.app_context():
        stored = reloaded(breach)
        earlier, later = entries(breach, "classification")
        # The earlier entry is exactly as it was; the new one says what changed.
        assert RecordUpdate.select().where(RecordUpdate.id == earlier.id).tuples().get() == first_row
        assert (later.old_value, later.new_value, later.detail, later.text) == (
            "low_level", "allegation", "unsuitable", "More came to light.")
        # An allegation since it was seen as one, not since it was logged.
        assert stored.classification == "allegation"
        assert stored.allegation_since >= before > stored.created_at
    html = client.get(page_of(breach)).get_data(as_text=True)
    assert "classified it as a low-level concern, because: " in html
    assert f"reclassified it from a low-level concern to {ALLEGATION_WORDS}" in html


def test_classifying_it_the_same_way_twice_is_refused(app, client, head, teacher):
    with app.app_context():
        breach = concern_about_staff(teacher)
    sign_in_as(client, head)
    send(client, breach, "classification", classification="conduct", reason="Policy only.")
    with nothing_written(app, allow=VIEWED):
        again = send(client, breach, "classification", classification="conduct",
                     reason="Policy only.")
    assert again.status_code == 422
    assert field_error(again.get_data(as_text=True), "classification") == (
        "It is already classified as that.")


def test_only_the_case_manager_classifies(app, client, teacher, dsl, head, chair):
    with app.app_context():
        low_level = concern_about_staff(teacher)
        about_head = concern_about_staff(teacher, concerns_head=True)
        classify(low_level, head, "low_level", [], "Over-familiar messages.")
    form = {"classification": "allegation", "harm_tests": ["harmed"], "reason": "Forged."}
    # The DSL reads a low-level concern (the school's lead) but may not classify it.
    for user, breach, status in ((dsl, low_level, 403), (teacher, low_level, 403),
                                 (head, about_head, 404)):
        sign_in_as(client, user)
        csrf = token(client)
        with nothing_written(app, allow=ACCESS_REFUSED):
            response = client.post(f"{page_of(breach)}/classification",
                                   data={"csrf_token": csrf, **form})
        assert response.status_code == status, user.role
    sign_in_as(client, chair)
    assert send(client, about_head, "classification", **form).status_code == 303
    with app.app_context():
        assert reloaded(about_head).classification == "allegation"
        assert reloaded(low_level).classification == "low_level"


def test_the_rule_itself_refuses_anyone_but_the_case_manager(ctx, teacher, dsl, chair):
    breach = concern_about_staff(teacher)
    for user in (teacher, dsl, chair):
        with pytest.raises(PermissionError):
            classify(breach, user, "conduct", [], "Reason.")
    assert RecordUpdate.select().count() == 0 and reloaded(breach).classification == ""


def test_the_dsl_reading_a_low_level_concern_sees_nothing_of_the_allegation_it_was(
        app, client, dsl, head, teacher):
    with app.app_context():
        breach = concern_about_staff(teacher)
        classify(breach, head, "allegation", ["offence"], "Secret reason one.")
        decide_suspension(reloaded(breach), head, "suspended", "Secret reason two.")
        record_lado(reloaded(breach), head, LadoDetails(referred_at=utcnow(), reference="LADO-77",
                                                        advice="", police_involved=True,
                                                        outcome=""))
        classify(reloaded(breach), head, "low_level", [], "Secret reason three.")
    sign_in_as(client, dsl)
    response = client.get(page_of(breach))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for secret in ("Secret reason", "LADO", "allegation", "criminal offence", "uspen",
                   "classif", "Not classified"):
        assert secret not in html, secret
    sign_in_as(client, head)
    html = client.get(page_of(breach)).get_data(as_text=True)
    assert all(f"Secret reason {n}" in html for n in ("one", "two", "three"))


def test_the_dsl_reads_only_what_was_written_while_it_was_a_low_level_concern(
        app, client, dsl, head, teacher):
    """The case manager's notes and actions from before it was a low-level concern (unclassified,
    an allegation, conduct) stay theirs: on its page and in the pattern view."""
    from kiosk.low_level import add_entry

    with app.app_context():
        breach = concern_about_staff(teacher, subject_name="Pat Staff")
        RecordUpdate.create(breach=breach, author=head, kind="note", text="Before classifying.")
        classify(reloaded(breach), head, "allegation", ["offence"], "Reason.")
        RecordUpdate.create(breach=breach, author=head, kind="note", text="Police say no charge.")
        RecordUpdate.create(breach=breach, author=head, kind="action", text="Told the LADO.")
        classify(reloaded(breach), head, "low_level", [], "Below the threshold.")
        add_entry(reloaded(breach), dsl, "conversation", "First talk.")
        classify(reloaded(breach), head, "conduct", [], "Only the policy.")
        RecordUpdate.create(breach=breach, author=head, kind="action", text="Written warning.")
        classify(reloaded(breach), head, "low_level", [], "Low-level after all.")
        add_entry(reloaded(breach), head, "action", "Second talk.")
    sign_in_as(client, dsl)
    on_page = client.get(page_of(breach)).get_data(as_text=True)
    pattern = client.get("/records/low-level-concerns/person",
                         query_string={"who": "name-pat staff"}).get_data(as_text=True)
    for html in (on_page, pattern):
        assert "First talk." in html and "Second talk." in html
        for secret in ("Before classifying.", "Police say", "Told the LADO", "Written warning"):
            assert secret not in html, secret
    sign_in_as(client, head)
    html = client.get(page_of(breach)).get_data(as_text=True)
    assert all(text in html for text in ("Before classifying.", "Police say no charge.",
                                         "Told the LADO.", "Written warning.", "First talk."))
    assert "Written warning." in client.get("/records/low-level-concerns/person", query_string={
        "who": "name-pat staff"}).get_data(as_text=True)


def test_a_dsl_does_not_see_a_low_level_concern_linked_to_their_own_account(app, client, dsl,
                                                                          head, teacher):
    """As the head never sees a concern about the head, a DSL never sees one about themselves;
    a deputy DSL still does."""
    with app.app_context():
        deputy = make_user("dsl")
        about_dsl = concern_about_staff(teacher, subject_name="Dee")
        classify(about_dsl, head, "low_level", [], "Over-familiar.")
        Breach.update(subject_staff=dsl).where(Breach.id == about_dsl.id).execute()
        other = concern_about_staff(teacher, subject_name="Someone")
        classify(other, head, "low_level", [], "Minor.")
    sign_in_as(client, dsl)
    assert client.get(page_of(about_dsl)).status_code == 404
    listed = client.get("/records/concerns?status=all").get_data(as_text=True)
    log = client.get("/records/low-level-concerns").get_data(as_text=True)
    assert str(other.public_id) in listed and "Someone" in log
    assert str(about_dsl.public_id) not in listed and f"who=staff-{dsl.id}" not in log
    assert client.get("/reports/chronology", query_string={"name": dsl.display_name}
                      ).get_data(as_text=True).count("/records/breaches/") == 0
    sign_in_as(client, deputy)
    assert client.get(page_of(about_dsl)).status_code == 200


def test_with_the_head_as_low_level_lead_the_dsl_does_not_see_a_low_level_concern(
        app, client, dsl, head, teacher):
    with app.app_context():
        breach = concern_about_staff(teacher)
        classify(breach, head, "low_level", [], "Over-familiar messages.")
        set_low_level_lead("head")
    sign_in_as(client, dsl)
    assert client.get(page_of(breach)).status_code == 404
    assert str(breach.public_id) not in client.get("/records/concerns?status=all").get_data(
        as_text=True)


def test_a_closed_concern_is_reopened_before_it_is_classified_again(ctx, head, teacher):
    breach = concern_about_staff(teacher)
    classify(breach, head, "conduct", [], "Policy only.")
    Breach.update(status="closed").where(Breach.id == breach.id).execute()
    with pytest.raises(ValueError, match="Reopen it first"):
        classify(reloaded(breach), head, "allegation", ["harmed"], "New evidence.")


# Closing through the status form --------------------------------------------------------------

def test_a_concern_about_staff_not_classified_yet_cannot_be_closed(app, client, head, teacher):
    with app.app_context():
        breach = concern_about_staff(teacher)
    sign_in_as(client, head)
    with nothing_written(app, allow=VIEWED):
        response = send(client, breach, "status", status="closed", note="Sorted.")
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "status").startswith("Classify it first")


def test_an_allegation_is_not_closed_by_the_status_form_but_a_low_level_concern_is(
        app, client, head, teacher):
    with app.app_context():
        allegation = make_allegation(teacher)
        low_level = concern_about_staff(teacher)
        classify(low_level, head, "low_level", [], "Over-familiar.")
    sign_in_as(client, head)
    with nothing_written(app, allow=VIEWED):
        refused = send(client, allegation, "status", status="closed", note="Done.")
    assert refused.status_code == 422
    assert "Close the allegation" in field_error(refused.get_data(as_text=True), "status")
    assert send(client, low_level, "status", status="closed", note="Spoken to.").status_code == 303
    with app.app_context():
        assert reloaded(low_level).status == "closed" and reloaded(allegation).status == "open"


# The LADO's working day ---------------------------------------------------------------------------

def allegation_since(reporter, local: dt.datetime) -> Breach:
    """An allegation from the first, logged at this local (school) time."""
    breach = make_allegation(reporter)
    moment = as_stored(local.replace(tzinfo=SCHOOL_ZONE))
    Breach.update(created_at=moment, allegation_since=moment).where(Breach.id == breach.id).execute()
    return reloaded(breach)


# Pinned on purpose: the calendar is the fact under test (bank holidays of England and Wales).
@pytest.mark.parametrize(("logged", "due"), [
    # Friday afternoon: due the same time on Monday.
    (dt.datetime(2027, 3, 5, 15, 0), "3:00pm on Monday 8 March 2027"),
    # The Thursday before Easter: Good Friday and Easter Monday are skipped (and the clocks go
    # forward on Easter Sunday, so it is still 10am at school).
    (dt.datetime(2027, 3, 25, 10, 0), "10:00am on Tuesday 30 March 2027"),
    # Christmas Eve: Christmas Day, the weekend and the Boxing Day holiday (Monday 28th).
    (dt.datetime(2026, 12, 24, 14, 0), "2:00pm on Tuesday 29 December 2026"),
])
def test_the_lado_deadline_on_the_page_counts_working_days(app, client, head, teacher, logged,
                                                           due):
    with app.app_context():
        breach = allegation_since(teacher, logged)
    sign_in_as(client, head)
    html = client.get(page_of(breach)).get_data(as_text=True)
    found = re.search(r"Refer to the LADO by (.*?) \((.*?)\)\.", html)
    assert found and found.group(1) == due
    assert found.group(2).endswith("left")


def test_an_unreferred_allegation_past_its_deadline_is_overdue_on_the_page(app, client, head,
                                                                          teacher):
    with app.app_context():
        breach = allegation_since(teacher, dt.datetime(2026, 11, 2, 9, 30))  # a Monday
    sign_in_as(client, head)
    html = client.get(page_of(breach)).get_data(as_text=True)
    assert ("Not referred within one working day. It was due by 9:30am on Tuesday 3 November "
            "2026 (overdue by") in html
    assert "Refer to the LADO by" not in html


def test_no_lado_referral_is_due_for_what_is_not_an_allegation(app, client, head, teacher):
    long_ago = utcnow() - dt.timedelta(days=30)
    with app.app_context():
        waiting = concern_about_staff(teacher)
        low_level = concern_about_staff(teacher)
        classify(low_level, head, "low_level", [], "Over-familiar.")
        Breach.update(created_at=long_ago).where(Breach.id.in_([waiting.id, low_level.id])).execute()
        assert not lado_overdue(reloaded(waiting), None)
        assert not lado_overdue(reloaded(low_level), None)
    sign_in_as(client, head)
    assert "Not referred to the LADO" not in client.get("/records/concerns").get_data(as_text=True)
    for breach in (waiting, low_level):
        html = client.get(page_of(breach)).get_data(as_text=True)
        assert "Save LADO referral" not in html and "Refer to the LADO" not in html
        with nothing_written(app):
            assert send(client, breach, "lado", reference="LADO-1").status_code == 404


def test_an_allegation_reclassified_later_counts_its_day_from_then(ctx, head, teacher):
    breach = concern_about_staff(teacher)
    Breach.update(created_at=dt.datetime(2026, 1, 5, 9)).where(Breach.id == breach.id).execute()
    classify(reloaded(breach), head, "low_level", [], "Looked minor.")
    classify(reloaded(breach), head, "allegation", ["risk"], "It was not.")
    stored = reloaded(breach)
    assert stored.allegation_since > dt.datetime(2026, 1, 6, 9)
    assert not lado_overdue(stored, None, now=stored.allegation_since + dt.timedelta(hours=1))


# Suspension or alternatives --------------------------------------------------------------------

def test_each_suspension_decision_is_a_new_entry_and_the_page_shows_the_latest(app, client, head,
                                                                              teacher):
    with app.app_context():
        breach = make_allegation(teacher)
    sign_in_as(client, head)
    assert send(client, breach, "suspension", decision="alternatives",
                reason="Another adult present in class.").status_code == 303
    assert send(client, breach, "suspension", decision="suspended",
                reason="The LADO advised it.").status_code == 303
    with app.app_context():
        assert [(e.new_value, e.text) for e in entries(breach, "suspension")] == [
            ("alternatives", "Another adult present in class."),
            ("suspended", "The LADO advised it.")]
        assert AuditEvent.select().where(
            AuditEvent.action == "breach.suspension_decided").count() == 2
    html = client.get(page_of(breach)).get_data(as_text=True)
    assert "<strong>Suspended</strong>" in html and "Record a new decision" in html
    assert "decided on suspension or alternatives: alternative arrangements" in html


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"decision": "sacked", "reason": "x"}, "decision", "Please choose a decision."),
    ({"decision": "suspended", "reason": ""}, "suspension_reason",
     "Please give the reason for this decision."),
])
def test_a_bad_suspension_decision_is_refused_beside_its_field(app, client, head, teacher, data,
                                                                field, message):
    with app.app_context():
        breach = make_allegation(teacher)
    sign_in_as(client, head)
    with nothing_written(app, allow=VIEWED):
        response = send(client, breach, "suspension", **data)
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), field) == message


def test_only_an_allegation_has_a_suspension_decision(app, client, head, teacher):
    with app.app_context():
        breach = concern_about_staff(teacher)
        classify(breach, head, "conduct", [], "Policy only.")
    sign_in_as(client, head)
    assert "Suspension or alternatives" not in client.get(page_of(breach)).get_data(as_text=True)
    with nothing_written(app):
        assert send(client, breach, "suspension", decision="suspended",
                    reason="x").status_code == 404


# Closing an allegation ----------------------------------------------------------------------------

PENSION_AGE_LATE = dt.date(2049, 5, 1)  # later than ten years from now
PENSION_AGE_SOON = dt.date(2028, 7, 1)  # earlier than ten years from now


@pytest.mark.one_database("a form's messages; nothing a database does")
@pytest.mark.parametrize(("data", "field", "message"), [
    ({"note": "Investigated."}, "allegation_outcome", "Please choose the outcome."),
    ({"outcome": "dismissed", "note": "Investigated."}, "allegation_outcome",
     "Please choose the outcome."),
    ({"outcome": "unsubstantiated"}, "allegation_note", "Please write the outcome before closing."),
    ({"outcome": "substantiated", "note": "Proven."}, "pension_age_on",
     "Please give the date they reach their normal pension age, from their HR record."),
    ({"outcome": "unfounded", "note": "No basis.", "pension_age_on": "31/02/2040"},
     "pension_age_on", "Please enter a date, for example 3/3/2026."),
    ({"outcome": "malicious", "note": "Made up."}, "removal_confirmed",
     "Please tick to confirm that this record will be removed, or record that they asked in "
     "writing for it to be kept."),
    ({"outcome": "false", "note": "Disproved.", "kept_on_request": "y",
      "pension_age_on": "2049-05-01"}, "requested_on",
     "Please give the date of their written request."),
    ({"outcome": "false", "note": "Disproved.", "kept_on_request": "y",
      "pension_age_on": "2049-05-01", "requested_on": "2099-01-01"}, "requested_on",
     "That date is in the future."),
])
def test_closing_an_allegation_needs_its_outcome_and_what_that_outcome_asks_for(
        app, client, head, teacher, data, field, message):
    with app.app_context():
        breach = make_allegation(teacher)
    sign_in_as(client, head)
    with nothing_written(app, allow=VIEWED):
        response = send(client, breach, "allegation-outcome", **data)
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), field) == message


def test_the_outcomes_are_offered_with_kcsies_meanings(app, client, head, teacher):
    with app.app_context():
        breach = make_allegation(teacher)
    sign_in_as(client, head)
    html = client.get(page_of(breach)).get_data(as_text=True)
    assert ("Unsubstantiated <span class=\"tile-note\">There is insufficient evidence either to "
            "prove or disprove the allegation.") in html


@pytest.mark.parametrize("pension_age", [PENSION_AGE_LATE, PENSION_AGE_SOON])
def test_a_closed_allegation_is_kept_to_pension_age_or_ten_years_whichever_is_later(
        app, client, head, teacher, pension_age):
    with app.app_context():
        breach = make_allegation(teacher)
    sign_in_as(client, head)
    response = send(client, breach, "allegation-outcome", outcome="unsubstantiated",
                    note="Not enough evidence either way.", pension_age_on=pension_age.isoformat())
    assert response.status_code == 303
    assert response.headers["Location"].endswith(page_of(breach))
    with app.app_context():
        stored = reloaded(breach)
        ten_years = stored.allegation_since.replace(year=stored.allegation_since.year + 10)
        pension = as_stored(dt.datetime.combine(pension_age, dt.time(0), SCHOOL_ZONE))
        assert stored.keep_until == max(ten_years, pension)
        assert stored.keep_until == (pension if pension_age == PENSION_AGE_LATE else ten_years)
        assert (stored.status, stored.allegation_outcome) == ("closed", "unsubstantiated")
        assert [(e.kind, e.new_value, e.text) for e in RecordUpdate.select().where(
            RecordUpdate.breach == breach.id).order_by(RecordUpdate.id)] == [
            ("allegation_outcome", "unsubstantiated", ""),
            ("status", "closed", "Not enough evidence either way.")]
    html = client.get(page_of(breach)).get_data(as_text=True)
    assert "Closed as <strong>unsubstantiated</strong>" in html
    assert "Close the allegation" not in html and "Save classification" not in html


def test_ten_years_from_the_29th_of_february_is_the_1st_of_march(app):
    with app.app_context():
        assert keep_until(dt.datetime(2028, 2, 29, 12), dt.date(2030, 1, 1)) == dt.datetime(
            2038, 3, 1, 12)


def test_a_malicious_allegation_is_removed_at_closing_with_all_it_holds(app, client, head,
                                                                        teacher, dsl):
    with app.app_context():
        breach = make_allegation(teacher, subject_name="Morgan Staff")
        other = make_allegation(teacher, subject_name="Someone Else")
        request = make_deletion_request(teacher, breach=breach)
        record_lado(reloaded(breach), head, LadoDetails(referred_at=utcnow(), reference="L-9",
                                                        advice="", police_involved=False,
                                                        outcome=""))
        decide_suspension(reloaded(breach), head, "no_change", "Carry on.")
        RecordUpdate.create(deletion_request=request, author=teacher, kind="note", text="Asked.")
        task = WelfareTask.create(kind="staff_concern", breach=breach, pupils="Year 2 pupil",
                                  occurred_at=utcnow(), created_by=head)
        RecordUpdate.create(welfare_task=task, author=head, kind="name_shared", text="Morgan Staff")
        RecordUpdate.create(welfare_task=task, author=head, kind="welfare_note",
                            text="Check in with the child daily.")
        decide_suspension(reloaded(other), head, "no_change", "Unrelated.")
    sign_in_as(client, head)
    response = send(client, breach, "allegation-outcome", outcome="malicious",
                    note="A deliberate attempt to deceive.", removal_confirmed="y")
    assert response.status_code == 303 and response.headers["Location"].endswith("/records/concerns")
    listed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert ("The allegation was closed as malicious and removed, as Keeping Children Safe in "
            "Education asks for a malicious allegation.") in listed
    assert client.get(page_of(breach)).status_code == 404
    with app.app_context():
        assert Breach.get_or_none(Breach.id == breach.id) is None
        assert LadoReferral.select().count() == 0
        assert DeletionRequest.get_or_none(DeletionRequest.id == request.id) is None
        # What is left: the other allegation and its entry, and the child's welfare task with
        # the DSL's note, no longer tied to the breach and without the adult's name.
        assert {(u.breach_id, u.welfare_task_id, u.kind) for u in RecordUpdate.select()} == {
            (other.id, None, "suspension"), (None, task.id, "welfare_note")}
        kept = WelfareTask.get_by_id(task.id)
        assert kept.breach_id is None and kept.pupils == "Year 2 pupil"
        [event] = AuditEvent.select().where(AuditEvent.action == "allegation.removed")
        detail = json.loads(event.detail)
        assert (event.record_id, detail["outcome"], detail["deletion_requests"],
                detail["requests"]) == (str(breach.public_id), "malicious", 1,
                                        [str(request.public_id)])
        assert "Morgan" not in event.detail and "Staff" not in event.detail


def test_a_false_allegation_is_kept_when_the_person_asked_in_writing(app, client, head, teacher):
    with app.app_context():
        breach = make_allegation(teacher)
    sign_in_as(client, head)
    response = send(client, breach, "allegation-outcome", outcome="false", note="Disproved.",
                    kept_on_request="y", requested_on="2026-10-01",
                    pension_age_on=PENSION_AGE_LATE.isoformat())
    assert response.status_code == 303
    with app.app_context():
        stored = reloaded(breach)
        assert (stored.status, stored.allegation_outcome) == ("closed", "false")
        assert stored.keep_until == as_stored(dt.datetime.combine(PENSION_AGE_LATE, dt.time(0),
                                                                  SCHOOL_ZONE))
        [kept] = entries(breach, "kept_on_request")
        assert kept.text == "They asked in writing on 1 October 2026 for this record to be kept."
        [event] = AuditEvent.select().where(AuditEvent.action == "breach.allegation_closed")
        assert json.loads(event.detail) == {"kept_on_request": True, "outcome": "false"}
    html = client.get(page_of(breach)).get_data(as_text=True)
    assert "Closed as <strong>false</strong>" in html
    assert "recorded a request to keep the record: " in html


def test_closing_twice_is_refused(ctx, head, teacher):
    breach = make_allegation(teacher)
    closing = AllegationClosing(outcome="substantiated", note="Proven.",
                                pension_age_on=PENSION_AGE_LATE)
    close_allegation(breach, head, closing)
    with pytest.raises(ValueError, match="It is closed"):
        close_allegation(reloaded(breach), head, closing)
    assert len(entries(breach, "allegation_outcome")) == 1


def test_when_the_chair_removes_one_about_the_head_the_heads_log_still_hides_it(app, client,
                                                                                head, chair,
                                                                                teacher):
    with app.app_context():
        breach = make_allegation(teacher, concerns_head=True)
        created = AuditEvent.get(AuditEvent.action == "breach.created",
                                 AuditEvent.record_id == str(breach.public_id))
        request = make_deletion_request(teacher, breach=breach)
        made = AuditEvent.get(AuditEvent.action == "deletion_request.created",
                              AuditEvent.record_id == str(request.public_id))
    sign_in_as(client, chair)
    assert send(client, breach, "allegation-outcome", outcome="false", note="Disproved.",
                removal_confirmed="y").status_code == 303
    with app.app_context():
        assert Breach.get_or_none(Breach.id == breach.id) is None
        shown = {e.id for e in audit.visible_events(head)}
        assert created.id not in shown and made.id not in shown


# How long it is kept ----------------------------------------------------------------------------

def test_an_allegation_comes_up_for_review_only_once_closed_and_past_its_keep_until(ctx, head,
                                                                                   teacher):
    long_ago = utcnow() - dt.timedelta(days=20 * 365)
    make_allegation(teacher)  # still open: never listed, however old
    kept = make_allegation(teacher)
    ended = make_allegation(teacher)
    Breach.update(created_at=long_ago, allegation_since=long_ago).execute()
    for breach in (kept, ended):
        close_allegation(reloaded(breach), head, AllegationClosing(
            outcome="substantiated", note="Proven.", pension_age_on=dt.date(2040, 1, 1)))
    Breach.update(keep_until=utcnow() - dt.timedelta(days=1)).where(Breach.id == ended.id).execute()
    assert [b.id for b in retention.due_for_review(head)] == [ended.id]
    assert [b.id for b in retention.due_for_review_by_anyone()] == [ended.id]


def test_the_rules_refuse_what_is_not_an_open_allegation(ctx, head, teacher):
    breach = concern_about_staff(teacher)
    classify(breach, head, "low_level", [], "Minor.")
    with pytest.raises(ValueError, match="Only an allegation"):
        decide_suspension(reloaded(breach), head, "suspended", "x")
    with pytest.raises(ValueError, match="Only an allegation"):
        close_allegation(reloaded(breach), head, AllegationClosing(outcome="false", note="x"))
    assert len(entries(breach, "classification")) == 1
    assert RecordUpdate.select().count() == 1


def test_the_head_cannot_see_or_act_on_an_allegation_about_the_head(app, client, head, chair,
                                                                    teacher):
    with app.app_context():
        breach = make_allegation(teacher, concerns_head=True)
        other_head = make_user("head")
    for user in (head, other_head):
        sign_in_as(client, user)
        assert client.get(page_of(breach)).status_code == 404
    sign_in_as(client, chair)
    html = client.get(page_of(breach)).get_data(as_text=True)
    assert "Refer to the LADO by" in html and "Close the allegation" in html


def test_every_field_on_an_allegations_page_has_its_own_id(app, client, head, teacher):
    """The case manager's forms share the page with the status and LADO forms: a label must
    point at its own field (two fields called "reason", "note" or "outcome" would not)."""
    with app.app_context():
        breach = make_allegation(teacher)
    sign_in_as(client, head)
    html = client.get(page_of(breach)).get_data(as_text=True)
    # Each form's hidden CSRF token shares one id, as on every page with two forms: no label.
    ids = [i for i in re.findall(r'\sid="([^"]+)"', html) if i != "csrf_token"]
    assert len(ids) > 30 and sorted({i for i in ids if ids.count(i) > 1}) == []
