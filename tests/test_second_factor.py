"""Two-step sign-in for the DSL, the head and the chair (issue 13, finding 9): set up at the
first sign-in, a code from the app (or a recovery code) every time after, reset by the head or
the server's command, limited and audited. Driven through the real pages, not `sign_in_as`."""

from __future__ import annotations

import re
import threading
import time
import uuid

import pyotp
import pytest

from kiosk import second_factor
from kiosk.models import AuditEvent, RecoveryCode, StaffUser, utcnow

from .helpers import (
    ACCESS_REFUSED,
    PASSWORD,
    enter_code,
    field_error,
    form_page,
    hidden_fields,
    make_user,
    nothing_written,
    recovery_codes,
    set_up_second_step,
    setup_key,
    sign_in_as,
    totp_code,
    totp_secret_for,
)


def password(client, user, next_url: str = ""):
    """The first step: the password on the sign-in page."""
    fields = form_page(client, "/signin")
    return client.post("/signin" + (f"?next={next_url}" if next_url else ""),
                       data={**fields, "email": user.email, "password": PASSWORD})


def signed_in(client) -> bool:
    response = client.get("/staff/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(AuditEvent.select().where(AuditEvent.action == action).order_by(AuditEvent.id))


def wrong_code(email: str) -> str:
    """Six digits the account's app does not show now, nor 30 seconds either side."""
    now = time.time()
    right = {totp_code(email, now + 30 * offset) for offset in (-1, 0, 1)}
    return next(code for code in ("123456", "654321", "111111", "222222") if code not in right)


def no_factor(role: str = "head", **kw) -> StaffUser:
    return make_user(role, totp_secret="", **kw)


# Nobody half-way is signed in ---------------------------------------------------------------------

@pytest.mark.parametrize("role", ["dsl", "head", "chair"])
def test_after_the_password_alone_no_staff_page_opens(app, client, role):
    with app.app_context():
        user = no_factor(role)
    response = password(client, user)
    assert response.status_code == 303 and response.headers["Location"] == "/signin/code"
    for page in ("/staff/", "/admin/staff", "/records/concerns", "/admin/chair", "/reports/"):
        refused = client.get(page)
        assert refused.status_code == 302 and refused.headers["Location"].startswith("/signin")
    api = client.post("/api/v1/breaches", json={}, headers={"X-Kiosk-Client": "outbox",
                                                            "Idempotency-Key": str(uuid.uuid4())})
    assert api.status_code == 401
    assert client.get("/signin/code").headers["Location"] == "/signin/set-up"
    assert events(app, "signin") == []


def test_with_it_set_up_the_password_alone_opens_nothing_either(app, client, dsl):
    assert password(client, dsl).headers["Location"] == "/signin/code"
    assert not signed_in(client)
    # Saying the recovery codes were kept is no way round the code.
    kept = client.post("/signin/recovery-codes",
                       data=hidden_fields(client.get("/signin/code").get_data(as_text=True)))
    assert kept.headers["Location"] == "/signin/code" and not signed_in(client)


def test_a_teacher_is_not_asked_for_a_code(app, client, teacher):
    response = password(client, teacher)
    assert response.headers["Location"] == "/staff/" and signed_in(client)


def test_the_half_way_state_lasts_five_minutes(app, client, dsl):
    password(client, dsl)
    fields = form_page(client, "/signin/code")
    with client.session_transaction() as session:
        session[second_factor.PENDING] = {**session[second_factor.PENDING],
                                          "until": time.time() - 1}
    response = client.post("/signin/code", data={**fields, "code": totp_code(dsl.email)})
    assert response.status_code == 303 and response.headers["Location"] == "/signin"
    html = client.get("/signin").get_data(as_text=True)
    assert "within 5 minutes of the password" in html
    assert not signed_in(client)


def test_the_half_way_state_is_bound_to_the_account_as_it_was(app, client, dsl):
    password(client, dsl)
    with app.app_context():
        second_factor.reset(StaffUser.get_by_id(dsl.id), by=None)  # its version moves on
    assert client.get("/signin/code").headers["Location"] == "/signin"


# Setting it up ------------------------------------------------------------------------------------

def test_the_set_up_page_shows_a_qr_code_and_the_key_in_fours(app, client):
    with app.app_context():
        head = no_factor("head", email="ann@westacre.sch.uk")
    password(client, head)
    html = client.get("/signin/set-up").get_data(as_text=True)
    assert re.search(r'<img class="qr qr--setup" src="data:image/svg\+xml;base64,[^"]+" ', html)
    key = setup_key(html)
    assert re.search(r"<code>([A-Z2-7]{4} ){7}[A-Z2-7]{4}</code>", html)
    with app.app_context():
        stored = StaffUser.get_by_id(head.id)
        assert stored.totp_secret == key and stored.totp_confirmed_at is None
        address = second_factor.setup_address(stored, "Westacre Infant School")
    assert address == (f"otpauth://totp/Westacre%20Infant%20School:ann%40westacre.sch.uk"
                       f"?secret={key}&issuer=Westacre%20Infant%20School")
    # A reload shows the same key (the app may have scanned it already).
    assert setup_key(client.get("/signin/set-up").get_data(as_text=True)) == key


@pytest.mark.parametrize(("typed", "message"), [
    ("", "Enter the 6-digit code the app shows."),
    ("wrong", second_factor.WRONG_CODE),
    ("12345", second_factor.WRONG_CODE),
])
def test_a_wrong_first_code_is_refused_beside_the_field(app, client, typed, message):
    with app.app_context():
        head = no_factor("head")
    password(client, head)
    fields = form_page(client, "/signin/set-up")
    response = client.post("/signin/set-up", data={**fields, "code": typed or ""})
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "code") == message
    assert recovery_codes(response.get_data(as_text=True)) == []
    with app.app_context():
        assert StaffUser.get_by_id(head.id).totp_confirmed_at is None
        assert RecoveryCode.select().count() == 0
    assert not signed_in(client)


