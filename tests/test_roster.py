"""The roster (kiosk/roster.py): people who are not one-off visitors, adding them by hand or from
a CSV file, their personal links, taking someone off the roster, and reminders to accept."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from html import unescape

import pytest

from kiosk import roster
from kiosk.display import long_date
from kiosk.models import (
    Acceptance,
    AuditEvent,
    PolicyVersion,
    Reminder,
    RosterPerson,
    SchoolSettings,
    utcnow,
)
from kiosk.vocabulary import ROSTER_ROLES

from .helpers import (
    KEY_POINTS,
    SCHOOL_ZONE,
    form_page,
    hidden_fields,
    make_acceptance,
    make_policy,
    nothing_written,
    sign_in_as,
)

# Adding people, by hand and from a CSV file -------------------------------------------------------

def test_the_head_adds_someone_and_a_duplicate_email_is_refused(app, client, head):
    sign_in_as(client, head)
    fields = form_page(client, "/admin/roster")
    person = {"full_name": "Pat Volunteer", "email": "Pat@Example.org", "role": "volunteer"}
    assert client.post("/admin/roster", data={**fields, **person}).status_code == 303
    with nothing_written(app):
        again = client.post("/admin/roster", data={**fields, **person})
    assert again.status_code == 422 and "already on the roster" in again.get_data(as_text=True)
    with app.app_context():
        [row] = RosterPerson.select()
        assert row.email == "pat@example.org" and len(row.token) >= 32


CSV = ("name,email,role\n"
       "Ann PTA,ann@example.org,PTA member\n"
       "Bob Governor,bob@example.org,governor\n")


def upload(client, text, action="preview", extra=None):
    fields = form_page(client, "/admin/roster/import")
    data = {**fields, "action": action, **(extra or {})}
    if text is not None:
        data["file"] = (io.BytesIO(text.encode()), "roster.csv")
    return client.post("/admin/roster/import", data=data, content_type="multipart/form-data")


def test_a_csv_import_is_previewed_then_applied(app, client, head):
    sign_in_as(client, head)
    preview = upload(client, CSV)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and html.count("Will be added") == 2
    with app.app_context():
        assert RosterPerson.select().count() == 0
    carried = hidden_fields(html)["csv_text"]
    assert upload(client, None, "confirm", {"csv_text": carried}).status_code == 303
    with app.app_context():
        assert sorted(p.role for p in RosterPerson.select()) == ["governor", "pta"]


def test_re_importing_updates_rather_than_duplicates(app, client, head):
    sign_in_as(client, head)
    with app.app_context():
        roster.apply_import(roster.parse_import(CSV))
    changed = CSV.replace("Bob Governor,bob@example.org,governor", "Robert Governor,BOB@example.org,governor")
    html = upload(client, changed).get_data(as_text=True)
    assert "Will be updated" in html and "No change" in html
    upload(client, None, "confirm", {"csv_text": hidden_fields(html)["csv_text"]})
    with app.app_context():
        assert RosterPerson.select().count() == 2
        assert RosterPerson.get(RosterPerson.email == "bob@example.org").full_name == "Robert Governor"


BAD_AND_GOOD = ("name,email,role\n"
                "A,not-an-email,wizard\n"
                "Good Person,good@example.org,volunteer\n"
                "Twice,good@example.org,volunteer\n"
                "Also Good,also@example.org,governor\n")


def test_the_preview_lists_the_rows_to_be_skipped_with_each_reason_and_writes_nothing(
        app, client, head):
    sign_in_as(client, head)
    with nothing_written(app):
        response = upload(client, BAD_AND_GOOD)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    skipped = html.split(">Rows that will be skipped, and why</caption>")[1].split("</table>")[0]
    assert "The name must be between 2 and 100 characters." in skipped
    assert "That is not an email address." in skipped
    assert "The role &#39;wizard&#39; is not one of" in skipped
    assert "<td>4</td><td>Twice<br>" in skipped and "The same email is on line 3." in skipped
    assert "Good Person" not in skipped and "Also Good" not in skipped
    imported = html.split(">Rows that will be imported</caption>")[1].split("</table>")[0]
    assert imported.count("Will be added") == 2 and "Twice" not in imported
    assert "<strong>2 rows will be skipped</strong>" in html
    assert ">Import 2 people and skip 2 rows</button>" in html


def test_applying_imports_the_good_rows_and_lists_the_skipped_ones(app, client, head):
    sign_in_as(client, head)
    carried = hidden_fields(upload(client, BAD_AND_GOOD).get_data(as_text=True))["csv_text"]
    response = upload(client, None, "confirm", {"csv_text": carried})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Roster imported, with 2 rows skipped" in html
    assert "Imported: 2 added, 0 updated, 0 unchanged." in html
    skipped = html.split(">Rows that were skipped</caption>")[1].split("</table>")[0]
    assert "That is not an email address." in skipped and "The same email is on line 3." in skipped
    with app.app_context():
        assert sorted((p.full_name, p.email, p.role) for p in RosterPerson.select()) == [
            ("Also Good", "also@example.org", "governor"),
            ("Good Person", "good@example.org", "volunteer")]
        event = AuditEvent.get(AuditEvent.action == "roster.imported")
        assert json.loads(event.detail) == {"add": 2, "update": 0, "unchanged": 0, "skipped": 2}
    # The corrected file again: the two already there are unchanged, never added twice.
    fixed = BAD_AND_GOOD.replace("A,not-an-email,wizard", "Ann Fixed,ann@example.org,PTA member")
    fixed = fixed.replace("Twice,good@example.org,volunteer\n", "")
    carried = hidden_fields(upload(client, fixed).get_data(as_text=True))["csv_text"]
    again = upload(client, None, "confirm", {"csv_text": carried})
    assert again.status_code == 303
    assert "Imported: 1 added, 0 updated, 2 unchanged." in client.get("/admin/roster").get_data(
        as_text=True)
    with app.app_context():
        assert RosterPerson.select().count() == 3


def test_a_file_where_no_row_can_be_imported_offers_no_import_and_refuses_one(app, client, head):
    sign_in_as(client, head)
    bad = "name,email,role\nA,not-an-email,wizard\nB,b@example.org,pupil\n"
    with nothing_written(app):
        html = upload(client, bad).get_data(as_text=True)
    assert "No row in the file can be imported." in html and 'value="confirm"' not in html
    with nothing_written(app):  # confirmed anyway, by a form sent by hand
        forced = upload(client, None, "confirm", {"csv_text": bad})
    assert forced.status_code == 422
    assert "No row in the file can be imported" in forced.get_data(as_text=True)


def test_the_template_has_the_columns_and_an_example_which_is_never_imported(app, client, head):
    sign_in_as(client, head)
    page = client.get("/admin/roster/import").get_data(as_text=True)
    assert 'href="/admin/roster/import/template.csv"' in page
    response = client.get("/admin/roster/import/template.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="roster-template.csv"'
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeffname,email,role\r\n")
    assert text.splitlines()[1] == "Sam Example,sam.example@example.org,volunteer"
    # Filled in with the example left in: the example is skipped, the real person is added.
    filled = text + "Real Person,real@example.org,governor\r\n"
    html = upload(client, filled).get_data(as_text=True)
    assert "This is the template&#39;s example: replace it with a real person." in html
    carried = hidden_fields(html)["csv_text"]
    assert upload(client, None, "confirm", {"csv_text": carried}).status_code == 200
    with app.app_context():
        assert [p.email for p in RosterPerson.select()] == ["real@example.org"]


def test_the_template_is_the_heads_alone(app, client, teacher, dsl):
    for user in (teacher, dsl):
        sign_in_as(client, user)
        assert client.get("/admin/roster/import/template.csv").status_code == 403


@pytest.mark.parametrize(("text", "message"), [
    ("", "The file is empty."),
    ("who,what\nx,y\n", "The first row must name the columns: name, email, role."),
    ("name,email,role\n", "There is nobody in the file"),
    ("name,email,role\n,,\n\n", "There is nobody in the file"),
])
def test_a_file_that_is_not_a_roster_is_refused_with_a_reason(app, client, head, text, message):
    sign_in_as(client, head)
    with nothing_written(app):
        response = upload(client, text)
    assert response.status_code == 422 and message in response.get_data(as_text=True)


def test_a_large_roster_file_and_a_long_policy_are_accepted(app, client, head):
    sign_in_as(client, head)
    big = "name,email,role\n" + "".join(f"Person Number{n},p{n}@example.org,volunteer\n"
                                         for n in range(1500))
    assert len(big) > 64 * 1024
    response = upload(client, big)
    assert response.status_code == 200
    assert response.get_data(as_text=True).count("Will be added") == 1500
    fields = form_page(client, "/admin/policy")
    long_body = "## Long\n\n" + ("A sentence of the policy. " * 3500)  # 91 kB: over 64 KiB
    response = client.post("/admin/policy", data={**fields, "title": "Long", "body": long_body,
                                                  "key_points": KEY_POINTS, "action": "save"})
    assert response.status_code == 303


def test_a_file_that_is_not_csv_is_refused_not_a_500(app, client, head):
    sign_in_as(client, head)
    with nothing_written(app):
        response = upload(client, "name,email,role\n" + "x" * 200_000 + ",a@b.org,volunteer\n")
    assert response.status_code == 422
    assert "could not be read as CSV" in response.get_data(as_text=True)


def test_an_imported_name_with_a_direction_override_is_skipped(app, client, head):
    sign_in_as(client, head)
    text = "name,email,role\nAnn\u202eEvil,ann@example.org,volunteer\nBea Fine,bea@example.org,pta\n"
    with nothing_written(app):  # the preview
        response = upload(client, text)
    assert "The name has characters that cannot be used." in response.get_data(as_text=True)
    # Confirmed with the preview's text: Bea is added, and Ann skipped.
    assert upload(client, None, "confirm", {"csv_text": text}).status_code == 200
    with app.app_context():
        assert [p.full_name for p in RosterPerson.select()] == ["Bea Fine"]


# Personal links, and taking someone off the roster ------------------------------------------------

@pytest.mark.parametrize("role", list(ROSTER_ROLES))
def test_a_personal_link_ties_the_acceptance_to_the_person(app, client, role):
    """Every roster role is recorded as the same role on the acceptance."""
    with app.app_context():
        person = roster.add_person("Gina Governor", "gina@example.org", role)
    html = client.get(f"/p/{person.token}").get_data(as_text=True)
    assert "Hello, Gina Governor" in html and "Please read" in html
    fields = form_page(client, f"/accept?token={person.token}")
    assert fields["channel"] == "link" and fields["full_name"] == "Gina Governor"
    fields["accept"] = "y"
    assert client.post("/accept", data=fields).status_code == 303
    with app.app_context():
        row = Acceptance.get()
        assert row.roster_person_id == person.id and row.channel == "link" and row.role == role
    assert "there is nothing more to do" in client.get(f"/p/{person.token}").get_data(as_text=True)


def test_an_unknown_or_retired_personal_link_is_a_404(app, client):
    with app.app_context():
        person = roster.add_person("Old Volunteer", "old@example.org", "volunteer")
        RosterPerson.update(active=False).where(RosterPerson.id == person.id).execute()
    assert client.get(f"/p/{person.token}").status_code == 404
    assert client.get("/p/guessed-token").status_code == 404


def test_opening_a_persons_link_to_print_or_send_is_audited(app, client, head):
    """Whoever holds a personal link can accept in that person's name."""
    with app.app_context():
        person = roster.add_person("Gina Governor", "gina@example.org", "governor")
    sign_in_as(client, head)
    assert client.get("/admin/roster").status_code == 200  # the list shows no link: not audited
    with app.app_context():
        assert not AuditEvent.select().where(AuditEvent.action == "roster.link_shown").exists()
    html = client.get(f"/admin/roster/{person.id}").get_data(as_text=True)
    assert f"/p/{person.token}" in html
    with app.app_context():
        [event] = AuditEvent.select().where(AuditEvent.action == "roster.link_shown")
        assert (event.record_kind, event.record_id, event.actor_id) == (
            "roster_person", str(person.id), head.id)


