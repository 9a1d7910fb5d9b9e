"""The headteacher's desk: policy versions, the roster, reminders, retention, backups."""

from __future__ import annotations

import datetime as dt
import io
import re
import sqlite3

import pytest

from kiosk import create_app, retention, roster
from kiosk.display import long_date
from kiosk.models import (
    Acceptance,
    AuditEvent,
    Breach,
    DeletionRequest,
    PolicyDraft,
    PolicyVersion,
    Reminder,
    RosterPerson,
    db,
    utcnow,
)
from kiosk.vocabulary import ROSTER_ROLES

from .helpers import (
    SCHOOL_ZONE,
    form_page,
    hidden_fields,
    make_acceptance,
    make_breach,
    make_deletion_request,
    make_policy,
    nothing_written,
    sign_in_as,
)

# Policy versions -----------------------------------------------------------------------------------

KEY_POINTS = "Phones away near children.\nNo photos of pupils.\nSpeak to the DSL if worried."
REVIEW_DUE = utcnow().date() + dt.timedelta(days=300)


def test_the_head_drafts_previews_and_publishes_a_new_version(app, client, head):
    sign_in_as(client, head)
    fields = form_page(client, "/admin/policy")
    with app.app_context():
        body = PolicyVersion.current().body.replace("## Purpose", "## Purpose\n\nA new first line.")
    response = client.post("/admin/policy", data={**fields, "title": "Social Media Policy",
                                                  "body": body, "review_due": REVIEW_DUE.isoformat(),
                                                  "key_points": KEY_POINTS, "action": "save"})
    assert response.status_code == 303
    html = client.get("/admin/policy").get_data(as_text=True)
    assert "<strong>Added:</strong> <span class=\"pre-line\">A new first line.</span>" in html
    assert "A new first line." in html.split('data-preview')[1]  # in the preview too
    client.post("/admin/policy", data={**fields, "title": "Social Media Policy", "body": body,
                                       "review_due": REVIEW_DUE.isoformat(), "key_points": KEY_POINTS,
                                       "action": "publish"})
    with app.app_context():
        current = PolicyVersion.current()
        assert (current.number, current.title, current.review_due) == (
            2, "Social Media Policy", REVIEW_DUE)
        assert current.key_point_list == KEY_POINTS.split("\n")
        assert AuditEvent.select().where(AuditEvent.action == "policy.published").count() == 2
    assert "Version 2" in client.get("/policy").get_data(as_text=True)


