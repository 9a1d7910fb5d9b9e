"""The second step of signing in for the DSL, the head and the chair: the code from the
authenticator app (or a recovery code), and setting it up the first time. The rules are in
`second_factor.py`; the password step before this is `auth.sign_in`."""

from __future__ import annotations

import functools

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user

from . import audit, second_factor, sign_in_limits
from .access import start_session
from .auth import home_for
from .forms.sign_in import SecondStepForm, SetupCodeForm
from .models import StaffUser
from .qr import secret_qr_data_uri
from .school import school_name
from .templating import serves

bp = Blueprint("second_step", __name__, url_prefix="/signin")
serves(bp, "sign-in")


def _start_again(had_pending: bool):
    """Nobody is half-way here (or their five minutes are up): the password first."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user), code=303)
    if had_pending:
        flash(_("Please sign in again: the code must be entered within 5 minutes of the "
                "password."))
    return redirect(url_for("auth.sign_in"), code=303)


def _signed_in(user: StaffUser, accepted: second_factor.Accepted | None = None):
    """Both steps done: a new session, signed in, as `auth.sign_in` does without a second step
    (then, after a recovery code, how many are left)."""
    next_url = second_factor.pending_next()
    start_session(user)
    login_user(user, remember=False)
    audit.record("signin", kind="staff_user", record_id=user.id, actor=user)
    if accepted is not None and accepted.recovery:
        _recovery_left(user, accepted.recovery_left)
    if user.must_change_password:
        return redirect(url_for("auth.change_password"), code=303)
    return redirect(next_url or home_for(user), code=303)


def _half_way(view):
    """For someone half-way through signing in (their password right in the last 5 minutes),
    given to the view; anyone else is sent back to the password."""
    @functools.wraps(view)
    def wrapped():
        had_pending = second_factor.PENDING in session
        user = second_factor.pending_user()
        if user is None:
            return _start_again(had_pending)
        return view(user)
    return wrapped


@bp.route("/code", methods=["GET", "POST"])
@_half_way
def code(user: StaffUser):
    """The 6-digit code from the app, or a recovery code (spent, with how many are left)."""
    if not second_factor.is_set_up(user):
        return redirect(url_for(".setup"), code=303)
    form = SecondStepForm()
    if form.validate_on_submit():
        accepted = _counted(second_factor.check, user, form)
        if accepted is not None:
            return _signed_in(user, accepted)
    status = 200 if request.method == "GET" else 422
    return render_template("second_step/code.html", form=form), status


def _counted(check, user: StaffUser, form):
    """A code counted against the account's limit before it is checked, as passwords are
    (raises TooManyAttempts), then checked: what the check gives, or None with the reason beside
    the field. A right code gives its attempt back: only failures count."""
    attempt = sign_in_limits.take_code_attempt(user)
    try:
        result = check(user, form.code.data)
    except second_factor.CodeRefused as refused:
        form.code.errors.append(str(refused))
        return None
    attempt.refund()
    return result


def _recovery_left(user: StaffUser, left: int) -> None:
    flash(ngettext("You signed in with a recovery code, which cannot be used again. You have "
                   "%(num)d recovery code left.",
                   "You signed in with a recovery code, which cannot be used again. You have "
                   "%(num)d recovery codes left.", left))
    if left <= second_factor.FEW_LEFT:
        flash(_("Ask the headteacher to reset your two-step sign-in soon, then set it up again "
                "to get ten new recovery codes.") if second_factor.reset_by_the_head(user)
              else _("Ask your IT support to reset your two-step sign-in soon, then set it up "
                     "again to get ten new recovery codes."))


@bp.route("/set-up", methods=["GET", "POST"])
@_half_way
def setup(user: StaffUser):
    """The first time: a QR code (and the secret as text) for the app, and its first code."""
    if second_factor.is_set_up(user):
        if second_factor.proved():  # reloaded after the codes were shown: never again
            return render_template("second_step/recovery_codes.html", codes=None)
        return redirect(url_for(".code"), code=303)
    form = SetupCodeForm()
    if form.validate_on_submit():
        codes = _counted(second_factor.confirm, user, form)
        if codes is not None:
            # Shown in this answer only: the codes are kept nowhere but as hashes.
            return render_template("second_step/recovery_codes.html", codes=codes)
    address = second_factor.setup_address(user, school_name())
    status = 200 if request.method == "GET" else 422
    return render_template("second_step/setup.html", form=form, user=user,
                           qr=secret_qr_data_uri(address),
                           secret=second_factor.grouped(user.totp_secret)), status


@bp.post("/recovery-codes")
@_half_way
def codes_kept(user: StaffUser):
    """"I have kept these somewhere safe": signed in, once the set-up's first code was right."""
    if not second_factor.proved():
        return redirect(url_for(".code"), code=303)
    return _signed_in(user)
