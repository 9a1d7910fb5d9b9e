"""The audit log as the head reads it: a sentence for each event, filters, pages, the last check.

`audit.py` keeps the chain (writing events, checking them, what the head may read); this module
puts its events into a school office's words. Every sentence is written here, in `describe`. A
record is named by what it is (a breach by its category and whom it was about, a deletion
request by its material and the person asked), never by a number or a code, and only as the
reader may see it: a record they may not open is "a breach", like one since deleted.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from . import audit, refusals
from .display import long_date, school_zone, short_time, to_local, weekday_date
from .models import (
    Acceptance,
    AuditEvent,
    Breach,
    BreachCategory,
    DeletionRequest,
    KioskDevice,
    PermissionRequest,
    RosterPerson,
    StaffUser,
    WelfareTask,
    as_stored,
)
from .retention import KINDS as RETENTION_KINDS
from .retention import in_words as period_in_words
from .vocabulary import ALLEGATION_OUTCOMES, BREACH_STATUSES, CLASSIFICATIONS, MATERIALS, OUTCOMES

PAGE_SIZE = 100


# Naming the records an event is about --------------------------------------------------------

def _detail(event: AuditEvent) -> dict:
    try:
        detail = json.loads(event.detail) if event.detail else {}
    except ValueError:
        return {}
    return detail if isinstance(detail, dict) else {}


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _number(value: object) -> int | None:
    text = str(value)
    return int(text) if text.isdigit() and len(text) < 10 else None


# Whom a breach was about, when no name was given.
SOMEONE = {"visitor": "a visitor", "parent": "a parent or carer",
           "pta_volunteer": "a PTA member or volunteer", "contractor": "a contractor",
           "staff": "a member of staff", "pupil": "a pupil", "governor": "a governor"}


def breach_name(breach: Breach) -> str:
    """‘Photographing or recording pupils or staff on a phone: Pat Visitor’."""
    who = breach.subject_name or SOMEONE.get(breach.subject_kind, "someone")
    return f"the breach ‘{breach.category.label}: {who}’"


def deletion_name(request: DeletionRequest) -> str:
    """‘Photo: Pat Visitor’."""
    return (f"the deletion request ‘{MATERIALS.get(request.material, 'Material')}: "
            f"{request.person_name or 'someone'}’")


class _Names:
    """Everything the sentences for some events name, looked up together (a few queries for a
    page of 100), and records only as the reader may see them."""

    def __init__(self, events: list[AuditEvent], reader: StaffUser) -> None:
        self.details = {event.id: _detail(event) for event in events}
        staff_ids = {e.actor_id for e in events if e.actor_id}
        staff_ids |= {_number(e.record_id) for e in events if e.record_kind == "staff_user"}
        emails = {str(self.details[e.id].get("email", "")) for e in events
                  if e.action == "signin.failed"}
        staff = StaffUser.select().where(StaffUser.id.in_(list(staff_ids - {None}))
                                         | StaffUser.email.in_(list(emails)))
        self.staff = {user.id: user for user in staff}
        self.by_email = {user.email: user for user in self.staff.values()}

        def keys(kind: str, filter_name: str) -> list[uuid.UUID]:
            """The records of this kind the events are about, or (the head's own readings of
            the log) were narrowed to."""
            named = [e.record_id for e in events if e.record_kind == kind]
            named += [self.details[e.id].get(filter_name) for e in events
                      if e.action == "audit.viewed"]
            return [key for value in named if value and (key := _uuid(value)) is not None]

        breaches = (Breach.visible_to(reader).select_extend(BreachCategory).join(BreachCategory)
                    .where(Breach.public_id.in_(keys("breach", "breach"))))
        self.breaches = {str(b.public_id): b for b in breaches}
        requests = DeletionRequest.visible_to(reader).where(
            DeletionRequest.public_id.in_(keys("deletion_request", "deletion")))
        self.requests = {str(r.public_id): r for r in requests}
        acceptances = Acceptance.select().where(Acceptance.client_uuid.in_(keys("acceptance", "")))
        self.acceptances = {str(a.client_uuid): a for a in acceptances}
        # The welfare tasks a list showed that this reader may not see (from a concern about
        # the head, when the head reads what the DSL's list showed): left out of its count.
        listed = [key for e in events if e.action == "welfare_task.list_viewed"
                  for value in _listed(self.details[e.id].get("shown"))
                  if (key := _uuid(value)) is not None]
        self.hidden_tasks: set[str] = set()
        if listed:
            existing = {str(t.public_id) for t in WelfareTask.select(WelfareTask.public_id)
                        .where(WelfareTask.public_id.in_(listed))}
            seen = {str(t.public_id) for t in WelfareTask.visible_to(reader)
                    .select(WelfareTask.public_id).where(WelfareTask.public_id.in_(listed))}
            self.hidden_tasks = existing - seen
        asked = [key for e in events if e.record_kind == "permission_request"
                 and (key := _uuid(e.record_id)) is not None]
        self.permissions = {str(r.public_id): r for r in PermissionRequest.select().where(
            PermissionRequest.public_id.in_(asked))} if asked else {}
        tablets = [key for e in events if e.record_kind == "kiosk_device"
                   and (key := _uuid(e.record_id)) is not None]
        self.devices = {str(d.public_id): d for d in KioskDevice.select().where(
            KioskDevice.public_id.in_(tablets))} if tablets else {}
        people = [_number(e.record_id) for e in events if e.record_kind == "roster_person"]
        self.people = {p.id: p for p in RosterPerson.select().where(
            RosterPerson.id.in_([n for n in people if n is not None]))}

    def actor(self, event: AuditEvent) -> str | None:
        user = self.staff.get(event.actor_id)
        return user.display_name if user else None

    def account(self, event: AuditEvent) -> str | None:
        user = self.staff.get(_number(event.record_id))
        return user.display_name if user else None

    def breach(self, event: AuditEvent, key: object = None) -> str:
        found = self.breaches.get(str(key or event.record_id))
        return breach_name(found) if found else "a breach"

    def request(self, event: AuditEvent, key: object = None) -> str:
        found = self.requests.get(str(key or event.record_id))
        return deletion_name(found) if found else "a deletion request"

    def permission(self, event: AuditEvent, by_requester: bool = False) -> str:
        """"Gina Governor's request to post on …"; "their request …" for what its requester
        may have done (`by_requester`) when they did."""
        found = self.permissions.get(str(event.record_id))
        if found is None:
            return "a request to post about the school"
        theirs = by_requester and (
            event.actor_id == found.requester_staff_id if event.actor_id is not None
            else found.requester_person_id is not None)
        whose = "their" if theirs else f"{found.requester_name}'s"
        return f"{whose} request to post on {found.where}"

    def device(self, event: AuditEvent) -> str:
        found = self.devices.get(str(event.record_id))
        return f"the kiosk device “{found.name}”" if found else "a kiosk device"

    def requester(self, event: AuditEvent, who: str) -> str:
        """Who asked or answered: a person on the roster is no member of staff."""
        if event.actor_id is not None:
            return who
        found = self.permissions.get(str(event.record_id))
        return found.requester_name if found else "Someone whose request has since been removed"

    def person(self, event: AuditEvent) -> str:
        found = self.people.get(_number(event.record_id))
        return found.full_name if found else "someone on the roster"


# Sentences --------------------------------------------------------------------------------------

def _figure(number: object) -> str:
    """A count from an event's detail; anything else (a damaged entry) reads as 0."""
    return f"{number if isinstance(number, int) else 0:,}"


