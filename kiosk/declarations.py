"""Declarations of family links: "Where family and friends have pupils in school and there are
legitimate family links, please inform the Headteacher."

A member of staff declares a link with a pupil's family (who, the relationship, since when),
ends one that no longer applies, and once a year confirms that theirs are still correct. The
head sees every declaration and acknowledges each; nobody else sees them (not the DSL, not the
chair of governors, not other staff: `Declaration.visible_to`). On a concern that a member of
staff did not declare a family link, its case manager (the head) is shown what that member of
staff has declared (`for_breach`). Each change is audited in its own transaction; ended
declarations are purged after their retention period (`retention`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from flask_babel import gettext as _

from . import audit
from .idempotency import create_once
from .models import Breach, Declaration, StaffUser, db, utcnow

# A declaration asks to be confirmed once its last confirmation is more than a year old.
CONFIRM_EVERY = dt.timedelta(days=365)
# The breach category of a family link not declared to the head.
FAMILY_LINK = "family_link"


class DeclarationError(ValueError):
    """The change cannot be made; the message says why."""


@dataclass(frozen=True)
class DeclarationDetails:
    """A declaration as the form gives it."""

    client_uuid: uuid.UUID
    who: str
    relationship: str
    since: str


# Writes --------------------------------------------------------------------------------------------

def declare(user: StaffUser, details: DeclarationDetails, request_hash: str
            ) -> tuple[Declaration, bool]:
    """Record a declaration, once per client UUID however often it is sent; (row, created)."""
    def create() -> Declaration:
        now = utcnow()
        row = Declaration.create(
            client_uuid=details.client_uuid, request_hash=request_hash, declarer=user,
            who=details.who, relationship=details.relationship, since=details.since,
            declared_at=now, confirmed_at=now)
        audit.record("declaration.made", kind="declaration", record_id=row.public_id, actor=user)
        return row

    return create_once(Declaration, details.client_uuid, request_hash, create)


def end(declaration: Declaration, user: StaffUser) -> None:
    """The declarer says a link no longer applies; it is kept until its retention period ends."""
    if declaration.declarer_id != user.id:
        raise DeclarationError(_("Only the member of staff who declared it can end it."))
    if declaration.ended_at is not None:
        raise DeclarationError(_("This declaration has already ended."))
    now = utcnow()
    with db.atomic():
        changed = (Declaration.update(ended_at=now)
                   .where(Declaration.id == declaration.id, Declaration.ended_at.is_null())
                   .execute())
        if not changed:
            raise DeclarationError(_("This declaration has already ended."))
        audit.record("declaration.ended", kind="declaration", record_id=declaration.public_id,
                     actor=user)
    declaration.ended_at = now


def confirm_all(user: StaffUser) -> int:
    """The member of staff confirms that all their declarations in force are still correct;
    returns how many were confirmed (none: nothing is written)."""
    now = utcnow()
    with db.atomic():
        ids = [row.public_id for row in in_force_of(user).select(Declaration.public_id)]
        if not ids:
            return 0
        (Declaration.update(confirmed_at=now)
         .where(Declaration.declarer == user, Declaration.ended_at.is_null()).execute())
        audit.record("declaration.confirmed", kind="declaration", actor=user,
                     confirmed=[str(key) for key in ids])
    return len(ids)


def acknowledge(declaration: Declaration, user: StaffUser) -> None:
    """The head acknowledges a declaration, once."""
    if user.role != "head":
        raise DeclarationError(_("Only the headteacher acknowledges declarations."))
    if declaration.acknowledged_at is not None:
        raise DeclarationError(_("This declaration was already acknowledged."))
    now = utcnow()
    with db.atomic():
        changed = (Declaration.update(acknowledged_by=user, acknowledged_at=now)
                   .where(Declaration.id == declaration.id,
                          Declaration.acknowledged_at.is_null()).execute())
        if not changed:  # acknowledged in another tab a moment ago
            raise DeclarationError(_("This declaration was already acknowledged."))
        audit.record("declaration.acknowledged", kind="declaration",
                     record_id=declaration.public_id, actor=user)
    declaration.acknowledged_by, declaration.acknowledged_at = user, now


# Reads ----------------------------------------------------------------------------------------------

def in_force_of(user: StaffUser):
    """This member of staff's own declarations that have not ended."""
    return Declaration.select().where(Declaration.declarer == user, Declaration.ended_at.is_null())


