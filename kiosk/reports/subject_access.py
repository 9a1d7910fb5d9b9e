"""Subject access: everything held about one adult, to preview and download (JSON or CSV)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask_babel import force_locale

from .. import audit, low_level
from ..models import (
    Acceptance,
    Breach,
    Declaration,
    DeletionRequest,
    PermissionNote,
    PermissionRequest,
    PolicyVersion,
    Reminder,
    RosterPerson,
    StaffUser,
    as_local,
    utcnow,
)
from .exports import Download, csv_pieces, download_name, english, yes_no


@dataclass(frozen=True)
class SubjectRecords:
    """Everything held about one named adult that the head may see."""

    name: str
    acceptances: list[Acceptance]
    breaches: list[Breach]
    deletion_requests: list[DeletionRequest]
    roster: list[RosterPerson]
    reminders: list[Reminder]
    permission_requests: list[PermissionRequest]
    declarations: list[Declaration]

    @property
    def counts(self) -> dict[str, int]:
        return {"acceptances": len(self.acceptances), "breaches": len(self.breaches),
                "deletion_requests": len(self.deletion_requests), "roster": len(self.roster),
                "reminders": len(self.reminders),
                "permission_requests": len(self.permission_requests),
                "declarations": len(self.declarations)}


def subject_records(name: str, viewer: StaffUser, person: RosterPerson | None = None) -> SubjectRecords:
    """Records about the person of this name (any case, any accents), and about their roster
    entry: the one given, or every entry of that name. Breaches and deletion requests only as
    the viewer may see them, so a concern about the head never appears in the head's download."""
    roster = ([person] if person is not None else
              list(RosterPerson.select().where(RosterPerson.named(name))
                   .order_by(RosterPerson.id)))
    by_name = Acceptance.named(name)
    if roster:
        by_name |= Acceptance.roster_person.in_([p.id for p in roster])
    acceptances = list(Acceptance.select(Acceptance, PolicyVersion).join(PolicyVersion).where(by_name)
                       .order_by(Acceptance.accepted_at, Acceptance.id))
    theirs = [a.id for a in acceptances]

    def named_or_linked(model):
        condition = model.named(name)
        if theirs:
            condition |= model.acceptance.in_(theirs)
        return condition

    # A concern about staff linked to their account or roster entry is theirs whatever name was
    # typed when it was logged (as in the chronology).
    about_them = named_or_linked(Breach) | low_level.linked_to_name(name)
    if roster:
        about_them |= Breach.subject_person.in_([p.id for p in roster])
    found = list(Breach.visible_to(viewer).where(about_them).order_by(Breach.occurred_at, Breach.id))
    requests = list(DeletionRequest.visible_to(viewer)
                    .where(named_or_linked(DeletionRequest))
                    .order_by(DeletionRequest.asked_at, DeletionRequest.id))
    reminders = (list(Reminder.select(Reminder, PolicyVersion).join(PolicyVersion)
                      .where(Reminder.person.in_([p.id for p in roster])).order_by(Reminder.sent_at))
                 if roster else [])
    # Their requests to post about the school: asked under this name, or through their link.
    asked = PermissionRequest.named(name)
    if roster:
        asked |= PermissionRequest.requester_person.in_([p.id for p in roster])
    permission_requests = list(PermissionRequest.visible_to(viewer).where(asked)
                               .order_by(PermissionRequest.asked_at, PermissionRequest.id))
    # The family links a member of staff of this name declared (their own data; the pupils'
    # families named in them are others', for the head to review before sending).
    declarations = list(Declaration.visible_to(viewer).join(
        StaffUser, on=Declaration.declarer == StaffUser.id).where(StaffUser.named(name))
        .order_by(Declaration.declared_at, Declaration.id))
    return SubjectRecords(name, acceptances, found, requests, roster, reminders,
                          permission_requests, declarations)


def _iso(value: dt.datetime | None, zone: ZoneInfo) -> str:
    return as_local(value, zone).isoformat(timespec="minutes") if value else ""


def subject_entries(records: SubjectRecords, zone: ZoneInfo) -> list[tuple[str, str, dict[str, object]]]:
    """(kind of record, reference, fields) for each record, in the words a reader would use, in
    English (a record handed to the person, whatever language the head's page is in).

    Left out on purpose: the roster's link secret, the staff who logged or handled a record
    (third parties), and the triage notes, which the head reviews for others' data by hand."""
    with force_locale("en"):
        return _entries(records, zone)


