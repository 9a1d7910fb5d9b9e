"""Recording that a person read and accepted a policy version."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from . import audit
from .idempotency import create_once
from .models import Acceptance, KioskDevice, PolicyTranslation, PolicyVersion, RosterPerson, utcnow


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
    roster_person: RosterPerson | None = None
    device: KioskDevice | None = None  # the paired kiosk it was taken on (devices.current)
    translation: PolicyTranslation | None = None  # the translation of it they read, if not English


def record_acceptance(details: AcceptanceDetails, request_hash: str, *,
                      looked: bool = False) -> tuple[Acceptance, bool]:
    """Store an acceptance once per client UUID; return (row, created).

    The same UUID with the same content returns the first row (a double tap or a replay); with
    other content it raises idempotency.Conflict. `looked=True`: the caller has just found no
    acceptance with this UUID (the API, before validating), so it is not looked for again.
    """
    def create() -> Acceptance:
        row = Acceptance.create(
            client_uuid=details.client_uuid, request_hash=request_hash,
            policy_version=details.policy_version, full_name=details.full_name,
            role=details.role, organisation=details.organisation, reason=details.reason,
            channel=details.channel, accepted_at=details.accepted_at, received_at=utcnow(),
            roster_person=details.roster_person, device=details.device,
            translation=details.translation,
            language=details.translation.language if details.translation else "en",
        )
        # No name in the audit detail: the record itself holds it, and is purged with it.
        audit.record("acceptance.created", kind="acceptance", record_id=row.client_uuid,
                     visitor=True, channel=row.channel,
                     policy_version=details.policy_version.number, language=row.language,
                     **({"translation": details.translation.id} if details.translation else {}))
        return row

    return create_once(Acceptance, details.client_uuid, request_hash, create, looked=looked)
