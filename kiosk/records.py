"""The breach and deletion-request pages, and their triage, for every role that may see them.

Logging a breach and recording a deletion request are the iPad's quick actions (`staff`); here
is what happens to the records after that: reading one, the leads' list of concerns, triage,
the LADO referral and a deletion request's outcome. Who may see which record is
`access.visible_or_404`; what they may do with it is the domain module's. Each render of a
record's page (the GET, or the page again with a form's errors) is audited as a view of it by
`viewed.py`, not here.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from . import (
    audit,
    breaches,
    declarations,
    deletions,
    low_level,
    mail,
    permissions,
    staff_concerns,
    welfare,
    working_days,
)
from .access import ALL_STAFF, LEADS, role_required, visible_or_404
from .display import school_zone
from .forms.records import (
    ClassifyForm,
    CloseAllegationForm,
    LadoForm,
    LowLevelEntryForm,
    NoteForm,
    OutcomeForm,
    StatusForm,
    SubjectLinkForm,
    SuspensionForm,
)
from .forms.welfare import (
    ReferenceForm,
    ShareNameForm,
    TaskNoteForm,
    TaskStatusForm,
    WelfareNoteForm,
    WelfareTaskForm,
)
from .idempotency import Conflict, form_fingerprint
from .models import Breach, DeletionRequest, WelfareTask, as_local, utcnow
from .templating import serves
from .text import search_name
from .vocabulary import ALLEGATION_OUTCOMES

bp = Blueprint("records", __name__, url_prefix="/records")
serves(bp, "staff")
TRIAGE_ROLES = (*LEADS, "chair")


# Breaches ----------------------------------------------------------------------------------------

@bp.get("/concerns")
@role_required(*TRIAGE_ROLES)
def concerns():
    """Every breach this lead may see, filtered by status; overdue LADO referrals flagged."""
    status = request.args.get("status", "open")
    page = breaches.concerns_for(current_user, status, request.args.get("older"),
                                 request.args.get("newer"))
    rows = page.rows
    referrals = breaches.lado_referrals_for(rows)
    audit.record("breach.list_viewed", kind="breach", list=f"concerns:{status}",
                 shown=[str(b.public_id) for b in rows])
    return render_template("records/concerns.html", breaches=rows, page=page, status=status,
                           alerts_by_email=mail.configured(),
                           low_level_log=low_level.may_see_log(current_user),
                           lado_overdue={b.id: breaches.lado_overdue(b, referrals.get(b.id))
                                         for b in rows})


@bp.get("/breaches/<public_id>")
@role_required(*ALL_STAFF, "chair")
def breach(public_id: str):
    """One breach with its history; leads can triage it here."""
    record = visible_or_404(Breach, current_user, public_id)
    return _render_breach(record)


def _render_breach(record: Breach, status_form=None, note_form=None, lado_form=None, code=200,
                   **forms):
    referral = breaches.lado_referral(record)
    if lado_form is None and referral is not None:
        lado_form = LadoForm(obj=referral, formdata=None)
    return render_template(
        "records/breach.html", breach=record, **_case_manager_context(record, forms),
        history_rows=staff_concerns.history(record, seen_by=current_user),
        requests=breaches.deletion_requests_for(record, seen_by=current_user), referral=referral,
        lado_overdue=breaches.lado_overdue(record, referral),
        status_form=status_form or StatusForm(formdata=None, status=record.status),
        note_form=note_form or NoteForm(formdata=None), lado_form=lado_form or LadoForm(formdata=None),
        can_triage=current_user.role in TRIAGE_ROLES,
        **_low_level_parts(record, forms.get("low_level_form"), forms.get("subject_form")),
        **_welfare_panel(record, forms.get("welfare_form")), **_permission_check(record),
        family_links=_family_links_box(record)), code


# The breach category the policy's "prior permission ... agreed with the Headteacher" is.
WITHOUT_PERMISSION = "reference_without_permission"


def _permission_check(record: Breach) -> dict:
    """For a breach of posting without the head's permission: the approvals the head gave the
    person it is about, by the name on the breach (or of the acceptance or roster person it is
    tied to), each said to hold on the day it happened or not."""
    if record.category.slug != WITHOUT_PERMISSION:
        return {}
    name = (record.subject_person.full_name if record.subject_person_id
            else record.acceptance.full_name if record.acceptance_id else record.subject_name)
    day = as_local(record.occurred_at, school_zone()).date()
    return {"permission_check": permissions.check_for(name, day, "breach")}


def _act(record: Breach, form, slot: str, action, saved: str, refused_field=None):
    """A lead's action on a breach: check the form, make the one domain call, and go back to the
    breach; a refusal (TriageError) is shown beside `refused_field`, the form again with a 422."""
    if form.validate_on_submit():
        try:
            action()
        except breaches.TriageError as error:
            (form[error.field] if error.field else refused_field).errors.append(str(error))
        else:
            flash(saved)
            return redirect(url_for("records.breach", public_id=record.public_id), code=303)
    return _render_breach(record, code=422, **{slot: form})


@bp.post("/breaches/<public_id>/status")
@role_required(*TRIAGE_ROLES)
def breach_status(public_id: str):
    """Open, in review or closed; closing needs an outcome note."""
    record = visible_or_404(Breach, current_user, public_id)
    form = StatusForm()
    return _act(record, form, "status_form", lambda: breaches.change_status(
        record, current_user, form.status.data, form.note.data), _("Status saved."), form.status)


@bp.post("/breaches/<public_id>/notes")
@role_required(*TRIAGE_ROLES)
def breach_note(public_id: str):
    """Add a note or an action; the history keeps everything."""
    record = visible_or_404(Breach, current_user, public_id)
    form = NoteForm()
    return _act(record, form, "note_form", lambda: breaches.add_note(
        record, current_user, form.kind.data, form.text.data), _("Added."), form.kind)


@bp.post("/breaches/<public_id>/lado")
@role_required("head", "chair")
def breach_lado(public_id: str):
    """The LADO referral of an allegation about a member of staff (only offered for one)."""
    record = visible_or_404(Breach, current_user, public_id)
    if not record.restricted or record.classification != "allegation":
        abort(404)
    form = LadoForm()
    return _act(record, form, "lado_form", lambda: breaches.record_lado(
        record, current_user, form.details()), _("LADO referral saved."), form.referred_at)


# Deletion requests -------------------------------------------------------------------------------

@bp.get("/deletions")
@role_required(*ALL_STAFF)
def deletions_list():
    """Deletion requests this user may see; refused and overdue ones first, with next steps."""
    if request.args.get("saved"):
        flash(_("Saved. Record what happened when you know."))
    listed = deletions.for_list(current_user, request.args.get("older"),
                                request.args.get("newer"),
                                attention_only=request.args.get("show") == "attention")
    others = listed.others.rows if listed.others else []
    audit.record("deletion_request.list_viewed", kind="deletion_request",
                 shown=[str(r.public_id) for r in listed.attention + others])
    return render_template("records/deletions.html", listed=listed, attention=listed.attention,
                           others=others, next_steps=deletions.NEXT_STEPS,
                           is_overdue=deletions.is_overdue)


@bp.get("/deletions/<public_id>")
@role_required(*ALL_STAFF, "chair")
def deletion(public_id: str):
    """One deletion request, its history and the outcome form."""
    record = visible_or_404(DeletionRequest, current_user, public_id)
    return _render_deletion(record, OutcomeForm(formdata=None))


def _render_deletion(record, form, code=200):
    return render_template(
        "records/deletion.html", request_row=record, form=form, history_rows=deletions.history(record),
        overdue=deletions.is_overdue(record), attention=deletions.needs_attention(record),
        next_steps=deletions.NEXT_STEPS), code


@bp.post("/deletions/<public_id>/outcome")
@role_required(*ALL_STAFF, "chair")
def deletion_outcome(public_id: str):
    """Record what happened to the material."""
    record = visible_or_404(DeletionRequest, current_user, public_id)
    form = OutcomeForm()
    if form.validate_on_submit():
        try:
            deletions.record_outcome(record, current_user, form.outcome.data, form.note.data)
        except deletions.OutcomeError as error:
            form.outcome.errors.append(str(error))
        else:
            flash(_("Outcome saved."))
            return redirect(url_for("records.deletion", public_id=record.public_id), code=303)
    return _render_deletion(record, form, 422)


# A concern about a member of staff: its case manager's part (staff_concerns) ------------------------

def _case_manager_context(record: Breach, forms: dict) -> dict:
    """What the case manager's part of a breach's page shows; nothing for anyone else."""
    if not record.managed_by(current_user):
        return {"case_manager": False}
    deadline = breaches.lado_deadline(record)
    return {
        "case_manager": True,
        "classified": staff_concerns.classification_entry(record),
        "suspension": staff_concerns.suspension_decision(record),
        "lado_deadline": deadline,
        "lado_time_left": working_days.time_left_in_words(deadline, utcnow()) if deadline else "",
        "classify_form": forms.get("classify_form") or ClassifyForm(formdata=None),
        "suspension_form": forms.get("suspension_form") or SuspensionForm(formdata=None),
        "close_form": forms.get("close_form") or CloseAllegationForm(formdata=None),
    }


def _case_manager_or_404(public_id: str, allegation: bool = False) -> Breach:
    """The concern about staff if this user is its case manager (and, with `allegation`, if it
    is one: only an allegation is offered those forms); otherwise a 404."""
    record = visible_or_404(Breach, current_user, public_id)
    if not record.managed_by(current_user):
        abort(404)
    if allegation and record.classification != "allegation":
        abort(404)
    return record


@bp.post("/breaches/<public_id>/classification")
@role_required("head", "chair")
def breach_classify(public_id: str):
    """The case manager classifies a concern about staff, with the reason (a new entry each time)."""
    record = _case_manager_or_404(public_id)
    form = ClassifyForm()
    return _act(record, form, "classify_form", lambda: staff_concerns.classify(
        record, current_user, form.classification.data, form.harm_tests.data or [],
        form.reason.data), _("Classification saved."), form.classification)


@bp.post("/breaches/<public_id>/suspension")
@role_required("head", "chair")
def breach_suspension(public_id: str):
    """The decision on suspension or alternatives while an allegation is looked into."""
    record = _case_manager_or_404(public_id, allegation=True)
    form = SuspensionForm()
    return _act(record, form, "suspension_form", lambda: staff_concerns.decide_suspension(
        record, current_user, form.decision.data, form.reason.data), _("Decision saved."),
        form.decision)


@bp.post("/breaches/<public_id>/allegation-outcome")
@role_required("head", "chair")
def breach_close_allegation(public_id: str):
    """Close an allegation with its outcome; a malicious or false one is removed (to the list)."""
    record = _case_manager_or_404(public_id, allegation=True)
    form = CloseAllegationForm()
    if form.validate_on_submit():
        try:
            removed = staff_concerns.close_allegation(record, current_user, form.closing())
        except breaches.TriageError as error:
            form[error.field or "outcome"].errors.append(str(error))
        else:
            if removed:
                # Translators: the outcome is "malicious" or "false", in lower case
                flash(_("The allegation was closed as %(outcome)s and removed, as Keeping "
                        "Children Safe in Education asks for a %(outcome)s allegation. Its "
                        "history, LADO referral and deletion requests have gone.",
                        outcome=str(ALLEGATION_OUTCOMES[form.outcome.data]).lower()))
                return redirect(url_for("records.concerns"), code=303)
            flash(_("The allegation was closed."))
            return redirect(url_for("records.breach", public_id=record.public_id), code=303)
    return _render_breach(record, code=422, close_form=form)


# Low-level concerns, and who a concern about staff is about (issue 12) ----------------------------

def _low_level_parts(record: Breach, low_level_form=None, subject_form=None) -> dict:
    """What the breach page's low-level and subject-link parts need, for whoever may use them."""
    parts: dict = {"may_record_low_level": low_level.may_record(current_user, record),
                   "may_link_subject": record.managed_by(current_user),
                   "low_level_seen_by_dsl": low_level.seen_by_dsl(record)}
    if parts["may_record_low_level"]:
        parts["low_level_form"] = low_level_form or LowLevelEntryForm(formdata=None)
    if parts["may_link_subject"]:
        parts["subject_form"] = subject_form or SubjectLinkForm(
            formdata=None, subject=low_level.subject_key(record))
        parts["subject_offer"] = low_level.subject_offer(
            search_name(request.args.get("find", "")), parts["subject_form"].subject.data or "")
    return parts


