"""Deletion requests: someone was asked to delete material; followed until done, refused or overdue."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from . import audit, paging
from .idempotency import create_once
from .models import Acceptance, Breach, DeletionRequest, RecordUpdate, StaffUser, db, utcnow
from .vocabulary import OUTCOMES

# What the policy says happens next when material is not deleted.
NEXT_STEPS = (_l("Ask them to leave the school premises."),
              _l("Refer the matter to the headteacher."))

# How long a deletion request waits before it is overdue, unless the member of staff gives a
# deadline. The policy asks for material to be deleted "at once", and a visitor in breach "will be
# asked to delete any material and may be asked to leave the school premises": on their device,
# it is to be done while they are still in school, so by the end of the visit, taken as two
# hours (an assembly, a class event or a meeting at an infant school is over by then). Online,
# someone must be able to look again: 24 hours.
DEVICE_GRACE = dt.timedelta(hours=2)
ONLINE_GRACE = dt.timedelta(hours=24)
# The same rule in words, beside the deadline on the deletion form.
DEADLINE_RULE = _l("If you leave it empty: two hours after they were asked for something on "
                   "their device (before they leave school), 24 hours for something online.")


class OutcomeError(ValueError):
    """The outcome cannot be recorded as given; the message says why."""


@dataclass(frozen=True)
class DeletionDetails:
    client_uuid: uuid.UUID
    material: str
    material_location: str
    asked_at: dt.datetime
    person_name: str = ""
    acceptance: Acceptance | None = None
    link: str = ""
    due_by: dt.datetime | None = None
    breach: Breach | None = None

    def default_due_by(self) -> dt.datetime:
        """By the end of the visit (two hours) for a device; 24 hours for something online."""
        return self.asked_at + (ONLINE_GRACE if self.material_location == "online" else DEVICE_GRACE)


def request_deletion(asked_by: StaffUser, details: DeletionDetails,
                     request_hash: str) -> tuple[DeletionRequest, bool]:
    """Record a deletion request once per client UUID; return (request, created)."""
    def create() -> DeletionRequest:
        request = DeletionRequest.create(
            client_uuid=details.client_uuid, request_hash=request_hash, breach=details.breach,
            material=details.material, material_location=details.material_location,
            link=details.link,
            person_name=details.person_name or (details.acceptance.full_name
                                                if details.acceptance else ""),
            acceptance=details.acceptance, asked_at=details.asked_at, asked_by=asked_by,
            due_by=details.due_by or details.default_due_by(), created_at=utcnow(),
        )
        audit.record("deletion_request.created", kind="deletion_request",
                     record_id=request.public_id, actor=asked_by)
        return request

    return create_once(DeletionRequest, details.client_uuid, request_hash, create)


def record_outcome(request: DeletionRequest, user: StaffUser, outcome: str, note: str,
                   checked_at: dt.datetime | None = None) -> None:
    """Record what happened; the earlier outcome stays in the history."""
    if outcome not in OUTCOMES or outcome == "pending":
        raise OutcomeError(_("Please choose what happened."))
    if outcome == "confirmed_removed" and request.material_location != "online":
        # Translators: %(option)s is the answer "Deleted in front of staff", as the form says it
        raise OutcomeError(_("Only material online can be confirmed removed; "
                             "choose '%(option)s' for a device.",
                             option=str(OUTCOMES["deleted_in_front"])))
    if outcome == request.outcome:
        raise OutcomeError(_("It is already recorded as '%(outcome)s'.",
                             outcome=str(OUTCOMES[outcome]).lower()))
    checked_at = checked_at or utcnow()
    with db.atomic():
        RecordUpdate.create(deletion_request=request, author=user, kind="outcome",
                            old_value=request.outcome, new_value=outcome, text=note.strip())
        DeletionRequest.update(outcome=outcome, outcome_note=note.strip(), checked_by=user,
                               checked_at=checked_at).where(DeletionRequest.id == request.id).execute()
        audit.record("deletion_request.outcome", kind="deletion_request",
                     record_id=request.public_id, old=request.outcome, new=outcome)
    request.outcome, request.outcome_note = outcome, note.strip()
    request.checked_by, request.checked_at = user, checked_at


def is_overdue(request: DeletionRequest, now: dt.datetime | None = None) -> bool:
    """Still waiting after its deadline (the one shown as "Due by", with no grace on top)."""
    return request.outcome == "pending" and (now or utcnow()) > request.due_by


def needs_attention(request: DeletionRequest, now: dt.datetime | None = None) -> bool:
    """Refused, not done, or overdue: the DSL and head see these first, with the next steps."""
    return request.outcome in ("refused", "not_done") or is_overdue(request, now)


def _needing_attention(now: dt.datetime):
    """`needs_attention` as a condition the database checks."""
    return (DeletionRequest.outcome.in_(("refused", "not_done"))
            | ((DeletionRequest.outcome == "pending") & (DeletionRequest.due_by < now)))


def needing_attention(user: StaffUser, now: dt.datetime | None = None):
    """The requests this user may see that are refused, not done or overdue (a query)."""
    return DeletionRequest.visible_to(user).where(_needing_attention(now or utcnow()))


def attention_count(user: StaffUser) -> int:
    """How many requests this user may see are refused, not done or overdue, counted by the
    database."""
    return needing_attention(user).count()


@dataclass(frozen=True)
class DeletionList:
    """The deletion requests list: those needing attention (the latest deadlines, up to a page,
    and how many there are), then one page of the rest; or, asked for, a page of those needing
    attention alone."""

    attention: list[DeletionRequest]
    attention_total: int
    others: paging.Page | None  # None on the pages of those needing attention alone
    attention_page: paging.Page | None = None


def for_list(user: StaffUser, older: str | None = None, newer: str | None = None,
             attention_only: bool = False) -> DeletionList:
    """The requests this user may see, latest deadline first: those needing attention, then
    one page of the rest (paging.py)."""
    now = utcnow()  # one moment for the whole list: no request is in both parts, or neither
    attention = needing_attention(user, now)
    if attention_only:
        page = paging.newest_first(attention, DeletionRequest.due_by, older=older, newer=newer)
        return DeletionList(page.rows, attention.count(), None, page)
    # Above the first page of the rest only.
    first = [] if older or newer else list(attention.order_by(
        DeletionRequest.due_by.desc(), DeletionRequest.id.desc()).limit(paging.PAGE_SIZE))
    total = len(first) if len(first) < paging.PAGE_SIZE else attention.count()
    others = DeletionRequest.visible_to(user).where(~_needing_attention(now))
    return DeletionList(first, total, paging.newest_first(others, DeletionRequest.due_by,
                                                          older=older, newer=newer))


def asked_by(user: StaffUser):
    """The requests this member of staff recorded, newest first."""
    return (DeletionRequest.visible_to(user).where(DeletionRequest.asked_by == user)
            .order_by(DeletionRequest.asked_at.desc()))


def history(request: DeletionRequest):
    return (RecordUpdate.select(RecordUpdate, StaffUser).join(StaffUser)
            .where(RecordUpdate.deletion_request == request).order_by(RecordUpdate.at, RecordUpdate.id))