def _count(number: object, one: str, many: str | None = None) -> str:
    n = number if isinstance(number, int) else 0
    return f"{_figure(n)} {one if n == 1 else (many or one + 's')}"


def _shown(listed: object) -> str:
    """How many records a list showed: "none shown", "3 shown"."""
    n = len(listed) if isinstance(listed, list) else 0
    return f"{n:,} shown" if n else "none shown"


def _listed(value: object) -> list:
    """The records a list event showed (nothing, for a damaged entry)."""
    return value if isinstance(value, list) else []


def _listing(items: list[str]) -> str:
    """"a, b and c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _first_lower(text: str) -> str:
    return text[:1].lower() + text[1:]


STAFF_ROLE_WORDS = {"staff": "a member of staff", "dsl": "the Designated Safeguarding Lead",
                    "head": "the headteacher", "chair": "the chair of governors"}
ROSTER_ROLE_WORDS = {"pta": "a PTA member", "volunteer": "a volunteer", "governor": "a governor",
                     "staff": "a member of staff"}
CHANNEL_WORDS = {"kiosk": "on the entrance tablet", "phone": "on their own phone",
                 "link": "through their personal link"}
CONCERN_LISTS = {"open": "open concerns", "in_review": "concerns in review",
                 "closed": "closed concerns", "all": "all concerns"}
SCHOOL_DETAILS = {"school_name": "the school's name", "dsl_name": "the DSL's name",
                  "public_url": "the address phones open", "thanks_next_step": "the thank-you message",
                  "privacy_contact": "the privacy contact", "logo": "the logo",
                  "dsl_photo": "the DSL's photo", "review_due": "the policy's review date"}
PURGED = {"visitor_acceptances": ("acceptance by a one-off visitor", "acceptances by one-off visitors"),
          "roster_acceptances": ("acceptance by someone on the roster",
                                 "acceptances by people on the roster"),
          "breaches": ("breach", "breaches"),
          "deletion_requests": ("deletion request", "deletion requests"),
          "ended_declarations": ("ended declaration of a family link",
                                 "ended declarations of family links"),
          "permission_requests": ("request to post about the school",
                                  "requests to post about the school")}
CHECK_FOUND = {"changed": "an entry had been changed after it was written",
               "out_of_order": "an entry was missing or out of order",
               "unsealed": "the entries were not sealed with the school's own key",
               "removed": "entries had been removed from the end of the log",
               "rewritten": "the log had been rewritten since it was last written down outside "
                            "the database",
               "checkpoint_damaged": "the record of the log kept outside the database had been "
                                     "altered"}

# The pages a refused visit may have been to, by the start of their address.
PAGES = [
    ("/admin/audit", "the audit log"), ("/admin/staff", "the staff accounts"),
    ("/admin/categories", "the breach categories"), ("/admin/roster", "the roster"),
    ("/admin/policy", "the policy versions"), ("/admin/retention", "how long records are kept"),
    ("/admin/setup", "the school's set-up"), ("/admin/chair", "the chair of governors' page"),
    ("/admin/family-links", "the declarations of family links"),
    ("/admin", "the headteacher's pages"),
    ("/reports/subject-access", "a subject access request"),
    ("/reports/chronology", "a person's chronology"),
    ("/reports/evidence", "a person's evidence of acceptance"), ("/reports", "the reports"),
    ("/records/concerns", "the list of concerns"), ("/records/breaches", "a breach"),
    ("/records/welfare", "the welfare tasks"), ("/staff/disclosures", "what a child told them"),
    ("/records/deletions", "the deletion requests"), ("/staff/breaches", "logging a breach"),
    ("/staff/deletions", "recording a deletion request"),
    ("/staff/family-links", "their declarations of family links"), ("/staff", "the staff pages"),
    ("/api", "sending a record saved on an iPad"), ("/account", "changing a password"),
]


def _page(path: str) -> str:
    return next((words for start, words in PAGES if path.startswith(start)), "a page")


Sentence = Callable[[AuditEvent, dict, _Names, str], str]
SENTENCES: dict[str, Sentence] = {}


def _says(*actions: str) -> Callable[[Sentence], Sentence]:
    def register(sentence: Sentence) -> Sentence:
        for action in actions:
            SENTENCES[action] = sentence
        return sentence
    return register


@_says("signin")
def _signed_in(e, d, n, who):
    return f"{who} signed in."


@_says("signout")
def _signed_out(e, d, n, who):
    return f"{who} signed out."


@_says("signin.failed")
def _sign_in_failed(e, d, n, who):
    email = str(d.get("email", ""))
    account = n.by_email.get(email)
    if account:
        return f"Someone tried and failed to sign in as {account.display_name}."
    if email:
        return f"Someone tried and failed to sign in as ‘{email}’, which is not a staff account."
    return "Someone tried and failed to sign in."


@_says("signin.rate_limited")
def _rate_limited(e, d, n, who):
    return "Signing in was paused for a while after too many tries in a short time."


@_says("access.refused")
def _refused(e, d, n, who):
    if e.record_kind == "page":
        page = _page(e.record_id)
        if e.actor_id is None:
            return f"Someone who was not signed in tried to open {page}."
        return f"{who} tried to open {page}, which their role does not allow."
    if e.record_kind == "staff_user":
        return f"{who} tried to change the chair of governors' account, which only IT support can do."
    if e.record_kind == "breach":
        return f"{who} tried to open {n.breach(e)}, which they may not see."
    if e.record_kind == "deletion_request":
        return f"{who} tried to open {n.request(e)}, which they may not see."
    return f"{who} tried to open something they may not see."


def _stored(value: object) -> dt.datetime | None:
    """A stored (naive UTC) time an event's detail keeps as text, or None if damaged."""
    try:
        return dt.datetime.fromisoformat(str(value)).replace(tzinfo=None)
    except ValueError:
        return None