@bp.post("/breaches/<public_id>/low-level")
@role_required(*TRIAGE_ROLES)
def breach_low_level(public_id: str):
    """Record the conversation held or an action taken on a low-level concern."""
    record = visible_or_404(Breach, current_user, public_id)
    if not low_level.may_record(current_user, record):
        abort(404)
    form = LowLevelEntryForm()
    return _act(record, form, "low_level_form", lambda: low_level.add_entry(
        record, current_user, form.entry_kind.data, form.entry_text.data), _("Added."),
        form.entry_kind)


@bp.post("/breaches/<public_id>/subject")
@role_required("head", "chair")
def breach_subject(public_id: str):
    """Link a concern about staff to the account or roster person it is about."""
    record = visible_or_404(Breach, current_user, public_id)
    if not record.managed_by(current_user):
        abort(404)
    form = SubjectLinkForm()
    if form.validate_on_submit():
        try:
            passed_to_chair = low_level.link_subject(record, current_user, form.subject.data)
        except breaches.TriageError as error:
            form.subject.errors.append(str(error))
        else:
            if passed_to_chair:
                flash(_("This concern is about the headteacher, so it has passed to the chair of "
                        "governors, its case manager. The chair has been told; you can no longer "
                        "open it."))
                return redirect(url_for("records.concerns"), code=303)
            flash(_("Saved who it is about."))
            return redirect(url_for("records.breach", public_id=record.public_id), code=303)
    return _render_breach(record, code=422, subject_form=form)


