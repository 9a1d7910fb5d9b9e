"""The DSL, the headteacher and the chair: triage, restricted records, the LADO, accounts, audit."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from peewee import fn

from . import accounts, audit, breaches, deletions
from .access import LEADS, find_visible, role_required
from .accounts import ROLE_LABELS
from .audit import verify_chain
from .models import (
    Acceptance,
    AuditEvent,
    Breach,
    BreachCategory,
    DeletionRequest,
    LadoReferral,
    StaffUser,
    db,
)
from .record_forms import CategoryForm, LadoForm, NoteForm, StaffAccountForm, StatusForm
from .staff import render_breach

bp = Blueprint("admin", __name__, url_prefix="/admin")
TRIAGE_ROLES = (*LEADS, "chair")


@bp.get("/concerns")
@role_required(*TRIAGE_ROLES)
def concerns():
    """Every breach this lead may see, filtered by status; overdue LADO referrals flagged."""
    status = request.args.get("status", "open")
    query = Breach.visible_to(current_user).order_by(Breach.created_at.desc())
    if status in breaches.STATUSES:
        query = query.where(Breach.status == status)
    rows = list(query.limit(500))
    referrals = {r.breach_id: r for r in LadoReferral.select().where(
        LadoReferral.breach.in_([b.id for b in rows]))} if rows else {}
    audit.record("breach.list_viewed", kind="breach", list=f"concerns:{status}",
                 shown=[str(b.public_id) for b in rows])
    return render_template("admin/concerns.html", breaches=rows, status=status,
                           statuses=breaches.STATUSES, kinds=breaches.SUBJECT_KINDS,
                           lado_overdue={b.id: breaches.lado_overdue(b, referrals.get(b.id))
                                         for b in rows})


@bp.get("/chair")
@role_required("chair")
def chair_home():
    """The chair of governors sees only concerns about the headteacher."""
    return redirect(url_for("admin.concerns", status="all"))


def _triage_target(public_id: str) -> Breach:
    record = find_visible(Breach, current_user, public_id)
    if record is None:
        abort(404)
    return record


@bp.post("/breaches/<public_id>/status")
@role_required(*TRIAGE_ROLES)
def breach_status(public_id: str):
    """Open, in review or closed; closing needs an outcome note."""
    record = _triage_target(public_id)
    form = StatusForm()
    if form.validate_on_submit():
        try:
            breaches.change_status(record, current_user, form.status.data, form.note.data)
        except breaches.TriageError as error:
            form.status.errors.append(str(error))
        else:
            flash("Status saved.")
            return redirect(url_for("staff.breach", public_id=record.public_id), code=303)
    return render_breach(record, status_form=form, code=422)


@bp.post("/breaches/<public_id>/notes")
@role_required(*TRIAGE_ROLES)
def breach_note(public_id: str):
    """Add a note or an action; the history keeps everything."""
    record = _triage_target(public_id)
    form = NoteForm()
    if form.validate_on_submit():
        breaches.add_note(record, current_user, form.kind.data, form.text.data)
        flash("Added.")
        return redirect(url_for("staff.breach", public_id=record.public_id), code=303)
    return render_breach(record, note_form=form, code=422)


@bp.post("/breaches/<public_id>/lado")
@role_required("head", "chair")
def breach_lado(public_id: str):
    """The LADO referral of a restricted concern."""
    record = _triage_target(public_id)
    if not record.restricted:
        abort(404)
    form = LadoForm()
    if form.validate_on_submit():
        breaches.record_lado(record, current_user, breaches.LadoDetails(
            referred_at=form.referred_at.data, reference=form.reference.data,
            advice=form.advice.data, police_involved=form.police_involved.data,
            outcome=form.outcome.data))
        flash("LADO referral saved.")
        return redirect(url_for("staff.breach", public_id=record.public_id), code=303)
    return render_breach(record, lado_form=form, code=422)


@bp.get("/chronology")
@role_required(*LEADS)
def chronology():
    """One adult's acceptances, breaches and deletion requests, in date order."""
    name = " ".join(request.args.get("name", "").split())[:100]
    events = []
    if len(name) >= 2:
        lowered = name.lower()
        for row in Acceptance.select().where(fn.LOWER(Acceptance.full_name) == lowered):
            events.append((row.accepted_at, "acceptance", row))
        for row in Breach.visible_to(current_user).where(fn.LOWER(Breach.subject_name) == lowered):
            events.append((row.occurred_at, "breach", row))
        for row in DeletionRequest.visible_to(current_user).where(
                fn.LOWER(DeletionRequest.person_name) == lowered):
            events.append((row.asked_at, "deletion", row))
        events.sort(key=lambda e: e[0])
        audit.record("chronology.viewed", kind="person", records=len(events),
                     shown=[str(getattr(e[2], "public_id", e[2].client_uuid)) for e in events])
    return render_template("admin/chronology.html", name=name, events=events,
                           kinds=breaches.SUBJECT_KINDS, outcomes=deletions.OUTCOMES,
                           materials=deletions.MATERIALS)