def test_a_wrong_six_digit_first_code_is_refused_and_audited(app, client):
    with app.app_context():
        head = no_factor("head")
    password(client, head)
    html = client.get("/signin/set-up").get_data(as_text=True)
    secret = setup_key(html)
    right = {pyotp.TOTP(secret).at(time.time() + 30 * o) for o in (-1, 0, 1)}
    wrong = next(c for c in ("123456", "654321", "111111") if c not in right)
    response = client.post("/signin/set-up", data={**hidden_fields(html), "code": wrong})
    assert field_error(response.get_data(as_text=True), "code") == second_factor.WRONG_CODE
    [failed] = events(app, "second_factor.failed")
    assert failed.record_id == str(head.id) and failed.actor_id is None
    assert '"stage": "setup"' in failed.detail


def test_the_right_first_code_sets_it_up_and_shows_ten_codes_once(app, client):
    with app.app_context():
        head = no_factor("head")
    password(client, head, next_url="/admin/staff")
    html = client.get("/signin/set-up").get_data(as_text=True)
    response = client.post("/signin/set-up", data={
        **hidden_fields(html), "code": pyotp.TOTP(setup_key(html)).now()})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"  # Back never shows them again
    codes = recovery_codes(response.get_data(as_text=True))
    assert len(codes) == len(set(codes)) == 10
    with app.app_context():
        stored = StaffUser.get_by_id(head.id)
        assert stored.totp_confirmed_at is not None and stored.totp_last_step > 0
        hashes = [row.code_hash for row in RecoveryCode.unused(stored)]
    assert len(hashes) == 10 and all(h.startswith("$argon2id$") for h in hashes)
    assert not any(code.replace("-", "") in h for code in codes for h in hashes)
    assert [e.actor_id for e in events(app, "second_factor.set_up")] == [head.id]
    with client.session_transaction() as session:  # nor kept in the session's cookie
        assert not any(code in repr(dict(session)) for code in codes)
    # Not signed in until they say the codes are kept; a reload never shows them again.
    assert not signed_in(client)
    again = client.get("/signin/set-up").get_data(as_text=True)
    assert recovery_codes(again) == [] and "shown once, and cannot be shown again" in again
    kept = client.post("/signin/recovery-codes", data=hidden_fields(again))
    assert kept.status_code == 303 and kept.headers["Location"] == "/admin/staff"
    assert signed_in(client)
    assert [e.actor_id for e in events(app, "signin")] == [head.id]


