"""The child's welfare always reaches the DSL (issue 12, point 4): welfare tasks from a concern
about staff, and "A child told me something"."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from kiosk import audit
from kiosk.models import AuditEvent, Breach, RecordUpdate, WelfareTask, utcnow
from kiosk.staff_concerns import AllegationClosing, close_allegation

from .helpers import (
    ACCESS_REFUSED,
    VIEWED,
    field_error,
    form_page,
    hidden_fields,
    make_breach,
    make_user,
    nothing_written,
    sign_in_as,
    typed,
)

ADULT = "Adam Adultson"
DESCRIPTION = "He kept the pupil behind alone in the cupboard"
WORDS = "Mr Adultson said it was our secret"


@pytest.fixture
def mail_app(app, smtp_server):
    controller, inbox = smtp_server
    app.config.update(KIOSK_SMTP_HOST="127.0.0.1", KIOSK_SMTP_PORT=controller.port,
                      KIOSK_SMTP_STARTTLS=False, KIOSK_MAIL_FROM="kiosk@westacre.sch.uk",
                      KIOSK_PUBLIC_URL="https://kiosk.westacre.sch.uk")
    return app, inbox


def log_about_staff(client, **extra):
    """A member of staff logs a concern about a member of staff through the three steps."""
    fields = form_page(client, "/staff/breaches/new?who=staff&category=pupil_contact")
    fields.update({"subject_name": ADULT, "description": DESCRIPTION, "pupils": "Polly Pupil",
                   **extra})
    return client.post("/staff/breaches", data=fields), fields


def tell(client, **extra):
    """A member of staff fills in "A child told me something"."""
    fields = form_page(client, "/staff/disclosures/new")
    fields.update({"child_name": "Chloe Child", "child_words": WORDS, "about_adult": "no",
                   **extra})
    return client.post("/staff/disclosures/new", data=fields), fields


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def dsl_pages(client, task: WelfareTask) -> str:
    return page(client, "/records/welfare") + page(client, f"/records/welfare/{task.public_id}")


def assert_nothing_of_the_concern(html: str, breach: Breach) -> None:
    for secret in (ADULT, DESCRIPTION, str(breach.public_id), "/records/breaches/"):
        assert secret not in html, secret


# A concern about staff that names pupils ---------------------------------------------------------

def test_the_dsl_gets_a_task_naming_the_pupils_without_the_adult_or_the_concern(
        app, client, teacher, dsl, head):
    sign_in_as(client, teacher)
    response, _ = log_about_staff(client)
    assert response.status_code == 303
    with app.app_context():
        breach = Breach.get()
        task = WelfareTask.get()
        assert (task.kind, task.pupils, task.breach_id, task.child_words) == (
            "staff_concern", "Polly Pupil", breach.id, "")
        assert breach.restricted and breach.subject_name == ADULT
    sign_in_as(client, dsl)
    html = dsl_pages(client, task)
    assert "Polly Pupil" in html
    assert "A concern about an adult at school involves this child" in html
    assert_nothing_of_the_concern(html, breach)
    # The DSL's home screen counts it.
    assert "1</strong> welfare task waiting" in page(client, "/staff/")


def test_the_name_reaches_the_dsl_only_once_the_case_manager_shares_it(app, client, teacher, dsl,
                                                                         head):
    sign_in_as(client, teacher)
    log_about_staff(client)
    with app.app_context():
        breach, task = Breach.get(), WelfareTask.get()
    prefix = f"sharenameform-{task.id}"
    sign_in_as(client, head)
    concern = page(client, f"/records/breaches/{breach.public_id}")
    assert "Share the member of staff's name with the DSL" in concern
    token = hidden_fields(concern)[f"{prefix}-csrf_token"]
    # Not ticked: asked to confirm, nothing shared.
    with nothing_written(app, allow=VIEWED):
        refused = client.post(f"/records/welfare/{task.public_id}/share-name",
                              data={f"{prefix}-csrf_token": token})
    assert refused.status_code == 422
    assert field_error(refused.get_data(as_text=True), f"{prefix}-confirm") == \
        "Please tick to confirm sharing the name."
    sign_in_as(client, dsl)
    assert ADULT not in dsl_pages(client, task)

    sign_in_as(client, head)
    token = hidden_fields(page(client, f"/records/breaches/{breach.public_id}"))[
        f"{prefix}-csrf_token"]
    shared = client.post(f"/records/welfare/{task.public_id}/share-name",
                         data={f"{prefix}-csrf_token": token, f"{prefix}-confirm": "y"})
    assert shared.status_code == 303
    with app.app_context():
        assert [(u.kind, u.text) for u in RecordUpdate.select().where(
            RecordUpdate.welfare_task == task)] == [("name_shared", ADULT)]
        assert AuditEvent.select().where(AuditEvent.action == "welfare_task.name_shared").count() == 1
    again = client.post(f"/records/welfare/{task.public_id}/share-name",
                        data={f"{prefix}-csrf_token": token, f"{prefix}-confirm": "y"})
    assert again.status_code == 422
    assert f"The DSL has been told this concern is about <strong>{ADULT}</strong>" in \
        again.get_data(as_text=True)
    with app.app_context():
        assert RecordUpdate.select().where(RecordUpdate.kind == "name_shared").count() == 1
    sign_in_as(client, dsl)
    html = dsl_pages(client, task)
    assert ADULT in html
    for secret in (DESCRIPTION, str(breach.public_id), "/records/breaches/"):
        assert secret not in html


def test_what_the_dsl_needs_to_know_comes_from_the_case_manager(app, client, teacher, dsl, head):
    sign_in_as(client, teacher)
    log_about_staff(client)
    with app.app_context():
        breach, task = Breach.get(), WelfareTask.get()
    prefix = f"welfarenoteform-{task.id}"
    sign_in_as(client, head)
    token = hidden_fields(page(client, f"/records/breaches/{breach.public_id}"))[
        f"{prefix}-csrf_token"]
    saved = client.post(f"/records/welfare/{task.public_id}/case-note", data={
        f"{prefix}-csrf_token": token, f"{prefix}-text": "Polly was upset; check in with her."})
    assert saved.status_code == 303
    sign_in_as(client, dsl)
    assert "Polly was upset; check in with her." in dsl_pages(client, task)
    # The DSL cannot write the case manager's part.
    token = hidden_fields(page(client, f"/records/welfare/{task.public_id}"))["csrf_token"]
    assert client.post(f"/records/welfare/{task.public_id}/case-note", data={
        f"{prefix}-csrf_token": token, f"{prefix}-text": "x"}).status_code == 403


def test_a_replayed_concern_makes_one_task_and_one_alert_to_the_dsl(mail_app, client, teacher, dsl,
                                                                     head):
    app, inbox = mail_app
    sign_in_as(client, teacher)
    _, fields = log_about_staff(client)
    assert client.post("/staff/breaches", data=fields).status_code == 303
    body = {"staff_id": teacher.id, "subject_kind": "staff", "category": "pupil_contact",
            "occurred_at": typed(utcnow()), "pupils": "Peter Pupil"}
    headers = {"X-Kiosk-Client": "outbox", "Idempotency-Key": str(uuid.uuid4())}
    for _ in range(2):
        assert client.post("/api/v1/breaches", json=body, headers=headers).status_code == 201
    with app.app_context():
        assert sorted(t.pupils for t in WelfareTask.select()) == ["Peter Pupil", "Polly Pupil"]
    welfare_alerts = [m for m in inbox.messages if "welfare task" in m["Subject"]]
    assert [m["X-Envelope-To"] for m in welfare_alerts] == [dsl.email, dsl.email]
    for message in welfare_alerts:
        text = message.as_string()
        for secret in ("Polly", "Peter", ADULT, DESCRIPTION, "contact with a pupil"):
            assert secret not in text
        # Not named: a member of staff may be reporting themselves.
        assert teacher.display_name not in text
        assert "recorded by the member of staff who raised it at " in message.get_payload(
            decode=True).decode()


def test_the_dsl_is_not_told_who_logged_a_concern_about_staff_who_may_be_its_subject(
        app, client, teacher, dsl):
    """A member of staff reports themselves (the policy asks them to): the DSL's task must not
    name them. A child's disclosure, which is the DSL's to follow up, names who heard it."""
    sign_in_as(client, teacher)
    log_about_staff(client, subject_name=teacher.display_name)
    tell(client)
    with app.app_context():
        concern_task = WelfareTask.get(WelfareTask.kind == "staff_concern")
        disclosure = WelfareTask.get(WelfareTask.kind == "disclosure")
    sign_in_as(client, dsl)
    html = page(client, f"/records/welfare/{concern_task.public_id}")
    assert teacher.display_name not in html
    assert "The member of staff who raised it" in html
    assert teacher.display_name in page(client, f"/records/welfare/{disclosure.public_id}")


def test_no_task_without_pupils_and_none_for_a_concern_not_about_staff(app, client, teacher):
    sign_in_as(client, teacher)
    log_about_staff(client, pupils="")
    fields = form_page(client, "/staff/breaches/new?who=visitor&category=photographing")
    assert "Pupils involved" not in client.get(
        "/staff/breaches/new?who=visitor&category=photographing").get_data(as_text=True)
    client.post("/staff/breaches", data={**fields, "pupils": "Polly Pupil"})
    with app.app_context():
        assert Breach.select().count() == 2
        assert WelfareTask.select().count() == 0


def test_the_head_never_sees_the_task_of_a_concern_about_the_head(app, client, teacher, dsl, head,
                                                                  chair):
    with app.app_context():
        about_head = make_breach(teacher, subject_kind="staff", category="pupil_contact",
                                 concerns_head=True, pupils="Hidden Pupil", subject_name="The Head")
        task = WelfareTask.get(WelfareTask.breach == about_head)
    sign_in_as(client, head)
    assert client.get(f"/records/welfare/{task.public_id}").status_code == 404
    assert "Hidden Pupil" not in page(client, "/records/welfare?status=all")
    assert "welfare task" not in page(client, "/staff/")
    sign_in_as(client, chair)
    assert "Hidden Pupil" in page(client, "/records/welfare")
    sign_in_as(client, dsl)
    assert "Hidden Pupil" in page(client, "/records/welfare")


def test_a_task_from_a_concern_about_the_head_stays_hidden_from_the_head_once_it_is_removed(
        app, client, teacher, dsl, head, chair):
    """The chair closes a malicious allegation about the head: the concern goes, the child's
    task stays with the DSL, and it is still not the head's to see, nor are its events."""
    with app.app_context():
        about_head = make_breach(teacher, subject_kind="staff", category="pupil_contact",
                                 concerns_head=True, pupils="Hidden Pupil", subject_name="The Head")
        Breach.update(classification="allegation", allegation_since=about_head.created_at).where(
            Breach.id == about_head.id).execute()
        task = WelfareTask.get(WelfareTask.breach == about_head)
        close_allegation(Breach.get_by_id(about_head.id), chair,
                         AllegationClosing("malicious", "Made up.", removal_confirmed=True))
        assert WelfareTask.get_by_id(task.id).breach_id is None  # the concern has gone
        shown = {(e.record_kind, e.record_id) for e in audit.visible_events(head)}
        assert ("welfare_task", str(task.public_id)) not in shown
    sign_in_as(client, head)
    assert client.get(f"/records/welfare/{task.public_id}").status_code == 404
    assert "Hidden Pupil" not in page(client, "/records/welfare?status=all")
    sign_in_as(client, dsl)
    assert "Hidden Pupil" in page(client, "/records/welfare")


