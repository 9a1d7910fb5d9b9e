"""The audit log: every sign-in, change, view and refusal; append-only and hash-chained."""

from __future__ import annotations

import multiprocessing

import pytest
from peewee import DatabaseError

from kiosk import audit, create_app
from kiosk.migrate import migrate_database
from kiosk.models import AuditEvent, db

from .helpers import make_breach, sign_in_as


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
    """What someone with the database file could do: drop the guard, then edit."""
    db.execute_sql("DROP TRIGGER audit_event_no_update")
    db.execute_sql("DROP TRIGGER audit_event_no_delete")
    db.execute_sql(sql)


@pytest.mark.parametrize(("sql", "failing", "reason"), [
    ("UPDATE audit_event SET actor_label = 'someone else' WHERE id = 2", 2, "contents were changed"),
    ("DELETE FROM audit_event WHERE id = 2", 3, "an event was removed or reordered"),
])
def test_audit_verify_detects_an_altered_row(app, runner, sql, failing, reason):
    with app.app_context():
        for n in range(3):
            audit.record("test.event", kind="test", record_id=n)
    assert "The audit log is intact: 4 events checked." in runner.invoke(args=["audit-verify"]).output
    with app.app_context():
        _tamper(sql)
    result = runner.invoke(args=["audit-verify"])
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


def test_the_head_reads_the_audit_log_and_sees_it_is_intact(app, client, head):
    with app.app_context():
        audit.record("test.shown", kind="thing", record_id="abc")
    sign_in_as(client, head)
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "test.shown" in html and "The log is intact" in html


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
    _two_processes_append({"KIOSK_INSTANCE_PATH": str(tmp_path)})


def test_two_processes_appending_at_once_keep_one_unbroken_chain_on_postgresql(postgres_url,
                                                                               tmp_path):
    """PostgreSQL lets both read the same last event unless the chain's lock serialises them."""
    _two_processes_append({"KIOSK_INSTANCE_PATH": str(tmp_path), "DATABASE_URL": postgres_url})


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
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 1
    assert f"event {second.id} fails because" in result.output
    sign_in_as(client, head)
    html = client.get("/admin/audit").get_data(as_text=True)
    assert f"The log has been tampered with: event {second.id} fails" in html
    assert "The log is intact" not in html


def test_the_audit_page_hides_what_would_reveal_a_concern_about_the_head(app, client, head, chair,
                                                                         teacher):
    with app.app_context():
        about_head = make_breach(teacher, subject_kind="staff", category="pupil_contact",
                                 concerns_head=True)
        other = make_breach(teacher, category="commercial")
        audit.record("test.by_chair", kind="thing", actor=chair)
    sign_in_as(client, head)
    html = client.get("/admin/audit").get_data(as_text=True)
    assert str(other.public_id) in html
    assert str(about_head.public_id) not in html and "test.by_chair" not in html


def test_the_heads_audit_log_does_not_reveal_a_concern_about_the_head(app, client, head, chair,
                                                                      teacher):
    with app.app_context():
        about_head = make_breach(teacher, subject_kind="staff", category="pupil_contact",
                                 concerns_head=True)
        ordinary = make_breach(teacher)
    sign_in_as(client, chair)
    client.get(f"/records/breaches/{about_head.public_id}")
    sign_in_as(client, head)
    html = client.get("/admin/audit").get_data(as_text=True)
    assert str(about_head.public_id) not in html and chair.email not in html
    assert str(ordinary.public_id) in html


def test_the_head_sees_events_about_other_staff_concerns_but_not_about_their_own(app, client,
                                                                                  head, teacher):
    from .helpers import make_deletion_request

    with app.app_context():
        about_head = make_breach(teacher, subject_kind="staff", category="commercial",
                                 concerns_head=True)
        about_staff = make_breach(teacher, subject_kind="staff", category="commercial")
        hidden = make_deletion_request(teacher, breach=about_head)
        shown = make_deletion_request(teacher, breach=about_staff)
        on_its_own = make_deletion_request(teacher)
    sign_in_as(client, head)
    html = client.get("/admin/audit").get_data(as_text=True)
    for record in (about_staff, shown, on_its_own):
        assert str(record.public_id) in html
    for record in (about_head, hidden):
        assert str(record.public_id) not in html


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
    assert f"fails because {reason}." in runner.invoke(args=["audit-verify"]).output


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
