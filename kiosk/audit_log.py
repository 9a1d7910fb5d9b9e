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
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from flask_babel import get_translations
from flask_babel import gettext as _

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
    return int(text) if re.fullmatch(r"[0-9]{1,9}", text) else None


def N_(message: str) -> str:
    """A message to translate where it is shown: the tables below are made at import, the
    sentences while answering a request (`_`)."""
    return message


def ngettext(one: str, many: str, number: object, **values: object) -> str:
    """ngettext for a count from an event's detail (anything else, from a damaged entry, reads
    as 0), shown as `%(num)s` with thousands separators: "1,052 entries". English outside a
    request (kiosk/i18n.py), as gettext."""
    n = number if isinstance(number, int) else 0
    values["num"] = f"{n:,}"
    return get_translations().ungettext(one, many, n) % values


# Whom a breach was about, when no name was given.
SOMEONE = {"visitor": N_("a visitor"), "parent": N_("a parent or carer"),
           "pta_volunteer": N_("a PTA member or volunteer"), "contractor": N_("a contractor"),
           "staff": N_("a member of staff"), "pupil": N_("a pupil"), "governor": N_("a governor")}


def breach_name(breach: Breach) -> str:
    """‘Photographing or recording pupils or staff on a phone: Pat Visitor’."""
    who = breach.subject_name or _(SOMEONE.get(breach.subject_kind, N_("someone")))
    return _("the breach ‘%(category)s: %(who)s’", category=breach.category.label, who=who)


def deletion_name(request: DeletionRequest) -> str:
    """‘Photo: Pat Visitor’."""
    material = MATERIALS.get(request.material)
    return _("the deletion request ‘%(material)s: %(who)s’",
             material=material if material is not None else _("Material"),
             who=request.person_name or _("someone"))


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
        return breach_name(found) if found else _("a breach")

    def request(self, event: AuditEvent, key: object = None) -> str:
        found = self.requests.get(str(key or event.record_id))
        return deletion_name(found) if found else _("a deletion request")

    def permission(self, event: AuditEvent, by_requester: bool = False) -> str:
        """"Gina Governor's request to post on …"; "their request …" for what its requester
        may have done (`by_requester`) when they did."""
        found = self.permissions.get(str(event.record_id))
        if found is None:
            return _("a request to post about the school")
        theirs = by_requester and (
            event.actor_id == found.requester_staff_id if event.actor_id is not None
            else found.requester_person_id is not None)
        if theirs:
            return _("their request to post on %(where)s", where=found.where)
        return _("%(name)s's request to post on %(where)s", name=found.requester_name,
                 where=found.where)

    def device(self, event: AuditEvent) -> str:
        found = self.devices.get(str(event.record_id))
        return (_("the kiosk device “%(name)s”", name=found.name) if found
                else _("a kiosk device"))

    def requester(self, event: AuditEvent, who: str) -> str:
        """Who asked or answered: a person on the roster is no member of staff."""
        if event.actor_id is not None:
            return who
        found = self.permissions.get(str(event.record_id))
        return found.requester_name if found else _("Someone whose request has since been removed")

    def person(self, event: AuditEvent) -> str:
        found = self.people.get(_number(event.record_id))
        return found.full_name if found else _("someone on the roster")


# Sentences --------------------------------------------------------------------------------------
# Each sentence is one message with named placeholders. Records are named by phrases that are
# messages of their own ("the breach ‘…’"), put into the sentence whole.

def _figure(number: object) -> str:
    """A count from an event's detail; anything else (a damaged entry) reads as 0."""
    return f"{number if isinstance(number, int) else 0:,}"


def _shown(listed: object) -> str:
    """How many records a list showed: "none shown", "3 shown"."""
    n = len(listed) if isinstance(listed, list) else 0
    # Translators: how many records a list showed, in brackets after a sentence
    return ngettext("%(num)s shown", "%(num)s shown", n) if n else _("none shown")


def _listed(value: object) -> list:
    """The records a list event showed (nothing, for a damaged entry)."""
    return value if isinstance(value, list) else []


def _listing(items: list[str]) -> str:
    """"a, b and c"."""
    if len(items) == 1:
        return items[0]
    # Translators: the end of a list: "a, b and c"
    return _("%(items)s and %(last)s", items=", ".join(items[:-1]), last=items[-1])


def _first_lower(text: str) -> str:
    return text[:1].lower() + text[1:]


STAFF_ROLE_WORDS = {"staff": N_("a member of staff"),
                    "dsl": N_("the Designated Safeguarding Lead"),
                    "head": N_("the headteacher"), "chair": N_("the chair of governors")}
ROSTER_ROLE_WORDS = {"pta": N_("a PTA member"), "volunteer": N_("a volunteer"),
                     "governor": N_("a governor"), "staff": N_("a member of staff")}
CONCERN_LISTS = {"open": N_("the list of open concerns"),
                 "in_review": N_("the list of concerns in review"),
                 "closed": N_("the list of closed concerns"), "all": N_("the list of all concerns")}
SCHOOL_DETAILS = {"school_name": N_("the school's name"), "dsl_name": N_("the DSL's name"),
                  "public_url": N_("the address phones open"),
                  "thanks_next_step": N_("the thank-you message"),
                  "privacy_contact": N_("the privacy contact"), "logo": N_("the logo"),
                  "dsl_photo": N_("the DSL's photo"), "review_due": N_("the policy's review date")}
PURGED = {"visitor_acceptances": (N_("%(num)s acceptance by a one-off visitor"),
                                  N_("%(num)s acceptances by one-off visitors")),
          "roster_acceptances": (N_("%(num)s acceptance by someone on the roster"),
                                 N_("%(num)s acceptances by people on the roster")),
          "breaches": (N_("%(num)s breach"), N_("%(num)s breaches")),
          "deletion_requests": (N_("%(num)s deletion request"), N_("%(num)s deletion requests")),
          "ended_declarations": (N_("%(num)s ended declaration of a family link"),
                                 N_("%(num)s ended declarations of family links")),
          "permission_requests": (N_("%(num)s request to post about the school"),
                                  N_("%(num)s requests to post about the school"))}
