"""Breaches of the policy: logging one, who may see it, triage, history and the LADO referral."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import fn

from . import alerts, audit, paging, welfare
from .deletions import DeletionDetails, request_deletion
from .display import local_time, school_zone
from .idempotency import create_once
from .models import (
    Acceptance,
    Breach,
    BreachCategory,
    DeletionRequest,
    LadoReferral,
    RecordUpdate,
    StaffUser,
    db,
    utcnow,
)
from .vocabulary import BREACH_STATUSES
from .working_days import after_one_working_day

# An acceptance's role, as the kind of person a breach is about.
SUBJECT_FOR_ROLE = {"visitor": "visitor", "parent": "parent", "pta": "pta_volunteer",
                    "volunteer": "pta_volunteer", "governor": "governor",
                    "contractor": "contractor", "staff": "staff", "other": "unknown"}


# Who will see a breach, in the words the details step shows as the record is filled in.
ONLY_THE_HEAD = _l("Only the headteacher will see this.")
ONLY_THE_CHAIR = _l("Only the chair of governors will see this.")
DSL_AT_ONCE = _l("The DSL will be told at once.")
DSL_AND_HEAD = _l("The DSL and the headteacher will see this.")


def is_restricted(subject_kind: str, category: BreachCategory) -> bool:
    """A concern about a member of staff goes to the head only (the chair if it is the head):
    KCSIE Part 4 makes the headteacher its case manager."""
    return category.restricted or subject_kind == "staff"


def category_fits(subject_kind: str, category: BreachCategory) -> bool:
    """A category about a member of staff (restricted) fits only a breach by a member of staff;
    every other category fits anyone, a member of staff too."""
    return subject_kind == "staff" or not category.restricted


def categories_for(subject_kind: str):
    """The categories in use that fit whom the breach is about, in the order staff see them."""
    categories = BreachCategory.in_use()
    if subject_kind != "staff":
        categories = categories.where(BreachCategory.restricted == False)  # noqa: E712
    return categories


def who_will_see(subject_kind: str, category: BreachCategory, *, safeguarding: bool = False,
                 concerns_head: bool = False) -> str:
    """One sentence: who this record goes to, by the same rules log_breach stores and
    Breach.visible_to and the alerts follow. `safeguarding` and `concerns_head` are the two
    ticks on the details step."""
    if is_restricted(subject_kind, category):
        return str(ONLY_THE_CHAIR if concerns_head else ONLY_THE_HEAD)
    if category.safeguarding or safeguarding:
        return str(DSL_AT_ONCE)
    return str(DSL_AND_HEAD)


@dataclass(frozen=True)
class BreachDetails:
    client_uuid: uuid.UUID
    subject_kind: str
    category: BreachCategory
    occurred_at: dt.datetime
    subject_name: str = ""
    acceptance: Acceptance | None = None
    location: str = ""
    description: str = ""
    actions: tuple[str, ...] = field(default_factory=tuple)
    flag_safeguarding: bool = False
    concerns_head: bool = False
    # The pupil(s) a concern about staff involves, as the member of staff wrote them: the DSL
    # gets a welfare task naming them (welfare.open_for_concern).
    pupils: str = ""

    @property
    def restricted(self) -> bool:
        """A concern about a member of staff goes to the head only (the chair if it is the head)."""
        return is_restricted(self.subject_kind, self.category)

    @property
    def about_the_head(self) -> bool:
        """Only a concern about staff can be about the head; anything else ticking it is ignored,
        so nobody can hide an ordinary concern from the DSL."""
        return self.concerns_head and self.restricted

    @property
    def safeguarding(self) -> bool:
        return self.category.safeguarding or self.flag_safeguarding


def log_breach(reporter: StaffUser, details: BreachDetails, request_hash: str) -> tuple[Breach, bool]:
    """Store a breach once per client UUID; return (breach, created).

    When the person was asked to delete material the category names, a deletion request is
    opened too, so the request is followed to the end; when a concern about staff names pupils,
    the DSL gets a welfare task for them. A new breach alerts whoever must know (once it is
    safely stored; a replay alerts no one again).
    """
    breach, created = create_once(Breach, details.client_uuid, request_hash,
                                  lambda: store_breach(reporter, details, request_hash))
    if created:
        alerts.alert_new_concern(breach)
        for task in welfare.new_tasks_of(breach):
            alerts.alert_welfare_task(task)
    return breach, created


THANKS = _l("Saved. Thank you.")


def thanks_for(breach: Breach) -> str:
    """What the thank-you says after saving, the same with or without the page's script: a
    concern about staff was received and passed on to its case manager."""
    if not breach.restricted:
        return str(THANKS)
    thanks = (_("Saved. Received and passed on to the chair of governors.") if breach.concerns_head
              else _("Saved. Received and passed on to the headteacher."))
    if welfare.new_tasks_of(breach):
        thanks += " " + _("The DSL has been told about the pupils involved.")
    return thanks


def store_breach(reporter: StaffUser, details: BreachDetails, request_hash: str) -> Breach:
    """The rows of a new breach, inside the caller's transaction (log_breach's, or a child's
    disclosure's); the caller alerts once it is stored."""
    breach = Breach.create(
        client_uuid=details.client_uuid, request_hash=request_hash, reporter=reporter,
        occurred_at=details.occurred_at,
        location=details.location, subject_kind=details.subject_kind,
        subject_name=details.subject_name or (details.acceptance.full_name if details.acceptance
                                              else ""),
        acceptance=details.acceptance, category=details.category,
        description=details.description, actions=",".join(details.actions),
        safeguarding=details.safeguarding, restricted=details.restricted,
        concerns_head=details.about_the_head, created_at=utcnow(),
    )
    audit.record("breach.created", kind="breach", record_id=breach.public_id, actor=reporter,
                 safeguarding=breach.safeguarding, restricted=breach.restricted)
    if "asked_to_delete" in details.actions and details.category.material:
        request_deletion(reporter, DeletionDetails(
            client_uuid=uuid.uuid5(details.client_uuid, "deletion"),
            material=details.category.material,
            material_location="device" if details.category.material == "photo" else "online",
            person_name=breach.subject_name, acceptance=details.acceptance,
            asked_at=details.occurred_at, breach=breach,
        ), request_hash)
    if details.pupils and breach.restricted:
        welfare.open_for_concern(breach, reporter, details.pupils,
                                 uuid.uuid5(details.client_uuid, "welfare"), request_hash)
    return breach


