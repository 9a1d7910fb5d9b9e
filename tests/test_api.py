"""The JSON API the outbox replays into: idempotent, validated, same-origin only."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from kiosk.models import Acceptance, AuditEvent, Breach, DeletionRequest, PolicyVersion, utcnow

from .helpers import ACCESS_REFUSED, SCHOOL_ZONE, make_breach, make_policy, nothing_written, sign_in_as, typed

HEADERS = {"X-Kiosk-Client": "outbox"}
# Yesterday, as an outbox sends it a day later: fixed for the run, so a body sent twice is the same.
ACCEPTED_AT = (utcnow() - dt.timedelta(days=1)).replace(hour=9, minute=15, second=0, microsecond=0)
# Yesterday at 10:00 school time, as typed on a classroom iPad.
OCCURRED_AT = dt.datetime.combine(ACCEPTED_AT.date(), dt.time(10), SCHOOL_ZONE)


def acceptance_body(**changes):
    body = {"full_name": "Offline Visitor", "role": "volunteer", "organisation": "", "reason": "",
            "accept": True, "policy_version": 1, "channel": "kiosk",
            "accepted_at": ACCEPTED_AT.isoformat(timespec="milliseconds") + "Z"}
    body.update(changes)
    return body


def post(client, path, body, key=None, **headers):
    return client.post(path, json=body, headers={
        **HEADERS, "Idempotency-Key": str(key or uuid.uuid4()), **headers})


def count(app, model):
    with app.app_context():
        return model.select().count()


def test_an_acceptance_is_created_with_the_device_time_and_the_version_read(app, client):
    key = uuid.uuid4()
    with app.app_context():
        make_policy(2)  # published after the person read version 1
    response = post(client, "/api/v1/acceptances", acceptance_body(), key)
    assert response.status_code == 201
    assert response.json["id"] == str(key) and response.json["policy_version"] == 1
    with app.app_context():
        row = Acceptance.get(Acceptance.client_uuid == key)
        assert row.accepted_at == ACCEPTED_AT
        assert row.received_at > row.accepted_at
        assert row.policy_version.number == 1 and row.role == "volunteer"


def test_the_same_key_and_body_again_returns_the_first_answer_and_creates_nothing(app, client):
    key = uuid.uuid4()
    first = post(client, "/api/v1/acceptances", acceptance_body(), key)
    again = post(client, "/api/v1/acceptances", acceptance_body(), key)
    assert again.status_code == 201 and again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count(app, Acceptance) == 1


def test_the_same_key_with_another_body_is_a_422(app, client):
    key = uuid.uuid4()
    post(client, "/api/v1/acceptances", acceptance_body(), key)
    with nothing_written(app):
        response = post(client, "/api/v1/acceptances", acceptance_body(full_name="Someone Else"), key)
    assert response.status_code == 422 and response.json["error"] == "idempotency_key_reused"
    with app.app_context():
        assert [a.full_name for a in Acceptance.select()] == ["Offline Visitor"]


@pytest.mark.one_database("the headers, refused before any view")
@pytest.mark.parametrize(("headers", "status", "code"), [
    ({"Idempotency-Key": ""}, 400, "missing_idempotency_key"),
    ({"Idempotency-Key": "not-a-uuid"}, 400, "bad_idempotency_key"),
    ({"X-Kiosk-Client": ""}, 400, "missing_client_header"),
    ({"Sec-Fetch-Site": "cross-site"}, 403, "cross_site"),
    ({"Origin": "https://evil.example"}, 403, "cross_site"),
])
def test_malformed_or_cross_site_requests_are_refused(app, client, headers, status, code):
    with nothing_written(app):
        response = client.post("/api/v1/acceptances", json=acceptance_body(),
                               headers={**HEADERS, "Idempotency-Key": str(uuid.uuid4()), **headers})
    assert response.status_code == status and response.json["error"] == code
    assert count(app, Acceptance) == 0


@pytest.mark.parametrize("origin", ["http://[", "https://[::1", "http://[evil.example]"])
def test_an_origin_that_is_no_address_at_all_is_refused_as_cross_site_not_a_500(app, client,
                                                                                  origin):
    with nothing_written(app):
        response = post(client, "/api/v1/acceptances", acceptance_body(), Origin=origin)
    assert response.status_code == 403 and response.json["error"] == "cross_site"


def test_a_same_origin_request_is_accepted(client):
    response = post(client, "/api/v1/acceptances", acceptance_body(),
                    Origin="http://localhost", **{"Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 201


def test_a_form_post_from_another_site_is_refused(app, client):
    with nothing_written(app):
        response = client.post("/api/v1/acceptances", data=acceptance_body(),
                               headers={**HEADERS, "Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 415 and response.json["error"] == "not_json"
    assert count(app, Acceptance) == 0


def test_no_csrf_token_is_needed_so_a_replay_a_day_later_succeeds(app):
    fresh_browser = app.test_client()  # no session, no token: as after a day offline
    response = post(fresh_browser, "/api/v1/acceptances", acceptance_body())
    assert response.status_code == 201


@pytest.mark.one_database("a form's messages; nothing a database does")
@pytest.mark.parametrize(("changes", "field"), [
    ({"full_name": "A"}, "full_name"),
    ({"role": "wizard"}, "role"),
    ({"accept": False}, "accept"),
    ({"policy_version": 99}, "policy_version"),
    ({"channel": "fax"}, "channel"),
    ({"accepted_at": "yesterday"}, "accepted_at"),
    ({"accepted_at": ACCEPTED_AT.isoformat(timespec="seconds")}, "accepted_at"),  # no time zone
])
def test_validation_errors_name_the_field(app, client, changes, field):
    with nothing_written(app):
        response = post(client, "/api/v1/acceptances", acceptance_body(**changes))
    assert response.status_code == 422
    assert response.json["error"] == "invalid" and field in response.json["fields"]
    assert count(app, Acceptance) == 0


def test_a_body_that_is_not_an_object_is_a_400(app, client):
    with nothing_written(app):
        assert post(client, "/api/v1/acceptances", ["a list"]).status_code == 400


def test_an_oversized_body_is_a_json_413(app, client):
    with nothing_written(app):
        response = post(client, "/api/v1/acceptances", acceptance_body(reason="x" * 70_000))
    assert response.status_code == 413 and response.json["error"] == "too_large"


def test_a_device_clock_far_ahead_is_replaced_by_the_server_time(app, client):
    key = uuid.uuid4()
    ahead = utcnow() + dt.timedelta(days=1)  # far past the five minutes a clock may be ahead
    sent = utcnow()
    post(client, "/api/v1/acceptances", acceptance_body(accepted_at=ahead.isoformat() + "Z"), key)
    with app.app_context():
        row = Acceptance.get(Acceptance.client_uuid == key)
        assert sent <= row.accepted_at <= row.received_at


def test_an_unknown_api_address_is_a_json_404(client):
    response = client.get("/api/v1/nothing")
    assert response.status_code == 404 and response.json["error"] == "not_found"


# Staff records -------------------------------------------------------------------------------

def breach_body(staff, **changes):
    body = {"staff_id": staff.id, "subject_kind": "visitor", "category": "photographing",
            "occurred_at": OCCURRED_AT.strftime("%Y-%m-%dT%H:%M"), "actions": ["asked_to_delete"],
            "description": ""}
    body.update(changes)
    return body


def test_a_breach_needs_a_signed_in_member_of_staff(app, client, teacher):
    with nothing_written(app, allow=ACCESS_REFUSED) as events:
        response = post(client, "/api/v1/breaches", breach_body(teacher))
    assert response.status_code == 401 and response.json["error"] == "sign_in_required"
    assert events == []  # counted, not audited one by one (a summary an hour: refusals.py)
    assert count(app, Breach) == 0


def test_a_breach_stays_bound_to_the_member_of_staff_who_wrote_it(app, client, teacher,
                                                                  other_teacher):
    sign_in_as(client, other_teacher)
    with nothing_written(app):
        response = post(client, "/api/v1/breaches", breach_body(teacher))
    assert response.status_code == 409 and response.json["error"] == "other_user"
    assert count(app, Breach) == 0


def test_a_breach_is_created_once_with_its_deletion_request(app, client, teacher):
    sign_in_as(client, teacher)
    key = uuid.uuid4()
    first = post(client, "/api/v1/breaches", breach_body(teacher), key)
    again = post(client, "/api/v1/breaches", breach_body(teacher), key)
    assert first.status_code == again.status_code == 201 and first.json == again.json
    with app.app_context():
        [breach] = Breach.select()
        assert breach.client_uuid == key and breach.reporter_id == teacher.id
        # Typed in school time (GMT or BST, whichever it was yesterday), stored in UTC.
        assert breach.occurred_at == OCCURRED_AT.astimezone(dt.UTC).replace(tzinfo=None)
        assert DeletionRequest.select().count() == 1
        assert AuditEvent.select().where(AuditEvent.action == "breach.created").count() == 1


def test_a_visitor_with_a_concern_about_staff_is_a_422_naming_the_category(app, client, teacher):
    """The offline screen offers every category; the server refuses one that does not fit."""
    sign_in_as(client, teacher)
    with nothing_written(app):
        response = post(client, "/api/v1/breaches", breach_body(teacher, category="family_link"))
    assert response.status_code == 422
    assert response.json["fields"]["category"].startswith(
        "That is a concern about a member of staff")
    assert post(client, "/api/v1/breaches", breach_body(
        teacher, subject_kind="staff", category="family_link")).status_code == 201


def test_a_breach_with_bad_details_is_a_422_naming_the_fields(app, client, teacher):
    sign_in_as(client, teacher)
    with nothing_written(app):
        response = post(client, "/api/v1/breaches", breach_body(teacher, category="nope",
                                                                actions=["fly"]))
    assert response.status_code == 422
    assert set(response.json["fields"]) >= {"category", "actions"}


def test_a_deletion_request_is_created_and_can_link_a_visible_breach(app, client, teacher,
                                                                     other_teacher):
    with app.app_context():
        mine = make_breach(teacher)
        theirs = make_breach(other_teacher)
    sign_in_as(client, teacher)
    body = {"staff_id": teacher.id, "material": "post", "material_location": "online",
            "link": "https://social.example/p/1", "person_name": "Sam", "asked_at": typed(ACCEPTED_AT)}
    assert post(client, "/api/v1/deletion-requests", {**body, "breach": str(mine.public_id)}
                ).status_code == 201
    with nothing_written(app, allow=ACCESS_REFUSED) as events:
        refused = post(client, "/api/v1/deletion-requests", {**body, "breach": str(theirs.public_id)})
    assert refused.status_code == 422 and "breach" in refused.json["fields"]
    assert events == ["access.refused"]  # someone else's breach: the look is audited, no more


def test_the_version_read_is_kept_even_when_it_is_no_longer_current(app, client):
    with app.app_context():
        make_policy(2)
        assert PolicyVersion.current().number == 2
    response = post(client, "/api/v1/acceptances", acceptance_body(policy_version=1))
    assert response.json["policy_version"] == 1


DELETION_BODY = {"material": "post", "material_location": "online",
                 "link": "https://social.example/p/1", "person_name": "Sam Visitor",
                 "asked_at": typed(ACCEPTED_AT)}


@pytest.mark.parametrize(("path", "model", "first", "second"), [
    ("/api/v1/breaches", Breach, {"category": "photographing"}, {"category": "commercial"}),
    ("/api/v1/deletion-requests", DeletionRequest, {**DELETION_BODY},
     {**DELETION_BODY, "person_name": "Someone Else"}),
], ids=["breach", "deletion-request"])
def test_the_same_key_with_another_body_is_a_422_for_staff_records_too(app, client, teacher, path,
                                                                       model, first, second):
    sign_in_as(client, teacher)
    key = uuid.uuid4()
    base = breach_body(teacher) if model is Breach else {"staff_id": teacher.id}
    created = post(client, path, {**base, **first}, key)
    assert created.status_code == 201
    # The same body again is a replay: answered exactly as the first time, no second record.
    replayed = post(client, path, {**base, **first}, key)
    assert (replayed.status_code, replayed.json) == (201, created.json)
    assert count(app, model) == 1
    with app.app_context():
        before = [(row.id, row.request_hash) for row in model.select()]
        events = AuditEvent.select().count()
    with nothing_written(app):
        response = post(client, path, {**base, **second}, key)
    assert response.status_code == 422 and response.json["error"] == "idempotency_key_reused"
    with app.app_context():
        assert [(row.id, row.request_hash) for row in model.select()] == before
        assert AuditEvent.select().count() == events  # nothing written, not even half
        if model is Breach:
            assert Breach.get().category.slug == "photographing"
        else:
            assert DeletionRequest.get().person_name == "Sam Visitor"


# Input no record can hold: a clear 4xx the outbox keeps as "needs attention", never a 500 it
# would retry for ever ----------------------------------------------------------------------------

# A device clock at either end of what an ISO 8601 time can say: neither is even a time in UTC.
IMPOSSIBLE_TIMES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]


@pytest.mark.parametrize("accepted_at", [*IMPOSSIBLE_TIMES, "1970-01-01T00:00:00Z",
                                         "2150-06-01T09:00:00+01:00"])
def test_a_device_time_outside_the_years_a_form_takes_is_a_422_naming_the_field(app, client,
                                                                                 accepted_at):
    with nothing_written(app):
        response = post(client, "/api/v1/acceptances", acceptance_body(accepted_at=accepted_at))
    assert response.status_code == 422 and response.json["error"] == "invalid"
    assert "between 2000 and 2100" in response.json["fields"]["accepted_at"]


@pytest.mark.parametrize("accepted_at", ["2000-01-01T00:00:00+00:00", "2000-01-01T09:00:00+09:00"])
def test_a_device_time_at_the_start_of_2000_is_still_taken(app, client, accepted_at):
    response = post(client, "/api/v1/acceptances", acceptance_body(accepted_at=accepted_at))
    assert response.status_code == 201 and response.json["accepted_at"] == "2000-01-01T00:00:00Z"


@pytest.mark.one_database("a form's messages; nothing a database does")
@pytest.mark.parametrize(("path", "field"), [
    ("/api/v1/breaches", "occurred_at"), ("/api/v1/deletion-requests", "asked_at"),
    ("/api/v1/deletion-requests", "due_by"), ("/api/v1/disclosures", "told_at"),
])
@pytest.mark.parametrize("moment", IMPOSSIBLE_TIMES)
def test_impossible_times_on_the_staff_endpoints_are_a_422_naming_the_field(app, client, teacher,
                                                                            path, field, moment):
    sign_in_as(client, teacher)
    with nothing_written(app):
        response = post(client, path, {"staff_id": teacher.id, field: moment})
    assert response.status_code == 422 and field in response.json["fields"]


def nested(depth: int) -> str:
    """A JSON object whose one field holds lists inside lists, `depth` deep in all."""
    return '{"full_name": ' + "[" * (depth - 1) + '"Ann"' + "]" * (depth - 1) + "}"


@pytest.mark.one_database("a body too deep to read, refused before any view")
@pytest.mark.parametrize("path", ["/api/v1/acceptances", "/api/v1/breaches",
                                  "/api/v1/deletion-requests", "/api/v1/disclosures"])
@pytest.mark.parametrize("body", [nested(1500), '{"a":' * 1500 + "1" + "}" * 1500, nested(100)],
                         ids=["lists-1500", "objects-1500", "lists-100"])
def test_a_body_nested_deeper_than_any_record_is_a_json_400(app, client, teacher, path, body):
    if path != "/api/v1/acceptances":
        sign_in_as(client, teacher)
    with nothing_written(app):
        response = client.post(path, data=body, content_type="application/json",
                               headers={**HEADERS, "Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 400 and response.json["error"] == "bad_request"
    assert response.json["message"] == "It was nested too deeply to read. Nothing was saved."


def test_a_body_nested_as_deep_as_a_record_is_read_as_before(app, client):
    """The limit is far above anything sent: a list of lists is still a name that is refused."""
    response = client.post("/api/v1/acceptances", data=nested(16), content_type="application/json",
                           headers={**HEADERS, "Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 422 and response.json["error"] == "invalid"


def test_a_lone_surrogate_escaped_in_json_is_a_400(app, client):
    body = '{"full_name": "Ann \\ud800 Smith", "accept": true}'
    with nothing_written(app):
        response = client.post("/api/v1/acceptances", data=body, content_type="application/json",
                               headers={**HEADERS, "Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 400 and response.json["error"] == "bad_request"
    # A character beyond the first plane, escaped as a surrogate pair, is a name like any other.
    response = post(client, "/api/v1/acceptances", acceptance_body(full_name="Ann \U0001d49c Smith"))
    assert response.status_code == 201
