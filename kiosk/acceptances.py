"""Recording that a person read and accepted a policy version."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from peewee import IntegrityError

from . import audit
from .models import Acceptance, PolicyVersion, db, utcnow

ROLES: dict[str, str] = {
    "visitor": "Visitor",
    "parent": "Parent or carer",
    "pta": "PTA member",
    "volunteer": "Volunteer",
    "governor": "Governor",
    "contractor": "Contractor",
    "staff": "Member of staff",
    "other": "Other",
}

CHANNELS: dict[str, str] = {"kiosk": "Entrance tablet", "phone": "Own phone"}


class DuplicateConflict(Exception):
    """The client UUID was used before for an acceptance with different details."""


@dataclass(frozen=True)
class AcceptanceDetails:
    client_uuid: uuid.UUID
    policy_version: PolicyVersion
    full_name: str
    role: str
    organisation: str
    reason: str
    channel: str
    accepted_at: dt.datetime

    def matches(self, existing: Acceptance) -> bool:
        """True when an existing row records exactly these details (a replay, not a clash)."""
        return (
            existing.policy_version_id == self.policy_version.id
            and existing.full_name == self.full_name
            and existing.role == self.role
            and existing.organisation == self.organisation
            and existing.reason == self.reason
            and existing.channel == self.channel
        )


def record_acceptance(details: AcceptanceDetails) -> tuple[Acceptance, bool]:
    """Store an acceptance once per client UUID; return (row, created).

    A second submission with the same UUID and details returns the first row (a double tap or
    a replay); with other details it raises DuplicateConflict. The unique index on the UUID
    decides races between processes.
    """
    existing = Acceptance.get_or_none(Acceptance.client_uuid == details.client_uuid)
    if existing is None:
        try:
            with db.atomic():
                row = Acceptance.create(
                    client_uuid=details.client_uuid,
                    policy_version=details.policy_version,
                    full_name=details.full_name,
                    role=details.role,
                    organisation=details.organisation,
                    reason=details.reason,
                    channel=details.channel,
                    accepted_at=details.accepted_at,
                    received_at=utcnow(),
                )
                # No name in the audit detail: the record itself holds it, and is purged with it.
                audit.record("acceptance.created", kind="acceptance", record_id=row.client_uuid,
                             actor_label="", channel=row.channel,
                             policy_version=details.policy_version.number)
            return row, True
        except IntegrityError:
            # Another process inserted the same UUID between our read and our write.
            existing = Acceptance.get(Acceptance.client_uuid == details.client_uuid)
    if not details.matches(existing):
        raise DuplicateConflict(str(details.client_uuid))
    return existing, False