CHECK_FOUND = {"changed": N_("an entry had been changed after it was written"),
               "out_of_order": N_("an entry was missing or out of order"),
               "unsealed": N_("the entries were not sealed with the school's own key"),
               "removed": N_("entries had been removed from the end of the log"),
               "rewritten": N_("the log had been rewritten since it was last written down "
                               "outside the database"),
               "checkpoint_damaged": N_("the record of the log kept outside the database had "
                                        "been altered")}

# The pages a refused visit may have been to, by the start of their address.
PAGES = [
    ("/admin/audit", N_("the audit log")), ("/admin/staff", N_("the staff accounts")),
    ("/admin/categories", N_("the breach categories")), ("/admin/roster", N_("the roster")),
    ("/admin/policy", N_("the policy versions")),
    ("/admin/retention", N_("how long records are kept")),
    ("/admin/setup", N_("the school's set-up")),
    ("/admin/chair", N_("the chair of governors' page")),
    ("/admin/family-links", N_("the declarations of family links")),
    ("/admin", N_("the headteacher's pages")),
    ("/reports/subject-access", N_("a subject access request")),
    ("/reports/chronology", N_("a person's chronology")),
    ("/reports/evidence", N_("a person's evidence of acceptance")),
    ("/reports", N_("the reports")),
    ("/records/concerns", N_("the list of concerns")), ("/records/breaches", N_("a breach")),
    ("/records/welfare", N_("the welfare tasks")),
    ("/staff/disclosures", N_("what a child told them")),
    ("/records/deletions", N_("the deletion requests")),
    ("/staff/breaches", N_("logging a breach")),
    ("/staff/deletions", N_("recording a deletion request")),
    ("/staff/family-links", N_("their declarations of family links")),
    ("/staff", N_("the staff pages")),
    ("/api", N_("sending a record saved on an iPad")), ("/account", N_("changing a password")),
]


def _page(path: str) -> str:
    return _(next((words for start, words in PAGES if path.startswith(start)), N_("a page")))


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
    return _("%(who)s signed in.", who=who)


@_says("signout")
def _signed_out(e, d, n, who):
    return _("%(who)s signed out.", who=who)


@_says("signin.failed")
def _sign_in_failed(e, d, n, who):
    email = str(d.get("email", ""))
    account = n.by_email.get(email)
    if account:
        return _("Someone tried and failed to sign in as %(name)s.", name=account.display_name)
    if email:
        return _("Someone tried and failed to sign in as ‘%(email)s’, which is not a staff "
                 "account.", email=email)
    return _("Someone tried and failed to sign in.")


@_says("signin.rate_limited")
def _rate_limited(e, d, n, who):
    return _("Signing in was paused for a while after too many tries in a short time.")


@_says("access.refused")
def _refused(e, d, n, who):
    if e.record_kind == "page":
        page = _page(e.record_id)
        if e.actor_id is None:
            return _("Someone who was not signed in tried to open %(page)s.", page=page)
        return _("%(who)s tried to open %(page)s, which their role does not allow.", who=who,
                 page=page)
    if e.record_kind == "staff_user":
        return _("%(who)s tried to change the chair of governors' account, which only IT "
                 "support can do.", who=who)
    if e.record_kind == "breach":
        return _("%(who)s tried to open %(record)s, which they may not see.", who=who,
                 record=n.breach(e))
    if e.record_kind == "deletion_request":
        return _("%(who)s tried to open %(record)s, which they may not see.", who=who,
                 record=n.request(e))
    return _("%(who)s tried to open something they may not see.", who=who)


def _stored(value: object) -> dt.datetime | None:
    """A stored (naive UTC) time an event's detail keeps as text, or None if damaged."""
    try:
        return dt.datetime.fromisoformat(str(value)).replace(tzinfo=None)
    except ValueError:
        return None


@_says("access.refused_anonymous")
def _refused_anonymous(e, d, n, who):
    start, end = _stored(d.get("start")), _stored(d.get("end"))
    refused = d.get("refused") if isinstance(d.get("refused"), int) else 0
    limited = d.get("limited") if isinstance(d.get("limited"), int) else 0
    if start and end:
        said = ngettext("%(num)s request for staff pages from people who were not signed in was "
                        "refused between %(start)s and %(end)s on %(day)s.",
                        "%(num)s requests for staff pages from people who were not signed in were "
                        "refused between %(start)s and %(end)s on %(day)s.", refused,
                        start=short_time(start), end=short_time(end),
                        day=weekday_date(to_local(start).date()))
    else:
        said = ngettext("%(num)s request for staff pages from people who were not signed in was "
                        "refused.",
                        "%(num)s requests for staff pages from people who were not signed in were "
                        "refused.", refused)
    if not limited:
        return said
    return said + " " + ngettext("%(num)s of them came too fast and were told to wait.",
                                 "%(num)s of them came too fast and were told to wait.", limited)


@_says("account.created")
def _account_created(e, d, n, who):
    whom = n.account(e) or str(d.get("email") or _("someone"))
    role = _(STAFF_ROLE_WORDS.get(d.get("role"), N_("a member of staff")))
    if e.actor_id is None:
        return _("An account was made for %(whom)s as %(role)s.", whom=whom, role=role)
    return _("%(who)s added an account for %(whom)s as %(role)s.", who=who, whom=whom, role=role)


@_says("account.password_changed")
def _password_changed(e, d, n, who):
    whom = n.account(e) or _("someone")
    if d.get("by_reset"):
        return _("%(who)s gave %(whom)s a new temporary password.", who=who, whom=whom)
    if e.actor_id is not None and str(e.actor_id) == e.record_id:
        return _("%(who)s changed their password.", who=who)
    return _("%(whom)s's password was changed.", whom=whom)


