"""Staff accounts (kiosk/accounts.py): password rules, audit events, and sessions that really end."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from argon2 import PasswordHasher

from kiosk import accounts
from kiosk.accounts import AccountError, create_user, set_password
from kiosk.models import AuditEvent, StaffUser

from .helpers import ACCESS_REFUSED, PASSWORD, field_error, form_page, nothing_written, sign_in_as
from .live import ROOT

SIGN_IN_FAILED = ("signin.failed",)
NO_MATCH = "That email address and password do not match an active account."
TEMPORARY = re.compile(r"[0-9a-f]{6}-[0-9a-f]{6}-[0-9a-f]{6}")


def sign_in(client, email, password=PASSWORD):
    fields = form_page(client, "/signin")
    return client.post("/signin", data={**fields, "email": email, "password": password})


def change_password(client, current, new):
    fields = form_page(client, "/account/password")
    return client.post("/account/password", data={**fields, "current_password": current,
                                                  "password": new, "confirm": new})


def signed_out(client) -> bool:
    """The client's session no longer signs anyone in: a staff page sends it to sign in."""
    response = client.get("/staff/")
    return response.status_code == 302 and response.headers["Location"].startswith("/signin")


def signed_in(client) -> bool:
    return client.get("/staff/").status_code == 200


def events(app, action):
    with app.app_context():
        return list(AuditEvent.select().where(AuditEvent.action == action).order_by(AuditEvent.id))


def shown_password(response) -> str:
    return re.search(r"<code>([^<]+)</code>", response.get_data(as_text=True)).group(1)


def fresh(app, user):
    with app.app_context():
        return StaffUser.get_by_id(user.id)


# The password rules ------------------------------------------------------------------------------

@pytest.mark.parametrize(("length", "accepted"), [(7, False), (8, True), (256, True), (257, False)])
def test_a_new_password_is_8_to_256_characters_to_the_character(app, client, teacher, length, accepted):
    new = ("plum jam on toast " * 20)[:length - 1] + "!"
    sign_in_as(client, teacher)
    if accepted:
        assert change_password(client, PASSWORD, new).status_code == 303
        assert sign_in(app.test_client(), teacher.email, new).status_code == 303
        return
    with nothing_written(app):
        response = change_password(client, PASSWORD, new)
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "password") == (
        "Use at least 8 characters." if length < 8 else "Use at most 256 characters.")


@pytest.mark.parametrize("common", ["iloveyou", "Password1"])
def test_a_common_password_is_refused_with_the_reason(app, client, teacher, common):
    sign_in_as(client, teacher)
    with nothing_written(app):
        response = change_password(client, PASSWORD, common)
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "password") == (
        "That password is too common and easy to guess. Please choose another.")


