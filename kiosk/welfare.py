"""A child's welfare with the DSL: the welfare tasks.

A concern about a member of staff goes to its case manager alone (KCSIE Part 4), but a child it
involves must never be left behind: the DSL gets a welfare task naming the pupil(s), with what
the case manager says the DSL needs to know, and without the adult's name unless the case
manager chooses to share it. A child's disclosure ("A child told me something", `disclosures`)
is a welfare task too. The DSL follows each task to done, with notes and the reference of the
school's safeguarding system (CPOMS, MyConcern), where the full child-protection file is kept.
"""

from __future__ import annotations

import uuid

from flask_babel import gettext as _

from . import alerts, audit, paging
from .idempotency import create_once
from .models import Breach, RecordUpdate, StaffUser, WelfareTask, db, utcnow
from .vocabulary import WELFARE_STATUSES


class WelfareError(ValueError):
    """The change cannot be made; the message says why (shown beside the form's field)."""




# Made with the concern -------------------------------------------------------------------------

def open_for_concern(breach: Breach, author: StaffUser, pupils: str, client_uuid: uuid.UUID,
                     request_hash: str) -> WelfareTask:
    """A task for the DSL naming the pupil(s) a concern about staff involves; inside the caller's
    transaction. It holds no text of the concern and no name of the adult."""
    task = WelfareTask.create(
        client_uuid=client_uuid, request_hash=request_hash, kind="staff_concern", breach=breach,
        concerns_head=breach.concerns_head, pupils=pupils, occurred_at=breach.occurred_at,
        created_by=author, created_at=utcnow())
    audit.record("welfare_task.created", kind="welfare_task", record_id=task.public_id,
                 actor=author, from_kind="staff_concern")
    return task


def new_tasks_of(breach: Breach) -> list[WelfareTask]:
    """The tasks a newly logged breach made (to alert the DSL about, once it is stored)."""
    return list(WelfareTask.select().where(WelfareTask.breach == breach))


# What the DSL and the leads see ----------------------------------------------------------------

def tasks_for(user: StaffUser, status: str = "open", older: str | None = None,
              newer: str | None = None) -> paging.Page:
    """One page of the tasks this user may open, oldest waiting first; only those with
    `status` when it is one, else all."""
    query = WelfareTask.visible_to(user).select_extend(StaffUser).join(StaffUser)
    if status in WELFARE_STATUSES:
        query = query.where(WelfareTask.status == status)
    return paging.oldest_first(query, WelfareTask.created_at, older=older, newer=newer)


def waiting_count(user: StaffUser) -> int:
    """How many tasks wait for this user (the DSL; the head and chair for theirs)."""
    return WelfareTask.visible_to(user).where(WelfareTask.status == "open").count()


def tasks_of_breach(breach: Breach) -> list[WelfareTask]:
    """A concern's welfare tasks, for its case manager."""
    return list(WelfareTask.select().where(WelfareTask.breach == breach)
                .order_by(WelfareTask.created_at, WelfareTask.id))


def history(task: WelfareTask):
    """Everything added to a task, in order: the case manager's notes, a shared name, the DSL's
    notes, the safeguarding-system reference, done and reopened."""
    return (RecordUpdate.select(RecordUpdate, StaffUser).join(StaffUser)
            .where(RecordUpdate.welfare_task == task).order_by(RecordUpdate.at, RecordUpdate.id))


def shared_name(task: WelfareTask) -> str:
    """The adult's name, once the case manager shared it with the DSL; else ""."""
    entry = (RecordUpdate.select().where(RecordUpdate.welfare_task == task,
                                         RecordUpdate.kind == "name_shared").first())
    return entry.text if entry else ""


def _add(task: WelfareTask, user: StaffUser, kind: str, text: str = "", **values: str
         ) -> RecordUpdate:
    entry = RecordUpdate.create(welfare_task=task, author=user, kind=kind, text=text, **values)
    audit.record("welfare_task.updated", kind="welfare_task", record_id=task.public_id,
                 change=kind)
    return entry


# The case manager's part -----------------------------------------------------------------------

def _subject_name(breach: Breach) -> str:
    return breach.subject_staff.display_name if breach.subject_staff_id else breach.subject_name


def add_task(breach: Breach, user: StaffUser, pupils: str, client_uuid: uuid.UUID,
             request_hash: str) -> tuple[WelfareTask, bool]:
    """The case manager names pupil(s) the reporter did not: a new task for the DSL, made once
    per client UUID, and the DSL emailed once it is stored. Returns (task, created)."""
    if not breach.managed_by(user):
        raise WelfareError(_("Only the case manager can add a welfare task to this concern."))
    task, created = create_once(WelfareTask, client_uuid, request_hash,
                                lambda: open_for_concern(breach, user, pupils, client_uuid,
                                                         request_hash))
    if created:
        alerts.alert_welfare_task(task)
    return task, created


def add_welfare_note(task: WelfareTask, user: StaffUser, text: str) -> RecordUpdate:
    """What the DSL needs to know for the child's welfare, in the case manager's words."""
    if task.breach is None or not task.breach.managed_by(user):
        raise WelfareError(_("Only the case manager can add this."))
    with db.atomic():
        return _add(task, user, "welfare_note", text.strip())


def share_name(task: WelfareTask, user: StaffUser) -> RecordUpdate:
    """The case manager's decision that the DSL should know who the concern is about: the name
    is added to the task's history (audited). Once shared it stays shared."""
    if task.breach is None or not task.breach.managed_by(user):
        raise WelfareError(_("Only the case manager can share the name."))
    name = _subject_name(task.breach)
    if not name:
        raise WelfareError(_("No name was given for the member of staff, so there is none to "
                             "share."))
    if shared_name(task):
        raise WelfareError(_("The name is already shared with the DSL."))
    with db.atomic():
        entry = RecordUpdate.create(welfare_task=task, author=user, kind="name_shared", text=name)
        audit.record("welfare_task.name_shared", kind="welfare_task", record_id=task.public_id)
    return entry


# The DSL's part --------------------------------------------------------------------------------

def add_note(task: WelfareTask, user: StaffUser, text: str) -> RecordUpdate:
    """A note by whoever follows the task (the DSL); nothing earlier is changed."""
    with db.atomic():
        return _add(task, user, "note", text.strip())


def record_reference(task: WelfareTask, user: StaffUser, reference: str) -> RecordUpdate:
    """The school's safeguarding-system reference (CPOMS, MyConcern); a change is kept in the
    history with the one before."""
    reference = reference.strip()
    if reference == task.safeguarding_ref:
        raise WelfareError(_("That is already the reference."))
    with db.atomic():
        entry = _add(task, user, "safeguarding_ref", reference, old_value=task.safeguarding_ref[:40],
                     new_value=reference[:40])
        WelfareTask.update(safeguarding_ref=reference).where(WelfareTask.id == task.id).execute()
    task.safeguarding_ref = reference
    return entry


def change_status(task: WelfareTask, user: StaffUser, status: str, note: str = "") -> RecordUpdate:
    """Done, or open again."""
    if status not in WELFARE_STATUSES:
        raise WelfareError(_("Please choose to do or done."))
    if status == task.status:
        # Translators: the status is "to do" or "done", in lower case
        raise WelfareError(_("It is already marked %(status)s.",
                             status=str(WELFARE_STATUSES[status]).lower()))
    with db.atomic():
        entry = _add(task, user, "status", note.strip(), old_value=task.status, new_value=status)
        WelfareTask.update(status=status).where(WelfareTask.id == task.id).execute()
    task.status = status
    return entry
