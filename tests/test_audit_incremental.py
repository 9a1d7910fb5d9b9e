"""Checking the audit log incrementally: only the events since the last point known good (the
last check that found it intact, or the newest checkpoint); every event with --full."""

from __future__ import annotations

import json

import pytest

from kiosk import audit
from kiosk.models import AuditEvent, db

from .helpers import hidden_fields, sign_in_as
from .test_audit import _fail_if_called, _tamper, visible_text
from .test_audit_key import WRONG_KEY, _rechain


def _events(count: int) -> list[AuditEvent]:
    return [audit.record("test.event", kind="test", record_id=n) for n in range(count)]


@pytest.fixture
def read(monkeypatch) -> list[int]:
    """The ids of the events a check reads, in order."""
    seen: list[int] = []
    real = audit._in_order

    def counting(*args, **kwargs):
        for event in real(*args, **kwargs):
            seen.append(event.id)
            yield event

    monkeypatch.setattr(audit, "_in_order", counting)
    return seen


def _check_now(client) -> None:
    token = hidden_fields(client.get("/admin/audit").get_data(as_text=True))["csrf_token"]
    assert client.post("/admin/audit/check", data={"csrf_token": token}).status_code == 303


def test_a_check_reads_only_the_events_after_the_newest_checkpoint(ctx, read):
    _events(50)
    checkpoint = audit.write_checkpoint()
    new = _events(7)
    found = audit.verify()
    assert found.problem is None and not found.full and found.start == "checkpoint"
    assert read == [e.id for e in new] and found.checked == 7
    assert (found.through, found.count) == (new[-1].id, checkpoint.count + 7)


def test_the_next_check_starts_where_the_last_one_found_the_log_intact(ctx, read):
    _events(20)
    audit.write_checkpoint()
    _events(5)
    first = audit.check()
    assert first.checked == 5
    read.clear()
    new = _events(3)
    second = audit.check()
    # The first check's own entry, then the three new ones.
    assert second.start == "check" and second.checked == 4 and read[1:] == [e.id for e in new]
    assert second.count == first.count + 4


def test_with_nothing_to_start_from_a_check_reads_every_event_and_counts_as_full(ctx, read):
    events = _events(4)
    for line in ([audit.checkpoint_path()] if audit.checkpoint_path().exists() else []):
        line.unlink()
    found = audit.verify()
    assert found.full and found.problem is None and read[-4:] == [e.id for e in events]
    assert found.checked == AuditEvent.select().count()


@pytest.mark.parametrize(("sql", "fault"), [
    ("UPDATE audit_event SET actor_label = 'someone else' WHERE id = {id}", "changed"),
    ("DELETE FROM audit_event WHERE id = {id}", "out_of_order"),
])
def test_an_edit_after_the_starting_point_is_found_by_a_check(ctx, sql, fault):
    _events(10)
    audit.check()
    new = _events(5)
    _tamper(sql.format(id=new[2].id))
    found = audit.verify()
    assert found.problem.fault == fault
    assert found.problem.event_id == (new[2].id if fault == "changed" else new[3].id)


def test_an_edit_before_the_starting_point_is_found_by_the_full_check_only(app, runner, client,
                                                                            head):
    with app.app_context():
        old = _events(10)
        audit.check()
        _events(3)
        _tamper(f"UPDATE audit_event SET record_id = 'x' WHERE id = {old[4].id}")  # noqa: S608
        # The limit of a check that reads only what is new: the full check is for this.
        assert audit.verify().problem is None
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 0 and "those added since the last check" in result.output
    result = runner.invoke(args=["audit-verify", "--full"])
    assert result.exit_code == 1
    assert f"event {old[4].id} fails because its contents were changed" in result.output
    # A later check of what is new finds it intact; the page still shows what the full one found.
    sign_in_as(client, head)
    _check_now(client)
    text = visible_text(client.get("/admin/audit").get_data(as_text=True))
    assert "The log was last checked at" in text and "were intact" in text
    assert ("The last full check, which reads every entry from the first, at" in text
            and "on the server, found a problem." in text
            and "was changed after it was written" in text)