@_says("account.activated")
def _account_activated(e, d, n, who):
    return _("%(who)s let %(whom)s sign in again.", who=who, whom=n.account(e) or _("someone"))


@_says("account.deactivated")
def _account_deactivated(e, d, n, who):
    return _("%(who)s deactivated %(whom)s's account and signed them out.", who=who,
             whom=n.account(e) or _("someone"))


@_says("second_factor.set_up")
def _second_factor_set_up(e, d, n, who):
    return _("%(who)s set up two-step sign-in.", who=who)


_CODE_REFUSED = {"wrong": N_("a wrong code"), "reused": N_("a code that had already been used"),
                 "recovery": N_("a recovery code that was wrong or already used")}


@_says("second_factor.failed")
def _second_factor_failed(e, d, n, who):
    whom = n.account(e) or _("someone")
    code = _(_CODE_REFUSED.get(d.get("reason"), N_("a wrong code")))
    if d.get("stage") == "setup":
        return _("Someone setting up two-step sign-in for %(whom)s gave %(code)s.", whom=whom,
                 code=code)
    return _("Someone signed in with %(whom)s's password but gave %(code)s.", whom=whom,
             code=code)


@_says("second_factor.recovery_used")
def _second_factor_recovery_used(e, d, n, who):
    left = _number(d.get("left"))
    if left is None:
        return _("%(who)s signed in with a recovery code (some left).", who=who)
    return _("%(who)s signed in with a recovery code (%(left)s left).", who=who, left=left)


@_says("second_factor.reset")
def _second_factor_reset(e, d, n, who):
    whom = n.account(e) or _("someone")
    if e.actor_id is None:
        return _("%(whom)s's two-step sign-in was reset by IT support.", whom=whom)
    return _("%(who)s reset %(whom)s's two-step sign-in.", who=who, whom=whom)


_ACCEPTED = {
    # (with a version, without), for each way of reaching the policy
    "kiosk": (N_("%(name)s accepted the policy (version %(version)s) on the entrance tablet."),
              N_("%(name)s accepted the policy on the entrance tablet.")),
    "phone": (N_("%(name)s accepted the policy (version %(version)s) on their own phone."),
              N_("%(name)s accepted the policy on their own phone.")),
    "link": (N_("%(name)s accepted the policy (version %(version)s) through their personal "
                "link."),
             N_("%(name)s accepted the policy through their personal link.")),
    "": (N_("%(name)s accepted the policy (version %(version)s)."),
         N_("%(name)s accepted the policy.")),
}
_ACCEPTED_REMOVED = {
    "kiosk": (N_("Someone whose record has since been removed accepted the policy (version "
                 "%(version)s) on the entrance tablet."),
              N_("Someone whose record has since been removed accepted the policy on the "
                 "entrance tablet.")),
    "phone": (N_("Someone whose record has since been removed accepted the policy (version "
                 "%(version)s) on their own phone."),
              N_("Someone whose record has since been removed accepted the policy on their own "
                 "phone.")),
    "link": (N_("Someone whose record has since been removed accepted the policy (version "
                "%(version)s) through their personal link."),
             N_("Someone whose record has since been removed accepted the policy through their "
                "personal link.")),
    "": (N_("Someone whose record has since been removed accepted the policy (version "
            "%(version)s)."),
         N_("Someone whose record has since been removed accepted the policy.")),
}


@_says("acceptance.created")
def _accepted(e, d, n, who):
    version = d.get("policy_version")
    channel = d.get("channel") if d.get("channel") in ("kiosk", "phone", "link") else ""
    acceptance = n.acceptances.get(e.record_id)
    with_version, without = (_ACCEPTED if acceptance else _ACCEPTED_REMOVED)[channel]
    name = acceptance.full_name if acceptance else ""
    return _(with_version, name=name, version=version) if version else _(without, name=name)


@_says("breach.created")
def _breach_logged(e, d, n, who):
    safeguarding, restricted = bool(d.get("safeguarding")), bool(d.get("restricted"))
    record = n.breach(e)
    if safeguarding and restricted:
        return _("%(who)s logged %(record)s as a safeguarding matter and a concern about a "
                 "member of staff.", who=who, record=record)
    if safeguarding:
        return _("%(who)s logged %(record)s as a safeguarding matter.", who=who, record=record)
    if restricted:
        return _("%(who)s logged %(record)s as a concern about a member of staff.", who=who,
                 record=record)
    return _("%(who)s logged %(record)s.", who=who, record=record)


@_says("breach.list_viewed")
def _breach_list(e, d, n, who):
    shown = _shown(d.get("shown"))
    listed = str(d.get("list", ""))
    if listed == "own":
        return _("%(who)s looked at their own reports (%(shown)s).", who=who, shown=shown)
    which = _(CONCERN_LISTS.get(listed.partition(":")[2], N_("the list of concerns")))
    return _("%(who)s looked at %(list)s (%(shown)s).", who=who, list=which, shown=shown)


@_says("breach.viewed")
def _breach_viewed(e, d, n, who):
    if d.get("page") == "deletion form":
        return _("%(who)s opened %(record)s to record a deletion request.", who=who,
                 record=n.breach(e))
    return _("%(who)s viewed %(record)s.", who=who, record=n.breach(e))


@_says("breach.status_changed")
def _status(e, d, n, who):
    old = str(BREACH_STATUSES.get(d.get("old"), "")).lower()
    new = str(BREACH_STATUSES.get(d.get("new"), "")).lower()
    if old and new:
        return _("%(who)s changed %(record)s from %(old)s to %(new)s.", who=who,
                 record=n.breach(e), old=old, new=new)
    return _("%(who)s changed the status of %(record)s.", who=who, record=n.breach(e))


@_says("breach.note_added")
def _note(e, d, n, who):
    return _("%(who)s added a note to %(record)s.", who=who, record=n.breach(e))


@_says("breach.action_added")
def _action(e, d, n, who):
    return _("%(who)s recorded an action taken on %(record)s.", who=who, record=n.breach(e))