def test_the_first_code_cannot_be_given_again_to_sign_in(app, client):
    with app.app_context():
        head = no_factor("head")
    password(client, head)
    html = client.get("/signin/set-up").get_data(as_text=True)
    first = pyotp.TOTP(setup_key(html)).now()
    client.post("/signin/set-up", data={**hidden_fields(html), "code": first})
    other = client.application.test_client()
    password(other, head)
    response = enter_code(other, head, first)
    assert field_error(response.get_data(as_text=True), "code") == second_factor.USED_CODE


# Every later sign-in ------------------------------------------------------------------------------

def test_the_code_step_refuses_a_wrong_code_then_a_used_one(app, client, dsl):
    password(client, dsl, next_url="/records/welfare")
    wrong = enter_code(client, dsl, wrong_code(dsl.email))
    assert wrong.status_code == 422
    assert field_error(wrong.get_data(as_text=True), "code") == second_factor.WRONG_CODE
    assert not signed_in(client)
    code = totp_code(dsl.email)
    right = enter_code(client, dsl, code)
    assert right.status_code == 303 and right.headers["Location"] == "/records/welfare"
    assert signed_in(client)
    # The same code again, from another iPad: refused, within its window or after it.
    other = app.test_client()
    password(other, dsl)
    reused = enter_code(other, dsl, code)
    assert reused.status_code == 422
    assert field_error(reused.get_data(as_text=True), "code") == second_factor.USED_CODE
    assert not signed_in(other)
    # The app's next code is taken (a phone's clock may be that far ahead).
    assert enter_code(other, dsl, totp_code(dsl.email, time.time() + 30)).status_code == 303
    assert [('"reason": "wrong"' in e.detail, '"reason": "reused"' in e.detail)
            for e in events(app, "second_factor.failed")] == [(True, False), (False, True)]


def test_a_recovery_code_lets_someone_in_once_and_says_how_many_are_left(app):
    with app.app_context():
        head = no_factor("head")
    first = app.test_client()
    password(first, head)
    codes = set_up_second_step(first)
    left_shown = []
    for number, code in enumerate(codes[:7], start=1):
        client = app.test_client()
        password(client, head)
        response = enter_code(client, head, code.upper().replace("-", " "))  # as typed
        assert response.status_code == 303, number
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        left = 10 - number
        assert f"You have {left} recovery codes left." in page
        left_shown.append((left, "Ask your IT support to reset your two-step sign-in" in page))
    assert left_shown == [(9, False), (8, False), (7, False), (6, False), (5, False),
                          (4, False), (3, True)]
    spent = app.test_client()
    password(spent, head)
    again = enter_code(spent, head, codes[0])
    assert again.status_code == 422
    assert field_error(again.get_data(as_text=True), "code") == second_factor.WRONG_RECOVERY
    assert not signed_in(spent)
    with app.app_context():
        assert RecoveryCode.unused(StaffUser.get_by_id(head.id)).count() == 3
    assert [e.detail for e in events(app, "second_factor.recovery_used")][-1] == '{"left": 3}'


