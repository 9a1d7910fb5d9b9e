"""What every request gets before any view sees it: input no record can hold (a NUL, a lone
surrogate, JSON nested past any record) is a 4xx, never a 500 or a half-written record."""

from __future__ import annotations

import re

import pytest

from kiosk import audit, create_app
from kiosk.migrate import migrate_database
from kiosk.models import AuditEvent, StaffUser, db
from kiosk.policies import seed_default_policy

from .helpers import hidden_fields, make_user, nothing_written, sign_in_as
from .test_access import MATRIX

DEEP = "[" * 1500 + "]" * 1500


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/"), ("GET", "/policy"), ("POST", "/signin"), ("POST", "/accept"), ("GET", "/nowhere"),
])
def test_a_json_body_nested_1500_deep_is_a_json_400_on_any_route(app, client, method, path):
    token = hidden_fields(client.get("/accept").get_data(as_text=True))["csrf_token"]
    with nothing_written(app):
        response = client.open(path, method=method, data=DEEP, content_type="application/json",
                               headers={"X-CSRFToken": token})
    assert response.status_code == 400
    assert response.json == {"error": "bad_request",
                             "message": "It was nested too deeply to read. Nothing was saved."}


def test_a_paste_nested_1500_deep_is_a_json_400_with_nothing_saved(app, client, head):
    sign_in_as(client, head)
    token = hidden_fields(client.get("/admin/policy").get_data(as_text=True))["csrf_token"]
    body = '{"html": ' + "[" * 1499 + "]" * 1499 + "}"
    with nothing_written(app):
        response = client.post("/admin/policy/paste", data=body, content_type="application/json",
                               headers={"X-CSRFToken": token})
    assert response.status_code == 400 and "nested too deeply" in response.json["message"]
    assert "markdown" not in response.json


# On PostgreSQL, which cannot store a NUL --------------------------------------------------------

@pytest.fixture
def pg_app(postgres_url, tmp_path):
    app = create_app({"KIOSK_INSTANCE_PATH": str(tmp_path), "DATABASE_URL": postgres_url,
                      "TESTING": True})
    with app.app_context():
        migrate_database()
        seed_default_policy()
    yield app
    db.close()


def nul_paths() -> list[tuple[str, str]]:
    """Every route that takes a part of its address, with a NUL in that part: from the list of
    every route in test_access, so a new one is tried too."""
    paths = {(method, re.sub(r"\{\w+\}", "%00", template))
             for _, method, template, _ in MATRIX if "{" in template}
    return sorted(paths | {("GET", "/school/%00"), ("GET", "/p/a%00b"),
                           ("GET", "/records/breaches/%00/x")})


@pytest.mark.parametrize("role", ["anonymous", "staff", "head"])
def test_a_nul_in_the_address_is_a_400_on_postgresql_with_nothing_written(pg_app, role):
    assert ("GET", "/p/%00") in nul_paths() and ("GET", "/records/breaches/%00") in nul_paths()
    client = pg_app.test_client()
    if role != "anonymous":
        with pg_app.app_context():
            sign_in_as(client, make_user(role))
    token = hidden_fields(client.get("/accept").get_data(as_text=True))["csrf_token"]
    answers = {}
    # Nothing at all is written: not the record, and not the refusal's audit event either.
    with nothing_written(pg_app):
        for method, path in [*nul_paths(), ("GET", "/staff/breaches/%00")]:
            if method == "GET":
                response = client.get(path)
            elif path.startswith("/api/"):
                response = client.post(path, json={}, headers={
                    "X-Kiosk-Client": "outbox", "Idempotency-Key": "8f0a6b0e-1b1c-4a8e-9f55-1c3a4b3c2d1e"})
            else:
                response = client.post(path, data={"csrf_token": token})
            answers[f"{method} {path}"] = response.status_code
    assert {path: status for path, status in answers.items() if status != 400} == {}
    assert client.get("/policy").status_code == 200  # and the database answers as before


def test_an_audit_event_naming_a_nul_is_written_on_postgresql_and_the_chain_holds(pg_app):
    """Anything that does reach the audit log with a NUL in it (or a lone surrogate) is written
    with a replacement character, not refused by the database with the refusal lost."""
    with pg_app.app_context():
        user = make_user("staff")
        event = audit.record("access.refused", kind="page", record_id="/p/\x00", actor=user,
                             note="a\x00b\ud800")
        stored = AuditEvent.get_by_id(event.id)
        assert stored.record_id == "/p/\ufffd" and "\x00" not in stored.detail
        assert audit.verify_chain() == (AuditEvent.select().count(), None)
        assert StaffUser.select().count() == 1


@pytest.mark.parametrize(("path", "allowed"), [("/api/v1/acceptances", {"POST", "OPTIONS"}),
                                               ("/signout", {"POST", "OPTIONS"})])
def test_a_wrong_method_is_told_which_methods_would_work(client, path, allowed):
    """HTTP asks a 405 to name the methods that work; our plain error page kept werkzeug's
    status but dropped its Allow header."""
    response = client.delete(path)
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == allowed