def test_a_personal_link_can_be_replaced_and_the_old_one_stops_working(app, client, head):
    with app.app_context():
        person = roster.add_person("Lost Link", "lost@example.org", "volunteer")
    sign_in_as(client, head)
    fields = {"csrf_token": hidden_fields(client.get("/admin/roster").get_data(as_text=True))["csrf_token"]}
    assert client.post(f"/admin/roster/{person.id}/new-link", data=fields).status_code == 303
    with app.app_context():
        fresh = RosterPerson.get_by_id(person.id)
        assert fresh.token != person.token
        assert AuditEvent.get(AuditEvent.action == "roster.new_link").record_id == str(person.id)
    assert client.get(f"/p/{person.token}").status_code == 404
    assert client.get(f"/p/{fresh.token}").status_code == 200


def test_taking_someone_off_the_roster_stops_their_link_and_putting_them_back_restores_it(
        app, client, head):
    with app.app_context():
        person = roster.add_person("Vera Volunteer", "vera@example.org", "volunteer")
    sign_in_as(client, head)
    fields = form_page(client, "/admin/roster")
    response = client.post(f"/admin/roster/{person.id}/active", data={**fields, "active": "no"})
    assert response.status_code == 303
    visitor = app.test_client()
    assert "Hello, Vera Volunteer" not in visitor.get(f"/p/{person.token}").get_data(as_text=True)
    form = form_page(visitor, "/accept?channel=kiosk")
    refused = visitor.post("/accept", data={**form, "channel": "link", "roster_token": person.token,
                                            "full_name": "Vera Volunteer", "role": "volunteer",
                                            "accept": "y"})
    assert refused.status_code == 422 and "no longer in use" in refused.get_data(as_text=True)
    client.post(f"/admin/roster/{person.id}/active", data={**fields, "active": "yes"})
    assert "Hello, Vera Volunteer" in visitor.get(f"/p/{person.token}").get_data(as_text=True)
    with app.app_context():
        assert [(e.action, e.record_id) for e in AuditEvent.select().where(
            AuditEvent.action.startswith("roster.") & AuditEvent.action.endswith("activated"))
            .order_by(AuditEvent.id)] == [("roster.deactivated", str(person.id)),
                                          ("roster.activated", str(person.id))]