@_says("lado.recorded")
def _lado(e, d, n, who):
    return _("%(who)s recorded the LADO referral for %(record)s.", who=who, record=n.breach(e))


def _classification_words(code: object) -> str:
    words = str(CLASSIFICATIONS.get(str(code), ""))
    return words[:1].lower() + words[1:]


@_says("breach.classified")
def _classified(e, d, n, who):
    new, old = _classification_words(d.get("new")), _classification_words(d.get("old"))
    if old and new:
        return _("%(who)s reclassified %(record)s from %(old)s to %(new)s.", who=who,
                 record=n.breach(e), old=old, new=new)
    if new:
        return _("%(who)s classified %(record)s as %(new)s.", who=who, record=n.breach(e),
                 new=new)
    return _("%(who)s classified %(record)s.", who=who, record=n.breach(e))


@_says("breach.suspension_decided")
def _suspension(e, d, n, who):
    return _("%(who)s recorded the decision on suspension or alternatives for %(record)s.",
             who=who, record=n.breach(e))


@_says("breach.allegation_closed")
def _allegation_closed(e, d, n, who):
    outcome = str(ALLEGATION_OUTCOMES.get(str(d.get("outcome")), "")).lower()
    if not outcome:
        return _("%(who)s closed %(record)s.", who=who, record=n.breach(e))
    if d.get("kept_on_request"):
        return _("%(who)s closed %(record)s as %(outcome)s, kept because the person asked in "
                 "writing.", who=who, record=n.breach(e), outcome=outcome)
    return _("%(who)s closed %(record)s as %(outcome)s.", who=who, record=n.breach(e),
             outcome=outcome)


@_says("allegation.removed")
def _allegation_removed(e, d, n, who):
    outcome = str(ALLEGATION_OUTCOMES.get(str(d.get("outcome")), "")).lower()
    requests = d.get("deletion_requests")
    if outcome and requests:
        return ngettext("%(who)s closed an allegation as %(outcome)s and removed it, as Keeping "
                        "Children Safe in Education asks, with its %(num)s deletion request.",
                        "%(who)s closed an allegation as %(outcome)s and removed it, as Keeping "
                        "Children Safe in Education asks, with its %(num)s deletion requests.",
                        requests, who=who, outcome=outcome)
    if outcome:
        return _("%(who)s closed an allegation as %(outcome)s and removed it, as Keeping "
                 "Children Safe in Education asks.", who=who, outcome=outcome)
    if requests:
        return ngettext("%(who)s closed an allegation and removed it, as Keeping Children Safe in "
                        "Education asks, with its %(num)s deletion request.",
                        "%(who)s closed an allegation and removed it, as Keeping Children Safe in "
                        "Education asks, with its %(num)s deletion requests.", requests, who=who)
    return _("%(who)s closed an allegation and removed it, as Keeping Children Safe in "
             "Education asks.", who=who)


@_says("alert.sent")
def _alert_sent(e, d, n, who):
    return ngettext("An email alert about %(record)s was sent to %(num)s person.",
                    "An email alert about %(record)s was sent to %(num)s people.",
                    d.get("recipients"), record=n.breach(e))


@_says("alert.failed")
def _alert_failed(e, d, n, who):
    return _("The email alert about %(record)s could not be sent. Ask your IT support to check "
             "the school's email settings.", record=n.breach(e))


@_says("deletion_request.created")
def _request_made(e, d, n, who):
    return _("%(who)s recorded %(record)s.", who=who, record=n.request(e))


@_says("deletion_request.list_viewed")
def _request_list(e, d, n, who):
    return _("%(who)s looked at the list of deletion requests (%(shown)s).", who=who,
             shown=_shown(d.get("shown")))


@_says("deletion_request.viewed")
def _request_viewed(e, d, n, who):
    return _("%(who)s viewed %(record)s.", who=who, record=n.request(e))


@_says("deletion_request.outcome")
def _outcome(e, d, n, who):
    new = str(OUTCOMES.get(d.get("new"), ""))
    old = str(OUTCOMES.get(d.get("old"), ""))
    if not new:
        return _("%(who)s recorded the outcome of %(record)s.", who=who, record=n.request(e))
    if old:
        return _("%(who)s recorded the outcome of %(record)s: %(new)s (it was %(old)s).",
                 who=who, record=n.request(e), new=new.lower(), old=old.lower())
    return _("%(who)s recorded the outcome of %(record)s: %(new)s.", who=who,
             record=n.request(e), new=new.lower())


@_says("category.saved")
def _category(e, d, n, who):
    name = d.get("label") or _("without a name")
    if d.get("active", True):
        return _("%(who)s saved the breach category ‘%(name)s’.", who=who, name=name)
    return _("%(who)s saved the breach category ‘%(name)s’, and stopped offering it.", who=who,
             name=name)


@_says("policy.published")
def _published(e, d, n, who):
    version = e.record_id
    if e.actor_id is None and e.actor_label == "seed":
        return _("The school's policy was published as version %(version)s when the kiosk was "
                 "set up.", version=version)
    review = ""
    try:
        review = " " + _("Its review is due on %(day)s.", day=long_date(
            dt.date.fromisoformat(str(d["review_due"]))))
    except (KeyError, ValueError):
        pass
    if d.get("change") == "minor":
        said = _("%(who)s published version %(version)s of the policy, as a minor change "
                 "(nobody was asked to accept it again).", who=who, version=version)
    else:
        said = _("%(who)s published version %(version)s of the policy.", who=who,
                 version=version)
    return said + review


def _language_name(d) -> str:
    from .i18n import LANGUAGES  # the language's own name, as the head's list shows it

    return LANGUAGES.get(str(d.get("language")), str(d.get("language") or "?"))


