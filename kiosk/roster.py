"""The roster: people in scope who are not one-off visitors, their personal links, who still has
to accept the current version, and reminders."""

from __future__ import annotations

import csv
import datetime as dt
import io
import secrets
import smtplib
from dataclasses import dataclass, field

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from peewee import Tuple, fn

from . import audit, mail, school
from .i18n import DEFAULT
from .models import (
    Acceptance,
    PolicyVersion,
    Reminder,
    RosterPerson,
    StaffUser,
    db,
    serialize,
    utcnow,
)
from .paging import PAGE_SIZE
from .text import clean_text, has_control_characters, normalise_email
from .vocabulary import ROSTER_ROLES

# Words a school might put in a spreadsheet's role column, and the role they mean.
ROLE_WORDS = {"pta": "pta", "pta member": "pta", "volunteer": "volunteer", "governor": "governor",
              "staff": "staff", "member of staff": "staff", "employee": "staff"}
MAX_IMPORT_ROWS = 2000
# The template the head downloads: the columns, and a line showing how one person is written.
# The byte-order mark makes Excel read it as UTF-8.
EXAMPLE_ROW = ("Sam Example", "sam.example@example.org", "volunteer")
IMPORT_TEMPLATE = "\ufeffname,email,role\r\n" + ",".join(EXAMPLE_ROW) + "\r\n"
_REMINDER_LOCK = 730_502  # any number, the same in every process


class RosterError(ValueError):
    """The change cannot be made; the message says why, in the page's language."""


def new_token() -> str:
    """The secret part of a personal link: unguessable, and safe in a URL."""
    return secrets.token_urlsafe(24)


def personal_link(person: RosterPerson, base: str | None = None) -> str:
    """The address that ties an acceptance to this person (for emails, letters and QR codes),
    at the address phones reach the kiosk on: the same as the poster's (`base`, else
    school.public_url())."""
    return (base or school.public_url()) + url_for("public.personal", token=person.token, lang=None)


def clean_email(raw: str) -> str:
    """A normalised, lower-case address, or RosterError with the reason."""
    # Only when an address is checked (the roster, staff accounts): 0.6 MiB no visitor needs.
    from email_validator import EmailNotValidError, validate_email

    try:
        return normalise_email(validate_email(raw.strip(), check_deliverability=False).normalized)
    except EmailNotValidError:
        raise RosterError(_("That is not an email address.")) from None


def shown_link(person: RosterPerson) -> str:
    """A person's personal link shown to the head, to print or send. Whoever holds it can accept
    in that person's name, so showing it is audited as handing links out is."""
    audit.record("roster.link_shown", kind="roster_person", record_id=person.id)
    return personal_link(person)


def new_link(person: RosterPerson) -> RosterPerson:
    """Replace a person's personal link (one that was shared or lost stops working)."""
    with db.atomic():
        RosterPerson.update(token=new_token()).where(RosterPerson.id == person.id).execute()
        audit.record("roster.new_link", kind="roster_person", record_id=person.id)
    return RosterPerson.get_by_id(person.id)


def add_person(full_name: str, email: str, role: str) -> RosterPerson:
    """Add one person by hand; the email must not be on the roster already."""
    if role not in ROSTER_ROLES:
        raise RosterError(_("Please choose a role."))
    email = clean_email(email)
    with db.atomic():
        if RosterPerson.select().where(RosterPerson.email == email).exists():
            raise RosterError(_("Someone with that email address is already on the roster."))
        person = RosterPerson.create(full_name=full_name, email=email, role=role, token=new_token())
        audit.record("roster.added", kind="roster_person", record_id=person.id, role=role)
    return person


# Importing a CSV ---------------------------------------------------------------------------------

@dataclass
class ImportRow:
    line: int
    full_name: str
    email: str
    role: str
    errors: list[str] = field(default_factory=list)
    existing: RosterPerson | None = None

    @property
    def action(self) -> str:
        if self.errors:
            return "error"
        if self.existing is None:
            return "add"
        changed = (self.existing.full_name, self.existing.role, self.existing.active) != (
            self.full_name, self.role, True)
        return "update" if changed else "unchanged"


