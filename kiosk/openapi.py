"""The OpenAPI 3 description of `/api/v1`, served at `/api/v1/openapi.json`.

The request bodies are read from the forms the API validates with (`kiosk/forms/`): each field's
label, its length limits, whether it is required, and its list of codes (from `vocabulary.py`,
through the field's `AnyOf` or its choices). A change to a form changes the description, so the
two cannot drift. What a form cannot say (the JSON-only fields, the answers, the headers, the
error codes) is written here, beside `api.py`, which gives them; `tests/test_openapi.py` checks
each route is described and `tests/test_schemathesis.py` that the live app answers as described.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from wtforms import BooleanField, RadioField, SelectMultipleField
from wtforms.fields.core import UnboundField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length

from .forms.fields import (
    EARLIEST,
    LATEST,
    ClientUUIDField,
    LocalDateTimeField,
    not_in_the_future,
    refuse_control_characters,
    refuse_controls_in_block,
)
from .forms.public import AcceptForm
from .forms.records import BreachForm, DeletionRequestForm
from .forms.welfare import DisclosureForm

OPENAPI_VERSION = "3.0.3"
API_VERSION = "1"

# A date and time typed in the school's time zone, as the forms read it (LocalDateTimeField):
# no seconds, no zone; the years the forms take.
LOCAL_DATE_TIME = (r"^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
                   r"T([01][0-9]|2[0-3]):[0-5][0-9]$")
# One-line text refuses control characters, the line and paragraph separators and direction
# overrides (text.has_control_characters); multi-line text refuses control characters but new
# lines and tabs (text.has_block_controls). Said in words: a pattern would hide them from
# schemathesis, which should try them.
ONE_LINE = ("One line of text: control characters, line and paragraph separators and "
            "direction overrides are refused (422).")
BLOCK = "Text of several lines: control characters other than new lines and tabs are refused (422)."

# What a form cannot say about a field: hidden fields the outbox fills in, and fields whose rule
# needs the database. By field name (the same in every form that has it).
HIDDEN_FIELDS: dict[str, dict[str, Any]] = {
    "policy_version": {"type": "integer", "minimum": 1, "maximum": 999_999_999,
                       "description": "The number of the policy version the person read (the "
                                      "acceptance keeps it, even if a newer one was published "
                                      "since). An unknown number is a 422."},
    "translation": {"type": "string",
                    "description": "The id of the translation of that version the person was "
                                   "shown (the kiosk's picker or their phone's language), or empty "
                                   "for the English. One that is not that version's is a 422."},
    "roster_token": {"type": "string",
                     "description": "The personal link's token, for an acceptance through a "
                                    "personal link (channel `link`); a link no longer in use is "
                                    "a 422."},
    "category": {"type": "string",
                 "description": "The code of a breach category in use (the staff's "
                                "\"What happened?\" tiles). One no longer in use, or a concern "
                                "about staff with someone other than a member of staff, is a 422."},
    "acceptance": {"type": "string", "format": "uuid",
                   "description": "The UUID of the acceptance of the person concerned, if known; "
                                  "an unknown one is a 422."},
    "breach": {"type": "string", "format": "uuid",
               "description": "The breach this deletion request belongs to, if any: one the "
                              "member of staff may see, or a 422."},
    "asked_to_delete": {"type": "string", "enum": ["yes", "no"],
                        "description": "\"Were they asked to delete it?\": `yes` adds that "
                                       "action."},
}

# Every error answer is {"error": code, "message": words}, with "fields" for a 422 `invalid`.
# The codes each status can carry (api.py, access.py for 401 and 403, errors.py for the rest).
ERROR_CODES: dict[int, tuple[str, list[str]]] = {
    400: ("Something in the request cannot be read: a missing or malformed header, a body that is "
          "not a JSON object, a NUL or lone surrogate anywhere, or JSON nested more than 16 deep.",
          ["missing_client_header", "missing_idempotency_key", "bad_idempotency_key",
           "not_an_object", "bad_request"]),
    401: ("Not signed in, the session has ended, or the password must be changed first. The "
          "outbox keeps the record and sends it once its author is signed in.",
          ["sign_in_required", "password_change_required"]),
    403: ("A request from another site (by `Sec-Fetch-Site` or `Origin`), or a role that may not "
          "write this record (the chair of governors).", ["cross_site", "forbidden"]),
    409: ("Written by another member of staff (`staff_id` is not the account signed in): it is "
          "sent again when they sign in.", ["other_user"]),
    413: ("The body is larger than the server takes (`KIOSK_MAX_REQUEST_BYTES`).", ["too_large"]),
    415: ("The body was not sent as `application/json`.", ["not_json"]),
    422: ("The record was refused and nothing was saved: `invalid`, with a message for each field "
          "in `fields`; or `idempotency_key_reused`, the key of a record with other details. The "
          "outbox keeps it as \"needs attention\" and does not send it again.",
          ["invalid", "idempotency_key_reused"]),
    429: ("Not signed in, from an address refused more than `KIOSK_REFUSED_PER_MINUTE` times in "
          "the last minute (`refusals.py`): wait a minute (`Retry-After`). The outbox keeps the "
          "record and tries again later.", ["too_many"]),
}
# tests/test_openapi.py checks each status listed is one the API gives, and the schemathesis run
# that each status it gives is listed. Only refused requests from someone not signed in are
# limited (429), so only the staff routes can answer it.
PUBLIC_ERRORS = (400, 403, 413, 415, 422)
STAFF_ERRORS = (400, 401, 403, 409, 413, 415, 422, 429)


def _validators(unbound: UnboundField) -> list:
    return list(unbound.kwargs.get("validators") or ())


def field_schema(name: str, unbound: UnboundField) -> tuple[dict[str, Any], bool]:
    """One form field as a JSON Schema property, and whether it is required."""
    validators = _validators(unbound)
    label = unbound.args[0] if unbound.args else unbound.kwargs.get("label")
    codes = [list(v.values) for v in validators if isinstance(v, AnyOf)]
    # A list of codes without the empty one refuses an empty field just as DataRequired does.
    required = any(isinstance(v, DataRequired | InputRequired) for v in validators) or any(
        "" not in values for values in codes)
    kind = unbound.field_class
    if issubclass(kind, BooleanField):
        schema: dict[str, Any] = {"type": "boolean"}
        if required:  # a box that must be ticked
            schema["enum"] = [True]
    elif issubclass(kind, SelectMultipleField):
        offered = [choice.value for choice in unbound.kwargs["choices"]]
        schema = {"type": "array", "items": {"type": "string", "enum": offered}}
    elif issubclass(kind, LocalDateTimeField):
        schema = {"type": "string", "pattern": LOCAL_DATE_TIME,
                  "description": f"In the school's time zone, as typed (YYYY-MM-DDTHH:MM), between "
                                 f"{EARLIEST.year} and {LATEST.year}"
                                 + ("; not in the future." if not_in_the_future in validators
                                    else ".")}
    elif name in HIDDEN_FIELDS:
        schema = dict(HIDDEN_FIELDS[name])
    else:
        schema = {"type": "string"}
        lengths = [v for v in validators if isinstance(v, Length)]
        for limit in lengths:
            if limit.min > 0:
                schema["minLength"] = limit.min
            if limit.max > 0:
                schema["maxLength"] = limit.max
        if required and "minLength" not in schema:
            schema["minLength"] = 1
        if refuse_control_characters in validators:
            schema["description"] = ONE_LINE
        elif refuse_controls_in_block in validators:
            schema["description"] = BLOCK
    if codes and schema.get("type") == "string":
        schema["enum"] = codes[0]
        schema.pop("minLength", None)
    elif issubclass(kind, RadioField) and "enum" not in schema:
        schema["enum"] = [choice.value for choice in unbound.kwargs["choices"]]
    if label:
        words = schema.get("description", "")
        schema["description"] = f"{label}. {words}".strip() if words else str(label)
    if not schema.get("description"):
        schema.pop("description", None)
    return schema, required


def form_schema(form_class, *, also_required: tuple[str, ...] = (), extra: dict | None = None,
                rules: dict | None = None) -> dict[str, Any]:
    """A form as the JSON object the API reads: each field but the client UUID (which comes in
    the Idempotency-Key header), in the form's order."""
    fields = sorted(((name, value) for name in dir(form_class)
                     if isinstance(value := getattr(form_class, name), UnboundField)),
                    key=lambda item: item[1].creation_counter)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, unbound in fields:
        if issubclass(unbound.field_class, ClientUUIDField):
            continue
        properties[name], needed = field_schema(name, unbound)
        if needed or name in also_required:
            required.append(name)
    properties.update(extra or {})
    required.extend(name for name in (extra or {}) if name not in required)
    return {"type": "object", "properties": properties, "required": required, **(rules or {}),
            "description": "JSON: a string, number or list of strings for each field; `true` "
                           "ticks a box, `false` or `null` leaves it empty. Fields not listed "
                           "are ignored."}


