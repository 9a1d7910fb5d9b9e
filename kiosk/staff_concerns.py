"""Concerns about a member of staff, as their case manager handles them (KCSIE Part 4).

The case manager (the head; the chair of governors when the concern is about the head) first
classifies a concern: an allegation that may meet the harm threshold, a low-level concern, or
a breach of the policy that is not a safeguarding concern. Every classification is a new
history entry with its reason, never an edit of the one before. An allegation then has a LADO
referral due within one working day (`breaches.lado_deadline`), a decision on suspension or
alternatives, and closes with one of KCSIE's five outcomes: substantiated, unsubstantiated and
unfounded ones are kept until the person's normal pension age or ten years from the allegation,
whichever is later; malicious and false ones are removed at closing, unless the person asked in
writing for the record to be kept.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext as _

from . import audit, breaches, low_level
from .breaches import TriageError
from .display import long_date, school_zone
from .models import (
    Breach,
    RecordUpdate,
    StaffUser,
    WelfareTask,
    as_stored,
    db,
    utcnow,
)
from .retention import remove_breach
from .vocabulary import (
    ALLEGATION_OUTCOMES,
    CLASSIFICATIONS,
    HARM_TESTS,
    REMOVED_OUTCOMES,
    SUSPENSION_DECISIONS,
)

# How long an allegation that is not removed is kept, at the least (KCSIE Part 4).
KEPT_FOR_YEARS = 10

# History entries only the case manager reads: the classification and everything about an
# allegation. Whoever else may read a concern (the low-level-concerns lead) never sees them.
CASE_MANAGER_KINDS = ("classification", "suspension", "allegation_outcome", "kept_on_request",
                      "lado")




def history(breach: Breach, seen_by: StaffUser):
    """A breach's history as this person may read it (breaches.history): on a concern about
    staff, only its case manager reads the classification and the allegation's entries."""
    rows = breaches.history(breach, seen_by=seen_by)
    if breach.restricted and not breach.managed_by(seen_by):
        # The low-level-concerns lead: nothing written before it was a low-level concern.
        rows = rows.where(RecordUpdate.kind.not_in(CASE_MANAGER_KINDS),
                          low_level.while_low_level(breach))
    return rows


def _refuse_unless_case_manager(user: StaffUser, breach: Breach) -> None:
    # The views answer 404 first; this keeps the rule true for any other caller.
    if not breach.managed_by(user):
        # Not shown to anyone (the views answer 404 first), so not translated.
        raise PermissionError("Only the case manager handles a concern about a member of staff.")


# Classifying -------------------------------------------------------------------------------------

def classify(breach: Breach, user: StaffUser, classification: str, harm_tests: list[str],
             reason: str) -> RecordUpdate:
    """Classify (or reclassify) a concern about staff, with its reason; an allegation names the
    harm tests it may meet. A new history entry each time; the breach holds the latest."""
    _refuse_unless_case_manager(user, breach)
    if classification not in CLASSIFICATIONS:
        raise TriageError(_("Please choose what this is."), field="classification")
    if classification == "allegation":
        tests = [code for code in HARM_TESTS if code in set(harm_tests)]
        if not tests or len(tests) != len(set(harm_tests)):
            raise TriageError(_("Please tick at least one of the tests an allegation may meet."),
                              field="harm_tests")
    else:
        tests = []  # only an allegation meets the harm threshold: nothing to keep otherwise
    if not reason.strip():
        raise TriageError(_("Please give the reason for this decision."), field="reason")
    if breach.status == "closed":
        raise TriageError(_("It is closed. Reopen it first to classify it again."),
                          field="classification")
    detail = ",".join(tests)
    if classification == breach.classification and detail == _current_tests(breach):
        raise TriageError(_("It is already classified as that."), field="classification")
    now = utcnow()
    with db.atomic():
        since = breach.allegation_since
        if classification == "allegation" and since is None:
            # From the first classification: it was an allegation from the moment it was
            # logged. Otherwise from the moment the case manager saw it as one.
            since = breach.created_at if not breach.classification else now
        update = RecordUpdate.create(breach=breach, author=user, kind="classification",
                                     old_value=breach.classification, new_value=classification,
                                     detail=detail, text=reason.strip(), at=now)
        Breach.update(classification=classification, allegation_since=since).where(
            Breach.id == breach.id).execute()
        audit.record("breach.classified", kind="breach", record_id=breach.public_id,
                     old=breach.classification, new=classification)
    breach.classification, breach.allegation_since = classification, since
    return update


def _current_tests(breach: Breach) -> str:
    latest = classification_entry(breach)
    return latest.detail if latest else ""


def classification_entry(breach: Breach) -> RecordUpdate | None:
    """The latest classification, with its tests and reason; None before the first."""
    return (RecordUpdate.select().where(RecordUpdate.breach == breach,
                                        RecordUpdate.kind == "classification")
            .order_by(RecordUpdate.at.desc(), RecordUpdate.id.desc()).first())


# Suspension or alternatives ----------------------------------------------------------------------

def _refuse_unless_open_allegation(breach: Breach) -> None:
    if breach.classification != "allegation":
        raise TriageError(_("Only an allegation has this decision. Classify it first."))
    if breach.status == "closed":
        raise TriageError(_("It is closed."))