# Categories -------------------------------------------------------------------------------------

def save_category(category: BreachCategory | None, fill: Callable[[BreachCategory], None]
                  ) -> BreachCategory:
    """Save a category the head edited (`fill` puts the form's values on it), or add a new one
    at the end of the list; audited with what it now says."""
    with db.atomic():
        if category is None:
            last = BreachCategory.select(fn.MAX(BreachCategory.position)).scalar() or 0
            category = BreachCategory(slug=f"custom-{BreachCategory.select().count() + 1}",
                                      position=last + 1)
        fill(category)
        category.save()
        audit.record("category.saved", kind="breach_category", record_id=category.id,
                     label=category.label, safeguarding=category.safeguarding,
                     restricted=category.restricted, active=category.active)
    return category


# Who may see what -------------------------------------------------------------------------------

def own_reports(user: StaffUser, older: str | None = None, newer: str | None = None
                ) -> paging.Page:
    """One page of what this user reported, newest first (restricted ones shown only as
    received)."""
    return paging.newest_first(Breach.select(Breach, BreachCategory).join(BreachCategory)
                               .where(Breach.reporter == user), Breach.created_at,
                               older=older, newer=newer)


def own_saved(user: StaffUser, client_uuid: str) -> Breach | None:
    """A breach this user just saved, by the UUID their iPad made for it (None if not theirs)."""
    try:
        key = uuid.UUID(client_uuid)
    except ValueError:
        return None
    return Breach.get_or_none(Breach.client_uuid == key, Breach.reporter == user)


def new_concerns_count(user: StaffUser) -> int:
    """Open concerns waiting for this lead: safeguarding for the DSL, restricted for head/chair."""
    query = Breach.visible_to(user).where(Breach.status == "open")
    if user.role == "dsl":
        return query.where(Breach.safeguarding).count()
    if user.role in ("head", "chair"):
        return query.where(Breach.safeguarding | Breach.restricted).count()
    return 0


# Triage -----------------------------------------------------------------------------------------