# The forms' rules between fields (their `validate_<field>` methods), as JSON Schema can say them.
LINK = {"properties": {"link": {"pattern": "^(https?://|$)"}}}
DELETION_RULES = {"allOf": [
    {"anyOf": [{"required": ["person_name"], "properties": {"person_name": {"minLength": 1}}},
               {"required": ["acceptance"]}],
     "description": "Who was asked: their name, or their acceptance."},
    {"anyOf": [{"properties": {"material_location": {"enum": ["device"]}}},
               {"required": ["link"], "properties": {"link": {"minLength": 1}}}],
     "description": "Material online needs its link."},
    LINK]}
DISCLOSURE_RULES = {"anyOf": [
    {"properties": {"about_adult": {"enum": ["no", "head"]}}},
    {"required": ["adult_name"], "properties": {"adult_name": {"minLength": 1}}}],
    "description": "About an adult at the school (`yes`) needs the adult's name."}

STAFF_ID = {"type": "string", "pattern": "^[0-9]{1,18}$",
            "description": "The id of the staff account signed in when the record was written "
                           "(the page's `data-staff-id`). Another account's record is a 409."}
ACCEPTED_AT = {"type": "string", "format": "date-time",
               "description": "When the person accepted, by the device's clock: an ISO 8601 date "
                              "and time with its zone, between 2000 and 2100 (a 422 otherwise). "
                              "A time more than five minutes ahead of the server's is kept as "
                              "the server's."}
