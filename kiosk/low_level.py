"""Low-level concerns about staff (KCSIE Part 4), and who a concern about staff is about.

A concern about a member of staff that its case manager classified as low-level is seen by the
case manager and by the school's low-level-concerns lead (a setting: the DSL by default, or the
head). Here: that setting and the pattern threshold, the conversation held and the actions
taken, the log and its pattern view per person (how many in the last twelve months, flagged at
the school's threshold), and the link from a concern to the account or roster person it is
about, which the pattern view, the chronology and retention (kept until the person leaves)
follow.
"""

from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass, field
from functools import reduce

from flask_babel import format_number, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import JOIN, Expression

from . import alerts, audit
from .breaches import TriageError
from .display import school_zone
from .models import (
    Breach,
    BreachCategory,
    RecordUpdate,
    RosterPerson,
    SchoolSettings,
    StaffUser,
    WelfareTask,
    as_local,
    db,
    utcnow,
)
from .text import SEARCH_KEY_LENGTH, search_key
from .vocabulary import LOW_LEVEL_LEADS

THRESHOLD_RANGE = (1, 20)
ENTRY_KINDS = {"conversation": _l("The conversation held"), "action": _l("An action taken")}


class LowLevelError(TriageError):
    """The change cannot be made; the message says why (shown beside the form's field, as a
    lead's other refusals on a breach are)."""




# The school's settings ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Settings:
    lead: str
    threshold: int


def settings() -> Settings:
    """Who leads on low-level concerns, and how many in twelve months flag a pattern."""
    row = SchoolSettings.select().order_by(SchoolSettings.id).first()
    if row is None:
        return Settings("dsl", 3)
    return Settings(row.low_level_lead, row.low_level_threshold)


def save_settings(lead: str, threshold: int) -> None:
    """Keep the head's choice of lead and threshold (audited with what changed)."""
    if lead not in LOW_LEVEL_LEADS:
        raise LowLevelError(_("Please choose who leads on low-level concerns."))
    if not THRESHOLD_RANGE[0] <= threshold <= THRESHOLD_RANGE[1]:
        raise LowLevelError(_("Please give a whole number from 1 to 20."))
    with db.atomic():
        row = SchoolSettings.select().order_by(SchoolSettings.id).first() or SchoolSettings()
        old = Settings(row.low_level_lead, row.low_level_threshold)
        row.low_level_lead, row.low_level_threshold = lead, threshold
        row.updated_at = utcnow()
        row.save()
        audit.record("low_level.settings_saved", kind="school_settings", record_id=row.id,
                     old_lead=old.lead, lead=lead, old_threshold=old.threshold,
                     threshold=threshold)


def may_see_log(user: StaffUser) -> bool:
    """The log is for the case managers (the head; the chair for concerns about the head) and
    the DSL when the DSL leads on low-level concerns."""
    return user.role in ("head", "chair") or (
        user.role == "dsl" and SchoolSettings.low_level_lead_role() == "dsl")


def may_record(user: StaffUser, breach: Breach) -> bool:
    """Its case manager and the lead may record the conversation held and actions taken on a
    low-level concern they can see (the caller has already checked it is visible)."""
    if not (breach.restricted and breach.classification == "low_level"):
        return False
    return breach.managed_by(user) or (
        user.role == "dsl" and SchoolSettings.low_level_lead_role() == "dsl"
        and not breach.concerns_head)


def seen_by_dsl(breach: Breach) -> bool:
    """A concern about staff the DSL sees too: a low-level one, not about the head, while the
    DSL leads on low-level concerns (Breach.visible_to's rule, for the page to say so)."""
    return (breach.restricted and breach.classification == "low_level"
            and not breach.concerns_head and SchoolSettings.low_level_lead_role() == "dsl")


# The conversation held and the actions taken ---------------------------------------------------

def add_entry(breach: Breach, user: StaffUser, kind: str, text: str) -> RecordUpdate:
    """Add "the conversation held" or "an action taken" to a low-level concern's history."""
    if not may_record(user, breach):
        raise LowLevelError(_("Only a low-level concern's case manager and lead can add this."))
    if kind not in ENTRY_KINDS:
        raise LowLevelError(_("Please choose the conversation held or an action taken."))
    if not text.strip():
        raise LowLevelError(_("Please write what was said or done."))
    with db.atomic():
        update = RecordUpdate.create(breach=breach, author=user, kind=kind, text=text.strip())
        if kind == "conversation":
            audit.record("breach.conversation_added", kind="breach", record_id=breach.public_id)
        else:
            audit.record("breach.action_added", kind="breach", record_id=breach.public_id)
    return update


