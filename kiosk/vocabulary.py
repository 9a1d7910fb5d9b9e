"""Every fixed list of codes the app stores, with the words a school reads for each.

One place for them: forms offer them, domain modules check them, and templates show a stored
code through the `label` filter (`{{ breach.status | label("breach_status") }}`), so no view
passes a dictionary of labels to a template.
"""

from __future__ import annotations

# Who accepted the policy (an acceptance's role).
VISITOR_ROLES: dict[str, str] = {
    "visitor": "Visitor",
    "parent": "Parent or carer",
    "pta": "PTA member",
    "volunteer": "Volunteer",
    "governor": "Governor",
    "contractor": "Contractor",
    "staff": "Member of staff",
    "other": "Other",
}

# How they reached it.
CHANNELS: dict[str, str] = {"kiosk": "Entrance tablet", "phone": "Own phone",
                            "link": "Personal link"}

# People on the roster; each is also a visitor role, which their personal link's acceptance records.
ROSTER_ROLES: dict[str, str] = {
    "pta": "PTA member",
    "volunteer": "Volunteer",
    "governor": "Governor",
    "staff": "Member of staff",
}

# Staff accounts.
STAFF_ROLES: dict[str, str] = {
    "staff": "Staff (teacher, teaching assistant, office)",
    "dsl": "Designated Safeguarding Lead",
    "head": "Headteacher",
    "chair": "Chair of governors",
}

# Whom a breach is about.
SUBJECT_KINDS: dict[str, str] = {
    "visitor": "Visitor",
    "parent": "Parent or carer",
    "pta_volunteer": "PTA member or volunteer",
    "contractor": "Contractor",
    "staff": "Member of staff",
    "pupil": "Pupil",
    "governor": "Governor",
    "unknown": "Not known",
}

# What the member of staff did there and then.
BREACH_ACTIONS: dict[str, str] = {
    "asked_to_stop": "Asked them to stop",
    "asked_to_delete": "Asked them to delete material",
    "saw_deleted": "Saw it deleted",
    "asked_to_leave": "Asked them to leave the premises",
    "told_head": "Told the headteacher",
    "told_dsl": "Told the DSL",
}

BREACH_STATUSES: dict[str, str] = {"open": "Open", "in_review": "In review", "closed": "Closed"}

# Deletion requests: what, where, and what happened.
MATERIALS: dict[str, str] = {
    "photo": "Photo",
    "video": "Video",
    "post": "Post",
    "message": "Message",
    "other": "Other",
}
LOCATIONS: dict[str, str] = {"device": "On their device", "online": "Online (with a link)"}
OUTCOMES: dict[str, str] = {
    "pending": "Waiting",
    "deleted_in_front": "Deleted in front of staff",
    "confirmed_removed": "Confirmed removed online",
    "refused": "Refused",
    "not_done": "Not done by the deadline",
}

# Publishing a policy version: whether people who accepted the one before must accept again.
POLICY_CHANGES: dict[str, str] = {
    "full": "A change everyone must accept again",
    "minor": "A minor change (no re-acceptance)",
}

# A concern about a member of staff, as its case manager classifies it (KCSIE Part 4).
CLASSIFICATIONS: dict[str, str] = {
    "allegation": "An allegation that may meet the harm threshold",
    "low_level": "A low-level concern",
    "conduct": "A breach of the policy that is not a safeguarding concern",
}
# The harm threshold: an allegation meets one or more of these (KCSIE Part 4, paragraph 1).
HARM_TESTS: dict[str, str] = {
    "harmed": "Behaved in a way that has harmed a child, or may have harmed a child",
    "offence": "Possibly committed a criminal offence against or related to a child",
    "risk": "Behaved towards a child or children in a way that indicates they may pose a risk "
            "of harm to children",
    "unsuitable": "Behaved or may have behaved in a way that indicates they may not be suitable "
                  "to work with children",
}
# How an allegation ended: KCSIE's five outcomes, with its definitions.
ALLEGATION_OUTCOMES: dict[str, str] = {
    "substantiated": "Substantiated",
    "malicious": "Malicious",
    "false": "False",
    "unsubstantiated": "Unsubstantiated",
    "unfounded": "Unfounded",
}
ALLEGATION_OUTCOME_MEANINGS: dict[str, str] = {
    "substantiated": "There is sufficient evidence to prove the allegation.",
    "malicious": "There is sufficient evidence to disprove the allegation, and there has been "
                 "a deliberate act to deceive.",
    "false": "There is sufficient evidence to disprove the allegation.",
    "unsubstantiated": "There is insufficient evidence either to prove or disprove the "
                       "allegation. It does not imply guilt or innocence.",
    "unfounded": "There is no evidence or proper basis which supports the allegation being made.",
}
# Outcomes whose record is removed at closing unless the person asks in writing to keep it.
REMOVED_OUTCOMES = ("malicious", "false")
# While an allegation is looked into: suspension is not automatic (KCSIE Part 4).
SUSPENSION_DECISIONS: dict[str, str] = {
    "no_change": "No change: they carry on working as usual",
    "alternatives": "Alternative arrangements (another role, another adult present, "
                    "another class)",
    "suspended": "Suspended",
}
# Who leads on low-level concerns besides the case manager.
LOW_LEVEL_LEADS: dict[str, str] = {"dsl": "The Designated Safeguarding Lead",
                                   "head": "The headteacher"}
# What the DSL is asked to look after for a child.
WELFARE_KINDS: dict[str, str] = {
    "staff_concern": "A concern about an adult at school involves this child",
    "disclosure": "A child told a member of staff something",
}
WELFARE_STATUSES: dict[str, str] = {"open": "To do", "done": "Done"}
# "A child told me something": was it about an adult who works or volunteers at the school?
DISCLOSURE_ABOUT: dict[str, str] = {"no": "No", "yes": "Yes",
                                    "head": "Yes, about the headteacher"}
# Asking the headteacher's permission to post or publish about the school.
PERMISSION_STATUSES: dict[str, str] = {
    "waiting": "Waiting for the headteacher",
    "question": "The headteacher has a question",
    "approved": "Approved",
    "declined": "Declined",
}
# Who or what a post shows.
PERMISSION_SHOWS: dict[str, str] = {"pupils": "Pupils", "staff": "Staff", "parents": "Parents"}
# The requester's answer: have the pupils' photo consents been checked?
CONSENT_ANSWERS: dict[str, str] = {"yes": "Yes, checked", "no": "No, not yet"}
# The head's decision.
PERMISSION_DECISIONS: dict[str, str] = {
    "approved": "Approve",
    "declined": "Decline",
    "question": "Ask a question first",
}

VOCABULARIES: dict[str, dict[str, str]] = {
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


def label(code: str | None, vocabulary: str) -> str:
    """The words for a stored code; a code no longer in the list is shown as it was stored."""
    return VOCABULARIES[vocabulary].get(code, code or "")
