"""A child told a member of staff something: recorded at once, and the DSL told at once.

The member of staff writes who told them, when, and (if they choose) the child's words; the
DSL gets a welfare task and an email with no details. When the child spoke about an adult who
works or volunteers at the school, the words and the adult's name go instead into a concern
about a member of staff for its case manager (KCSIE Part 4: the head, or the chair when it is
about the head), and the DSL's task says only that a child said something about an adult at
school and the case manager has the details.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from flask_babel import gettext as _

from . import alerts, audit
from .breaches import BreachDetails, store_breach
from .idempotency import create_once
from .models import Breach, BreachCategory, StaffUser, WelfareTask, utcnow

# The category a child's disclosure about an adult in school is logged as (seeded, restricted).
ABOUT_STAFF_CATEGORY = "child_about_staff"


@dataclass(frozen=True)
class DisclosureDetails:
    client_uuid: uuid.UUID
    child_name: str
    told_at: dt.datetime
    child_words: str = ""
    about_adult: str = "no"
    adult_name: str = ""
    safeguarding_ref: str = ""


def record_disclosure(user: StaffUser, details: DisclosureDetails, request_hash: str
                      ) -> tuple[WelfareTask, bool]:
    """Store the disclosure once per client UUID; return (task, created). Once it is stored the
    DSL is emailed, and the case manager too when it is about an adult at school."""
    task, created = create_once(WelfareTask, details.client_uuid, request_hash,
                                lambda: _create(user, details, request_hash))
    if created:
        alerts.alert_welfare_task(task)
        if task.breach_id is not None:
            alerts.alert_new_concern(task.breach)
    return task, created


def _create(user: StaffUser, details: DisclosureDetails, request_hash: str) -> WelfareTask:
    breach = None
    if details.about_adult in ("yes", "head"):
        breach = store_breach(user, BreachDetails(
            client_uuid=uuid.uuid5(details.client_uuid, "breach"), subject_kind="staff",
            category=BreachCategory.get(BreachCategory.slug == ABOUT_STAFF_CATEGORY),
            occurred_at=details.told_at, subject_name=details.adult_name,
            description=_for_the_case_manager(user, details),
            concerns_head=details.about_adult == "head"), request_hash)
    task = WelfareTask.create(
        client_uuid=details.client_uuid, request_hash=request_hash, kind="disclosure",
        breach=breach, concerns_head=bool(breach and breach.concerns_head),
        pupils=details.child_name, occurred_at=details.told_at,
        # About an adult at school, the words are the case manager's, not the DSL's.
        child_words="" if breach else details.child_words,
        safeguarding_ref=details.safeguarding_ref, created_by=user, created_at=utcnow())
    audit.record("welfare_task.created", kind="welfare_task", record_id=task.public_id,
                 actor=user, from_kind="disclosure")
    return task


def _for_the_case_manager(user: StaffUser, details: DisclosureDetails) -> str:
    # Stored in the concern's record, so in English whatever the page's language (i18n.py).
    words = details.child_words or "(The member of staff did not write down the child's words.)"
    return (f"{details.child_name} told {user.display_name} something about this adult.\n\n"
            f"The child's words, as written down:\n{words}")


def thanks_for(user: StaffUser, client_uuid: str) -> str | None:
    """What the thank-you says after this user's disclosure was saved (None if there is none)."""
    try:
        key = uuid.UUID(client_uuid)
    except ValueError:
        return None
    task = WelfareTask.get_or_none(WelfareTask.client_uuid == key, WelfareTask.created_by == user,
                                   WelfareTask.kind == "disclosure")
    if task is None:
        return None
    if task.breach_id is None:
        return _("Saved. The DSL has been told.")
    if Breach.get_by_id(task.breach_id).concerns_head:
        return _("Saved. The DSL has been told, and what the child said was passed on to the "
                 "chair of governors.")
    return _("Saved. The DSL has been told, and what the child said was passed on to the "
             "headteacher.")

