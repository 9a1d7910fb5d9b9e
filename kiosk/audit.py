"""The audit log: append-only, each event chained to the one before and sealed with a key.

An event's hash covers its own fields and the previous event's hash, so changing, removing or
reordering any stored event breaks every hash after it; `flask --app kiosk audit-verify` (and the
head's "Check now") finds the first break. The database also refuses UPDATE and DELETE on the
table (migration 002); on PostgreSQL the app's own role should not own the table either (see
`grant_app_role`), so it cannot drop that guard.

**Keyed.** The hash is an HMAC-SHA256 with the audit key (`KIOSK_AUDIT_KEY`, or the file
`instance/audit_key` generated on first run), which is kept outside the database: someone who can
write to the database can edit an event but cannot work out a hash the check accepts, whether
they recompute the chain with plain SHA-256 or with a key of their own.

**Events from before the key.** Until issue 13 the hash was plain SHA-256 (`plain_hash`), and the
table refuses UPDATE, so those events keep their plain hashes. No marker column says which scheme
made an event (a marker could be edited too); instead the rule is: plain events may only form the
start of the log, and the first keyed event after them is the seal (`KEYED`, written by migration
011 when it finds the log's newest event unkeyed, naming how many came before). The seal's own
HMAC covers the previous event's hash, so every plain event before it is held by the key too. A
plain event after any keyed one is a changed event; a log with plain events and no keyed event
after them (rewritten from the start without the key) is reported as unsealed.

**Checkpoints.** The head of the chain (the newest event's id and hash, how many events, the
time) is signed with the key and appended to a file outside the database (`audit_checkpoint.py`;
`KIOSK_AUDIT_CHECKPOINTS`): after an event is recorded once the last checkpoint is older than
`KIOSK_AUDIT_CHECKPOINT_MINUTES` (one `stat` of the file when none is due, and none at all while
this process knows the next is not due), or by `flask --app kiosk audit-checkpoint`. A checkpoint
is written only outside a transaction, so it never names an event that is later rolled back.
The check compares the chain with every checkpoint: an event it names that is gone, or that now
has another hash, means events were removed from the end or the log was rewritten; a line of the
file whose signature fails is reported too. Removing the newest events after the last checkpoint
cannot be seen; the interval bounds how many.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, has_app_context
from flask_login import current_user

from . import audit_checkpoint
from .audit_checkpoint import Checkpoint
from .models import (
    AuditEvent,
    Breach,
    DeletionRequest,
    FixedQuery,
    StaffUser,
    WelfareTask,
    db,
    serialize,
    utcnow,
)

GENESIS = "0" * 64
# Any number will do; it only has to be the same in every process (PostgreSQL advisory lock).
_CHAIN_LOCK = 730_501


def _canonical(event: AuditEvent) -> bytes:
    fields = [
        event.previous_hash,
        event.at.isoformat(timespec="microseconds"),
        str(event.actor_id or ""),
        event.actor_label,
        event.action,
        event.record_kind,
        event.record_id,
        event.detail,
    ]
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()


def compute_hash(event: AuditEvent) -> str:
    """The plain SHA-256 of an event: how events were hashed before the key (issue 13)."""
    return hashlib.sha256(_canonical(event)).hexdigest()


plain_hash = compute_hash


def _key() -> bytes:
    return str(current_app.config["KIOSK_AUDIT_KEY"]).encode()


def keyed_hash(event: AuditEvent, key: bytes | None = None) -> str:
    """The HMAC-SHA256 of an event with the audit key: how every event is hashed now."""
    return hmac.new(key if key is not None else _key(), _canonical(event),
                    hashlib.sha256).hexdigest()


def _acting_user() -> StaffUser | None:
    try:
        return current_user if current_user.is_authenticated else None
    except (AttributeError, RuntimeError):  # outside a request, e.g. a CLI command
        return None


def record(action: str, *, kind: str, record_id: object = "", actor: StaffUser | None = None,
           actor_label: str | None = None, visitor: bool = False, **detail: Any) -> AuditEvent:
    """Append one event (and a checkpoint, if one is due). Pass `actor` to name someone other
    than the signed-in user, or `visitor=True` for something a visitor did (no member of staff is
    named, even one signed in on the same iPad)."""
    event = _append(action, kind=kind, record_id=record_id, actor=actor, actor_label=actor_label,
                    visitor=visitor, **detail)
    checkpoint_soon()
    return event


def _append(action: str, *, kind: str, record_id: object = "", actor: StaffUser | None = None,
            actor_label: str | None = None, visitor: bool = False, **detail: Any) -> AuditEvent:
    actor = None if visitor else actor or _acting_user()
    label = actor_label if actor_label is not None else (actor.email if actor else "")
    # Inside the caller's transaction when there is one (an acceptance and its event commit
    # together; an error in either undoes both), not in a savepoint of it: on SQLite the writers
    # queue for the transaction, and two statements fewer in it is a shorter wait for the next.
    with nullcontext() if db.in_transaction() else db.atomic():
        serialize(_CHAIN_LOCK)
        last = _LAST_HASH.first()
        event = AuditEvent(
            at=utcnow(), actor=actor, actor_label=_storable(label), action=action, record_kind=kind,
            record_id=_storable(str(record_id)), previous_hash=last.hash if last else GENESIS,
            detail=_storable(json.dumps(detail, sort_keys=True, ensure_ascii=False, default=str))
            if detail else "",
        )
        event.hash = keyed_hash(event)
        event.save(force_insert=True)
    return event


# The chain's last hash, read by every event: its SQL built once (models.FixedQuery).
_LAST_HASH = FixedQuery(
    lambda: AuditEvent.select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))


def _storable(text: str) -> str:
    """What was asked for, as both databases can keep it: PostgreSQL refuses a NUL, and neither
    takes a lone surrogate. Requests carrying them are refused before any view (security.py);
    this keeps the refusal of anything else that carries one from failing to be written."""
    return text.replace("\x00", "\ufffd").encode("utf-8", "replace").decode()


# What can be wrong with the log, in words (the command prints them).
CHAIN_FAULTS = {
    "out_of_order": "it does not follow the event before it (an event was removed or reordered)",
    "changed": "its contents were changed after it was written",
    "unsealed": "none of the events up to it is sealed with the audit key (the log was rewritten "
                "by someone without the key)",
    "removed": "events have been removed from the end of the log",
    "rewritten": "the log has been rewritten since a checkpoint was taken",
    "checkpoint_damaged": "a line of the checkpoint file fails its signature (it was changed, or "
                          "written with another key)",
}
# The faults found by comparing with the checkpoint file rather than by walking the chain.
CHECKPOINT_FAULTS = ("removed", "rewritten", "checkpoint_damaged")


@dataclass(frozen=True)
class ChainProblem:
    event_id: int  # the event at fault; for a checkpoint's fault, the event it names
    fault: str  # a key of CHAIN_FAULTS
    since: dt.datetime | None = None  # when the checkpoint that disagrees was written
    had: int | None = None  # how many events the log held then, up to its event
    has: int | None = None  # ...and holds now, up to that event
    last_event: int | None = None  # the newest event now (0: none)
    line: int | None = None  # the checkpoint file's damaged line

    @property
    def reason(self) -> str:
        return CHAIN_FAULTS[self.fault]

    @property
    def removed(self) -> int:
        return max(0, (self.had or 0) - (self.has or 0))

    def detail(self) -> dict[str, Any]:
        """What a check records of it (and the head's page reads back)."""
        found = {"problem": self.fault, "problem_event": self.event_id}
        if self.since is not None:
            found |= {"since": self.since.isoformat(timespec="seconds"), "had": self.had,
                      "has": self.has, "last_event": self.last_event}
        if self.line is not None:
            found["line"] = self.line
        return found


@dataclass(frozen=True)
class Verification:
    """What one check of the chain found."""

    checked: int  # events read (and their links and hashes worked out) by this check
    problem: ChainProblem | None
    full: bool  # read from the first event, rather than from a point known good
    start: str = "start"  # where it began: "start", "check" (the last good check) or "checkpoint"
    through: int = 0  # the newest event found intact (0: none)
    through_hash: str = ""
    count: int = 0  # events in the log up to `through`, as far as the checks know

    def detail(self) -> dict[str, Any]:
        """What the check's own event records: the next check may start from `through`."""
        found = {"checked": self.checked, "full": self.full}
        if not self.full:
            found["start"] = self.start
        if self.problem is not None:
            return found | self.problem.detail()
        return found | {"through": self.through, "through_hash": self.through_hash,
                        "count": self.count}


@dataclass(frozen=True)
class _Start:
    """A point of the chain known good: an event, its hash, the events up to it."""

    event: int
    hash: str
    count: int
    source: str  # "start", "check" or "checkpoint"
    keyed: bool = False  # the event is sealed with the key (so no plain event may follow)


_GENESIS_START = _Start(0, GENESIS, 0, "start")


def verify_chain(batch: int = 1000) -> tuple[int, ChainProblem | None]:
    """Walk the whole chain, then compare it with every checkpoint; return (events checked, the
    first problem or None). The chain's own faults come first, then what the checkpoints show."""
    found = verify(full=True, batch=batch)
    return found.checked, found.problem


def verify(full: bool = False, batch: int = 1000) -> Verification:
    """Check the chain. In full, from the first event, and against every checkpoint. Otherwise
    only the events after the newest point known good (the last check that found the log
    intact, or the newest checkpoint, whichever is newer and still matches), and against the
    checkpoints from there on and the newest one: an edit before that point is found only by a
    full check, which is why one should run every night (`audit-verify --full`)."""
    key = _key()
    reading = audit_checkpoint.read(checkpoint_path(), key)
    start, problem = (_GENESIS_START, None) if full else _incremental_start(reading, key)
    if problem is not None:
        return Verification(0, problem, full=False, start="checkpoint")
    compared = [c for c in reading.checkpoints if c.event > start.event]
    marked = {checkpoint.event for checkpoint in compared}
    seen: dict[int, tuple[str, int]] = {}  # a checkpoint's event: its hash, events up to it
    previous, checked, keyed, last_id = start.hash, 0, start.keyed, start.event
    whole = start.source == "start"
    for event in _in_order(batch, after=start.event):
        if event.previous_hash != previous:
            return Verification(checked, ChainProblem(event.id, "out_of_order"), whole, start.source)
        if hmac.compare_digest(keyed_hash(event, key), event.hash):
            keyed = True
        elif keyed or plain_hash(event) != event.hash:
            # A plain hash is accepted only before the first keyed event (the seal).
            return Verification(checked, ChainProblem(event.id, "changed"), whole, start.source)
        previous, last_id = event.hash, event.id
        checked += 1
        if event.id in marked:
            seen[event.id] = (event.hash, start.count + checked)
    if last_id and not keyed:
        return Verification(0, ChainProblem(last_id, "unsealed"), whole, start.source)
    problem = _against_checkpoints(compared, reading.bad_lines, seen, last_id)
    return Verification(checked, problem, whole, start.source, through=last_id,
                        through_hash=previous if last_id else "", count=start.count + checked)


def _incremental_start(reading: audit_checkpoint.Reading,
                       key: bytes) -> tuple[_Start, ChainProblem | None]:
    """The newest point known good to check on from: the last good check's or the newest
    checkpoint's event, if it still has the hash written down then and its own hash holds.
    The newest checkpoint is always compared (one look-up): if its event is gone or changed,
    that is the problem found. A check that no longer matches is only passed over: the walk
    from the checkpoint before it finds what changed."""
    checkpoint = None
    if reading.checkpoints:
        newest = reading.checkpoints[-1]
        checkpoint = _sound_start(_Start(newest.event, newest.hash, newest.count, "checkpoint"),
                                  key)
        if checkpoint is None:
            there = AuditEvent.get_or_none(AuditEvent.id == newest.event)
            if there is not None and there.hash == newest.hash:  # its hash, not its contents
                return _GENESIS_START, ChainProblem(there.id, "changed")
            return _GENESIS_START, _against_checkpoints([newest], [], {}, _newest_id())
    check = _last_good_check(key)
    if check is not None and (checkpoint is None or check.event >= checkpoint.event):
        check = _sound_start(check, key)
        if check is not None:
            return check, None
    return checkpoint or _GENESIS_START, None


def _sound_start(candidate: _Start, key: bytes) -> _Start | None:
    """The candidate, if its event is there with the hash written down and that hash holds."""
    event = AuditEvent.get_or_none(AuditEvent.id == candidate.event)
    if event is None or not hmac.compare_digest(event.hash, candidate.hash):
        return None
    if hmac.compare_digest(keyed_hash(event, key), event.hash):
        return replace(candidate, keyed=True)
    return candidate if plain_hash(event) == event.hash else None


def _last_good_check(key: bytes, looked_at: int = 10) -> _Start | None:
    """The newest of the last few checks that found the log intact and says how far it read,
    if its own hash holds (so what it says was written by the app, with the key)."""
    for event in (AuditEvent.select().where(AuditEvent.action == CHECKED)
                  .order_by(AuditEvent.id.desc()).limit(looked_at)):
        try:
            found = json.loads(event.detail or "{}")
        except ValueError:
            continue
        if not isinstance(found, dict) or "problem" in found:
            continue
        through, through_hash, count = (found.get("through"), found.get("through_hash"),
                                        found.get("count"))
        if not (isinstance(through, int) and isinstance(through_hash, str)
                and isinstance(count, int) and 0 < through < event.id):
            continue
        if hmac.compare_digest(keyed_hash(event, key), event.hash):
            return _Start(through, through_hash, count, "check")
    return None


def _newest_id() -> int:
    newest = AuditEvent.select(AuditEvent.id).order_by(AuditEvent.id.desc()).first()
    return newest.id if newest else 0


def _against_checkpoints(checkpoints: list[Checkpoint], bad_lines: list[int],
                         seen: dict[int, tuple[str, int]], last_id: int) -> ChainProblem | None:
    """The newest checkpoint the chain no longer matches, or the first damaged line."""
    for checkpoint in reversed(checkpoints):
        if seen.get(checkpoint.event) == (checkpoint.hash, checkpoint.count):
            continue
        # The chain held, so every event's time is as it was written. On SQLite a new event
        # may take the id of a removed one: it is newer than the checkpoint.
        has = AuditEvent.select().where(AuditEvent.id <= checkpoint.event,
                                        AuditEvent.at <= checkpoint.at).count()
        now_there = AuditEvent.get_or_none(AuditEvent.id == checkpoint.event)
        gone = ((now_there is None or now_there.at > checkpoint.at)
                and has < checkpoint.count)
        return ChainProblem(checkpoint.event, "removed" if gone else "rewritten",
                            since=checkpoint.at, had=checkpoint.count, has=has,
                            last_event=last_id)
    if bad_lines:
        return ChainProblem(0, "checkpoint_damaged", line=bad_lines[0])
    return None


CHECKED = "audit.checked"
KEYED = "audit.keyed"
CHECKPOINT_FAILED = "audit.checkpoint_failed"


def check(actor: StaffUser | None = None, full: bool = False) -> Verification:
    """Check the chain now (only what is new since the last point known good, unless `full`)
    and record what was found as an event of its own, which the head's page shows instead of
    checking on every view; the next check starts from it."""
    found = verify(full=full)
    record(CHECKED, kind="audit_event", actor=actor, **found.detail())
    return found


def check_chain(actor: StaffUser | None = None,
                full: bool = False) -> tuple[int, ChainProblem | None]:
    """`check`, as (events read, the problem found or None)."""
    found = check(actor, full=full)
    return found.checked, found.problem


def seal() -> AuditEvent | None:
    """Seal the events hashed before the key (migration 011): if the newest event is not keyed,
    add the keyed event that holds every one before it. Nothing when the log is empty or sealed."""
    last = AuditEvent.select().order_by(AuditEvent.id.desc()).first()
    if last is None or hmac.compare_digest(keyed_hash(last), last.hash):
        return None
    return record(KEYED, kind="audit_event", before=AuditEvent.select().count())


# Checkpoints ----------------------------------------------------------------------------------

def checkpoint_path() -> Path:
    return Path(current_app.config["KIOSK_AUDIT_CHECKPOINTS"])


def checkpoints() -> list[Checkpoint]:
    """The checkpoints in the file whose signature holds, oldest first."""
    return audit_checkpoint.read(checkpoint_path(), _key()).checkpoints


def write_checkpoint() -> Checkpoint | None:
    """Write down the head of the chain now, in the checkpoint file; None while the log is
    empty. Reads the newest event and the count in one statement, so the two agree."""
    row = db.execute_sql("SELECT id, hash, (SELECT COUNT(*) FROM audit_event) FROM audit_event "
                         "ORDER BY id DESC LIMIT 1").fetchone()
    path = checkpoint_path()
    if row is None:
        return None
    checkpoint = Checkpoint(event=row[0], hash=row[1], count=row[2], at=utcnow())
    audit_checkpoint.append(path, _key(), checkpoint)
    _not_before[str(path)] = time.time() + _interval()
    return checkpoint


# For each checkpoint file, the time (time.time()) before which this process knows none is due.
_not_before: dict[str, float] = {}


def _interval() -> float:
    return current_app.config["KIOSK_AUDIT_CHECKPOINT_MINUTES"] * 60


def checkpoint_due(now: float | None = None) -> bool:
    """Is the last checkpoint older than the interval? Usually answered from memory; otherwise
    by the file's modification time (another process may have written one)."""
    now = time.time() if now is None else now
    path = str(checkpoint_path())
    if now < _not_before.get(path, 0):
        return False
    try:
        written = Path(path).stat().st_mtime
    except OSError:  # none yet (or it cannot be reached: writing will say so)
        return True
    if now < written + _interval():
        _not_before[path] = written + _interval()
        return False
    return True


def checkpoint_soon() -> None:
    """After an event: a checkpoint, if one is due. Inside a transaction the event may yet be
    rolled back, so it waits until the request ends (`init_app`)."""
    if not has_app_context():
        return
    if db.in_transaction():
        g.audit_checkpoint_waiting = True
        return
    checkpoint_if_due()


def checkpoint_if_due() -> None:
    if not checkpoint_due():
        return
    try:
        write_checkpoint()
    except OSError as error:
        # Not again until the interval has passed, and recorded (without a checkpoint after it).
        _not_before[str(checkpoint_path())] = time.time() + _interval()
        _append(CHECKPOINT_FAILED, kind="audit_event", reason=error.strerror or str(error))


def _after_request(response):
    if g.pop("audit_checkpoint_waiting", False) and not db.in_transaction():
        checkpoint_if_due()
    return response


def init_app(app: Flask) -> None:
    app.after_request(_after_request)


def last_check(visible, full: bool = False) -> AuditEvent | None:
    """The newest recorded check of the chain (or full check) among the events `visible`
    (`visible_events(reader)`), or None. Checks from before incremental ones say nothing of it
    and were full."""
    query = visible.where(AuditEvent.action == CHECKED)
    if full:
        query = query.where(~AuditEvent.detail.contains('"full": false'))
    return query.order_by(AuditEvent.id.desc()).first()


def _in_order(batch: int, after: int = 0) -> Iterator[AuditEvent]:
    last_id = after
    while True:
        rows = list(AuditEvent.select().where(AuditEvent.id > last_id)
                    .order_by(AuditEvent.id).limit(batch))
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id


# Events that remove a breach and name the deletion requests that went with it: the head's
# reviewed deletions, and a malicious or false allegation removed at closing (staff_concerns).
REMOVALS = ("retention.deleted_after_review", "allegation.removed")


def visible_events(user: StaffUser):
    """The audit log as the head may read it: everything except what would reveal a concern
    about the head (events about those records, also once the chair has deleted them after
    review, and anything the chair did)."""
    about_head = Breach.select(Breach.public_id).where(Breach.restricted & Breach.concerns_head)
    hidden_breaches = [str(b.public_id) for b in about_head]
    hidden_requests = [str(r.public_id) for r in DeletionRequest.select(DeletionRequest.public_id)
                       .join(Breach).where(Breach.restricted & Breach.concerns_head)]
    chairs = StaffUser.select(StaffUser.id).where(StaffUser.role == "chair")
    for deleted in AuditEvent.select(AuditEvent.record_id, AuditEvent.detail).where(
            AuditEvent.action.in_(REMOVALS), AuditEvent.actor.in_(chairs)):
        hidden_breaches.append(deleted.record_id)
        try:
            requests = json.loads(deleted.detail or "{}").get("requests", [])
        except (ValueError, AttributeError):  # a damaged event: "Check now" reports it
            requests = []
        hidden_requests += [str(key) for key in requests] if isinstance(requests, list) else []
    hidden_tasks = [str(t.public_id) for t in WelfareTask.select(WelfareTask.public_id)
                    .where(WelfareTask.concerns_head)]
    query = AuditEvent.select().where(AuditEvent.actor.is_null() | AuditEvent.actor.not_in(chairs))
    if hidden_tasks:
        query = query.where(~((AuditEvent.record_kind == "welfare_task")
                              & AuditEvent.record_id.in_(hidden_tasks)))
    if hidden_breaches:
        query = query.where(~((AuditEvent.record_kind == "breach")
                              & AuditEvent.record_id.in_(hidden_breaches)))
    if hidden_requests:
        query = query.where(~((AuditEvent.record_kind == "deletion_request")
                              & AuditEvent.record_id.in_(hidden_requests)))
    return query
