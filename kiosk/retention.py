"""How long personal data is kept, purging what is past it, and consistent backups.

Safeguarding and restricted breaches are never purged automatically: when their time is up they
are listed for the head, who keeps them for longer or deletes them.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from flask import has_app_context, has_request_context
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import ModelSelect, SqliteDatabase

from . import audit, low_level
from .display import school_zone
from .i18n import DEFAULT
from .models import (
    Acceptance,
    AuditEvent,
    Breach,
    Declaration,
    DeletionRequest,
    LadoReferral,
    PermissionNote,
    PermissionRequest,
    PolicyVersion,
    RecordUpdate,
    RetentionSetting,
    StaffUser,
    WelfareTask,
    as_local,
    db,
    utcnow,
)

# kind: (label, default days). The labels here stay English: the server's commands print them.
KINDS: dict[str, tuple[str, int]] = {
    "visitor_acceptances": ("Acceptances by one-off visitors", 365),
    "roster_acceptances": ("Acceptances by people on the roster", 6 * 365),
    "breaches": ("Breaches that are not a safeguarding matter", 6 * 365),
    "deletion_requests": ("Deletion requests not part of a breach", 2 * 365),
    "ended_declarations": ("Declarations of family links that have ended, or of staff who have "
                           "left", 365),
    "permission_requests": ("Requests to post about the school, once declined or ended",
                            2 * 365),
}
# The same labels as a page shows them, in the reader's language.
LABELS = {
    "visitor_acceptances": _l("Acceptances by one-off visitors"),
    "roster_acceptances": _l("Acceptances by people on the roster"),
    "breaches": _l("Breaches that are not a safeguarding matter"),
    "deletion_requests": _l("Deletion requests not part of a breach"),
    "ended_declarations": _l("Declarations of family links that have ended, or of staff who have "
                             "left"),
    "permission_requests": _l("Requests to post about the school, once declined or ended"),
}
MIN_DAYS, MAX_DAYS = 30, 50 * 365


def days_for(kind: str) -> int:
    setting = RetentionSetting.get_or_none(RetentionSetting.kind == kind)
    return setting.days if setting else KINDS[kind][1]


def all_settings() -> dict[str, int]:
    return {kind: days_for(kind) for kind in KINDS}


# A period is chosen in years and months and stored in days: twelve months are exactly a year.
def days_in(months: int) -> int:
    """The days a period of whole months is kept: 1 month is 30 days, 12 months 365."""
    return (months * 365 + 6) // 12  # to the nearest day, a half day up


def months_in(days: int) -> int:
    """The nearest whole number of months to a period in days."""
    return (days * 12 + 182) // 365  # to the nearest month, a half month up


def in_months(days: int) -> bool:
    """True when a period in days is exactly a number of months as the head chooses them."""
    return months_in(days) > 0 and days_in(months_in(days)) == days


def _years(n: int) -> str:
    return ngettext("%(num)d year", "%(num)d years", n)


def _months(n: int) -> str:
    return ngettext("%(num)d month", "%(num)d months", n)


def months_in_words(months: int) -> str:
    """"1 year", "18 months", "2 years and 6 months" (in the page's language)."""
    years, rest = divmod(months, 12)
    if rest == 0:
        return _years(years)
    if years < 2:
        return _months(months)
    # Translators: a period of time, e.g. "2 years and 6 months"
    return _("%(years)s and %(months)s", years=_years(years), months=_months(rest))


def in_words(days: int) -> str:
    """A retention period as a person says it: "1 year", "18 months", "6 weeks", "45 days", in
    the page's language (in English outside a request)."""
    if not has_request_context():  # the language is the request's: there is none to ask
        with force_locale(DEFAULT):
            return _in_words(days)
    return _in_words(days)


def _in_words(days: int) -> str:
    if in_months(days):
        return months_in_words(months_in(days))
    if days % 365 == 0:
        return _years(days // 365)
    # A period set in days before periods were chosen in months: near enough a number of months
    # is said in months; otherwise in weeks or days, never rounded into something untrue.
    months = round(days / 30.44)
    if months >= 2 and abs(months * 30.44 - days) <= 3:
        return months_in_words(months)
    if days % 7 == 0:
        return ngettext("%(num)d week", "%(num)d weeks", days // 7)
    return ngettext("%(num)d day", "%(num)d days", days)


def all_periods_in_words() -> dict[str, str]:
    """Each kind's period in words, as set now (for the privacy notice)."""
    return {kind: in_words(days) for kind, days in all_settings().items()}


def set_periods(days_by_kind: dict[str, int]) -> None:
    """Change the periods that differ from those set now, together (each change audited)."""
    with db.atomic():
        for kind, days in days_by_kind.items():
            if days != days_for(kind):
                set_days(kind, days)


# The clean-up is `purge`, run daily by the server's owner (see the README). If it has not run
# for longer than this, records past their period are not being removed and the head is told.
PURGE_EXPECTED_WITHIN = dt.timedelta(days=2)


def last_purged_at() -> dt.datetime | None:
    """When the daily clean-up last ran (from its audit event), or None if it never has.

    The newest such event by id, read backwards through the (action, id) index: only the
    clean-up's own events. (`MAX(at)` had SQLite walk the `at` index from the newest event
    back, through every event of the log when the clean-up has never run: 1.4 s at five million
    events, on the very page that says it has not run.)"""
    last = (AuditEvent.select(AuditEvent.at)
            .where(AuditEvent.action == "retention.purged",
                   ~AuditEvent.detail.contains('"stopped": true'))
            .order_by(AuditEvent.id.desc()).first())
    return last.at if last else None


def purge_overdue(last: dt.datetime | None, now: dt.datetime | None = None) -> bool:
    """True when the daily clean-up has never run or not run lately."""
    return last is None or (now or utcnow()) - last > PURGE_EXPECTED_WITHIN


def set_days(kind: str, days: int) -> None:
    """Change one retention period (audited)."""
    if kind not in KINDS:
        raise ValueError(kind)
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise ValueError(f"between {MIN_DAYS} and {MAX_DAYS} days")
    with db.atomic():
        old = days_for(kind)
        (RetentionSetting.insert(kind=kind, days=days, updated_at=utcnow())
         .on_conflict(conflict_target=[RetentionSetting.kind],
                      update={RetentionSetting.days: days, RetentionSetting.updated_at: utcnow()})
         .execute())
        audit.record("retention.changed", kind="retention_setting", record_id=kind, old=old, new=days)


def _cutoff(kind: str, now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(days=days_for(kind))


# The purge deletes this many records of a kind in one transaction. On SQLite a transaction
# holds the database's one write lock, so a kiosk's acceptance waits for the batch in hand (tens
# of milliseconds), never for the whole purge.
PURGE_BATCH = 2000
# Between batches the purge rests this long (seconds), so that a writer waiting in SQLite's busy
# handler, which sleeps up to 100 ms between tries, finds the lock free before the next batch.
PURGE_PAUSE = 0.1
# A batch that held the lock longer than this (seconds) makes the next one half the size, down to
# PURGE_SMALLEST_BATCH; a quick one (a quarter of it) lets the size grow back to the one asked
# for. On a loaded server the kiosk then waits for a small batch, and the purge takes longer.
PURGE_TRANSACTION_TARGET = 0.25
PURGE_SMALLEST_BATCH = 100
_clock = time.monotonic  # a module name of its own, for the tests to stand in for

# In the order they are deleted: a breach's deletion requests before it, and an acceptance only
# once the records that held it are gone.
PURGED_KINDS = ("deletion_requests", "breaches", "visitor_acceptances", "roster_acceptances",
                "ended_declarations", "permission_requests")


def _going_breach(now: dt.datetime):
    """A breach past its period that is not a safeguarding or restricted record."""
    return ~Breach.safeguarding & ~Breach.restricted & (Breach.created_at < _cutoff("breaches", now))


def _going_request(now: dt.datetime):
    """A deletion request past its period on its own, or one of a breach that goes."""
    standalone = (DeletionRequest.asked_at < _cutoff("deletion_requests", now)) & (
        DeletionRequest.breach.is_null())
    # is_null(False) first: a standalone request's NULL breach must make this false, not NULL.
    with_a_going_breach = DeletionRequest.breach.is_null(False) & DeletionRequest.breach.in_(
        Breach.select(Breach.id).where(_going_breach(now)))
    return standalone | with_a_going_breach


def _going_acceptance(kind: str, now: dt.datetime):
    """An acceptance past its period that no staying record holds (in SQL, row by row)."""
    is_roster = kind == "roster_acceptances"
    condition = (Acceptance.accepted_at < _cutoff(kind, now)) & Acceptance.roster_person.is_null(
        not is_roster)
    # An acceptance still pointed at by a record that stays is kept until that record goes.
    # Those records' acceptances are listed once (NOT IN a list the database builds once), not
    # looked for again for every old acceptance: most breaches name no acceptance, and SQLite's
    # statistics then make its planner read the whole breach table for each one. No NULL may
    # be in the lists: NOT IN a list holding a NULL is never true.
    held_by_breach = Breach.select(Breach.acceptance).where(
        Breach.acceptance.is_null(False) & ~_going_breach(now))
    held_by_request = DeletionRequest.select(DeletionRequest.acceptance).where(
        DeletionRequest.acceptance.is_null(False) & ~_going_request(now))
    condition &= Acceptance.id.not_in(held_by_breach) & Acceptance.id.not_in(held_by_request)
    if is_roster:
        # A roster person's acceptance of the current policy is their evidence: it stays however
        # short the retention period, or they would be asked to accept again. After a minor
        # change that is still their acceptance of the version it corrected.
        condition &= Acceptance.policy_version.not_in(
            PolicyVersion.counting_as_current().select(PolicyVersion.id))
    return condition


@dataclass(frozen=True)
class PurgePlan:
    """What is past its retention period, as queries of ids: nothing is loaded or deleted here.
    The purge asks them again before each batch, so what it deletes is what is due then."""

    deletion_requests: ModelSelect
    breaches: ModelSelect
    visitor_acceptances: ModelSelect
    roster_acceptances: ModelSelect
    ended_declarations: ModelSelect
    permission_requests: ModelSelect

    def counts(self, up_to: int | None = None) -> dict[str, int]:
        """How many of each would go, counted by the database; with `up_to`, counted no further
        than one past it (a page stays quick when a shorter period makes a million due)."""
        if up_to is None:
            return {kind: getattr(self, kind).count() for kind in PURGED_KINDS}
        return {kind: getattr(self, kind).limit(up_to + 1).count() for kind in PURGED_KINDS}

    def ids(self, kind: str, limit: int | None = None) -> list[int]:
        """The ids of those of a kind that would go (up to `limit` of them)."""
        return [row_id for (row_id,) in getattr(self, kind).limit(limit).tuples()]

    def breaches_listed(self) -> Iterator[tuple[uuid.UUID, dt.datetime]]:
        """Each breach that would go, oldest first: its reference and when it was logged."""
        return (Breach.select(Breach.public_id, Breach.created_at)
                .where(Breach.id.in_(self.breaches)).order_by(Breach.created_at, Breach.id)
                .tuples().iterator())


def plan_purge(now: dt.datetime | None = None) -> PurgePlan:
    """What is past its retention period (nothing is deleted here)."""
    now = now or utcnow()
    return PurgePlan(
        deletion_requests=DeletionRequest.select(DeletionRequest.id).where(_going_request(now)),
        breaches=Breach.select(Breach.id).where(_going_breach(now)),
        visitor_acceptances=Acceptance.select(Acceptance.id).where(
            _going_acceptance("visitor_acceptances", now)),
        roster_acceptances=Acceptance.select(Acceptance.id).where(
            _going_acceptance("roster_acceptances", now)),
        ended_declarations=Declaration.select(Declaration.id).where(_going_declaration(now)),
        permission_requests=PermissionRequest.select(PermissionRequest.id).where(
            _going_permission_request(now)))


def _going_permission_request(now: dt.datetime):
    """A request to post about the school past its period: counted from the refusal, from the
    last day an approval held, or, for a question never answered, from when the head asked it.
    One waiting for the head's decision is never purged."""
    cutoff = _cutoff("permission_requests", now)
    ended_before = (as_local(cutoff, school_zone()) if has_app_context() else cutoff).date()
    return (((PermissionRequest.status == "declined") & (PermissionRequest.decided_at < cutoff))
            | ((PermissionRequest.status == "approved")
               & (PermissionRequest.ends_on < ended_before))
            | ((PermissionRequest.status == "question")
               & (PermissionRequest.waiting_since < cutoff)))


def _going_declaration(now: dt.datetime):
    """A declaration of a family link that ended longer ago than its period, or whose member of
    staff left the school longer ago than that (they can no longer end it themselves); one
    still in force for someone still at the school is never purged, however old."""
    cutoff = _cutoff("ended_declarations", now)
    left_before = (as_local(cutoff, school_zone()) if has_app_context() else cutoff).date()
    leavers = StaffUser.select(StaffUser.id).where(StaffUser.left_on < left_before)
    return ((Declaration.ended_at.is_null(False) & (Declaration.ended_at < cutoff))
            | Declaration.declarer.in_(leavers))


def _delete_requests(ids: list[int]) -> dict[str, int]:
    RecordUpdate.delete().where(RecordUpdate.deletion_request.in_(ids)).execute()
    return {"deletion_requests": DeletionRequest.delete().where(DeletionRequest.id.in_(ids)).execute()}


def _delete_breaches(ids: list[int]) -> dict[str, int]:
    # Requests made for these breaches since the requests were purged go with them too.
    requests = [r for (r,) in DeletionRequest.select(DeletionRequest.id)
                .where(DeletionRequest.breach.in_(ids)).tuples()]
    removed = _delete_requests(requests) if requests else {}
    RecordUpdate.delete().where(RecordUpdate.breach.in_(ids)).execute()
    return {**removed, "breaches": Breach.delete().where(Breach.id.in_(ids)).execute()}


def _delete_acceptances(kind: str):
    def delete(ids: list[int]) -> dict[str, int]:
        return {kind: Acceptance.delete().where(Acceptance.id.in_(ids)).execute()}
    return delete


def _delete_permission_requests(ids: list[int]) -> dict[str, int]:
    PermissionNote.delete().where(PermissionNote.request.in_(ids)).execute()
    return {"permission_requests": PermissionRequest.delete().where(
        PermissionRequest.id.in_(ids)).execute()}


def _delete_declarations(ids: list[int]) -> dict[str, int]:
    return {"ended_declarations": Declaration.delete().where(Declaration.id.in_(ids)).execute()}


def _next_batch_size(size: int, took: float, largest: int) -> int:
    """Half the size after a batch slower than the target, double it (up to the size asked
    for) after a quick one."""
    if took > PURGE_TRANSACTION_TARGET:
        return max(min(PURGE_SMALLEST_BATCH, largest), size // 2)
    if took < PURGE_TRANSACTION_TARGET / 4:
        return min(largest, size * 2)
    return size


def purge(now: dt.datetime | None = None, batch_size: int = PURGE_BATCH,
          pause: float = PURGE_PAUSE) -> dict[str, int]:
    """Delete what is past its retention, up to `batch_size` records a transaction (fewer while
    transactions are slow) with a rest between, so the kiosk's writes are never held up for
    long; one audit event at the end with the counts (never names).

    If it stops part-way (a failure, the server shutting down), each batch done stays done and
    the next purge carries on from what is left. The event is still written for what was
    removed, marked as stopped, and the head is still told the clean-up is not running if it
    never finishes (`last_purged_at` counts only finished ones)."""
    now = now or utcnow()
    plan = plan_purge(now)
    removed = dict.fromkeys(PURGED_KINDS, 0)
    steps = (("deletion_requests", _delete_requests), ("breaches", _delete_breaches),
             ("visitor_acceptances", _delete_acceptances("visitor_acceptances")),
             ("roster_acceptances", _delete_acceptances("roster_acceptances")),
             ("ended_declarations", _delete_declarations),
             ("permission_requests", _delete_permission_requests))
    try:
        for kind, delete in steps:
            size = batch_size
            while True:
                started = _clock()
                with db.atomic():
                    ids = plan.ids(kind, size)
                    done = delete(ids) if ids else {}
                for key, count in done.items():
                    removed[key] += count
                if len(ids) < size:
                    break
                size = _next_batch_size(size, _clock() - started, batch_size)
                if pause:
                    time.sleep(pause)
    except BaseException:
        if any(removed.values()):
            audit.record("retention.purged", kind="purge", actor_label="purge", stopped=True, **removed)
        raise
    audit.record("retention.purged", kind="purge", actor_label="purge", **removed)
    return removed


# Safeguarding and restricted records: the head decides ---------------------------------------------

# An allegation about staff is never reviewed while it is open (KCSIE Part 4): closing it sets
# how long it is kept (keep_until), and it comes up only after that.
def _open_allegation():
    return (Breach.classification == "allegation") & (Breach.status != "closed")


def due_for_review(user: StaffUser, now: dt.datetime | None = None) -> list[Breach]:
    """Safeguarding or restricted breaches past the breach retention period and not kept on,
    among those this user may see (the chair decides about concerns about the head)."""
    now = now or utcnow()
    return list(Breach.visible_to(user).where(
        Breach.safeguarding | Breach.restricted,
        _past_its_time(now),
        Breach.keep_until.is_null() | (Breach.keep_until < now), ~_open_allegation(),
    ).order_by(Breach.created_at))


def due_for_review_by_anyone(now: dt.datetime | None = None) -> list[Breach]:
    """All of them, head's and chair's, for the purge command's summary (counts only)."""
    now = now or utcnow()
    return list(Breach.select().where(
        Breach.safeguarding | Breach.restricted, _past_its_time(now),
        Breach.keep_until.is_null() | (Breach.keep_until < now), ~_open_allegation()))


def _past_its_time(now: dt.datetime):
    """Older than the breach retention period; but a low-level concern linked to its person
    is kept while they work here, and reviewed once they have left (KCSIE Part 4)."""
    # The purge command runs without an app context: there, the day is UTC's (the same date as
    # the school's but for an hour around midnight in summer).
    day = as_local(now, school_zone()).date() if has_app_context() else now.date()
    return low_level.review_rule(Breach.created_at < _cutoff("breaches", now), day)


def keep(breach: Breach, years: int) -> None:
    """Keep a record under review for more years (audited)."""
    until = utcnow() + dt.timedelta(days=365 * years)
    with db.atomic():
        Breach.update(keep_until=until).where(Breach.id == breach.id).execute()
        audit.record("retention.kept", kind="breach", record_id=breach.public_id, years=years)


def delete_reviewed(breach: Breach) -> None:
    """The head decided this record may go: it, its history, its deletion requests, its LADO
    referral. The event names the requests that went with it, so that the log can still hide
    the events about a concern about the head once the concern itself is gone."""
    with db.atomic():
        rows = remove_breach(breach)
        audit.record("retention.deleted_after_review", kind="breach", record_id=breach.public_id,
                     deletion_requests=len(rows), requests=[str(r.public_id) for r in rows])


def remove_breach(breach: Breach) -> list[DeletionRequest]:
    """Delete a breach with its history, its deletion requests (and theirs) and its LADO
    referral; return the deletion requests that went. The caller audits why. A child's welfare
    task it made stays with the DSL, without the adult's name or its link to the breach."""
    with db.atomic():
        tasks = WelfareTask.select(WelfareTask.id).where(WelfareTask.breach == breach)
        RecordUpdate.delete().where(RecordUpdate.welfare_task.in_(tasks),
                                    RecordUpdate.kind == "name_shared").execute()
        # The welfare task's own entries stay the DSL's, no longer tied to the breach.
        RecordUpdate.update(breach=None).where(RecordUpdate.welfare_task.in_(tasks)).execute()
        WelfareTask.update(breach=None).where(WelfareTask.breach == breach).execute()
        rows = list(DeletionRequest.select().where(DeletionRequest.breach == breach))
        requests = [r.id for r in rows]
        RecordUpdate.delete().where(RecordUpdate.breach == breach).execute()
        if requests:
            RecordUpdate.delete().where(RecordUpdate.deletion_request.in_(requests)).execute()
            DeletionRequest.delete().where(DeletionRequest.id.in_(requests)).execute()
        LadoReferral.delete().where(LadoReferral.breach == breach).execute()
        Breach.delete().where(Breach.id == breach.id).execute()
    return rows


# Backups ----------------------------------------------------------------------------------------

class BackupError(Exception):
    """The backup cannot be made; the message says why."""


def backup_sqlite(target: Path) -> int:
    """Copy the live SQLite database with SQLite's online backup API (consistent even while the
    app writes); return the number of pages copied."""
    database = db.obj
    if not isinstance(database, SqliteDatabase):
        raise BackupError("This command backs up SQLite. For PostgreSQL use pg_dump "
                          "(see the README).")
    target.parent.mkdir(parents=True, exist_ok=True)
    # Created here, owner-only (it is full of personal data), and never over an existing file.
    try:
        os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        raise BackupError(f"{target} already exists; choose a new file name.") from None
    copy = sqlite3.connect(target)
    pages = 0

    def progress(status, remaining, total):
        nonlocal pages
        pages = total

    try:
        with copy:
            db.connection().backup(copy, progress=progress)
    finally:
        copy.close()
    audit.record("backup.made", kind="backup", actor_label="backup", pages=pages)
    return pages
