"""The audit log: append-only, each event chained to the one before by a SHA-256 hash.

An event's hash covers its own fields and the previous event's hash, so changing, removing or
reordering any stored event breaks every hash after it; `flask --app kiosk audit-verify` finds
the first break. The database also refuses UPDATE and DELETE on the table (migration 002).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask_login import current_user

from .models import (
    AuditEvent,
    Breach,
    DeletionRequest,
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
    return hashlib.sha256(_canonical(event)).hexdigest()


def _acting_user() -> StaffUser | None:
    try:
        return current_user if current_user.is_authenticated else None
    except (AttributeError, RuntimeError):  # outside a request, e.g. a CLI command
        return None


def record(action: str, *, kind: str, record_id: object = "", actor: StaffUser | None = None,
           actor_label: str | None = None, visitor: bool = False, **detail: Any) -> AuditEvent:
    """Append one event. Pass `actor` to name someone other than the signed-in user, or
    `visitor=True` for something a visitor did (no member of staff is named, even one signed in
    on the same iPad)."""
    actor = None if visitor else actor or _acting_user()
    label = actor_label if actor_label is not None else (actor.email if actor else "")
    with db.atomic():
        serialize(_CHAIN_LOCK)
        last = AuditEvent.select(AuditEvent.hash).order_by(AuditEvent.id.desc()).first()
        event = AuditEvent(
            at=utcnow(), actor=actor, actor_label=_storable(label), action=action, record_kind=kind,
            record_id=_storable(str(record_id)), previous_hash=last.hash if last else GENESIS,
            detail=_storable(json.dumps(detail, sort_keys=True, ensure_ascii=False, default=str))
            if detail else "",
        )
        event.hash = compute_hash(event)
        event.save(force_insert=True)
    return event


def _storable(text: str) -> str:
    """What was asked for, as both databases can keep it: PostgreSQL refuses a NUL, and neither
    takes a lone surrogate. Requests carrying them are refused before any view (security.py);
    this keeps the refusal of anything else that carries one from failing to be written."""
    return text.replace("\x00", "\ufffd").encode("utf-8", "replace").decode()


# What can be wrong with the chain at an event, in words (the command prints them).
CHAIN_FAULTS = {
    "out_of_order": "it does not follow the event before it (an event was removed or reordered)",
    "changed": "its contents were changed after it was written",
}


@dataclass(frozen=True)
class ChainProblem:
    event_id: int
    fault: str  # a key of CHAIN_FAULTS

    @property
    def reason(self) -> str:
        return CHAIN_FAULTS[self.fault]


def verify_chain(batch: int = 1000) -> tuple[int, ChainProblem | None]:
    """Walk the whole chain; return (events checked, the first problem or None)."""
    previous = GENESIS
    checked = 0
    for event in _in_order(batch):
        if event.previous_hash != previous:
            return checked, ChainProblem(event.id, "out_of_order")
        if compute_hash(event) != event.hash:
            return checked, ChainProblem(event.id, "changed")
        previous = event.hash
        checked += 1
    return checked, None


CHECKED = "audit.checked"


def check_chain(actor: StaffUser | None = None) -> tuple[int, ChainProblem | None]:
    """Walk the whole chain now and record what was found as an event of its own, which the
    head's page shows instead of walking the chain on every view."""
    checked, problem = verify_chain()
    found = {"problem": problem.fault, "problem_event": problem.event_id} if problem else {}
    record(CHECKED, kind="audit_event", actor=actor, checked=checked, **found)
    return checked, problem


def last_check(reader: StaffUser) -> AuditEvent | None:
    """The newest recorded check of the chain that this reader may see, or None."""
    return (visible_events(reader).where(AuditEvent.action == CHECKED)
            .order_by(AuditEvent.id.desc()).first())


def _in_order(batch: int) -> Iterator[AuditEvent]:
    last_id = 0
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
