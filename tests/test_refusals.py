"""Refused requests from people not signed in are counted and rate-limited, not each written to
the audit chain; a signed-in refusal is still audited one by one; and the head's audit log
never learns the id of a concern about the head from a refused address (issue 13, finding 7)."""

from __future__ import annotations

import json

import pytest

from kiosk import audit, audit_log, refusals
from kiosk.models import AuditEvent, Breach

from .helpers import hidden_fields, make_breach, make_user, sign_in_as
from .test_audit import entries, visible_text

STAFF_PAGES = ["/staff/", "/staff/visitors", "/staff/breaches/new", "/staff/my-reports",
               "/records/concerns", "/records/deletions", "/reports/", "/admin/staff",
               "/admin/audit", "/records/welfare"]


def _rows(app) -> int:
    with app.app_context():
        return AuditEvent.select().count()


def _from(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


@pytest.fixture
def an_hour_later(monkeypatch):
    """Move the refusals' clock on by an hour (and more each call)."""
    def later(hours: int = 1):
        start = refusals._now()
        monkeypatch.setattr(refusals, "_now", lambda: start + hours * refusals.PERIOD)
    return later


def test_two_hundred_anonymous_requests_add_no_row_in_the_hour_and_one_after_it(app, head,
                                                                               an_hour_later):
    before = _rows(app)
    for n in range(200):  # from four addresses, none of them refused too often
        response = _from(app, f"198.51.100.{n % 4}").get(STAFF_PAGES[n % len(STAFF_PAGES)])
        assert response.status_code == 302 and "/signin" in response.location
    assert _rows(app) == before
    an_hour_later()
    client = app.test_client()
    sign_in_as(client, head)
    html = client.get("/admin/audit").get_data(as_text=True)  # writes the hour that ended
    with app.app_context():
        new = list(AuditEvent.select().where(AuditEvent.id > before).order_by(AuditEvent.id))
    assert [e.action for e in new] == ["access.refused_anonymous", "audit.viewed"]
    summary = json.loads(new[0].detail)
    assert (summary["refused"], summary["limited"], new[0].actor_id) == (200, 0, None)
    shown = [s for s in entries(html) if "not signed in" in s]
    assert len(shown) == 1 and shown[0].startswith(
        "200 requests for staff pages from people who were not signed in were refused between ")
    # Opening the log again, or another refusal, does not write the same hour twice.
    client.get("/admin/audit")
    _from(app, "198.51.100.9").get("/staff/")
    with app.app_context():
        assert AuditEvent.select().where(
            AuditEvent.action == "access.refused_anonymous").count() == 1


def test_the_next_refusal_after_the_hour_writes_it_without_the_log_being_opened(app,
                                                                                an_hour_later):
    for _ in range(3):
        _from(app, "198.51.100.7").get("/staff/")
    an_hour_later()
    before = _rows(app)
    _from(app, "198.51.100.8").get("/records/concerns")
    with app.app_context():
        new = list(AuditEvent.select().where(AuditEvent.id > before))
    assert [(e.action, json.loads(e.detail)["refused"]) for e in new] == [
        ("access.refused_anonymous", 3)]


def test_the_61st_refused_request_in_a_minute_is_told_to_wait(app, an_hour_later):
    assert app.config["KIOSK_REFUSED_PER_MINUTE"] == 60  # the default
    client = _from(app, "203.0.113.5")
    before = _rows(app)
    answers = [client.get("/staff/my-reports").status_code for _ in range(60)]
    assert answers == [302] * 60
    page = client.get("/staff/my-reports")
    assert page.status_code == 429 and page.headers["Retry-After"] == "60"
    text = visible_text(page.get_data(as_text=True))
    assert "Too many requests" in text and "Please wait a minute" in text
    api = client.post("/api/v1/breaches", json={}, headers={
        "X-Kiosk-Client": "outbox", "Idempotency-Key": "6f1c0f38-4d3b-4bd2-9e1a-3c1d2e3f4a5b"})
    assert api.status_code == 429 and api.json["error"] == "too_many"
    # Only refusals count: the public pages still open, and another address is not held up.
    assert client.get("/").status_code == 200
    assert _from(app, "203.0.113.6").get("/staff/my-reports").status_code == 302
    assert _rows(app) == before  # the 429s are not audited one by one either
    an_hour_later()
    _from(app, "203.0.113.7").get("/staff/")
    with app.app_context():
        summary = AuditEvent.get(AuditEvent.action == "access.refused_anonymous")
        head = make_user("head")
        sentence = audit_log.describe(summary, head)
    assert json.loads(summary.detail)["refused"] == 63 and json.loads(summary.detail)["limited"] == 2
    assert sentence.endswith(" 2 of them came too fast and were told to wait.")


def test_a_teachers_refusals_are_still_audited_one_by_one_and_never_told_to_wait(app, teacher):
    client = app.test_client()
    sign_in_as(client, teacher)
    before = _rows(app)
    answers = {client.get("/admin/audit").status_code for _ in range(70)}
    assert answers == {403}
    with app.app_context():
        refused = [(e.action, e.actor_id, e.record_id) for e in
                   AuditEvent.select().where(AuditEvent.id > before)]
    assert refused == [("access.refused", teacher.id, "/admin/audit")] * 70


def test_the_heads_log_never_shows_an_id_of_a_concern_about_the_head(app, head, dsl, chair,
                                                                     teacher, an_hour_later):
    with app.app_context():
        about_head = make_breach(teacher, subject_kind="staff", category="pupil_contact",
                                 concerns_head=True)
        assert Breach.get_by_id(about_head.id).concerns_head
    key = str(about_head.public_id)
    url = f"/records/breaches/{key}"
    anonymous = _from(app, "192.0.2.1")
    assert anonymous.get(url).status_code == 302
    assert anonymous.post(f"{url}/status", data={}).status_code in (302, 400)
    token = {"csrf_token": ""}
    for who, tries in ((dsl, [("GET", url, 404), ("POST", f"{url}/lado", 403)]),
                       (chair, [("GET", f"/staff/deletions/new?breach={key}", 403)])):
        client = app.test_client()
        sign_in_as(client, who)
        token["csrf_token"] = hidden_fields(client.get("/accept").get_data(as_text=True))[
            "csrf_token"]
        for method, path, status in tries:
            response = client.get(path) if method == "GET" else client.post(path, data=token)
            assert response.status_code == status, (who.role, path)
    an_hour_later()
    reader = app.test_client()
    sign_in_as(reader, head)
    html = reader.get("/admin/audit").get_data(as_text=True)
    fragments = {key[i:i + 8] for i in range(0, len(key) - 8)}
    with app.app_context():
        kept = [(e.action, e.record_id, e.detail) for e in audit.visible_events(head)]
    assert [row for row in kept if any(f in " ".join(row) for f in fragments)] == []
    assert not [f for f in fragments if f in html]
    assert any(action == "access.refused" for action, _, _ in kept)  # the DSL's, as a page
    assert any(action == "access.refused_anonymous" for action, _, _ in kept)
    # The refusal the head may read says which kind of page, by its route only.
    with app.app_context():
        dsls = AuditEvent.get((AuditEvent.action == "access.refused") & (AuditEvent.actor == dsl.id)
                              & (AuditEvent.record_kind == "page"))
    assert dsls.record_id == "/records/breaches/…/lado"
    assert f"{dsl.display_name} tried to open a breach, which their role does not allow." in (
        entries(html))


def test_with_redis_away_a_refusal_is_still_a_plain_refusal_and_the_log_opens(tmp_path, closed_port,
                                                                              caplog):
    """Counting must never turn "please sign in" into a server error: with the limits' storage
    unreachable, an anonymous request is refused as usual (uncounted, a warning logged) and the
    head's audit log still opens."""
    from kiosk import create_app
    from kiosk.migrate import migrate_database
    from tests.helpers import make_user, sign_in_as

    app = create_app({"KIOSK_INSTANCE_PATH": str(tmp_path / "instance"), "TESTING": True,
                      "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{closed_port}",
                      "RATELIMIT_STORAGE_OPTIONS": {"wrap_exceptions": True,
                                                    "socket_connect_timeout": 1}})
    with app.app_context():
        migrate_database()
        head = make_user("head")
    client = app.test_client()
    response = client.get("/staff/")
    assert response.status_code == 302 and "/signin" in response.headers["Location"]
    assert client.get("/staff/visitors").status_code == 302
    assert "Refused requests cannot be counted" in caplog.text
    sign_in_as(client, head)
    assert client.get("/admin/audit").status_code == 200
    assert "Refused requests cannot be summed up" in caplog.text