# Who a concern is about --------------------------------------------------------------------------

# A school with at most this many people to choose from (staff accounts and the roster together)
# sees them all in one select, as before: 30 options are about 2 KB of page and a short scroll on
# an iPad, and a search box would only add a step. A bigger school or a trust (2,000 on the
# roster) searches by name instead, and sees at most SUBJECT_MATCHES of those found.
SUBJECT_ALL_MAX = 30
SUBJECT_MATCHES = 20


@dataclass(frozen=True)
class SubjectOffer:
    """Whom the link's select offers the case manager, and the words above it."""

    accounts: list[StaffUser]
    people: list[RosterPerson]
    searchable: bool  # too many to list: a search by name picks them
    search: str  # the name searched for, as typed; "" for none
    matched: int  # how many accounts and roster people hold the search in their name

    @property
    def heading(self) -> str:
        """What the select offers, in words (only when searching is offered)."""
        if not self.searchable:
            return ""
        if not self.search:
            return _("Find the person by name to choose them.")
        if not self.matched:
            return _("No staff account or roster entry has “%(search)s” in its name.",
                     search=self.search)
        if self.matched > SUBJECT_MATCHES:
            return ngettext("%(count)s person matches “%(search)s”: the first %(shown)d are "
                            "offered. Type more of the name to find someone else.",
                            "%(count)s people match “%(search)s”: the first %(shown)d are "
                            "offered. Type more of the name to find someone else.",
                            self.matched, count=format_number(self.matched), search=self.search,
                            shown=SUBJECT_MATCHES)
        return ngettext("%(count)s person matches “%(search)s”.",
                        "%(count)s people match “%(search)s”.", self.matched,
                        count=format_number(self.matched), search=self.search)


def _linkable_accounts():
    return StaffUser.listed().where(StaffUser.role != "chair")


def subject_offer(search: str = "", chosen: str = "") -> SubjectOffer:
    """Whom the case manager may link a concern to: every staff account but the chair's, and
    everyone on the roster (those who have left too: a concern can come after). A small school
    is offered them all; a bigger one those whose name holds `search` (part of it, any case, any
    accents), at most SUBJECT_MATCHES. The one `chosen` (the current link, or the value sent
    back with an error) is always offered, so re-showing the form never changes the choice."""
    total = _linkable_accounts().count() + RosterPerson.select().count()
    if total <= SUBJECT_ALL_MAX:
        return SubjectOffer(list(_linkable_accounts()), list(RosterPerson.listed()),
                            searchable=False, search="", matched=total)
    key = search_key(search)
    search = search.strip() if key else ""
    accounts: list[StaffUser] = []
    people: list[RosterPerson] = []
    matched = 0
    if key:
        # peewee escapes % and _ in the key, so "%" finds only a name holding a "%".
        found_accounts = _linkable_accounts().where(StaffUser.name_key.contains(key))
        found_people = RosterPerson.listed().where(RosterPerson.name_key.contains(key))
        accounts = list(found_accounts.limit(SUBJECT_MATCHES))
        people = list(found_people.limit(SUBJECT_MATCHES - len(accounts)))
        matched = found_accounts.count() + found_people.count()
    try:
        staff, person = _parse_link(chosen)
    except LowLevelError:
        staff, person = None, None
    if staff is not None and staff.id not in {u.id for u in accounts}:
        accounts.insert(0, staff)
    if person is not None and person.id not in {p.id for p in people}:
        people.insert(0, person)
    return SubjectOffer(accounts, people, searchable=True, search=search, matched=matched)


def subject_key(breach: Breach) -> str:
    """The value the link's select shows for a breach: "staff-3", "roster-5" or ""."""
    if breach.subject_staff_id:
        return f"staff-{breach.subject_staff_id}"
    if breach.subject_person_id:
        return f"roster-{breach.subject_person_id}"
    return ""


def _parse_link(choice: str) -> tuple[StaffUser | None, RosterPerson | None]:
    kind, _dash, number = (choice or "").partition("-")
    if not choice:
        return None, None
    if not (number.isascii() and number.isdigit()) or len(number) > 9 or kind not in (
            "staff", "roster"):  # "²" is a digit to Python, but not a number int() reads
        raise LowLevelError(_("Please choose someone from the list."))
    if kind == "staff":
        user = StaffUser.get_or_none(StaffUser.id == int(number), StaffUser.role != "chair")
        if user is None:
            raise LowLevelError(_("Please choose someone from the list."))
        return user, None
    person = RosterPerson.get_or_none(RosterPerson.id == int(number))
    if person is None:
        raise LowLevelError(_("Please choose someone from the list."))
    return None, person