def test_the_common_passwords_list_is_not_loaded_until_a_password_is_checked(tmp_path):
    """zxcvbn's frequency lists (about 13 MB) stay out of a worker that only serves visitors;
    the first password checked loads them, and the rule holds (the test above: through a page)."""
    code = ("import sys, wsgi; from kiosk.accounts import password_problem; "
            "print('zxcvbn.frequency_lists' in sys.modules); "
            "print(password_problem('iloveyou')); "
            "print('zxcvbn.frequency_lists' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "KIOSK_INSTANCE_PATH": str(tmp_path)}, check=True)
    assert done.stdout.splitlines() == [
        "False", "That password is too common and easy to guess. Please choose another.", "True"]


def test_set_password_itself_refuses_a_weak_password(app, ctx, teacher):
    # No page reaches this (the forms check first); the rule still holds for any other caller.
    with nothing_written(app), pytest.raises(AccountError) as refused:
        set_password(teacher, "short", must_change=True)
    assert str(refused.value) == "Use at least 8 characters."
    assert accounts.authenticate(teacher.email, PASSWORD).id == teacher.id


def test_create_user_itself_refuses_an_unknown_role(app, ctx):
    # The head's form and the create-user command offer only the four roles; this guards others.
    with nothing_written(app), pytest.raises(AccountError) as refused:
        create_user("gov@westacre.sch.uk", "A Governor", "governor", PASSWORD)
    assert str(refused.value) == "The role must be one of: staff, dsl, head, chair."


# Creating accounts ---------------------------------------------------------------------------------

def test_adding_an_account_is_audited_with_its_email_and_role(app, client, head):
    sign_in_as(client, head)
    fields = form_page(client, "/admin/staff")
    response = client.post("/admin/staff", data={**fields, "display_name": "Dee Lead",
                                                 "email": " Dee@Westacre.sch.uk ", "role": "dsl"})
    assert response.status_code == 200
    password = shown_password(response)
    assert TEMPORARY.fullmatch(password), password
    with app.app_context():
        user = StaffUser.get(StaffUser.email == "dee@westacre.sch.uk")
        assert (user.role, user.display_name, user.must_change_password) == ("dsl", "Dee Lead", True)
    [event] = events(app, "account.created")
    assert (event.record_kind, event.record_id, event.actor_id) == ("staff_user", str(user.id), head.id)
    assert json.loads(event.detail) == {"email": "dee@westacre.sch.uk", "role": "dsl"}


def test_the_create_user_command_is_audited_with_the_normalised_email(app, runner):
    result = runner.invoke(args=["create-user", "--role", "chair", "--email", " Chair@Westacre.sch.uk ",
                                 "--name", "C Governor", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    [event] = events(app, "account.created")
    with app.app_context():
        user = StaffUser.get(StaffUser.email == "chair@westacre.sch.uk")
    assert (event.record_kind, event.record_id, event.actor_id) == ("staff_user", str(user.id), None)
    assert json.loads(event.detail) == {"email": "chair@westacre.sch.uk", "role": "chair"}


def test_a_second_account_for_an_email_is_refused_beside_the_email(app, client, head, teacher):
    sign_in_as(client, head)
    fields = form_page(client, "/admin/staff")
    with nothing_written(app):
        response = client.post("/admin/staff", data={**fields, "display_name": "Someone Else",
                                                     "email": teacher.email.upper(), "role": "staff"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(html, "email") == "There is already an account with that email address."
    assert "Temporary password" not in html  # none is shown for an account never made


def test_the_create_user_command_refuses_a_used_email_with_the_reason(app, runner, teacher):
    with nothing_written(app):
        result = runner.invoke(args=["create-user", "--role", "staff", "--email", teacher.email,
                                     "--name", "Another", "--password", PASSWORD])
    assert result.exit_code != 0
    assert "Error: There is already an account with that email address." in result.output


# Signing in ------------------------------------------------------------------------------------------

def test_an_unknown_email_is_refused_like_a_wrong_password(app, client, teacher):
    with nothing_written(app, allow=SIGN_IN_FAILED) as written:
        response = sign_in(client, "Nobody@Westacre.sch.uk", PASSWORD)
    assert response.status_code == 422 and NO_MATCH in response.get_data(as_text=True)
    assert written == ["signin.failed"]
    [event] = events(app, "signin.failed")
    assert json.loads(event.detail) == {"email": "nobody@westacre.sch.uk"}
    assert signed_out(client)


def test_a_deactivation_during_a_sign_ins_rehash_is_not_undone(app, ctx, teacher, monkeypatch):
    """Rehashing an outdated hash at sign-in takes a moment; the head may deactivate the account
    in that moment. Saving the new hash must not write back the old active flag and version."""

    class HeadDeactivatesMeanwhile(PasswordHasher):
        def hash(self, password, **kw):
            accounts.set_active(StaffUser.get_by_id(teacher.id), False)
            return super().hash(password, **kw)

    monkeypatch.setattr(accounts, "hasher", HeadDeactivatesMeanwhile(time_cost=2, memory_cost=16,
                                                                      parallelism=1))
    assert accounts.authenticate(teacher.email, PASSWORD).id == teacher.id
    stored = StaffUser.get_by_id(teacher.id)
    assert "t=2" in stored.password_hash  # rehashed
    assert not stored.active and stored.session_version > teacher.session_version
    assert accounts.authenticate(teacher.email, PASSWORD) is None


# Changing a password ends the other sessions --------------------------------------------------------

def test_changing_your_password_signs_out_your_other_devices_only(app, client, teacher, other_teacher):
    other_device, colleague = app.test_client(), app.test_client()
    sign_in_as(client, teacher)
    sign_in_as(other_device, teacher)
    sign_in_as(colleague, other_teacher)
    assert change_password(client, PASSWORD, "plum jam on toast").status_code == 303
    assert signed_in(client)
    assert signed_out(other_device)
    assert signed_in(colleague)
    [event] = events(app, "account.password_changed")
    assert (event.record_kind, event.record_id, event.actor_id) == ("staff_user", str(teacher.id),
                                                                    teacher.id)
    assert json.loads(event.detail) == {"by_reset": False}
    with nothing_written(app, allow=SIGN_IN_FAILED):
        assert sign_in(app.test_client(), teacher.email, PASSWORD).status_code == 422
    assert sign_in(app.test_client(), teacher.email, "plum jam on toast").status_code == 303


def test_a_reset_by_the_head_is_audited_as_a_reset(app, client, head, teacher):
    sign_in_as(client, head)
    fields = form_page(client, "/admin/staff")
    response = client.post(f"/admin/staff/{teacher.id}/reset", data=fields)
    assert response.status_code == 200
    temporary = shown_password(response)
    assert TEMPORARY.fullmatch(temporary), temporary
    assert fresh(app, teacher).must_change_password
    [event] = events(app, "account.password_changed")
    assert (event.record_kind, event.record_id, event.actor_id) == ("staff_user", str(teacher.id), head.id)
    assert json.loads(event.detail) == {"by_reset": True}
    again = shown_password(client.post(f"/admin/staff/{teacher.id}/reset", data=fields))
    assert TEMPORARY.fullmatch(again) and again != temporary


def test_a_reset_signs_the_person_out_not_just_back_to_choosing_a_password(app, client, head, teacher):
    teacher_device = app.test_client()
    sign_in_as(teacher_device, teacher)
    sign_in_as(client, head)
    fields = form_page(client, "/admin/staff")
    client.post(f"/admin/staff/{teacher.id}/reset", data=fields)
    assert signed_out(teacher_device)  # to sign-in, not to /account/password


def test_a_session_ended_by_signing_out_stays_ended_after_a_password_change(app, teacher):
    old_device, device = app.test_client(), app.test_client()
    sign_in_as(old_device, teacher)
    sign_in_as(device, teacher)
    assert device.post("/signout", data=form_page(device, "/staff/")).status_code == 303
    assert signed_out(old_device)
    assert sign_in(device, teacher.email).status_code == 303
    assert change_password(device, PASSWORD, "plum jam on toast").status_code == 303
    assert signed_in(device)
    assert signed_out(old_device)


# Signing out ends every session of that account, and only that account ------------------------------

def test_signing_out_leaves_colleagues_signed_in(app, client, teacher, other_teacher):
    colleague = app.test_client()
    sign_in_as(client, teacher)
    sign_in_as(colleague, other_teacher)
    assert client.post("/signout", data=form_page(client, "/staff/")).status_code == 303
    assert signed_out(client)
    assert signed_in(colleague)


def test_a_session_ended_by_a_password_change_stays_ended_after_signing_out(app, teacher):
    old_device, device = app.test_client(), app.test_client()
    sign_in_as(old_device, teacher)
    sign_in_as(device, teacher)
    assert change_password(device, PASSWORD, "plum jam on toast").status_code == 303
    assert signed_out(old_device)
    assert device.post("/signout", data=form_page(device, "/staff/")).status_code == 303
    assert signed_out(old_device)
    assert signed_out(device)


# Deactivating and reactivating -------------------------------------------------------------------

def test_deactivating_signs_out_and_refuses_sign_in_and_is_audited(app, client, head, teacher,
                                                                   other_teacher):
    teacher_device, colleague = app.test_client(), app.test_client()
    sign_in_as(teacher_device, teacher)
    sign_in_as(colleague, other_teacher)
    sign_in_as(client, head)
    fields = form_page(client, "/admin/staff")
    response = client.post(f"/admin/staff/{teacher.id}/active", data={**fields, "active": "no"})
    assert response.status_code == 303
    assert not fresh(app, teacher).active
    assert signed_out(teacher_device)
    assert signed_in(colleague) and client.get("/admin/staff").status_code == 200
    [event] = events(app, "account.deactivated")
    assert (event.record_kind, event.record_id, event.actor_id, event.detail) == (
        "staff_user", str(teacher.id), head.id, "")
    assert events(app, "account.activated") == []
    with nothing_written(app, allow=SIGN_IN_FAILED):
        response = sign_in(app.test_client(), teacher.email, PASSWORD)
    assert response.status_code == 422 and NO_MATCH in response.get_data(as_text=True)


def test_reactivating_lets_the_person_sign_in_again_but_revives_no_old_session(app, client, head,
                                                                               teacher):
    teacher_device = app.test_client()
    sign_in_as(teacher_device, teacher)
    sign_in_as(client, head)
    fields = form_page(client, "/admin/staff")
    client.post(f"/admin/staff/{teacher.id}/active", data={**fields, "active": "no"})
    response = client.post(f"/admin/staff/{teacher.id}/active", data={**fields, "active": "yes"})
    assert response.status_code == 303
    assert fresh(app, teacher).active
    assert signed_out(teacher_device)
    [event] = events(app, "account.activated")
    assert (event.record_kind, event.record_id, event.actor_id, event.detail) == (
        "staff_user", str(teacher.id), head.id, "")
    assert len(events(app, "account.deactivated")) == 1
    assert sign_in(teacher_device, teacher.email).status_code == 303
    assert signed_in(teacher_device)


# The chair's account: out of the head's reach -----------------------------------------------------

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


# The list at a trust's size, and each account's own page -----------------------------------------

def test_at_a_hundred_accounts_the_list_is_a_row_each_under_100_kb_with_a_manage_link(
        app, client, head, chair):
    with app.app_context():
        hashed = StaffUser.get_by_id(head.id).password_hash
        for n in range(103 - StaffUser.select().count()):
            StaffUser.create(email=f"s{n}@trust.org.uk", display_name=f"Staff Member {n:03d}",
                             role="staff", password_hash=hashed)
        people = list(StaffUser.select())
    sign_in_as(client, head)
    response = client.get("/admin/staff")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and len(response.data) < 100_000
    assert len(people) == 103
    for user in people:
        manage = f'href="/admin/staff/{user.id}">Manage<span class="visually-hidden"> '
        assert (manage in html) == (user.role != "chair"), user.display_name
    assert "/active" not in html and "/reset" not in html and "left_on" not in html


def test_an_accounts_page_offers_its_actions_and_they_work_from_it(app, client, head, teacher):
    sign_in_as(client, head)
    page = client.get(f"/admin/staff/{teacher.id}").get_data(as_text=True)
    assert f'action="/admin/staff/{teacher.id}/active"' in page
    assert f'action="/admin/staff/{teacher.id}/reset"' in page
    assert f'action="/admin/staff/{teacher.id}/left-on"' in page
    assert "/second-factor" not in page  # a teacher has no two-step sign-in to reset
    fields = form_page(client, f"/admin/staff/{teacher.id}")
    response = client.post(f"/admin/staff/{teacher.id}/active", data={**fields, "active": "no"})
    assert response.status_code == 303 and not fresh(app, teacher).active
    page = client.get(f"/admin/staff/{teacher.id}").get_data(as_text=True)
    assert "<dt>Status</dt><dd>Deactivated</dd>" in page and "Reactivate" in page
    assert shown_password(client.post(f"/admin/staff/{teacher.id}/reset", data=fields))


def test_the_heads_own_account_page_offers_no_deactivation_or_password_reset(app, client, head):
    sign_in_as(client, head)
    page = client.get(f"/admin/staff/{head.id}").get_data(as_text=True)
    assert "This is your own account" in page
    assert "/active" not in page and "/reset" not in page and "/second-factor" not in page
    assert f'action="/admin/staff/{head.id}/left-on"' in page


def test_an_account_page_for_no_account_is_a_404(client, head):
    sign_in_as(client, head)
    assert client.get("/admin/staff/999999").status_code == 404


def test_an_unknown_email_is_checked_against_a_hash_as_costly_as_a_real_one(monkeypatch):
    """The stand-in hash verified when no account has the email is a genuine argon2id hash with
    the parameters real passwords are hashed with (argon2-cffi's defaults): a new version that
    raised them would make it cheaper than a real check, and this fails until it is made anew."""
    from argon2.exceptions import VerifyMismatchError

    monkeypatch.undo()  # the module's own stand-in, not the quick one the tests use elsewhere
    real = PasswordHasher()
    assert not real.check_needs_rehash(accounts._DUMMY_HASH)
    with pytest.raises(VerifyMismatchError):  # a well-formed hash that no password given matches
        real.verify(accounts._DUMMY_HASH, PASSWORD)