def test_the_page_says_when_the_last_full_check_was(app, runner, client, head):
    with app.app_context():
        _events(3)
    assert runner.invoke(args=["audit-verify", "--full"]).exit_code == 0
    sign_in_as(client, head)
    text = visible_text(client.get("/admin/audit").get_data(as_text=True))
    # The last check was the full one: said once, with no separate line.
    assert "on the server: all" in text and "were intact." in text
    assert "The last full check" not in text and "No full check" not in text
    _check_now(client)
    text = visible_text(client.get("/admin/audit").get_data(as_text=True))
    assert f"by {head.display_name}: the " in text and "added since the check before" in text
    assert "The last full check, which reads every entry from the first, was at" in text
    assert "No full check" not in text


def test_a_check_whose_entry_was_altered_is_not_trusted_as_a_starting_point(ctx, read):
    _events(10)
    checkpoint = audit.write_checkpoint()
    _events(3)
    check = audit.check()
    last = _events(2)
    # Someone with the database makes the last check claim it read to the newest event.
    newest = AuditEvent.get_by_id(last[-1].id)
    claimed = json.dumps({"checked": 0, "count": 99, "full": False, "start": "check",
                          "through": newest.id, "through_hash": newest.hash})
    check_event = AuditEvent.select().where(AuditEvent.action == audit.CHECKED).get()
    _tamper("SELECT 1")  # the guard dropped; then the edit, with the placeholder of either database
    db.execute_sql(f"UPDATE audit_event SET detail = {db.param} WHERE id = {db.param}",  # noqa: S608
                   (claimed, check_event.id))
    read.clear()
    found = audit.verify()
    # Its own hash fails, so the check starts from the checkpoint, and finds the altered entry.
    assert found.start == "checkpoint" and read[0] == checkpoint.event + 1
    assert found.problem.fault == "changed" and found.problem.event_id == check_event.id
    assert check.through < check_event.id


@pytest.mark.parametrize("removed", [2, 6])
def test_events_removed_from_the_end_past_the_checkpoint_are_reported_with_the_count(
        ctx, removed):
    events = _events(8)
    checkpoint = audit.write_checkpoint()
    audit.check()
    _tamper(f"DELETE FROM audit_event WHERE id > {events[-1 - removed].id}")  # noqa: S608
    found = audit.verify()
    assert found.problem.fault == "removed"
    assert found.problem.event_id == checkpoint.event
    assert (found.problem.had, found.problem.has) == (checkpoint.count, checkpoint.count - removed)
    assert found.problem.last_event == events[-1 - removed].id


def test_a_rewrite_of_the_chain_up_to_the_checkpoint_breaks_at_its_checkpointed_hash(ctx):
    _events(6)
    checkpoint = audit.write_checkpoint()
    _events(3)
    _tamper("UPDATE audit_event SET record_id = 'x' WHERE id = 3")

    def wrong_key(event):
        return audit.keyed_hash(event, WRONG_KEY)

    _rechain(3, wrong_key, checkpoint.event)
    found = audit.verify()
    assert found.problem.fault == "rewritten" and found.problem.event_id == checkpoint.event


def test_reading_the_page_never_checks_but_check_now_finds_an_edit(app, client, head,
                                                                   monkeypatch):
    with app.app_context():
        audit.write_checkpoint()
        events = _events(5)
        _tamper(f"UPDATE audit_event SET record_id = 'x' WHERE id = {events[1].id}")  # noqa: S608
    sign_in_as(client, head)
    with monkeypatch.context() as patched:
        for name in ("verify", "verify_chain", "_in_order"):
            patched.setattr(audit, name, _fail_if_called)
        response = client.get("/admin/audit")
        assert response.status_code == 200
        text = visible_text(response.get_data(as_text=True))
        assert "The log has not been checked yet." in text and "found a problem" not in text
    _check_now(client)
    text = visible_text(client.get("/admin/audit").get_data(as_text=True))
    assert "found a problem." in text and "was changed after it was written" in text
