"""Signing in and out, the one-time set-up of the first headteacher account, changing password."""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from . import accounts, audit, second_factor, sign_in_limits
from .access import start_session
from .forms.sign_in import ChangePasswordForm, NewPasswordForm, SetupForm, SignInForm
from .models import StaffUser
from .templating import serves
from .text import normalise_email

bp = Blueprint("auth", __name__)
serves(bp, "sign-in")


def home_for(user: StaffUser) -> str:
    return url_for("admin.chair_home" if user.role == "chair" else "staff.home")


@bp.route("/signin", methods=["GET", "POST"])
def sign_in():
    """Email and password; a new session each time; failures are counted (before the password
    is checked: `sign_in_limits`) and audited."""
    if current_user.is_authenticated and request.method == "GET":
        return redirect(home_for(current_user))
    form = SignInForm()
    if form.validate_on_submit():
        attempt = sign_in_limits.take_attempt(form.email.data)  # raises TooManyAttempts
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is None:
            audit.record("signin.failed", kind="staff_user", actor_label="",
                         email=normalise_email(form.email.data)[:254])
            form.form_errors.append(
                _("That email address and password do not match an active account."))
        else:
            attempt.succeeded(user)
            if second_factor.required(user):  # the code from their app next (second_step.py)
                second_factor.begin(user, _safe_next())
                return redirect(url_for("second_step.code"), code=303)
            start_session(user)
            login_user(user, remember=False)
            audit.record("signin", kind="staff_user", record_id=user.id, actor=user)
            if user.must_change_password:
                return redirect(url_for("auth.change_password"), code=303)
            return redirect(_safe_next() or home_for(user), code=303)
    status = 200 if request.method == "GET" else 422
    return render_template("auth/sign_in.html", form=form), status


def _safe_next() -> str | None:
    """Only a path on this site: never an open redirect. Browsers drop tabs and new lines from
    addresses, so anything with a control character or space is refused outright."""
    target = request.args.get("next", "")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target) or "\\" in target:
        return None
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.scheme \
            and not parts.netloc:
        return target
    return None


@bp.get("/staff/start")
def staff_start():
    """The address for a classroom iPad's home-screen icon: sign-in, or the staff home when
    already signed in."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return redirect(url_for("auth.sign_in"))


@bp.post("/signout")
@login_required
def sign_out():
    """Sign out: this account's sessions end on every device at once."""
    user = current_user._get_current_object()
    accounts.end_sessions(user)
    audit.record("signout", kind="staff_user", record_id=user.id)
    logout_user()
    flash(_("You have signed out."))
    return redirect(url_for("auth.sign_in"), code=303)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Choose a new password (required after a reset by the head)."""
    user = current_user._get_current_object()
    form = NewPasswordForm() if user.must_change_password else ChangePasswordForm()
    if form.validate_on_submit():
        if not user.must_change_password and accounts.authenticate(
                user.email, form.current_password.data) is None:
            form.current_password.errors.append(_("That is not your current password."))
            return render_template("auth/change_password.html", form=form), 422
        accounts.set_password(user, form.password.data)
        sign_in_limits.remember_device(user)  # the cookie of the old password no longer counts
        start_session(user)
        login_user(user, remember=False)  # the new session version
        flash(_("Your password has been changed."))
        return redirect(home_for(user), code=303)
    status = 200 if request.method == "GET" else 422
    return render_template("auth/change_password.html", form=form), status


@bp.route("/setup", methods=["GET", "POST"])
def setup():
    """Create the first headteacher account; only while there is no account, and with the token."""
    if StaffUser.any_exist():
        abort(404)
    expected = accounts.setup_token(current_app.config["SECRET_KEY"])
    form = SetupForm()
    if request.method == "GET":
        form.token.data = request.args.get("token", "")
    if not hmac.compare_digest(str(form.token.data or ""), expected):
        return render_template("auth/setup_token.html"), 403
    if form.validate_on_submit():
        try:
            user = accounts.create_user(form.email.data, form.display_name.data, "head",
                                        form.password.data)
        except accounts.AccountError as error:
            form.form_errors.append(str(error))
        else:  # not signed in until two-step sign-in is set up too
            second_factor.begin(user, url_for("admin.setup"))
            flash(_("Your account is ready. Now set up two-step sign-in; then tell the kiosk "
                    "about your school."))
            return redirect(url_for("second_step.setup"), code=303)
    status = 200 if request.method == "GET" else 422
    return render_template("auth/setup.html", form=form), status


def announce_setup(app, base_url: str) -> None:
    """While no account exists, print the set-up address to the server's console. `base_url` is
    where the server really listens (see kiosk/serve.py), so the address works when opened."""
    from peewee import DatabaseError

    try:
        with app.app_context():
            if StaffUser.any_exist():
                return
    except DatabaseError:  # not migrated yet
        return
    token = accounts.setup_token(app.config["SECRET_KEY"])
    print(f"\n  No staff account exists yet. To create the headteacher's account, open\n"
          f"  {base_url.rstrip('/')}/setup?token={token}\n"
          f"  or run: .venv/bin/flask --app kiosk create-user --role head\n", flush=True)