@_says("access.refused_anonymous")
def _refused_anonymous(e, d, n, who):
    start, end = _stored(d.get("start")), _stored(d.get("end"))
    when = (f" between {short_time(start)} and {short_time(end)} on "
            f"{weekday_date(to_local(start).date())}" if start and end else "")
    refused = d.get("refused") if isinstance(d.get("refused"), int) else 0
    limited = d.get("limited") if isinstance(d.get("limited"), int) else 0
    waited = f" {_figure(limited)} of them came too fast and were told to wait." if limited else ""
    return (f"{_count(refused, 'request')} for staff pages from people who were not signed in "
            f"{'was' if refused == 1 else 'were'} refused{when}.{waited}")


@_says("account.created")
def _account_created(e, d, n, who):
    whom = n.account(e) or str(d.get("email") or "someone")
    role = STAFF_ROLE_WORDS.get(d.get("role"), "a member of staff")
    if e.actor_id is None:
        return f"An account was made for {whom} as {role}."
    return f"{who} added an account for {whom} as {role}."


@_says("account.password_changed")
def _password_changed(e, d, n, who):
    whom = n.account(e) or "someone"
    if d.get("by_reset"):
        return f"{who} gave {whom} a new temporary password."
    if e.actor_id is not None and str(e.actor_id) == e.record_id:
        return f"{who} changed their password."
    return f"{whom}'s password was changed."


@_says("account.activated")
def _account_activated(e, d, n, who):
    return f"{who} let {n.account(e) or 'someone'} sign in again."


@_says("account.deactivated")
def _account_deactivated(e, d, n, who):
    return f"{who} deactivated {n.account(e) or 'someone'}'s account and signed them out."


@_says("second_factor.set_up")
def _second_factor_set_up(e, d, n, who):
    return f"{who} set up two-step sign-in."


_CODE_REFUSED = {"wrong": "a wrong code", "reused": "a code that had already been used",
                 "recovery": "a recovery code that was wrong or already used"}


@_says("second_factor.failed")
def _second_factor_failed(e, d, n, who):
    whom = n.account(e) or "someone"
    code = _CODE_REFUSED.get(d.get("reason"), "a wrong code")
    if d.get("stage") == "setup":
        return f"Someone setting up two-step sign-in for {whom} gave {code}."
    return f"Someone signed in with {whom}'s password but gave {code}."


@_says("second_factor.recovery_used")
def _second_factor_recovery_used(e, d, n, who):
    left = _number(d.get("left"))
    codes = f"{left} left" if left is not None else "some left"
    return f"{who} signed in with a recovery code ({codes})."


@_says("second_factor.reset")
def _second_factor_reset(e, d, n, who):
    whom = n.account(e) or "someone"
    if e.actor_id is None:
        return f"{whom}'s two-step sign-in was reset by IT support."
    return f"{who} reset {whom}'s two-step sign-in."


@_says("acceptance.created")
def _accepted(e, d, n, who):
    version = d.get("policy_version")
    what = f"the policy (version {version})" if version else "the policy"
    where = CHANNEL_WORDS.get(d.get("channel"), "")
    acceptance = n.acceptances.get(e.record_id)
    if acceptance is None:
        return f"Someone whose record has since been removed accepted {what} {where}.".replace(" .", ".")
    return f"{acceptance.full_name} accepted {what} {where}.".replace(" .", ".")


@_says("breach.created")
def _breach_logged(e, d, n, who):
    kinds = [words for flag, words in (("safeguarding", "a safeguarding matter"),
                                       ("restricted", "a concern about a member of staff"))
             if d.get(flag)]
    return f"{who} logged {n.breach(e)}{' as ' + _listing(kinds) if kinds else ''}."


@_says("breach.list_viewed")
def _breach_list(e, d, n, who):
    shown = _shown(d.get("shown"))
    listed = str(d.get("list", ""))
    if listed == "own":
        return f"{who} looked at their own reports ({shown})."
    which = CONCERN_LISTS.get(listed.partition(":")[2], "concerns")
    return f"{who} looked at the list of {which} ({shown})."


@_says("breach.viewed")
def _breach_viewed(e, d, n, who):
    if d.get("page") == "deletion form":
        return f"{who} opened {n.breach(e)} to record a deletion request."
    return f"{who} viewed {n.breach(e)}."


@_says("breach.status_changed")
def _status(e, d, n, who):
    old = BREACH_STATUSES.get(d.get("old"), "").lower()
    new = BREACH_STATUSES.get(d.get("new"), "").lower()
    if old and new:
        return f"{who} changed {n.breach(e)} from {old} to {new}."
    return f"{who} changed the status of {n.breach(e)}."


@_says("breach.note_added")
def _note(e, d, n, who):
    return f"{who} added a note to {n.breach(e)}."


@_says("breach.action_added")
def _action(e, d, n, who):
    return f"{who} recorded an action taken on {n.breach(e)}."


@_says("lado.recorded")
def _lado(e, d, n, who):
    return f"{who} recorded the LADO referral for {n.breach(e)}."


def _classification_words(code: object) -> str:
    words = CLASSIFICATIONS.get(str(code), "")
    return words[:1].lower() + words[1:]