@_says("policy.translation_saved")
def _translation_saved(e, d, n, who):
    if d.get("english_applies", True):
        return _("%(who)s added a translation of version %(version)s of the policy into "
                 "%(language)s, marked: the English version is the one that applies.",
                 who=who, version=d.get("version"), language=_language_name(d))
    return _("%(who)s added a translation of version %(version)s of the policy into "
             "%(language)s, applying as well as the English.", who=who,
             version=d.get("version"), language=_language_name(d))


@_says("policy.translation_withdrawn")
def _translation_withdrawn(e, d, n, who):
    return _("%(who)s stopped offering the %(language)s translation of version %(version)s of "
             "the policy.", who=who, version=d.get("version"), language=_language_name(d))


@_says("school.setup_saved")
def _setup(e, d, n, who):
    changed = [_(SCHOOL_DETAILS[name]) for name in d.get("changed") or []
               if name in SCHOOL_DETAILS]
    if not changed:
        return _("%(who)s saved the school's details without changing them.", who=who)
    return _("%(who)s saved the school's details, changing %(changed)s.", who=who,
             changed=_listing(changed))


@_says("roster.added")
def _roster_added(e, d, n, who):
    role = _(ROSTER_ROLE_WORDS.get(d.get("role"), N_("someone in scope")))
    return _("%(who)s added %(person)s to the roster as %(role)s.", who=who, person=n.person(e),
             role=role)


@_says("roster.activated")
def _roster_back(e, d, n, who):
    return _("%(who)s put %(person)s back on the roster.", who=who, person=n.person(e))


@_says("roster.deactivated")
def _roster_off(e, d, n, who):
    return _("%(who)s took %(person)s off the roster.", who=who, person=n.person(e))


@_says("roster.link_shown")
def _link_shown(e, d, n, who):
    return _("%(who)s opened the personal link of %(person)s, to print or send.", who=who,
             person=n.person(e))


@_says("roster.new_link")
def _new_link(e, d, n, who):
    return _("%(who)s made a new personal link for %(person)s; the old one no longer works.",
             who=who, person=n.person(e))


@_says("roster.imported")
def _imported(e, d, n, who):
    # Translators: part of "…imported the roster from a spreadsheet: 3 people added, …"
    added = ngettext("%(num)s person", "%(num)s people", d.get("add"))
    if d.get("skipped"):
        return ngettext("%(who)s imported the roster from a spreadsheet: %(added)s added, %(updated)s "
                        "updated and %(unchanged)s unchanged; %(num)s row skipped for a problem.",
                        "%(who)s imported the roster from a spreadsheet: %(added)s added, %(updated)s "
                        "updated and %(unchanged)s unchanged; %(num)s rows skipped for a problem.",
                        d.get("skipped"), who=who, added=added, updated=_figure(d.get("update")),
                        unchanged=_figure(d.get("unchanged")))
    return _("%(who)s imported the roster from a spreadsheet: %(added)s added, %(updated)s "
             "updated and %(unchanged)s unchanged.", who=who, added=added,
             updated=_figure(d.get("update")), unchanged=_figure(d.get("unchanged")))


@_says("roster.letters_shown")
def _letters(e, d, n, who):
    if d.get("of"):  # one printout of several
        first, count = (value if isinstance(value, int) else 0
                        for value in (d.get("first"), d.get("count")))
        return _("%(who)s opened letters %(first)s to %(last)s of the %(of)s people still to "
                 "accept the policy, to print.", who=who, first=_figure(first),
                 last=_figure(first + count - 1), of=_figure(d.get("of")))
    return ngettext("%(who)s opened the letters to print for %(num)s person still to accept the "
                    "policy.",
                    "%(who)s opened the letters to print for %(num)s people still to accept the "
                    "policy.", d.get("count"), who=who)


@_says("roster.links_shown")
def _links(e, d, n, who):
    return ngettext("%(who)s opened the personal links to copy for %(num)s person still to accept "
                    "the policy.",
                    "%(who)s opened the personal links to copy for %(num)s people still to accept "
                    "the policy.", d.get("count"), who=who)


@_says("roster.reminded")
def _reminded(e, d, n, who):
    # Translators: the parts of "…sent reminders to accept the policy: 3 reminders sent, …"
    parts = [ngettext("%(num)s reminder sent", "%(num)s reminders sent", d.get("sent"))]
    if d.get("skipped"):
        parts.append(ngettext("%(num)s person skipped as reminded recently",
                              "%(num)s people skipped as reminded recently", d.get("skipped")))
    if d.get("failed"):
        parts.append(ngettext("%(num)s reminder could not be sent", "%(num)s reminders could not be sent",
                              d.get("failed")))
    return _("%(who)s sent reminders to accept the policy: %(parts)s.", who=who,
             parts=_listing(parts))


@_says("export.acceptances")
def _export_acceptances(e, d, n, who):
    return ngettext("%(who)s downloaded every acceptance as a spreadsheet (%(num)s row).",
                    "%(who)s downloaded every acceptance as a spreadsheet (%(num)s rows).",
                    d.get("rows"), who=who)


@_says("export.breaches")
def _export_breaches(e, d, n, who):
    return ngettext("%(who)s downloaded the breaches as a spreadsheet (%(num)s row).",
                    "%(who)s downloaded the breaches as a spreadsheet (%(num)s rows).",
                    d.get("rows"), who=who)


def _records_held(d: dict) -> int:
    return sum(value for key, value in d.items() if key != "format" and isinstance(value, int))


@_says("subject_access.previewed")
def _subject_access_looked(e, d, n, who):
    return ngettext("%(who)s looked up everything held about one person for a subject access request "
                    "(%(num)s record).",
                    "%(who)s looked up everything held about one person for a subject access request "
                    "(%(num)s records).", _records_held(d), who=who)


@_says("subject_access.downloaded")
def _subject_access_downloaded(e, d, n, who):
    if d.get("format") == "csv":
        return ngettext("%(who)s downloaded everything held about one person for a subject access "
                        "request (%(num)s record), as a spreadsheet.",
                        "%(who)s downloaded everything held about one person for a subject access "
                        "request (%(num)s records), as a spreadsheet.", _records_held(d), who=who)
    return ngettext("%(who)s downloaded everything held about one person for a subject access "
                    "request (%(num)s record), as a data file.",
                    "%(who)s downloaded everything held about one person for a subject access "
                    "request (%(num)s records), as a data file.", _records_held(d), who=who)