@bp.get("/low-level-concerns")
@role_required("dsl", "head", "chair")
def low_level_log():
    """The low-level concerns log: each person, how many in the last 12 months, patterns
    flagged at the school's threshold."""
    if not low_level.may_see_log(current_user):
        abort(403)
    people = low_level.pattern(current_user)
    audit.record("low_level.log_viewed", kind="breach",
                 shown=[str(b.public_id) for p in people for b in p.concerns])
    return render_template("records/low_level_log.html", people=people,
                           settings=low_level.settings())


@bp.get("/low-level-concerns/person")
@role_required("dsl", "head", "chair")
def low_level_person():
    """One person's low-level concerns: each concern, the conversations held and the actions
    taken, with their dates."""
    if not low_level.may_see_log(current_user):
        abort(403)
    found = low_level.person(current_user, request.args.get("who", "")[:low_level.LONGEST_KEY])
    if found is None:
        abort(404)
    return render_template("records/low_level_person.html", person=found,
                           entries=low_level.entries_for(found.concerns, current_user),
                           settings=low_level.settings())


# Welfare tasks: the case manager's part on a concern about staff, and the DSL's ------------------

def _welfare_panel(record: Breach, failed: tuple | None) -> dict:
    """The case manager's welfare part of a concern about staff (records/_welfare.html): its
    tasks, each with its two forms, and the form to add one; `failed` is (task id or None,
    form) sent back with its errors. Nothing for anyone else."""
    if not record.managed_by(current_user):
        return {"welfare_tasks": []}
    failed_id, failed_form = failed or (None, None)

    def form(cls, task_id):
        if failed_id == task_id and isinstance(failed_form, cls):
            return failed_form
        return cls(formdata=None, prefix=_prefix(cls, task_id))

    tasks = welfare.tasks_of_breach(record)
    add = form(WelfareTaskForm, None)
    if not add.client_uuid.data:
        add.client_uuid.data = str(uuid.uuid4())
    return {"welfare_tasks": [
        {"task": t, "notes": [u for u in welfare.history(t) if u.kind == "welfare_note"],
         "shared": welfare.shared_name(t), "note_form": form(WelfareNoteForm, t.id),
         "share_form": form(ShareNameForm, t.id)} for t in tasks],
        "welfare_add_form": add, "welfare_case_manager": True}


