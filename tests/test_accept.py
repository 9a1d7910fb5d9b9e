"""A visitor accepts the policy: the form, its checks, the record, and the thank-you screen."""

from __future__ import annotations

import json
import re

import pytest

from kiosk.models import Acceptance, PolicyVersion

from .helpers import form_page, hidden_fields, make_policy, nothing_written, sign_in_as


def open_form(client, channel="kiosk") -> dict[str, str]:
    """Open the accept page as a browser would and return the fields a person fills in."""
    response = client.get(f"/accept?channel={channel}")
    assert response.status_code == 200
    fields = hidden_fields(response.get_data(as_text=True))
    fields.update(full_name="Ann Visitor", role="visitor", organisation="Acme Plumbing",
                  reason="Fixing the boiler", accept="y")
    return fields


def rows(app) -> list[Acceptance]:
    with app.app_context():
        return list(Acceptance.select())


def test_the_kiosk_home_has_the_school_the_button_the_qr_code_and_why(client):
    html = client.get("/").get_data(as_text=True)
    assert "Welcome to Westacre Infant School" in html
    assert 'href="/policy?channel=kiosk"' in html and "Read and accept the policy" in html
    assert '<img class="qr" src="/qr.svg"' in html
    assert "We record your name, your role and the time you accepted" in html


def test_accepting_records_who_what_version_and_when(app, client):
    form = open_form(client)
    response = client.post("/accept", data=form)
    assert response.status_code == 303
    assert response.headers["Location"] == "/thanks?channel=kiosk"
    [row] = rows(app)
    assert (row.full_name, row.role, row.organisation, row.reason, row.channel) == (
        "Ann Visitor", "visitor", "Acme Plumbing", "Fixing the boiler", "kiosk")
    assert str(row.client_uuid) == form["client_uuid"]
    assert row.policy_version_id == 1
    assert row.accepted_at is not None and row.received_at is not None


def test_the_thank_you_screen_shows_name_version_and_time_once(client):
    client.post("/accept", data=open_form(client))
    html = client.get("/thanks?channel=kiosk").get_data(as_text=True)
    assert "Thank you, Ann Visitor" in html
    assert "version 1" in html
    assert re.search(r"at <time datetime=\"[\d\-T:.]+Z\">\d{1,2}:\d\d[ap]m on \d{1,2} \w+ \d{4}", html)
    again = client.get("/thanks?channel=kiosk").get_data(as_text=True)
    assert "Ann Visitor" not in again
    assert "This screen has been cleared" in again


def test_a_phone_acceptance_is_recorded_as_a_phone_and_does_not_return_home(app, client):
    client.post("/accept", data=open_form(client, channel="phone"))
    assert rows(app)[0].channel == "phone"
    html = client.get("/thanks?channel=phone").get_data(as_text=True)
    assert "You can close this page" in html  # never counting down: tests/browser/test_first_minute.py


@pytest.mark.parametrize("path", ["/", "/policy", "/accept", "/thanks"])
def test_public_pages_are_never_stored_by_the_browser(client, path):
    assert client.get(path).headers["Cache-Control"] == "no-store"


def _name_input(html: str) -> str:
    return re.search(r'<input[^>]*id="full_name"[^>]*>', html).group(0)


def test_the_kiosk_never_offers_the_last_visitors_name(client):
    html = client.get("/accept?channel=kiosk").get_data(as_text=True)
    assert re.search(r'<form[^>]*autocomplete="off"', html)
    name = _name_input(html)
    assert 'autocomplete="off"' in name and 'autocapitalize="words"' in name


@pytest.mark.parametrize("path", ["/accept?channel=phone", "/accept"])
def test_a_phone_fills_in_its_owners_name_with_capitals(client, path):
    html = client.get(path).get_data(as_text=True)
    assert not re.search(r'<form[^>]*autocomplete="off"', html)
    name = _name_input(html)
    assert 'autocomplete="name"' in name and 'autocapitalize="words"' in name