@_says("breach.classified")
def _classified(e, d, n, who):
    new, old = _classification_words(d.get("new")), _classification_words(d.get("old"))
    if old and new:
        return f"{who} reclassified {n.breach(e)} from {old} to {new}."
    if new:
        return f"{who} classified {n.breach(e)} as {new}."
    return f"{who} classified {n.breach(e)}."


@_says("breach.suspension_decided")
def _suspension(e, d, n, who):
    return f"{who} recorded the decision on suspension or alternatives for {n.breach(e)}."


@_says("breach.allegation_closed")
def _allegation_closed(e, d, n, who):
    outcome = ALLEGATION_OUTCOMES.get(str(d.get("outcome")), "").lower()
    kept = ", kept because the person asked in writing" if d.get("kept_on_request") else ""
    return (f"{who} closed {n.breach(e)} as {outcome}{kept}." if outcome
            else f"{who} closed {n.breach(e)}.")


@_says("allegation.removed")
def _allegation_removed(e, d, n, who):
    outcome = ALLEGATION_OUTCOMES.get(str(d.get("outcome")), "").lower()
    with_requests = (f", with its {_count(d.get('deletion_requests'), 'deletion request')}"
                     if d.get("deletion_requests") else "")
    closed = f"closed an allegation as {outcome}" if outcome else "closed an allegation"
    return f"{who} {closed} and removed it, as Keeping Children Safe in Education asks{with_requests}."


@_says("alert.sent")
def _alert_sent(e, d, n, who):
    people = _count(d.get("recipients"), "person", "people")
    return f"An email alert about {n.breach(e)} was sent to {people}."


@_says("alert.failed")
def _alert_failed(e, d, n, who):
    return (f"The email alert about {n.breach(e)} could not be sent. Ask your IT support to "
            "check the school's email settings.")


@_says("deletion_request.created")
def _request_made(e, d, n, who):
    return f"{who} recorded {n.request(e)}."


@_says("deletion_request.list_viewed")
def _request_list(e, d, n, who):
    return f"{who} looked at the list of deletion requests ({_shown(d.get('shown'))})."


@_says("deletion_request.viewed")
def _request_viewed(e, d, n, who):
    return f"{who} viewed {n.request(e)}."


@_says("deletion_request.outcome")
def _outcome(e, d, n, who):
    new = OUTCOMES.get(d.get("new"), "")
    old = OUTCOMES.get(d.get("old"), "")
    if not new:
        return f"{who} recorded the outcome of {n.request(e)}."
    was = f" (it was {old.lower()})" if old else ""
    return f"{who} recorded the outcome of {n.request(e)}: {new.lower()}{was}."


@_says("category.saved")
def _category(e, d, n, who):
    retired = "" if d.get("active", True) else ", and stopped offering it"
    return f"{who} saved the breach category ‘{d.get('label') or 'without a name'}’{retired}."


@_says("policy.published")
def _published(e, d, n, who):
    version = e.record_id
    if e.actor_id is None and e.actor_label == "seed":
        return f"The school's policy was published as version {version} when the kiosk was set up."
    review = ""
    try:
        review = f" Its review is due on {long_date(dt.date.fromisoformat(str(d['review_due'])))}."
    except (KeyError, ValueError):
        pass
    minor = (", as a minor change (nobody was asked to accept it again)"
             if d.get("change") == "minor" else "")
    return f"{who} published version {version} of the policy{minor}.{review}"


@_says("school.setup_saved")
def _setup(e, d, n, who):
    changed = [SCHOOL_DETAILS[name] for name in d.get("changed") or [] if name in SCHOOL_DETAILS]
    if not changed:
        return f"{who} saved the school's details without changing them."
    return f"{who} saved the school's details, changing {_listing(changed)}."


@_says("roster.added")
def _roster_added(e, d, n, who):
    role = ROSTER_ROLE_WORDS.get(d.get("role"), "someone in scope")
    return f"{who} added {n.person(e)} to the roster as {role}."


@_says("roster.activated")
def _roster_back(e, d, n, who):
    return f"{who} put {n.person(e)} back on the roster."


@_says("roster.deactivated")
def _roster_off(e, d, n, who):
    return f"{who} took {n.person(e)} off the roster."


@_says("roster.link_shown")
def _link_shown(e, d, n, who):
    return f"{who} opened the personal link of {n.person(e)}, to print or send."


@_says("roster.new_link")
def _new_link(e, d, n, who):
    return f"{who} made a new personal link for {n.person(e)}; the old one no longer works."


@_says("roster.imported")
def _imported(e, d, n, who):
    skipped = (f"; {_count(d.get('skipped'), 'row')} skipped for a problem"
               if d.get("skipped") else "")
    return (f"{who} imported the roster from a spreadsheet: {_count(d.get('add'), 'person', 'people')} "
            f"added, {_figure(d.get('update'))} updated and {_figure(d.get('unchanged'))} "
            f"unchanged{skipped}.")


@_says("roster.letters_shown")
def _letters(e, d, n, who):
    if d.get("of"):  # one printout of several
        first, count = (value if isinstance(value, int) else 0
                        for value in (d.get("first"), d.get("count")))
        return (f"{who} opened letters {_figure(first)} to {_figure(first + count - 1)} of the "
                f"{_figure(d.get('of'))} people still to accept the policy, to print.")
    return (f"{who} opened the letters to print for {_count(d.get('count'), 'person', 'people')} "
            "still to accept the policy.")


@_says("roster.links_shown")
def _links(e, d, n, who):
    return (f"{who} opened the personal links to copy for "
            f"{_count(d.get('count'), 'person', 'people')} still to accept the policy.")


@_says("roster.reminded")
def _reminded(e, d, n, who):
    parts = [f"{_count(d.get('sent'), 'reminder')} sent"]
    if d.get("skipped"):
        parts.append(f"{_count(d.get('skipped'), 'person', 'people')} skipped as reminded recently")
    if d.get("failed"):
        parts.append(f"{_count(d.get('failed'), 'reminder')} could not be sent")
    return f"{who} sent reminders to accept the policy: {_listing(parts)}."


@_says("export.acceptances")
def _export_acceptances(e, d, n, who):
    return f"{who} downloaded every acceptance as a spreadsheet ({_count(d.get('rows'), 'row')})."


