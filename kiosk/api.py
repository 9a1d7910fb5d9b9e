"""JSON endpoints the offline outbox replays into: /api/v1/...

Each POST carries an `Idempotency-Key` header with the UUID the device made when the record
was written. The same key and body again returns the first answer and creates nothing; the same
key with another body is a 422; no key is a 400. There is no CSRF token (a replay may come a
day later); instead a request must be same-origin JSON with our custom header, which a form or
script on another site cannot send without a CORS preflight we never grant.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, jsonify, make_response, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from . import breaches, deletions, devices, disclosures, openapi
from .acceptances import AcceptanceDetails, record_acceptance
from .access import ALL_STAFF, find_visible, role_required
from .forms.fields import EARLIEST, LATEST
from .forms.public import AcceptForm
from .forms.records import BreachForm, DeletionRequestForm
from .forms.welfare import DisclosureForm
from .idempotency import Conflict, existing, fingerprint
from .models import Acceptance, Breach, DeletionRequest, WelfareTask, as_stored, utcnow

bp = Blueprint("api", __name__, url_prefix="/api/v1")

CLIENT_HEADER = "X-Kiosk-Client"
# A device clock a little ahead of ours is normal; further ahead, we keep our own time.
CLOCK_TOLERANCE = dt.timedelta(minutes=5)


def error(status: int, code: str, message: str, **extra: Any):
    return jsonify(error=code, message=message, **extra), status


# How long a browser or proxy may keep the description: it changes only with a release.
DESCRIPTION_MAX_AGE = 3600


@bp.before_request
def refuse_cross_site_and_malformed():
    """Same-origin JSON with our header and a UUID Idempotency-Key, or a clear 4xx."""
    if request.endpoint == "api.description":  # a public document, read by people and tools
        return None
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        return error(403, "cross_site", _("Requests from other sites are refused."))
    origin = request.headers.get("Origin")
    if origin is not None and _origin(origin) != _origin(request.host_url):
        return error(403, "cross_site", _("Requests from other sites are refused."))
    if request.headers.get(CLIENT_HEADER) != "outbox":
        return error(400, "missing_client_header",
                     _("Send the %(header)s: outbox header.", header=CLIENT_HEADER))
    if not request.is_json:
        return error(415, "not_json",
                     _("Send the record as JSON (Content-Type: application/json)."))
    key = request.headers.get("Idempotency-Key")
    if not key:
        return error(400, "missing_idempotency_key",
                     _("Send an Idempotency-Key header with the record's UUID."))
    try:
        uuid.UUID(key)
    except ValueError:
        return error(400, "bad_idempotency_key", _("The Idempotency-Key must be a UUID."))
    return None


def _origin(url: str) -> tuple[str, str] | None:
    """A URL's scheme and host; None for what is no address at all (`http://[`, which
    urlsplit refuses), and so is not this site."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return parts.scheme, parts.netloc


def idempotency_key() -> uuid.UUID:
    return uuid.UUID(request.headers["Idempotency-Key"])