# Staff accounts (head) ---------------------------------------------------------------------------

@bp.route("/staff", methods=["GET", "POST"])
@role_required("head")
def staff_accounts():
    """List accounts and add one; the new person gets a temporary password to change."""
    form = StaffAccountForm()
    new_password = None
    if form.validate_on_submit():
        new_password = accounts.temporary_password()
        try:
            user = accounts.create_user(form.email.data, form.display_name.data, form.role.data,
                                        new_password, must_change_password=True)
        except accounts.AccountError as error:
            form.email.errors.append(str(error))
            new_password = None
        else:
            return render_template("admin/password_shown.html", user=user, password=new_password)
    users = StaffUser.select().order_by(StaffUser.active.desc(), StaffUser.display_name)
    code = 422 if request.method == "POST" else 200
    return render_template("admin/staff.html", form=form, users=users, roles=ROLE_LABELS,
                           chair_active=StaffUser.with_role("chair").exists()), code


def _account(user_id: int) -> StaffUser:
    """An account the head manages: not the chair's, which guards concerns about the head."""
    user = StaffUser.get_or_none(StaffUser.id == user_id)
    if user is None:
        abort(404)
    if user.role == "chair":
        audit.record("access.refused", kind="staff_user", record_id=user.id)
        abort(403)
    return user


@bp.post("/staff/<int(max=2147483647):user_id>/active")
@role_required("head")
def staff_active(user_id: int):
    """Deactivate (signed out everywhere at once) or reactivate an account."""
    user = _account(user_id)
    if user.id == current_user.id:
        flash("You cannot deactivate your own account.")
        return redirect(url_for("admin.staff_accounts"), code=303)
    active = request.form.get("active") == "yes"
    accounts.set_active(user, active)
    flash(f"{user.display_name} {'can sign in again' if active else 'is deactivated and signed out'}.")
    return redirect(url_for("admin.staff_accounts"), code=303)


@bp.post("/staff/<int(max=2147483647):user_id>/reset")
@role_required("head")
def staff_reset(user_id: int):
    """A new temporary password, shown once; the old one and every session stop working."""
    user = _account(user_id)
    password = accounts.temporary_password()
    accounts.set_password(user, password, must_change=True)
    return render_template("admin/password_shown.html", user=user, password=password)


# Breach categories (head) ------------------------------------------------------------------------

@bp.get("/categories")
@role_required("head")
def categories():
    """The categories staff choose from; the head can rename, add and retire them."""
    rows = BreachCategory.select().order_by(BreachCategory.position, BreachCategory.id)
    return render_template("admin/categories.html", categories=rows, form=CategoryForm(formdata=None))


@bp.route("/categories/<int(max=2147483647):category_id>", methods=["GET", "POST"])
@bp.route("/categories/new", methods=["GET", "POST"], defaults={"category_id": None})
@role_required("head")
def category(category_id: int | None):
    """Edit one category, or add one."""
    row = BreachCategory.get_or_none(BreachCategory.id == category_id) if category_id else None
    if category_id and row is None:
        abort(404)
    form = CategoryForm(obj=row)
    if form.validate_on_submit():
        with db.atomic():
            if row is None:
                last = BreachCategory.select(fn.MAX(BreachCategory.position)).scalar() or 0
                row = BreachCategory(slug=f"custom-{BreachCategory.select().count() + 1}",
                                     position=last + 1)
            form.populate_obj(row)
            row.save()
            audit.record("category.saved", kind="breach_category", record_id=row.id,
                         label=row.label, safeguarding=row.safeguarding, restricted=row.restricted,
                         active=row.active)
        flash("Category saved.")
        return redirect(url_for("admin.categories"), code=303)
    return render_template("admin/category.html", form=form, category=row), (
        422 if request.method == "POST" else 200)


# The audit log (head) ----------------------------------------------------------------------------

@bp.get("/audit")
@role_required("head")
def audit_log():
    """The newest events first, 100 a page, with the chain checked."""
    page = min(max(request.args.get("page", 1, type=int), 1), 100_000)
    events = audit.visible_events(current_user).order_by(AuditEvent.id.desc()).paginate(page, 100)
    checked, problem = verify_chain()
    audit.record("audit.viewed", kind="audit_event", page=page)
    return render_template("admin/audit.html", events=events, page=page, checked=checked,
                           problem=problem)