def _prefix(form_class, task_id) -> str:
    """Each task's forms on the concern's page have their own field names and ids."""
    return "" if task_id is None else f"{form_class.__name__.lower()}-{task_id}"


def _case_managed(public_id: str) -> WelfareTask:
    """A task of a concern this user is the case manager of, else a 404."""
    task = visible_or_404(WelfareTask, current_user, public_id)
    if task.breach is None or not task.breach.managed_by(current_user):
        abort(404)
    return task


def _welfare_act(record: Breach, task_id, form, field, action, saved: str):
    """The case manager's action on a concern's welfare: one domain call, back to the concern;
    a refusal beside `field`, the page again with a 422."""
    if form.validate_on_submit():
        try:
            action()
        except welfare.WelfareError as error:
            field.errors.append(str(error))
        except Conflict:
            form.form_errors.append(_("This form was already sent with other details. "
                                      "Please start again."))
        else:
            flash(saved)
            return redirect(url_for("records.breach", public_id=record.public_id), code=303)
    return _render_breach(record, code=422, welfare_form=(task_id, form))


@bp.post("/breaches/<public_id>/welfare")
@role_required("head", "chair")
def breach_welfare_task(public_id: str):
    """The case manager names pupils the reporter did not: a welfare task for the DSL."""
    record = visible_or_404(Breach, current_user, public_id)
    if not record.managed_by(current_user):
        abort(404)
    form = WelfareTaskForm()
    return _welfare_act(record, None, form, form.pupils, lambda: welfare.add_task(
        record, current_user, form.pupils.data, form.client_uuid.data,
        form_fingerprint(request.form)), _("Welfare task added. The DSL can see it now."))


@bp.post("/welfare/<public_id>/case-note")
@role_required("head", "chair")
def welfare_case_note(public_id: str):
    """What the DSL needs to know for the child's welfare, from the case manager."""
    task = _case_managed(public_id)
    form = WelfareNoteForm(prefix=_prefix(WelfareNoteForm, task.id))
    return _welfare_act(task.breach, task.id, form, form.text, lambda: welfare.add_welfare_note(
        task, current_user, form.text.data), _("Added to the DSL's welfare task."))