@_says("export.breaches")
def _export_breaches(e, d, n, who):
    return f"{who} downloaded the breaches as a spreadsheet ({_count(d.get('rows'), 'row')})."


def _records_held(d: dict) -> str:
    total = sum(value for key, value in d.items() if key != "format" and isinstance(value, int))
    return _count(total, "record")


@_says("subject_access.previewed")
def _subject_access_looked(e, d, n, who):
    return (f"{who} looked up everything held about one person for a subject access request "
            f"({_records_held(d)}).")


@_says("subject_access.downloaded")
def _subject_access_downloaded(e, d, n, who):
    as_what = "a spreadsheet" if d.get("format") == "csv" else "a data file"
    return (f"{who} downloaded everything held about one person for a subject access request "
            f"({_records_held(d)}), as {as_what}.")


@_says("reports.dashboard_viewed")
def _dashboard(e, d, n, who):
    return f"{who} looked at the reports."


@_says("reports.governors_viewed")
def _governors(e, d, n, who):
    return f"{who} looked at the governors' termly summary."


@_says("chronology.viewed")
def _chronology(e, d, n, who):
    return f"{who} looked at one person's chronology ({_count(d.get('records'), 'record')})."


@_says("evidence.viewed")
def _evidence(e, d, n, who):
    if e.record_kind == "roster_person":
        return f"{who} looked at {n.person(e)}'s evidence of accepting the policy."
    return (f"{who} looked at one person's evidence of accepting the policy "
            f"({_count(d.get('records'), 'acceptance')}).")


@_says("retention.changed")
def _retention(e, d, n, who):
    what = _first_lower(RETENTION_KINDS.get(e.record_id, ("records",))[0])
    try:
        change = f" from {period_in_words(int(d['old']))} to {period_in_words(int(d['new']))}"
    except (KeyError, TypeError, ValueError):
        change = ""
    return f"{who} changed how long {what} are kept{change}."


@_says("retention.purged")
def _purged(e, d, n, who):
    removed = [_count(d.get(key), one, many) for key, (one, many) in PURGED.items() if d.get(key)]
    if not removed:
        return "The regular clear-out of old records found nothing to remove."
    if d.get("stopped"):  # the next clear-out carries on with what is left
        return (f"The regular clear-out of old records removed {_listing(removed)}, then "
                "stopped before it had finished.")
    return f"The regular clear-out of old records removed {_listing(removed)}."


@_says("retention.kept")
def _kept(e, d, n, who):
    return f"{who} decided to keep {n.breach(e)} for {_count(d.get('years'), 'more year')}."


@_says("retention.deleted_after_review")
def _deleted_after_review(e, d, n, who):
    with_requests = (f", with its {_count(d.get('deletion_requests'), 'deletion request')}"
                     if d.get("deletion_requests") else "")
    return f"{who} deleted a breach after reviewing it{with_requests}."


@_says("backup.made")
def _backup(e, d, n, who):
    return "A backup of the records was made."


# Welfare tasks: named only as "a welfare task" (a pupil's name does not belong in the log).
WELFARE_CHANGES = {"welfare_note": "added what the DSL needs to know to",
                   "note": "added a note to", "safeguarding_ref":
                   "recorded the safeguarding system reference of", "status": "changed the status of"}


@_says("welfare_task.created")
def _welfare_created(e, d, n, who):
    if d.get("from_kind") == "disclosure":
        return f"{who} recorded what a child told them, as a welfare task for the DSL."
    return f"{who} opened a welfare task for the DSL about pupils involved in a concern."


@_says("welfare_task.list_viewed")
def _welfare_list(e, d, n, who):
    shown = [key for key in _listed(d.get("shown")) if str(key) not in n.hidden_tasks]
    return f"{who} looked at the list of welfare tasks ({_shown(shown)})."


@_says("welfare_task.viewed")
def _welfare_viewed(e, d, n, who):
    return f"{who} viewed a welfare task."


@_says("welfare_task.updated")
def _welfare_updated(e, d, n, who):
    return f"{who} {WELFARE_CHANGES.get(d.get('change'), 'changed')} a welfare task."


@_says("welfare_task.name_shared")
def _welfare_name_shared(e, d, n, who):
    return f"{who} shared the name of the member of staff a concern is about with the DSL."


# Declarations of family links (declarations.py) ---------------------------------------------------

DECLARATION_LISTS = {"own": "their own declarations of family links",
                     "all": "the declarations of family links",
                     "breach": "the declarations of family links beside a concern about a member "
                               "of staff"}


@_says("declaration.made")
def _declaration_made(e, d, n, who):
    return f"{who} declared a family link with a pupil's family."


@_says("declaration.ended")
def _declaration_ended(e, d, n, who):
    return f"{who} said a family link they had declared no longer applies."


@_says("declaration.confirmed")
def _declaration_confirmed(e, d, n, who):
    confirmed = _count(len(_listed(d.get("confirmed"))), "declaration")
    return f"{who} confirmed their declared family links are still correct ({confirmed})."


@_says("declaration.acknowledged")
def _declaration_acknowledged(e, d, n, who):
    return f"{who} acknowledged a declaration of a family link."


@_says("declaration.list_viewed")
def _declaration_list(e, d, n, who):
    listed = DECLARATION_LISTS.get(d.get("list"), "declarations of family links")
    return f"{who} looked at {listed} ({_shown(d.get('shown'))})."


@_says("welfare_alert.sent")
def _welfare_alert_sent(e, d, n, who):
    people = _count(d.get("recipients"), "person", "people")
    return f"An email alert that a welfare task is waiting was sent to {people}."


@_says("welfare_alert.failed")
def _welfare_alert_failed(e, d, n, who):
    return ("The email alert that a welfare task is waiting could not be sent. Ask your IT "
            "support to check the school's email settings.")


@_says("audit.viewed")
def _audit_viewed(e, d, n, who):
    if d.get("breach"):
        return f"{who} looked at the audit log for {n.breach(e, d['breach'])}."
    if d.get("deletion"):
        return f"{who} looked at the audit log for {n.request(e, d['deletion'])}."
    return f"{who} looked at the audit log."


