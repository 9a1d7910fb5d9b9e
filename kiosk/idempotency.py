"""Records made once per client UUID, whoever sends them how often, from however many processes.

A submission carries a UUID made when its form was opened (or on the device, for the offline
outbox) and a fingerprint of what was sent. The same UUID and fingerprint again is a replay and
gets the first record back; the same UUID with another fingerprint is a conflict. The unique
index on the UUID decides a race between two processes.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from peewee import IntegrityError, Model

from .models import FixedQuery, db

Row = TypeVar("Row", bound=Model)


class Conflict(Exception):
    """The UUID was already used for a submission with other content."""


def fingerprint(content: Mapping[str, Any]) -> str:
    """A stable hash of what was submitted (keys sorted, lists kept in order)."""
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                           default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def form_fingerprint(formdata) -> str:
    """The fingerprint of a posted form (a MultiDict), leaving out its CSRF token, which a
    re-sent form may carry afresh."""
    return fingerprint({key: formdata.getlist(key) for key in formdata if key != "csrf_token"})


def existing(model: type[Row], client_uuid: uuid.UUID) -> Row | None:
    """The record made for this client UUID, or None: one select, its SQL built once."""
    if model not in _BY_UUID:
        _BY_UUID[model] = FixedQuery(
            lambda key: model.select().where(model.client_uuid == key).limit(1),
            model.client_uuid)
    return _BY_UUID[model].first(client_uuid)


_BY_UUID: dict[type, FixedQuery] = {}


def create_once(model: type[Row], client_uuid: uuid.UUID, request_hash: str,
                create: Callable[[], Row], *, looked: bool = False) -> tuple[Row, bool]:
    """Run `create` (inside a transaction) unless this UUID exists; return (row, created).
    `looked=True`: the caller has just asked `existing` and found nothing, so it is not asked
    again (the unique index still decides a race)."""
    found = None if looked else existing(model, client_uuid)
    if found is None:
        try:
            with db.atomic():
                return create(), True
        except IntegrityError:
            # Another process inserted the same UUID between our read and our write.
            found = existing(model, client_uuid)
            if found is None:
                raise
    if found.request_hash != request_hash:
        raise Conflict(str(client_uuid))
    return found, False
