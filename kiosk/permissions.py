"""Asking the headteacher's permission to post or publish about the school.

The policy: "References should not be made to any staff member, pupil, parent or school
activity/event unless prior permission has been obtained and agreed with the Headteacher." A
member of staff (signed in) or a person on the roster (through their personal link) asks: what,
where, when, whether it shows pupils, staff or parents, and, when it shows pupils, whether their
photo consent has been checked. The head approves it (with conditions, until an end date),
declines it with a reason, or asks a question the requester answers. The requester sees the
decision on screen and is emailed it. A request waiting longer than the school's set number of
working days is flagged to the head. A breach of "referenced without permission" is checked
against the approvals given to the person it is about (`approvals_for`).
"""

from __future__ import annotations

import datetime as dt
import smtplib
import textwrap
import uuid
from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from . import audit, mail, retention, school
from .display import long_date, school_zone, today
from .idempotency import create_once
from .models import (
    PermissionNote,
    PermissionRequest,
    RosterPerson,
    StaffUser,
    as_local,
    db,
    utcnow,
)
from .text import search_key
from .vocabulary import CONSENT_ANSWERS, PERMISSION_SHOWS
from .working_days import after_working_days

OPEN = ("waiting", "question")  # not decided yet
PAST_SHOWN = 50  # declined or ended requests on the head's list, the most recent
WAIT_DAYS_LIMITS = (1, 30)


class RequestError(ValueError):
    """The change cannot be made; the message says why, shown beside `field` of the form (or
    beside the decision)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Asked:
    """A request as the form gave it."""

    client_uuid: uuid.UUID
    what: str
    where: str
    post_on: dt.date
    shows: list[str]
    consent_answer: str


@dataclass(frozen=True)
class Decision:
    """The head's decision as the form gave it."""

    decision: str  # approved, declined or question
    conditions: str = ""
    ends_on: dt.date | None = None
    reason: str = ""
    question: str = ""
    consent_checked: bool = False
    consent_checked_by: str = ""
    consent_checked_on: dt.date | None = None


# Asking ----------------------------------------------------------------------------------------

def ask(asked: Asked, request_hash: str, *, staff: StaffUser | None = None,
        person: RosterPerson | None = None) -> tuple[PermissionRequest, bool]:
    """Record a request, once per client UUID, from a member of staff or a person on the
    roster. Returns (request, created)."""
    if (staff is None) == (person is None):
        raise ValueError("A request is asked by one member of staff or one person on the roster.")
    shows = [code for code in PERMISSION_SHOWS if code in asked.shows]
    consent = asked.consent_answer if "pupils" in shows else ""
    if consent not in ("", *CONSENT_ANSWERS):
        raise RequestError(_("Please say whether the pupils' photo consent has been checked."),
                           "consent_answer")

    def make() -> PermissionRequest:
        now = utcnow()
        row = PermissionRequest.create(
            client_uuid=asked.client_uuid, request_hash=request_hash, requester_staff=staff,
            requester_person=person,
            requester_name=staff.display_name if staff else person.full_name,
            what=asked.what, where=asked.where, post_on=asked.post_on, shows=",".join(shows),
            consent_answer=consent, asked_at=now, waiting_since=now)
        audit.record("permission.requested", kind="permission_request", record_id=row.public_id,
                     visitor=person is not None,
                     **({"by_person": person.id} if person is not None else {}))
        return row

    return create_once(PermissionRequest, asked.client_uuid, request_hash, make)


def answer(row: PermissionRequest, text: str, *, staff: StaffUser | None = None,
           person: RosterPerson | None = None) -> PermissionNote:
    """The requester answers the head's question: it waits for the head again. Only while the
    question is open, checked as the row changes: an answer sent just as the head decides does
    not undo the decision."""
    refused = RequestError(_("The headteacher has not asked a question about this request."),
                           "answer")
    if row.status != "question":
        raise refused
    with db.atomic():
        now = utcnow()
        changed = PermissionRequest.update(status="waiting", waiting_since=now).where(
            PermissionRequest.id == row.id, PermissionRequest.status == "question").execute()
        if not changed:
            raise refused
        note = PermissionNote.create(request=row, kind="answer", text=text.strip(), author=staff,
                                     at=now)
        audit.record("permission.answered", kind="permission_request", record_id=row.public_id,
                     visitor=person is not None)
    row.status, row.waiting_since = "waiting", now
    return note


