"""The pages for asking the headteacher's permission to post about the school (`permissions`).

One flow seen by three audiences, so its routes join their blueprints: members of staff on the
iPad (`staff.`), people on the roster through their personal link (`public.`, no sign-in: the
link's token is who they are) and the headteacher's desk (`admin.`). Imported by `create_app`
before the blueprints are registered.
"""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from . import permissions
from .access import ALL_STAFF, role_required, visible_or_404
from .admin import bp as admin_bp
from .display import today
from .forms.permissions import AnswerForm, DecisionForm, PermissionRequestForm, WaitDaysForm
from .idempotency import Conflict, form_fingerprint
from .models import PermissionRequest, RosterPerson
from .public import bp as public_bp
from .staff import bp as staff_bp

# Who asks on the iPad: everyone but the head, who decides (and the chair, who has no iPad page).
REQUESTERS = ("staff", "dsl")
EMAILED = {"sent": _l("They have been emailed."),
           "failed": _l("The email to them could not be sent: they will see it when they next "
                        "look."),
           "no_mail": _l("Email is not set up, so they will see it when they next look.")}
ALREADY_SENT = _l("This form was already sent with other details. Please start again.")


# Asking: a member of staff ---------------------------------------------------------------------

@staff_bp.get("/permissions")
@role_required(*REQUESTERS)
def permissions_mine():
    """My requests, newest first, each with where it stands."""
    return render_template("permissions/mine.html", rows=permissions.own_requests(
        staff=current_user), ask_url=url_for("staff.ask_permission"), detail="staff.permission",
        detail_args={}, has_ended=permissions.ended)


@staff_bp.route("/permissions/new", methods=["GET", "POST"])
@role_required(*REQUESTERS)
def ask_permission():
    return _ask(PermissionRequestForm(), url_for("staff.ask_permission"),
                lambda row: url_for("staff.permission", public_id=row.public_id),
                staff=current_user)


@staff_bp.get("/permissions/<public_id>")
@role_required(*REQUESTERS)
def permission(public_id: str):
    return _requester_page(_own_or_404(public_id, staff=current_user), AnswerForm(formdata=None),
                           url_for("staff.permission_answer", public_id=public_id),
                           url_for("staff.permissions_mine"))


@staff_bp.post("/permissions/<public_id>/answer")
@role_required(*REQUESTERS)
def permission_answer(public_id: str):
    row = _own_or_404(public_id, staff=current_user)
    return _answer(row, url_for("staff.permission", public_id=public_id),
                   url_for("staff.permission_answer", public_id=public_id),
                   url_for("staff.permissions_mine"), staff=current_user)


@staff_bp.get("/permissions/matching")
@role_required(*ALL_STAFF)
def permissions_matching():
    """For the breach form's "referenced without permission": the approvals given to someone of
    this name, as a piece of the page (the form's script puts it under the name)."""
    return render_template("permissions/_matching.html", **permissions.check_for(
        request.args.get("name", "")[:100], today(), "breach_form"))


# Asking: a person on the roster, through their personal link -----------------------------------

def _person_or_404(token: str) -> RosterPerson:
    person = RosterPerson.with_link(token)
    if person is None:
        abort(404)
    return person


@public_bp.get("/p/<token>/permissions")
def person_permissions(token: str):
    person = _person_or_404(token)
    return render_template("permissions/mine.html", person=person,
                           rows=permissions.own_requests(person=person),
                           ask_url=url_for("public.person_ask_permission", token=token),
                           detail="public.person_permission", detail_args={"token": token},
                           has_ended=permissions.ended)


@public_bp.route("/p/<token>/permissions/new", methods=["GET", "POST"])
def person_ask_permission(token: str):
    person = _person_or_404(token)
    return _ask(PermissionRequestForm(), url_for("public.person_ask_permission", token=token),
                lambda row: url_for("public.person_permission", token=token,
                                    public_id=row.public_id), person=person)


@public_bp.get("/p/<token>/permissions/<public_id>")
def person_permission(token: str, public_id: str):
    person = _person_or_404(token)
    return _requester_page(_own_or_404(public_id, person=person), AnswerForm(formdata=None),
                           url_for("public.person_permission_answer", token=token,
                                   public_id=public_id),
                           url_for("public.person_permissions", token=token), person=person)