@_says(audit.CHECKED)
def _checked(e, d, n, who):
    full = d.get("full") is True  # (checks from before there were incremental ones: neither)
    if d.get("problem") in CHECK_FOUND:
        found = f"found that {CHECK_FOUND[d['problem']]}"
    elif d.get("full") is False:
        found = LastCheck(at=e.at, by=None, checked=_whole(d.get("checked")), fault=None,
                          full=False, start=d.get("start", "check")).intact_words
    elif full:
        found = f"all {_figure(d.get('checked'))} were intact"
    else:
        found = f"all {_count(d.get('checked'), 'entry', 'entries')} were intact"
    what = "every entry of the audit log" if full else "the audit log"
    if e.actor_id is None:
        return f"{what[:1].upper()}{what[1:]} was checked on the server: {found}."
    return f"{who} checked {what}: {found}."


@_says(audit.KEYED)
def _keyed(e, d, n, who):
    before = d.get("before") if isinstance(d.get("before"), int) else 0
    return ("The audit log was sealed with the school's own key, which is kept outside the "
            f"database: this entry and the {_count(before, 'entry', 'entries')} before it cannot "
            "now be changed without a check noticing.")


@_says(audit.CHECKPOINT_FAILED)
def _checkpoint_failed(e, d, n, who):
    return ("The server could not write down how far the audit log had reached in its file "
            "outside the database. Ask your IT support to check the server's disk and where that "
            "file is kept.")


# Low-level concerns and who a concern is about (issue 12) ----------------------------------------

@_says("low_level.settings_saved")
def _low_level_settings(e, d, n, who):
    lead = {"dsl": "the DSL", "head": "the headteacher alone"}.get(d.get("lead"), "someone")
    return (f"{who} chose {lead} to lead on low-level concerns about staff, and a pattern at "
            f"{_count(d.get('threshold'), 'concern')} in 12 months.")


@_says("breach.conversation_added")
def _conversation(e, d, n, who):
    return f"{who} recorded the conversation held about {n.breach(e)}."


@_says("breach.subject_linked")
def _subject_linked(e, d, n, who):
    to = {"staff": "a staff account", "roster": "a person on the roster"}.get(d.get("linked"))
    if to is None:
        return f"{who} removed the link between {n.breach(e)} and who it is about."
    return f"{who} linked {n.breach(e)} to {to}, as who it is about."


@_says("breach.passed_to_chair")
def _passed_to_chair(e, d, n, who):
    return (f"{who} found that {n.breach(e)} is about the headteacher, so it passed to the "
            f"chair of governors.")


@_says("low_level.log_viewed")
def _low_level_log(e, d, n, who):
    return f"{who} looked at the low-level concerns log ({_shown(d.get('shown'))})."


@_says("low_level.person_viewed")
def _low_level_person(e, d, n, who):
    return (f"{who} looked at one person's low-level concerns "
            f"({_count(len(d['shown']) if isinstance(d.get('shown'), list) else 0, 'concern')}).")


@_says("account.left_on_set")
def _account_left_on(e, d, n, who):
    whom = n.account(e) or "someone"
    if not d.get("left_on"):
        return f"{who} recorded that {whom} still works at the school."
    return f"{who} recorded the day {whom} left the school."


@_says("roster.left_on_set")
def _roster_left_on(e, d, n, who):
    if not d.get("left_on"):
        return f"{who} recorded that {n.person(e)} is still at the school."
    return f"{who} recorded the day {n.person(e)} left the school."


# Kiosk devices ---------------------------------------------------------------------------------

@_says("device.added")
def _device_added(e, d, n, who):
    return f"{who} added {n.device(e)} and was shown its pairing code."


@_says("device.code_made")
def _device_code(e, d, n, who):
    return f"{who} made a new pairing code for {n.device(e)}."


@_says("device.paired")
def _device_paired(e, d, n, who):
    return f"A tablet was paired as {n.device(e)}."


@_says("device.revoked")
def _device_revoked(e, d, n, who):
    return f"{who} removed {n.device(e)}: it is no longer a kiosk."


@_says("device.silent_hours_changed")
def _device_silent(e, d, n, who):
    return (f"{who} set kiosk devices to be flagged after {_count(d.get('hours'), 'hour')} "
            "without being seen.")


# Permission to post about the school ------------------------------------------------------------

DECISION_WORDS = {"approved": "approved", "declined": "declined",
                  "question": "asked a question about"}


@_says("permission.requested")
def _permission_requested(e, d, n, who):
    found = n.permissions.get(str(e.record_id))
    what = f"to post on {found.where}" if found else "to post about the school"
    return f"{n.requester(e, who)} asked the headteacher's permission {what}."


@_says("permission.answered")
def _permission_answered(e, d, n, who):
    return f"{n.requester(e, who)} answered the headteacher's question about {n.permission(e, True)}."


@_says("permission.decided")
def _permission_decided(e, d, n, who):
    return f"{who} {DECISION_WORDS.get(d.get('decision'), 'decided on')} {n.permission(e)}."


@_says("permission_request.viewed")
def _permission_viewed(e, d, n, who):
    return f"{n.requester(e, who)} viewed {n.permission(e, True)}."


PERMISSION_CHECKS = {"breach_form": "on the breach form", "breach": "on a breach's page"}


@_says("permission_request.list_viewed")
def _permission_checked(e, d, n, who):
    where = PERMISSION_CHECKS.get(d.get("list"), "")
    return (f"{who} checked a name against the headteacher's permissions to post {where} "
            f"({_shown(d.get('shown'))}).").replace("  ", " ")


@_says("permission.wait_changed")
def _permission_wait(e, d, n, who):
    return (f"{who} set requests to post about the school to be flagged after "
            f"{_count(d.get('days'), 'working day')} waiting.")


@_says("permission_email.sent")
def _permission_email_sent(e, d, n, who):
    return f"The headteacher's answer to {n.permission(e)} was emailed to them."


@_says("permission_email.failed")
def _permission_email_failed(e, d, n, who):
    return (f"The headteacher's answer to {n.permission(e)} could not be emailed. Ask your IT "
            "support to check the school's email settings.")