@_says("reports.dashboard_viewed")
def _dashboard(e, d, n, who):
    return _("%(who)s looked at the reports.", who=who)


@_says("reports.governors_viewed")
def _governors(e, d, n, who):
    return _("%(who)s looked at the governors' termly summary.", who=who)


@_says("chronology.viewed")
def _chronology(e, d, n, who):
    return ngettext("%(who)s looked at one person's chronology (%(num)s record).",
                    "%(who)s looked at one person's chronology (%(num)s records).",
                    d.get("records"), who=who)


@_says("evidence.viewed")
def _evidence(e, d, n, who):
    if e.record_kind == "roster_person":
        return _("%(who)s looked at %(person)s's evidence of accepting the policy.", who=who,
                 person=n.person(e))
    return ngettext("%(who)s looked at one person's evidence of accepting the policy (%(num)s "
                    "acceptance).",
                    "%(who)s looked at one person's evidence of accepting the policy (%(num)s "
                    "acceptances).", d.get("records"), who=who)


@_says("retention.changed")
def _retention(e, d, n, who):
    kind = RETENTION_KINDS.get(e.record_id)
    what = _first_lower(str(kind[0])) if kind else _("records")
    try:
        old, new = period_in_words(int(d["old"])), period_in_words(int(d["new"]))
    except (KeyError, TypeError, ValueError):
        return _("%(who)s changed how long %(what)s are kept.", who=who, what=what)
    return _("%(who)s changed how long %(what)s are kept from %(old)s to %(new)s.", who=who,
             what=what, old=old, new=new)


@_says("retention.purged")
def _purged(e, d, n, who):
    removed = [ngettext(one, many, d.get(key)) for key, (one, many) in PURGED.items() if d.get(key)]
    if not removed:
        return _("The regular clear-out of old records found nothing to remove.")
    if d.get("stopped"):  # the next clear-out carries on with what is left
        return _("The regular clear-out of old records removed %(removed)s, then stopped before "
                 "it had finished.", removed=_listing(removed))
    return _("The regular clear-out of old records removed %(removed)s.",
             removed=_listing(removed))


@_says("retention.kept")
def _kept(e, d, n, who):
    return ngettext("%(who)s decided to keep %(record)s for %(num)s more year.",
                    "%(who)s decided to keep %(record)s for %(num)s more years.", d.get("years"),
                    who=who, record=n.breach(e))


@_says("retention.deleted_after_review")
def _deleted_after_review(e, d, n, who):
    if d.get("deletion_requests"):
        return ngettext("%(who)s deleted a breach after reviewing it, with its %(num)s deletion "
                        "request.",
                        "%(who)s deleted a breach after reviewing it, with its %(num)s deletion "
                        "requests.", d.get("deletion_requests"), who=who)
    return _("%(who)s deleted a breach after reviewing it.", who=who)


@_says("backup.made")
def _backup(e, d, n, who):
    return _("A backup of the records was made.")


# Welfare tasks: named only as "a welfare task" (a pupil's name does not belong in the log).
WELFARE_CHANGES = {"welfare_note": N_("%(who)s added what the DSL needs to know to a welfare task."),
                   "note": N_("%(who)s added a note to a welfare task."),
                   "safeguarding_ref": N_("%(who)s recorded the safeguarding system reference of "
                                          "a welfare task."),
                   "status": N_("%(who)s changed the status of a welfare task.")}


@_says("welfare_task.created")
def _welfare_created(e, d, n, who):
    if d.get("from_kind") == "disclosure":
        return _("%(who)s recorded what a child told them, as a welfare task for the DSL.",
                 who=who)
    return _("%(who)s opened a welfare task for the DSL about pupils involved in a concern.",
             who=who)


@_says("welfare_task.list_viewed")
def _welfare_list(e, d, n, who):
    shown = [key for key in _listed(d.get("shown")) if str(key) not in n.hidden_tasks]
    return _("%(who)s looked at the list of welfare tasks (%(shown)s).", who=who,
             shown=_shown(shown))


@_says("welfare_task.viewed")
def _welfare_viewed(e, d, n, who):
    return _("%(who)s viewed a welfare task.", who=who)


@_says("welfare_task.updated")
def _welfare_updated(e, d, n, who):
    return _(WELFARE_CHANGES.get(d.get("change"), N_("%(who)s changed a welfare task.")), who=who)


@_says("welfare_task.name_shared")
def _welfare_name_shared(e, d, n, who):
    return _("%(who)s shared the name of the member of staff a concern is about with the DSL.",
             who=who)


# Declarations of family links (declarations.py) ---------------------------------------------------

DECLARATION_LISTS = {"own": N_("their own declarations of family links"),
                     "all": N_("the declarations of family links"),
                     "breach": N_("the declarations of family links beside a concern about a "
                                  "member of staff")}


@_says("declaration.made")
def _declaration_made(e, d, n, who):
    return _("%(who)s declared a family link with a pupil's family.", who=who)


@_says("declaration.ended")
def _declaration_ended(e, d, n, who):
    return _("%(who)s said a family link they had declared no longer applies.", who=who)


@_says("declaration.confirmed")
def _declaration_confirmed(e, d, n, who):
    return ngettext("%(who)s confirmed their declared family links are still correct (%(num)s "
                    "declaration).",
                    "%(who)s confirmed their declared family links are still correct (%(num)s "
                    "declarations).", len(_listed(d.get("confirmed"))), who=who)


@_says("declaration.acknowledged")
def _declaration_acknowledged(e, d, n, who):
    return _("%(who)s acknowledged a declaration of a family link.", who=who)


