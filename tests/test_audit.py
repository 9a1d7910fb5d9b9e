"""The audit log: every sign-in, change, view and refusal; append-only and hash-chained."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import re
import uuid
from html import unescape
from pathlib import Path

import pytest
from peewee import DatabaseError, PostgresqlDatabase

from kiosk import audit, audit_log, create_app
from kiosk.migrate import migrate_database
from kiosk.models import AuditEvent, KioskDevice, PermissionRequest, db

from .helpers import (
    SCHOOL_ZONE,
    field_error,
    hidden_fields,
    make_acceptance,
    make_breach,
    make_deletion_request,
    make_user,
    sign_in_as,
)


def visible_text(html: str) -> str:
    """What a person reads on the page: the main part's text, without tags or addresses."""
    main = html[html.index("<main"):html.index("</main>")]
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", main)))


def entries(html: str) -> list[str]:
    """The log's sentences on a page, top to bottom."""
    return [re.sub(r"\s+", " ", unescape(sentence)).strip() for sentence in re.findall(
        r'<span class="audit-time">[^<]*</span> <span>(.*?)</span>', html, re.S)]


def test_events_chain_each_to_the_one_before(ctx):
    seeded = AuditEvent.get()  # publishing the default policy was the first event
    assert seeded.action == "policy.published" and seeded.previous_hash == audit.GENESIS
    first = audit.record("test.one", kind="thing", record_id=1)
    second = audit.record("test.two", kind="thing", record_id=2, note="détail")
    assert first.previous_hash == seeded.hash
    assert second.previous_hash == first.hash
    assert audit.verify_chain() == (3, None)


def test_the_database_refuses_to_change_or_delete_an_event(ctx):
    event = audit.record("test.one", kind="test")
    with pytest.raises(DatabaseError, match="append-only"), db.atomic():
        AuditEvent.update(action="test.changed").where(AuditEvent.id == event.id).execute()
    with pytest.raises(DatabaseError, match="append-only"), db.atomic():
        AuditEvent.delete().where(AuditEvent.id == event.id).execute()
    assert AuditEvent.get_by_id(event.id).action == "test.one"


def test_the_postgresql_database_refuses_too(postgres_url, tmp_path):
    app = create_app({"KIOSK_INSTANCE_PATH": str(tmp_path), "DATABASE_URL": postgres_url})
    with app.app_context():
        migrate_database()
        event = audit.record("test.one", kind="test")
        with pytest.raises(DatabaseError, match="append-only"), db.atomic():
            AuditEvent.update(action="x").where(AuditEvent.id == event.id).execute()
        with pytest.raises(DatabaseError, match="append-only"), db.atomic():
            AuditEvent.delete().execute()
        assert audit.verify_chain() == (1, None)
    db.close()


def _tamper(sql: str) -> None:
    """What someone with the database file (or the tables' owner on PostgreSQL) could do: drop
    the guard, then edit."""
    if isinstance(db.obj, PostgresqlDatabase):
        db.execute_sql("DROP TRIGGER IF EXISTS audit_event_no_change ON audit_event")
    else:
        db.execute_sql("DROP TRIGGER IF EXISTS audit_event_no_update")
        db.execute_sql("DROP TRIGGER IF EXISTS audit_event_no_delete")
    db.execute_sql(sql)


@pytest.mark.parametrize(("sql", "failing", "reason"), [
    ("UPDATE audit_event SET actor_label = 'someone else' WHERE id = 2", 2, "contents were changed"),
    ("DELETE FROM audit_event WHERE id = 2", 3, "an event was removed or reordered"),
])
def test_audit_verify_detects_an_altered_row(app, runner, sql, failing, reason):
    with app.app_context():
        for n in range(3):
            audit.record("test.event", kind="test", record_id=n)
    assert "The audit log is intact: 4 events checked, from the first." in runner.invoke(
        args=["audit-verify", "--full"]).output
    with app.app_context():
        _tamper(sql)
    result = runner.invoke(args=["audit-verify", "--full"])
    assert result.exit_code == 1
    assert f"event {failing} fails because" in result.output
    assert "1 events before it are intact" in result.output
    assert reason in result.output


def test_changes_views_and_refusals_are_all_audited(app, client, teacher, dsl):
    with app.app_context():
        breach = make_breach(teacher)
    sign_in_as(client, teacher)
    client.get("/admin/audit")  # refused: not the head
    sign_in_as(client, dsl)
    client.get(f"/records/breaches/{breach.public_id}")
    with app.app_context():
        events = [(e.action, e.actor_id) for e in AuditEvent.select().order_by(AuditEvent.id)
                  if e.action != "policy.published"]
    assert events == [("breach.created", teacher.id), ("access.refused", teacher.id),
                      ("breach.viewed", dsl.id)]


def test_the_head_reads_the_audit_log_in_sentences(app, client, head):
    with app.app_context():
        audit.record("signin", kind="staff_user", record_id=head.id, actor=head)
    sign_in_as(client, head)
    text = visible_text(client.get("/admin/audit").get_data(as_text=True))
    assert f"{head.display_name} signed in." in text
    assert "signin" not in text and "staff_user" not in text


def _append_many(settings: dict, count: int, start) -> None:
    app = create_app(settings)
    with app.app_context():
        audit.verify_chain()  # connected and warmed up before the two start together
        start.wait(30)
        for n in range(count):
            audit.record("race.event", kind="test", record_id=n)
    db.close()