def set_active(person: RosterPerson, active: bool) -> None:
    """Take someone off the roster (their records stay; their link stops working), or put them
    back."""
    with db.atomic():
        RosterPerson.update(active=active).where(RosterPerson.id == person.id).execute()
        audit.record("roster.activated" if active else "roster.deactivated",
                     kind="roster_person", record_id=person.id)
    person.active = active


def set_left_on(person: RosterPerson, day: dt.date | None) -> None:
    """Record the day someone stopped working or volunteering at the school (None: they have
    not); their low-level concerns come up for review from then (audited)."""
    with db.atomic():
        RosterPerson.update(left_on=day).where(RosterPerson.id == person.id).execute()
        audit.record("roster.left_on_set", kind="roster_person", record_id=person.id,
                     left_on=day.isoformat() if day else "")
    person.left_on = day


def parse_import(text: str) -> list[ImportRow]:
    """Read a CSV with columns name, email, role (a header row is expected); check every row."""
    try:
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    except csv.Error:
        raise RosterError(_("The file could not be read as CSV. Please save it as CSV UTF-8.")
                          ) from None
    if not rows:
        raise RosterError(_("The file is empty."))
    header = [cell.strip().lower() for cell in rows[0]]
    try:
        columns = {name: header.index(name) for name in ("name", "email", "role")}
    except ValueError:
        # Translators: name, email and role are the column names, as written in the file
        raise RosterError(_("The first row must name the columns: name, email, role.")) from None
    if len(rows) - 1 > MAX_IMPORT_ROWS:
        raise RosterError(_("Please import at most %(most)d people at a time.",
                            most=MAX_IMPORT_ROWS))
    if not any(cell.strip() for cells in rows[1:] for cell in cells):
        raise RosterError(_("There is nobody in the file: add a line for each person under the "
                            "first row."))
    parsed: list[ImportRow] = []
    seen: dict[str, int] = {}
    for line, cells in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        value = {name: cells[index].strip() if index < len(cells) else ""
                 for name, index in columns.items()}
        row = ImportRow(line=line, full_name=clean_text(value["name"]), email=value["email"],
                        role=ROLE_WORDS.get(value["role"].lower(), ""))
        if (value["name"], value["email"].lower(), value["role"].lower()) == EXAMPLE_ROW:
            row.errors.append(_("This is the template's example: replace it with a real person."))
            parsed.append(row)
            continue
        if not 2 <= len(row.full_name) <= 100:
            row.errors.append(_("The name must be between 2 and 100 characters."))
        if has_control_characters(value["name"]):
            row.errors.append(_("The name has characters that cannot be used."))
        try:
            row.email = clean_email(row.email)
        except RosterError as error:
            row.errors.append(str(error))
        if not row.role:
            # Translators: the roles as a spreadsheet may name them
            row.errors.append(_("The role '%(role)s' is not one of: PTA member, volunteer, "
                                "governor, staff.", role=value["role"]))
        if row.email in seen:
            row.errors.append(_("The same email is on line %(line)d.", line=seen[row.email]))
        seen.setdefault(row.email, line)
        if not row.errors:
            row.existing = RosterPerson.get_or_none(RosterPerson.email == row.email)
        parsed.append(row)
    return parsed


def apply_import(rows: list[ImportRow]) -> dict[str, int]:
    """Add new people and update existing ones (matched by email), never a duplicate; skip the
    rows with a problem. Returns how many were added, updated, unchanged and skipped."""
    good = [row for row in rows if not row.errors]
    if not good:
        raise RosterError(_("No row in the file can be imported: correct the problems listed "
                            "and choose the file again."))
    counts = {"add": 0, "update": 0, "unchanged": 0, "skipped": len(rows) - len(good)}
    with db.atomic():
        for row in good:
            counts[row.action] += 1
            if row.action == "add":
                RosterPerson.create(full_name=row.full_name, email=row.email, role=row.role,
                                    token=new_token())
            elif row.action == "update":
                RosterPerson.update(full_name=row.full_name, role=row.role, active=True).where(
                    RosterPerson.id == row.existing.id).execute()
        audit.record("roster.imported", kind="roster_person", **counts)
    return counts