def _unknown(e, d, n, who):
    about = {"breach": n.breach, "deletion_request": n.request}.get(e.record_kind)
    return f"{who} did something{' about ' + about(e) if about else ''} that this page has no words for yet."


def _sentence(event: AuditEvent, names: _Names) -> str:
    who = names.actor(event) or "Someone"
    return SENTENCES.get(event.action, _unknown)(event, names.details[event.id], names, who)


def describe(event: AuditEvent, reader: StaffUser) -> str:
    """One event as a sentence the head reads: "Sam Taylor viewed the breach ‘…’."."""
    return _sentence(event, _Names([event], reader))


def describe_all(events: list[AuditEvent], reader: StaffUser) -> list[str]:
    """Several events as sentences, their records looked up together."""
    names = _Names(events, reader)
    return [_sentence(event, names) for event in events]


# Filters and pages ------------------------------------------------------------------------------

# The events that keep the records they showed (a list, the dashboard, a chronology): "who has
# seen this record" includes them.
LISTINGS = ("breach.list_viewed", "deletion_request.list_viewed", "reports.dashboard_viewed",
            "chronology.viewed")
NOBODY = "nobody"  # "who did it": no one signed in (a visitor, someone signing in, the server)


@dataclass(frozen=True)
class LogFilters:
    """What the head narrowed the log to. Every field empty is the whole log."""

    who: str = ""  # "", NOBODY, or a staff account's number
    breach: uuid.UUID | None = None
    deletion: uuid.UUID | None = None
    start: dt.date | None = None  # the school's local days, both included
    end: dt.date | None = None

    def args(self) -> dict[str, str]:
        """As the page's address carries them (for links to other pages of the same list)."""
        values = {"who": self.who, "breach": self.breach, "deletion": self.deletion,
                  "start": self.start, "end": self.end}
        return {name: str(value) for name, value in values.items() if value}


def people_in_log() -> list[StaffUser]:
    """Whom the head can pick as "who did it": every account but the chair's, whose actions
    the head's log never shows."""
    return list(StaffUser.listed().where(StaffUser.role != "chair"))


@dataclass(frozen=True)
class Entry:
    at: dt.datetime  # as stored (UTC)
    sentence: str


@dataclass(frozen=True)
class LastCheck:
    """The newest check of the chain: when, by whom, and what it found."""

    at: dt.datetime
    by: str | None  # None: on the server
    checked: int
    fault: str | None  # a key of audit.CHAIN_FAULTS, or None when all was intact
    faulty_at: dt.datetime | None = None  # when the faulty entry says it was written
    faulty_sentence: str | None = None  # what it says, if the reader may see it
    since: dt.datetime | None = None  # a checkpoint the log no longer matches: when it was taken
    had: int = 0  # how many entries the log had then
    has: int = 0  # ...and how many of those are still there
    full: bool = True  # read every entry from the first (else only those since the check before)
    start: str = "start"  # an incremental check's starting point: "check" or "checkpoint"

    @property
    def removed(self) -> int:
        return max(0, self.had - self.has)

    @property
    def removed_words(self) -> str:
        """"the log had reached 1,052 entries, but only 1,040 of them are still there: 12
        entries have been removed"."""
        left = (f"only {_figure(self.has)} of them {'is' if self.has == 1 else 'are'} still there"
                if self.has else "none of them is still there")
        gone = "entry has" if self.removed == 1 else "entries have"
        return (f"the log had reached {_count(self.had, 'entry', 'entries')}, but {left}: "
                f"{_figure(self.removed)} {gone} been removed")

    @property
    def since_words(self) -> str:
        """Since when an incremental check read the entries."""
        return ("since the log was last written down outside the database"
                if self.start == "checkpoint" else "since the check before")

    @property
    def intact_words(self) -> str:
        """"all 12,345 entries were intact", or "the 12 entries added since the check before
        were intact"."""
        if not self.full:
            if self.checked == 0:
                return f"no entries had been added {self.since_words}"
            added = ("one entry" if self.checked == 1
                     else f"{_count(self.checked, 'entry', 'entries')}")
            return f"the {added} added {self.since_words} {'was' if self.checked == 1 else 'were'} intact"
        if self.checked == 1:
            return "the one entry was intact"
        return f"all {_count(self.checked, 'entry', 'entries')} were intact"

    @property
    def before_words(self) -> str:
        """What was found sound before the fault."""
        if not self.full:
            if self.checked == 0:  # the point the check started from, or the first after it
                return ""
            return (f"The {_count(self.checked, 'entry', 'entries')} before it, added "
                    f"{self.since_words}, are intact." if self.checked > 1 else
                    f"The one entry before it, added {self.since_words}, is intact.")
        if self.checked == 0:
            return "It is the first entry in the log."
        if self.checked == 1:
            return "The one entry before it is intact."
        return f"The {_count(self.checked, 'entry', 'entries')} before it are intact."


@dataclass(frozen=True)
class LogPage:
    """One page of the log, newest first. Pages are found by the entries either side (keyset):
    `older` and `newer` are what the links carry (`before=`, `after=`), None when there are
    none, so a page stays the same when entries are added while the head reads."""

    entries: list[Entry]
    about: str | None  # the record the log is narrowed to, in words
    filters: LogFilters
    last_check: LastCheck | None
    full_check: LastCheck | None = None  # the last full check, if the last check was not one
    missing: bool = False  # the record asked for is not one the reader may see
    days: list[tuple[dt.date, list[Entry]]] = field(default_factory=list)
    older: int | None = None  # before= for the next page back
    newer: int | None = None  # after= for the page before this one
    paged: bool = False  # this is not the newest page


def _start_of(day: dt.date) -> dt.datetime:
    """Midnight at the school at the start of this day, as stored."""
    return as_stored(dt.datetime.combine(day, dt.time(), tzinfo=school_zone()))


def _about(reader: StaffUser, filters: LogFilters) -> tuple[str | None, str | None, bool]:
    """(the record's kind, its name in words, whether it is missing) for the record filter."""
    if filters.breach is not None:
        breach = (Breach.visible_to(reader).select_extend(BreachCategory).join(BreachCategory)
                  .where(Breach.public_id == filters.breach).first())
        return "breach", breach_name(breach) if breach else None, breach is None
    if filters.deletion is not None:
        request = DeletionRequest.visible_to(reader).where(
            DeletionRequest.public_id == filters.deletion).first()
        return "deletion_request", deletion_name(request) if request else None, request is None
    return None, None, False


