"""Signing in and out, sessions, the first head account, passwords and rate limits."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from argon2 import PasswordHasher

from kiosk import accounts
from kiosk.accounts import AccountError, create_user, password_problem, setup_token
from kiosk.models import AuditEvent, StaffUser, utcnow

from .helpers import PASSWORD, form_page, make_user, nothing_written, sign_in_as

# A refused sign-in is audited on purpose (kiosk/auth.py); nothing else may be written.
SIGN_IN_FAILED = ("signin.failed",)
RATE_LIMITED = ("signin.rate_limited",)


def sign_in(client, email, password=PASSWORD, next_url=""):
    fields = form_page(client, "/signin")
    return client.post(f"/signin{next_url}", data={**fields, "email": email, "password": password})


def test_a_teacher_signs_in_and_reaches_the_staff_home(app, client, teacher):
    response = sign_in(client, teacher.email.upper())
    assert response.status_code == 303 and response.headers["Location"] == "/staff/"
    assert "Log a breach" in client.get("/staff/").get_data(as_text=True)
    with app.app_context():
        assert AuditEvent.get(AuditEvent.action == "signin").actor_id == teacher.id


def test_a_wrong_password_is_refused_with_a_message_and_audited(app, client, teacher):
    fields = form_page(client, "/signin")
    with nothing_written(app, allow=SIGN_IN_FAILED) as events:
        response = client.post("/signin", data={**fields, "email": teacher.email,
                                                "password": "not the password"})
    assert events == ["signin.failed"]
    assert response.status_code == 422
    assert "do not match an active account" in response.get_data(as_text=True)
    assert client.get("/staff/").status_code == 302
    with app.app_context():
        event = AuditEvent.get(AuditEvent.action == "signin.failed")
        assert teacher.email in event.detail


def test_signing_in_renews_the_session(client, teacher):
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    sign_in(client, teacher.email)
    with client.session_transaction() as session:
        assert "planted" not in session


def test_there_is_no_remember_me_cookie(client, teacher):
    response = sign_in(client, teacher.email)
    assert not any("remember_token" in c for c in response.headers.getlist("Set-Cookie"))


def test_next_only_goes_to_a_path_on_this_site(client, teacher):
    assert sign_in(client, teacher.email, next_url="?next=//evil.example/").headers[
        "Location"] == "/staff/"
    client2 = client.application.test_client()
    assert sign_in(client2, teacher.email, next_url="?next=/staff/my-reports").headers[
        "Location"] == "/staff/my-reports"


@pytest.mark.one_database("where sign-in sends someone next; nothing a database does")
@pytest.mark.parametrize("target", ["/%09/evil.example", "/%0a/evil.example", "/\\evil.example",
                                    "https://evil.example/", "//evil.example"])
def test_sign_in_never_redirects_off_the_site(client, teacher, target):
    fields = form_page(client, "/signin")
    response = client.post(f"/signin?next={target}", data={**fields, "email": teacher.email,
                                                           "password": PASSWORD})
    assert response.headers["Location"] == "/staff/"


def test_signing_out_ends_the_session_on_every_device(app, client, teacher):
    other_device = app.test_client()
    sign_in(client, teacher.email)
    sign_in(other_device, teacher.email)
    fields = form_page(client, "/staff/")
    assert client.post("/signout", data=fields).status_code == 303
    assert client.get("/staff/").status_code == 302
    assert other_device.get("/staff/").status_code == 302


def test_deactivation_takes_effect_at_once(app, client, head, teacher):
    teacher_device = app.test_client()
    sign_in_as(teacher_device, teacher)
    assert teacher_device.get("/staff/").status_code == 200
    sign_in_as(client, head)
    fields = form_page(client, "/admin/staff")
    client.post(f"/admin/staff/{teacher.id}/active", data={**fields, "active": "no"})
    assert teacher_device.get("/staff/").status_code == 302
    with nothing_written(app, allow=SIGN_IN_FAILED):
        assert sign_in(app.test_client(), teacher.email).status_code == 422


def test_an_idle_session_ends(app, client, teacher):
    sign_in_as(client, teacher)
    with client.session_transaction() as session:
        session["last_seen"] = utcnow().timestamp() - 31 * 60
    response = client.get("/staff/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/signin")


class Clock:
    """The server's clock, moved on by the test (the rule under test is left as it is)."""

    def __init__(self) -> None:
        self.now = self.start = utcnow()

    def __call__(self):
        return self.now

    def forward(self, minutes: float) -> None:
        self.now += dt.timedelta(minutes=minutes)


