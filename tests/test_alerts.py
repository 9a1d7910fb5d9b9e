"""The DSL (or the head, or the chair) is emailed about a new concern, with no details in it."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from kiosk.models import AuditEvent, Breach, SchoolSettings, utcnow

from .helpers import form_page, make_user, sign_in_as, typed


@pytest.fixture
def mail_app(app, smtp_server):
    controller, inbox = smtp_server
    app.config.update(KIOSK_SMTP_HOST="127.0.0.1", KIOSK_SMTP_PORT=controller.port,
                      KIOSK_SMTP_STARTTLS=False, KIOSK_MAIL_FROM="kiosk@westacre.sch.uk",
                      KIOSK_PUBLIC_URL="https://kiosk.westacre.sch.uk")
    return app, inbox


def log(client, who="visitor", category="photographing", **extra):
    fields = form_page(client, f"/staff/breaches/new?who={who}&category={category}")
    fields.update({"subject_name": "Pupil Name Here", "description": "Very private detail", **extra})
    return client.post("/staff/breaches", data=fields)


def test_the_dsl_is_emailed_about_a_safeguarding_concern_with_no_details(mail_app, client,
                                                                          teacher, dsl):
    app, inbox = mail_app
    with app.app_context():
        other_dsl = make_user("dsl")
        make_user("dsl", active=False)
    sign_in_as(client, teacher)
    assert log(client).status_code == 303
    [message] = inbox.messages
    assert sorted(message["X-Envelope-To"].split(", ")) == sorted([dsl.email, other_dsl.email])
    assert message["From"] == "kiosk@westacre.sch.uk"
    body = message.get_payload()
    assert f"A new concern was logged by {teacher.display_name} at " in body
    assert "https://kiosk.westacre.sch.uk/signin" in body
    text = message.as_string()
    for secret in ("Pupil Name Here", "Very private detail", "Photographing", "Visitor"):
        assert secret not in text
    with app.app_context():
        assert AuditEvent.get(AuditEvent.action == "alert.sent").record_id == str(
            Breach.get().public_id)


SECRETS = ("Pupil Name Here", "Very private detail", "Photographing", "Visitor", "Member of staff",
           "in contact with a pupil", "pupil_contact", "headteacher")


def assert_holds_no_details(message) -> None:
    text = message.as_string()
    for secret in SECRETS:
        assert secret.lower() not in text.lower(), secret


def test_a_concern_about_staff_goes_to_the_head_not_the_dsl(mail_app, client, teacher, dsl, head):
    _app, inbox = mail_app
    sign_in_as(client, teacher)
    log(client, who="staff", category="pupil_contact")
    [message] = inbox.messages
    assert message["X-Envelope-To"] == head.email
    assert_holds_no_details(message)


def test_a_concern_about_the_head_goes_to_the_chair(mail_app, client, teacher, head, chair):
    _app, inbox = mail_app
    sign_in_as(client, teacher)
    log(client, who="staff", category="pupil_contact", concerns_head="y",
        subject_name=head.display_name)
    [message] = inbox.messages
    assert message["X-Envelope-To"] == chair.email
    assert_holds_no_details(message)
    assert head.display_name not in message.as_string()


def test_no_email_for_a_breach_that_is_not_a_safeguarding_matter(mail_app, client, teacher, dsl):
    _app, inbox = mail_app
    sign_in_as(client, teacher)
    log(client, category="commercial")
    assert inbox.messages == []


def test_a_replayed_form_sends_no_second_email(mail_app, client, teacher, dsl):
    _app, inbox = mail_app
    sign_in_as(client, teacher)
    fields = form_page(client, "/staff/breaches/new?who=visitor&category=photographing")
    client.post("/staff/breaches", data=fields)
    client.post("/staff/breaches", data=fields)
    assert len(inbox.messages) == 1


def test_a_breach_sent_by_the_outbox_alerts_once_however_often_it_is_replayed(mail_app, client,
                                                                                teacher, dsl):
    """Logging a breach is what alerts, whichever way it arrives: the page or the outbox."""
    _app, inbox = mail_app
    sign_in_as(client, teacher)
    body = {"staff_id": teacher.id, "subject_kind": "visitor", "category": "photographing",
            "occurred_at": typed(utcnow() - dt.timedelta(hours=1))}
    headers = {"X-Kiosk-Client": "outbox", "Idempotency-Key": str(uuid.uuid4())}
    for _ in range(3):
        assert client.post("/api/v1/breaches", json=body, headers=headers).status_code == 201
    assert len(inbox.messages) == 1 and inbox.messages[0]["To"] == dsl.email


def test_a_mail_failure_still_saves_the_concern_and_is_audited(app, client, teacher, dsl,
                                                               closed_port):
    app.config.update(KIOSK_SMTP_HOST="127.0.0.1", KIOSK_SMTP_PORT=closed_port,
                      KIOSK_SMTP_STARTTLS=False)
    sign_in_as(client, teacher)
    assert log(client).status_code == 303
    with app.app_context():
        assert Breach.select().count() == 1
        assert AuditEvent.select().where(AuditEvent.action == "alert.failed").count() == 1


# Where the email sends them: never an address made from the request ---------------------------------

@pytest.fixture
def mail_without_address(app, smtp_server):
    """A mail server, but no KIOSK_PUBLIC_URL: development before the head's set-up."""
    controller, inbox = smtp_server
    app.config.update(KIOSK_SMTP_HOST="127.0.0.1", KIOSK_SMTP_PORT=controller.port,
                      KIOSK_SMTP_STARTTLS=False)
    return app, inbox