# What each person sees -------------------------------------------------------------------------

def own_requests(*, staff: StaffUser | None = None, person: RosterPerson | None = None):
    """A requester's own requests, newest first."""
    owner = (PermissionRequest.requester_staff == staff if staff is not None
             else PermissionRequest.requester_person == person)
    return list(PermissionRequest.select().where(owner)
                .order_by(PermissionRequest.asked_at.desc(), PermissionRequest.id.desc()))


def own_request(public_id: str, *, staff: StaffUser | None = None,
                person: RosterPerson | None = None) -> PermissionRequest | None:
    try:
        key = uuid.UUID(public_id)
    except ValueError:
        return None
    owner = (PermissionRequest.requester_staff == staff if staff is not None
             else PermissionRequest.requester_person == person)
    found = PermissionRequest.get_or_none(PermissionRequest.public_id == key, owner)
    if found is None and PermissionRequest.select().where(
            PermissionRequest.public_id == key).exists():
        # Someone else's: refused as every record is (access.find_visible), and audited.
        audit.record("access.refused", kind="permission_request", record_id=key,
                     visitor=person is not None)
    return found


def notes(row: PermissionRequest) -> list[PermissionNote]:
    return list(row.notes.order_by(PermissionNote.at, PermissionNote.id))


def ended(row: PermissionRequest, on: dt.date | None = None) -> bool:
    """An approval whose end date has passed."""
    return row.status == "approved" and row.ends_on is not None and row.ends_on < (on or today())


# The head's lists ------------------------------------------------------------------------------

def wait_days() -> int:
    return school.settings().permission_wait_days


def set_wait_days(days: int) -> None:
    """How many working days a request may wait before it is flagged (audited)."""
    if not WAIT_DAYS_LIMITS[0] <= days <= WAIT_DAYS_LIMITS[1]:
        raise RequestError(_("Please choose between 1 and 30 working days."), "days")
    school.save_one("permission_wait_days", days, "permission.wait_changed", days=days)


def overdue(row: PermissionRequest, now: dt.datetime | None = None, days: int | None = None
            ) -> bool:
    """Waiting for the head longer than the school's set number of working days."""
    if row.status != "waiting":
        return False
    limit = after_working_days(row.waiting_since, school_zone(), days or wait_days())
    return (now or utcnow()) > limit


@dataclass
class HeadLists:
    waiting: list[PermissionRequest]  # waiting for the head, longest first
    overdue: set[int]  # ids of those waiting too long
    question: list[PermissionRequest]  # the head asked; waiting for the requester
    in_force: list[PermissionRequest]  # approved, not ended, ending soonest first
    past: list[PermissionRequest]  # declined or ended, newest decision first (PAST_SHOWN)
    wait_days: int


def head_lists() -> HeadLists:
    days, now, on = wait_days(), utcnow(), today()
    by_status = PermissionRequest.select().order_by(PermissionRequest.waiting_since,
                                                   PermissionRequest.id)
    waiting = list(by_status.where(PermissionRequest.status == "waiting"))
    question = list(by_status.where(PermissionRequest.status == "question"))
    in_force = list(PermissionRequest.select().where(
        PermissionRequest.status == "approved", PermissionRequest.ends_on >= on)
        .order_by(PermissionRequest.ends_on, PermissionRequest.id))
    past = list(PermissionRequest.select().where(
        (PermissionRequest.status == "declined")
        | ((PermissionRequest.status == "approved") & (PermissionRequest.ends_on < on)))
        .order_by(PermissionRequest.decided_at.desc(), PermissionRequest.id.desc())
        .limit(PAST_SHOWN))
    return HeadLists(waiting=waiting, overdue={r.id for r in waiting if overdue(r, now, days)},
                     question=question, in_force=in_force, past=past, wait_days=days)


