"""The roster (kiosk/roster.py): people who are not one-off visitors, adding them by hand or from
a CSV file, their personal links, taking someone off the roster, and reminders to accept."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest

from kiosk import retention, roster
from kiosk.display import long_date
from kiosk.models import Acceptance, AuditEvent, PolicyVersion, Reminder, RosterPerson, utcnow
from kiosk.vocabulary import ROSTER_ROLES

from .helpers import (
    KEY_POINTS,
    SCHOOL_ZONE,
    form_page,
    hidden_fields,
    make_acceptance,
    make_policy,
    nothing_written,
    publish_policy,
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


def test_each_bad_row_is_named_and_nothing_is_imported(app, client, head):
    sign_in_as(client, head)
    bad = ("name,email,role\nA,not-an-email,wizard\nGood Person,good@example.org,volunteer\n"
           "Twice,good@example.org,volunteer\n")
    with nothing_written(app):  # the preview, listing each problem
        response = upload(client, bad)
    html = response.get_data(as_text=True)
    assert "The name must be between 2 and 100 characters." in html
    assert "That is not an email address." in html
    assert "The role &#39;wizard&#39; is not one of" in html
    assert "The same email is on line 3." in html
    assert "2 rows have a problem" in html and 'value="confirm"' not in html
    with nothing_written(app):
        forced = upload(client, None, "confirm", {"csv_text": bad})
    assert forced.status_code == 422
    with app.app_context():
        assert RosterPerson.select().count() == 0


@pytest.mark.parametrize(("text", "message"), [
    ("", "The file is empty."),
    ("who,what\nx,y\n", "The first row must name the columns: name, email, role."),
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


def test_an_imported_name_with_a_direction_override_is_refused(app, client, head):
    sign_in_as(client, head)
    text = "name,email,role\nAnn\u202eEvil,ann@example.org,volunteer\n"
    with nothing_written(app):  # the preview
        response = upload(client, text)
    assert "The name has characters that cannot be used." in response.get_data(as_text=True)
    with nothing_written(app):  # confirmed anyway, by a form sent by hand
        assert upload(client, None, "confirm", {"csv_text": text}).status_code == 422


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
    assert "No mail server is set up" in response.get_data(as_text=True)


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


# A minor change: acceptances of the version before still count ------------------------------------

def roster_of_three(app):
    """Ann accepted version 1 through her link, Bob accepted it at the kiosk under his own name
    (not tied to the roster), Cat never accepted."""
    with app.app_context():
        ann = roster.add_person("Ann Accepted", "ann@example.org", "pta")
        bob = roster.add_person("Bob Kiosk", "bob@example.org", "volunteer")
        cat = roster.add_person("Cat Never", "cat@example.org", "governor")
        make_acceptance(full_name="Ann Accepted", roster_person=ann, channel="link")
        make_acceptance(full_name="Bob Kiosk")
    return ann, bob, cat


def outstanding_names(app) -> list[str]:
    with app.app_context():
        return [entry.person.full_name for entry in roster.outstanding()]


def test_a_minor_change_asks_nobody_to_accept_again(app, client, head):
    ann, _, _ = roster_of_three(app)
    sign_in_as(client, head)
    publish_policy(client, change="minor")
    assert outstanding_names(app) == ["Bob Kiosk", "Cat Never"]
    page = client.get("/admin/roster/outstanding").get_data(as_text=True)
    assert "Ann Accepted" not in page and "Cat Never" in page
    person = client.get(f"/admin/roster/{ann.id}").get_data(as_text=True)
    assert "Accepted the current version at" in person
    assert "(as version 1: the changes since were minor)" in person
    assert "needs to accept" not in person
    # Her own link thanks her and asks nothing more.
    visitor = app.test_client()
    link = visitor.get(f"/p/{ann.token}").get_data(as_text=True)
    assert "You accepted version 1" in link and "there is nothing more to do" in link
    assert "Continue to accept" not in link and "has changed" not in link
    with app.app_context():
        assert ann.current_acceptance().policy_version.number == 1


def test_minor_changes_one_after_another_still_count_from_the_last_full_one(app, client, head):
    ann, _, _ = roster_of_three(app)
    sign_in_as(client, head)
    publish_policy(client, change="minor")  # version 2
    publish_policy(client, change="minor")  # version 3
    with app.app_context():
        assert PolicyVersion.current_acceptance_floor().number == 1
    assert "Ann Accepted" not in outstanding_names(app)
    publish_policy(client, change="full")  # version 4: everyone again
    with app.app_context():
        assert PolicyVersion.current_acceptance_floor().number == 4
    assert outstanding_names(app) == ["Ann Accepted", "Bob Kiosk", "Cat Never"]
    link = app.test_client().get(f"/p/{ann.token}").get_data(as_text=True)
    assert "The policy has changed since you accepted version 1" in link
    assert "Continue to accept" in link


def test_a_change_that_is_not_minor_asks_everyone_who_accepted_to_accept_again(app, client, head):
    ann, _, _ = roster_of_three(app)
    sign_in_as(client, head)
    page = publish_policy(client, change="full")
    assert "1 person on the roster who had accepted the version before is now asked to accept it." \
        in page
    assert outstanding_names(app) == ["Ann Accepted", "Bob Kiosk", "Cat Never"]
    person = client.get(f"/admin/roster/{ann.id}").get_data(as_text=True)
    assert "needs to accept version 2" in person


def test_someone_who_accepts_the_minor_change_itself_counts_too(app, client, head):
    _, _, cat = roster_of_three(app)
    sign_in_as(client, head)
    publish_policy(client, change="minor")
    with app.app_context():
        make_acceptance(full_name="Cat Never", roster_person=cat, channel="link")
    assert outstanding_names(app) == ["Bob Kiosk"]


def test_reminders_after_a_minor_change_go_only_to_those_still_to_accept(app, client, head,
                                                                         smtp_server):
    controller, inbox = smtp_server
    app.config.update(KIOSK_SMTP_HOST="127.0.0.1", KIOSK_SMTP_PORT=controller.port,
                      KIOSK_SMTP_STARTTLS=False)
    roster_of_three(app)
    sign_in_as(client, head)
    publish_policy(client, change="minor")
    fields = {"csrf_token": hidden_fields(client.get("/admin/roster").get_data(as_text=True))["csrf_token"]}
    client.post("/admin/roster/remind", data=fields)
    assert sorted(message["To"] for message in inbox.messages) == ["bob@example.org",
                                                                   "cat@example.org"]


def test_the_purge_keeps_an_acceptance_a_minor_change_still_counts(app, runner, client, head):
    ann, _, _ = roster_of_three(app)
    with app.app_context():
        Acceptance.update(accepted_at=utcnow() - dt.timedelta(days=100)).execute()
        retention.set_days("roster_acceptances", 30)
    sign_in_as(client, head)
    publish_policy(client, change="minor")
    assert runner.invoke(args=["purge"]).exit_code == 0
    with app.app_context():
        assert Acceptance.select().where(Acceptance.roster_person == ann.id).count() == 1
    assert "Ann Accepted" not in outstanding_names(app)