def _two_processes_append(settings: dict) -> None:
    app = create_app(settings)
    settings = {**settings, "DATABASE_URL": app.config["DATABASE_URL"]}  # the processes' too
    with app.app_context():
        migrate_database()
    db.close()
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    workers = [context.Process(target=_append_many, args=(settings, 150, start)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    app = create_app(settings)
    with app.app_context():
        assert audit.verify_chain() == (300, None)
    db.close()


def test_two_processes_appending_at_once_keep_one_unbroken_chain(tmp_path):
    """PostgreSQL lets both read the same last event unless the chain's lock serialises them."""
    _two_processes_append({"KIOSK_INSTANCE_PATH": str(tmp_path)})


# Every hashed column: an edit to any of them is noticed, by the command and on the head's page.
HASHED_EDITS = {
    "at": "at = '2001-01-01 00:00:00.000000'",
    "actor_id": "actor_id = {other}",
    "actor_label": "actor_label = 'someone else'",
    "action": "action = 'signin'",
    "record_kind": "record_kind = 'acceptance'",
    "record_id": "record_id = '999'",
    "detail": "detail = '{{\"n\": 7}}'",
    "previous_hash": "previous_hash = '" + "f" * 64 + "'",
}


@pytest.mark.parametrize("column", HASHED_EDITS)
def test_an_edit_to_any_hashed_column_is_flagged(app, runner, client, head, teacher, column):
    with app.app_context():
        for n in range(3):
            audit.record("test.event", kind="test", record_id=n, actor=teacher, n=n)
        second = AuditEvent.select().order_by(AuditEvent.id).offset(1).get()
        edit = HASHED_EDITS[column].format(other=head.id)
        _tamper(f"UPDATE audit_event SET {edit} WHERE id = {second.id}")  # noqa: S608 (test data)
    result = runner.invoke(args=["audit-verify", "--full"])
    assert result.exit_code == 1
    assert f"event {second.id} fails because" in result.output
    sign_in_as(client, head)
    text = visible_text(client.get("/admin/audit").get_data(as_text=True))
    assert "The last check, at" in text and "on the server, found a problem." in text
    found = ("An entry is missing or out of order just before the one written at"
             if column == "previous_hash" else "was changed after it was written")
    assert found in text and "intact:" not in text


def test_the_audit_page_hides_what_would_reveal_a_concern_about_the_head(app, client, head, chair,
                                                                         teacher):
    with app.app_context():
        about_head = make_breach(teacher, subject_kind="staff", category="pupil_contact",
                                 concerns_head=True, subject_name="Hidden Person")
        make_breach(teacher, category="commercial", subject_name="Shown Person")
        audit.record("breach.viewed", kind="breach", record_id=about_head.public_id, actor=teacher)
        audit.record("signin", kind="staff_user", record_id=chair.id, actor=chair)
    sign_in_as(client, head)
    text = visible_text(client.get("/admin/audit").get_data(as_text=True))
    assert "‘Promoting personal business, finances or campaigns: Shown Person’" in text
    assert "Hidden Person" not in text and "Member of staff in contact" not in text
    assert chair.display_name not in text
    assert text.count(f"{teacher.display_name} logged") == 1  # only the ordinary one


def test_the_heads_audit_log_does_not_reveal_a_concern_about_the_head(app, client, head, chair,
                                                                      teacher):
    with app.app_context():
        about_head = make_breach(teacher, subject_kind="staff", category="pupil_contact",
                                 concerns_head=True, subject_name="Hidden Person")
        make_breach(teacher, subject_name="Shown Person")
    sign_in_as(client, chair)
    client.get(f"/records/breaches/{about_head.public_id}")
    sign_in_as(client, head)
    text = visible_text(client.get("/admin/audit").get_data(as_text=True))
    assert "Hidden Person" not in text and chair.display_name not in text
    assert "Shown Person" in text


def test_the_dsls_list_of_welfare_tasks_is_counted_for_the_head_without_those_about_the_head(
        app, client, head, dsl, teacher):
    """The DSL's list shows the welfare task of a concern about the head too: the head's log
    counts only what the head may see, so a difference cannot tell them it exists."""
    with app.app_context():
        make_breach(teacher, subject_kind="staff", category="pupil_contact", pupils="Ava Pupil")
        make_breach(teacher, subject_kind="staff", category="pupil_contact", concerns_head=True,
                    pupils="Ben Pupil")
    sign_in_as(client, dsl)
    assert "Ben Pupil" in client.get("/records/welfare").get_data(as_text=True)
    sign_in_as(client, head)
    text = visible_text(client.get("/admin/audit").get_data(as_text=True))
    assert f"{dsl.display_name} looked at the list of welfare tasks (1 shown)." in text
    assert "2 shown" not in text


def test_the_head_sees_events_about_other_staff_concerns_but_not_about_their_own(app, client,
                                                                                  head, teacher):
    with app.app_context():
        about_head = make_breach(teacher, subject_kind="staff", category="commercial",
                                 concerns_head=True, subject_name="Hidden Person")
        about_staff = make_breach(teacher, subject_kind="staff", category="commercial",
                                  subject_name="Staff Person")
        make_deletion_request(teacher, breach=about_head, person_name="Hidden Asked")
        make_deletion_request(teacher, breach=about_staff, person_name="Staff Asked")
        make_deletion_request(teacher, person_name="Alone Asked", material="video")
    sign_in_as(client, head)
    text = visible_text(client.get("/admin/audit").get_data(as_text=True))
    for shown in ("‘Promoting personal business, finances or campaigns: Staff Person’",
                  "‘Photo: Staff Asked’", "‘Video: Alone Asked’"):
        assert shown in text
    assert "Hidden" not in text


def test_the_chain_is_checked_to_the_end_in_batches(ctx):
    for n in range(6):
        audit.record("test.event", kind="test", record_id=n)
    total = AuditEvent.select().count()
    assert audit.verify_chain(batch=2) == (total, None)


@pytest.mark.parametrize(("sql", "reason"), [
    ("UPDATE audit_event SET record_id = 'x' WHERE id = 2",
     "its contents were changed after it was written"),
    ("DELETE FROM audit_event WHERE id = 2",
     "it does not follow the event before it (an event was removed or reordered)"),
])
def test_a_broken_chain_is_explained_in_plain_words(app, runner, sql, reason):
    with app.app_context():
        for n in range(3):
            audit.record("test.event", kind="test", record_id=n)
        _tamper(sql)
    assert f"fails because {reason}." in runner.invoke(args=["audit-verify", "--full"]).output


@pytest.mark.parametrize(("actor_id", "label", "actor_text"), [(7, "renée@westacre.sch.uk", "7"),
                                                               (None, "", "")])
def test_the_hashed_form_of_an_event_never_changes_so_old_chains_still_verify(ctx, actor_id, label,
                                                                              actor_text):
    """Events written by an earlier version must verify after an upgrade: the exact bytes hashed
    are fixed (compact JSON, UTF-8 as is, no actor as empty text), written out here by hand."""
    import datetime as dt
    import hashlib

    event = AuditEvent(previous_hash="0" * 64, at=dt.datetime(2026, 3, 1, 9, 30, 15, 120000),
                       actor_id=actor_id, actor_label=label, action="breach.created",
                       record_kind="breach", record_id="0b6f2c1e-7a4d-4c57-9d2a-5f0d7e6b1a11",
                       detail='{"restricted": false}')
    stored_form = ('["' + "0" * 64 + '","2026-03-01T09:30:15.120000","' + actor_text + '","' + label
                   + '","breach.created","breach","0b6f2c1e-7a4d-4c57-9d2a-5f0d7e6b1a11",'
                   '"{\\"restricted\\": false}"]')
    assert audit.compute_hash(event) == hashlib.sha256(stored_form.encode("utf-8")).hexdigest()


def test_an_event_stores_only_what_it_was_given(ctx):
    """No made-up record or details: an event without them shows nothing for them."""
    import datetime as dt

    plain = audit.record("retention.purged", kind="purge")  # outside a request: no one acting
    described = audit.record("breach.status_changed", kind="breach", record_id="b-1", old="open",
                             new="closed", on=dt.date(2026, 11, 2))
    stored = {e.id: (e.actor_id, e.actor_label, e.record_id, e.detail)
              for e in AuditEvent.select().where(AuditEvent.id.in_([plain.id, described.id]))}
    assert stored == {plain.id: (None, "", "", ""),
                      described.id: (None, "", "b-1",
                                     '{"new": "closed", "old": "open", "on": "2026-11-02"}')}
    assert audit.verify_chain(batch=1) == (AuditEvent.select().count(), None)


# The log in a school office's words ------------------------------------------------------------

BREACH = "the breach ‘Photographing or recording pupils or staff on a phone: Pat Visitor’"
REQUEST = "the deletion request ‘Photo: Pat Visitor’"


@pytest.fixture
def cast(app):
    """The people and records the sentences name."""
    from kiosk import roster

    with app.app_context():
        head = make_user("head", display_name="Ann Smith")
        teacher = make_user("staff", display_name="Sam Taylor")
        dsl = make_user("dsl", display_name="Dee Lead")
        chair = make_user("chair", display_name="Cal Chair")
        breach = make_breach(teacher)
        request = make_deletion_request(teacher)
        acceptance = make_acceptance(full_name="Jo Bloggs")
        person = roster.add_person("Gina Governor", "gina@example.org", "governor")
        asked = PermissionRequest.create(requester_person=person, requester_name="Gina Governor",
                                         what="Photos of the fair", where="the PTA's Facebook page",
                                         post_on=dt.date(2026, 7, 1))
        tablet = KioskDevice.create(name="Entrance tablet")
        asked_by_staff = PermissionRequest.create(
            requester_staff=teacher, requester_name="Sam Taylor", what="A blog post",
            where="the class blog", post_on=dt.date(2026, 7, 1))
    return dict(head=head, teacher=teacher, dsl=dsl, chair=chair, breach=breach.public_id,
                request=request.public_id, acceptance=acceptance.client_uuid, person=person.id,
                permission=asked.public_id, staff_permission=asked_by_staff.public_id,
                device=tablet.public_id)


# (action, what the code records with it, the sentence). Everything named comes from `cast`; a
# value "{x}" is cast["x"], "@x" is cast["x"] as the actor.
SENTENCES = [
    ("signin", dict(actor="@teacher", kind="staff_user", record_id="{teacher}"),
     "Sam Taylor signed in."),
    ("signout", dict(actor="@teacher", kind="staff_user", record_id="{teacher}"),
     "Sam Taylor signed out."),
    ("signin.failed", dict(kind="staff_user", actor_label="", email="staff2@westacre.sch.uk"),
     "Someone tried and failed to sign in as Sam Taylor."),
    ("signin.failed", dict(kind="staff_user", actor_label="", email="nobody@example.org"),
     "Someone tried and failed to sign in as ‘nobody@example.org’, which is not a staff account."),
    ("signin.rate_limited", dict(kind="staff_user", actor_label="", limit="5 per 1 minute"),
     "Signing in was paused for a while after too many tries in a short time."),
    ("access.refused", dict(actor="@teacher", kind="page", record_id="/admin/audit", role="staff"),
     "Sam Taylor tried to open the audit log, which their role does not allow."),
    ("access.refused", dict(kind="page", record_id="/staff/", actor_label=""),
     "Someone who was not signed in tried to open the staff pages."),
    ("access.refused", dict(actor="@head", kind="staff_user", record_id="{chair}"),
     "Ann Smith tried to change the chair of governors' account, which only IT support can do."),
    ("access.refused", dict(actor="@dsl", kind="breach", record_id="{breach}"),
     f"Dee Lead tried to open {BREACH}, which they may not see."),
    ("access.refused", dict(actor="@teacher", kind="deletion_request", record_id="{request}"),
     f"Sam Taylor tried to open {REQUEST}, which they may not see."),
    ("access.refused", dict(actor="@dsl", kind="page", record_id="/records/breaches/…/lado",
                            role="dsl"),
     "Dee Lead tried to open a breach, which their role does not allow."),
    ("access.refused_anonymous", dict(kind="page", actor_label="", refused=142, limited=82,
                                      start="2026-03-03T10:00:00", end="2026-03-03T11:00:00"),
     "142 requests for staff pages from people who were not signed in were refused between "
     "10:00am and 11:00am on Tuesday 3 March 2026. 82 of them came too fast and were told to "
     "wait."),
    ("access.refused_anonymous", dict(kind="page", actor_label="", refused=1, limited=0,
                                      start="2026-07-01T23:00:00", end="2026-07-02T00:00:00"),
     "1 request for staff pages from people who were not signed in was refused between "
     "12:00am and 1:00am on Thursday 2 July 2026."),
    ("account.created", dict(actor="@head", kind="staff_user", record_id="{teacher}",
                             email="staff2@westacre.sch.uk", role="staff"),
     "Ann Smith added an account for Sam Taylor as a member of staff."),
    ("account.created", dict(kind="staff_user", record_id="{head}", email="head1@westacre.sch.uk",
                             role="head"),
     "An account was made for Ann Smith as the headteacher."),
    ("account.password_changed", dict(actor="@head", kind="staff_user", record_id="{teacher}",
                                      by_reset=True),
     "Ann Smith gave Sam Taylor a new temporary password."),
    ("account.password_changed", dict(actor="@teacher", kind="staff_user", record_id="{teacher}",
                                      by_reset=False),
     "Sam Taylor changed their password."),
    ("account.activated", dict(actor="@head", kind="staff_user", record_id="{teacher}"),
     "Ann Smith let Sam Taylor sign in again."),
    ("account.deactivated", dict(actor="@head", kind="staff_user", record_id="{teacher}"),
     "Ann Smith deactivated Sam Taylor's account and signed them out."),
    ("second_factor.set_up", dict(actor="@dsl", kind="staff_user", record_id="{dsl}"),
     "Dee Lead set up two-step sign-in."),
    ("second_factor.failed", dict(kind="staff_user", record_id="{dsl}", actor_label="",
                                  stage="sign_in", reason="wrong"),
     "Someone signed in with Dee Lead's password but gave a wrong code."),
    ("second_factor.failed", dict(kind="staff_user", record_id="{dsl}", actor_label="",
                                  stage="sign_in", reason="reused"),
     "Someone signed in with Dee Lead's password but gave a code that had already been used."),
    ("second_factor.failed", dict(kind="staff_user", record_id="{dsl}", actor_label="",
                                  stage="sign_in", reason="recovery"),
     "Someone signed in with Dee Lead's password but gave a recovery code that was wrong or "
     "already used."),
    ("second_factor.failed", dict(kind="staff_user", record_id="{head}", actor_label="",
                                  stage="setup", reason="wrong"),
     "Someone setting up two-step sign-in for Ann Smith gave a wrong code."),
    ("second_factor.recovery_used", dict(actor="@dsl", kind="staff_user", record_id="{dsl}",
                                         left=3),
     "Dee Lead signed in with a recovery code (3 left)."),
    ("second_factor.reset", dict(actor="@head", kind="staff_user", record_id="{dsl}",
                                 by_command=False),
     "Ann Smith reset Dee Lead's two-step sign-in."),
    ("second_factor.reset", dict(kind="staff_user", record_id="{chair}", actor_label="",
                                 by_command=True),
     "Cal Chair's two-step sign-in was reset by IT support."),
    ("acceptance.created", dict(kind="acceptance", record_id="{acceptance}", visitor=True,
                                channel="kiosk", policy_version=1),
     "Jo Bloggs accepted the policy (version 1) on the entrance tablet."),
    ("acceptance.created", dict(kind="acceptance", record_id=str(uuid.uuid4()), visitor=True,
                                channel="phone", policy_version=2),
     "Someone whose record has since been removed accepted the policy (version 2) on their own "
     "phone."),
    ("breach.created", dict(actor="@teacher", kind="breach", record_id="{breach}",
                            safeguarding=True, restricted=False),
     f"Sam Taylor logged {BREACH} as a safeguarding matter."),
    ("breach.list_viewed", dict(actor="@head", kind="breach", list="concerns:open",
                                shown=["{breach}"]),
     "Ann Smith looked at the list of open concerns (1 shown)."),
    ("breach.list_viewed", dict(actor="@teacher", kind="breach", list="own", shown=[]),
     "Sam Taylor looked at their own reports (none shown)."),
    ("breach.viewed", dict(actor="@head", kind="breach", record_id="{breach}"),
     f"Ann Smith viewed {BREACH}."),
    ("breach.viewed", dict(actor="@teacher", kind="breach", record_id="{breach}",
                           page="deletion form"),
     f"Sam Taylor opened {BREACH} to record a deletion request."),
    ("breach.status_changed", dict(actor="@head", kind="breach", record_id="{breach}", old="open",
                                   new="in_review"),
     f"Ann Smith changed {BREACH} from open to in review."),
    ("breach.note_added", dict(actor="@head", kind="breach", record_id="{breach}"),
     f"Ann Smith added a note to {BREACH}."),
    ("breach.action_added", dict(actor="@head", kind="breach", record_id="{breach}"),
     f"Ann Smith recorded an action taken on {BREACH}."),
    ("lado.recorded", dict(actor="@head", kind="breach", record_id="{breach}"),
     f"Ann Smith recorded the LADO referral for {BREACH}."),
    ("breach.classified", dict(actor="@head", kind="breach", record_id="{breach}", old="",
                               new="allegation"),
     f"Ann Smith classified {BREACH} as an allegation that may meet the harm threshold."),
    ("breach.classified", dict(actor="@head", kind="breach", record_id="{breach}",
                               old="allegation", new="low_level"),
     f"Ann Smith reclassified {BREACH} from an allegation that may meet the harm threshold to a "
     "low-level concern."),
    ("breach.suspension_decided", dict(actor="@head", kind="breach", record_id="{breach}",
                                       decision="alternatives"),
     f"Ann Smith recorded the decision on suspension or alternatives for {BREACH}."),
    ("breach.allegation_closed", dict(actor="@head", kind="breach", record_id="{breach}",
                                      outcome="unsubstantiated", kept_on_request=False),
     f"Ann Smith closed {BREACH} as unsubstantiated."),
    ("breach.allegation_closed", dict(actor="@head", kind="breach", record_id="{breach}",
                                      outcome="false", kept_on_request=True),
     f"Ann Smith closed {BREACH} as false, kept because the person asked in writing."),
    ("allegation.removed", dict(actor="@head", kind="breach", record_id=str(uuid.uuid4()),
                                outcome="malicious", deletion_requests=1, requests=["x"],
                                welfare_tasks=0),
     "Ann Smith closed an allegation as malicious and removed it, as Keeping Children Safe in "
     "Education asks, with its 1 deletion request."),
    ("alert.sent", dict(kind="breach", record_id="{breach}", recipients=2),
     f"An email alert about {BREACH} was sent to 2 people."),
    ("alert.failed", dict(kind="breach", record_id="{breach}", error="Connection refused"),
     f"The email alert about {BREACH} could not be sent. Ask your IT support to check the "
     "school's email settings."),
    ("deletion_request.created", dict(actor="@teacher", kind="deletion_request",
                                      record_id="{request}"),
     f"Sam Taylor recorded {REQUEST}."),
    ("deletion_request.list_viewed", dict(actor="@head", kind="deletion_request",
                                          shown=["{request}", "x"]),
     "Ann Smith looked at the list of deletion requests (2 shown)."),
    ("deletion_request.viewed", dict(actor="@head", kind="deletion_request", record_id="{request}"),
     f"Ann Smith viewed {REQUEST}."),
    ("deletion_request.outcome", dict(actor="@head", kind="deletion_request",
                                      record_id="{request}", old="pending", new="refused"),
     f"Ann Smith recorded the outcome of {REQUEST}: refused (it was waiting)."),
    ("category.saved", dict(actor="@head", kind="breach_category", record_id=20,
                            label="Filming a school event", safeguarding=False, restricted=False,
                            active=True),
     "Ann Smith saved the breach category ‘Filming a school event’."),
    ("category.saved", dict(actor="@head", kind="breach_category", record_id=20, label="Old one",
                            safeguarding=False, restricted=False, active=False),
     "Ann Smith saved the breach category ‘Old one’, and stopped offering it."),
    ("policy.published", dict(kind="policy_version", record_id=1, actor_label="seed",
                              content_hash="ab" * 32),
     "The school's policy was published as version 1 when the kiosk was set up."),
    ("policy.published", dict(actor="@head", kind="policy_version", record_id=2,
                              content_hash="cd" * 32, review_due=dt.date(2027, 9, 30)),
     "Ann Smith published version 2 of the policy. Its review is due on 30 September 2027."),
    ("policy.published", dict(actor="@head", kind="policy_version", record_id=3,
                              content_hash="ef" * 32, change="minor"),
     "Ann Smith published version 3 of the policy, as a minor change (nobody was asked to accept "
     "it again)."),
    ("roster.imported", dict(actor="@head", kind="roster_person", add=1, update="damaged",
                             unchanged=None),
     "Ann Smith imported the roster from a spreadsheet: 1 person added, 0 updated and 0 "
     "unchanged."),
    ("school.setup_saved", dict(actor="@head", kind="school_settings", record_id=1,
                                changed=["logo", "dsl_name"]),
     "Ann Smith saved the school's details, changing the logo and the DSL's name."),
    ("school.setup_saved", dict(actor="@head", kind="school_settings", record_id=1, changed=[]),
     "Ann Smith saved the school's details without changing them."),
    ("roster.added", dict(actor="@head", kind="roster_person", record_id="{person}",
                          role="governor"),
     "Ann Smith added Gina Governor to the roster as a governor."),
    ("roster.activated", dict(actor="@head", kind="roster_person", record_id="{person}"),
     "Ann Smith put Gina Governor back on the roster."),
    ("roster.deactivated", dict(actor="@head", kind="roster_person", record_id="{person}"),
     "Ann Smith took Gina Governor off the roster."),
    ("roster.link_shown", dict(actor="@head", kind="roster_person", record_id="{person}"),
     "Ann Smith opened the personal link of Gina Governor, to print or send."),
    ("roster.new_link", dict(actor="@head", kind="roster_person", record_id="{person}"),
     "Ann Smith made a new personal link for Gina Governor; the old one no longer works."),
    ("roster.imported", dict(actor="@head", kind="roster_person", add=3, update=1, unchanged=0),
     "Ann Smith imported the roster from a spreadsheet: 3 people added, 1 updated and 0 "
     "unchanged."),
    ("roster.imported", dict(actor="@head", kind="roster_person", add=3, update=1, unchanged=0,
                             skipped=2),
     "Ann Smith imported the roster from a spreadsheet: 3 people added, 1 updated and 0 "
     "unchanged; 2 rows skipped for a problem."),
    ("roster.letters_shown", dict(actor="@head", kind="roster_person", count=3, role="",
                                  people=[1, 2, 3]),
     "Ann Smith opened the letters to print for 3 people still to accept the policy."),
    ("roster.letters_shown", dict(actor="@head", kind="roster_person", count=100, role="",
                                  people=list(range(101, 201)), first=101, of=1953),
     "Ann Smith opened letters 101 to 200 of the 1,953 people still to accept the policy, to "
     "print."),
    ("roster.links_shown", dict(actor="@head", kind="roster_person", count=1, role="pta",
                                people=[1]),
     "Ann Smith opened the personal links to copy for 1 person still to accept the policy."),
    ("roster.reminded", dict(actor="@head", kind="roster_person", sent=2, skipped=1, failed=1),
     "Ann Smith sent reminders to accept the policy: 2 reminders sent, 1 person skipped as "
     "reminded recently and 1 reminder could not be sent."),
    ("export.acceptances", dict(actor="@head", kind="export", rows=12),
     "Ann Smith downloaded every acceptance as a spreadsheet (12 rows)."),
    ("export.breaches", dict(actor="@dsl", kind="export", rows=1),
     "Dee Lead downloaded the breaches as a spreadsheet (1 row)."),
    ("subject_access.previewed", dict(actor="@head", kind="subject_access", acceptances=2,
                                      breaches=1, deletion_requests=1, roster=0, reminders=0),
     "Ann Smith looked up everything held about one person for a subject access request "
     "(4 records)."),
    ("subject_access.downloaded", dict(actor="@head", kind="subject_access", format="csv",
                                       acceptances=1, breaches=0, deletion_requests=0, roster=0,
                                       reminders=0),
     "Ann Smith downloaded everything held about one person for a subject access request "
     "(1 record), as a spreadsheet."),
    ("reports.dashboard_viewed", dict(actor="@dsl", kind="report", shown=[]),
     "Dee Lead looked at the reports."),
    ("reports.governors_viewed", dict(actor="@head", kind="report", term="2026-autumn"),
     "Ann Smith looked at the governors' termly summary."),
    ("chronology.viewed", dict(actor="@dsl", kind="person", records=3, shown=[]),
     "Dee Lead looked at one person's chronology (3 records)."),
    ("evidence.viewed", dict(actor="@head", kind="roster_person", record_id="{person}", records=1,
                             shown=[]),
     "Ann Smith looked at Gina Governor's evidence of accepting the policy."),
    ("evidence.viewed", dict(actor="@head", kind="person", record_id="", records=2, shown=[]),
     "Ann Smith looked at one person's evidence of accepting the policy (2 acceptances)."),
    ("retention.changed", dict(actor="@head", kind="retention_setting",
                               record_id="visitor_acceptances", old=365, new=730),
     "Ann Smith changed how long acceptances by one-off visitors are kept from 1 year to 2 "
     "years."),
    ("retention.purged", dict(kind="purge", actor_label="purge", deletion_requests=0, breaches=1,
                              visitor_acceptances=2, roster_acceptances=0),
     "The regular clear-out of old records removed 2 acceptances by one-off visitors and 1 "
     "breach."),
    ("retention.purged", dict(kind="purge", actor_label="purge", deletion_requests=0, breaches=0,
                              visitor_acceptances=0, roster_acceptances=0),
     "The regular clear-out of old records found nothing to remove."),
    ("retention.kept", dict(actor="@head", kind="breach", record_id="{breach}", years=2),
     f"Ann Smith decided to keep {BREACH} for 2 more years."),
    ("retention.deleted_after_review", dict(actor="@head", kind="breach",
                                            record_id=str(uuid.uuid4()), deletion_requests=1),
     "Ann Smith deleted a breach after reviewing it, with its 1 deletion request."),
    ("backup.made", dict(kind="backup", actor_label="backup", pages=40),
     "A backup of the records was made."),
    ("audit.viewed", dict(actor="@head", kind="audit_event", page=1),
     "Ann Smith looked at the audit log."),
    ("audit.viewed", dict(actor="@head", kind="audit_event", page=1, breach="{breach}"),
     f"Ann Smith looked at the audit log for {BREACH}."),
    ("audit.checked", dict(actor="@head", kind="audit_event", checked=12345),
     "Ann Smith checked the audit log: all 12,345 entries were intact."),
    ("audit.checked", dict(actor="@head", kind="audit_event", checked=12345, full=True,
                           through=12345, through_hash="ab" * 32, count=12345),
     "Ann Smith checked every entry of the audit log: all 12,345 were intact."),
    ("audit.checked", dict(actor="@head", kind="audit_event", checked=1200, full=False,
                           start="check", through=9, through_hash="ab" * 32, count=5_001_200),
     "Ann Smith checked the audit log: the 1,200 entries added since the check before were "
     "intact."),
    ("audit.checked", dict(kind="audit_event", checked=1, full=False, start="checkpoint",
                           through=9, through_hash="ab" * 32, count=10),
     "The audit log was checked on the server: the one entry added since the log was last "
     "written down outside the database was intact."),
    ("audit.checked", dict(kind="audit_event", checked=0, full=False, start="check",
                           through=9, through_hash="ab" * 32, count=10),
     "The audit log was checked on the server: no entries had been added since the check "
     "before."),
    ("audit.checked", dict(kind="audit_event", checked=4, problem="changed", problem_event=2),
     "The audit log was checked on the server: found that an entry had been changed after it "
     "was written."),
    ("audit.checked", dict(kind="audit_event", checked=4, problem="removed", problem_event=9,
                           since="2026-03-03T10:15:00", had=9, has=6, last_event=6),
     "The audit log was checked on the server: found that entries had been removed from the end "
     "of the log."),
    ("audit.checked", dict(actor="@head", kind="audit_event", checked=4, problem="rewritten",
                           problem_event=3, since="2026-03-03T10:15:00", had=3, has=3),
     "Ann Smith checked the audit log: found that the log had been rewritten since it was last "
     "written down outside the database."),
    ("audit.checked", dict(kind="audit_event", checked=0, problem="unsealed", problem_event=4),
     "The audit log was checked on the server: found that the entries were not sealed with the "
     "school's own key."),
    ("audit.checked", dict(kind="audit_event", checked=4, problem="checkpoint_damaged",
                           problem_event=0, line=2),
     "The audit log was checked on the server: found that the record of the log kept outside "
     "the database had been altered."),
    ("audit.keyed", dict(kind="audit_event", before=1234),
     "The audit log was sealed with the school's own key, which is kept outside the database: "
     "this entry and the 1,234 entries before it cannot now be changed without a check "
     "noticing."),
    ("audit.checkpoint_failed", dict(kind="audit_event", reason="Permission denied"),
     "The server could not write down how far the audit log had reached in its file outside the "
     "database. Ask your IT support to check the server's disk and where that file is kept."),
    ("low_level.settings_saved", dict(actor="@head", kind="school_settings", record_id=1,
                                      old_lead="dsl", lead="head", old_threshold=3, threshold=4),
     "Ann Smith chose the headteacher alone to lead on low-level concerns about staff, and a "
     "pattern at 4 concerns in 12 months."),
    ("breach.conversation_added", dict(actor="@dsl", kind="breach", record_id="{breach}"),
     f"Dee Lead recorded the conversation held about {BREACH}."),
    ("breach.subject_linked", dict(actor="@head", kind="breach", record_id="{breach}",
                                   linked="staff"),
     f"Ann Smith linked {BREACH} to a staff account, as who it is about."),
    ("breach.subject_linked", dict(actor="@head", kind="breach", record_id="{breach}", linked=""),
     f"Ann Smith removed the link between {BREACH} and who it is about."),
    ("breach.passed_to_chair", dict(actor="@head", kind="breach", record_id="{breach}"),
     f"Ann Smith found that {BREACH} is about the headteacher, so it passed to the chair of "
     "governors."),
    ("low_level.log_viewed", dict(actor="@dsl", kind="breach", shown=["{breach}"]),
     "Dee Lead looked at the low-level concerns log (1 shown)."),
    ("low_level.person_viewed", dict(actor="@head", kind="breach", shown=["{breach}", "x"]),
     "Ann Smith looked at one person's low-level concerns (2 concerns)."),
    ("account.left_on_set", dict(actor="@head", kind="staff_user", record_id="{teacher}",
                                 left_on="2026-03-03"),
     "Ann Smith recorded the day Sam Taylor left the school."),
    ("account.left_on_set", dict(actor="@head", kind="staff_user", record_id="{teacher}",
                                 left_on=""),
     "Ann Smith recorded that Sam Taylor still works at the school."),
    ("roster.left_on_set", dict(actor="@head", kind="roster_person", record_id="{person}",
                                left_on="2026-03-03"),
     "Ann Smith recorded the day Gina Governor left the school."),
    ("roster.left_on_set", dict(actor="@head", kind="roster_person", record_id="{person}",
                                left_on=""),
     "Ann Smith recorded that Gina Governor is still at the school."),
    ("welfare_task.created", dict(actor="@teacher", kind="welfare_task",
                                  record_id=str(uuid.uuid4()), from_kind="disclosure"),
     "Sam Taylor recorded what a child told them, as a welfare task for the DSL."),
    ("welfare_task.created", dict(actor="@teacher", kind="welfare_task",
                                  record_id=str(uuid.uuid4()), from_kind="staff_concern"),
     "Sam Taylor opened a welfare task for the DSL about pupils involved in a concern."),
    ("welfare_task.list_viewed", dict(actor="@dsl", kind="welfare_task", list="open",
                                      shown=["x", "y"]),
     "Dee Lead looked at the list of welfare tasks (2 shown)."),
    ("welfare_task.viewed", dict(actor="@dsl", kind="welfare_task", record_id=str(uuid.uuid4())),
     "Dee Lead viewed a welfare task."),
    ("welfare_task.updated", dict(actor="@dsl", kind="welfare_task", record_id=str(uuid.uuid4()),
                                  change="safeguarding_ref"),
     "Dee Lead recorded the safeguarding system reference of a welfare task."),
    ("welfare_task.updated", dict(actor="@head", kind="welfare_task", record_id=str(uuid.uuid4()),
                                  change="welfare_note"),
     "Ann Smith added what the DSL needs to know to a welfare task."),
    ("welfare_task.name_shared", dict(actor="@head", kind="welfare_task",
                                      record_id=str(uuid.uuid4())),
     "Ann Smith shared the name of the member of staff a concern is about with the DSL."),
    ("welfare_alert.sent", dict(kind="welfare_task", record_id=str(uuid.uuid4()), recipients=2),
     "An email alert that a welfare task is waiting was sent to 2 people."),
    ("welfare_alert.failed", dict(kind="welfare_task", record_id=str(uuid.uuid4()), error="x"),
     "The email alert that a welfare task is waiting could not be sent. Ask your IT support to "
     "check the school's email settings."),
    ("device.added", dict(actor="@head", kind="kiosk_device", record_id="{device}"),
     "Ann Smith added the kiosk device “Entrance tablet” and was shown its pairing code."),
    ("device.code_made", dict(actor="@head", kind="kiosk_device", record_id="{device}"),
     "Ann Smith made a new pairing code for the kiosk device “Entrance tablet”."),
    ("device.paired", dict(kind="kiosk_device", record_id="{device}", visitor=True),
     "A tablet was paired as the kiosk device “Entrance tablet”."),
    ("policy.translation_saved", dict(actor="@head", kind="policy_translation", record_id=4,
                                      version=3, language="pl", english_applies=True,
                                      content_hash="ab" * 32, replaces=""),
     "Ann Smith added a translation of version 3 of the policy into Polski, marked: the English "
     "version is the one that applies."),
    ("policy.translation_saved", dict(actor="@head", kind="policy_translation", record_id=5,
                                      version=3, language="ur", english_applies=False,
                                      content_hash="cd" * 32, replaces=2),
     "Ann Smith added a translation of version 3 of the policy into اردو, applying as well as "
     "the English."),
    ("policy.translation_withdrawn", dict(actor="@head", kind="policy_translation", record_id=5,
                                          version=3, language="ur"),
     "Ann Smith stopped offering the اردو translation of version 3 of the policy."),
    ("device.revoked", dict(actor="@head", kind="kiosk_device", record_id=str(uuid.uuid4())),
     "Ann Smith removed a kiosk device: it is no longer a kiosk."),
    ("device.silent_hours_changed", dict(actor="@head", kind="school_settings", hours=12),
     "Ann Smith set kiosk devices to be flagged after 12 hours without being seen."),
    ("permission.requested", dict(kind="permission_request", record_id="{permission}",
                                  visitor=True, by_person="{person}"),
     "Gina Governor asked the headteacher's permission to post on the PTA's Facebook page."),
    ("permission.requested", dict(actor="@teacher", kind="permission_request",
                                  record_id="{staff_permission}"),
     "Sam Taylor asked the headteacher's permission to post on the class blog."),
    ("permission.answered", dict(kind="permission_request", record_id="{permission}",
                                 visitor=True),
     "Gina Governor answered the headteacher's question about their request to post on the "
     "PTA's Facebook page."),
    ("permission.decided", dict(actor="@head", kind="permission_request",
                                record_id="{permission}", decision="approved"),
     "Ann Smith approved Gina Governor's request to post on the PTA's Facebook page."),
    ("permission.decided", dict(actor="@head", kind="permission_request",
                                record_id="{staff_permission}", decision="question"),
     "Ann Smith asked a question about Sam Taylor's request to post on the class blog."),
    ("permission_request.viewed", dict(actor="@teacher", kind="permission_request",
                                       record_id="{staff_permission}"),
     "Sam Taylor viewed their request to post on the class blog."),
    ("permission_request.viewed", dict(actor="@head", kind="permission_request",
                                       record_id=str(uuid.uuid4())),
     "Ann Smith viewed a request to post about the school."),
    ("permission_request.list_viewed", dict(actor="@teacher", kind="permission_request",
                                            list="breach_form", shown=["{permission}"]),
     "Sam Taylor checked a name against the headteacher's permissions to post on the breach "
     "form (1 shown)."),
    ("permission.wait_changed", dict(actor="@head", kind="school_settings", days=5),
     "Ann Smith set requests to post about the school to be flagged after 5 working days "
     "waiting."),
    ("permission_email.sent", dict(kind="permission_request", record_id="{permission}"),
     "The headteacher's answer to Gina Governor's request to post on the PTA's Facebook page "
     "was emailed to them."),
    ("permission_email.failed", dict(kind="permission_request", record_id="{permission}",
                                     error="x"),
     "The headteacher's answer to Gina Governor's request to post on the PTA's Facebook page "
     "could not be emailed. Ask your IT support to check the school's email settings."),
    # Declarations of family links (issue 15).
    ("declaration.made", dict(actor="@teacher", kind="declaration", record_id=str(uuid.uuid4())),
     "Sam Taylor declared a family link with a pupil's family."),
    ("declaration.ended", dict(actor="@teacher", kind="declaration", record_id=str(uuid.uuid4())),
     "Sam Taylor said a family link they had declared no longer applies."),
    ("declaration.confirmed", dict(actor="@teacher", kind="declaration", confirmed=["x", "y"]),
     "Sam Taylor confirmed their declared family links are still correct (2 declarations)."),
    ("declaration.acknowledged", dict(actor="@head", kind="declaration",
                                      record_id=str(uuid.uuid4())),
     "Ann Smith acknowledged a declaration of a family link."),
    ("declaration.list_viewed", dict(actor="@head", kind="declaration", list="all",
                                     shown=["x", "y", "z"]),
     "Ann Smith looked at the declarations of family links (3 shown)."),
    ("declaration.list_viewed", dict(actor="@teacher", kind="declaration", list="own", shown=[]),
     "Sam Taylor looked at their own declarations of family links (none shown)."),
    ("declaration.list_viewed", dict(actor="@head", kind="declaration", list="breach",
                                     shown=["x"]),
     "Ann Smith looked at the declarations of family links beside a concern about a member of "
     "staff (1 shown)."),
    ("access.refused", dict(actor="@teacher", kind="page", record_id="/admin/family-links",
                            role="staff"),
     "Sam Taylor tried to open the declarations of family links, which their role does not "
     "allow."),
    ("retention.purged", dict(kind="purge", actor_label="purge", ended_declarations=2),
     "The regular clear-out of old records removed 2 ended declarations of family links."),
    ("something.new", dict(actor="@teacher", kind="breach", record_id="{breach}"),
     f"Sam Taylor did something about {BREACH} that this page has no words for yet."),
    ("something.new", dict(kind="thing", record_id="7"),
     "Someone did something that this page has no words for yet."),
]


def _record(action: str, recorded: dict, cast: dict) -> AuditEvent:
    def value(v):
        if isinstance(v, str) and v.startswith("{"):
            named = cast[v[1:-1]]
            return named.id if hasattr(named, "id") else named
        if isinstance(v, list):
            return [str(value(item)) for item in v]
        return v
    recorded = {k: cast[v[1:]] if k == "actor" else value(v) for k, v in recorded.items()}
    if "actor" not in recorded and recorded.get("actor_label") is None:
        recorded["actor_label"] = ""
    return audit.record(action, **recorded)


@pytest.mark.parametrize(("action", "recorded", "sentence"), SENTENCES,
                         ids=[f"{a}-{n}" for n, (a, _, _) in enumerate(SENTENCES)])
def test_each_kind_of_event_reads_as_a_sentence(app, cast, action, recorded, sentence):
    with app.app_context():
        event = _record(action, recorded, cast)
        assert audit_log.describe(event, cast["head"]) == sentence


def _actions_recorded_in_the_code() -> set[str]:
    """Every action name the app passes to audit.record, or names as a page's view event
    (viewed.py) (breach.{kind}_added is a note or an action)."""
    found = set()
    for path in Path(audit.__file__).parent.rglob("*.py"):
        text = path.read_text()
        # audit.record("...", ...), the (sent, failed) pair an alert is audited as, and the action
        # a setting kept on its own is audited as (school.save_one).
        calls = re.findall(r"audit\.record\((.*?)kind=", text, re.S) + re.findall(
            r"events=\((.*?)\)", text, re.S) + re.findall(r"View\((\"[a-z_.]+\")", text) + \
            re.findall(r"save_one\(\"[a-z_]+\", \w+, (\"[a-z_.]+\")", text)
        for call in calls:
            for name in re.findall(r'"([a-z_.{}]+)"', call):
                found |= ({name.replace("{kind}", k) for k in ("note", "action")}
                          if "{kind}" in name else {name})
    return found | {audit.CHECKED, audit.KEYED, audit.CHECKPOINT_FAILED}


def test_every_event_the_app_records_has_a_sentence_and_a_test_of_it():
    in_use = _actions_recorded_in_the_code()
    assert len(in_use) > 40  # the search found them
    assert in_use == set(audit_log.SENTENCES)
    assert in_use <= {action for action, _, _ in SENTENCES}


def test_the_page_speaks_in_sentences_with_no_codes_ids_or_utc(app, client, cast, monkeypatch):
    monkeypatch.setattr(audit_log, "PAGE_SIZE", 2 * len(SENTENCES))  # every sentence on one page
    with app.app_context():
        events = [_record(action, recorded, cast) for action, recorded, _ in SENTENCES]
        codes = {e.action for e in events} | {e.record_kind for e in events if e.record_kind}
        ids = {e.record_id for e in events if e.record_id} | {str(e.id) for e in events}
    sign_in_as(client, cast["head"])
    response = client.get("/admin/audit")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # More than a page of 100: the second page starts one later, since reading the first was
    # itself an entry.
    second = client.get("/admin/audit?page=2").get_data(as_text=True)
    shown = entries(html) + entries(second)[1:]
    assert shown[:len(SENTENCES)] == [sentence for _, _, sentence in reversed(SENTENCES)]
    text = visible_text(html) + " " + visible_text(second)
    words = set(re.findall(r"[\w.:/@{}-]+", text))
    codes = {code for code in codes if "." in code or "_" in code}  # not "breach", "page"
    assert len(codes) > 40
    assert not {code for code in codes if code in words}, "an event code is on the page"
    assert not [i for i in ids if len(i) > 3 and i in text], "a record id is on the page"
    assert "UTC" not in text and not re.search(r"\d{4}-\d\d-\d\d", text)
    today = dt.datetime.now(SCHOOL_ZONE)
    assert f"{today:%A} {today.day} {today:%B %Y}" in text  # the day, in words, as a heading


def test_times_are_the_schools_local_time_with_the_day_in_words(app, client, head, monkeypatch):
    with app.app_context():
        # 23:30 UTC on 1 June is 00:30 on 2 June in London (summer time).
        monkeypatch.setattr(audit, "utcnow", lambda: dt.datetime(2026, 6, 1, 23, 30))
        audit.record("signin", kind="staff_user", record_id=head.id, actor=head)
    monkeypatch.undo()
    sign_in_as(client, head)
    html = client.get("/admin/audit").get_data(as_text=True)
    assert re.search(r'<h3 class="audit-day">Tuesday 2 June 2026</h3>\s*<ol class="audit-entries">'
                     r'\s*<li><span class="audit-time">12:30am</span> <span>Head \d+ signed in.',
                     html)


# Filters -----------------------------------------------------------------------------------------

def _shown(client, url: str) -> tuple[int, str, list[str]]:
    response = client.get(url)
    html = response.get_data(as_text=True)
    return response.status_code, html, entries(html)


def test_filtering_by_who_did_it(app, client, head, teacher, other_teacher):
    with app.app_context():
        audit.record("signin", kind="staff_user", record_id=teacher.id, actor=teacher)
        audit.record("signin", kind="staff_user", record_id=other_teacher.id, actor=other_teacher)
        audit.record("signin.failed", kind="staff_user", actor_label="", email="x@example.org")
    sign_in_as(client, head)
    status, _, shown = _shown(client, f"/admin/audit?who={teacher.id}")
    assert status == 200 and shown == [f"{teacher.display_name} signed in."]
    _, _, shown = _shown(client, "/admin/audit?who=nobody")
    assert "Someone tried and failed to sign in as ‘x@example.org’, which is not a staff account." \
        in shown
    assert all(teacher.display_name not in s and other_teacher.display_name not in s for s in shown)
    _, html, _ = _shown(client, f"/admin/audit?who={other_teacher.id}")
    assert f'<option selected value="{other_teacher.id}">' in html  # the choice stays made


def test_the_chair_is_not_someone_the_head_can_filter_by(app, client, head, chair):
    with app.app_context():
        audit.record("signin", kind="staff_user", record_id=chair.id, actor=chair)
    sign_in_as(client, head)
    status, html, shown = _shown(client, f"/admin/audit?who={chair.id}")
    assert status == 400
    assert field_error(html, "who") == "Please choose someone from the list."
    assert shown == [] and chair.display_name not in html
    status, html, _ = _shown(client, "/admin/audit?who=abc")
    assert status == 400 and field_error(html, "who") == "Please choose someone from the list."


def test_filtering_by_a_breach_shows_what_was_done_with_it_and_the_lists_that_showed_it(
        app, client, head, teacher, dsl):
    with app.app_context():
        breach = make_breach(teacher, subject_name="Pat Visitor")
        other = make_breach(teacher, subject_name="Other Person")
    sign_in_as(client, dsl)
    client.get(f"/records/breaches/{breach.public_id}")
    client.get(f"/records/breaches/{other.public_id}")
    client.get("/records/concerns?status=all")
    sign_in_as(client, head)
    page = client.get(f"/records/breaches/{breach.public_id}").get_data(as_text=True)
    link = re.search(r'href="([^"]+)">Who has viewed or changed this</a>', page).group(1)
    status, html, shown = _shown(client, unescape(link))
    name = "the breach ‘Photographing or recording pupils or staff on a phone: Pat Visitor’"
    assert status == 200
    assert f"Showing only what was done with {name}, and the lists that showed it." in \
        visible_text(html)
    assert shown == [f"{head.display_name} viewed {name}.",
                     f"{dsl.display_name} looked at the list of all concerns (2 shown).",
                     f"{dsl.display_name} viewed {name}.",
                     f"{teacher.display_name} logged {name} as a safeguarding matter."]


def test_the_search_of_lists_for_a_record_starts_at_its_creation(app, client, head, teacher,
                                                                monkeypatch):
    from kiosk.models import Breach

    with app.app_context():
        breach = make_breach(teacher, subject_name="Pat Visitor")
        # No list can show a breach before it was made; the search does not read that far back.
        created = AuditEvent.get(AuditEvent.record_id == str(breach.public_id))
        never = Breach.create(client_uuid=uuid.uuid4(), reporter=teacher, subject_kind="visitor",
                              category=breach.category, occurred_at=breach.occurred_at)
    real = audit_log._filtered
    bounds = []

    def spying(*args):
        query = real(*args)
        bounds.append(query.sql()[1])  # its parameters
        return query

    monkeypatch.setattr(audit_log, "_filtered", spying)
    sign_in_as(client, head)
    status, _, shown = _shown(client, f"/admin/audit?breach={breach.public_id}")
    assert status == 200 and len(shown) == 1 and bounds[-1][-1] == created.id
    # A breach no entry names (not one the app made) shows nothing, without reading the lists.
    status, _, shown = _shown(client, f"/admin/audit?breach={never.public_id}")
    assert status == 200 and shown == [] and bounds[-1][-1] == audit_log.LARGEST_ID


def test_the_who_has_viewed_link_is_the_heads_alone(app, client, teacher, dsl):
    with app.app_context():
        breach = make_breach(teacher)
        request = make_deletion_request(teacher)
    sign_in_as(client, dsl)
    for url in (f"/records/breaches/{breach.public_id}", f"/records/deletions/{request.public_id}"):
        html = client.get(url).get_data(as_text=True)
        assert "Who has viewed or changed this" not in html


def test_filtering_by_a_deletion_request(app, client, head, teacher):
    with app.app_context():
        request = make_deletion_request(teacher, person_name="Kim Parent", material="video")
        make_deletion_request(teacher, person_name="Lee Other")
    sign_in_as(client, head)
    page = client.get(f"/records/deletions/{request.public_id}").get_data(as_text=True)
    link = re.search(r'href="([^"]+)">Who has viewed or changed this</a>', page).group(1)
    status, _, shown = _shown(client, unescape(link))
    name = "the deletion request ‘Video: Kim Parent’"
    assert status == 200
    assert shown == [f"{head.display_name} viewed {name}.",
                     f"{teacher.display_name} recorded {name}."]


@pytest.mark.parametrize("kind", ["breach", "deletion"])
def test_a_record_about_the_head_stays_hidden_even_when_asked_for_directly(app, client, head,
                                                                           chair, teacher, kind):
    with app.app_context():
        about_head = make_breach(teacher, subject_kind="staff", category="pupil_contact",
                                 concerns_head=True, subject_name="Hidden Person")
        request = make_deletion_request(teacher, breach=about_head, person_name="Hidden Asked")
        key = about_head.public_id if kind == "breach" else request.public_id
        audit.record("breach.viewed", kind="breach", record_id=about_head.public_id, actor=head)
    sign_in_as(client, chair)
    client.get(f"/records/breaches/{about_head.public_id}")
    sign_in_as(client, head)
    status, html, shown = _shown(client, f"/admin/audit?{kind}={key}")
    assert status == 404 and shown == []
    assert "That record could not be found" in visible_text(html)
    assert "Hidden" not in html and chair.display_name not in html
    # Exactly what a record that never existed gets: nothing tells the two apart.
    missing_status, missing_html, _ = _shown(client, f"/admin/audit?{kind}={uuid.uuid4()}")
    assert missing_status == status
    assert visible_text(missing_html).split("Entries")[0] == visible_text(html).split("Entries")[0]
    # Narrowed by who and by day too, still nothing about it.
    today = dt.datetime.now(SCHOOL_ZONE).date()
    for query in (f"who={head.id}", f"who={teacher.id}", f"start={today}&end={today}"):
        _, html, _ = _shown(client, f"/admin/audit?{query}")
        assert "Hidden" not in html and "Member of staff in contact" not in html


def test_a_damaged_record_filter_is_a_clear_message(app, client, head):
    sign_in_as(client, head)
    status, html, shown = _shown(client, "/admin/audit?breach=not-a-record")
    assert status == 400 and shown == []
    assert "That record could not be found. Show the whole log instead" in visible_text(html)


def test_filtering_by_the_schools_days(app, client, head, teacher, monkeypatch):
    moments = {"late on 1 June (UTC), 2 June at school": dt.datetime(2026, 6, 1, 23, 30),
               "3 June": dt.datetime(2026, 6, 3, 12, 0),
               "4 June, just before midnight at school": dt.datetime(2026, 6, 4, 22, 59)}
    with app.app_context():
        for label, moment in moments.items():
            monkeypatch.setattr(audit, "utcnow", lambda moment=moment: moment)
            audit.record("category.saved", kind="breach_category", record_id=1, label=label,
                         actor=teacher, active=True)
    monkeypatch.undo()
    sign_in_as(client, head)

    def labels(query):
        status, _, shown = _shown(client, f"/admin/audit?who={teacher.id}&{query}")
        assert status == 200
        return [re.search("‘(.*)’", s).group(1) for s in shown]

    assert labels("start=2026-06-02&end=2026-06-02") == ["late on 1 June (UTC), 2 June at school"]
    assert labels("start=2026-06-03") == ["4 June, just before midnight at school", "3 June"]
    assert labels("end=2026-06-01") == []
    assert labels("start=3/6/2026&end=4/6/2026") == ["4 June, just before midnight at school",
                                                     "3 June"]


@pytest.mark.parametrize(("query", "field", "message"), [
    ("start=2026-02-31", "start", "Please enter a date, for example 3/3/2026."),
    ("end=yesterday", "end", "Please enter a date, for example 3/3/2026."),
    ("start=1899-01-01", "start", "Please give a date between 2000 and 2100."),
    ("start=2026-03-04&end=2026-03-03", "end", "The ‘To’ date must be on or after the ‘From’ date."),
])
def test_a_bad_date_is_a_clear_message_beside_its_field(app, client, head, query, field, message):
    sign_in_as(client, head)
    status, html, shown = _shown(client, f"/admin/audit?{query}")
    assert status == 400 and shown == []
    assert field_error(html, field) == message
    assert 'class="error-summary"' in html


# Pages -------------------------------------------------------------------------------------------

def _links(html: str) -> dict[str, str]:
    """The pager's links by their words: "Newer entries", "Older entries"."""
    return {words: unescape(href) for href, words in re.findall(
        r'<a class="button button--secondary" rel="(?:prev|next)" href="([^"]+)">([^<]+)</a>',
        html)}


def _numbers(shown: list[str]) -> list[int]:
    return [int(re.search("‘Name (\\d+)’", s).group(1)) for s in shown if "‘Name" in s]


def _name_events(app, actor, names) -> None:
    with app.app_context():
        for n in names:
            audit.record("category.saved", kind="breach_category", record_id=1, label=f"Name {n}",
                         actor=actor, active=True)


def test_the_log_comes_100_entries_a_page_found_by_the_entries_either_side(app, client, head,
                                                                          teacher):
    _name_events(app, teacher, range(250))
    sign_in_as(client, head)
    url, seen, pages = f"/admin/audit?who={teacher.id}", [], []
    while url:
        status, html, shown = _shown(client, url)
        assert status == 200
        pages.append((len(shown), sorted(_links(html))))
        seen += _numbers(shown)
        url = _links(html).get("Older entries")
        if url:
            assert f"who={teacher.id}" in url and re.search(r"before=\d+", url)
            assert "page=" not in url and "after=" not in url
    assert pages == [(100, ["Older entries"]), (100, ["Newer entries", "Older entries"]),
                     (50, ["Newer entries"])]
    assert seen == list(range(249, -1, -1))  # every one once, newest first
    # And back: "Newer entries" from the last page shows the 100 just newer, then the newest.
    newer = _links(html)["Newer entries"]
    assert re.search(r"after=\d+", newer) and f"who={teacher.id}" in newer
    status, html, shown = _shown(client, newer)
    assert _numbers(shown) == list(range(149, 49, -1))
    status, html, shown = _shown(client, _links(html)["Newer entries"])
    assert _numbers(shown) == list(range(249, 149, -1)) and "Newer entries" not in _links(html)


def test_no_entry_is_missed_or_shown_twice_when_entries_arrive_between_pages(app, client, head,
                                                                            teacher):
    _name_events(app, teacher, range(250))
    sign_in_as(client, head)
    _, html, first = _shown(client, f"/admin/audit?who={teacher.id}")
    _name_events(app, teacher, range(250, 280))  # 30 more while the head reads
    _, html, second = _shown(client, _links(html)["Older entries"])
    _name_events(app, teacher, range(280, 290))
    _, html, third = _shown(client, _links(html)["Older entries"])
    assert _numbers(first + second + third) == list(range(249, -1, -1))
    # Going back up, the new ones come after the ones already seen.
    _, html, back = _shown(client, _links(html)["Newer entries"])
    assert _numbers(back) == list(range(149, 49, -1))
    _, html, back = _shown(client, _links(html)["Newer entries"])
    assert _numbers(back) == list(range(249, 149, -1))
    _, html, back = _shown(client, _links(html)["Newer entries"])
    assert _numbers(back) == list(range(289, 249, -1)) and "Newer entries" not in _links(html)


def test_paging_keeps_each_filter_and_the_filters_keep_working(app, client, head, teacher,
                                                              other_teacher):
    _name_events(app, teacher, range(0, 300, 2))  # even numbers by one, odd by the other
    _name_events(app, other_teacher, range(1, 300, 2))
    sign_in_as(client, head)
    today = dt.datetime.now(SCHOOL_ZONE).strftime("%d/%m/%Y")
    status, html, shown = _shown(client, f"/admin/audit?who={other_teacher.id}&start={today}")
    assert status == 200 and _numbers(shown) == list(range(299, 99, -2))
    older = _links(html)["Older entries"]
    assert f"who={other_teacher.id}" in older and "start=" in older
    status, html, shown = _shown(client, older)
    assert _numbers(shown) == list(range(99, 0, -2)) and "Older entries" not in _links(html)


@pytest.mark.parametrize("query", [
    "before=abc", "before=-5", "before=1.5", "before=99999999999999999999999999", "after=%C2%B2",
    "before=%D9%A1%D9%A2", "after=", "before=0", "after=9223372036854775807&before=3",
    "page=9",  # an old address, from before pages were found by their entries
])
def test_a_damaged_page_address_shows_the_log_never_an_error(app, client, head, teacher, query):
    _name_events(app, teacher, range(5))
    sign_in_as(client, head)
    status, html, shown = _shown(client, f"/admin/audit?{query}")
    assert status == 200
    if query in ("before=0", "after=9223372036854775807&before=3"):
        assert shown == [] and "There are no" in visible_text(html)
        assert "Go to the newest entries" in visible_text(html)
    else:
        assert _numbers(shown) == [4, 3, 2, 1, 0]


def test_a_page_of_the_log_asks_what_is_hidden_once_and_counts_nothing(app, client, head,
                                                                       teacher, monkeypatch):
    import peewee

    _name_events(app, teacher, range(150))
    sign_in_as(client, head)
    asked = []
    real = audit.visible_events
    monkeypatch.setattr(audit, "visible_events", lambda user: asked.append(1) or real(user))

    def no_count(*args, **kwargs):
        raise AssertionError("the page counted the log")

    monkeypatch.setattr(peewee.SelectBase, "count", no_count)
    for url in ("/admin/audit", f"/admin/audit?who={teacher.id}"):
        asked.clear()
        response = client.get(url)
        assert response.status_code == 200 and asked == [1]
        assert len(response.get_data()) < 100 * 1024
        assert "The newest 100 entries" in visible_text(response.get_data(as_text=True))


# Checking the chain ------------------------------------------------------------------------------

def _fail_if_called(*args, **kwargs):
    raise AssertionError("the whole chain was walked")


def test_reading_the_log_does_not_walk_the_chain(app, client, head, monkeypatch):
    monkeypatch.setattr(audit, "verify_chain", _fail_if_called)
    monkeypatch.setattr(audit, "verify", _fail_if_called)
    monkeypatch.setattr(audit, "_in_order", _fail_if_called)
    sign_in_as(client, head)
    response = client.get("/admin/audit")
    assert response.status_code == 200
    text = visible_text(response.get_data(as_text=True))
    assert "The log has not been checked yet." in text
    assert 'Check now' in text


def _check_now(client, query: str = ""):
    token = hidden_fields(client.get("/admin/audit").get_data(as_text=True))["csrf_token"]
    return client.post(f"/admin/audit/check{query}", data={"csrf_token": token})


def test_check_now_checks_what_is_new_records_it_and_the_page_shows_the_result(app, client,
                                                                             head, monkeypatch):
    sign_in_as(client, head)
    client.get("/admin/audit")  # its entry is the first; a checkpoint names it
    with app.app_context():
        for n in range(3):
            audit.record("test.event", kind="test", record_id=n)
    response = _check_now(client, f"?who={head.id}")  # (its page adds a fourth)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/audit?who={head.id}"
    with app.app_context():
        check = AuditEvent.select().where(AuditEvent.action == "audit.checked").get()
        before = AuditEvent.select().where(AuditEvent.id < check.id).order_by(AuditEvent.id)
        found = json.loads(check.detail)
        assert check.actor_id == head.id
        assert found == {"checked": 4, "full": False, "start": "checkpoint",
                         "through": check.id - 1, "through_hash": before[-1].hash,
                         "count": len(before)}
        from kiosk.display import weekday_time
        when = weekday_time(check.at)
    monkeypatch.setattr(audit, "verify_chain", _fail_if_called)
    monkeypatch.setattr(audit, "verify", _fail_if_called)
    text = visible_text(client.get("/admin/audit").get_data(as_text=True))
    assert (f"The log was last checked at {when} by {head.display_name}: the 4 entries added "
            "since the log was last written down outside the database were intact.") in text
    assert "has not been checked yet" not in text
    assert ("No full check, which reads every entry from the first, has been made yet: ask your "
            "IT support to run one on the server every night.") in text


def test_check_now_needs_the_forms_token(app, client, head, monkeypatch):
    monkeypatch.setattr(audit, "verify_chain", _fail_if_called)
    sign_in_as(client, head)
    assert client.post("/admin/audit/check").status_code == 400
    with app.app_context():
        assert not AuditEvent.select().where(AuditEvent.action == "audit.checked").exists()


def test_the_command_line_check_shows_on_the_page_too(app, runner, client, head):
    assert runner.invoke(args=["audit-verify"]).exit_code == 0
    sign_in_as(client, head)
    text = visible_text(client.get("/admin/audit").get_data(as_text=True))
    assert "on the server: all 1 entries were intact." not in text
    assert "on the server: the one entry was intact." in text


@pytest.mark.parametrize(("sql", "words"), [
    ("UPDATE audit_event SET actor_label = 'someone else' WHERE id = {second}",
     "The entry written at {when} (“{who} viewed the breach ‘Photographing or recording "
     "pupils or staff on a phone: Pat Visitor’”) was changed after it was written. The one entry "
     "before it, added since the log was last written down outside the database, is intact."),
    ("DELETE FROM audit_event WHERE id = {second}",
     "An entry is missing or out of order just before the one written at {when} (“{who} "
     "signed out”). The one entry before it, added since the log was last written down outside "
     "the database, is intact."),
])
def test_a_tampered_entry_found_by_check_now_is_reported_in_words(app, client, head, teacher,
                                                                  monkeypatch, sql, words):
    from kiosk.display import weekday_time

    with app.app_context():
        # A checkpoint of the log so far; then a breach is logged and viewed.
        audit.write_checkpoint()
        breach = make_breach(teacher, subject_name="Pat Visitor")
        viewed = audit.record("breach.viewed", kind="breach", record_id=breach.public_id,
                              actor=teacher)
        after = audit.record("signout", kind="staff_user", record_id=teacher.id, actor=teacher)
        faulty = viewed if sql.startswith("UPDATE") else after
        when = weekday_time(faulty.at)
        _tamper(sql.format(second=viewed.id))
    sign_in_as(client, head)
    _check_now(client)
    monkeypatch.setattr(audit, "verify_chain", _fail_if_called)
    html = client.get("/admin/audit").get_data(as_text=True)
    text = visible_text(html)
    assert "found a problem." in text and "callout--warning" in html
    assert words.format(when=when, who=teacher.display_name) in text
    assert "Ask your IT support" in text
    assert not re.search(r"\b(entry|event|number|id) \d", text, re.I)


def test_a_tampered_entry_about_a_concern_about_the_head_is_not_put_into_words(app, client, head,
                                                                              teacher):
    with app.app_context():
        about_head = make_breach(teacher, subject_kind="staff", category="pupil_contact",
                                 concerns_head=True, subject_name="Hidden Person")
        viewed = audit.record("breach.viewed", kind="breach", record_id=about_head.public_id,
                              actor=teacher)
        _tamper(f"UPDATE audit_event SET actor_label = 'x' WHERE id = {viewed.id}")  # noqa: S608
    sign_in_as(client, head)
    _check_now(client)
    text = visible_text(client.get("/admin/audit").get_data(as_text=True))
    assert "was changed after it was written" in text
    assert "Hidden Person" not in text and "“" not in text


def test_a_concern_about_the_head_stays_hidden_after_the_chair_deletes_it(app, client, head,
                                                                          chair, teacher):
    from kiosk.models import Breach

    with app.app_context():
        about_head = make_breach(teacher, subject_kind="staff", category="pupil_contact",
                                 concerns_head=True, subject_name="Hidden Person")
        make_deletion_request(teacher, breach=about_head, person_name="Hidden Asked")
        Breach.update(created_at=dt.datetime(2010, 1, 1)).where(Breach.id == about_head.id).execute()
    sign_in_as(client, chair)
    token = hidden_fields(client.get("/admin/retention").get_data(as_text=True))["csrf_token"]
    response = client.post(f"/admin/retention/{about_head.public_id}",
                           data={"csrf_token": token, "decision": "delete"})
    assert response.status_code == 303
    with app.app_context():
        assert not Breach.select().where(Breach.id == about_head.id).exists()
    sign_in_as(client, head)
    for query in ("", f"?who={teacher.id}", "?who=nobody"):
        shown = entries(client.get(f"/admin/audit{query}").get_data(as_text=True))
        assert not [s for s in shown if teacher.display_name in s or "breach" in s
                    or "deletion request" in s or "email alert" in s], query
