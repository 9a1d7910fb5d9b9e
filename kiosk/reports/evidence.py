"""One adult's records: the printable evidence of what they accepted, and their chronology."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .. import low_level
from ..models import Acceptance, Breach, DeletionRequest, PolicyVersion, RosterPerson, StaffUser
from ..text import search_key


@dataclass(frozen=True)
class Evidence:
    name: str  # as the person spelled it, or as searched when nothing was found
    person: RosterPerson | None  # when looked up through their roster entry
    acceptances: list[Acceptance]
    roster_matches: list[RosterPerson]  # roster entries with the name found
    # When what was typed is part of several people's names: each name as spelled, and how many
    # acceptances it has, to choose from.
    choices: list[tuple[str, int]] = field(default_factory=list)


MOST_CHOICES = 30


def own_spelling(names: list[str]) -> str:
    """The spelling a person used most (the earliest of equals): 'ann visitor' typed once in a
    hurry does not rename Ann Visitor."""
    return max(names, key=lambda spelling: (names.count(spelling), -names.index(spelling)))


def names_containing(term: str) -> list[tuple[str, int]]:
    """The different names in acceptances that contain what was typed (any case, any accents),
    each in its own spelling, with how many acceptances it has; alphabetical."""
    rows = (Acceptance.select(Acceptance.name_key, Acceptance.full_name)
            .where(Acceptance.name_key.contains(search_key(term)))
            .order_by(Acceptance.accepted_at, Acceptance.id).tuples())
    spellings: dict[str, list[str]] = {}
    for key, full_name in rows:
        spellings.setdefault(key, []).append(full_name)
    return sorted(((own_spelling(names), len(names)) for names in spellings.values()),
                  key=lambda choice: search_key(choice[0]))


def evidence_for(name: str = "", person: RosterPerson | None = None) -> Evidence:
    """What one person accepted, oldest first: by name (any case, any accents; part of a name
    finds the people it could be), or through their roster entry. A roster lookup shows only acceptances
    tied to that entry: a name alone could be someone else's."""
    query = Acceptance.select(Acceptance, PolicyVersion).join(PolicyVersion)
    if person is not None:
        rows = list(query.where(Acceptance.roster_person == person)
                    .order_by(Acceptance.accepted_at, Acceptance.id))
        return Evidence(person.full_name, person, rows, [])
    choices: list[tuple[str, int]] = []
    if not Acceptance.select().where(Acceptance.named(name)).exists():
        choices = names_containing(name)
        if len(choices) == 1:  # only one person it can be
            name, choices = choices[0][0], []
    rows = list(query.where(Acceptance.named(name))
                .order_by(Acceptance.accepted_at, Acceptance.id)) if not choices else []
    if rows:
        name = own_spelling([row.full_name for row in rows])
    matches = list(RosterPerson.select().where(RosterPerson.named(name))
                   .order_by(RosterPerson.full_name, RosterPerson.id)) if not choices else []
    return Evidence(name, None, rows, matches, choices[:MOST_CHOICES])


def chronology(name: str, viewer: StaffUser) -> list[tuple[dt.datetime, str, object]]:
    """One adult's acceptances, breaches and deletion requests by their name (any case, any
    accents), in date
    order, as (when, kind, row); breaches and requests only as the viewer may see them. A
    concern about staff linked to an account or roster person of that name is theirs whatever
    name was typed (seen only by its case manager, and a low-level one by its lead). The chair
    sees only the concerns about the head: acceptances are not theirs to look through."""
    events: list[tuple[dt.datetime, str, object]] = []
    if viewer.role != "chair":
        for row in Acceptance.select().where(Acceptance.named(name)):
            events.append((row.accepted_at, "acceptance", row))
    for row in Breach.visible_to(viewer).where(
            Breach.named(name) | low_level.linked_to_name(name)):
        events.append((row.occurred_at, "breach", row))
    for row in DeletionRequest.visible_to(viewer).where(
            DeletionRequest.named(name)):
        events.append((row.asked_at, "deletion", row))
    events.sort(key=lambda e: e[0])
    return events
