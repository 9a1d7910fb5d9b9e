"""Asking the headteacher's permission to post about the school (issue 15): asking, who sees
what, the head's decision with the pupils' photo consent, the email, questions and answers,
requests waiting too long, and a breach of posting without permission checked against them."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from kiosk import permissions
from kiosk.display import school_zone, today
from kiosk.models import (
    AuditEvent,
    PermissionNote,
    PermissionRequest,
    RosterPerson,
    as_local,
    utcnow,
)
from kiosk.roster import add_person

from .helpers import (
    ACCESS_REFUSED,
    VIEWED,
    field_error,
    form_page,
    make_breach,
    make_permission_request,
    nothing_written,
    sign_in_as,
)

PUBLIC_URL = "https://kiosk.westacre.sch.uk"


@pytest.fixture
def mail_app(app, smtp_server):
    controller, inbox = smtp_server
    app.config.update(KIOSK_SMTP_HOST="127.0.0.1", KIOSK_SMTP_PORT=controller.port,
                      KIOSK_SMTP_STARTTLS=False, KIOSK_MAIL_FROM="kiosk@westacre.sch.uk",
                      KIOSK_PUBLIC_URL=PUBLIC_URL)
    return app, inbox


@pytest.fixture
def person(app):
    with app.app_context():
        return add_person("Pam Parent", "pam@example.org", "pta")


def in_days(app, days: int) -> str:
    with app.app_context():
        return (today() + dt.timedelta(days=days)).isoformat()


def asking(app, **changes) -> dict:
    form = {"what": "Photos of the summer fair", "where": "The PTA's Facebook page",
            "post_on": in_days(app, 7), "shows": ["pupils", "parents"], "consent_answer": "yes"}
    form.update(changes)
    return form


def send(client, url: str, **fields):
    """The form at `url` as a browser sends it, with these fields typed in."""
    data = form_page(client, url)
    data.update(fields)
    return client.post(url, data=data)


def rows(app) -> list[PermissionRequest]:
    with app.app_context():
        return list(PermissionRequest.select().order_by(PermissionRequest.id))


def actions(app) -> list[str]:
    with app.app_context():
        return [e.action for e in AuditEvent.select().order_by(AuditEvent.id)]


# Asking ------------------------------------------------------------------------------------------

def test_a_member_of_staff_asks_and_sees_it_waiting(app, client, teacher):
    sign_in_as(client, teacher)
    response = send(client, "/staff/permissions/new", **asking(app))
    assert response.status_code == 303
    [row] = rows(app)
    assert (row.requester_staff_id, row.requester_person_id) == (teacher.id, None)
    assert (row.requester_name, row.where, row.status) == (teacher.display_name,
                                                           "The PTA's Facebook page", "waiting")
    assert (row.shows, row.consent_answer) == ("pupils,parents", "yes")
    assert response.headers["Location"] == f"/staff/permissions/{row.public_id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Waiting for the headteacher" in page and "Photos of the summer fair" in page
    assert "Photos of the summer fair" in client.get("/staff/permissions").get_data(as_text=True)
    assert "permission.requested" in actions(app)


def test_sent_twice_it_is_asked_once(app, client, teacher):
    sign_in_as(client, teacher)
    data = form_page(client, "/staff/permissions/new")
    data.update(asking(app))
    assert client.post("/staff/permissions/new", data=data).status_code == 303
    assert client.post("/staff/permissions/new", data=data).status_code == 303
    assert len(rows(app)) == 1
    assert actions(app).count("permission.requested") == 1


@pytest.mark.one_database("a form's messages; nothing a database does")
@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"what": ""}, "what", "Please say what you want to post or publish."),
    ({"where": "  "}, "where", "Please say where it will appear."),
    ({"post_on": ""}, "post_on", "Please give the day you want to post it"),
    ({"post_on": "31/2/2027"}, "post_on", "Please enter a date, for example 3/3/2026."),
    ({"post_on": "past"}, "post_on", "That day has passed."),
    ({"consent_answer": ""}, "consent_answer", "It shows pupils: please say whether"),
    ({"shows": ["pupils", "dogs"]}, "shows", "Please tick only the choices shown."),
    ({"where": "x" * 201}, "where", "Please keep this under 200 characters."),
])
def test_bad_input_is_refused_beside_its_field_and_nothing_is_written(app, client, teacher,
                                                                       changes, field, message):
    sign_in_as(client, teacher)
    if changes.get("post_on") == "past":
        changes["post_on"] = in_days(app, -1)
    data = form_page(client, "/staff/permissions/new")
    data.update(asking(app, **changes))
    with nothing_written(app):
        response = client.post("/staff/permissions/new", data=data)
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), field).startswith(message)


def test_no_pupils_shown_means_no_consent_question(app, client, teacher):
    sign_in_as(client, teacher)
    response = send(client, "/staff/permissions/new",
                    **asking(app, shows=["staff"], consent_answer="yes"))
    assert response.status_code == 303
    assert (rows(app)[0].shows, rows(app)[0].consent_answer) == ("staff", "")


def test_a_person_on_the_roster_asks_through_their_link(app, client, person):
    response = send(client, f"/p/{person.token}/permissions/new", **asking(app))
    assert response.status_code == 303
    [row] = rows(app)
    assert (row.requester_person_id, row.requester_staff_id, row.requester_name) == (
        person.id, None, "Pam Parent")
    listed = client.get(f"/p/{person.token}/permissions").get_data(as_text=True)
    assert "The PTA&#39;s Facebook page" in listed
    with app.app_context():
        event = AuditEvent.get(AuditEvent.action == "permission.requested")
    assert event.actor_id is None  # a person on the roster, not a member of staff
    assert "Ask the headteacher's permission" in client.get(f"/p/{person.token}").get_data(
        as_text=True)


def test_a_link_taken_off_the_roster_asks_nothing(app, client, person):
    data = form_page(client, f"/p/{person.token}/permissions/new")
    data.update(asking(app))
    with app.app_context():
        RosterPerson.update(active=False).where(RosterPerson.id == person.id).execute()
    assert client.get(f"/p/{person.token}/permissions/new").status_code == 404
    assert client.post(f"/p/{person.token}/permissions/new", data=data).status_code == 404
    assert rows(app) == []


# Who sees what -------------------------------------------------------------------------------

def test_only_the_requester_and_the_head_see_a_request(app, client, teacher, other_teacher, dsl,
                                                       head, person):
    with app.app_context():
        mine = make_permission_request(staff=teacher, where="The class blog")
        theirs = make_permission_request(person=person, where="The parish newsletter")
        other_person = add_person("Olly Other", "olly@example.org", "volunteer")
    for user in (other_teacher, dsl):
        sign_in_as(client, user)
        assert client.get(f"/staff/permissions/{mine.public_id}").status_code == 404
        assert "The class blog" not in client.get("/staff/permissions").get_data(as_text=True)
        assert client.get(f"/admin/permissions/{mine.public_id}").status_code == 403
    sign_in_as(client, teacher)
    assert client.get(f"/staff/permissions/{mine.public_id}").status_code == 200
    assert client.get(f"/staff/permissions/{theirs.public_id}").status_code == 404
    # Through a link: only that person's own.
    assert client.get(f"/p/{other_person.token}/permissions/{theirs.public_id}").status_code == 404
    assert "parish newsletter" not in client.get(
        f"/p/{other_person.token}/permissions").get_data(as_text=True)
    assert client.get(f"/p/{person.token}/permissions/{mine.public_id}").status_code == 404
    sign_in_as(client, head)
    listed = client.get("/admin/permissions").get_data(as_text=True)
    assert "The class blog" in listed and "The parish newsletter" in listed


def test_the_head_does_not_ask_themselves(app, client, head):
    sign_in_as(client, head)
    assert client.get("/staff/permissions/new").status_code == 403
    home = client.get("/staff/").get_data(as_text=True)
    assert "Ask permission to post about the school" not in home
    assert "Permission to post about the school" in home


# The head's decision -------------------------------------------------------------------------

def decide(client, row, **fields):
    url = f"/admin/permissions/{row.public_id}"
    data = form_page(client, url)
    data.update(fields)
    return client.post(f"{url}/decision", data=data)


def test_approval_records_conditions_end_date_and_the_photo_consent_check(mail_app, client,
                                                                          teacher, head):
    app, inbox = mail_app
    with app.app_context():
        row = make_permission_request(staff=teacher)
        checked_on = today() - dt.timedelta(days=1)
    sign_in_as(client, head)
    response = decide(client, row, decision="approved", conditions="No faces, first names only",
                      ends_on=in_days(app, 30), consent_checked="y",
                      consent_checked_by="Mrs Patel, school office",
                      consent_checked_on=checked_on.isoformat())
    assert response.status_code == 303
    [decided] = rows(app)
    assert (decided.status, decided.decided_by_id, decided.conditions) == (
        "approved", head.id, "No faces, first names only")
    assert decided.ends_on.isoformat() == in_days(app, 30)
    assert (decided.consent_checked, decided.consent_checked_by, decided.consent_checked_on) == (
        True, "Mrs Patel, school office", checked_on)
    # The requester is emailed the decision in full, with where to see it.
    [message] = inbox.messages
    assert message["X-Envelope-To"] == teacher.email
    assert message["Subject"] == "Your request to post about the school was approved"
    body = message.get_payload(decode=True).decode()
    assert "No faces, first names only" in body and f"{PUBLIC_URL}/signin" in body
    assert "permission_email.sent" in actions(app)
    # And sees it on screen.
    sign_in_as(client, teacher)
    page = client.get(f"/staff/permissions/{row.public_id}").get_data(as_text=True)
    assert "The headteacher approved this until" in page
    assert "Checked by Mrs Patel, school office" in page


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"ends_on": ""}, "ends_on", "Please give the last day the permission holds."),
    ({"ends_on": "past"}, "ends_on", "The last day cannot be in the past."),
    ({"consent_checked": ""}, "consent_checked", "It shows pupils: please check their photo "
                                                 "consent"),
    ({"consent_checked_by": ""}, "consent_checked_by", "Please say who checked the photo consent"),
    ({"consent_checked_on": ""}, "consent_checked_by", "Please say who checked the photo consent"),
    ({"consent_checked_on": "future"}, "consent_checked_on", "The day the consent was checked "
                                                             "cannot be in the future."),
])
def test_an_approval_needs_an_end_date_and_for_pupils_their_consent_checked(
        app, client, teacher, head, fields, field, message):
    with app.app_context():
        row = make_permission_request(staff=teacher)
    fields = {k: in_days(app, -1) if v == "past" else in_days(app, 2) if v == "future" else v
              for k, v in fields.items()}
    approval = {"decision": "approved", "ends_on": in_days(app, 30), "consent_checked": "y",
                "consent_checked_by": "Mrs Patel", "consent_checked_on": in_days(app, 0), **fields}
    if approval["consent_checked"] == "":
        del approval["consent_checked"]  # an unticked box is not sent
    sign_in_as(client, head)
    with nothing_written(app, allow=VIEWED):
        response = decide(client, row, **approval)
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), field).startswith(message)


def test_no_pupils_no_consent_check_needed(app, client, teacher, head):
    with app.app_context():
        row = make_permission_request(staff=teacher, shows=["staff"], consent_answer="")
    sign_in_as(client, head)
    page = client.get(f"/admin/permissions/{row.public_id}").get_data(as_text=True)
    assert "photo consent" not in page
    assert decide(client, row, decision="approved", ends_on=in_days(app, 10)).status_code == 303
    assert (rows(app)[0].status, rows(app)[0].consent_checked) == ("approved", False)


def test_declining_needs_a_reason_which_the_requester_is_emailed(mail_app, client, person, head):
    app, inbox = mail_app
    with app.app_context():
        row = make_permission_request(person=person)
    sign_in_as(client, head)
    with nothing_written(app, allow=VIEWED):
        refused = decide(client, row, decision="declined", reason="")
    assert field_error(refused.get_data(as_text=True), "reason").startswith("Please give the reason")
    assert decide(client, row, decision="declined",
                  reason="Pupils' faces show; please crop them").status_code == 303
    assert rows(app)[0].status == "declined"
    [message] = inbox.messages
    assert message["X-Envelope-To"] == "pam@example.org"
    body = message.get_payload(decode=True).decode()
    assert "Pupils' faces show; please crop them" in body
    # A person on the roster has no account: the email links to their own page.
    assert f"{PUBLIC_URL}/p/{person.token}/permissions/{row.public_id}" in body
    page = client.get(f"/p/{person.token}/permissions/{row.public_id}").get_data(as_text=True)
    assert "The headteacher declined this" in page and "please crop them" in page


def test_a_question_is_emailed_answered_and_comes_back_to_the_head(mail_app, client, person,
                                                                   head):
    app, inbox = mail_app
    with app.app_context():
        row = make_permission_request(person=person)
    sign_in_as(client, head)
    assert decide(client, row, decision="question",
                  question="Which photos exactly?").status_code == 303
    assert rows(app)[0].status == "question"
    [message] = inbox.messages
    assert message["Subject"] == "The headteacher has a question about your request"
    assert "Which photos exactly?" in message.get_payload(decode=True).decode()
    # The person answers through their link; the request waits for the head again.
    with app.test_client() as visitor:
        url = f"/p/{person.token}/permissions/{row.public_id}"
        assert "Which photos exactly?" in visitor.get(url).get_data(as_text=True)
        data = form_page(visitor, url)
        data["answer"] = "The tombola stall, no children's faces"
        assert visitor.post(f"{url}/answer", data=data).status_code == 303
    answered = rows(app)[0]
    assert answered.status == "waiting" and answered.waiting_since > answered.asked_at
    with app.app_context():
        assert [(n.kind, n.text) for n in permissions.notes(answered)] == [
            ("question", "Which photos exactly?"),
            ("answer", "The tombola stall, no children's faces")]
    page = client.get(f"/admin/permissions/{row.public_id}").get_data(as_text=True)
    assert "The tombola stall" in page


def test_no_answer_without_a_question(app, client, teacher):
    with app.app_context():
        row = make_permission_request(staff=teacher)
    sign_in_as(client, teacher)
    url = f"/staff/permissions/{row.public_id}"
    data = form_page(client, url)
    data["answer"] = "Unasked"
    with nothing_written(app, allow=VIEWED):
        response = client.post(f"{url}/answer", data=data)
    assert response.status_code == 422
    assert "has not asked a question" in field_error(response.get_data(as_text=True), "answer")
    with app.app_context():
        assert PermissionNote.select().count() == 0


def test_a_decided_request_is_not_decided_again(app, client, teacher, head):
    with app.app_context():
        row = make_permission_request(staff=teacher, shows=[])
    sign_in_as(client, head)
    assert decide(client, row, decision="declined", reason="No").status_code == 303
    page = client.get(f"/admin/permissions/{row.public_id}").get_data(as_text=True)
    assert "Your decision" not in page
    data = {"csrf_token": form_page(client, "/admin/permissions")["csrf_token"],
            "decision": "approved", "ends_on": in_days(app, 3)}
    with nothing_written(app, allow=VIEWED):
        response = client.post(f"/admin/permissions/{row.public_id}/decision", data=data)
    assert response.status_code == 422
    assert rows(app)[0].status == "declined"


def test_a_failed_email_keeps_the_decision_and_says_so(app, client, teacher, head):
    app.config.update(KIOSK_SMTP_HOST="127.0.0.1", KIOSK_SMTP_PORT=9)  # nothing listens there
    with app.app_context():
        row = make_permission_request(staff=teacher, shows=[])
    sign_in_as(client, head)
    response = decide(client, row, decision="declined", reason="Not this term")
    assert response.status_code == 303
    assert rows(app)[0].status == "declined"
    assert "could not be sent" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert "permission_email.failed" in actions(app)


# Waiting too long ----------------------------------------------------------------------------

FRIDAY = dt.datetime(2026, 11, 20, 10, 0)  # stored UTC; 10:00 in London in November


@pytest.mark.parametrize(("now", "days", "flagged"), [
    (dt.datetime(2026, 11, 23, 9, 59), 1, False),  # Monday: the weekend does not count
    (dt.datetime(2026, 11, 23, 10, 1), 1, True),
    (dt.datetime(2026, 11, 25, 9, 0), 3, False),
    (dt.datetime(2026, 11, 25, 10, 1), 3, True),
])
def test_waiting_is_counted_in_working_days(ctx, now, days, flagged):
    row = PermissionRequest(status="waiting", waiting_since=FRIDAY)
    assert permissions.overdue(row, now, days) is flagged


def test_a_request_waiting_too_long_is_flagged_to_the_head(app, client, teacher, head):
    with app.app_context():
        old = make_permission_request(staff=teacher, where="The old request")
        make_permission_request(staff=teacher, where="The new request")
        PermissionRequest.update(waiting_since=old.waiting_since - dt.timedelta(days=14)).where(
            PermissionRequest.id == old.id).execute()
    sign_in_as(client, head)
    home = client.get("/staff/").get_data(as_text=True)
    assert "2</strong> requests to post about the school waiting for you, 1 of them for too long" in home
    listed = client.get("/admin/permissions").get_data(as_text=True)
    assert listed.count("Waiting more than 3 working days") == 1
    assert listed.index("The old request") < listed.index("Waiting more than") < listed.index(
        "The new request")
    # The head gives longer: nothing is flagged.
    data = form_page(client, "/admin/permissions")
    data["days"] = "30"
    assert client.post("/admin/permissions/wait", data=data).status_code == 303
    assert "Waiting more than" not in client.get("/admin/permissions").get_data(as_text=True)
    assert "of them for too long" not in client.get("/staff/").get_data(as_text=True)
    assert "permission.wait_changed" in actions(app)


@pytest.mark.parametrize("days", ["0", "31", "ten", ""])
def test_the_wait_must_be_1_to_30_working_days(app, client, head, days):
    sign_in_as(client, head)
    data = form_page(client, "/admin/permissions")
    data["days"] = days
    with nothing_written(app):
        response = client.post("/admin/permissions/wait", data=data)
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "days")


def test_nothing_waiting_nothing_said_on_the_heads_home(app, client, teacher, head):
    with app.app_context():
        row = make_permission_request(staff=teacher, shows=[])
        PermissionRequest.update(status="question").where(PermissionRequest.id == row.id).execute()
    sign_in_as(client, head)
    assert "waiting for you" not in client.get("/staff/").get_data(as_text=True).replace(
        "welfare", "")


# In force, and ended ------------------------------------------------------------------------

def test_the_head_lists_approvals_in_force_apart_from_those_ended(app, client, teacher, head):
    with app.app_context():
        for where, ends in (("Running blog", 5), ("Finished blog", -1)):
            row = make_permission_request(staff=teacher, where=where, shows=[],
                                          post_on=today() - dt.timedelta(days=3))
            PermissionRequest.update(status="approved", decided_by=head, ends_on=today()
                                     + dt.timedelta(days=ends), decided_at=row.asked_at).where(
                PermissionRequest.id == row.id).execute()
    sign_in_as(client, head)
    listed = client.get("/admin/permissions").get_data(as_text=True)
    in_force = listed[listed.index("Approved and in force"):listed.index("Declined or ended")]
    assert "Running blog" in in_force and "Finished blog" not in in_force
    assert "Finished blog" in listed[listed.index("Declined or ended"):]
    assert "most recent" not in listed  # all of them are shown
    sign_in_as(client, teacher)
    mine = client.get("/staff/permissions").get_data(as_text=True)
    assert "Approved, now ended" in mine and "Approved until" in mine


# A breach of posting without permission ------------------------------------------------------

def approve(row, head, days=30):
    PermissionRequest.update(status="approved", decided_by=head, decided_at=row.asked_at,
                             ends_on=today() + dt.timedelta(days=days)).where(
        PermissionRequest.id == row.id).execute()


def test_the_breach_shows_the_approvals_given_to_the_person_it_is_about(app, client, teacher,
                                                                        head, person):
    with app.app_context():
        approve(make_permission_request(person=person, where="The PTA's Facebook page"), head)
        declined = make_permission_request(person=person, where="The parish newsletter")
        PermissionRequest.update(status="declined").where(
            PermissionRequest.id == declined.id).execute()
        about_pam = make_breach(teacher, category="reference_without_permission",
                                subject_kind="pta_volunteer", subject_name="pam parent")
        about_someone_else = make_breach(teacher, category="reference_without_permission",
                                         subject_name="Pat Visitor")
        other_kind = make_breach(teacher, category="school_matters", subject_name="Pam Parent")
    sign_in_as(client, teacher)
    page = client.get(f"/records/breaches/{about_pam.public_id}").get_data(as_text=True)
    assert "The headteacher gave Pam Parent permission to post" in page
    assert "The PTA&#39;s Facebook page" in page and "parish newsletter" not in page
    assert "In force on the day it happened." in page
    page = client.get(f"/records/breaches/{about_someone_else.public_id}").get_data(as_text=True)
    assert "No permission from the headteacher was found under the name “Pat Visitor”" in page
    assert "kept for 2 years after it ends" in page
    page = client.get(f"/records/breaches/{other_kind.public_id}").get_data(as_text=True)
    assert "Permission from the headteacher" not in page


def test_whether_it_is_in_force_is_one_whole_sentence_in_the_readers_language(
        app, client, teacher, head, person):
    """"In force today" on the form and "in force on the day it happened" on the breach are each
    a whole sentence to translate: "today" was English in every language when it was a piece."""
    with app.app_context():
        approve(make_permission_request(person=person, where="The PTA's Facebook page"), head)
        breach = make_breach(teacher, category="reference_without_permission",
                             subject_kind="pta_volunteer", subject_name="Pam Parent")
    sign_in_as(client, teacher)
    polish = {"Accept-Language": "pl"}
    found = client.get("/staff/permissions/matching?name=Pam+Parent",
                       headers=polish).get_data(as_text=True)
    assert "Obowiązuje dziś." in found and "today" not in found
    page = client.get(f"/records/breaches/{breach.public_id}", headers=polish).get_data(as_text=True)
    assert "Obowiązywała w dniu zdarzenia." in page and "Obowiązuje dziś." not in page


def test_the_breach_form_asks_as_the_name_is_typed(app, client, teacher, head, person):
    with app.app_context():
        approve(make_permission_request(person=person, where="The PTA's Facebook page"), head)
    sign_in_as(client, teacher)
    form = client.get("/staff/breaches/new?who=pta_volunteer&category=reference_without_permission")
    html = form.get_data(as_text=True)
    assert 'data-check-url="/staff/permissions/matching"' in html
    assert "permission-check.js" in html
    found = client.get("/staff/permissions/matching?name=pam+PARENT").get_data(as_text=True)
    assert "Pam Parent" in found and "The PTA&#39;s Facebook page" in found
    assert "In force today." in found
    # Only a whole name: a part would show anyone's approvals to whoever typed it.
    part = client.get("/staff/permissions/matching?name=Parent").get_data(as_text=True)
    assert "Facebook" not in part and "No permission from the headteacher was found" in part
    assert client.get("/staff/permissions/matching?name=").get_data(as_text=True).strip() == ""
    other = client.get("/staff/breaches/new?who=visitor&category=photographing")
    assert "permission-check" not in other.get_data(as_text=True)


def test_only_the_whole_name_matches_and_only_approvals(app, head, person):
    with app.app_context():
        approve(make_permission_request(person=person), head)
        make_permission_request(person=person)  # waiting: not an approval
        assert [r.requester_name for r in permissions.approvals_for("pam parent")] == ["Pam Parent"]
        assert [r.requester_name for r in permissions.approvals_for("Pâm  Parent")] == [
            "Pam Parent"]
        assert permissions.approvals_for("Parent") == []
        assert permissions.approvals_for("Pam") == []


def test_an_approval_ended_or_not_yet_given_did_not_hold_on_the_day(app, head, person):
    with app.app_context():
        row = make_permission_request(person=person)
        approve(row, head, days=10)
        row = PermissionRequest.get_by_id(row.id)
        given = as_local(row.decided_at, school_zone()).date()
        assert permissions.held_on(row, given) and permissions.held_on(row, row.ends_on)
        assert not permissions.held_on(row, given - dt.timedelta(days=1))
        assert not permissions.held_on(row, row.ends_on + dt.timedelta(days=1))


def test_a_check_that_shows_approvals_is_audited_and_one_that_shows_none_is_not(
        app, client, teacher, head, person):
    with app.app_context():
        approve(make_permission_request(person=person), head)
    sign_in_as(client, teacher)
    client.get("/staff/permissions/matching?name=Nobody+Known")
    assert "permission_request.list_viewed" not in actions(app)
    client.get("/staff/permissions/matching?name=Pam+Parent")
    assert actions(app).count("permission_request.list_viewed") == 1


# The audit log -------------------------------------------------------------------------------

def test_every_step_is_audited_and_viewing_is_too(mail_app, client, teacher, head):
    app, _inbox = mail_app
    sign_in_as(client, teacher)
    send(client, "/staff/permissions/new", **asking(app, shows=[]))
    [row] = rows(app)
    client.get(f"/staff/permissions/{row.public_id}")
    sign_in_as(client, head)
    decide(client, row, decision="approved", ends_on=in_days(app, 9))
    assert rows(app)[0].status == "approved"
    recorded = [a for a in actions(app) if a.startswith("permission")]
    assert recorded == ["permission.requested", "permission_request.viewed",
                        "permission_request.viewed", "permission.decided", "permission_email.sent"]


def test_someone_elses_request_is_refused_and_the_refusal_audited(app, client, teacher,
                                                                    other_teacher, person):
    with app.app_context():
        row = make_permission_request(staff=teacher)
        other = add_person("Olly Other", "olly@example.org", "volunteer")
    sign_in_as(client, other_teacher)
    with nothing_written(app, allow=ACCESS_REFUSED) as written:
        assert client.get(f"/staff/permissions/{row.public_id}").status_code == 404
    assert written == ["access.refused"]
    with app.test_client() as visitor, nothing_written(app, allow=ACCESS_REFUSED) as written:
        assert visitor.get(f"/p/{other.token}/permissions/{row.public_id}").status_code == 404
    assert written == ["access.refused"]
    # One that does not exist at all is only missing.
    with nothing_written(app) as written:
        assert client.get(f"/staff/permissions/{uuid.uuid4()}").status_code == 404
    assert written == []


# Decided once, even in a race -----------------------------------------------------------------

def test_a_decision_from_a_stale_page_does_not_replace_one_made_meanwhile(app, teacher, head):
    with app.app_context():
        row = make_permission_request(staff=teacher, shows=[])
        stale = PermissionRequest.get_by_id(row.id)
        permissions.decide(row, head, permissions.Decision("declined", reason="Not this term"))
        with pytest.raises(permissions.RequestError, match="already been decided"):
            permissions.decide(stale, head, permissions.Decision(
                "approved", ends_on=today() + dt.timedelta(days=30)))
        with pytest.raises(permissions.RequestError, match="already been decided"):
            permissions.decide(stale, head, permissions.Decision("question", question="Why?"))
        fresh = PermissionRequest.get_by_id(row.id)
        assert (fresh.status, fresh.reason, fresh.ends_on) == ("declined", "Not this term", None)
        assert PermissionNote.select().count() == 0
        assert AuditEvent.select().where(AuditEvent.action == "permission.decided").count() == 1


def test_an_answer_sent_as_the_head_decides_does_not_undo_the_decision(app, teacher, head):
    with app.app_context():
        row = make_permission_request(staff=teacher, shows=[])
        permissions.decide(row, head, permissions.Decision("question", question="Which page?"))
        asked = PermissionRequest.get_by_id(row.id)  # what the requester's page read
        permissions.decide(asked, head, permissions.Decision(
            "approved", ends_on=today() + dt.timedelta(days=30)))
        with pytest.raises(permissions.RequestError, match="has not asked a question"):
            permissions.answer(asked, "The class page", staff=teacher)
        fresh = PermissionRequest.get_by_id(row.id)
        assert fresh.status == "approved"
        assert [n.kind for n in permissions.notes(fresh)] == ["question"]


def test_a_question_starts_its_own_clock(app, teacher, head):
    """Retention counts an unanswered question from when the head asked it: a request asked long
    ago with a question asked today is not purged."""
    from kiosk import retention

    with app.app_context():
        row = make_permission_request(staff=teacher, shows=[])
        long_ago = utcnow() - dt.timedelta(days=3 * 365)
        PermissionRequest.update(asked_at=long_ago, waiting_since=long_ago).where(
            PermissionRequest.id == row.id).execute()
        permissions.decide(PermissionRequest.get_by_id(row.id), head,
                           permissions.Decision("question", question="Which page?"))
        assert PermissionRequest.get_by_id(row.id).waiting_since > utcnow() - dt.timedelta(
            minutes=1)
        assert retention.plan_purge().counts()["permission_requests"] == 0


# Retention -----------------------------------------------------------------------------------

def test_requests_declined_or_ended_longer_ago_than_their_period_are_purged(app, teacher, head):
    from kiosk import retention

    with app.app_context():
        long_ago = utcnow() - dt.timedelta(days=2 * 365 + 10)

        def aged(where, **values):
            row = make_permission_request(staff=teacher, where=where, shows=[])
            PermissionRequest.update(asked_at=long_ago, waiting_since=long_ago, **values).where(
                PermissionRequest.id == row.id).execute()
            return row

        gone = [aged("Declined long ago", status="declined", decided_at=long_ago),
                aged("Ended long ago", status="approved", decided_at=long_ago,
                     ends_on=long_ago.date() + dt.timedelta(days=5)),
                aged("Question never answered", status="question")]
        PermissionNote.create(request=gone[2], kind="question", text="Which?", author=head,
                              at=long_ago)
        kept = [aged("Still waiting for the head"),
                aged("Approved, still in force", status="approved", decided_at=long_ago,
                     ends_on=today() + dt.timedelta(days=1)),
                make_permission_request(staff=teacher, where="Declined today", shows=[])]
        PermissionRequest.update(status="declined", decided_at=utcnow()).where(
            PermissionRequest.id == kept[2].id).execute()
        assert retention.plan_purge().counts()["permission_requests"] == 3
        assert retention.purge()["permission_requests"] == 3
        assert {r.where for r in PermissionRequest.select()} == {r.where for r in kept}
        assert PermissionNote.select().count() == 0


def test_the_heads_list_shows_the_most_recent_declined_and_says_so(app, client, teacher, head,
                                                                   monkeypatch):
    monkeypatch.setattr(permissions, "PAST_SHOWN", 2)
    with app.app_context():
        for n in range(3):
            row = make_permission_request(staff=teacher, where=f"Blog {n}", shows=[])
            PermissionRequest.update(status="declined", decided_by=head,
                                     decided_at=utcnow() - dt.timedelta(days=3 - n)).where(
                PermissionRequest.id == row.id).execute()
    sign_in_as(client, head)
    listed = client.get("/admin/permissions").get_data(as_text=True)
    assert "Blog 2" in listed and "Blog 1" in listed and "Blog 0" not in listed
    assert "The 2 most recent." in listed