def test_other_staff_get_404_for_the_dsls_pages(app, client, teacher):
    with app.app_context():
        breach = make_breach(teacher, subject_kind="staff", category="pupil_contact",
                             pupils="Polly Pupil")
        task = WelfareTask.get(WelfareTask.breach == breach)
    sign_in_as(client, teacher)  # the very person who reported it
    assert client.get("/records/welfare").status_code == 404
    assert client.get(f"/records/welfare/{task.public_id}").status_code == 404


def test_the_welfare_part_of_a_concern_is_the_case_managers_alone(app, client, teacher, dsl, head):
    with app.app_context():
        breach = make_breach(teacher, subject_kind="staff", category="pupil_contact",
                             pupils="Polly Pupil")
        Breach.update(classification="low_level").where(Breach.id == breach.id).execute()
    sign_in_as(client, head)
    assert "The child's welfare: what the DSL is told" in page(
        client, f"/records/breaches/{breach.public_id}")
    sign_in_as(client, dsl)  # the low-level-concerns lead sees the concern, not this part
    assert "The child's welfare" not in page(client, f"/records/breaches/{breach.public_id}")


def test_the_case_manager_adds_a_task_when_the_reporter_named_no_pupil(mail_app, client, teacher,
                                                                       head, dsl):
    app, inbox = mail_app
    with app.test_request_context():  # its alert to the head names the sign-in address
        breach = make_breach(teacher, subject_kind="staff", category="pupil_contact")
    sign_in_as(client, head)
    fields = hidden_fields(page(client, f"/records/breaches/{breach.public_id}"))
    data = {"csrf_token": fields["csrf_token"], "client_uuid": fields["client_uuid"],
            "pupils": "Una Unnamed"}
    for _ in range(2):  # a double tap
        assert client.post(f"/records/breaches/{breach.public_id}/welfare",
                           data=data).status_code == 303
    empty = client.post(f"/records/breaches/{breach.public_id}/welfare",
                        data={**data, "client_uuid": str(uuid.uuid4()), "pupils": ""})
    assert empty.status_code == 422
    assert field_error(empty.get_data(as_text=True), "pupils") == "Please give the pupil's name."
    with app.app_context():
        assert [t.pupils for t in WelfareTask.select()] == ["Una Unnamed"]
    # The concern's own alert went to the head; the task's, once, to the DSL.
    assert [m["X-Envelope-To"] for m in inbox.messages] == [head.email, dsl.email]
    assert "Una" not in inbox.messages[1].as_string()


