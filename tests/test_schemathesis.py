"""schemathesis against the live app: each operation of /api/v1's description, with data made from
the description (valid and not), sent over HTTP to the app served as `flask run` serves it. No
answer may be a 5xx, and each must be one the description lists: its status, its content type,
its body's schema and its headers. A record the staff routes took is sent again without the
session cookie, and with a made-up one, and must be refused (schemathesis's `ignored_auth`).

A fixed number of examples per operation (EXAMPLES), derandomized (the same examples every run),
so it takes well under a minute and fails the same way twice."""

from __future__ import annotations

import datetime as dt
import re

import hypothesis.strategies as st
import pytest
import requests
import schemathesis
from argon2 import PasswordHasher
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kiosk.migrate import migrate_database
from kiosk.models import BreachCategory, utcnow
from kiosk.policies import seed_default_policy

from .helpers import PASSWORD, make_acceptance, make_breach, make_user
from .live import LiveServer

# Yesterday morning, a time every form takes (school time and UTC alike).
YESTERDAY = (utcnow() - dt.timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
EXAMPLES = 50  # per operation, half of them valid by the description and half not
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance, ignored_auth]
# schemathesis leaves out the operation that serves the description itself (GET
# /api/v1/openapi.json); tests/test_openapi.py checks that one.
OPERATIONS = ["POST /api/v1/acceptances", "POST /api/v1/breaches", "POST /api/v1/deletion-requests",
              "POST /api/v1/disclosures"]


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """The app served on its own, a teacher signed in to it, and records the examples may name."""
    server = LiveServer(tmp_path_factory.mktemp("schemathesis") / "instance", {})
    server.instance.mkdir(parents=True)
    # Prepared in this process rather than by `flask migrate` and `seed-policy` (6 seconds).
    with server.database():
        migrate_database()
        seed_default_policy()
        # Hashed at argon2's lowest cost (the hash carries its cost), so signing in is quick.
        teacher = make_user("staff", password_hash=PasswordHasher(
            time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD))
        known = {"staff_id": str(teacher.id),
                 "categories": [c.slug for c in BreachCategory.in_use()],
                 "acceptance": str(make_acceptance().client_uuid),
                 "breach": str(make_breach(teacher).public_id)}
    server.start(prepare=False)
    try:
        signed_in = requests.Session()
        page = signed_in.get(server.url + "/signin", timeout=10).text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        answer = signed_in.post(server.url + "/signin", timeout=10, allow_redirects=False, data={
            "csrf_token": token, "email": teacher.email, "password": PASSWORD})
        assert answer.status_code == 303, answer.text
        schema = schemathesis.openapi.from_url(server.url + "/api/v1/openapi.json")
        yield server, schema, signed_in, known
    finally:
        server.stop()


def test_the_operations_fuzzed_are_every_operation_described(live):
    _, schema, _, _ = live
    described = sorted(result.ok().label for result in schema.get_all_operations())
    assert described == sorted(OPERATIONS), described


def with_live_values(data, case, known: dict) -> None:
    """Most examples made from the description alone never pass the first check that needs the
    database or the clock (who is signed in, which categories are in use, what is not in the
    future). So, for about half, send them as the outbox does, from this site, with values the
    live database holds and times from yesterday, reaching the code that writes records."""
    if not isinstance(case.body, dict) or not data.draw(st.booleans(), label="live values"):
        return
    for header in ("Origin", "Sec-Fetch-Site"):
        (case.headers or {}).pop(header, None)
    case.body["staff_id"] = known["staff_id"]
    for name in ("occurred_at", "asked_at", "told_at"):
        if name in case.body:
            case.body[name] = YESTERDAY.strftime("%Y-%m-%dT%H:%M")
    path = case.operation.path
    if path.endswith("/acceptances"):
        case.body["policy_version"] = 1
        case.body["accepted_at"] = YESTERDAY.isoformat() + "Z"
        # Nothing (the English; no personal link), or whatever was generated (most likely a 422).
        for name in ("translation", "roster_token"):
            if name in case.body:
                case.body[name] = data.draw(st.sampled_from(["", case.body[name]]), label=name)
        if case.body.get("channel") == "link" and not case.body.get("roster_token"):
            case.body["channel"] = data.draw(st.sampled_from(["kiosk", "phone"]),
                                             label="channel")
        # Some as a visitor would fill it in, so an acceptance is recorded among the refusals.
        if data.draw(st.booleans(), label="a visitor's own words"):
            case.body.update(full_name="Ann Visitor", organisation="", reason="", role="visitor",
                             accept=True, roster_token="", translation="", channel="kiosk")
    if path.endswith("/breaches"):
        case.body["category"] = data.draw(st.sampled_from(known["categories"]), label="category")
    if "acceptance" in case.body:
        case.body["acceptance"] = known["acceptance"]
    if "breach" in case.body:
        case.body["breach"] = known["breach"]


@pytest.mark.parametrize("label", OPERATIONS)
def test_every_answer_is_described_and_none_is_a_server_error(live, label):
    server, schema, signed_in, known = live
    method, path = label.split(" ")
    operation = schema[path][method]
    modes = [operation.as_strategy(generation_mode=mode) for mode in GenerationMode]
    statuses: list[int] = []

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              phases=[Phase.generate, Phase.shrink], print_blob=False,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def run(data):
        case = data.draw(st.one_of(*modes), label="case")
        with_live_values(data, case, known)
        response = case.call_and_validate(base_url=server.url, checks=CHECKS, timeout=10,
                                          cookies=signed_in.cookies.get_dict())
        statuses.append(response.status_code)

    run()
    # The examples reached past the headers: some were refused by a form, some recorded.
    assert {201, 422} <= set(statuses), sorted(set(statuses))