def _entries(records: SubjectRecords, zone: ZoneInfo) -> list[tuple[str, str, dict[str, object]]]:
    entries: list[tuple[str, str, dict[str, object]]] = []
    for a in records.acceptances:
        entries.append(("acceptance", str(a.client_uuid), {
            "accepted_at": _iso(a.accepted_at, zone), "received_at": _iso(a.received_at, zone),
            "full_name": a.full_name, "role": english(a.role, "visitor_role"), "organisation": a.organisation,
            "reason": a.reason, "channel": english(a.channel, "channel"),
            "language": a.language, "policy_version": a.policy_version.number,
            "policy_title": a.policy_version.title,
            # The translation they read, if not the English: its title as they read it.
            "translation_title": a.translation.title if a.translation_id else "",
            "roster_entry": str(a.roster_person_id) if a.roster_person_id else "",
        }))
    for b in records.breaches:
        entries.append(("breach", str(b.public_id), {
            "occurred_at": _iso(b.occurred_at, zone), "logged_at": _iso(b.created_at, zone),
            "category": b.category.label,
            "about": english(b.subject_kind, "subject_kind"),
            "name": b.subject_name, "location": b.location, "description": b.description,
            "actions": [english(c, "breach_action") for c in b.action_codes],
            "safeguarding": b.safeguarding, "restricted": b.restricted,
            "status": english(b.status, "breach_status"),
            "acceptance": str(b.acceptance.client_uuid) if b.acceptance_id else "",
        }))
    for r in records.deletion_requests:
        entries.append(("deletion_request", str(r.public_id), {
            "asked_at": _iso(r.asked_at, zone), "due_by": _iso(r.due_by, zone),
            "material": english(r.material, "material"),
            "where": english(r.material_location, "location"),
            "link": r.link, "name": r.person_name,
            "outcome": english(r.outcome, "outcome"), "outcome_note": r.outcome_note,
            "checked_at": _iso(r.checked_at, zone),
            "breach": str(r.breach.public_id) if r.breach_id else "",
            "acceptance": str(r.acceptance.client_uuid) if r.acceptance_id else "",
        }))
    for q in records.permission_requests:
        entries.append(("permission_request", str(q.public_id), {
            "asked_at": _iso(q.asked_at, zone), "name": q.requester_name, "what": q.what,
            "where": q.where, "to_be_posted_on": q.post_on.isoformat(),
            "shows": [english(c, "permission_shows") for c in q.shows_codes],
            "photo_consent_checked_when_asked": english(q.consent_answer, "consent_answer"),
            "status": english(q.status, "permission_status"),
            "decided_at": _iso(q.decided_at, zone), "conditions": q.conditions,
            "reason": q.reason, "holds_until": q.ends_on.isoformat() if q.ends_on else "",
            "questions_and_answers": [f"{'Question' if n.kind == 'question' else 'Answer'}: "
                                      f"{n.text}" for n in q.notes.order_by(PermissionNote.id)],
        }))
    for d in records.declarations:
        entries.append(("declaration", str(d.public_id), {
            "declared_at": _iso(d.declared_at, zone), "who": d.who,
            "relationship": d.relationship, "since": d.since,
            "last_confirmed_at": _iso(d.confirmed_at, zone),
            "acknowledged_at": _iso(d.acknowledged_at, zone), "ended_at": _iso(d.ended_at, zone),
        }))
    for p in records.roster:
        entries.append(("roster_entry", str(p.id), {
            "full_name": p.full_name, "email": p.email, "role": english(p.role, "roster_role"),
            "active": p.active, "added_at": _iso(p.created_at, zone),
        }))
    for m in records.reminders:
        entries.append(("reminder", str(m.id), {
            "sent_at": _iso(m.sent_at, zone), "policy_version": m.policy_version.number,
            "roster_entry": str(m.person_id),
        }))
    return entries


# Said in every download, so whoever answers the request knows what to review by hand.
NOT_INCLUDED = ("Staff triage notes, the history of each record and LADO referral details are "
                "not included: the school reviews them by hand before disclosing any of them. "
                "Names of staff who logged or handled a record are left out as other people's data.")


def subject_access_json(records: SubjectRecords, school: str, zone: ZoneInfo) -> Download:
    """Every record about the person as one JSON document; audited with counts, never the name."""
    groups: dict[str, list[dict[str, object]]] = {
        "acceptance": [], "breach": [], "deletion_request": [], "roster_entry": [], "reminder": [],
        "permission_request": [], "declaration": []}
    for kind, reference, fields in subject_entries(records, zone):
        groups[kind].append({"reference": reference, **fields})
    document = {
        "subject": records.name, "school": school, "produced_at": _iso(utcnow(), zone),
        "acceptances": groups["acceptance"], "breaches": groups["breach"],
        "deletion_requests": groups["deletion_request"], "roster_entries": groups["roster_entry"],
        "reminders": groups["reminder"], "permission_requests": groups["permission_request"],
        "declarations": groups["declaration"],
        "not_included": NOT_INCLUDED,
    }
    audit.record("subject_access.downloaded", kind="subject_access", format="json", **records.counts)
    body = json.dumps(document, indent=2, ensure_ascii=False)
    return Download(download_name("subject-access", zone, "json"), body, "application/json",
                    sum(records.counts.values()))


def subject_access_csv(records: SubjectRecords, zone: ZoneInfo) -> Download:
    """Every record about the person as CSV, one field a row (the records differ in shape),
    streamed like the other exports; audited with counts, never the name, before it is sent."""
    def lines():
        for kind, reference, fields in subject_entries(records, zone):
            for field, value in fields.items():
                if isinstance(value, bool):
                    value = yes_no(value)
                elif isinstance(value, list):
                    value = "; ".join(value)
                yield kind, reference, field, value

    audit.record("subject_access.downloaded", kind="subject_access", format="csv", **records.counts)
    return Download(download_name("subject-access", zone, "csv"),
                    csv_pieces(("Record", "Reference", "Field", "Value"), lines()), "text/csv",
                    sum(records.counts.values()))