# Where each person stands, and who has not accepted ------------------------------------------------

@dataclass(frozen=True)
class AcceptanceStatus:
    """Where one person on the roster stands with the policy: the newest version they accepted
    (None if none), when they accepted it, and whether it counts for the current policy."""

    version: int | None = None
    accepted_at: dt.datetime | None = None
    current: bool = False

    @property
    def kind(self) -> str:
        """"current", "older" or "never"."""
        if self.version is None:
            return "never"
        return "current" if self.current else "older"


NOT_ACCEPTED = AcceptanceStatus()


def acceptance_statuses(people=None) -> dict[int, AcceptanceStatus]:
    """Everyone on the roster (or these people: a list of their ids, or a query of them) who has
    accepted any version, by their id, from one query: the newest version each accepted and when
    (the last time, if they accepted it twice), and whether it counts for the current policy: the
    current version, or one that only minor changes have corrected since
    (PolicyVersion.current_acceptance_floor)."""
    floor = PolicyVersion.current_acceptance_floor()
    rows = (Acceptance.select(Acceptance.roster_person, PolicyVersion.number,
                              fn.MAX(Acceptance.accepted_at))
            .join(PolicyVersion)
            .where(Acceptance.roster_person.is_null(False) if people is None
                   else Acceptance.roster_person.in_(people))
            .group_by(Acceptance.roster_person, PolicyVersion.number)
            .tuples())
    newest: dict[int, tuple[int, dt.datetime]] = {}
    for person_id, number, accepted_at in rows:
        if person_id not in newest or number > newest[person_id][0]:
            newest[person_id] = (number, accepted_at)
    return {person_id: AcceptanceStatus(number, accepted_at,
                                        floor is not None and number >= floor.number)
            for person_id, (number, accepted_at) in newest.items()}


@dataclass(frozen=True)
class RosterPage:
    """One page of the roster in its order, each person with where they stand; `after` and
    `before` are the ids the "Next" and "Previous" links carry, when there is more that way."""

    people: list[tuple[RosterPerson, AcceptanceStatus]]
    after: int | None
    before: int | None


def listed_with_status(after: int | None = None, before: int | None = None,
                       size: int = PAGE_SIZE) -> RosterPage:
    """A page of the roster (those still on it first, then by name), each with where they
    stand: after the person `after` names, before the one `before` names, or the first. Read
    by keyset, so a trust's roster costs a page's worth, and their acceptances are looked up for
    the page's people only."""
    order = (~RosterPerson.active, RosterPerson.full_name, RosterPerson.id)
    key = Tuple(*order)
    anchor = RosterPerson.get_or_none(RosterPerson.id == (after or before or 0))
    query = RosterPerson.select()
    if anchor is not None:
        point = Tuple(not anchor.active, anchor.full_name, anchor.id)
        if after:
            rows = list(query.where(key > point).order_by(*order).limit(size + 1))
            more_after, more_before = len(rows) > size, True
            rows = rows[:size]
        else:
            rows = list(query.where(key < point).order_by(*(o.desc() for o in order))
                        .limit(size + 1))
            more_before, more_after = len(rows) > size, True
            rows = list(reversed(rows[:size]))
    if anchor is None or not rows:
        rows = list(query.order_by(*order).limit(size + 1))
        more_after, more_before = len(rows) > size, False
        rows = rows[:size]
    statuses = acceptance_statuses([p.id for p in rows])
    return RosterPage([(p, statuses.get(p.id, NOT_ACCEPTED)) for p in rows],
                      rows[-1].id if rows and more_after else None,
                      rows[0].id if rows and more_before else None)


@dataclass(frozen=True)
class Outstanding:
    person: RosterPerson
    status: AcceptanceStatus
    last_reminded_at: dt.datetime | None