def needs_confirming(declaration: Declaration, now: dt.datetime | None = None) -> bool:
    """In force and last confirmed more than a year ago."""
    return declaration.ended_at is None and \
        declaration.confirmed_at < (now or utcnow()) - CONFIRM_EVERY


def confirming_count(user: StaffUser, now: dt.datetime | None = None) -> int:
    """How many of this user's own declarations ask for their yearly confirmation."""
    return in_force_of(user).where(
        Declaration.confirmed_at < (now or utcnow()) - CONFIRM_EVERY).count()


def waiting_count(user: StaffUser) -> int:
    """For the head: how many declarations in force wait to be acknowledged (0 for anyone else)."""
    if user.role != "head":
        return 0
    return Declaration.visible_to(user).where(Declaration.acknowledged_at.is_null(),
                                              Declaration.ended_at.is_null()).count()


@dataclass(frozen=True)
class Listed:
    """Declarations as a list shows them: those in force first, the ended ones apart."""

    in_force: list[Declaration]
    ended: list[Declaration]

    @property
    def shown(self) -> list[str]:
        return [str(d.public_id) for d in self.in_force + self.ended]


def _listed(query) -> Listed:
    rows = list(query.select_extend(StaffUser)
                .join(StaffUser, on=(Declaration.declarer == StaffUser.id))
                .order_by(Declaration.declared_at.desc(), Declaration.id.desc()))
    return Listed(in_force=[d for d in rows if d.ended_at is None],
                  ended=[d for d in rows if d.ended_at is not None])


def own(user: StaffUser) -> Listed:
    """A member of staff's own declarations (the head's too, on their own page), newest first."""
    return _listed(Declaration.select().where(Declaration.declarer == user))


def listed_for(user: StaffUser) -> Listed:
    """Every declaration this user may see (`Declaration.visible_to`: the head, everyone's;
    anyone else, their own), newest first, with whoever declared each."""
    return _listed(Declaration.visible_to(user))


def own_or_none(user: StaffUser, public_id: str) -> Declaration | None:
    """One of this user's own declarations by its public id, else None."""
    try:
        key = uuid.UUID(public_id)
    except ValueError:
        return None
    found = Declaration.select().where(Declaration.public_id == key,
                                       Declaration.declarer == user).first()
    if found is None and Declaration.select().where(Declaration.public_id == key).exists():
        audit.record("access.refused", kind="declaration", record_id=key)
    return found


# A concern that a family link was not declared ---------------------------------------------------

@dataclass(frozen=True)
class ForConcern:
    """What the case manager is shown beside a family-link concern: the accounts it is taken to
    be about (the linked one, else those named as it names them) and their declarations."""

    linked: bool
    accounts: list[StaffUser]
    declarations: list[Declaration]


def for_breach(breach: Breach, user: StaffUser) -> ForConcern | None:
    """For the head as case manager of an undeclared-family-link concern: the declarations of
    the member of staff it is about. None for any other concern or reader (the chair, case
    manager of a concern about the head, does not see declarations)."""
    if user.role != "head" or not breach.managed_by(user) \
            or breach.category.slug != FAMILY_LINK:
        return None
    if breach.subject_staff_id:
        accounts = [breach.subject_staff]
    elif breach.subject_name.strip():
        accounts = list(StaffUser.select().where(StaffUser.named(breach.subject_name))
                        .order_by(StaffUser.display_name, StaffUser.id))
    else:
        accounts = []
    rows = list(Declaration.select().where(Declaration.declarer.in_([a.id for a in accounts]))
                .order_by(Declaration.declared_at.desc(), Declaration.id.desc())) if accounts else []
    by_id = {a.id: a for a in accounts}
    for row in rows:
        row.declarer = by_id[row.declarer_id]
    return ForConcern(linked=bool(breach.subject_staff_id), accounts=accounts, declarations=rows)