def json_fields() -> MultiDict | None:
    """The JSON object as form data: strings, lists of strings, booleans as ticked or not."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return None
    fields = MultiDict()
    for key, value in body.items():
        values = value if isinstance(value, list) else [value]
        for item in values:
            if item is None or item is False:
                continue
            fields.add(str(key), "y" if item is True else str(item))
    return fields


def invalid(form) -> tuple:
    # A form's messages may be lazy (its validators were made at import): words, for JSON.
    fields = {name: str(messages[0]) for name, messages in form.errors.items() if name and messages}
    if form.form_errors:
        fields["form"] = str(form.form_errors[0])
    return error(422, "invalid", _("Please correct the details and send again."), fields=fields)


def answer(body: dict, created: bool):
    """201 with the record; a replay gets the same answer, marked as a replay."""
    response = jsonify(body)
    response.status_code = 201
    if not created:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def earlier_answer(model, request_hash: str, describe):
    """A key we have seen: the first answer again, or a conflict. Checked before validation, so
    a replay is answered the same way even if what it refers to has changed since."""
    found = existing(model, idempotency_key())
    if found is None:
        return None
    if found.request_hash != request_hash:
        return conflict()
    return answer(describe(found), created=False)


def conflict():
    return error(422, "idempotency_key_reused",
                 _("This key was already used for a record with other details."))


@bp.get("/openapi.json")
def description():
    """The OpenAPI description of these endpoints (kiosk/openapi.py): public, and cacheable."""
    response = jsonify(openapi.description())
    response.headers["Cache-Control"] = f"public, max-age={DESCRIPTION_MAX_AGE}"
    return response


# Acceptances (public) ----------------------------------------------------------------------------

@bp.post("/acceptances")
def create_acceptance():
    """An acceptance made on the kiosk or a phone, perhaps while offline."""
    fields = json_fields()
    if fields is None:
        return error(400, "not_an_object", _("Send a JSON object."))
    fields["client_uuid"] = str(idempotency_key())
    request_hash = fingerprint(fields.to_dict(flat=False))
    replay = earlier_answer(Acceptance, request_hash, acceptance_answer)
    if replay is not None:
        return replay
    form = AcceptForm(formdata=fields, meta={"csrf": False})
    if not form.validate():
        return invalid(form)
    accepted_at = _device_time(fields.get("accepted_at"))
    if accepted_at is None:  # a 422: the outbox keeps it as "needs attention", never retrying
        return error(422, "invalid", _("Please correct the details and send again."),
                     fields={"accepted_at": _("Give the time of acceptance as an ISO 8601 date "
                                              "and time, with its time zone, between 2000 and "
                                              "2100.")})
    details = AcceptanceDetails(
        client_uuid=form.client_uuid.data, policy_version=form.version,
        full_name=form.full_name.data, role=form.role.data, organisation=form.organisation.data,
        reason=form.reason.data, channel=form.channel.data, accepted_at=accepted_at,
        roster_person=form.roster_person, device=devices.current(), translation=form.shown)
    try:
        row, created = record_acceptance(details, request_hash, looked=True)
    except Conflict:
        return conflict()
    return answer(acceptance_answer(row), created)


def acceptance_answer(row: Acceptance) -> dict:
    return {"id": str(row.client_uuid), "policy_version": row.policy_version.number,
            "accepted_at": row.accepted_at.isoformat() + "Z",
            "received_at": row.received_at.isoformat() + "Z"}


def _device_time(value: str | None) -> dt.datetime | None:
    """The device's clock reading in UTC (naive), or None if it is not a date and time with its
    zone between 2000 and 2100 (the years a form takes; 0001-01-01T00:00+14:00 is not even a
    time in UTC)."""
    try:
        moment = dt.datetime.fromisoformat(value or "")
        moment = as_stored(moment) if moment.tzinfo is not None else None
    except (ValueError, OverflowError):
        return None
    if moment is None or not EARLIEST <= moment <= LATEST:
        return None
    now = utcnow()
    return now if moment > now + CLOCK_TOLERANCE else moment


# Staff records -----------------------------------------------------------------------------------

def staff_submission(model, form_class, describe):
    """A staff record's JSON, checked in order: written by the member of staff signed in now;
    a replay (answered as before, even if what it refers to has changed); then validated.
    Returns (form, request_hash); anything else ends the request with its answer."""
    fields = json_fields()
    if fields is None:
        abort(make_response(error(400, "not_an_object", _("Send a JSON object."))))
    if fields.get("staff_id") != str(current_user.id):
        abort(make_response(error(409, "other_user", _("This was written by another member of "
                                                       "staff; it will be sent when they sign "
                                                       "in."))))
    fields["client_uuid"] = str(idempotency_key())
    request_hash = fingerprint(fields.to_dict(flat=False))
    replay = earlier_answer(model, request_hash, describe)
    if replay is not None:  # the first answer (a response), or a 422 (a response and status)
        abort(make_response(replay))
    form = form_class(formdata=fields, meta={"csrf": False})
    if not form.validate():
        abort(make_response(invalid(form)))
    return form, request_hash


@bp.post("/breaches")
@role_required(*ALL_STAFF)
def create_breach():
    """A breach logged on a classroom iPad, perhaps while offline."""
    form, request_hash = staff_submission(Breach, BreachForm, breach_answer)
    try:
        breach, created = breaches.log_breach(current_user, form.details(), request_hash)
    except Conflict:
        return conflict()
    return answer(breach_answer(breach), created)


def breach_answer(breach: Breach) -> dict:
    body = {"id": str(breach.public_id), "restricted": breach.restricted}
    if not breach.restricted:
        body["url"] = url_for("records.breach", public_id=breach.public_id)
    return body


@bp.post("/deletion-requests")
@role_required(*ALL_STAFF)
def create_deletion_request():
    """Someone was asked to delete material, recorded perhaps while offline."""
    form, request_hash = staff_submission(DeletionRequest, DeletionRequestForm, deletion_answer)
    linked = None
    if form.breach.data:
        linked = find_visible(Breach, current_user, form.breach.data)
        if linked is None:
            return error(422, "invalid", _("Please correct the details and send again."),
                         fields={"breach": _("That breach was not found.")})
    try:
        row, created = deletions.request_deletion(current_user, form.details(linked), request_hash)
    except Conflict:
        return conflict()
    return answer(deletion_answer(row), created)


def deletion_answer(row: DeletionRequest) -> dict:
    return {"id": str(row.public_id), "url": url_for("records.deletion", public_id=row.public_id)}


@bp.post("/disclosures")
@role_required(*ALL_STAFF)
def create_disclosure():
    """A child told a member of staff something, recorded perhaps while offline: the DSL is told
    once it arrives."""
    form, request_hash = staff_submission(WelfareTask, DisclosureForm, disclosure_answer)
    try:
        task, created = disclosures.record_disclosure(current_user, form.details(), request_hash)
    except Conflict:
        return conflict()
    return answer(disclosure_answer(task), created)


def disclosure_answer(task: WelfareTask) -> dict:
    # Nothing to follow: the member of staff hands the child's welfare to the DSL.
    return {"id": str(task.client_uuid), "passed_on": task.breach_id is not None}