def test_no_thank_you_for_a_disclosure_that_is_not_there(app, client, teacher, other_teacher):
    sign_in_as(client, other_teacher)
    tell(client)
    with app.app_context():
        theirs = str(WelfareTask.get().client_uuid)
    sign_in_as(client, teacher)
    for saved in (theirs, str(uuid.uuid4()), "1", "not-a-uuid"):
        assert "The DSL has been told" not in page(client, f"/staff/?saved={saved}")


def test_the_dsl_adds_notes_the_reference_and_marks_it_done(app, client, teacher, dsl):
    with app.app_context():
        breach = make_breach(teacher, subject_kind="staff", category="pupil_contact",
                             pupils="Polly Pupil")
        task = WelfareTask.get(WelfareTask.breach == breach)
    sign_in_as(client, dsl)
    token = hidden_fields(page(client, f"/records/welfare/{task.public_id}"))["csrf_token"]
    base = f"/records/welfare/{task.public_id}"
    assert client.post(f"{base}/notes", data={"csrf_token": token, "text": "Spoke to mum."}
                       ).status_code == 303
    assert client.post(f"{base}/reference", data={"csrf_token": token,
                                                  "safeguarding_ref": "CPOMS 4411"}).status_code == 303
    forged = client.post(f"{base}/status", data={"csrf_token": token, "status": "binned"})
    assert forged.status_code == 422
    assert field_error(forged.get_data(as_text=True), "status") == "Please choose to do or done."
    assert client.post(f"{base}/status", data={"csrf_token": token, "status": "done"}
                       ).status_code == 303
    again = client.post(f"{base}/status", data={"csrf_token": token, "status": "done"})
    assert again.status_code == 422
    assert field_error(again.get_data(as_text=True), "status") == "It is already marked done."
    html = page(client, base)
    assert "Spoke to mum." in html and "CPOMS 4411" in html and "marked it done" in html
    with app.app_context():
        assert WelfareTask.get_by_id(task.id).status == "done"
        assert WelfareTask.get_by_id(task.id).safeguarding_ref == "CPOMS 4411"
    assert "welfare task" not in page(client, "/staff/")


