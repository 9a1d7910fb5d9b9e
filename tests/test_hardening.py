"""Holes found in review, each closed and kept closed."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.models import Acceptance, AuditEvent, Breach, StaffUser, utcnow

from .helpers import (
    ACCESS_REFUSED,
    PASSWORD,
    form_page,
    make_acceptance,
    make_breach,
    nothing_written,
    sign_in_as,
    typed,
)


@pytest.mark.parametrize("target", ["/%09/evil.example", "/%0a/evil.example", "/\\evil.example",
                                    "https://evil.example/", "//evil.example"])
def test_sign_in_never_redirects_off_the_site(client, teacher, target):
    fields = form_page(client, "/signin")
    response = client.post(f"/signin?next={target}", data={**fields, "email": teacher.email,
                                                           "password": PASSWORD})
    assert response.headers["Location"] == "/staff/"


def test_the_head_cannot_create_reset_or_deactivate_a_chair(app, client, head, chair):
    sign_in_as(client, head)
    fields = form_page(client, "/admin/staff")
    with nothing_written(app):
        response = client.post("/admin/staff", data={**fields, "display_name": "Fake Chair",
                                                     "email": "fake@westacre.sch.uk", "role": "chair"})
    assert response.status_code == 422
    # The chair's password, sessions and active flag as they were; the attempts are audited.
    with nothing_written(app, allow=ACCESS_REFUSED) as events:
        assert client.post(f"/admin/staff/{chair.id}/reset", data=fields).status_code == 403
        assert client.post(f"/admin/staff/{chair.id}/active",
                           data={**fields, "active": "no"}).status_code == 403
    assert events == ["access.refused", "access.refused"]
    with app.app_context():
        assert StaffUser.get_by_id(chair.id).active
        assert not StaffUser.select().where(StaffUser.email == "fake@westacre.sch.uk").exists()


def test_the_head_is_warned_when_no_chair_can_receive_concerns_about_the_head(client, head):
    sign_in_as(client, head)
    assert "There is no active chair of governors account" in client.get(
        "/admin/staff").get_data(as_text=True)


def test_the_heads_audit_log_does_not_reveal_a_concern_about_the_head(app, client, head, chair,
                                                                      teacher):
    with app.app_context():
        about_head = make_breach(teacher, subject_kind="staff", category="pupil_contact",
                                 concerns_head=True)
        ordinary = make_breach(teacher)
    sign_in_as(client, chair)
    client.get(f"/records/breaches/{about_head.public_id}")
    sign_in_as(client, head)
    html = client.get("/admin/audit").get_data(as_text=True)
    assert str(about_head.public_id) not in html and chair.email not in html
    assert str(ordinary.public_id) in html


def test_ticking_about_the_head_on_an_ordinary_breach_does_not_hide_it_from_the_dsl(app, client,
                                                                                    teacher, dsl):
    sign_in_as(client, teacher)
    fields = form_page(client, "/staff/breaches/new?who=visitor&category=photographing")
    client.post("/staff/breaches", data={**fields, "concerns_head": "y"})
    with app.app_context():
        breach = Breach.get()
        assert not breach.restricted and not breach.concerns_head
    sign_in_as(client, dsl)
    assert client.get(f"/records/breaches/{breach.public_id}").status_code == 200


ASKED = utcnow() - dt.timedelta(days=1)


@pytest.mark.parametrize(("changes", "message"), [
    # Out of range on purpose: the years the field accepts are the rule under test.
    ({"due_by": "9999-12-31T23:30"}, "Please give a date between 2000 and 2100."),
    ({"asked_at": "0001-01-01T00:00"}, "Please give a date between 2000 and 2100."),
    ({"asked_at": typed(ASKED), "due_by": typed(ASKED + dt.timedelta(days=59))},
     "The deadline must be within 30 days of asking."),
])
def test_deletion_deadlines_are_bounded(app, client, teacher, dsl, changes, message):
    sign_in_as(client, teacher)
    fields = form_page(client, "/staff/deletions/new")
    with nothing_written(app):
        response = client.post("/staff/deletions/new", data={
            **fields, "material": "photo", "material_location": "device", "person_name": "Sam",
            **changes})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    sign_in_as(client, dsl)
    assert client.get("/staff/").status_code == 200


def test_changing_your_password_needs_the_current_one(app, client, teacher):
    sign_in_as(client, teacher)
    fields = form_page(client, "/account/password")
    new = {"password": "plum jam on toast", "confirm": "plum jam on toast"}
    with nothing_written(app):  # the password, and every session, as they were
        response = client.post("/account/password", data={**fields, **new,
                                                          "current_password": "a wrong guess"})
    assert response.status_code == 422
    assert "That is not your current password." in response.get_data(as_text=True)
    response = client.post("/account/password", data={**fields, **new,
                                                      "current_password": PASSWORD})
    assert response.status_code == 303


@pytest.mark.parametrize("version", ["99999999999999999999", "²", "-1", "1.0"])
def test_a_strange_policy_version_is_refused_not_a_500(app, client, version):
    fields = form_page(client, "/accept")
    with nothing_written(app):
        response = client.post("/accept", data={**fields, "full_name": "Ann", "role": "visitor",
                                                "accept": "y", "policy_version": version})
    assert response.status_code == 422
    with app.app_context():
        assert Acceptance.select().count() == 0


def test_huge_numbers_in_addresses_are_not_a_500(client, head):
    sign_in_as(client, head)
    assert client.get("/admin/audit?page=1e20").status_code == 200
    assert client.get("/admin/audit?page=99999999999999999999").status_code == 200
    assert client.get("/admin/categories/99999999999999999999").status_code == 404


@pytest.mark.parametrize(("path", "data"), [
    ("/signin", {"email": "a\x00b@example.org", "password": "x"}),
    ("/accept", {"full_name": "Ann\x00"}),
])
def test_a_nul_character_is_a_400(app, client, path, data):
    fields = form_page(client, path)
    with nothing_written(app):
        assert client.post(path, data={**fields, **data}).status_code == 400
    assert client.get("/reports/chronology?name=a%00b").status_code == 400


def test_the_reporter_does_not_see_the_leads_notes(app, client, teacher, dsl):
    with app.app_context():
        breach = make_breach(teacher)
    sign_in_as(client, dsl)
    fields = form_page(client, f"/records/breaches/{breach.public_id}")
    client.post(f"/records/breaches/{breach.public_id}/notes",
                data={**fields, "kind": "note", "text": "Known to children's services."})
    client.post(f"/records/breaches/{breach.public_id}/status",
                data={**fields, "status": "closed", "note": "Referred to early help."})
    sign_in_as(client, teacher)
    html = client.get(f"/records/breaches/{breach.public_id}").get_data(as_text=True)
    assert "status open → closed" in html
    assert "children's services" not in html and "early help" not in html


def test_rate_limited_sign_ins_and_anonymous_refusals_are_audited(app, client, teacher):
    for _ in range(11):
        fields = form_page(client, "/signin")
        client.post("/signin", data={**fields, "email": teacher.email, "password": "wrong one!"})
    client.get("/staff/my-reports")
    with app.app_context():
        assert AuditEvent.select().where(AuditEvent.action == "signin.rate_limited").count() == 1
        refused = AuditEvent.get(AuditEvent.action == "access.refused")
        assert refused.record_id == "/staff/my-reports" and refused.actor_id is None


def test_todays_visitors_are_counted_from_midnight_in_the_schools_time_zone(app, client, teacher):
    app.config["KIOSK_TIMEZONE"] = "Pacific/Kiritimati"  # UTC+14: far from UTC's midnight
    from zoneinfo import ZoneInfo
    zone = ZoneInfo("Pacific/Kiritimati")
    midnight = dt.datetime.now(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    as_utc = midnight.astimezone(dt.UTC).replace(tzinfo=None)
    with app.app_context():
        make_acceptance(full_name="After Midnight", accepted_at=as_utc + dt.timedelta(minutes=1))
        make_acceptance(full_name="Before Midnight", accepted_at=as_utc - dt.timedelta(minutes=1))
    sign_in_as(client, teacher)
    html = client.get("/staff/visitors").get_data(as_text=True)
    assert "After Midnight" in html and "Before Midnight" not in html


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


def test_a_custom_idle_limit_signs_out_after_that_long_and_not_before(app, client, teacher):
    app.config["KIOSK_STAFF_IDLE_MINUTES"] = 5
    sign_in_as(client, teacher)
    with client.session_transaction() as session:
        session["last_seen"] = utcnow().timestamp() - 4 * 60
    assert client.get("/staff/").status_code == 200
    with client.session_transaction() as session:
        session["last_seen"] = utcnow().timestamp() - 6 * 60
    assert client.get("/staff/").status_code == 302


def test_a_custom_absolute_limit_signs_out(app, client, teacher):
    app.config["KIOSK_STAFF_SESSION_HOURS"] = 2
    sign_in_as(client, teacher)
    with client.session_transaction() as session:
        session["signed_in_at"] = utcnow().timestamp() - 2 * 3600 - 5
    assert client.get("/staff/").status_code == 302