def linked_name(breach: Breach) -> str:
    """The name of the account or roster person a concern is linked to ("" when none)."""
    if breach.subject_staff_id:
        return breach.subject_staff.display_name
    if breach.subject_person_id:
        return breach.subject_person.full_name
    return ""


def link_subject(breach: Breach, user: StaffUser, choice: str) -> bool:
    """Link a concern about staff to the account or roster person it is about (or remove the
    link); the name as typed stays as written. Only its case manager may; kept in the history.

    A concern linked to the headteacher's account is about the head, whoever logged it without
    saying so: it passes to the chair of governors, its case manager (KCSIE Part 4), with its
    welfare tasks, and the head can no longer open it. Returns True when it passed."""
    if not breach.managed_by(user):
        raise LowLevelError(_("Only the case manager can link who a concern is about."))
    staff, person = _parse_link(choice)
    if (staff.id if staff else None, person.id if person else None) == (
            breach.subject_staff_id, breach.subject_person_id):
        raise LowLevelError(_("It is already linked to them.") if choice
                            else _("It is not linked to anyone."))
    name = staff.display_name if staff else person.full_name if person else ""
    to_the_chair = staff is not None and staff.role == "head" and not breach.concerns_head
    with db.atomic():
        Breach.update(subject_staff=staff, subject_person=person).where(
            Breach.id == breach.id).execute()
        RecordUpdate.create(breach=breach, author=user, kind="subject_linked", text=name)
        audit.record("breach.subject_linked", kind="breach", record_id=breach.public_id,
                     linked="staff" if staff else "roster" if person else "")
        if to_the_chair:
            Breach.update(concerns_head=True).where(Breach.id == breach.id).execute()
            WelfareTask.update(concerns_head=True).where(WelfareTask.breach == breach).execute()
            audit.record("breach.passed_to_chair", kind="breach", record_id=breach.public_id)
    breach.subject_staff, breach.subject_person = staff, person
    if to_the_chair:
        breach.concerns_head = True
        alerts.alert_new_concern(breach)
    return to_the_chair


def linked_to_name(name: str) -> Expression:
    """Breaches whose linked account or roster person has this name (any case, any accents): the
    chronology finds a linked concern by the person's own name, whatever was typed when it was
    logged."""
    return (Breach.subject_staff.in_(StaffUser.select(StaffUser.id).where(StaffUser.named(name)))
            | Breach.subject_person.in_(RosterPerson.select(RosterPerson.id).where(
                RosterPerson.named(name))))


# Retention: kept until the person leaves ---------------------------------------------------------

def _left(today: dt.date) -> Expression:
    return (Breach.subject_staff.in_(StaffUser.select(StaffUser.id).where(
        StaffUser.left_on <= today))
        | Breach.subject_person.in_(RosterPerson.select(RosterPerson.id).where(
            RosterPerson.left_on <= today)))


def linked_low_level() -> Expression:
    """Low-level concerns linked to the person they are about: these follow the person."""
    return ((Breach.classification == "low_level")
            & (Breach.subject_staff.is_null(False) | Breach.subject_person.is_null(False)))


def review_rule(older_than_retention: Expression, today: dt.date) -> Expression:
    """When a restricted or safeguarding breach comes up for the head's review: a low-level
    concern linked to its person once they have left (whatever its age, and never before);
    anything else by the existing rule (`older_than_retention`)."""
    return ((linked_low_level() & _left(today))
            | (~linked_low_level() & older_than_retention))


def left_on(breach: Breach) -> dt.date | None:
    """The day the person a concern is linked to left (None when not linked or still here)."""
    if breach.subject_staff_id:
        return breach.subject_staff.left_on
    if breach.subject_person_id:
        return breach.subject_person.left_on
    return None


# The log and the pattern view --------------------------------------------------------------------

@dataclass
class Person:
    """One person's low-level concerns, as the viewer may see them."""

    key: str  # "staff-3", "roster-5", or "name-" and the name's search key (not linked)
    name: str
    linked: bool
    left_on: dt.date | None
    concerns: list[Breach] = field(default_factory=list)  # newest first
    recent: int = 0  # in the last twelve months
    flagged: bool = False