def test_a_dsl_running_low_is_told_to_ask_the_headteacher(app, client):
    with app.app_context():
        dsl = no_factor("dsl")
    password(client, dsl)
    codes = set_up_second_step(client)
    with app.app_context():  # seven spent already
        RecoveryCode.update(used_at=StaffUser.get_by_id(dsl.id).created_at).where(
            RecoveryCode.id.in_([r.id for r in RecoveryCode.select().limit(7)])).execute()
    for code in codes:
        other = app.test_client()
        password(other, dsl)
        response = enter_code(other, dsl, code)
        if response.status_code == 303:
            page = other.get(response.headers["Location"]).get_data(as_text=True)
            assert "You have 2 recovery codes left." in page
            assert "Ask the headteacher to reset your two-step sign-in soon" in page
            return
    raise AssertionError("no unspent recovery code let the DSL in")


def test_wrong_codes_are_limited_per_account_like_passwords(app, client, dsl):
    password(client, dsl)
    for _ in range(10):
        assert enter_code(client, dsl, wrong_code(dsl.email)).status_code == 422
    fields = form_page(client, "/signin/code")
    with nothing_written(app, allow=("signin.rate_limited",)) as written:
        response = client.post("/signin/code", data={**fields, "code": totp_code(dsl.email)})
    assert response.status_code == 429 and written == ["signin.rate_limited"]
    words = " ".join(response.get_data(as_text=True).split())
    assert ("if your phone is lost, ask the headteacher to reset your two-step sign-in" in words
            and "reset your password" not in words)  # the password was right
    assert not signed_in(client)
    # Counted for the account, not the session: a new password does not start a new count.
    again = app.test_client()
    password(again, dsl)
    assert enter_code(again, dsl).status_code == 429
    # Another account is not held up by this one.
    with app.app_context():
        other = make_user("dsl")
    fresh = app.test_client()
    password(fresh, other)
    assert enter_code(fresh, other).status_code == 303