UUID = {"type": "string", "format": "uuid"}


def _created(name: str, description: str) -> dict[str, Any]:
    return {"description": description,
            "headers": {"Idempotent-Replayed": {"$ref": "#/components/headers/IdempotentReplayed"}},
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}}


def _operation(summary: str, description: str, form: str, created: tuple[str, str],
               errors: tuple[int, ...], *, staff: bool) -> dict[str, Any]:
    responses: dict[str, Any] = {"201": _created(*created)}
    responses.update({str(status): {"$ref": f"#/components/responses/Error{status}"}
                      for status in errors})
    operation = {
        "summary": summary, "description": description,
        "parameters": [{"$ref": f"#/components/parameters/{name}"}
                       for name in ("IdempotencyKey", "KioskClient", "Origin", "SecFetchSite")],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"$ref": f"#/components/schemas/{form}"}}}},
        "responses": responses,
        "security": [{"staffSession": []}] if staff else [],
    }
    operation["operationId"] = form[0].lower() + form[1:]
    return operation


def description() -> dict[str, Any]:
    """The whole description, for this app (its session cookie's name, its largest body)."""
    cookie = current_app.config["SESSION_COOKIE_NAME"]
    largest = current_app.config["MAX_CONTENT_LENGTH"]
    error = {"type": "object", "required": ["error", "message"], "properties": {
        "error": {"type": "string", "description": "A code for programs."},
        "message": {"type": "string", "description": "Plain words for a person."},
        "fields": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "For `invalid`: each refused field's message (`form` for the "
                                  "form as a whole)."}}}
    error_responses = {
        f"Error{status}": {"description": words, "content": {"application/json": {"schema": {
            "allOf": [{"$ref": "#/components/schemas/Error"},
                      {"type": "object", "properties": {"error": {"type": "string",
                                                                  "enum": codes}}}]}}}}
        for status, (words, codes) in ERROR_CODES.items()}
    error_responses["Error413"]["description"] += f" Here: {largest} bytes."
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Policy Kiosk outbox API", "version": API_VERSION,
            "description": (
                "The endpoints a device's offline outbox sends its records to, perhaps a day "
                "after they were written. Each record carries the UUID its device made as its "
                "`Idempotency-Key`: the same key and body again is answered with the first "
                "answer (201, `Idempotent-Replayed: true`) and creates nothing; the same key "
                "with another body is a 422. An entry leaves the outbox only on a 2xx; a 401 "
                "keeps it for its author; any other 4xx marks it \"needs attention\".\n\n"
                "There is no CSRF token (a replay may come long after the page that made it). "
                "Instead every request must carry `X-Kiosk-Client: outbox` and be sent as "
                "`application/json`, which a page on another site cannot do without a CORS "
                "preflight this server never grants; and a request whose `Sec-Fetch-Site` is "
                "anything but `same-origin` or `none`, or whose `Origin` is not this server's, "
                "is refused (403 `cross_site`).")},
        "paths": {
            "/api/v1/acceptances": {"post": _operation(
                "Record an acceptance of the policy",
                "An acceptance made on the kiosk, a phone or a personal link. No sign-in.",
                "Acceptance", ("AcceptanceCreated", "Recorded (or, replayed, recorded before)."),
                PUBLIC_ERRORS, staff=False)},
            "/api/v1/breaches": {"post": _operation(
                "Log a breach of the policy",
                "Logged on a classroom iPad. A safeguarding matter alerts the DSL; a concern "
                "about a member of staff is restricted to its case manager, and its answer has "
                "no `url`.", "Breach", ("BreachCreated", "Logged (or, replayed, logged before)."),
                STAFF_ERRORS, staff=True)},
            "/api/v1/deletion-requests": {"post": _operation(
                "Record that someone was asked to delete material",
                "`link` is required when `material_location` is `online` (http or https); "
                "`person_name` when no `acceptance` is given; `due_by`, after `asked_at` and "
                "within 30 days, defaults to the school's deadline.", "DeletionRequest",
                ("DeletionRequestCreated", "Recorded (or, replayed, recorded before)."),
                STAFF_ERRORS, staff=True)},
            "/api/v1/disclosures": {"post": _operation(
                "Record that a child told a member of staff something",
                "The DSL gets a welfare task; about an adult at the school (`about_adult` `yes` "
                "with `adult_name`, or `head`), what the child said goes only to the case "
                "manager.", "Disclosure",
                ("DisclosureCreated", "Passed on (or, replayed, passed on before)."),
                STAFF_ERRORS, staff=True)},
            "/api/v1/openapi.json": {"get": {
                "summary": "This description", "operationId": "openapi", "security": [],
                "responses": {"200": {"description": "The OpenAPI description of this API.",
                                      "content": {"application/json": {"schema": {
                                          "type": "object", "required": ["openapi", "paths"]}}}}},
            }},
        },
        "components": {
            "securitySchemes": {"staffSession": {
                "type": "apiKey", "in": "cookie", "name": cookie,
                "description": "The signed-in session of a member of staff (any role but the "
                               "chair of governors), set by signing in at `/signin`. It ends "
                               "after the idle and absolute time-outs (401)."}},
            "parameters": {
                "IdempotencyKey": {"name": "Idempotency-Key", "in": "header", "required": True,
                                   "schema": UUID,
                                   "description": "The UUID the device made for this record."},
                "KioskClient": {"name": "X-Kiosk-Client", "in": "header", "required": True,
                                "schema": {"type": "string", "enum": ["outbox"]},
                                "description": "Says the request comes from the outbox script "
                                               "(a defence against requests from other sites)."},
                "Origin": {"name": "Origin", "in": "header", "required": False,
                           "schema": {"type": "string"},
                           "description": "Sent by the browser. Any origin but this server's "
                                          "own is refused (403 `cross_site`)."},
                "SecFetchSite": {"name": "Sec-Fetch-Site", "in": "header", "required": False,
                                 "schema": {"type": "string", "enum": [
                                     "same-origin", "none", "same-site", "cross-site"]},
                                 "description": "Sent by the browser. Anything but `same-origin` "
                                                "or `none` is refused (403 `cross_site`)."},
            },
            "headers": {"IdempotentReplayed": {
                "description": "`true` when this key was seen before with the same body: the "
                               "record was not made again.",
                "schema": {"type": "string", "enum": ["true"]}}},
            "schemas": {
                "Acceptance": form_schema(AcceptForm, also_required=("policy_version",),
                                          extra={"accepted_at": ACCEPTED_AT}),
                "Breach": form_schema(BreachForm, also_required=("category",),
                                      extra={"staff_id": STAFF_ID}),
                "DeletionRequest": form_schema(DeletionRequestForm, extra={"staff_id": STAFF_ID},
                                               rules=DELETION_RULES),
                "Disclosure": form_schema(DisclosureForm, extra={"staff_id": STAFF_ID},
                                          rules=DISCLOSURE_RULES),
                "AcceptanceCreated": {"type": "object", "additionalProperties": False,
                                      "required": ["id", "policy_version", "accepted_at",
                                                   "received_at"],
                                      "properties": {
                                          "id": UUID, "policy_version": {"type": "integer"},
                                          "accepted_at": {"type": "string", "format": "date-time"},
                                          "received_at": {"type": "string",
                                                          "format": "date-time"}}},
                "BreachCreated": {"type": "object", "additionalProperties": False,
                                  "required": ["id", "restricted"], "properties": {
                                      "id": UUID, "restricted": {"type": "boolean"},
                                      "url": {"type": "string", "description": "Its page, for "
                                              "a breach that is not restricted."}}},
                "DeletionRequestCreated": {"type": "object", "additionalProperties": False,
                                           "required": ["id", "url"], "properties": {
                                               "id": UUID, "url": {"type": "string"}}},
                "DisclosureCreated": {"type": "object", "additionalProperties": False,
                                      "required": ["id", "passed_on"], "properties": {
                                          "id": UUID, "passed_on": {
                                              "type": "boolean", "description": "Whether it "
                                              "was about an adult at the school, and so went "
                                              "to the case manager too."}}},
                "Error": error,
            },
            "responses": error_responses,
        },
    }