# "A child told me something" ---------------------------------------------------------------------

def test_every_member_of_staff_has_the_tile_and_the_page_says_what_to_do(client, teacher):
    sign_in_as(client, teacher)
    assert "A child told me something" in page(client, "/staff/")
    html = page(client, "/staff/disclosures/new")
    for step in ("Listen", "Do not promise to keep it a secret.", "Write down their words",
                 "Tell the Designated Safeguarding Lead now.", "call 999"):
        assert step in html


def test_a_disclosure_alerts_the_dsl_over_smtp_with_no_child_and_no_words(mail_app, client,
                                                                           teacher, dsl, head):
    app, inbox = mail_app
    sign_in_as(client, teacher)
    response, fields = tell(client, safeguarding_ref="MyConcern 77")
    assert response.status_code == 303
    assert "Saved. The DSL has been told." in client.get(
        response.headers["Location"]).get_data(as_text=True)
    assert client.post("/staff/disclosures/new", data=fields).status_code == 303  # a double tap
    [message] = inbox.messages
    assert message["X-Envelope-To"] == dsl.email
    assert f"recorded by {teacher.display_name} at " in message.get_payload(decode=True).decode()
    assert "https://kiosk.westacre.sch.uk/signin" in message.get_payload(decode=True).decode()
    for secret in ("Chloe", WORDS, "secret", "MyConcern"):
        assert secret not in message.as_string()
    with app.app_context():
        task = WelfareTask.get()
        assert (task.kind, task.pupils, task.child_words, task.safeguarding_ref, task.breach_id,
                task.created_by_id) == ("disclosure", "Chloe Child", WORDS, "MyConcern 77", None,
                                        teacher.id)
        assert Breach.select().count() == 0
    sign_in_as(client, dsl)
    html = dsl_pages(client, task)
    assert "Chloe Child" in html and WORDS in html