def _filtered(visible, filters: LogFilters, kind: str | None):
    query = visible
    if filters.who == NOBODY:
        query = query.where(AuditEvent.actor.is_null())
    elif filters.who:
        query = query.where(AuditEvent.actor == (_number(filters.who) or 0))
    if kind is not None:
        key = str(filters.breach or filters.deletion)
        # The record's own events, and the lists that showed it (they keep what they showed),
        # none of them older than the record's first event, its creation (breaches.log_breach
        # and deletions.request_deletion audit it as they make it): that bounds the search of
        # the lists' details, which no index can answer.
        first = (AuditEvent.select(AuditEvent.id).where((AuditEvent.record_kind == kind)
                                                       & (AuditEvent.record_id == key))
                 .order_by(AuditEvent.id).first())
        # `action || ''` keeps SQLite from answering the OR through two indexes, which would
        # gather every list ever viewed and sort them: it reads newest first and stops at a page.
        query = query.where(((AuditEvent.record_kind == kind) & (AuditEvent.record_id == key))
                            | (AuditEvent.action.concat("").in_(LISTINGS)
                               & AuditEvent.detail.contains(key)),
                            AuditEvent.id >= (first.id if first is not None else LARGEST_ID))
    if filters.start is not None:
        query = query.where(AuditEvent.at >= _start_of(filters.start))
    if filters.end is not None:
        query = query.where(AuditEvent.at < _start_of(filters.end + dt.timedelta(days=1)))
    return query


def _by_day(entries: Iterable[Entry]) -> list[tuple[dt.date, list[Entry]]]:
    return [(day, list(group)) for day, group in
            itertools.groupby(entries, key=lambda entry: to_local(entry.at).date())]


# Ids an address may carry: SQLite's and PostgreSQL's integers stop at 2**63 - 1.
LARGEST_ID = 2**63 - 1


def read_log(reader: StaffUser, filters: LogFilters, before: int | None = None,
             after: int | None = None) -> LogPage:
    """One page of the log as this reader may read it, newest first, narrowed by the filters:
    the newest 100, or the 100 older than the entry `before`, or newer than `after`; with the
    last check of the chain (never a walk of it). The reading itself is audited. The hours of
    refused requests from people not signed in that have ended are written first (`refusals`)."""
    refusals.write_summaries()
    visible = audit.visible_events(reader)  # once a page: it looks up what is hidden
    kind, about, missing = _about(reader, filters)
    checks = _checks(reader, visible)
    if missing:
        return LogPage(entries=[], about=None, filters=filters, missing=True, **checks)
    query = _filtered(visible, filters, kind)
    newest_id = AuditEvent.id.desc()
    if after is not None:
        rows = list(query.where(AuditEvent.id > after).order_by(AuditEvent.id)
                    .limit(PAGE_SIZE + 1))
        events = rows[:PAGE_SIZE][::-1]
        newer = len(rows) > PAGE_SIZE
        # Older ones are those up to `after`; the nearest is found first.
        older = query.where(AuditEvent.id <= after).order_by(newest_id).first() is not None
    else:
        page = query.where(AuditEvent.id < before) if before is not None else query
        rows = list(page.order_by(newest_id).limit(PAGE_SIZE + 1))
        events = rows[:PAGE_SIZE]
        older = len(rows) > PAGE_SIZE
        newer = before is not None and (
            query.where(AuditEvent.id >= before).order_by(AuditEvent.id).first() is not None)
    entries = [Entry(e.at, sentence) for e, sentence in zip(events, describe_all(events, reader),
                                                             strict=True)]
    position = {"before": before} if before is not None else (
        {"after": after} if after is not None else {})
    audit.record("audit.viewed", kind="audit_event", **position, **filters.args())
    low = events[-1].id if events else (after if after is not None else before)
    high = events[0].id if events else (before if before is not None else after)
    return LogPage(entries=entries, about=about, filters=filters, days=_by_day(entries),
                   older=low if older and low is not None else None,
                   newer=high if newer and high is not None else None,
                   paged=before is not None or after is not None, **checks)


def _checks(reader: StaffUser, visible) -> dict:
    """The last check, and the last full check if the last check was not one."""
    newest = last_check(reader, visible)
    full = None if newest is None or newest.full else last_check(reader, visible, full=True)
    return {"last_check": newest, "full_check": full}


def last_check(reader: StaffUser, visible=None, full: bool = False) -> LastCheck | None:
    """The newest check of the chain (or full check), with the entry it found faulty put into
    words (only if the reader may see that entry)."""
    visible = audit.visible_events(reader) if visible is None else visible
    event = audit.last_check(visible, full=full)
    if event is None:
        return None
    found = _detail(event)
    fault = found.get("problem") if found.get("problem") in audit.CHAIN_FAULTS else None
    checked = found.get("checked") if isinstance(found.get("checked"), int) else 0
    faulty_at = faulty_sentence = None
    if fault in ("changed", "out_of_order") and isinstance(found.get("problem_event"), int):
        faulty = AuditEvent.get_or_none(AuditEvent.id == found["problem_event"])
        if faulty is not None:
            faulty_at = faulty.at
            if visible.where(AuditEvent.id == faulty.id).exists():
                faulty_sentence = describe(faulty, reader)
    by = event.actor.display_name if event.actor_id else None
    return LastCheck(at=event.at, by=by, checked=checked, fault=fault, faulty_at=faulty_at,
                     faulty_sentence=faulty_sentence, since=_stored_time(found.get("since")),
                     had=_whole(found.get("had")), has=_whole(found.get("has")),
                     full=found.get("full") is not False,
                     start="checkpoint" if found.get("start") == "checkpoint" else "check")


def _stored_time(value: object) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _whole(value: object) -> int:
    return value if isinstance(value, int) else 0


def check_now(reader: StaffUser) -> LastCheck | None:
    """Check the entries added since the last point known good now (recorded as a check by the
    reader), and return what it found."""
    audit.check_chain(reader)
    return last_check(reader)