@pytest.mark.one_database("a form's messages; nothing a database does")
@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"full_name": ""}, "full_name", "Please enter your full name."),
    ({"full_name": "   "}, "full_name", "Please enter your full name."),
    ({"full_name": "A"}, "full_name", "Your name must be between 2 and 100 characters."),
    ({"full_name": "A" * 101}, "full_name", "Your name must be between 2 and 100 characters."),
    ({"full_name": "Ann\x01Visitor"}, "full_name", "Please use letters, numbers and punctuation only."),
    ({"full_name": "Ann\u202eVisitor"}, "full_name", "Please use letters, numbers and punctuation only."),
    ({"organisation": "Acme\nLtd"}, "organisation", "Please use letters, numbers and punctuation only."),
    ({"reason": "x" * 201}, "reason", "Please keep this under 200 characters."),
    ({"role": "headteacher"}, "role", "Please choose one of the listed options."),
    ({"role": None}, "role", "Please choose what best describes you."),
    ({"accept": None}, "accept", "Please tick to show you have read and accept the policy."),
    ({"accept": "false"}, "accept", "Please tick to show you have read and accept the policy."),
])
def test_bad_input_is_refused_with_a_message_beside_the_field(app, client, changes, field, message):
    form = open_form(client)
    for name, value in changes.items():
        if value is None:
            form.pop(name)
        else:
            form[name] = value
    with nothing_written(app):
        response = client.post("/accept", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error"><span class="visually-hidden">Error:</span> {message}' in html
    assert "There is a problem" in html
    assert rows(app) == []


def test_a_refused_form_keeps_what_was_typed(app, client):
    form = open_form(client)
    form["accept"] = ""
    with nothing_written(app):
        response = client.post("/accept", data=form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="Ann Visitor"' in html and 'value="Acme Plumbing"' in html
    assert re.search(r'checked[^>]*value="visitor"|value="visitor"[^>]*checked', html)


@pytest.mark.parametrize(("name", "value"), [
    ("client_uuid", "not-a-uuid"), ("policy_version", "99"), ("policy_version", "x"),
    ("channel", "billboard"),
])
def test_a_tampered_hidden_field_is_refused(app, client, name, value):
    form = open_form(client)
    form[name] = value
    with nothing_written(app):
        response = client.post("/accept", data=form)
    assert response.status_code == 422
    assert "This form was damaged; please start again." in response.get_data(as_text=True)
    assert rows(app) == []


@pytest.mark.parametrize("version", ["99999999999999999999", "²", "-1", "1.0"])
def test_a_strange_policy_version_is_refused_not_a_500(app, client, version):
    fields = form_page(client, "/accept")
    with nothing_written(app):
        response = client.post("/accept", data={**fields, "full_name": "Ann", "role": "visitor",
                                                "accept": "y", "policy_version": version})
    assert response.status_code == 422
    with app.app_context():
        assert Acceptance.select().count() == 0


def test_a_post_without_the_form_token_is_refused(app, client):
    form = open_form(client)
    form.pop("csrf_token")
    with nothing_written(app):
        response = client.post("/accept", data=form)
    assert response.status_code == 400
    assert "This page had expired" in response.get_data(as_text=True)
    assert rows(app) == []


def test_a_form_token_from_another_session_is_refused(app, client):
    form = open_form(client)
    other = app.test_client()
    with nothing_written(app):
        response = other.post("/accept", data=form)
    assert response.status_code == 400
    assert rows(app) == []


def test_an_oversized_request_is_refused_with_413(app, client):
    form = open_form(client)
    form["reason"] = "x" * 70_000
    with nothing_written(app):
        response = client.post("/accept", data=form)
    assert response.status_code == 413
    assert "That was too much to send" in response.get_data(as_text=True)
    assert rows(app) == []


@pytest.mark.parametrize(("path", "data"), [
    ("/signin", {"email": "a\x00b@example.org", "password": "x"}),
    ("/accept", {"full_name": "Ann\x00"}),
])
def test_a_nul_character_is_a_400(app, client, path, data):
    fields = form_page(client, path)
    with nothing_written(app):
        assert client.post(path, data={**fields, **data}).status_code == 400
    assert client.get("/reports/chronology?name=a%00b").status_code == 400


def test_a_double_tap_records_one_acceptance(app, client):
    form = open_form(client)
    assert client.post("/accept", data=form).status_code == 303
    assert client.post("/accept", data=form).status_code == 303
    assert len(rows(app)) == 1


def test_the_same_form_sent_again_with_other_details_is_refused(app, client):
    form = open_form(client)
    client.post("/accept", data=form)
    form["full_name"] = "Somebody Else"
    with nothing_written(app):  # the first acceptance, its audit event, and nothing more
        response = client.post("/accept", data=form)
    assert response.status_code == 422
    assert "already sent with other details" in response.get_data(as_text=True)
    assert [r.full_name for r in rows(app)] == ["Ann Visitor"]


def test_it_records_the_version_the_person_read_even_if_a_newer_one_was_published(app, client):
    form = open_form(client)
    with app.app_context():
        make_policy(2)
    client.post("/accept", data=form)
    assert rows(app)[0].policy_version_id == PolicyVersion.get(PolicyVersion.number == 1).id


def test_the_policy_page_shows_the_newest_version(app, client):
    with app.app_context():
        make_policy(2, body="## Changed\n\nThe new text.\n")
    html = client.get("/policy").get_data(as_text=True)
    assert "Version 2" in html and "The new text." in html


@pytest.mark.parametrize(("method", "path", "status"), [
    ("get", "/no-such-page", 404), ("put", "/accept", 405), ("delete", "/", 405),
])
def test_errors_are_plain_pages_with_the_right_status(app, client, method, path, status):
    with nothing_written(app):
        response = getattr(client, method)(path)
    html = response.get_data(as_text=True)
    assert response.status_code == status
    assert "<h1>" in html and "Traceback" not in html


def test_an_unexpected_error_is_a_plain_500_page(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom():
        raise RuntimeError("kaboom")

    response = app.test_client().get("/boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong on our side" in html
    assert "kaboom" not in html and "Traceback" not in html


def test_pages_carry_a_strict_content_security_policy(client):
    csp = client.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'self'" in csp and "unsafe" not in csp


def test_an_acceptance_is_audited_without_the_name(app, client):
    from kiosk.models import AuditEvent

    form = open_form(client)
    client.post("/accept", data=form)
    with app.app_context():
        event = AuditEvent.get(AuditEvent.action == "acceptance.created")
        assert event.record_id == form["client_uuid"]
        assert "Ann Visitor" not in event.detail


@pytest.mark.parametrize("teacher_signed_in", [False, True], ids=["no-one", "teacher-on-the-ipad"])
def test_an_acceptance_is_audited_without_a_name_or_an_actor(app, client, teacher,
                                                             teacher_signed_in):
    if teacher_signed_in:  # a visitor's acceptance is never put down to the teacher whose iPad it is
        sign_in_as(client, teacher)
    client.post("/accept", data=open_form(client, channel="phone"))
    with app.app_context():
        from kiosk.models import AuditEvent
        event = AuditEvent.get(AuditEvent.action == "acceptance.created")
        row = rows(app)[0]
        assert (event.record_kind, event.record_id, event.actor_id, event.actor_label) == (
            "acceptance", str(row.client_uuid), None, "")
        assert json.loads(event.detail) == {"channel": "phone", "policy_version": 1, "language": "en"}
        assert "Ann Visitor" not in event.detail