def test_about_an_adult_the_words_go_to_the_case_manager_and_the_dsl_gets_neither(
        mail_app, client, teacher, dsl, head):
    app, inbox = mail_app
    sign_in_as(client, teacher)
    response, _ = tell(client, about_adult="yes", adult_name=ADULT)
    assert response.status_code == 303
    assert "passed on to the headteacher" in client.get(
        response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        task = WelfareTask.get()
        breach = Breach.get()
        assert (breach.category.slug, breach.subject_kind, breach.subject_name, breach.restricted,
                breach.concerns_head) == ("child_about_staff", "staff", ADULT, True, False)
        assert WORDS in breach.description and "Chloe Child" in breach.description
        assert (task.breach_id, task.child_words, task.pupils) == (breach.id, "", "Chloe Child")
    assert sorted(m["X-Envelope-To"] for m in inbox.messages) == sorted([dsl.email, head.email])
    for message in inbox.messages:
        for secret in ("Chloe", WORDS, ADULT):
            assert secret not in message.as_string()
    sign_in_as(client, dsl)
    html = dsl_pages(client, task)
    assert "said something about an adult who works or volunteers at the school" in html
    assert WORDS not in html and ADULT not in html and str(breach.public_id) not in html
    sign_in_as(client, head)
    assert WORDS in page(client, f"/records/breaches/{breach.public_id}")


def test_about_the_headteacher_it_goes_to_the_chair_and_the_head_sees_nothing(mail_app, client,
                                                                              teacher, dsl, head,
                                                                              chair):
    app, inbox = mail_app
    sign_in_as(client, teacher)
    response, _ = tell(client, about_adult="head")
    assert "passed on to the chair of governors" in client.get(
        response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        breach, task = Breach.get(), WelfareTask.get()
        assert breach.concerns_head and breach.subject_name == "The headteacher"
    assert head.email not in [m["X-Envelope-To"] for m in inbox.messages]
    assert chair.email in [m["X-Envelope-To"] for m in inbox.messages]
    sign_in_as(client, head)
    assert client.get(f"/records/welfare/{task.public_id}").status_code == 404
    assert client.get(f"/records/breaches/{breach.public_id}").status_code == 404


@pytest.mark.one_database("a form's messages; nothing a database does")
@pytest.mark.parametrize(("change", "field", "message"), [
    ({"child_name": ""}, "child_name", "Please give the child's name."),
    ({"about_adult": "maybe"}, "about_adult",
     "Please say whether it was about an adult at the school."),
    ({"about_adult": "yes", "adult_name": ""}, "adult_name",
     "Please give the adult's name, so the headteacher knows who it is about."),
    ({"told_at": "tomorrow"}, "told_at", "Not a valid datetime value."),
])
def test_bad_input_is_a_message_beside_its_field_and_nothing_is_recorded(app, client, teacher,
                                                                         change, field, message):
    sign_in_as(client, teacher)
    fields = form_page(client, "/staff/disclosures/new")
    fields.update({"child_name": "Chloe Child", "about_adult": "no", **change})
    with nothing_written(app, allow=ACCESS_REFUSED):
        response = client.post("/staff/disclosures/new", data=fields)
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), field) == message