@pytest.fixture
def clock(monkeypatch):
    from kiosk import access

    clock = Clock()
    monkeypatch.setattr(access, "utcnow", clock)
    return clock


def test_a_teacher_who_keeps_working_stays_signed_in(app, client, teacher, clock):
    """Idle means untouched for 30 minutes, not 30 minutes since signing in."""
    response = sign_in(client, teacher.email)
    assert response.status_code == 303
    for _ in range(2):  # active at 20 and at 40 minutes
        clock.forward(20)
        assert client.get("/staff/").status_code == 200
    clock.forward(29)
    assert client.get("/staff/").status_code == 200
    clock.forward(31)
    response = client.get("/staff/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/signin")


def test_a_session_ends_after_the_absolute_limit_however_busy(app, client, teacher):
    sign_in_as(client, teacher)
    with client.session_transaction() as session:
        session["signed_in_at"] = utcnow().timestamp() - 12 * 3600 - 1
    assert client.get("/staff/").status_code == 302


def test_the_time_outs_are_settings(tmp_path):
    from kiosk import create_app

    app = create_app({"KIOSK_INSTANCE_PATH": str(tmp_path), "KIOSK_STAFF_IDLE_MINUTES": 5})
    assert app.config["KIOSK_STAFF_IDLE_MINUTES"] == 5


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


