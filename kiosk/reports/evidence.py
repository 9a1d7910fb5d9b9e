"""One adult's records: the printable evidence of what they accepted, and their chronology."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from peewee import fn

from ..models import Acceptance, Breach, DeletionRequest, PolicyVersion, RosterPerson, StaffUser


@dataclass(frozen=True)
class Evidence:
    name: str
    person: RosterPerson | None  # when looked up through their roster entry
    acceptances: list[Acceptance]
    roster_matches: list[RosterPerson]  # roster entries with the name searched for


def evidence_for(name: str = "", person: RosterPerson | None = None) -> Evidence:
    """What one person accepted, oldest first: by exact name (any case), or through their roster
    entry. A roster lookup shows only acceptances tied to that entry: a name alone could be
    someone else's."""
    query = Acceptance.select(Acceptance, PolicyVersion).join(PolicyVersion)
    if person is not None:
        query = query.where(Acceptance.roster_person == person)
        name, matches = person.full_name, []
    else:
        query = query.where(fn.LOWER(Acceptance.full_name) == name.lower())
        matches = list(RosterPerson.select().where(fn.LOWER(RosterPerson.full_name) == name.lower())
                       .order_by(RosterPerson.full_name, RosterPerson.id))
    return Evidence(name, person, list(query.order_by(Acceptance.accepted_at, Acceptance.id)), matches)


def chronology(name: str, viewer: StaffUser) -> list[tuple[dt.datetime, str, object]]:
    """One adult's acceptances, breaches and deletion requests by their name (any case), in date
    order, as (when, kind, row); breaches and requests only as the viewer may see them."""
    lowered = name.lower()
    events: list[tuple[dt.datetime, str, object]] = []
    for row in Acceptance.select().where(fn.LOWER(Acceptance.full_name) == lowered):
        events.append((row.accepted_at, "acceptance", row))
    for row in Breach.visible_to(viewer).where(fn.LOWER(Breach.subject_name) == lowered):
        events.append((row.occurred_at, "breach", row))
    for row in DeletionRequest.visible_to(viewer).where(
            fn.LOWER(DeletionRequest.person_name) == lowered):
        events.append((row.asked_at, "deletion", row))
    events.sort(key=lambda e: e[0])
    return events