def waiting_counts() -> tuple[int, int]:
    """(waiting for the head, of which waiting too long), for the head's home screen."""
    waiting = list(PermissionRequest.select(PermissionRequest.id, PermissionRequest.status,
                                            PermissionRequest.waiting_since)
                   .where(PermissionRequest.status == "waiting"))
    days, now = wait_days(), utcnow()
    return len(waiting), sum(1 for row in waiting if overdue(row, now, days))


# Deciding --------------------------------------------------------------------------------------

def decide(row: PermissionRequest, head: StaffUser, decision: Decision) -> PermissionRequest:
    """Approve, decline or ask a question; the requester is then emailed (`email_requester`).
    Decided once: the row changes only while it is still undecided, so a second tab or a
    double tap is refused, not a second decision."""
    if head.role != "head":
        raise RequestError(_("Only the headteacher decides."))
    decided = RequestError(_("This request has already been decided."))
    if row.status not in OPEN:
        raise decided
    now = utcnow()
    if decision.decision == "question":
        if not decision.question.strip():
            raise RequestError(_("Please write your question."), "question")
        # The question's clock (retention counts an unanswered one from here).
        values = {"status": "question", "waiting_since": now}
    elif decision.decision == "approved":
        _check_approval(row, decision)
        values = {"status": "approved", "decided_by": head, "decided_at": now,
                  "conditions": decision.conditions.strip(), "ends_on": decision.ends_on}
        if "pupils" in row.shows_codes:
            values.update(consent_checked=True,
                          consent_checked_by=decision.consent_checked_by.strip(),
                          consent_checked_on=decision.consent_checked_on)
    elif decision.decision == "declined":
        if not decision.reason.strip():
            raise RequestError(_("Please give the reason, so they know what to change."), "reason")
        values = {"status": "declined", "decided_by": head, "decided_at": now,
                  "reason": decision.reason.strip()}
    else:
        raise RequestError(_("Please choose to approve, decline or ask a question."))
    with db.atomic():
        changed = PermissionRequest.update(**values).where(
            PermissionRequest.id == row.id, PermissionRequest.status.in_(OPEN)).execute()
        if not changed:
            raise decided
        if decision.decision == "question":
            PermissionNote.create(request=row, kind="question", text=decision.question.strip(),
                                  author=head, at=now)
        audit.record("permission.decided", kind="permission_request", record_id=row.public_id,
                     decision=decision.decision)
    return PermissionRequest.get_by_id(row.id)


def _check_approval(row: PermissionRequest, decision: Decision) -> None:
    if decision.ends_on is None:
        raise RequestError(_("Please give the last day the permission holds."), "ends_on")
    if decision.ends_on < today():
        raise RequestError(_("The last day cannot be in the past."), "ends_on")
    if decision.ends_on < row.post_on:
        raise RequestError(_("The last day cannot be before the day they mean to post it."),
                               "ends_on")
    if "pupils" in row.shows_codes:
        if not decision.consent_checked:
            raise RequestError(_("It shows pupils: please check their photo consent in the "
                               "school's information system before approving."), "consent_checked")
        if not decision.consent_checked_by.strip() or decision.consent_checked_on is None:
            raise RequestError(_("Please say who checked the photo consent, and when."),
                               "consent_checked_by")
        if decision.consent_checked_on > today():
            raise RequestError(_("The day the consent was checked cannot be in the future."),
                               "consent_checked_on")


# Email -----------------------------------------------------------------------------------------

SUBJECTS = {"approved": "Your request to post about the school was approved",
            "declined": "Your request to post about the school was declined",
            "question": "The headteacher has a question about your request"}


def requester_email(row: PermissionRequest) -> str:
    if row.requester_staff_id:
        return row.requester_staff.email
    return row.requester_person.email if row.requester_person_id else ""


