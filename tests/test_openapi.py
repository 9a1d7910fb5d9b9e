"""The OpenAPI description of /api/v1 (kiosk/openapi.py): public, complete, read from the forms, and
true of each answer the API gives. (tests/test_schemathesis.py fuzzes the live app with it.)"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import schemathesis
from flask_wtf import FlaskForm
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from wtforms import BooleanField, RadioField, StringField
from wtforms.validators import AnyOf, InputRequired, Length

from kiosk.forms.fields import LocalDateTimeField, not_in_the_future, refuse_control_characters
from kiosk.models import Acceptance, Breach, StaffUser, utcnow
from kiosk.openapi import form_schema
from kiosk.vocabulary import (
    BREACH_ACTIONS,
    CHANNELS,
    DISCLOSURE_ABOUT,
    LOCATIONS,
    MATERIALS,
    SUBJECT_KINDS,
    VISITOR_ROLES,
)

from .helpers import make_user, nothing_written, sign_in_as

DESCRIPTION = "/api/v1/openapi.json"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]
YESTERDAY = (utcnow() - dt.timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
LOCAL = YESTERDAY.strftime("%Y-%m-%dT%H:%M")


def described(client) -> dict:
    return client.get(DESCRIPTION).json


def schemas(client) -> dict:
    return described(client)["components"]["schemas"]


def test_the_description_is_public_cacheable_json_read_without_the_outbox_headers(app, client):
    with nothing_written(app):  # not even an audit event
        response = client.get(DESCRIPTION, headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    assert response.json["openapi"].startswith("3.")


def test_every_api_route_is_described_and_every_described_operation_is_a_route(app, client):
    routes = {(rule.rule, method.lower()) for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/v1/") for method in rule.methods - {"HEAD", "OPTIONS"}}
    operations = {(path, method) for path, item in described(client)["paths"].items()
                  for method in item}
    assert routes == operations
    assert len(routes) == 5  # four kinds of record, and the description itself


def test_the_description_is_valid_openapi_with_every_reference_resolved(client):
    schema = schemathesis.openapi.from_dict(described(client))
    schema.validate()
    operations = list(schema.get_all_operations())
    assert [result.ok().label for result in operations]  # .ok() raises on an unresolved part


def test_the_codes_offered_are_the_vocabularys(client):
    found = schemas(client)
    assert found["Acceptance"]["properties"]["role"]["enum"] == list(VISITOR_ROLES)
    assert found["Acceptance"]["properties"]["channel"]["enum"] == list(CHANNELS)
    assert found["Breach"]["properties"]["subject_kind"]["enum"] == list(SUBJECT_KINDS)
    assert found["Breach"]["properties"]["actions"]["items"]["enum"] == list(BREACH_ACTIONS)
    assert found["DeletionRequest"]["properties"]["material"]["enum"] == list(MATERIALS)
    assert found["DeletionRequest"]["properties"]["material_location"]["enum"] == list(LOCATIONS)
    assert found["Disclosure"]["properties"]["about_adult"]["enum"] == list(DISCLOSURE_ABOUT)


def test_a_form_is_described_by_what_its_fields_say(app):
    """The description is read from the form, so a changed limit or list changes it."""

    class Sample(FlaskForm):
        name = StringField("Name", validators=[InputRequired(), Length(min=3, max=7),
                                               refuse_control_characters])
        colour = RadioField("Colour", choices=[("red", "Red"), ("blue", "Blue")],
                            validators=[AnyOf(["red", "blue"])])
        sure = BooleanField("Sure", validators=[InputRequired()])
        when = LocalDateTimeField("When", validators=[not_in_the_future])
        later = LocalDateTimeField("Later")
        note = StringField("Note")

    schema = form_schema(Sample)
    fields = schema["properties"]
    assert (fields["name"]["minLength"], fields["name"]["maxLength"]) == (3, 7)
    assert "line and paragraph separators" in fields["name"]["description"]
    assert fields["colour"]["enum"] == ["red", "blue"]
    assert fields["sure"] == {"type": "boolean", "enum": [True], "description": "Sure"}
    assert "not in the future" in fields["when"]["description"]
    assert "not in the future" not in fields["later"]["description"]
    assert "maxLength" not in fields["note"] and "minLength" not in fields["note"]
    # An empty field is refused by InputRequired, and by a list of codes without the empty one.
    assert schema["required"] == ["name", "colour", "sure"]


# Bodies the API takes, one per route (staff_id is filled in with the member of staff's id).
VALID = {
    "/api/v1/acceptances": {"full_name": "Ann Visitor", "role": "visitor", "accept": True,
                            "policy_version": 1, "channel": "kiosk",
                            "accepted_at": YESTERDAY.isoformat() + "Z"},
    "/api/v1/breaches": {"subject_kind": "visitor", "category": "photographing",
                         "occurred_at": LOCAL, "subject_name": "Pat Visitor"},
    "/api/v1/deletion-requests": {"material": "photo", "material_location": "device",
                                  "person_name": "Pat Visitor", "asked_at": LOCAL},
    "/api/v1/disclosures": {"child_name": "Polly Pupil", "told_at": LOCAL, "about_adult": "no"},
}
SCHEMA_OF = {"/api/v1/acceptances": "Acceptance", "/api/v1/breaches": "Breach",
             "/api/v1/deletion-requests": "DeletionRequest", "/api/v1/disclosures": "Disclosure"}


def send(client, path, body, key=None, **headers):
    return client.post(path, json=body, headers={
        "X-Kiosk-Client": "outbox", "Idempotency-Key": str(key or uuid.uuid4()), **headers})


def filled(text: str, length: int, name: str) -> str:
    """`length` characters of text; a link starts as one must."""
    start = "https://" if name == "link" else ""
    return start + text * (length - len(start))


@pytest.mark.parametrize("path", list(VALID))
def test_each_length_and_requirement_described_is_the_one_the_api_enforces(app, client, teacher,
                                                                            path):
    sign_in_as(client, teacher)
    schema = schemas(client)[SCHEMA_OF[path]]
    base = {**VALID[path], "staff_id": str(teacher.id)}
    assert send(client, path, base).status_code == 201
    checked = 0
    for name, field in schema["properties"].items():
        for limit, refused in (("maxLength", 1), ("minLength", -1)):
            if limit not in field:
                continue
            taken = send(client, path, {**base, name: filled("a", field[limit], name)})
            assert taken.status_code == 201, (name, limit, taken.json)
            too = send(client, path, {**base, name: filled("a", field[limit] + refused, name)})
            assert too.status_code == 422 and name in too.json["fields"], (name, limit, too.json)
            checked += 1
    for name in schema["required"]:
        missing = send(client, path, {key: value for key, value in base.items() if key != name})
        expected = (409, "other_user") if name == "staff_id" else (422, "invalid")
        assert (missing.status_code, missing.json["error"]) == expected, name
        if name != "staff_id":
            assert name in missing.json["fields"], (name, missing.json)
    assert checked >= 2


@pytest.fixture
def answers(app, client):
    """Every kind of answer the API gives, each with the request that got it."""
    with app.app_context():
        teacher, chair, changing = make_user("staff"), make_user("chair"), make_user("staff")
        StaffUser.update(must_change_password=True).where(StaffUser.id == changing.id).execute()
    teacher_client, chair_client, changing_client = (app.test_client() for _ in range(3))
    for who, user in ((teacher_client, teacher), (chair_client, chair), (changing_client, changing)):
        sign_in_as(who, user)
    staff = {path: {**body, "staff_id": str(teacher.id)} for path, body in VALID.items()}
    acceptances, breaches = "/api/v1/acceptances", "/api/v1/breaches"
    key = uuid.uuid4()
    made = []

    def answer(path, body, who=client, key=None, **headers):
        sent_headers = {"X-Kiosk-Client": "outbox", "Idempotency-Key": str(key or uuid.uuid4()),
                        **headers}
        made.append((path, body, sent_headers, send(who, path, body, key, **headers)))

    for path, body in staff.items():
        answer(path, body, teacher_client)
    answer(breaches, {**staff[breaches], "subject_kind": "staff", "category": "pupil_contact"},
           teacher_client)  # restricted: no url in the answer
    answer(acceptances, VALID[acceptances], key=key)
    answer(acceptances, VALID[acceptances], key=key)  # a replay
    answer(acceptances, {**VALID[acceptances], "full_name": "Someone Else"}, key=key)
    answer(acceptances, {**VALID[acceptances], "role": "pirate"})
    answer(acceptances, VALID[acceptances], **{"X-Kiosk-Client": ""})
    answer(acceptances, VALID[acceptances], **{"Idempotency-Key": "not-a-uuid"})
    answer(acceptances, [VALID[acceptances]])
    answer(acceptances, {**VALID[acceptances], "full_name": "Ann\x00"})
    answer(acceptances, VALID[acceptances], **{"Sec-Fetch-Site": "cross-site"})
    answer(acceptances, {"full_name": "a" * 70_000})
    answer(breaches, staff[breaches])  # not signed in
    app.config["KIOSK_REFUSED_PER_MINUTE"] = 1  # a limit of its own: one more is let through,
    answer(breaches, staff[breaches])
    answer(breaches, staff[breaches])  # then, within the minute, told to wait
    app.config["KIOSK_REFUSED_PER_MINUTE"] = 60
    answer(breaches, staff[breaches], chair_client)
    answer(breaches, staff[breaches], changing_client)
    answer(breaches, {**staff[breaches], "staff_id": str(chair.id)}, teacher_client)
    # Not JSON at all: a form post, as another site's page could send.
    sent = {"X-Kiosk-Client": "outbox", "Idempotency-Key": str(uuid.uuid4())}
    made.append((acceptances, VALID[acceptances], sent,
                 client.post(acceptances, data={"full_name": "Ann"}, headers=sent)))
    return made


def test_every_answer_the_api_gives_is_one_its_description_lists(app, client, answers):
    schema = schemathesis.openapi.from_dict(described(client))
    given: dict[str, set[int]] = {}
    for path, body, headers, response in answers:
        case = schema[path]["POST"].Case(body=body, headers=headers)
        case.validate_response(response, checks=CHECKS)
        given.setdefault(path, set()).add(response.status_code)
    # ...and every status it lists is one it gives (the header checks, the size and the forms
    # are the same for every route: shown on acceptances, the rest on breaches).
    listed = {path: {int(code) for code in item["post"]["responses"]}
              for path, item in described(client)["paths"].items() if "post" in item}
    assert listed["/api/v1/acceptances"] == given["/api/v1/acceptances"]
    assert set().union(*listed.values()) == set().union(*given.values())
    replay = answers[6][3]
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    with app.app_context():
        restricted = Breach.get(Breach.subject_kind == "staff")
        assert answers[4][3].json == {"id": str(restricted.public_id), "restricted": True}
        assert Acceptance.select().count() == 2  # the first, and the keyed one once, not its replay


def test_an_answer_off_the_description_is_noticed(client):
    """The check above is not a formality: an answer with a field the description does not
    list, or a status it does not list, fails it."""
    schema = schemathesis.openapi.from_dict(described(client))
    case = schema["/api/v1/acceptances"]["POST"].Case(body=VALID["/api/v1/acceptances"])
    response = send(client, "/api/v1/acceptances", VALID["/api/v1/acceptances"])
    case.validate_response(response, checks=CHECKS)  # as it is: no failure
    response.set_data(response.get_data()[:-2] + b', "extra": 1}\n')
    with pytest.raises(FailureGroup) as failed:
        case.validate_response(response, checks=CHECKS)
    assert [e.title for e in failed.value.exceptions] == ["Response violates schema"]
    response.status_code = 409  # not a status an acceptance can be given
    with pytest.raises(FailureGroup) as failed:
        case.validate_response(response, checks=CHECKS)
    assert "Undocumented status code" in [e.title for e in failed.value.exceptions]