def test_the_api_records_a_disclosure_once_and_refuses_a_reused_key(mail_app, client, teacher,
                                                                    dsl):
    app, inbox = mail_app
    sign_in_as(client, teacher)
    key = str(uuid.uuid4())
    headers = {"X-Kiosk-Client": "outbox", "Idempotency-Key": key}
    body = {"staff_id": teacher.id, "child_name": "Chloe Child", "about_adult": "no",
            "told_at": typed(utcnow() - dt.timedelta(minutes=10)), "child_words": WORDS}
    first = client.post("/api/v1/disclosures", json=body, headers=headers)
    again = client.post("/api/v1/disclosures", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.get_json() == again.get_json() == {"id": key, "passed_on": False}
    assert again.headers["Idempotent-Replayed"] == "true"
    reused = client.post("/api/v1/disclosures", json={**body, "child_words": "other"},
                         headers=headers)
    assert reused.status_code == 422 and reused.get_json()["error"] == "idempotency_key_reused"
    invalid = client.post("/api/v1/disclosures", json={**body, "child_name": ""},
                          headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
    assert invalid.status_code == 422
    assert invalid.get_json()["fields"] == {"child_name": "Please give the child's name."}
    with app.app_context():
        assert WelfareTask.select().count() == 1
    assert len(inbox.messages) == 1
    # The thank-you after the outbox sent it says the same as the page's.
    assert "Saved. The DSL has been told." in page(client, f"/staff/?saved={key}")


# The thank-you ------------------------------------------------------------------------------------

def test_a_concern_about_staff_says_it_was_passed_on_with_or_without_the_script(app, client,
                                                                                teacher):
    sign_in_as(client, teacher)
    response, fields = log_about_staff(client, pupils="")
    flashed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Saved. Received and passed on to the headteacher." in flashed
    assert "Saved. Thank you." not in flashed
    # The page's script goes to "my reports" with the record's UUID.
    scripted = page(client, f"/staff/my-reports?saved={fields['client_uuid']}")
    assert "Saved. Received and passed on to the headteacher." in scripted
    assert "Saved. Thank you." not in scripted
    # Someone else's UUID, or none, says only "Saved".
    other = make_user_and_breach(app)
    assert "passed on" not in page(client, f"/staff/my-reports?saved={other}")


def make_user_and_breach(app) -> str:
    with app.app_context():
        breach = make_breach(make_user("staff"), subject_kind="staff", category="pupil_contact")
        return str(breach.client_uuid)


def test_with_pupils_the_thank_you_says_the_dsl_was_told(app, client, teacher):
    sign_in_as(client, teacher)
    response, _ = log_about_staff(client)
    assert ("Saved. Received and passed on to the headteacher. The DSL has been told about the "
            "pupils involved.") in client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_chair_finds_the_welfare_tasks_of_concerns_about_the_head(app, client, teacher, chair,
                                                                      head):
    with app.app_context():
        make_breach(teacher, subject_kind="staff", category="pupil_contact", concerns_head=True,
                    pupils="Hidden Pupil")
    sign_in_as(client, chair)
    assert 'href="/records/welfare"' in page(client, "/records/concerns?status=all")
    sign_in_as(client, head)
    assert 'href="/records/welfare"' not in page(client, "/records/concerns?status=all")


def test_the_page_says_who_reads_the_childs_words_and_that_is_who_does(app, client, teacher, dsl,
                                                                       head, chair):
    sign_in_as(client, teacher)
    assert ("Only the DSL and the headteacher can read them; if it is about an adult at school, "
            "only the headteacher (the chair of governors, if it is about the headteacher)."
            ) in page(client, "/staff/disclosures/new").replace("\n", " ")
    tell(client)
    tell(client, child_name="Hana Child", child_words="About the head", about_adult="head",
         adult_name="")
    with app.app_context():
        plain = WelfareTask.get(WelfareTask.pupils == "Chloe Child")
        about_head = WelfareTask.get(WelfareTask.pupils == "Hana Child")
        breach = Breach.get_by_id(about_head.breach_id)
    assert client.get(f"/records/welfare/{plain.public_id}").status_code == 404
    for reader in (dsl, head):
        sign_in_as(client, reader)
        assert WORDS in page(client, f"/records/welfare/{plain.public_id}")
    sign_in_as(client, chair)
    assert "About the head" in page(client, f"/records/breaches/{breach.public_id}")
    for reader in (dsl, head):
        sign_in_as(client, reader)
        assert client.get(f"/records/breaches/{breach.public_id}").status_code == 404
        html = client.get(f"/records/welfare/{about_head.public_id}").get_data(as_text=True)
        assert "About the head" not in html
def test_the_dsl_cannot_tell_from_the_chairs_name_that_a_concern_is_about_the_head(
        mail_app, client, teacher, dsl, head, chair):
    """The chair is case manager only of concerns about the head: on the DSL's task page and in
    the DSL's email the head and the chair are both "the case manager", never named."""
    app, inbox = mail_app
    with app.test_request_context():
        about_head = make_breach(teacher, subject_kind="staff", category="pupil_contact",
                                 concerns_head=True)
        about_staff = make_breach(teacher, subject_kind="staff", category="pupil_contact")
    for user, breach in ((chair, about_head), (head, about_staff)):
        sign_in_as(client, user)
        fields = hidden_fields(page(client, f"/records/breaches/{breach.public_id}"))
        assert client.post(f"/records/breaches/{breach.public_id}/welfare", data={
            "csrf_token": fields["csrf_token"], "client_uuid": fields["client_uuid"],
            "pupils": f"Pupil of the {user.role}"}).status_code == 303
        with app.app_context():
            task = WelfareTask.get(WelfareTask.breach == breach)
        prefix = f"welfarenoteform-{task.id}"
        token = hidden_fields(page(client, f"/records/breaches/{breach.public_id}"))[
            f"{prefix}-csrf_token"]
        assert client.post(f"/records/welfare/{task.public_id}/case-note", data={
            f"{prefix}-csrf_token": token, f"{prefix}-text": "Check in daily."}).status_code == 303
    sign_in_as(client, dsl)
    with app.app_context():
        tasks = list(WelfareTask.select().order_by(WelfareTask.id))
    for task in tasks:
        html = page(client, f"/records/welfare/{task.public_id}")
        assert chair.display_name not in html and head.display_name not in html
        assert "The case manager said what the DSL needs to know" in html
        assert "<dd>The case manager, " in html
    to_dsl = [m.get_payload(decode=True).decode() for m in inbox.messages
              if m["X-Envelope-To"] == dsl.email]
    assert len(to_dsl) == 2
    for message in to_dsl:
        assert chair.display_name not in message and head.display_name not in message
        assert "recorded by the case manager at" in message