def test_forty_wrong_codes_at_once_check_ten_codes(app, dsl, monkeypatch):
    """Counted before the code is checked, atomically, as passwords are: forty wrong codes sent
    at once from forty half-signed-in browsers check ten, and the rest are refused unchecked."""
    browsers = [app.test_client() for _ in range(40)]
    for browser in browsers:
        password(browser, dsl)
    forms = [form_page(browser, "/signin/code") for browser in browsers]
    checks, statuses = [], []
    check = second_factor.check

    def counting_check(user, code):
        checks.append(code)
        time.sleep(0.01)  # a slow check widens the window the old counting left open
        return check(user, code)

    monkeypatch.setattr(second_factor, "check", counting_check)
    start = threading.Barrier(40)

    def attempt(browser, fields):
        start.wait()
        statuses.append(browser.post("/signin/code", data={**fields, "code": wrong_code(dsl.email)})
                        .status_code)

    threads = [threading.Thread(target=attempt, args=pair)
               for pair in zip(browsers, forms, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(checks) == 10
    assert sorted(statuses) == [422] * 10 + [429] * 30


# Resetting ----------------------------------------------------------------------------------------

def test_the_head_resets_a_dsls_second_step_after_a_page_that_asks(app, client, head, dsl,
                                                                    teacher, chair):
    sign_in_as(client, head)
    staff_page = "".join(client.get(f"/admin/staff/{user.id}").get_data(as_text=True)
                         for user in (dsl, teacher, head))
    assert staff_page.count("Reset two-step sign-in") == 1  # the DSL's: not the teacher's,
    assert f"/admin/staff/{dsl.id}/second-factor" in staff_page  # or the head's own
    assert client.get(f"/admin/staff/{chair.id}").status_code == 403  # nor the chair's
    asking = client.get(f"/admin/staff/{dsl.id}/second-factor").get_data(as_text=True)
    assert f"Reset two-step sign-in for {dsl.display_name}?" in asking
    dsl_client = app.test_client()
    sign_in_as(dsl_client, dsl)
    response = client.post(f"/admin/staff/{dsl.id}/second-factor",
                           data=hidden_fields(asking))
    assert response.status_code == 303 and response.headers["Location"] == "/admin/staff"
    with app.app_context():
        stored = StaffUser.get_by_id(dsl.id)
        assert (stored.totp_secret, stored.totp_confirmed_at, stored.totp_last_step) == ("", None, 0)
        assert RecoveryCode.select().where(RecoveryCode.user == stored).count() == 0
    assert not signed_in(dsl_client)  # signed out everywhere
    [reset] = events(app, "second_factor.reset")
    assert reset.actor_id == head.id and reset.record_id == str(dsl.id)
    # At the next sign-in, the DSL sets it up again.
    assert password(dsl_client, dsl).status_code == 303
    assert dsl_client.get("/signin/code").headers["Location"] == "/signin/set-up"


@pytest.mark.parametrize(("who", "whose", "status"), [
    ("teacher", "dsl", 403), ("dsl", "head", 403), ("chair", "dsl", 403),
    ("head", "chair", 403), ("head", "head", 404), ("head", "teacher", 404),
])
def test_no_one_else_resets_a_second_step(app, client, head, dsl, teacher, chair, who, whose,
                                          status):
    people = {"head": head, "dsl": dsl, "teacher": teacher, "chair": chair}
    sign_in_as(client, people[who])
    token = hidden_fields(client.get("/accept").get_data(as_text=True))["csrf_token"]
    with nothing_written(app, allow=ACCESS_REFUSED):
        response = client.post(f"/admin/staff/{people[whose].id}/second-factor",
                               data={"csrf_token": token})
    assert response.status_code == status
    with app.app_context():
        assert StaffUser.get_by_id(people[whose].id).totp_secret == totp_secret_for(
            people[whose].email) or whose == "teacher"


def test_the_server_command_resets_the_chairs(app, runner, chair):
    result = runner.invoke(args=["reset-second-factor", chair.email.upper()])
    assert result.exit_code == 0, result.output
    assert f"Reset two-step sign-in for {chair.email}" in result.output
    with app.app_context():
        assert not second_factor.is_set_up(StaffUser.get_by_id(chair.id))
    [reset] = events(app, "second_factor.reset")
    assert reset.actor_id is None and '"by_command": true' in reset.detail
    client = app.test_client()
    password(client, chair)
    assert client.get("/signin/code").headers["Location"] == "/signin/set-up"


def test_the_server_command_refuses_an_unknown_email_and_a_teacher(app, runner, teacher):
    unknown = runner.invoke(args=["reset-second-factor", "nobody@example.org"])
    assert unknown.exit_code != 0 and "There is no account" in unknown.output
    plain = runner.invoke(args=["reset-second-factor", teacher.email])
    assert plain.exit_code != 0 and "without a second step" in plain.output
    assert events(app, "second_factor.reset") == []


# Migration 010 ------------------------------------------------------------------------------------

def test_migration_010_signs_out_the_roles_it_asks_for_a_second_step(new_database_url):
    from peewee import Table

    from kiosk.migrate import router
    from kiosk.models import db, open_database

    db.initialize(open_database(new_database_url("old")))
    try:
        router().run("009_name_search_keys")
        users = Table("staff_user", ("id", "email", "display_name", "name_key", "role",
                                     "password_hash", "must_change_password", "active",
                                     "session_version", "created_at")).bind(db.obj)
        for role in ("staff", "dsl", "head", "chair"):
            users.insert(email=f"{role}@example.org", display_name=role, name_key=role,
                         role=role, password_hash="x", must_change_password=False, active=True,
                         session_version=4, created_at=utcnow()).execute()
        assert router().run()[0] == "010_second_factor"  # and any after it
        versions = {u.role: (u.session_version, u.totp_secret, u.totp_confirmed_at)
                    for u in StaffUser.select()}
        assert versions == {"staff": (4, "", None), "dsl": (5, "", None), "head": (5, "", None),
                            "chair": (5, "", None)}
        assert RecoveryCode.select().count() == 0
    finally:
        db.close()