def _accepted_current():
    """The roster people whose acceptance counts for the current policy (of the current version,
    or of the version a minor change corrected), as a subquery."""
    return (Acceptance.counting_as_current().select(Acceptance.roster_person)
            .where(Acceptance.roster_person.is_null(False)))


def accepted_count() -> tuple[int, int]:
    """How many people on the roster have accepted the current policy, and how many have not."""
    if PolicyVersion.current() is None:
        return 0, 0
    active = RosterPerson.select().where(RosterPerson.active == True)  # noqa: E712
    accepted = active.where(RosterPerson.id.in_(_accepted_current())).count()
    return accepted, active.count() - accepted


def outstanding(role: str | None = None) -> list[Outstanding]:
    """Active roster people who have not accepted the current policy, with the version they
    last accepted and when, and when they were last reminded. An acceptance of the version a
    minor change corrected still counts (PolicyVersion.current_acceptance_floor).

    Three queries whatever the years of acceptances: who is still to accept is the database's
    (NOT EXISTS over acceptance (roster_person_id, policy_version_id, accepted_at), migration
    014), and only their acceptances and reminders are read."""
    if PolicyVersion.current() is None:
        return []
    counting = (Acceptance.counting_as_current().select(Acceptance.id)
                .where(Acceptance.roster_person == RosterPerson.id))
    still_to_accept = (RosterPerson.select()
                       .where(RosterPerson.active == True, ~fn.EXISTS(counting)))  # noqa: E712
    if role in ROSTER_ROLES:
        still_to_accept = still_to_accept.where(RosterPerson.role == role)
    people = list(still_to_accept.order_by(RosterPerson.full_name, RosterPerson.id))
    if not people:
        return []
    ids = still_to_accept.select(RosterPerson.id)
    statuses = acceptance_statuses(ids)
    reminded = dict(Reminder.select(Reminder.person, fn.MAX(Reminder.sent_at))
                    .where(Reminder.person.in_(ids))
                    .group_by(Reminder.person).tuples())
    return [Outstanding(person=p, status=statuses.get(p.id, NOT_ACCEPTED),
                        last_reminded_at=reminded.get(p.id))
            for p in people]


def status_for(person: RosterPerson
               ) -> tuple[Acceptance | None, Acceptance | None, PolicyVersion | None]:
    """Their latest acceptance, the one that counts for the current policy (None if they need
    to accept it) and the current version: for their page on the roster."""
    return person.latest_acceptance(), person.current_acceptance(), PolicyVersion.current()


# Reminders ---------------------------------------------------------------------------------------

def can_remind(entry: Outstanding, now: dt.datetime | None = None) -> bool:
    """Never more often than KIOSK_REMINDER_MIN_DAYS."""
    if entry.last_reminded_at is None:
        return True
    gap = dt.timedelta(days=current_app.config["KIOSK_REMINDER_MIN_DAYS"])
    return (now or utcnow()) - entry.last_reminded_at >= gap


def send_reminders(sender: StaffUser, role: str | None = None) -> tuple[int, int, int]:
    """Email everyone outstanding who may be reminded now; return (sent, skipped, failed)."""
    if not mail.configured():
        raise RosterError(_("The kiosk cannot send email yet, so no reminders were sent. Ask "
                            "your IT support to connect the kiosk to the school's email server."))
    current = PolicyVersion.current()
    # Claim the reminders first, in one transaction (SQLite's is IMMEDIATE): a second request at
    # the same moment waits, then finds them claimed, so nobody gets two emails.
    with db.atomic():
        serialize(_REMINDER_LOCK)
        entries = outstanding(role)
        due = [entry for entry in entries if can_remind(entry)]
        claims = {entry.person.id: Reminder.create(person=entry.person, policy_version=current,
                                                   sent_by=sender) for entry in due}
    delivered: set[int] = set()
    try:
        with mail.connection() as smtp:
            for entry in due:
                try:
                    smtp.send_message(_reminder_message(entry.person, current))
                except (smtplib.SMTPException, ValueError) as error:
                    # This one was refused (or could not be made into an email): the rest go on.
                    current_app.logger.error("Reminder to %s failed: %s", entry.person.id, error)
                    continue
                delivered.add(entry.person.id)
    except (OSError, smtplib.SMTPException) as error:
        current_app.logger.error("Could not reach the mail server: %s", error)
    finally:
        # A reminder counts as sent only once the mail server took it, whatever went wrong
        # before then: the claim on every other one is let go, so it can be sent again.
        Reminder.delete().where(Reminder.id.in_(
            [claim.id for person_id, claim in claims.items() if person_id not in delivered])).execute()
    sent = len(delivered)
    failed = len(due) - sent
    audit.record("roster.reminded", kind="roster_person", sent=sent,
                 skipped=len(entries) - len(due), failed=failed)
    return sent, len(entries) - len(due), failed