# Who still needs to accept, and reminders ---------------------------------------------------------

def test_after_a_new_version_people_who_accepted_an_older_one_need_to_accept_again(app, client,
                                                                                    head):
    ann_accepted = dt.datetime.combine(utcnow().date() - dt.timedelta(days=60), dt.time(10),
                                       SCHOOL_ZONE)  # 10am, school time
    with app.app_context():
        ann = roster.add_person("Ann Again", "ann@example.org", "pta")
        bob = roster.add_person("Bob Current", "bob@example.org", "volunteer")
        roster.add_person("Cat Never", "cat@example.org", "governor")
        make_acceptance(full_name="Ann Again", roster_person=ann, channel="link",
                        accepted_at=ann_accepted.astimezone(dt.UTC).replace(tzinfo=None))
        make_policy(2)
        make_acceptance(full_name="Bob Current", roster_person=bob, channel="link")
    html = client.get(f"/p/{ann.token}").get_data(as_text=True)
    assert "The policy has changed since you accepted version 1" in html
    sign_in_as(client, head)
    page = client.get("/admin/roster/outstanding").get_data(as_text=True)
    assert "Ann Again" in page and "Cat Never" in page and "Bob Current" not in page
    assert (f"Version 1, 10:00am on {long_date(ann_accepted.date())} "
            "<strong>(needs to accept again)</strong>") in page
    only_governors = client.get("/admin/roster/outstanding?role=governor").get_data(as_text=True)
    assert "Cat Never" in only_governors and "Ann Again" not in only_governors


