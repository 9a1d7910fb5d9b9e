"""Who is signed in, for how long, and what their role lets them open. Deny by default."""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable

from flask import Flask, abort, current_app, flash, jsonify, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from . import audit, refusals
from .extensions import login_manager
from .models import StaffUser, utcnow


def init_app(app: Flask) -> None:
    app.before_request(enforce_session_limits)


@login_manager.user_loader
def load_user(user_id: str) -> StaffUser | None:
    """Only a session of the account's current version, for an active account, is signed in."""
    try:
        pk, version = (int(part) for part in user_id.split(":"))
    except ValueError:
        return None
    user = StaffUser.get_or_none(StaffUser.id == pk)
    if user is None or not user.active or user.session_version != version:
        return None
    return user


@login_manager.unauthorized_handler
def unauthorized():
    """Someone not signed in asked for a staff page: counted, not audited one by one (a
    summary an hour, `refusals.py`), and after too many in a minute from one address, a 429."""
    if not refusals.refuse_anonymous():
        return refusals.too_many()
    if wants_json():
        return jsonify(error="sign_in_required", message=_("Please sign in again.")), 401
    flash(str(login_manager.login_message))  # a lazy string, which the session cannot hold
    return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))


def wants_json() -> bool:
    return request.path.startswith("/api/")


def enforce_session_limits():
    """Sign out after the idle time-out or the absolute one, whichever comes first."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    now = utcnow().timestamp()
    idle = current_app.config["KIOSK_STAFF_IDLE_MINUTES"] * 60
    absolute = current_app.config["KIOSK_STAFF_SESSION_HOURS"] * 3600
    started, last_seen = session.get("signed_in_at", 0), session.get("last_seen", 0)
    if now - last_seen > idle or now - started > absolute:
        logout_user()
        session.clear()
        if wants_json():
            return jsonify(error="sign_in_required",
                           message=_("Your session has ended. Please sign in again.")), 401
        flash(_("You were signed out because the session ended. Please sign in again."))
        return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
    session["last_seen"] = now
    return None


def start_session(user: StaffUser) -> None:
    """A new session at sign-in: nothing from before survives (no fixation)."""
    session.clear()
    now = utcnow().timestamp()
    session["signed_in_at"] = now
    session["last_seen"] = now


def role_required(*roles: str) -> Callable:
    """Allow the view only to signed-in users with one of these roles; others get 403 (audited)."""
    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.must_change_password and request.endpoint != "auth.change_password":
                if wants_json():  # the outbox keeps the record until the password is changed
                    return jsonify(error="password_change_required",
                                   message=_("Choose a new password, then this will be sent.")), 401
                return redirect(url_for("auth.change_password"))
            if current_user.role not in roles:
                audit.record("access.refused", kind="page", record_id=refused_page(),
                             role=current_user.role)
                if wants_json():
                    return jsonify(error="forbidden", message=_("You cannot do that.")), 403
                from .errors import render_error
                return render_error(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


def refused_page() -> str:
    """The page refused, by its route ("/records/breaches/…/lado"): never the id of a record
    in its address, which the head's audit log must not learn (a concern about the head)."""
    rule = request.url_rule.rule if request.url_rule is not None else ""
    return re.sub(r"<[^>]*>", "…", rule)[:40]


def find_visible(model, user: StaffUser, public_id: str):
    """The record with this public id if this user may see it, else None (so it looks missing).
    A refusal of a record that does exist is audited."""
    try:
        key = uuid.UUID(public_id)
    except ValueError:
        return None
    record = model.visible_to(user).where(model.public_id == key).first()
    if record is None and model.select().where(model.public_id == key).exists():
        audit.record("access.refused", kind=model._meta.table_name, record_id=key)
    return record


def get_or_404(model, row_id: int):
    """A row by its number, or a 404 page (for records with no visibility rule of their own)."""
    row = model.get_or_none(model.id == row_id)
    if row is None:
        abort(404)
    return row


def visible_or_404(model, user: StaffUser, public_id: str):
    """find_visible, or a 404 that looks the same whether the record is missing or not theirs."""
    record = find_visible(model, user, public_id)
    if record is None:
        abort(404)
    return record


ALL_STAFF = ("staff", "dsl", "head")
LEADS = ("dsl", "head")