# Without a mail server: letters to print, or the links to copy ------------------------------------

@dataclass(frozen=True)
class HandOut:
    """One person still to accept, with their personal link, for a letter or a list."""

    person: RosterPerson
    status: AcceptanceStatus
    link: str


HAND_OUT_WAYS = ("letters", "links")
# Letters are printed this many at a time: a printout a school's printer takes in one go, and a
# page that opens in a second or two however many are still to accept (each letter carries its
# own QR code).
LETTERS_A_PRINTOUT = 100


@dataclass(frozen=True)
class HandOutBatch:
    """Those still to accept shown at once: `items`, numbered `first` on of `total`."""

    items: list[HandOut]
    first: int  # the number of the first one here, counting from 1 (0 when there are none)
    total: int
    page: int = 1
    pages: int = 1

    @property
    def last(self) -> int:
        return self.first + len(self.items) - 1 if self.items else 0


def hand_out(way: str, role: str | None = None, page: int | None = None) -> HandOutBatch:
    """Those who still have to accept the current version, with their personal links, to print
    as letters or copy as a list: everyone, or with `page` that printout of letters
    (`LETTERS_A_PRINTOUT` a printout; a page past the last is the last). A personal link lets
    whoever holds it accept in that person's name, so showing them is audited as sending them
    is: how, how many, and whose (never names)."""
    if way not in HAND_OUT_WAYS:
        raise ValueError(way)
    entries = outstanding(role)
    total, pages, start = len(entries), 1, 0
    if page is not None:
        pages = max(1, -(-total // LETTERS_A_PRINTOUT))
        page = min(max(page, 1), pages)
        start = (page - 1) * LETTERS_A_PRINTOUT
        entries = entries[start:start + LETTERS_A_PRINTOUT]
    first = start + 1 if entries else 0
    if entries:
        shown = {"count": len(entries), "role": role if role in ROSTER_ROLES else "",
                 "people": [entry.person.id for entry in entries]}
        if len(entries) < total:
            shown.update(first=first, of=total)
        audit.record("roster.letters_shown" if way == HAND_OUT_WAYS[0] else "roster.links_shown",
                     kind="roster_person", **shown)
    return HandOutBatch([HandOut(entry.person, entry.status, personal_link(entry.person))
                         for entry in entries], first, total, page or 1, pages)


def _reminder_message(person: RosterPerson, version: PolicyVersion):
    """The reminder's email, in English whatever the language of the page that sent it."""
    with force_locale(DEFAULT):
        role = str(ROSTER_ROLES.get(person.role, "member of our school community")).lower()
    # The link only ever from the configured address, never the request's Host, which anyone
    # can write; without one (development) the email says where to go in words.
    base = school.configured_public_url()
    where = (f"please read it and accept it here (this link is yours; please do not share it):"
             f"\n\n{personal_link(person, base)}" if base else
             "please read it and accept it on Policy Kiosk at school: the school office can give "
             "you your own link to it.")
    return mail.new_message(
        f"Please read and accept {version.school}'s {version.title}", person.email,
        f"Dear {person.full_name},\n\n"
        f"{version.school} has published version {version.number} of its {version.title}. As a "
        f"{role}, {where}\n\nThank you.\n")
