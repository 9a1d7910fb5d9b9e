"""The audit log sealed with a key kept outside the database, and checked against signed
checkpoints kept outside it (issue 13, finding 4)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import stat
import time
from pathlib import Path

import pytest

from kiosk import audit, audit_checkpoint, create_app
from kiosk.display import weekday_time
from kiosk.migrate import migrate_database, router
from kiosk.models import AuditEvent, db

from .helpers import make_user, sign_in_as
from .test_audit import _check_now, _tamper, visible_text

WRONG_KEY = b"a key of the attacker's own choosing, long enough"


def _plain(event: AuditEvent) -> str:
    return hashlib.sha256(audit._canonical(event)).hexdigest()


def _with_wrong_key(event: AuditEvent) -> str:
    return hmac.new(WRONG_KEY, audit._canonical(event), hashlib.sha256).hexdigest()


def _rechain(first_id: int, hash_of, last_id: int | None = None) -> None:
    """What someone with write access to the database could do after an edit: work out every
    hash again from `first_id` on (to `last_id`), so each event follows the one before."""
    before = (AuditEvent.select().where(AuditEvent.id < first_id)
              .order_by(AuditEvent.id.desc()).first())
    previous = before.hash if before else audit.GENESIS
    for event in AuditEvent.select().where(AuditEvent.id.between(first_id, last_id or 10**9)
                                           ).order_by(AuditEvent.id):
        event.previous_hash = previous
        previous = hash_of(event)
        AuditEvent.update(previous_hash=event.previous_hash, hash=previous).where(
            AuditEvent.id == event.id).execute()


def _events(app, count: int) -> list[AuditEvent]:
    with app.app_context():
        return [audit.record("test.event", kind="test", record_id=n) for n in range(count)]


# Keyed ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("hash_of", [_plain, _with_wrong_key], ids=["plain SHA-256", "wrong key"])
def test_an_edited_event_rechained_without_the_key_is_found(app, runner, client, head, hash_of):
    events = _events(app, 4)
    edited = events[1]
    with app.app_context():
        _tamper(f"UPDATE audit_event SET actor_label = 'someone else' WHERE id = {edited.id}")  # noqa: S608
        _rechain(edited.id, hash_of)
        when = weekday_time(edited.at)
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 1
    assert f"event {edited.id} fails because its contents were changed" in result.output
    sign_in_as(client, head)
    _check_now(client)
    text = visible_text(client.get("/admin/audit").get_data(as_text=True))
    assert f"The entry written at {when}" in text and "was changed after it was written" in text
    assert "intact:" not in text


@pytest.mark.parametrize(("hash_of", "found"), [
    (_plain, "none of the events up to it is sealed with the audit key"),
    (_with_wrong_key, "fails because its contents were changed"),
], ids=["plain SHA-256", "wrong key"])
def test_a_log_rewritten_from_its_first_event_without_the_key_is_found(app, runner, client, head,
                                                                        hash_of, found):
    _events(app, 3)
    with app.app_context():
        _tamper("UPDATE audit_event SET record_id = 'x'")
        _rechain(1, hash_of)
    result = runner.invoke(args=["audit-verify", "--full"])
    assert result.exit_code == 1 and found in result.output
    sign_in_as(client, head)
    _check_now(client)
    text = visible_text(client.get("/admin/audit").get_data(as_text=True))
    assert "found a problem." in text and "intact:" not in text


def test_events_are_keyed_with_the_audit_key_not_plain_sha256(ctx):
    from flask import current_app

    event = audit.record("test.event", kind="test")
    key = current_app.config["KIOSK_AUDIT_KEY"].encode()
    assert event.hash == hmac.new(key, audit._canonical(event), hashlib.sha256).hexdigest()
    assert event.hash != _plain(event)


# The key: from the setting, or generated like the secret key -----------------------------------

def test_the_audit_key_is_generated_owner_only_reused_and_not_the_secret_key(tmp_path):
    first = create_app({"KIOSK_INSTANCE_PATH": str(tmp_path)})
    key_file = tmp_path / "audit_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first.config["KIOSK_AUDIT_KEY"] == key_file.read_text().strip()
    assert len(first.config["KIOSK_AUDIT_KEY"]) >= 32
    assert first.config["KIOSK_AUDIT_KEY"] != first.config["SECRET_KEY"]
    again = create_app({"KIOSK_INSTANCE_PATH": str(tmp_path)})
    assert again.config["KIOSK_AUDIT_KEY"] == first.config["KIOSK_AUDIT_KEY"]


def test_the_audit_key_setting_is_used_when_given(tmp_path, monkeypatch):
    monkeypatch.setenv("KIOSK_AUDIT_KEY", "k" * 40)
    app = create_app({"KIOSK_INSTANCE_PATH": str(tmp_path)})
    assert app.config["KIOSK_AUDIT_KEY"] == "k" * 40
    assert not (tmp_path / "audit_key").exists()


@pytest.mark.parametrize(("key", "refused"), [
    ("changeme", "KIOSK_AUDIT_KEY is too weak for production"),
    ("short-but-not-random", "KIOSK_AUDIT_KEY is too weak for production"),
    ("s" * 40, "KIOSK_AUDIT_KEY must not be the same as KIOSK_SECRET_KEY"),
])
def test_production_refuses_a_weak_audit_key(tmp_path, monkeypatch, key, refused):
    monkeypatch.setenv("KIOSK_ENV", "production")
    monkeypatch.setenv("KIOSK_PUBLIC_URL", "https://kiosk.westacre.sch.uk")
    monkeypatch.setenv("KIOSK_SECRET_KEY", "s" * 40)
    monkeypatch.setenv("KIOSK_AUDIT_KEY", key)
    with pytest.raises(SystemExit, match=refused):
        create_app({"KIOSK_INSTANCE_PATH": str(tmp_path)})
    monkeypatch.setenv("KIOSK_AUDIT_KEY", "a" * 20 + "B" * 20)
    assert create_app({"KIOSK_INSTANCE_PATH": str(tmp_path)}).config["KIOSK_AUDIT_KEY"]


# Events from before the key ----------------------------------------------------------------------

def _legacy_log(app, count: int) -> list[int]:
    """A database as the version before issue 13 left it: migrated up to 009, with events
    hashed with plain SHA-256."""
    with app.app_context():
        router().run("009_name_search_keys")
        previous, ids = audit.GENESIS, []
        for n in range(count):
            event = AuditEvent(at=dt.datetime(2026, 3, 2, 9, n), actor_label="", action="signin",
                               record_kind="staff_user", record_id=str(n), detail="",
                               previous_hash=previous)
            event.hash = previous = _plain(event)
            event.save(force_insert=True)
            ids.append(event.id)
    return ids


@pytest.fixture
def bare_app(tmp_path):
    """An app on a database nothing has been done to yet."""
    app = create_app({"KIOSK_INSTANCE_PATH": str(tmp_path / "instance"), "TESTING": True})
    yield app
    if not db.is_closed():
        db.close()


def test_events_from_before_the_key_are_sealed_by_the_migration_and_still_verify(bare_app):
    legacy = _legacy_log(bare_app, 3)
    with bare_app.app_context():
        migrate_database()
        seal = AuditEvent.select().order_by(AuditEvent.id.desc()).get()
        assert seal.action == audit.KEYED and json.loads(seal.detail) == {"before": 3}
        assert seal.previous_hash == AuditEvent.get_by_id(legacy[-1]).hash
        audit.record("test.after", kind="test")
        assert audit.verify_chain() == (5, None)
        assert audit.seal() is None  # sealed once


def test_an_empty_log_gets_no_seal(ctx):
    assert not AuditEvent.select().where(AuditEvent.action == audit.KEYED).exists()


@pytest.mark.parametrize(("edit", "fault"), [
    # An event from before the key edited and the plain chain worked out again up to the seal.
    ("legacy", "out_of_order"),
    # A plain event put after the seal, as if written before the key.
    ("after", "changed"),
    # The seal and everything after it removed, the rest left plain.
    ("unsealed", "unsealed"),
])
def test_the_events_from_before_the_key_cannot_be_rewritten_either(bare_app, edit, fault):
    legacy = _legacy_log(bare_app, 3)
    with bare_app.app_context():
        migrate_database()
        later = audit.record("test.after", kind="test")
        seal = AuditEvent.get(AuditEvent.action == audit.KEYED)
        if edit == "legacy":
            _tamper(f"UPDATE audit_event SET record_id = 'x' WHERE id = {legacy[1]}")  # noqa: S608
            _rechain(legacy[1], _plain, last_id=legacy[-1])
            expected = seal.id
        elif edit == "after":
            _tamper(f"UPDATE audit_event SET detail = '' WHERE id = {later.id}")  # noqa: S608
            _rechain(later.id, _plain)
            expected = later.id
        else:
            _tamper(f"DELETE FROM audit_event WHERE id >= {seal.id}")  # noqa: S608
            audit.checkpoint_path().unlink(missing_ok=True)
            expected = legacy[-1]
        _, problem = audit.verify_chain()
    assert (problem.fault, problem.event_id) == (fault, expected)


# Checkpoints ----------------------------------------------------------------------------------

def _lines(app) -> list[dict]:
    with app.app_context():
        path = audit.checkpoint_path()
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_a_checkpoint_is_written_owner_only_after_an_event_once_the_last_is_an_hour_old(
        app, monkeypatch):
    first = _events(app, 1)[0]
    with app.app_context():
        path = audit.checkpoint_path()
    assert path == Path(app.instance_path) / "audit-checkpoints.jsonl"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [(c["event"], c["count"]) for c in _lines(app)] == [(first.id, first.id)]
    more = _events(app, 2)  # not due: no new line
    assert len(_lines(app)) == 1
    later = time.time() + 60 * 60 + 1
    monkeypatch.setattr(audit.time, "time", lambda: later)
    os.utime(path, (later - 60 * 60 - 1, later - 60 * 60 - 1))
    last = _events(app, 1)[0]
    assert [(c["event"], c["count"]) for c in _lines(app)] == [
        (first.id, first.id), (last.id, last.id)]
    assert more[-1].id < last.id


def test_the_interval_and_the_file_are_settings(tmp_path, monkeypatch):
    elsewhere = tmp_path / "other-disk" / "kiosk-audit.jsonl"
    monkeypatch.setenv("KIOSK_AUDIT_CHECKPOINTS", str(elsewhere))
    monkeypatch.setenv("KIOSK_AUDIT_CHECKPOINT_MINUTES", "5")
    app = create_app({"KIOSK_INSTANCE_PATH": str(tmp_path / "instance")})
    with app.app_context():
        migrate_database()
        audit.record("test.event", kind="test")
        assert audit.checkpoint_path() == elsewhere and elsewhere.exists()
        assert not (tmp_path / "instance" / "audit-checkpoints.jsonl").exists()
        assert not audit.checkpoint_due(time.time() + 4 * 60)
        assert audit.checkpoint_due(time.time() + 5 * 60 + 1)
    db.close()


def test_no_checkpoint_names_an_event_that_was_rolled_back(app):
    """Inside a transaction the event may yet be rolled back: the checkpoint waits for the end
    of the request, and never names it."""
    with app.app_context():
        path = audit.checkpoint_path()
        with db.atomic() as transaction:
            audit.record("test.event", kind="test")
            assert not path.exists()
            transaction.rollback()
    with app.test_request_context():
        with db.atomic():
            kept = audit.record("test.event", kind="test")
        assert not path.exists()
        app.process_response(app.response_class())
    assert [c["event"] for c in _lines(app)] == [kept.id]
    with app.app_context():
        assert audit.verify_chain()[1] is None


def test_a_checkpoint_that_cannot_be_written_is_recorded_once(app, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    app.config["KIOSK_AUDIT_CHECKPOINTS"] = str(blocked / "checkpoints.jsonl")
    _events(app, 3)
    with app.app_context():
        failed = AuditEvent.select().where(AuditEvent.action == audit.CHECKPOINT_FAILED)
        assert failed.count() == 1
        assert audit.verify_chain()[1] is None


def test_audit_checkpoint_writes_one_now(app, runner):
    events = _events(app, 2)
    result = runner.invoke(args=["audit-checkpoint"])
    assert result.exit_code == 0
    assert f"up to event {events[-1].id}" in result.output
    assert _lines(app)[-1]["event"] == events[-1].id


@pytest.mark.parametrize("removed", [1, 3])
def test_audit_verify_reports_the_newest_events_removed(app, runner, client, head, removed):
    events = _events(app, 5)
    runner.invoke(args=["audit-checkpoint"])
    with app.app_context():
        total = AuditEvent.select().count()
        checkpoint = audit.checkpoints()[-1]
        _tamper(f"DELETE FROM audit_event WHERE id > {events[-1 - removed].id}")  # noqa: S608
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 1
    word = "event has" if removed == 1 else "events have"
    assert (f"it ends at event {events[-1 - removed].id:,}, but at {_when(app, checkpoint.at)} it "
            f"had reached event {events[-1].id:,}: {removed} {word} been removed.") in result.output
    # The check was recorded (on SQLite its event takes a removed event's id): the next check,
    # and the head's, still see the removal.
    sign_in_as(client, head)
    _check_now(client)
    text = visible_text(client.get("/admin/audit").get_data(as_text=True))
    entries = "entry has" if removed == 1 else "entries have"
    assert (f"At {_when(app, checkpoint.at, long=True)} the log had reached {total} entries, but "
            f"only {total - removed} of them are still there: {removed} {entries} been removed."
            ) in text
    assert "event " not in text


def _when(app, moment, long=False) -> str:
    from kiosk.display import local_time

    with app.app_context():
        return weekday_time(moment) if long else local_time(moment)


def test_a_log_that_matches_its_checkpoints_is_intact(app, runner):
    _events(app, 2)
    runner.invoke(args=["audit-checkpoint"])
    _events(app, 2)
    result = runner.invoke(args=["audit-verify", "--full"])
    assert result.exit_code == 0
    assert "The audit log is intact" in result.output and "It matches all 2 checkpoints" in result.output


@pytest.mark.parametrize("damage", ["count", "key", "garbled"])
def test_a_checkpoint_line_whose_signature_fails_is_reported(app, runner, client, head, damage):
    _events(app, 2)
    runner.invoke(args=["audit-checkpoint"])
    with app.app_context():
        path = audit.checkpoint_path()
        lines = path.read_text().splitlines()
        line = json.loads(lines[-1])
        if damage == "count":
            line["count"] += 10  # as if more events had been there, to hide an insertion
        elif damage == "key":
            written = audit_checkpoint.Checkpoint(line["event"], line["hash"], line["count"],
                                                  dt.datetime.fromisoformat(line["at"]))
            line["sig"] = audit_checkpoint.signature(WRONG_KEY, written)
        lines[-1] = json.dumps(line) if damage != "garbled" else lines[-1][:20]
        path.write_text("\n".join(lines) + "\n")
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 1
    assert f"line {len(lines)} fails its signature" in result.output
    sign_in_as(client, head)
    _check_now(client)
    text = visible_text(client.get("/admin/audit").get_data(as_text=True))
    assert "The record of the log kept outside the database" in text and "has been altered" in text


# PostgreSQL: the app's role cannot take the guard off ----------------------------------------

def _owner_and_app_role(postgres_server: str, postgres_url: str, tmp_path: Path) -> tuple[str, str]:
    """A database owned by a role that migrated it, and an app role given `grant-app-role`, as
    the README sets PostgreSQL up; their URLs (the owner's, the app's)."""
    import uuid

    import psycopg2

    suffix = uuid.uuid4().hex[:8]
    owner, app_role = f"kiosk_owner_{suffix}", f"kiosk_app_{suffix}"
    name = postgres_url.rsplit("/", 1)[1]
    admin = psycopg2.connect(postgres_url)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE ROLE "{owner}" LOGIN')
        cur.execute(f'CREATE ROLE "{app_role}" LOGIN')
        cur.execute(f'ALTER DATABASE "{name}" OWNER TO "{owner}"')
        cur.execute(f'ALTER SCHEMA public OWNER TO "{owner}"')
    admin.close()
    server = postgres_server.replace("kiosk@", "{}@")
    as_owner = create_app({"KIOSK_INSTANCE_PATH": str(tmp_path),
                           "DATABASE_URL": f"{server.format(owner)}/{name}"})
    runner = as_owner.test_cli_runner()
    assert runner.invoke(args=["migrate"]).exit_code == 0
    refused = runner.invoke(args=["grant-app-role", owner])
    assert refused.exit_code == 1 and "the role running this command" in refused.output
    granted = runner.invoke(args=["grant-app-role", app_role])
    assert granted.exit_code == 0, granted.output
    db.close()
    return f"{server.format(owner)}/{name}", f"{server.format(app_role)}/{name}"


def test_the_app_role_cannot_disable_the_audit_trigger_but_the_app_still_works(
        postgres_server, postgres_url, tmp_path):
    from peewee import DatabaseError

    _, app_url = _owner_and_app_role(postgres_server, postgres_url, tmp_path)
    app = create_app({"KIOSK_INSTANCE_PATH": str(tmp_path), "TESTING": True,
                      "DATABASE_URL": app_url})
    with app.app_context():
        from kiosk.policies import seed_default_policy

        seed_default_policy()
        head = make_user("head")
        for statement in ("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_change",
                          "DROP TRIGGER audit_event_no_change ON audit_event",
                          "UPDATE audit_event SET actor_label = 'x'",
                          "DELETE FROM audit_event", "TRUNCATE audit_event"):
            with pytest.raises(DatabaseError, match=r"must be owner|permission denied"), \
                    db.atomic():
                db.execute_sql(statement)
    client = app.test_client()
    sign_in_as(client, head)
    _check_now(client)
    text = visible_text(client.get("/admin/audit").get_data(as_text=True))
    assert "The log was last checked at" in text and "found a problem" not in text
    db.close()


def test_make_runs_migrate_and_seed_policy_as_the_app_role_once_the_owner_has_migrated(
        postgres_server, postgres_url, tmp_path):
    """`make run` migrates before it serves, with the server's DATABASE_URL: the app's role,
    which may not create tables. With nothing to migrate that must not try to (it did: the
    migration history's CREATE TABLE IF NOT EXISTS, "permission denied for schema public")."""
    _, app_url = _owner_and_app_role(postgres_server, postgres_url, tmp_path)
    runner = create_app({"KIOSK_INSTANCE_PATH": str(tmp_path), "DATABASE_URL": app_url}
                        ).test_cli_runner()
    try:
        migrated = runner.invoke(args=["migrate"])
        assert migrated.exit_code == 0, repr(migrated.exception)
        assert "The database is up to date." in migrated.output
        seeded = runner.invoke(args=["seed-policy"])
        assert seeded.exit_code == 0, repr(seeded.exception)
    finally:
        db.close()


def test_a_migration_the_app_role_may_not_run_says_to_run_it_as_the_owner(
        postgres_server, postgres_url, tmp_path):
    owner_url, app_url = _owner_and_app_role(postgres_server, postgres_url, tmp_path)
    last = router().todo[-1]
    psycopg = __import__("psycopg2")
    connection = psycopg.connect(owner_url)
    connection.autocommit = True
    with connection.cursor() as cur:  # as if a newer release had brought this migration
        cur.execute("DELETE FROM migratehistory WHERE name = %s", (last,))
    connection.close()
    runner = create_app({"KIOSK_INSTANCE_PATH": str(tmp_path), "DATABASE_URL": app_url}
                        ).test_cli_runner()
    try:
        result = runner.invoke(args=["migrate"])
    finally:
        db.close()
    assert result.exit_code == 1
    assert f"Migration {last} is waiting" in result.output and "owner of the tables" in result.output
    assert "Traceback" not in result.output