def test_failed_sign_ins_are_limited_per_account(app, client, teacher):
    for _ in range(10):
        assert sign_in(client, teacher.email, "wrong password!").status_code == 422
    fields = form_page(client, "/signin")
    with nothing_written(app, allow=RATE_LIMITED):  # the right password, but no sign-in
        response = client.post("/signin", data={**fields, "email": teacher.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    # Another account from the same address is not locked out by this one.
    with app.app_context():
        other = make_user("staff")
    assert sign_in(client, other.email).status_code == 303


def test_failed_sign_ins_are_limited_per_address(app, client):
    for n in range(60):
        sign_in(client, f"nobody{n}@example.org", "wrong password!")
    fields = form_page(client, "/signin")
    with nothing_written(app, allow=RATE_LIMITED) as events:
        response = client.post("/signin", data={**fields, "email": "someone@example.org",
                                                "password": "wrong password!"})
    assert response.status_code == 429 and events == ["signin.rate_limited"]


def test_rate_limited_sign_ins_are_audited_and_anonymous_refusals_counted(app, client, teacher):
    for _ in range(11):
        fields = form_page(client, "/signin")
        client.post("/signin", data={**fields, "email": teacher.email, "password": "wrong one!"})
    client.get("/staff/my-reports")
    with app.app_context():
        assert AuditEvent.select().where(AuditEvent.action == "signin.rate_limited").count() == 1
        # Not one by one: a summary an hour (tests/test_refusals.py).
        assert not AuditEvent.select().where(AuditEvent.action == "access.refused").exists()


@pytest.mark.parametrize(("password", "problem"), [
    ("short", "at least 8 characters"),
    ("password1", "too common"),
    ("iloveyou", "too common"),
    ("x" * 257, "at most 256"),
])
def test_weak_passwords_are_refused(password, problem):
    assert problem in password_problem(password)


def test_a_long_password_of_plain_words_is_fine():
    assert password_problem("marmalade tuesday lighthouse") is None


def test_passwords_are_hashed_with_argon2id_and_rehashed_when_parameters_change(app, monkeypatch):
    with app.app_context():
        user = create_user("new@westacre.sch.uk", "New Person", "staff", PASSWORD)
        assert user.password_hash.startswith("$argon2id$")
        stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
        monkeypatch.setattr(accounts, "hasher", stronger)
        assert accounts.authenticate("new@westacre.sch.uk", PASSWORD).id == user.id
        rehashed = StaffUser.get_by_id(user.id).password_hash
        assert rehashed != user.password_hash and "t=2" in rehashed


def test_an_email_can_have_only_one_account(app):
    with app.app_context():
        create_user("dup@westacre.sch.uk", "One", "staff", PASSWORD)
        with pytest.raises(AccountError, match="already an account"):
            create_user("DUP@westacre.sch.uk", "Two", "staff", PASSWORD)


def test_the_setup_page_creates_the_first_head_account_with_the_console_token(app, client):
    token = setup_token(app.config["SECRET_KEY"])
    assert client.get("/setup").status_code == 403
    assert client.get("/setup?token=wrong").status_code == 403
    fields = form_page(client, f"/setup?token={token}")
    response = client.post("/setup", data={**fields, "display_name": "A Edmunds",
                                           "email": "head@westacre.sch.uk",
                                           "password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 303
    with app.app_context():
        assert StaffUser.get().role == "head"
    assert client.get(f"/setup?token={token}").status_code == 404


def test_the_setup_page_refuses_a_forged_post(app, client):
    token = setup_token(app.config["SECRET_KEY"])
    fields = form_page(client, f"/setup?token={token}")
    fields["token"] = "guessed"
    with nothing_written(app):
        response = client.post("/setup", data={**fields, "display_name": "Intruder",
                                               "email": "x@example.org", "password": PASSWORD,
                                               "confirm": PASSWORD})
    assert response.status_code == 403
    with app.app_context():
        assert StaffUser.select().count() == 0


def test_the_setup_page_shows_each_problem_beside_its_field(client, app):
    token = setup_token(app.config["SECRET_KEY"])
    fields = form_page(client, f"/setup?token={token}")
    with nothing_written(app):  # no account, and still no account: the page stays open
        response = client.post("/setup", data={**fields, "display_name": "A", "email": "not-an-email",
                                               "password": "password1", "confirm": "different1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="display_name-error"' in html and 'id="email-error"' in html
    assert "too common" in html and "not the same" in html


def test_create_user_command_makes_a_head(app, runner):
    result = runner.invoke(args=["create-user", "--role", "head", "--email", "h@westacre.sch.uk",
                                 "--name", "Head Teacher", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert StaffUser.get(StaffUser.email == "h@westacre.sch.uk").role == "head"


def test_create_user_command_refuses_a_weak_password(app, runner):
    with nothing_written(app):
        result = runner.invoke(args=["create-user", "--role", "head", "--email", "h@westacre.sch.uk",
                                     "--name", "Head", "--password", "password"])
    assert result.exit_code != 0 and "too common" in result.output


def test_the_head_adds_an_account_who_must_choose_a_password(app, client, head):
    sign_in_as(client, head)
    fields = form_page(client, "/admin/staff")
    response = client.post("/admin/staff", data={**fields, "display_name": "Tara Teacher",
                                                 "email": "tara@westacre.sch.uk", "role": "staff"})
    html = response.get_data(as_text=True)
    password = re.search(r"<code>([^<]+)</code>", html).group(1)
    newcomer = app.test_client()
    assert sign_in(newcomer, "tara@westacre.sch.uk", password).headers["Location"] == "/account/password"
    assert newcomer.get("/staff/").headers["Location"] == "/account/password"
    fields = form_page(newcomer, "/account/password")
    response = newcomer.post("/account/password", data={**fields, "password": "plum jam on toast",
                                                        "confirm": "plum jam on toast"})
    assert response.status_code == 303
    assert newcomer.get("/staff/").status_code == 200


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


def test_a_reset_password_stops_the_old_one_and_its_sessions(app, client, head, teacher):
    teacher_device = app.test_client()
    sign_in_as(teacher_device, teacher)
    sign_in_as(client, head)
    fields = form_page(client, "/admin/staff")
    html = client.post(f"/admin/staff/{teacher.id}/reset", data=fields).get_data(as_text=True)
    temporary = re.search(r"<code>([^<]+)</code>", html).group(1)
    assert teacher_device.get("/staff/").status_code == 302
    with nothing_written(app, allow=SIGN_IN_FAILED):
        assert sign_in(app.test_client(), teacher.email, PASSWORD).status_code == 422
    assert sign_in(app.test_client(), teacher.email, temporary).status_code == 303


def test_the_idle_limit_is_thirty_minutes_to_the_second(app, client, teacher, clock):
    sign_in(client, teacher.email)
    clock.forward(30 - 1 / 60)
    assert client.get("/staff/").status_code == 200
    clock.now += dt.timedelta(minutes=30)  # exactly thirty minutes untouched: still signed in
    assert client.get("/staff/").status_code == 200
    clock.now += dt.timedelta(minutes=30, seconds=1)
    assert client.get("/staff/").status_code == 302


def test_the_absolute_limit_is_twelve_hours_to_the_second(app, client, teacher, clock):
    sign_in(client, teacher.email)
    for _ in range(24):  # busy all day, every 29 minutes 59 seconds
        clock.forward(30 - 1 / 60)
        if clock.now - clock.start >= dt.timedelta(hours=12):
            break
        assert client.get("/staff/").status_code == 200
    clock.now = clock.start + dt.timedelta(hours=12, seconds=-1)
    assert client.get("/staff/").status_code == 200
    clock.now = clock.start + dt.timedelta(hours=12)  # twelve hours exactly: still signed in
    assert client.get("/staff/").status_code == 200
    clock.now += dt.timedelta(seconds=1)
    assert client.get("/staff/").status_code == 302


def test_fetching_the_stylesheet_is_not_using_the_app(app, client, teacher, clock):
    """A page left open keeps loading its files; that must not keep a shared iPad signed in."""
    sign_in(client, teacher.email)
    clock.forward(20)
    with client.get("/static/css/kiosk.css") as response:
        assert response.status_code == 200
    clock.forward(11)
    assert client.get("/staff/").status_code == 302


@pytest.mark.parametrize("missing", ["signed_in_at", "last_seen"])
def test_a_session_without_its_times_is_not_signed_in(app, client, teacher, missing):
    sign_in_as(client, teacher)
    with client.session_transaction() as session:
        del session[missing]
    assert client.get("/staff/").status_code == 302


def test_the_outbox_is_told_in_json_that_the_session_ended(app, client, teacher, clock):
    """The offline outbox keeps a record waiting on exactly this answer (static/js/outbox.js)."""
    sign_in(client, teacher.email)
    clock.forward(31)
    with nothing_written(app):
        response = client.post("/api/v1/breaches", json={"staff_id": str(teacher.id)}, headers={
            "X-Kiosk-Client": "outbox", "Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 401
    assert response.get_json() == {"error": "sign_in_required",
                                   "message": "Your session has ended. Please sign in again."}


@pytest.mark.parametrize(("path", "then"), [("/records/deletions", "/records/deletions"),
                                            ("/records/deletions?mine=1", "/records/deletions?mine=1"),
                                            ("/records/deletions?name=MAX", "/records/deletions?name=MAX")])
def test_an_ended_session_says_so_and_returns_to_the_page_after_signing_in(app, client, teacher,
                                                                           clock, path, then):
    sign_in(client, teacher.email)
    clock.forward(31)
    response = client.get(path)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/signin?") and parse_qs(urlsplit(location).query) == {"next": [then]}
    page = client.get(location).get_data(as_text=True)
    flash = re.search(r'<div class="flash" role="status">\s*<p>(.*?)</p>', page)
    assert flash and flash.group(1) == ("You were signed out because the session ended. Please "
                                        "sign in again.")
    response = client.post(location, data={**form_page(client, location), "email": teacher.email,
                                           "password": PASSWORD})
    assert response.status_code == 303 and response.headers["Location"] == then