def test_reminders_are_emailed_with_the_personal_link_and_not_too_often(app, client, head,
                                                                        smtp_server):
    controller, inbox = smtp_server
    app.config.update(KIOSK_SMTP_HOST="127.0.0.1", KIOSK_SMTP_PORT=controller.port,
                      KIOSK_SMTP_STARTTLS=False, KIOSK_PUBLIC_URL="https://kiosk.westacre.sch.uk")
    with app.app_context():
        person = roster.add_person("Rem Inder", "rem@example.org", "volunteer")
    sign_in_as(client, head)
    fields = {"csrf_token": hidden_fields(client.get("/admin/roster").get_data(as_text=True))["csrf_token"]}
    client.post("/admin/roster/remind", data=fields)
    [message] = inbox.messages
    assert message["To"] == "rem@example.org"
    assert f"https://kiosk.westacre.sch.uk/p/{person.token}" in message.get_payload()
    client.post("/admin/roster/remind", data=fields)  # too soon: nothing more is sent
    assert len(inbox.messages) == 1
    with app.app_context():
        assert Reminder.select().count() == 1
        Reminder.update(sent_at=utcnow() - dt.timedelta(days=8)).execute()
    client.post("/admin/roster/remind", data=fields)
    assert len(inbox.messages) == 2
    page = client.get("/admin/roster/outstanding").get_data(as_text=True)
    row = re.search(r"Rem Inder</a></td>.*?</td>\s*<td>(?P<accepted>[^<]*)</td>"
                    r"\s*<td>(?P<reminded>[^<]*)</td>", page, re.S)
    assert row["accepted"] == "Never" and re.fullmatch(r"\d{1,2}:\d\d[ap]m on .+", row["reminded"])


def test_reminders_without_a_mail_server_say_so(app, client, head):
    with app.app_context():
        roster.add_person("Not Reminded", "nr@example.org", "volunteer")
    sign_in_as(client, head)
    fields = {"csrf_token": hidden_fields(client.get("/admin/roster").get_data(as_text=True))["csrf_token"]}
    with nothing_written(app):  # no reminder claimed, none audited
        response = client.post("/admin/roster/remind", data=fields, follow_redirects=True)
    assert "The kiosk cannot send email yet" in response.get_data(as_text=True)


