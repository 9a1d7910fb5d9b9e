"""Every fixed list of codes the app stores, with the words a school reads for each.

One place for them: forms offer them, domain modules check them, and templates show a stored
code through the `label` filter (`{{ breach.status | label("breach_status") }}`), so no view
passes a dictionary of labels to a template.

The words are lazy (`lazy_gettext`): each is read in the language of the request it is shown
in. `label` gives them as a plain str; what is stored, exported or emailed to staff is in
English whatever the page's language (`english_label`, `english`).
"""

from __future__ import annotations

from flask_babel import force_locale, lazy_gettext
from flask_babel.speaklater import LazyString

from .i18n import DEFAULT

Words = LazyString  # a label, read in the request's language when made a str


# `lazy_gettext`: English outside a request (kiosk/i18n.py), where a command or the audit
# log's export reads these. `make translations` reads `_l`.
_l = lazy_gettext

# Who accepted the policy (an acceptance's role).
VISITOR_ROLES: dict[str, Words] = {
    "visitor": _l("Visitor"),
    "parent": _l("Parent or carer"),
    "pta": _l("PTA member"),
    "volunteer": _l("Volunteer"),
    "governor": _l("Governor"),
    "contractor": _l("Contractor"),
    "staff": _l("Member of staff"),
    # Translators: what describes a visitor, when none of the others does
    "other": _l("Other"),
}

# How they reached it.
CHANNELS: dict[str, Words] = {"kiosk": _l("Entrance tablet"), "phone": _l("Own phone"),
                              "link": _l("Personal link")}

# People on the roster; each is also a visitor role, which their personal link's acceptance records.
ROSTER_ROLES: dict[str, Words] = {
    "pta": _l("PTA member"),
    "volunteer": _l("Volunteer"),
    "governor": _l("Governor"),
    "staff": _l("Member of staff"),
}

# Staff accounts.
STAFF_ROLES: dict[str, Words] = {
    "staff": _l("Staff (teacher, teaching assistant, office)"),
    "dsl": _l("Designated Safeguarding Lead"),
    "head": _l("Headteacher"),
    "chair": _l("Chair of governors"),
}

# Whom a breach is about.
SUBJECT_KINDS: dict[str, Words] = {
    "visitor": _l("Visitor"),
    "parent": _l("Parent or carer"),
    "pta_volunteer": _l("PTA member or volunteer"),
    "contractor": _l("Contractor"),
    "staff": _l("Member of staff"),
    "pupil": _l("Pupil"),
    "governor": _l("Governor"),
    "unknown": _l("Not known"),
}

# What the member of staff did there and then.
BREACH_ACTIONS: dict[str, Words] = {
    "asked_to_stop": _l("Asked them to stop"),
    "asked_to_delete": _l("Asked them to delete material"),
    "saw_deleted": _l("Saw it deleted"),
    "asked_to_leave": _l("Asked them to leave the premises"),
    "told_head": _l("Told the headteacher"),
    "told_dsl": _l("Told the DSL"),
}

# Translators: the status of a record of a breach of the policy (open, in review, closed)
BREACH_STATUSES: dict[str, Words] = {"open": _l("Open"), "in_review": _l("In review"),
                                     "closed": _l("Closed")}

# Deletion requests: what, where, and what happened.
MATERIALS: dict[str, Words] = {
    "photo": _l("Photo"),
    "video": _l("Video"),
    # Translators: a post on social media (a noun)
    "post": _l("Post"),
    # Translators: a message sent by phone or online (a noun)
    "message": _l("Message"),
    "other": _l("Other"),
}
LOCATIONS: dict[str, Words] = {"device": _l("On their device"), "online": _l("Online (with a link)")}
OUTCOMES: dict[str, Words] = {
    "pending": _l("Waiting"),
    "deleted_in_front": _l("Deleted in front of staff"),
    "confirmed_removed": _l("Confirmed removed online"),
    "refused": _l("Refused"),
    "not_done": _l("Not done by the deadline"),
}

# Publishing a policy version: whether people who accepted the one before must accept again.
POLICY_CHANGES: dict[str, Words] = {
    "full": _l("A change everyone must accept again"),
    "minor": _l("A minor change (no re-acceptance)"),
}