def decide_suspension(breach: Breach, user: StaffUser, decision: str, reason: str
                      ) -> RecordUpdate:
    """Record the decision on suspension or alternatives with its reason; a new decision is a
    new entry, the earlier ones stay."""
    _refuse_unless_case_manager(user, breach)
    _refuse_unless_open_allegation(breach)
    if decision not in SUSPENSION_DECISIONS:
        raise TriageError(_("Please choose a decision."), field="decision")
    if not reason.strip():
        raise TriageError(_("Please give the reason for this decision."), field="reason")
    with db.atomic():
        update = RecordUpdate.create(breach=breach, author=user, kind="suspension",
                                     new_value=decision, text=reason.strip())
        audit.record("breach.suspension_decided", kind="breach", record_id=breach.public_id,
                     decision=decision)
    return update


def suspension_decision(breach: Breach) -> RecordUpdate | None:
    """The decision in force: the latest one."""
    return (RecordUpdate.select().where(RecordUpdate.breach == breach,
                                        RecordUpdate.kind == "suspension")
            .order_by(RecordUpdate.at.desc(), RecordUpdate.id.desc()).first())


# Closing an allegation ---------------------------------------------------------------------------

@dataclass(frozen=True)
class AllegationClosing:
    outcome: str
    note: str
    pension_age_on: dt.date | None = None  # from their HR record
    kept_on_request: bool = False  # malicious or false, and they asked in writing to keep it
    requested_on: dt.date | None = None  # the date of their written request
    removal_confirmed: bool = False  # "I understand this record will be removed"

    @property
    def removed(self) -> bool:
        return self.outcome in REMOVED_OUTCOMES and not self.kept_on_request


def keep_until(since: dt.datetime, pension_age_on: dt.date) -> dt.datetime:
    """The later of the person's normal pension age (the start of that day at school) and ten
    years from the allegation (both stored as naive UTC)."""
    try:
        ten_years = since.replace(year=since.year + KEPT_FOR_YEARS)
    except ValueError:  # 29 February, ten years on, is 1 March
        ten_years = since.replace(year=since.year + KEPT_FOR_YEARS, month=3, day=1)
    pension = as_stored(dt.datetime.combine(pension_age_on, dt.time(0), school_zone()))
    return max(ten_years, pension)


def close_allegation(breach: Breach, user: StaffUser, closing: AllegationClosing) -> bool:
    """Close an allegation with one of KCSIE's outcomes and the outcome note. Returns True when
    the record was removed (malicious or false, not kept on the person's written request);
    otherwise it is kept to the later of pension age and ten years."""
    _refuse_unless_case_manager(user, breach)
    _refuse_unless_open_allegation(breach)
    if closing.outcome not in ALLEGATION_OUTCOMES:
        raise TriageError(_("Please choose the outcome."), field="outcome")
    if not closing.note.strip():
        raise TriageError(_("Please write the outcome before closing."), field="note")
    if closing.removed:
        if not closing.removal_confirmed:
            raise TriageError(_("Please tick to confirm that this record will be removed, or "
                                "record that they asked in writing for it to be kept."),
                              field="removal_confirmed")
        _remove(breach, closing.outcome)
        return True
    kept_on_request = closing.outcome in REMOVED_OUTCOMES
    if kept_on_request and closing.requested_on is None:
        raise TriageError(_("Please give the date of their written request."), field="requested_on")
    if kept_on_request and closing.requested_on > utcnow().date():
        raise TriageError(_("That date is in the future."), field="requested_on")
    if closing.pension_age_on is None:
        # The hint beside the field says why: it is kept until then, or ten years if later.
        raise TriageError(_("Please give the date they reach their normal pension age, from "
                            "their HR record."), field="pension_age_on")
    until = keep_until(breach.allegation_since or breach.created_at, closing.pension_age_on)
    with db.atomic():
        RecordUpdate.create(breach=breach, author=user, kind="allegation_outcome",
                            new_value=closing.outcome)
        if kept_on_request:
            RecordUpdate.create(breach=breach, author=user, kind="kept_on_request",
                                # Stored in the history: in English, not translated.
                                text=f"They asked in writing on {long_date(closing.requested_on)} "
                                     "for this record to be kept.")
        RecordUpdate.create(breach=breach, author=user, kind="status", old_value=breach.status,
                            new_value="closed", text=closing.note.strip())
        Breach.update(status="closed", allegation_outcome=closing.outcome, keep_until=until).where(
            Breach.id == breach.id).execute()
        audit.record("breach.allegation_closed", kind="breach", record_id=breach.public_id,
                     outcome=closing.outcome, kept_on_request=kept_on_request)
    breach.status, breach.allegation_outcome, breach.keep_until = "closed", closing.outcome, until
    return False


def _remove(breach: Breach, outcome: str) -> None:
    """A malicious or false allegation goes at closing: the breach, its history, its LADO
    referral and its deletion requests. A child's welfare task stays with the DSL, without the
    adult's name or its link to the breach. The audit event names no one."""
    with db.atomic():
        tasks = WelfareTask.select().where(WelfareTask.breach == breach).count()
        requests = remove_breach(breach)  # the welfare tasks stay, unlinked and without the name
        audit.record("allegation.removed", kind="breach", record_id=breach.public_id,
                     outcome=outcome, concerns_head=breach.concerns_head, deletion_requests=len(requests),
                     requests=[str(r.public_id) for r in requests], welfare_tasks=tasks)