def test_two_reminder_requests_at_once_send_one_email(app, head, smtp_server):
    import threading

    controller, inbox = smtp_server
    app.config.update(KIOSK_SMTP_HOST="127.0.0.1", KIOSK_SMTP_PORT=controller.port,
                      KIOSK_SMTP_STARTTLS=False)
    with app.app_context():
        roster.add_person("Only Once", "once@example.org", "volunteer")
    clients = [app.test_client() for _ in range(2)]
    tokens = []
    for browser in clients:
        sign_in_as(browser, head)
        tokens.append(hidden_fields(browser.get("/admin/roster").get_data(as_text=True))["csrf_token"])
    threads = [threading.Thread(target=browser.post, args=("/admin/roster/remind",),
                                kwargs={"data": {"csrf_token": token}})
               for browser, token in zip(clients, tokens, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(inbox.messages) == 1
    with app.app_context():
        assert Reminder.select().count() == 1


def test_a_failed_reminder_is_not_counted_as_sent(app, client, head, closed_port):
    app.config.update(KIOSK_SMTP_HOST="127.0.0.1", KIOSK_SMTP_PORT=closed_port,
                      KIOSK_SMTP_STARTTLS=False)
    with app.app_context():
        roster.add_person("Not Reached", "nr@example.org", "volunteer")
    sign_in_as(client, head)
    fields = {"csrf_token": hidden_fields(client.get("/admin/roster").get_data(as_text=True))["csrf_token"]}
    # The claim on the reminder is let go; only the attempt, with its counts, is audited.
    with nothing_written(app, allow=("roster.reminded",)) as events:
        html = client.post("/admin/roster/remind", data=fields, follow_redirects=True).get_data(as_text=True)
    assert "Reminders sent: 0" in html and "Could not be sent: 1" in html
    assert events == ["roster.reminded"]
    with app.app_context():
        assert Reminder.select().count() == 0


def remind(app, client, head, port: int) -> tuple[int, str]:
    """As the head: email the reminders through the server on `port`; the page that says how it went."""
    app.config.update(KIOSK_SMTP_HOST="127.0.0.1", KIOSK_SMTP_PORT=port, KIOSK_SMTP_STARTTLS=False)
    sign_in_as(client, head)
    fields = {"csrf_token": hidden_fields(client.get("/admin/roster").get_data(as_text=True))["csrf_token"]}
    response = client.post("/admin/roster/remind", data=fields, follow_redirects=True)
    return response.status_code, response.get_data(as_text=True)


def reminded(app) -> set[str]:
    with app.app_context():
        return {r.person.email for r in Reminder.select()}


@pytest.mark.parametrize("separator", ["\u2028", "\u2029"])
def test_a_title_saved_with_a_line_separator_still_gets_its_reminders_delivered(
        app, client, head, smtp_server, separator):
    """Saved before one-line fields refused them: the subject is made one line, not a 500 with
    everyone marked as reminded and nobody emailed."""
    controller, inbox = smtp_server
    with app.app_context():
        make_policy(title=f"Social Media{separator}and Mobile Phone Policy")
        roster.add_person("Lina Separator", "lina@example.org", "volunteer")
    status, html = remind(app, client, head, controller.port)
    assert status == 200 and "Reminders sent: 1." in html
    [message] = inbox.messages
    unfolded = "".join(message["Subject"].splitlines())  # as long headers are, over lines
    assert unfolded == ("Please read and accept Westacre Infant School's "
                        "Social Media and Mobile Phone Policy")
    assert reminded(app) == {"lina@example.org"}


class Refusing:
    """A mail server that takes every message but those to `refused@` (550, at RCPT) and to
    `bounced@` (554, at DATA)."""

    def __init__(self, inbox) -> None:
        self.inbox = inbox

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refused@"):
            return "550 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if any(to.startswith("bounced@") for to in envelope.rcpt_tos):
            return "554 Transaction failed"
        return await self.inbox.handle_DATA(server, session, envelope)


def test_a_reminder_the_mail_server_refuses_is_not_marked_sent_and_the_rest_go(app, client, head):
    from aiosmtpd.controller import Controller

    from .postgres import start_on_a_free_port
    from .smtp import Inbox

    inbox = Inbox()
    controller = start_on_a_free_port(
        lambda port: (c := Controller(Refusing(inbox), hostname="127.0.0.1", port=port)).start() or c)
    try:
        with app.app_context():
            for name in ("Ann", "Refused", "Bounced", "Zoe"):
                roster.add_person(f"{name} Person", f"{name.lower()}@example.org", "volunteer")
        status, html = remind(app, client, head, controller.port)
    finally:
        controller.stop()
    assert status == 200 and "Reminders sent: 2." in html and "Could not be sent: 2." in html
    assert sorted(m["To"] for m in inbox.messages) == ["ann@example.org", "zoe@example.org"]
    assert reminded(app) == {"ann@example.org", "zoe@example.org"}


def test_a_reminder_is_never_marked_sent_when_something_unexpected_stops_the_sending(
        app, client, head, smtp_server, monkeypatch):
    """Whatever goes wrong part-way, the reminders the mail server took stay marked and no other."""
    controller, inbox = smtp_server
    with app.app_context():
        for name in ("Ann", "Bob", "Cat"):
            roster.add_person(f"{name} Person", f"{name.lower()}@example.org", "volunteer")
    made = roster._reminder_message

    def fails_for_bob(person, version):
        if person.email == "bob@example.org":
            raise LookupError("a fault nobody foresaw")
        return made(person, version)

    monkeypatch.setattr(roster, "_reminder_message", fails_for_bob)
    status, _ = remind(app, client, head, controller.port)
    assert status == 500  # the fault is the server's; what it says was sent is still true
    assert [m["To"] for m in inbox.messages] == ["ann@example.org"]
    assert reminded(app) == {"ann@example.org"}


def test_reminders_skip_people_off_the_roster_and_those_who_accepted_this_version(
        app, client, head, smtp_server):
    controller, inbox = smtp_server
    app.config.update(KIOSK_SMTP_HOST="127.0.0.1", KIOSK_SMTP_PORT=controller.port,
                      KIOSK_SMTP_STARTTLS=False)
    with app.app_context():
        roster.add_person("Still Here", "here@example.org", "volunteer")
        gone = roster.add_person("Left Already", "gone@example.org", "volunteer")
        RosterPerson.update(active=False).where(RosterPerson.id == gone.id).execute()
        done = roster.add_person("Done Already", "done@example.org", "pta")
        make_acceptance(full_name="Done Already", roster_person=done, channel="link")
        earlier = roster.add_person("Accepted Before", "before@example.org", "governor")
        make_acceptance(full_name="Accepted Before", roster_person=earlier, channel="link")
        make_policy()  # a new version: "Accepted Before" must accept again, "Done" too
        make_acceptance(full_name="Done Already", roster_person=done, channel="link")
    sign_in_as(client, head)
    fields = {"csrf_token": hidden_fields(client.get("/admin/roster").get_data(as_text=True))["csrf_token"]}
    client.post("/admin/roster/remind", data=fields)
    assert sorted(message["To"] for message in inbox.messages) == [
        "before@example.org", "here@example.org"]
    with app.app_context():
        reminded = {r.person.email for r in Reminder.select()}
    assert reminded == {"before@example.org", "here@example.org"}


# Where each person stands -------------------------------------------------------------------------

def status_cell(html: str, name: str) -> str:
    """The words in a person's 'The policy' column on the roster page."""
    found = re.search(rf">{re.escape(name)}</a>.*?</td>\s*<td class=\"acceptance[^\"]*\">"
                      r"(?P<status>[^<]*)</td>", html, re.S)
    assert found, name
    return found["status"]


def school_day(days_ago: int, hour: int) -> dt.datetime:
    """A stored time: that hour, school time, some days ago."""
    local = dt.datetime.combine(utcnow().date() - dt.timedelta(days=days_ago), dt.time(hour),
                                SCHOOL_ZONE)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def test_the_roster_shows_whether_each_person_accepted_the_current_an_older_or_no_version(
        app, client, head):
    with app.app_context():
        cur = roster.add_person("Cur Rent", "cur@example.org", "pta")
        old = roster.add_person("Old Er", "old@example.org", "governor")
        roster.add_person("Nev Er", "nev@example.org", "volunteer")
        gone = roster.add_person("Gone Away", "gone@example.org", "staff")
        make_acceptance(full_name="Old Er", roster_person=old, channel="link",
                        accepted_at=school_day(400, 9))
        make_acceptance(full_name="Cur Rent", roster_person=cur, channel="link",
                        accepted_at=school_day(400, 9))
        make_policy(2)
        make_policy(3)
        make_acceptance(full_name="Old Er", roster_person=old, channel="link",
                        policy_version=PolicyVersion.get(PolicyVersion.number == 2),
                        accepted_at=school_day(30, 23))  # 11pm: the date is the school's
        make_acceptance(full_name="Cur Rent", roster_person=cur, channel="link",
                        accepted_at=school_day(2, 10))
        make_acceptance(full_name="Gone Away", roster_person=gone, channel="link",
                        accepted_at=school_day(1, 10))
        roster.set_active(gone, False)
    sign_in_as(client, head)
    html = client.get("/admin/roster").get_data(as_text=True)
    assert status_cell(html, "Cur Rent") == (
        f"Accepted the current version ({long_date(school_day(2, 10).date())})")
    assert status_cell(html, "Old Er") == (
        f"Accepted an older version (version 2, {long_date(utcnow().date() - dt.timedelta(days=30))})")
    assert status_cell(html, "Nev Er") == "Not accepted yet"
    assert status_cell(html, "Gone Away").startswith("Accepted the current version")
    assert "The current version is version 3." in html


def test_the_statuses_come_from_one_query_however_many_people(app, client, head, monkeypatch):
    from kiosk.models import db

    def queries_for_the_roster_page() -> int:
        count = 0
        execute = db.obj.execute_sql

        def counting(*args, **kwargs):
            nonlocal count
            count += 1
            return execute(*args, **kwargs)

        with monkeypatch.context() as patch:
            patch.setattr(db.obj, "execute_sql", counting)
            assert client.get("/admin/roster").status_code == 200
        return count

    sign_in_as(client, head)
    with app.app_context():
        first = roster.add_person("Per Son", "p0@example.org", "volunteer")
        make_acceptance(full_name="Per Son", roster_person=first, channel="link")
    few = queries_for_the_roster_page()
    with app.app_context():
        for n in range(1, 8):
            person = roster.add_person(f"Per Son{n}", f"p{n}@example.org", "volunteer")
            make_acceptance(full_name=person.full_name, roster_person=person, channel="link")
            if n == 4:
                make_policy()  # some accepted an older version, some the current one
    assert 0 < queries_for_the_roster_page() == few


def test_acceptance_statuses_pick_the_newest_version_not_the_latest_time(app, ctx):
    """Someone who accepted version 2, then (on an old link, say) version 1 again, has accepted
    version 2: the status names version 2 and when it was accepted."""
    person = roster.add_person("Back Wards", "back@example.org", "pta")
    version_1 = PolicyVersion.current()
    version_2 = make_policy(2)
    make_acceptance(roster_person=person, policy_version=version_2, channel="link",
                    accepted_at=school_day(5, 10))
    make_acceptance(roster_person=person, policy_version=version_1, channel="link",
                    accepted_at=school_day(1, 10))
    assert roster.acceptance_statuses()[person.id] == roster.AcceptanceStatus(
        2, school_day(5, 10), True)
    assert [e.person.id for e in roster.outstanding()] == []


# Reminders without a mail server: letters to print, links to copy -------------------------------

def outstanding_people(app):
    """Three people: Ann and Cat still to accept (Ann accepted version 1), Bob done, Dan off."""
    with app.app_context():
        ann = roster.add_person("Ann Again", "ann@example.org", "pta")
        bob = roster.add_person("Bob Done", "bob@example.org", "volunteer")
        cat = roster.add_person("Cat Never", "cat@example.org", "governor")
        dan = roster.add_person("Dan Gone", "dan@example.org", "governor")
        make_acceptance(full_name="Ann Again", roster_person=ann, channel="link")
        make_policy(2)
        make_acceptance(full_name="Bob Done", roster_person=bob, channel="link")
        roster.set_active(dan, False)
        SchoolSettings.create(public_url="https://kiosk.westacre.sch.uk")
    return ann, bob, cat, dan


def test_without_a_mail_server_the_head_is_offered_letters_and_links_not_email(app, client, head):
    outstanding_people(app)
    sign_in_as(client, head)
    html = client.get("/admin/roster/outstanding?role=governor").get_data(as_text=True)
    assert "Email a reminder" not in html and "/admin/roster/remind" not in html
    assert "ask your IT support to connect the kiosk to the school's email server" in html
    assert 'href="/admin/roster/letters?role=governor">Letters to print</a>' in html
    assert 'href="/admin/roster/links?role=governor">Links to copy</a>' in html


def test_with_a_mail_server_the_head_emails_and_is_offered_no_letters(app, client, head):
    app.config.update(KIOSK_SMTP_HOST="127.0.0.1", KIOSK_REMINDER_MIN_DAYS=7)
    outstanding_people(app)
    sign_in_as(client, head)
    html = client.get("/admin/roster/outstanding").get_data(as_text=True)
    assert ">Email a reminder</button>" in html
    assert "Nobody is emailed again within 1 week of their last reminder." in html
    assert "Letters to print" not in html and "Links to copy" not in html
    assert "IT support" not in html


def letters_in(html: str) -> list[str]:
    return re.findall(r'<article class="letter".*?</article>', html, re.S)


def test_a_letter_for_each_person_still_to_accept_with_their_qr_code_and_link(app, client, head):
    from kiosk.qr import qr_data_uri

    ann, _, cat, _ = outstanding_people(app)
    sign_in_as(client, head)
    html = client.get("/admin/roster/letters").get_data(as_text=True)
    letters = letters_in(html)
    assert [re.search(r"<h2[^>]*>Dear (.*?),</h2>", letter)[1] for letter in letters] == [
        "Ann Again", "Cat Never"]  # not Bob, who accepted; not Dan, off the roster
    for person, letter in zip((ann, cat), letters, strict=True):
        link = f"https://kiosk.westacre.sch.uk/p/{person.token}"
        assert f"Or type this address: <strong class=\"break\">{link}</strong>" in letter
        assert f'src="{qr_data_uri(link)}"' in letter
        assert "Westacre Infant School" in letter and "version 2 of our Social Media" in letter
        assert long_date(utcnow().astimezone(SCHOOL_ZONE).date()) in letter
    assert "You accepted version 1, and the policy has changed since." in letters[0]
    assert "You accepted" not in letters[1]
    assert "data-print hidden>Print 2 letters</button>" in html
    with app.app_context():
        event = AuditEvent.get(AuditEvent.action == "roster.letters_shown")
        assert event.actor_label == head.email
        assert json.loads(event.detail) == {"count": 2, "role": "", "people": [ann.id, cat.id]}
        assert "Ann" not in event.detail
    one = client.get("/admin/roster/letters?role=governor").get_data(as_text=True)  # Cat only
    assert "data-print hidden>Print the letter</button>" in one and "1 letter" not in one
    assert "printout-count" not in one  # one printout: no "Letter 1 of 1"


def test_letters_come_a_printout_at_a_time_each_audited_for_its_own_people(app, client, head,
                                                                         monkeypatch):
    """However many are still to accept, a page holds one printout of letters
    (`LETTERS_A_PRINTOUT`), with the way to the next; only the people on it are audited."""
    monkeypatch.setattr(roster, "LETTERS_A_PRINTOUT", 2)
    ann, _, cat, _ = outstanding_people(app)
    with app.app_context():
        eve = roster.add_person("Eve Later", "eve@example.org", "pta")
    sign_in_as(client, head)

    def shown(path):
        html = client.get(path).get_data(as_text=True)
        names = [re.search(r"<h2[^>]*>Dear (.*?),</h2>", letter)[1] for letter in letters_in(html)]
        with app.app_context():
            event = (AuditEvent.select().where(AuditEvent.action == "roster.letters_shown")
                     .order_by(AuditEvent.id.desc()).first())
        return html, names, json.loads(event.detail)

    html, names, detail = shown("/admin/roster/letters")
    assert names == ["Ann Again", "Cat Never"]
    assert "<strong>Letters 1 to 2 of 3</strong> (printout 1 of 2)." in html
    assert "data-print hidden>Print these 2 letters</button>" in html
    assert 'href="/admin/roster/letters?page=2" rel="next">Next letters (3 onwards)</a>' in html
    assert 'rel="prev"' not in html
    assert detail == {"count": 2, "role": "", "people": [ann.id, cat.id], "first": 1, "of": 3}

    html, names, detail = shown("/admin/roster/letters?page=2")
    assert names == ["Eve Later"]
    assert "<strong>Letter 3 of 3</strong> (printout 2 of 2)." in html
    assert "data-print hidden>Print this letter</button>" in html and "Letters 3 to 3" not in html
    assert 'href="/admin/roster/letters?page=1" rel="prev">Previous letters</a>' in html
    assert 'rel="next"' not in html
    assert detail == {"count": 1, "role": "", "people": [eve.id], "first": 3, "of": 3}

    # A printout past the last is the last; anything else is the first.
    assert shown("/admin/roster/letters?page=99")[1] == ["Eve Later"]
    assert shown("/admin/roster/letters?page=nonsense")[1] == ["Ann Again", "Cat Never"]
    assert shown("/admin/roster/letters?page=-4")[1] == ["Ann Again", "Cat Never"]


def test_a_single_printout_has_no_count_and_no_way_on(app, client, head):
    outstanding_people(app)
    sign_in_as(client, head)
    html = client.get("/admin/roster/letters").get_data(as_text=True)
    assert len(letters_in(html)) == 2
    assert "printout" not in html and 'rel="next"' not in html


def test_the_letters_follow_the_role_chosen(app, client, head):
    _, _, cat, _ = outstanding_people(app)
    sign_in_as(client, head)
    html = client.get("/admin/roster/letters?role=governor").get_data(as_text=True)
    assert [letter.count("Dear Cat Never,") for letter in letters_in(html)] == [1]
    with app.app_context():
        assert json.loads(AuditEvent.get(AuditEvent.action == "roster.letters_shown").detail) == {
            "count": 1, "role": "governor", "people": [cat.id]}


def test_the_links_to_copy_are_a_name_and_a_link_a_line(app, client, head):
    ann, _, cat, _ = outstanding_people(app)
    sign_in_as(client, head)
    html = client.get("/admin/roster/links").get_data(as_text=True)
    text = unescape(re.search(r'<textarea id="links"[^>]*>(.*?)</textarea>', html, re.S)[1])
    assert text.splitlines() == [f"Ann Again\thttps://kiosk.westacre.sch.uk/p/{ann.token}",
                                 f"Cat Never\thttps://kiosk.westacre.sch.uk/p/{cat.token}"]
    assert 'data-copy="links"' in html and "Names and personal links (2)" in html
    with app.app_context():
        event = AuditEvent.get(AuditEvent.action == "roster.links_shown")
        assert json.loads(event.detail) == {"count": 2, "role": "", "people": [ann.id, cat.id]}


def test_with_everyone_accepted_there_is_nothing_to_hand_out_and_nothing_audited(app, client,
                                                                                  head):
    with app.app_context():
        done = roster.add_person("All Done", "done@example.org", "pta")
        make_acceptance(full_name="All Done", roster_person=done, channel="link")
    sign_in_as(client, head)
    with nothing_written(app):
        letters = client.get("/admin/roster/letters").get_data(as_text=True)
        links = client.get("/admin/roster/links").get_data(as_text=True)
    assert letters_in(letters) == [] and "there are no letters to print" in letters
    assert "<textarea" not in links and "there are no links to copy" in links


def test_letters_warn_when_phones_could_not_open_the_links(app, client, head):
    with app.app_context():
        roster.add_person("Cat Never", "cat@example.org", "governor")
    sign_in_as(client, head)  # no public address set: the links use this test's own address
    html = client.get("/admin/roster/letters").get_data(as_text=True)
    assert "Check the address before you print" in html and "http://localhost/p/" in html


def test_a_personal_link_uses_the_address_the_head_set_up(app, client, head):
    with app.app_context():
        person = roster.add_person("Set Up", "setup@example.org", "pta")
        SchoolSettings.create(public_url="https://kiosk.example.org")
    sign_in_as(client, head)
    html = client.get(f"/admin/roster/{person.id}").get_data(as_text=True)
    assert f"https://kiosk.example.org/p/{person.token}" in html


def test_hand_out_knows_only_letters_and_links(app, ctx):
    with pytest.raises(ValueError):
        roster.hand_out("carrier pigeon")
