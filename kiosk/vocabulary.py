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
}


def label(code: str | None, vocabulary: str) -> str:
    """The words for a stored code; a code no longer in the list is shown as it was stored."""
    return VOCABULARIES[vocabulary].get(code, code or "")