class TriageError(ValueError):
    """The change cannot be made; the message says why, and `field` names the form field it is
    about when it is not the main choice (the page shows it there)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def change_status(breach: Breach, user: StaffUser, status: str, note: str) -> None:
    """Move a breach between open, in review and closed; closing needs an outcome note."""
    if status not in BREACH_STATUSES:
        raise TriageError(_("Please choose open, in review or closed."))
    if status == "closed" and breach.restricted and not breach.classification:
        raise TriageError(_("Classify it first: a concern about a member of staff is closed once "
                            "its case manager has said what it is."))
    if status == "closed" and breach.classification == "allegation" and breach.status != "closed":
        raise TriageError(_("An allegation is closed with one of its five outcomes: use "
                            "“Close the allegation” on this page."))
    if status == "closed" and not note.strip():
        raise TriageError(_("Please write the outcome before closing."), field="note")
    if status == breach.status:
        # Translators: the status is "open", "in review" or "closed", in lower case
        raise TriageError(_("It is already %(status)s.",
                            status=str(BREACH_STATUSES[status]).lower()))
    with db.atomic():
        RecordUpdate.create(breach=breach, author=user, kind="status", old_value=breach.status,
                            new_value=status, text=note.strip())
        Breach.update(status=status).where(Breach.id == breach.id).execute()
        audit.record("breach.status_changed", kind="breach", record_id=breach.public_id,
                     old=breach.status, new=status)
    breach.status = status


def add_note(breach: Breach, user: StaffUser, kind: str, text: str) -> RecordUpdate:
    """Add a note or an action taken; nothing earlier is changed."""
    if kind not in ("note", "action"):
        raise TriageError(_("Please choose a note or an action."))
    with db.atomic():
        update = RecordUpdate.create(breach=breach, author=user, kind=kind, text=text.strip())
        audit.record(f"breach.{kind}_added", kind="breach", record_id=breach.public_id)
    return update


def history(breach: Breach, seen_by: StaffUser | None = None):
    """Everything that happened to a breach, in order. A member of staff who reported it follows
    its status; the leads' notes are the leads' (their own notes they see)."""
    updates = (RecordUpdate.select(RecordUpdate, StaffUser).join(StaffUser)
               .where(RecordUpdate.breach == breach).order_by(RecordUpdate.at, RecordUpdate.id))
    if seen_by is not None and seen_by.role == "staff":
        updates = updates.where((RecordUpdate.kind == "status") | (RecordUpdate.author == seen_by))
    return updates


# The LADO ---------------------------------------------------------------------------------------

def lado_deadline(breach: Breach) -> dt.datetime | None:
    """When an allegation about a member of staff must be referred to the LADO by: one working
    day (weekends and England and Wales's bank holidays skipped) from when it became an
    allegation. None for anything that is not an allegation."""
    if not breach.restricted or breach.classification != "allegation" or not breach.allegation_since:
        return None
    return after_one_working_day(breach.allegation_since, school_zone())


def lado_referral(breach: Breach) -> LadoReferral | None:
    return LadoReferral.get_or_none(LadoReferral.breach == breach)


def lado_referrals_for(rows: list[Breach]) -> dict[int, LadoReferral]:
    """Each of these breaches' LADO referral (by breach id), in one query."""
    if not rows:
        return {}
    return {r.breach_id: r for r in
            LadoReferral.select().where(LadoReferral.breach.in_([b.id for b in rows]))}


def concerns_for(user: StaffUser, status: str, older: str | None = None,
                 newer: str | None = None) -> paging.Page:
    """One page of the breaches a lead may see, newest first; only those with `status` when it
    is one. `older`/`newer` name the record the page follows or comes before (paging.py)."""
    # With each breach's category in the same query: the list names every one.
    query = Breach.visible_to(user).select_extend(BreachCategory).join(BreachCategory)
    if status in BREACH_STATUSES:
        query = query.where(Breach.status == status)
    return paging.newest_first(query, Breach.created_at, older=older, newer=newer)


def lado_overdue(breach: Breach, referral: LadoReferral | None, now: dt.datetime | None = None) -> bool:
    """True when an allegation was not referred within one working day of becoming one. Closing
    it does not change that: KCSIE asks for every allegation to reach the LADO, so one closed
    without a referral stays flagged on its page and in the governors' count."""
    deadline = lado_deadline(breach)
    if deadline is None:
        return False
    if referral is not None and referral.referred_at is not None:
        return referral.referred_at > deadline
    return (now or utcnow()) > deadline


@dataclass(frozen=True)
class LadoDetails:
    referred_at: dt.datetime | None
    reference: str
    advice: str
    police_involved: bool
    outcome: str


def record_lado(breach: Breach, user: StaffUser, details: LadoDetails) -> LadoReferral:
    """Create or update the breach's LADO referral; each change is kept in the history."""
    if not breach.restricted:
        raise TriageError(_("Only a concern about a member of staff is referred to the LADO."))
    if breach.classification != "allegation":
        raise TriageError(_("Only an allegation is referred to the LADO: classify it first."))
    with db.atomic():
        referral = LadoReferral.get_or_none(LadoReferral.breach == breach) or LadoReferral(breach=breach)
        referral.referred_at = details.referred_at
        referral.reference = details.reference
        referral.advice = details.advice
        referral.police_involved = details.police_involved
        referral.outcome = details.outcome
        referral.updated_at = utcnow()
        referral.save()
        RecordUpdate.create(breach=breach, author=user, kind="lado", text=_lado_summary(details))
        audit.record("lado.recorded", kind="breach", record_id=breach.public_id)
    return referral


def _lado_summary(details: LadoDetails) -> str:
    # Kept as written in the history, so in the school's time and words (never UTC), and in
    # English: it is stored, not translated.
    parts = [f"Referred at {local_time(details.referred_at)}" if details.referred_at
             else "Not referred yet"]
    if details.reference:
        parts.append(f"reference {details.reference}")
    if details.police_involved:
        parts.append("police involved")
    if details.advice:
        parts.append(f"advice: {details.advice}")
    if details.outcome:
        parts.append(f"outcome: {details.outcome}")
    return "; ".join(parts)


def deletion_requests_for(breach: Breach, seen_by: StaffUser | None = None):
    """The deletion requests opened about a breach, earliest first; with `seen_by`, only those
    that person may open."""
    requests = (DeletionRequest.select().where(DeletionRequest.breach == breach)
                .order_by(DeletionRequest.asked_at))
    if seen_by is not None:
        requests = requests.where(DeletionRequest.id.in_(
            DeletionRequest.visible_to(seen_by).select(DeletionRequest.id)))
    return requests