def twelve_months_before(today: dt.date) -> dt.date:
    """The same day a year earlier (28 February for 29 February)."""
    try:
        return today.replace(year=today.year - 1)
    except ValueError:
        return today.replace(year=today.year - 1, day=28)


# The longest key a person of the pattern view has ("name-" and a search key).
LONGEST_KEY = len("name-") + SEARCH_KEY_LENGTH


def _key(breach: Breach) -> str:
    return subject_key(breach) or "name-" + breach.name_key


def visible_concerns(viewer: StaffUser):
    """The low-level concerns this viewer may see, newest first, each with its category and
    the account or roster person it is linked to read in the same query (one query for the
    whole log, not two more for each person in it)."""
    return (Breach.visible_to(viewer).select_extend(BreachCategory, StaffUser, RosterPerson)
            .join(BreachCategory, on=Breach.category)
            .join_from(Breach, StaffUser, JOIN.LEFT_OUTER, on=Breach.subject_staff)
            .join_from(Breach, RosterPerson, JOIN.LEFT_OUTER, on=Breach.subject_person)
            .where(Breach.restricted, Breach.classification == "low_level")
            .order_by(Breach.occurred_at.desc(), Breach.id.desc()))


def pattern(viewer: StaffUser, now: dt.datetime | None = None) -> list[Person]:
    """Each person with low-level concerns the viewer may see: how many in the last twelve
    months, flagged at or over the school's threshold; flagged first, then the most recent."""
    zone = school_zone()
    today = as_local(now or utcnow(), zone).date()
    since = twelve_months_before(today)
    threshold = settings().threshold
    people: dict[str, Person] = {}
    for breach in visible_concerns(viewer):
        key = _key(breach)
        person = people.get(key)
        if person is None:
            person = people[key] = Person(
                key=key, name=linked_name(breach) or breach.subject_name or _("Name not given"),
                linked=bool(subject_key(breach)), left_on=left_on(breach))
        person.concerns.append(breach)
        if as_local(breach.occurred_at, zone).date() >= since:
            person.recent += 1
    for person in people.values():
        person.flagged = person.recent >= threshold
    return sorted(people.values(), key=lambda p: (not p.flagged, -p.recent, p.name.lower()))


def person(viewer: StaffUser, key: str, now: dt.datetime | None = None) -> Person | None:
    """One person of the pattern view, by key; None when the viewer sees nothing of theirs."""
    return next((p for p in pattern(viewer, now) if p.key == key), None)


def entries_for(concerns: list[Breach], viewer: StaffUser) -> dict[int, list[RecordUpdate]]:
    """The conversations held and actions taken on these concerns, by breach, oldest first (for
    the lead, only those written while it was a low-level concern: `while_low_level`)."""
    found: dict[int, list[RecordUpdate]] = {b.id: [] for b in concerns}
    for breach in concerns:
        rows = (RecordUpdate.select(RecordUpdate, StaffUser).join(StaffUser, on=RecordUpdate.author)
                .where(RecordUpdate.breach == breach, RecordUpdate.kind.in_(list(ENTRY_KINDS)))
                .order_by(RecordUpdate.at, RecordUpdate.id))
        if not breach.managed_by(viewer):
            rows = rows.where(while_low_level(breach))
        found[breach.id] = list(rows)
    return found


def while_low_level(breach: Breach) -> Expression:
    """A concern's history entries written while it was classified as a low-level concern. The
    lead reads only these: before (not classified yet, an allegation, a matter of conduct) it
    was its case manager's alone, and so is what was written then."""
    periods, start = [], None
    entries = list(RecordUpdate.select(RecordUpdate.id, RecordUpdate.new_value)
                   .where(RecordUpdate.breach == breach, RecordUpdate.kind == "classification")
                   .order_by(RecordUpdate.id))
    if not entries:  # classified without a history entry (set directly): as it stands now
        return RecordUpdate.id.is_null(breach.classification != "low_level")
    for entry in entries:
        if entry.new_value == "low_level" and start is None:
            start = entry.id
        elif entry.new_value != "low_level" and start is not None:
            periods.append((RecordUpdate.id > start) & (RecordUpdate.id < entry.id))
            start = None
    if start is not None:
        periods.append(RecordUpdate.id > start)
    return reduce(operator.or_, periods) if periods else (RecordUpdate.id.is_null())