@public_bp.post("/p/<token>/permissions/<public_id>/answer")
def person_permission_answer(token: str, public_id: str):
    person = _person_or_404(token)
    row = _own_or_404(public_id, person=person)
    return _answer(row, url_for("public.person_permission", token=token, public_id=public_id),
                   url_for("public.person_permission_answer", token=token, public_id=public_id),
                   url_for("public.person_permissions", token=token), person=person)


def _field(form, name: str | None, fallback):
    """The form's field a refusal belongs beside."""
    return form[name] if name and name in form else fallback


# Shared by both kinds of requester -------------------------------------------------------------

def _own_or_404(public_id: str, **owner) -> PermissionRequest:
    row = permissions.own_request(public_id, **owner)
    if row is None:
        abort(404)
    return row


def _ask(form: PermissionRequestForm, action: str, shown_at, **requester):
    if request.method == "GET":
        form.client_uuid.data = str(uuid.uuid4())
    elif form.validate_on_submit():
        try:
            row, _created = permissions.ask(form.asked(), form_fingerprint(request.form),
                                            **requester)
        except Conflict:
            form.form_errors.append(str(ALREADY_SENT))
        except permissions.RequestError as error:
            _field(form, error.field, form.consent_answer).errors.append(str(error))
        else:
            flash(_("Your request was sent to the headteacher. You will be emailed the decision."))
            return redirect(shown_at(row), code=303)
    return render_template("permissions/ask.html", form=form, action=action,
                           person=requester.get("person")), \
        200 if request.method == "GET" else 422


def _requester_page(row, form, answer_url: str, back_url: str, code: int = 200, person=None):
    return render_template("permissions/request.html", row=row, notes=permissions.notes(row),
                           form=form, answer_url=answer_url, back_url=back_url,
                           ended=permissions.ended(row), person=person), code


def _answer(row, shown_at: str, answer_url: str, back_url: str, **requester):
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            permissions.answer(row, form.answer.data, **requester)
        except permissions.RequestError as error:
            _field(form, error.field, form.answer).errors.append(str(error))
        else:
            flash(_("Your answer was sent to the headteacher."))
            return redirect(shown_at, code=303)
    return _requester_page(row, form, answer_url, back_url, code=422,
                           person=requester.get("person"))


# Deciding: the headteacher ---------------------------------------------------------------------

@admin_bp.get("/permissions")
@role_required("head")
def permissions_list():
    """Waiting (longest first, those waiting too long flagged), asked a question, in force,
    and the most recent declined or ended."""
    lists = permissions.head_lists()
    return render_template("permissions/head_list.html", lists=lists,
                           wait_form=WaitDaysForm(formdata=None, days=lists.wait_days),
                           past_shown=permissions.PAST_SHOWN)


@admin_bp.post("/permissions/wait")
@role_required("head")
def permissions_wait():
    form = WaitDaysForm()
    if form.validate_on_submit():
        permissions.set_wait_days(form.days.data)
        flash(_("Saved."))
        return redirect(url_for("admin.permissions_list"), code=303)
    return render_template("permissions/head_list.html", lists=permissions.head_lists(),
                           wait_form=form, past_shown=permissions.PAST_SHOWN), 422


@admin_bp.get("/permissions/<public_id>")
@role_required("head")
def permission_request(public_id: str):
    row = visible_or_404(PermissionRequest, current_user, public_id)
    return _head_page(row, DecisionForm(formdata=None))


def _head_page(row: PermissionRequest, form: DecisionForm, code: int = 200):
    return render_template("permissions/head_request.html", row=row, form=form,
                           notes=permissions.notes(row), ended=permissions.ended(row),
                           overdue=permissions.overdue(row), wait_days=permissions.wait_days()), code


@admin_bp.post("/permissions/<public_id>/decision")
@role_required("head")
def permission_decision(public_id: str):
    row = visible_or_404(PermissionRequest, current_user, public_id)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            decided = permissions.decide(row, current_user, form.decision_made())
        except permissions.RequestError as error:
            _field(form, error.field, form.decision).errors.append(str(error))
        else:
            told = EMAILED[permissions.email_requester(decided)]
            done = {"approved": _("Approved."), "declined": _("Declined."),
                    "question": _("Your question was sent.")}[decided.status]
            flash(f"{done} {told}")  # two whole sentences, each translated
            return redirect(url_for("admin.permission_request", public_id=public_id), code=303)
    return _head_page(row, form, 422)