# A concern about a member of staff, as its case manager classifies it (KCSIE Part 4).
CLASSIFICATIONS: dict[str, Words] = {
    "allegation": _l("An allegation that may meet the harm threshold"),
    "low_level": _l("A low-level concern"),
    "conduct": _l("A breach of the policy that is not a safeguarding concern"),
}
# The harm threshold: an allegation meets one or more of these (KCSIE Part 4, paragraph 1).
HARM_TESTS: dict[str, Words] = {
    "harmed": _l("Behaved in a way that has harmed a child, or may have harmed a child"),
    "offence": _l("Possibly committed a criminal offence against or related to a child"),
    "risk": _l("Behaved towards a child or children in a way that indicates they may pose a risk "
               "of harm to children"),
    "unsuitable": _l("Behaved or may have behaved in a way that indicates they may not be suitable "
                     "to work with children"),
}
# How an allegation ended: KCSIE's five outcomes, with its definitions.
ALLEGATION_OUTCOMES: dict[str, Words] = {
    "substantiated": _l("Substantiated"),
    "malicious": _l("Malicious"),
    # Translators: an allegation shown to be untrue (KCSIE's outcome "false")
    "false": _l("False"),
    "unsubstantiated": _l("Unsubstantiated"),
    "unfounded": _l("Unfounded"),
}
ALLEGATION_OUTCOME_MEANINGS: dict[str, Words] = {
    "substantiated": _l("There is sufficient evidence to prove the allegation."),
    "malicious": _l("There is sufficient evidence to disprove the allegation, and there has been "
                    "a deliberate act to deceive."),
    "false": _l("There is sufficient evidence to disprove the allegation."),
    "unsubstantiated": _l("There is insufficient evidence either to prove or disprove the "
                          "allegation. It does not imply guilt or innocence."),
    "unfounded": _l("There is no evidence or proper basis which supports the allegation being made."),
}
# Outcomes whose record is removed at closing unless the person asks in writing to keep it.
REMOVED_OUTCOMES = ("malicious", "false")
# While an allegation is looked into: suspension is not automatic (KCSIE Part 4).
SUSPENSION_DECISIONS: dict[str, Words] = {
    "no_change": _l("No change: they carry on working as usual"),
    "alternatives": _l("Alternative arrangements (another role, another adult present, "
                       "another class)"),
    "suspended": _l("Suspended"),
}
# Who leads on low-level concerns besides the case manager.
LOW_LEVEL_LEADS: dict[str, Words] = {"dsl": _l("The Designated Safeguarding Lead"),
                                     "head": _l("The headteacher")}
# What the DSL is asked to look after for a child.
WELFARE_KINDS: dict[str, Words] = {
    "staff_concern": _l("A concern about an adult at school involves this child"),
    "disclosure": _l("A child told a member of staff something"),
}
# Translators: a task's status: still to do, or done
WELFARE_STATUSES: dict[str, Words] = {"open": _l("To do"), "done": _l("Done")}
# "A child told me something": was it about an adult who works or volunteers at the school?
DISCLOSURE_ABOUT: dict[str, Words] = {"no": _l("No"), "yes": _l("Yes"),
                                      "head": _l("Yes, about the headteacher")}
# Asking the headteacher's permission to post or publish about the school.
PERMISSION_STATUSES: dict[str, Words] = {
    "waiting": _l("Waiting for the headteacher"),
    "question": _l("The headteacher has a question"),
    "approved": _l("Approved"),
    "declined": _l("Declined"),
}
# Who or what a post shows.
# Translators: who a post about the school shows (pupils, staff, parents)
PERMISSION_SHOWS: dict[str, Words] = {"pupils": _l("Pupils"), "staff": _l("Staff"),
                                      "parents": _l("Parents")}
# The requester's answer: have the pupils' photo consents been checked?
CONSENT_ANSWERS: dict[str, Words] = {"yes": _l("Yes, checked"), "no": _l("No, not yet")}
# The head's decision.
PERMISSION_DECISIONS: dict[str, Words] = {
    # Translators: the headteacher's decision on a request to post (a verb)
    "approved": _l("Approve"),
    "declined": _l("Decline"),
    "question": _l("Ask a question first"),
}

VOCABULARIES: dict[str, dict[str, Words]] = {
    "visitor_role": VISITOR_ROLES,
    "channel": CHANNELS,
    "roster_role": ROSTER_ROLES,
    "staff_role": STAFF_ROLES,
    "subject_kind": SUBJECT_KINDS,
    "breach_action": BREACH_ACTIONS,
    "breach_status": BREACH_STATUSES,
    "material": MATERIALS,
    "location": LOCATIONS,
    "outcome": OUTCOMES,
    "policy_change": POLICY_CHANGES,
    "classification": CLASSIFICATIONS,
    "harm_test": HARM_TESTS,
    "allegation_outcome": ALLEGATION_OUTCOMES,
    "allegation_outcome_meaning": ALLEGATION_OUTCOME_MEANINGS,
    "suspension": SUSPENSION_DECISIONS,
    "low_level_lead": LOW_LEVEL_LEADS,
    "welfare_kind": WELFARE_KINDS,
    "welfare_status": WELFARE_STATUSES,
    "permission_status": PERMISSION_STATUSES,
    "permission_shows": PERMISSION_SHOWS,
    "consent_answer": CONSENT_ANSWERS,
}


def english(words: Words | str) -> str:
    """A label in English, whatever the request's language: for what is stored, exported or
    emailed to staff (read later, by someone else)."""
    with force_locale(DEFAULT):
        return str(words)


def label(code: str | None, vocabulary: str) -> str:
    """The words for a stored code, in the request's language (in English outside a request);
    a code no longer in the list is shown as it was stored."""
    words = VOCABULARIES[vocabulary].get(code)
    return str(words) if words is not None else code or ""


def english_label(code: str | None, vocabulary: str) -> str:
    """The words for a stored code in English (a CSV export, an email, an audit detail); a code
    no longer in the list as it was stored."""
    words = VOCABULARIES[vocabulary].get(code)
    return english(words) if words is not None else code or ""