def test_the_live_preview_returns_sanitised_html_and_the_changes(client, head):
    sign_in_as(client, head)
    token = hidden_fields(client.get("/admin/policy").get_data(as_text=True))["csrf_token"]
    response = client.post("/admin/policy/preview", data={"body": "## New\n\n<script>x()</script>Hi"},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 200
    assert "<h2>New</h2>" in response.json["html"] and "<script" not in response.json["html"]
    kinds = {change["kind"] for change in response.json["changes"]}
    assert kinds >= {"added", "removed"}


def test_publishing_the_same_text_again_is_refused(app, client, head):
    sign_in_as(client, head)
    fields = form_page(client, "/admin/policy")
    with app.app_context():
        current = PolicyVersion.current()
    # Publishing saves what was typed as the draft first, and the refusal leaves it there (so
    # nothing typed is lost; an older draft is replaced, though): that is all it may write.
    with nothing_written(app, except_tables=("policy_draft",)):
        response = client.post("/admin/policy", data={**fields, "title": current.title,
                                                      "body": current.body,
                                                      "key_points": current.key_points,
                                                      "action": "publish"})
    assert response.status_code == 422
    assert "The text is the same as the current version" in response.get_data(as_text=True)
    with app.app_context():
        assert PolicyVersion.select().count() == 1
        assert [(d.title, d.body) for d in PolicyDraft.select()] == [(current.title, current.body)]


def test_new_key_points_alone_make_a_new_version(app, client, head):
    sign_in_as(client, head)
    fields = form_page(client, "/admin/policy")
    with app.app_context():
        current = PolicyVersion.current()
    response = client.post("/admin/policy", data={**fields, "title": current.title,
                                                  "body": current.body, "key_points": KEY_POINTS,
                                                  "action": "publish"})
    assert response.status_code == 303
    with app.app_context():
        new = PolicyVersion.current()
        assert (new.number, new.key_points) == (2, KEY_POINTS)
        assert new.content_hash != current.content_hash
    assert "No photos of pupils." in client.get("/policy").get_data(as_text=True)


@pytest.mark.parametrize(("key_points", "message"), [
    ("Only one.\nAnd two.", "Please write between 3 and 6 key points, one per line (there are 2)."),
    ("\n".join(f"Point {n}." for n in range(7)), "(there are 7)"),
    ("One.\nTwo.\n" + "x" * 201, "Please keep each key point under 200 characters."),
    ("", "Please write the key points visitors read first, one per line."),
])
def test_key_points_are_refused_beside_their_field_unless_3_to_6_short_lines(
        app, client, head, key_points, message):
    sign_in_as(client, head)
    fields = form_page(client, "/admin/policy")
    with app.app_context():
        current = PolicyVersion.current()
    with nothing_written(app):
        response = client.post("/admin/policy", data={**fields, "title": "New", "body": current.body,
                                                      "key_points": key_points, "action": "publish"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html.split('id="key_points-error"')[1].split("</p>")[0]
    with app.app_context():
        assert PolicyVersion.select().count() == 1


def test_list_markers_and_blank_lines_are_dropped_from_key_points(app, client, head):
    sign_in_as(client, head)
    fields = form_page(client, "/admin/policy")
    client.post("/admin/policy", data={**fields, "title": "T", "body": "## B\n\nText.",
                                       "key_points": "- One.\n\n* Two.\n3. Three.",
                                       "action": "save"})
    with app.app_context():
        assert PolicyDraft.get().key_points == "One.\nTwo.\nThree."


def test_a_draft_needs_a_title_and_text(app, client, head):
    sign_in_as(client, head)
    fields = form_page(client, "/admin/policy")
    with nothing_written(app):  # 1066: out of range on purpose, the years allowed are the rule
        response = client.post("/admin/policy", data={**fields, "title": "", "body": "",
                                                      "review_due": "1066-10-14", "action": "save"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Please give the policy a title." in html and "Please write the policy." in html
    assert "Please give a date between 2000 and 2100." in html


def test_a_past_review_date_shows_a_banner_to_the_head_and_the_dsl_only(app, client, head, dsl,
                                                                         teacher):
    past = utcnow().date() - dt.timedelta(days=30)
    with app.app_context():
        PolicyVersion.update(review_due=past).execute()
    for user, shown in ((head, True), (dsl, True), (teacher, False)):
        sign_in_as(client, user)
        html = client.get("/staff/").get_data(as_text=True)
        assert (f"was due for review on {long_date(past)}" in html) is shown
    assert "due for review" not in client.get("/").get_data(as_text=True)


def test_a_fresh_install_shows_no_overdue_banner(client, head, dsl):
    for user in (head, dsl):
        sign_in_as(client, user)
        assert "due for review" not in client.get("/staff/").get_data(as_text=True)


# The roster and personal links ------------------------------------------------------------------------

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


# Retention -----------------------------------------------------------------------------------------

def old(days: int) -> dt.datetime:
    return utcnow() - dt.timedelta(days=days)


def test_the_head_changes_retention_periods(app, client, head):
    sign_in_as(client, head)
    fields = form_page(client, "/admin/retention")
    assert fields["visitor_acceptances"] == "365"
    response = client.post("/admin/retention", data={**fields, "visitor_acceptances": "90"})
    assert response.status_code == 303
    with app.app_context():
        assert retention.days_for("visitor_acceptances") == 90
        assert AuditEvent.get(AuditEvent.action == "retention.changed").record_id == "visitor_acceptances"
    with nothing_written(app):  # not even the visitors' 90 days again, sent with it
        bad = client.post("/admin/retention", data={**fields, "breaches": "3"})
    assert bad.status_code == 422 and "between 30 and 18250" in bad.get_data(as_text=True)


@pytest.fixture
def aged(app, teacher):
    """Records either side of their retention periods."""
    with app.app_context():
        person = roster.add_person("Ros Ter", "ros@example.org", "pta")
        records = {
            "old_visitor": make_acceptance(full_name="Old Visitor", accepted_at=old(400)),
            "new_visitor": make_acceptance(full_name="New Visitor", accepted_at=old(10)),
            "old_roster": make_acceptance(full_name="Ros Ter", roster_person=person, accepted_at=old(400)),
            "held_visitor": make_acceptance(full_name="Held Visitor", accepted_at=old(400)),
            "old_breach": make_breach(teacher, category="commercial", subject_name="Old Subject"),
            "safeguarding": make_breach(teacher, category="photographing"),
            "standalone": make_deletion_request(teacher, asked_at=old(800)),
        }
        records["held_by"] = make_breach(teacher, category="commercial",
                                         acceptance=records["held_visitor"])
        Breach.update(created_at=old(2500)).where(Breach.id.in_(
            [records["old_breach"].id, records["safeguarding"].id])).execute()
        make_deletion_request(teacher, breach=records["old_breach"])
        return records


def test_purge_dry_run_shows_what_would_go_and_removes_nothing(app, runner, aged):
    result = runner.invoke(args=["purge", "--dry-run"])
    assert result.exit_code == 0
    assert "Acceptances by one-off visitors: 1 would be removed" in result.output
    assert "Breaches that are not a safeguarding matter: 1 would be removed" in result.output
    assert "Deletion requests not part of a breach: 2 would be removed" in result.output
    assert "1 safeguarding or restricted record(s) are due for the head's review" in result.output
    with app.app_context():
        assert Acceptance.select().count() == 4 and Breach.select().count() == 3


def test_purge_removes_what_is_past_retention_and_audits_the_counts_only(app, runner, aged):
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        names = {a.full_name for a in Acceptance.select()}
        assert names == {"New Visitor", "Ros Ter", "Held Visitor"}
        assert {b.id for b in Breach.select()} == {aged["safeguarding"].id, aged["held_by"].id}
        assert DeletionRequest.select().count() == 0
        event = AuditEvent.get(AuditEvent.action == "retention.purged")
        assert '"visitor_acceptances": 1' in event.detail and "Old Visitor" not in event.detail


def test_safeguarding_records_are_listed_for_the_head_who_keeps_or_deletes_them(app, client, head,
                                                                               aged):
    sign_in_as(client, head)
    html = client.get("/admin/retention").get_data(as_text=True)
    public_id = str(aged["safeguarding"].public_id)
    assert public_id in html
    fields = form_page(client, "/admin/retention")
    client.post(f"/admin/retention/{public_id}", data={**fields, "decision": "1"})
    assert public_id not in client.get("/admin/retention").get_data(as_text=True)
    with app.app_context():
        Breach.update(keep_until=old(1)).where(Breach.public_id == public_id).execute()
    client.post(f"/admin/retention/{public_id}", data={**fields, "decision": "delete"})
    with app.app_context():
        assert not Breach.select().where(Breach.public_id == public_id).exists()
        assert AuditEvent.get(AuditEvent.action == "retention.deleted_after_review")


# Backups -------------------------------------------------------------------------------------------

def test_a_backup_is_a_consistent_copy_that_restores_every_record(app, runner, aged, tmp_path):
    target = tmp_path / "backups" / f"kiosk-{utcnow():%Y-%m-%d}.sqlite3"
    with app.app_context():
        expected = {model: sorted(row.id for row in model.select())
                    for model in (Acceptance, Breach, DeletionRequest, RosterPerson, AuditEvent)}
    db.close()
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0 and "Backed up" in result.output
    copy = sqlite3.connect(target)
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    copy.close()
    restored = create_app({"KIOSK_INSTANCE_PATH": str(tmp_path / "restored"),
                           "DATABASE_URL": f"sqlite:///{target}"})
    with restored.app_context():
        for model, ids in expected.items():
            assert sorted(row.id for row in model.select()) == ids
    db.close()
    again = runner.invoke(args=["backup", str(target)])
    assert again.exit_code != 0 and "already exists" in again.output


def test_backup_on_postgresql_points_to_pg_dump(postgres_url, tmp_path):
    app = create_app({"KIOSK_INSTANCE_PATH": str(tmp_path), "DATABASE_URL": postgres_url})
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "x.sqlite3")])
    assert result.exit_code != 0 and "pg_dump" in result.output
    db.close()


# Found in review -------------------------------------------------------------------------------

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


def test_concerns_about_the_head_are_reviewed_by_the_chair_not_listed_for_the_head(app, client, head,
                                                                                  chair, teacher):
    with app.app_context():
        about_head = make_breach(teacher, subject_kind="staff", category="pupil_contact",
                                 concerns_head=True)
        Breach.update(created_at=old(2500)).where(Breach.id == about_head.id).execute()
    sign_in_as(client, head)
    assert str(about_head.public_id) not in client.get("/admin/retention").get_data(as_text=True)
    sign_in_as(client, chair)
    html = client.get("/admin/retention").get_data(as_text=True)
    assert str(about_head.public_id) in html and "How long records are kept" in html
    assert 'name="breaches"' not in html  # the settings are the head's
    fields = {"csrf_token": hidden_fields(html)["csrf_token"]}
    client.post(f"/admin/retention/{about_head.public_id}", data={**fields, "decision": "6"})
    with app.app_context():
        assert Breach.get_by_id(about_head.id).keep_until > utcnow()


def test_purge_keeps_a_roster_persons_acceptance_of_the_current_version(app, runner):
    with app.app_context():
        person = roster.add_person("Still Current", "sc@example.org", "pta")
        make_acceptance(full_name="Still Current", roster_person=person, accepted_at=old(100))
        retention.set_days("roster_acceptances", 30)
    runner.invoke(args=["purge"])
    with app.app_context():
        assert Acceptance.select().where(Acceptance.roster_person == person.id).count() == 1
        assert [e.person.id for e in roster.outstanding()] == []


def test_a_backup_file_is_readable_by_its_owner_only(app, runner, tmp_path):
    import stat

    target = tmp_path / "kiosk-backup.sqlite3"
    assert runner.invoke(args=["backup", str(target)]).exit_code == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


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


def test_purge_never_removes_a_concern_about_staff_however_old(app, runner, teacher):
    """Restricted concerns wait for the head's decision even when not a safeguarding matter,
    and whether or not they went to the LADO."""
    from kiosk.models import LadoReferral

    with app.app_context():
        plain = make_breach(teacher, subject_kind="staff", category="representative")
        referred = make_breach(teacher, subject_kind="staff", category="commercial")
        LadoReferral.create(breach=referred, referred_at=old(7 * 365), reference="LADO-1")
        assert not plain.safeguarding and not referred.safeguarding
        assert plain.restricted and referred.restricted
        Breach.update(created_at=old(7 * 365)).execute()
        make_deletion_request(teacher, breach=plain, asked_at=old(7 * 365))
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert {b.id for b in Breach.select()} == {plain.id, referred.id}
        assert DeletionRequest.select().count() == 1 and LadoReferral.select().count() == 1


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