@_says("declaration.list_viewed")
def _declaration_list(e, d, n, who):
    listed = _(DECLARATION_LISTS.get(d.get("list"), N_("declarations of family links")))
    return _("%(who)s looked at %(list)s (%(shown)s).", who=who, list=listed,
             shown=_shown(d.get("shown")))


@_says("welfare_alert.sent")
def _welfare_alert_sent(e, d, n, who):
    return ngettext("An email alert that a welfare task is waiting was sent to %(num)s person.",
                    "An email alert that a welfare task is waiting was sent to %(num)s people.",
                    d.get("recipients"))


@_says("welfare_alert.failed")
def _welfare_alert_failed(e, d, n, who):
    return _("The email alert that a welfare task is waiting could not be sent. Ask your IT "
             "support to check the school's email settings.")


@_says("audit.viewed")
def _audit_viewed(e, d, n, who):
    if d.get("breach"):
        return _("%(who)s looked at the audit log for %(record)s.", who=who,
                 record=n.breach(e, d["breach"]))
    if d.get("deletion"):
        return _("%(who)s looked at the audit log for %(record)s.", who=who,
                 record=n.request(e, d["deletion"]))
    return _("%(who)s looked at the audit log.", who=who)


@_says(audit.CHECKED)
def _checked(e, d, n, who):
    full = d.get("full") is True  # (checks from before there were incremental ones: neither)
    if d.get("problem") in CHECK_FOUND:
        # Translators: what a check of the audit log found, after "…checked the audit log: "
        found = _("found that %(problem)s", problem=_(CHECK_FOUND[d["problem"]]))
    elif d.get("full") is False:
        found = LastCheck(at=e.at, by=None, checked=_whole(d.get("checked")), fault=None,
                          full=False, start=d.get("start", "check")).intact_words
    elif full:
        found = ngettext("all %(num)s were intact", "all %(num)s were intact", d.get("checked"))
    else:
        found = ngettext("all %(num)s entry were intact", "all %(num)s entries were intact",
                         d.get("checked"))
    if e.actor_id is None:
        if full:
            return _("Every entry of the audit log was checked on the server: %(found)s.",
                     found=found)
        return _("The audit log was checked on the server: %(found)s.", found=found)
    if full:
        return _("%(who)s checked every entry of the audit log: %(found)s.", who=who,
                 found=found)
    return _("%(who)s checked the audit log: %(found)s.", who=who, found=found)


@_says(audit.KEYED)
def _keyed(e, d, n, who):
    return ngettext("The audit log was sealed with the school's own key, which is kept outside the "
                    "database: this entry and the %(num)s entry before it cannot now be changed "
                    "without a check noticing.",
                    "The audit log was sealed with the school's own key, which is kept outside the "
                    "database: this entry and the %(num)s entries before it cannot now be changed "
                    "without a check noticing.", d.get("before"))


@_says(audit.CHECKPOINT_FAILED)
def _checkpoint_failed(e, d, n, who):
    return _("The server could not write down how far the audit log had reached in its file "
             "outside the database. Ask your IT support to check the server's disk and where "
             "that file is kept.")


# Low-level concerns and who a concern is about (issue 12) ----------------------------------------

@_says("low_level.settings_saved")
def _low_level_settings(e, d, n, who):
    lead = {"dsl": N_("the DSL"), "head": N_("the headteacher alone")}.get(d.get("lead"),
                                                                          N_("someone"))
    return ngettext("%(who)s chose %(lead)s to lead on low-level concerns about staff, and a pattern "
                    "at %(num)s concern in 12 months.",
                    "%(who)s chose %(lead)s to lead on low-level concerns about staff, and a pattern "
                    "at %(num)s concerns in 12 months.", d.get("threshold"), who=who, lead=_(lead))


@_says("breach.conversation_added")
def _conversation(e, d, n, who):
    return _("%(who)s recorded the conversation held about %(record)s.", who=who,
             record=n.breach(e))


@_says("breach.subject_linked")
def _subject_linked(e, d, n, who):
    if d.get("linked") == "staff":
        return _("%(who)s linked %(record)s to a staff account, as who it is about.", who=who,
                 record=n.breach(e))
    if d.get("linked") == "roster":
        return _("%(who)s linked %(record)s to a person on the roster, as who it is about.",
                 who=who, record=n.breach(e))
    return _("%(who)s removed the link between %(record)s and who it is about.", who=who,
             record=n.breach(e))


@_says("breach.passed_to_chair")
def _passed_to_chair(e, d, n, who):
    return _("%(who)s found that %(record)s is about the headteacher, so it passed to the chair "
             "of governors.", who=who, record=n.breach(e))


@_says("low_level.log_viewed")
def _low_level_log(e, d, n, who):
    return _("%(who)s looked at the low-level concerns log (%(shown)s).", who=who,
             shown=_shown(d.get("shown")))


@_says("low_level.person_viewed")
def _low_level_person(e, d, n, who):
    return ngettext("%(who)s looked at one person's low-level concerns (%(num)s concern).",
                    "%(who)s looked at one person's low-level concerns (%(num)s concerns).",
                    len(d["shown"]) if isinstance(d.get("shown"), list) else 0, who=who)


@_says("account.left_on_set")
def _account_left_on(e, d, n, who):
    whom = n.account(e) or _("someone")
    if not d.get("left_on"):
        return _("%(who)s recorded that %(whom)s still works at the school.", who=who, whom=whom)
    return _("%(who)s recorded the day %(whom)s left the school.", who=who, whom=whom)


@_says("roster.left_on_set")
def _roster_left_on(e, d, n, who):
    if not d.get("left_on"):
        return _("%(who)s recorded that %(person)s is still at the school.", who=who,
                 person=n.person(e))
    return _("%(who)s recorded the day %(person)s left the school.", who=who, person=n.person(e))


# Kiosk devices ---------------------------------------------------------------------------------

@_says("device.added")
def _device_added(e, d, n, who):
    return _("%(who)s added %(device)s and was shown its pairing code.", who=who,
             device=n.device(e))