EVIL = {"base_url": "http://evil.example"}


def on_a_forged_host(client) -> None:
    """The signed-in session sent with `Host: evil.example`, as any script can send it."""
    cookie = client.get_cookie("kiosk_session")
    client.set_cookie("kiosk_session", cookie.value, domain="evil.example")


def test_an_alert_asked_for_on_a_forged_host_carries_no_link_but_says_where_to_go(
        mail_without_address, client, teacher, dsl):
    _app, inbox = mail_without_address
    sign_in_as(client, teacher)
    fields = form_page(client, "/staff/breaches/new?who=visitor&category=photographing")
    fields.update({"subject_name": "Pupil Name Here", "description": "Very private detail"})
    on_a_forged_host(client)
    assert client.post("/staff/breaches", data=fields, **EVIL).status_code == 303
    [message] = inbox.messages
    body = message.get_payload()
    assert "evil.example" not in message.as_string()
    assert "http" not in body  # no link at all: none is known to be the school's
    assert "Open Policy Kiosk on the school's network and sign in to read it." in body


def test_an_alert_links_to_the_address_the_head_set_whatever_the_host(mail_without_address,
                                                                      client, teacher, dsl):
    app, inbox = mail_without_address
    with app.app_context():
        SchoolSettings.create(public_url="https://kiosk.westacre.sch.uk", school_name="Westacre")
    sign_in_as(client, teacher)
    fields = form_page(client, "/staff/breaches/new?who=visitor&category=photographing")
    fields.update({"subject_name": "Pupil Name Here", "description": "Very private detail"})
    on_a_forged_host(client)
    assert client.post("/staff/breaches", data=fields, **EVIL).status_code == 303
    [message] = inbox.messages
    assert "Sign in to read it: https://kiosk.westacre.sch.uk/signin" in message.get_payload()
    assert "evil.example" not in message.as_string()


def test_a_welfare_alert_carries_no_link_made_from_the_request(mail_without_address, client,
                                                                teacher, dsl):
    _app, inbox = mail_without_address
    sign_in_as(client, teacher)
    fields = form_page(client, "/staff/disclosures/new")
    fields.update({"child_name": "Chloe Child", "child_words": "It was a secret",
                   "about_adult": "no"})
    on_a_forged_host(client)
    assert client.post("/staff/disclosures/new", data=fields, **EVIL).status_code == 303
    [message] = inbox.messages
    assert message["Subject"] == "A welfare task is waiting in Policy Kiosk"
    assert "evil.example" not in message.as_string()
    assert "Open Policy Kiosk on the school's network" in message.get_payload()