@bp.post("/welfare/<public_id>/share-name")
@role_required("head", "chair")
def welfare_share_name(public_id: str):
    """The case manager's explicit decision to share the member of staff's name with the DSL."""
    task = _case_managed(public_id)
    form = ShareNameForm(prefix=_prefix(ShareNameForm, task.id))
    return _welfare_act(task.breach, task.id, form, form.confirm,
                        lambda: welfare.share_name(task, current_user),
                        _("The name is shared with the DSL."))


WELFARE_ROLES = ("dsl", "head", "chair")


@bp.get("/welfare")
@role_required(*ALL_STAFF, "chair")
def welfare_list():
    """The welfare tasks waiting for the DSL (and the head's or chair's own), or all of them."""
    if current_user.role not in WELFARE_ROLES:
        abort(404)
    status = request.args.get("status", "open")
    page = welfare.tasks_for(current_user, status, request.args.get("older"),
                             request.args.get("newer"))
    audit.record("welfare_task.list_viewed", kind="welfare_task", list=status,
                 shown=[str(t.public_id) for t in page.rows])
    return render_template("records/welfare_list.html", tasks=page.rows, page=page, status=status)


@bp.get("/welfare/<public_id>")
@role_required(*ALL_STAFF, "chair")
def welfare_task(public_id: str):
    """One welfare task: the pupils, when, what kind, what the case manager shared; the DSL's
    notes, reference and done."""
    task = visible_or_404(WelfareTask, current_user, public_id)
    return _render_task(task)


def _render_task(task: WelfareTask, code=200, **forms):
    return render_template(
        "records/welfare_task.html", task=task, history_rows=list(welfare.history(task)),
        shared=welfare.shared_name(task), about_adult=task.breach_id is not None,
        note_form=forms.get("note_form") or TaskNoteForm(formdata=None),
        reference_form=forms.get("reference_form") or ReferenceForm(
            formdata=None, safeguarding_ref=task.safeguarding_ref),
        status_form=forms.get("status_form") or TaskStatusForm(
            formdata=None, status="open" if task.status == "done" else "done")), code


def _task_act(task: WelfareTask, form, slot: str, field, action, saved: str):
    """The DSL's action on a task: one domain call, back to the task; a refusal beside `field`."""
    if form.validate_on_submit():
        try:
            action()
        except welfare.WelfareError as error:
            field.errors.append(str(error))
        else:
            flash(saved)
            return redirect(url_for("records.welfare_task", public_id=task.public_id), code=303)
    return _render_task(task, code=422, **{slot: form})


@bp.post("/welfare/<public_id>/notes")
@role_required(*WELFARE_ROLES)
def welfare_task_note(public_id: str):
    """A note on a welfare task."""
    task = visible_or_404(WelfareTask, current_user, public_id)
    form = TaskNoteForm()
    return _task_act(task, form, "note_form", form.text, lambda: welfare.add_note(
        task, current_user, form.text.data), _("Note added."))


@bp.post("/welfare/<public_id>/reference")
@role_required(*WELFARE_ROLES)
def welfare_task_reference(public_id: str):
    """The school's safeguarding-system reference for this child's record."""
    task = visible_or_404(WelfareTask, current_user, public_id)
    form = ReferenceForm()
    return _task_act(task, form, "reference_form", form.safeguarding_ref, lambda: welfare.record_reference(
        task, current_user, form.safeguarding_ref.data), _("Reference saved."))


@bp.post("/welfare/<public_id>/status")
@role_required(*WELFARE_ROLES)
def welfare_task_status(public_id: str):
    """Done, or open again."""
    task = visible_or_404(WelfareTask, current_user, public_id)
    form = TaskStatusForm()
    return _task_act(task, form, "status_form", form.status, lambda: welfare.change_status(
        task, current_user, form.status.data, form.note.data), _("Saved."))


# A concern that a family link was not declared: the declarations, for its case manager -----------

def _family_links_box(record: Breach) -> declarations.ForConcern | None:
    """What the member of staff a family-link concern is about has declared, for the head as its
    case manager (records/_family_links.html); None for every other concern and reader. The
    declarations shown are audited as a list seen."""
    found = declarations.for_breach(record, current_user)
    if found is not None and found.declarations:
        audit.record("declaration.list_viewed", kind="declaration", list="breach",
                     shown=[str(d.public_id) for d in found.declarations])
    return found