@_says("device.code_made")
def _device_code(e, d, n, who):
    return _("%(who)s made a new pairing code for %(device)s.", who=who, device=n.device(e))


@_says("device.paired")
def _device_paired(e, d, n, who):
    return _("A tablet was paired as %(device)s.", device=n.device(e))


@_says("device.revoked")
def _device_revoked(e, d, n, who):
    return _("%(who)s removed %(device)s: it is no longer a kiosk.", who=who, device=n.device(e))


@_says("device.silent_hours_changed")
def _device_silent(e, d, n, who):
    return ngettext("%(who)s set kiosk devices to be flagged after %(num)s hour without being seen.",
                    "%(who)s set kiosk devices to be flagged after %(num)s hours without being seen.",
                    d.get("hours"), who=who)


# Permission to post about the school ------------------------------------------------------------

DECISION_WORDS = {"approved": N_("%(who)s approved %(request)s."),
                  "declined": N_("%(who)s declined %(request)s."),
                  "question": N_("%(who)s asked a question about %(request)s.")}


@_says("permission.requested")
def _permission_requested(e, d, n, who):
    found = n.permissions.get(str(e.record_id))
    if found:
        return _("%(who)s asked the headteacher's permission to post on %(where)s.",
                 who=n.requester(e, who), where=found.where)
    return _("%(who)s asked the headteacher's permission to post about the school.",
             who=n.requester(e, who))


@_says("permission.answered")
def _permission_answered(e, d, n, who):
    return _("%(who)s answered the headteacher's question about %(request)s.",
             who=n.requester(e, who), request=n.permission(e, True))


@_says("permission.decided")
def _permission_decided(e, d, n, who):
    return _(DECISION_WORDS.get(d.get("decision"), N_("%(who)s decided on %(request)s.")),
             who=who, request=n.permission(e))


@_says("permission_request.viewed")
def _permission_viewed(e, d, n, who):
    return _("%(who)s viewed %(request)s.", who=n.requester(e, who),
             request=n.permission(e, True))


PERMISSION_CHECKS = {
    "breach_form": N_("%(who)s checked a name against the headteacher's permissions to post on "
                      "the breach form (%(shown)s)."),
    "breach": N_("%(who)s checked a name against the headteacher's permissions to post on a "
                 "breach's page (%(shown)s)."),
}


@_says("permission_request.list_viewed")
def _permission_checked(e, d, n, who):
    said = PERMISSION_CHECKS.get(d.get("list"), N_(
        "%(who)s checked a name against the headteacher's permissions to post (%(shown)s)."))
    return _(said, who=who, shown=_shown(d.get("shown")))


@_says("permission.wait_changed")
def _permission_wait(e, d, n, who):
    return ngettext("%(who)s set requests to post about the school to be flagged after %(num)s "
                    "working day waiting.",
                    "%(who)s set requests to post about the school to be flagged after %(num)s "
                    "working days waiting.", d.get("days"), who=who)


@_says("permission_email.sent")
def _permission_email_sent(e, d, n, who):
    return _("The headteacher's answer to %(request)s was emailed to them.",
             request=n.permission(e))


@_says("permission_email.failed")
def _permission_email_failed(e, d, n, who):
    return _("The headteacher's answer to %(request)s could not be emailed. Ask your IT support "
             "to check the school's email settings.", request=n.permission(e))


def _unknown(e, d, n, who):
    about = {"breach": n.breach, "deletion_request": n.request}.get(e.record_kind)
    if about:
        return _("%(who)s did something about %(record)s that this page has no words for yet.",
                 who=who, record=about(e))
    return _("%(who)s did something that this page has no words for yet.", who=who)


def _sentence(event: AuditEvent, names: _Names) -> str:
    who = names.actor(event) or _("Someone")
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
        had = ngettext("the log had reached %(num)s entry", "the log had reached %(num)s entries",
                       self.had)
        if self.has:
            left = ngettext("only %(num)s of them is still there", "only %(num)s of them are still "
                            "there", self.has)
        else:
            left = _("none of them is still there")
        gone = ngettext("%(num)s entry has been removed", "%(num)s entries have been removed",
                        self.removed)
        # Translators: "the log had reached 1,052 entries, but only 1,040 of them are still
        # there: 12 entries have been removed"
        return _("%(had)s, but %(left)s: %(gone)s", had=had, left=left, gone=gone)

    @property
    def since_words(self) -> str:
        """Since when an incremental check read the entries."""
        return (_("since the log was last written down outside the database")
                if self.start == "checkpoint" else _("since the check before"))

    @property
    def intact_words(self) -> str:
        """"all 12,345 entries were intact", or "the 12 entries added since the check before
        were intact"."""
        if not self.full:
            if self.checked == 0:
                return _("no entries had been added %(since)s", since=self.since_words)
            if self.checked == 1:
                return _("the one entry added %(since)s was intact", since=self.since_words)
            return ngettext("the %(num)s entry added %(since)s were intact",
                            "the %(num)s entries added %(since)s were intact", self.checked,
                            since=self.since_words)
        if self.checked == 1:
            return _("the one entry was intact")
        return ngettext("all %(num)s entry were intact", "all %(num)s entries were intact",
                        self.checked)

    @property
    def before_words(self) -> str:
        """What was found sound before the fault."""
        if not self.full:
            if self.checked == 0:  # the point the check started from, or the first after it
                return ""
            if self.checked == 1:
                return _("The one entry before it, added %(since)s, is intact.",
                         since=self.since_words)
            return ngettext("The %(num)s entry before it, added %(since)s, are intact.",
                            "The %(num)s entries before it, added %(since)s, are intact.",
                            self.checked, since=self.since_words)
        if self.checked == 0:
            return _("It is the first entry in the log.")
        if self.checked == 1:
            return _("The one entry before it is intact.")
        return ngettext("The %(num)s entry before it are intact.",
                        "The %(num)s entries before it are intact.", self.checked)


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

