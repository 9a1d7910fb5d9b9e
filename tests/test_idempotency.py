"""One record per client UUID: the fingerprint of what was sent, the race between processes, and
a staff form sent again with other details."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

import pytest
from peewee import IntegrityError
from werkzeug.datastructures import MultiDict

from kiosk import idempotency
from kiosk.idempotency import Conflict, create_once, existing, fingerprint, form_fingerprint
from kiosk.models import Acceptance, PolicyVersion, utcnow

from .helpers import form_page, nothing_written, sign_in_as


def test_a_fingerprint_does_not_depend_on_the_order_fields_arrive_in():
    assert fingerprint({"a": "1", "b": ["x", "y"]}) == fingerprint({"b": ["x", "y"], "a": "1"})
    assert fingerprint({"b": ["x", "y"]}) != fingerprint({"b": ["y", "x"]})  # lists keep order


def test_a_fingerprint_is_the_same_in_every_release():
    """Records waiting in a device's outbox were fingerprinted by the release that sent them
    first; a replay after an upgrade must still match. So the canonical form is fixed: sorted
    keys, no spaces, UTF-8 as written."""
    # A fixed date on purpose: the fingerprint of this exact content is what is pinned.
    content = {"full_name": "Zoë Ünal", "role": "visitor", "when": dt.datetime(2026, 1, 1)}
    canonical = '{"full_name":"Zoë Ünal","role":"visitor","when":"2026-01-01 00:00:00"}'
    assert fingerprint(content) == hashlib.sha256(canonical.encode()).hexdigest()


def test_a_forms_fingerprint_leaves_out_only_its_csrf_token():
    sent = MultiDict([("full_name", "Ann"), ("role", "visitor"), ("csrf_token", "first")])
    again = MultiDict([("role", "visitor"), ("full_name", "Ann"), ("csrf_token", "second")])
    assert form_fingerprint(sent) == form_fingerprint(again)
    assert form_fingerprint(sent) == fingerprint({"full_name": ["Ann"], "role": ["visitor"]})
    assert form_fingerprint(sent) != form_fingerprint(MultiDict([("full_name", "Ann")]))


def _acceptance(key: uuid.UUID, request_hash: str, name: str = "Ann Visitor") -> Acceptance:
    return Acceptance.create(client_uuid=key, request_hash=request_hash, full_name=name,
                             role="visitor", channel="kiosk", accepted_at=utcnow(),
                             policy_version=PolicyVersion.current())


def test_the_first_send_creates_and_a_replay_returns_it(app, ctx):
    key = uuid.uuid4()
    row, created = create_once(Acceptance, key, "hash-1", lambda: _acceptance(key, "hash-1"))
    again, created_again = create_once(Acceptance, key, "hash-1",
                                       lambda: pytest.fail("a replay must not create"))
    assert (created, created_again) == (True, False) and again.id == row.id
    with nothing_written(app), pytest.raises(Conflict, match=str(key)):
        create_once(Acceptance, key, "hash-2", lambda: pytest.fail("a conflict must not create"))
    assert Acceptance.select().count() == 1


class AnotherProcessWinsTheRace:
    """idempotency.existing, except that just after our first look finds nothing, another process
    commits a record with the same UUID (the interleaving the unique index exists for)."""

    def __init__(self, key: uuid.UUID, their_hash: str) -> None:
        self.key, self.their_hash, self.looked = key, their_hash, False

    def __call__(self, model, client_uuid):
        if not self.looked:
            self.looked = True
            found = existing(model, client_uuid)
            _acceptance(self.key, self.their_hash, name="The Other Process")
            return found
        return existing(model, client_uuid)


def test_losing_the_race_to_another_process_returns_its_record(ctx, monkeypatch):
    _acceptance(uuid.uuid4(), "an-earlier-one", name="Someone Earlier")
    key = uuid.uuid4()
    monkeypatch.setattr(idempotency, "existing", AnotherProcessWinsTheRace(key, "hash-1"))
    row, created = create_once(Acceptance, key, "hash-1", lambda: _acceptance(key, "hash-1"))
    assert created is False and row.full_name == "The Other Process"
    assert Acceptance.select().count() == 2


def test_losing_the_race_with_other_content_is_a_conflict(ctx, monkeypatch):
    key = uuid.uuid4()
    monkeypatch.setattr(idempotency, "existing", AnotherProcessWinsTheRace(key, "their-hash"))
    with pytest.raises(Conflict):
        create_once(Acceptance, key, "our-hash", lambda: _acceptance(key, "our-hash"))
    assert [a.full_name for a in Acceptance.select()] == ["The Other Process"]


def test_a_caller_that_has_just_looked_is_not_looked_for_again_and_still_loses_a_race(ctx):
    """The API looks for the key before validating; create_once(looked=True) then goes straight
    to the insert, and the unique index still turns a lost race into the other record."""
    key = uuid.uuid4()
    _acceptance(key, "their-hash", name="The Other Process")  # committed after our look
    row, created = create_once(Acceptance, key, "their-hash",
                               lambda: _acceptance(key, "their-hash"), looked=True)
    assert created is False and row.full_name == "The Other Process"
    with pytest.raises(Conflict):
        create_once(Acceptance, key, "our-hash", lambda: _acceptance(key, "our-hash"),
                    looked=True)
    assert Acceptance.select().count() == 1


def test_an_integrity_error_that_is_not_the_race_is_not_swallowed(ctx):
    def broken():
        raise IntegrityError("NOT NULL constraint failed")

    with pytest.raises(IntegrityError):
        create_once(Acceptance, uuid.uuid4(), "hash", broken)
    assert Acceptance.select().count() == 0


# Through the staff forms --------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "fields_url", "first", "second"), [
    ("/staff/breaches", "/staff/breaches/new?who=visitor&category=commercial",
     {"description": "First"}, {"description": "Changed"}),
    ("/staff/deletions/new", "/staff/deletions/new",
     {"material": "photo", "material_location": "device", "person_name": "Sam"},
     {"material": "photo", "material_location": "device", "person_name": "Someone Else"}),
])
def test_a_staff_form_resent_with_other_details_is_refused(app, client, teacher, path, fields_url,
                                                          first, second):
    sign_in_as(client, teacher)
    fields = form_page(client, fields_url)
    assert client.post(path, data={**fields, **first}).status_code == 303
    with nothing_written(app):  # the first record as it was sent, and nothing more
        response = client.post(path, data={**fields, **second})
    assert response.status_code == 422
    assert "already sent with other details" in response.get_data(as_text=True)