def _where_to_read(row: PermissionRequest) -> str:
    base = school.configured_public_url()
    if row.requester_person_id:
        if not base:
            return "Open your personal link from the school to see it."
        return f"See it, and your other requests: {base}" + url_for(
            "public.person_permission", token=row.requester_person.token,
            public_id=row.public_id)
    if not base:
        return "Open Policy Kiosk on the school's network and sign in to see it."
    return f"Sign in to see it: {base}{url_for('auth.sign_in')}"


def _quoted(text: str) -> str:
    """Someone's words in an email, every line indented."""
    return textwrap.indent(text, "  ", lambda line: True).rstrip("\n")


def email_body(row: PermissionRequest) -> str:
    """What the requester is told: the decision in full (it is theirs), and where to see it."""
    lines = [f"Dear {row.requester_name},", "",
             f"You asked to post or publish on {row.where}:", _quoted(row.what), ""]
    if row.status == "approved":
        lines.append(f"The headteacher approved it, until {long_date(row.ends_on)}.")
        if row.conditions:
            lines += ["", "On these conditions:", _quoted(row.conditions)]
    elif row.status == "declined":
        lines += ["The headteacher declined it, because:", _quoted(row.reason)]
    else:
        question = [n for n in notes(row) if n.kind == "question"][-1]
        lines += ["The headteacher would like to know:", _quoted(question.text), "",
                  "Please answer, and the request goes back to the headteacher."]
    lines += ["", _where_to_read(row), ""]
    return "\n".join(lines)


def email_requester(row: PermissionRequest) -> str:
    """Email the requester the head's decision or question: "sent", "failed" or "no_mail" (no
    mail server set up). A failure is logged and audited, never raised: the decision is already
    saved and shown on their screen."""
    to = requester_email(row)
    if not to or not mail.configured():
        return "no_mail"
    with force_locale("en"):  # emails stay English (docs/TRANSLATING.md)
        message = mail.new_message(SUBJECTS[row.status], to, email_body(row))
    try:
        with mail.connection() as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        current_app.logger.error("Could not email the decision on a permission request: %s", error)
        audit.record("permission_email.failed", kind="permission_request",
                     record_id=row.public_id, error=str(error)[:200])
        return "failed"
    audit.record("permission_email.sent", kind="permission_request", record_id=row.public_id)
    return "sent"


# Checking a breach against the approvals -------------------------------------------------------

def approvals_for(name: str) -> list[PermissionRequest]:
    """The approvals the head gave someone of exactly this name, as every name search compares
    names (any case, any accents), newest first, up to 20. Only the whole name: a part of one
    ("Ann") would show anyone's approvals to whoever types it."""
    key = search_key(name or "")
    if not key:
        return []
    return list(PermissionRequest.select().where(PermissionRequest.status == "approved",
                                                 PermissionRequest.name_key == key)
                .order_by(PermissionRequest.decided_at.desc(), PermissionRequest.id.desc())
                .limit(20))


def held_on(row: PermissionRequest, day: dt.date) -> bool:
    """Whether an approval held on this day: given by then, and not yet ended."""
    return (row.status == "approved" and row.decided_at is not None and row.ends_on is not None
            and as_local(row.decided_at, school_zone()).date() <= day <= row.ends_on)


def check_for(name: str, day: dt.date, where: str) -> dict:
    """What a breach of posting without permission is checked against: the approvals given to
    this name, each said to hold on `day` or not; audited when it shows any (`where`: the breach
    form, where `day` is today, or the breach's page, where it is the day it happened)."""
    rows = approvals_for(name)
    if rows:
        audit.record("permission_request.list_viewed", kind="permission_request", list=where,
                     shown=[str(row.public_id) for row in rows])
    return {"name": name, "rows": rows, "held": {row.id: held_on(row, day) for row in rows},
            "on_the_day": where == "breach",
            "kept_for": retention.in_words(retention.days_for("permission_requests"))}
