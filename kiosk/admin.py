"""The head's desk (and the chair's start page): staff accounts, breach categories, the policy,
set-up, the roster, retention and the audit log."""

from __future__ import annotations

import uuid

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from . import (
    accounts,
    audit,
    breaches,
    declarations,
    devices,
    display,
    low_level,
    mail,
    pasted,
    policies,
    policy_translations,
    retention,
    roster,
    school,
    second_factor,
)
from .access import find_visible, get_or_404, role_required
from .audit_log import LARGEST_ID, check_now, last_check, people_in_log, read_log
from .forms.desk import (
    AuditFilterForm,
    CategoryForm,
    LeftOnForm,
    LowLevelSettingsForm,
    PolicyDraftForm,
    PolicyPublishForm,
    RetentionForm,
    RosterImportForm,
    RosterPersonForm,
    SchoolSetupForm,
    StaffAccountForm,
)
from .forms.devices import DeviceForm, SilentHoursForm
from .forms.policy_translations import PolicyTranslationForm
from .models import (
    Breach,
    BreachCategory,
    Declaration,
    KioskDevice,
    PolicyTranslation,
    PolicyVersion,
    RosterPerson,
    StaffUser,
)
from .qr import qr_data_uri, qr_svg
from .templating import serves
from .text import clean_block, clean_text

bp = Blueprint("admin", __name__, url_prefix="/admin")
serves(bp, "staff")


@bp.get("/chair")
@role_required("chair")
def chair_home():
    """The chair of governors sees only concerns about the headteacher."""
    return redirect(url_for("records.concerns", status="all"))




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
    code = 422 if request.method == "POST" else 200
    return _staff_page(form, code)


def _staff_page(form: StaffAccountForm, code: int):
    """The list of accounts, a row each (name, role, status and "Manage"): each account's
    actions are on its own page, so the list stays small at a trust's hundred accounts."""
    return render_template("admin/staff.html", form=form, users=list(StaffUser.listed()),
                           chair_active=StaffUser.with_role("chair").exists()), code


@bp.get("/staff/<int(max=2147483647):user_id>")
@role_required("head")
def staff_account(user_id: int):
    """One account and what the head can do with it: deactivate or reactivate it, reset its
    password or two-step sign-in, record the day its owner left."""
    return _account_page(_account(user_id), 200)


def _account_page(user: StaffUser, code: int, left_on_form: LeftOnForm | None = None):
    left_on_form = left_on_form or LeftOnForm(formdata=None, prefix=f"u{user.id}",
                                              left_on=user.left_on)
    return render_template("admin/staff_account.html", user=user, left_on_form=left_on_form,
                           second_factor_set_up=second_factor.is_set_up(user)), code


def _account(user_id: int) -> StaffUser:
    """An account the head manages: not the chair's, which guards concerns about the head."""
    user = get_or_404(StaffUser, user_id)
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
        flash(_("You cannot deactivate your own account."))
        return redirect(url_for("admin.staff_accounts"), code=303)
    active = request.form.get("active") == "yes"
    accounts.set_active(user, active)
    if active:
        flash(_("%(name)s can sign in again.", name=user.display_name))
    else:
        flash(_("%(name)s is deactivated and signed out.", name=user.display_name))
    return redirect(url_for("admin.staff_accounts"), code=303)


@bp.post("/staff/<int(max=2147483647):user_id>/reset")
@role_required("head")
def staff_reset(user_id: int):
    """A new temporary password, shown once; the old one and every session stop working."""
    user = _account(user_id)
    password = accounts.temporary_password()
    accounts.set_password(user, password, must_change=True)
    return render_template("admin/password_shown.html", user=user, password=password)


def _second_factor_account(user_id: int) -> StaffUser:
    """An account whose two-step sign-in the head may reset: a DSL's or another head's, set up.
    The chair's is reset only on the server (the chair guards concerns about the head), and so
    is a head's own."""
    user = _account(user_id)
    if (user.id == current_user.id or user.role not in ("dsl", "head")
            or not second_factor.is_set_up(user)):
        abort(404)
    return user


@bp.route("/staff/<int(max=2147483647):user_id>/second-factor", methods=["GET", "POST"])
@role_required("head")
def staff_second_factor(user_id: int):
    """Reset someone's two-step sign-in (a lost phone), after a page that asks to be sure."""
    user = _second_factor_account(user_id)
    if request.method == "GET":
        return render_template("admin/second_factor_reset.html", user=user)
    second_factor.reset(user, by=current_user._get_current_object())
    flash(_("%(name)s's two-step sign-in is reset, and they are signed out. They will set it up "
            "again the next time they sign in.", name=user.display_name))
    return redirect(url_for("admin.staff_accounts"), code=303)


# Breach categories (head) ------------------------------------------------------------------------

@bp.get("/categories")
@role_required("head")
def categories():
    """The categories staff choose from; the head can rename, add and retire them."""
    rows = BreachCategory.in_order()
    return render_template("admin/categories.html", categories=rows, form=CategoryForm(formdata=None))


@bp.route("/categories/<int(max=2147483647):category_id>", methods=["GET", "POST"])
@bp.route("/categories/new", methods=["GET", "POST"], defaults={"category_id": None})
@role_required("head")
def category(category_id: int | None):
    """Edit one category, or add one."""
    row = get_or_404(BreachCategory, category_id) if category_id else None
    form = CategoryForm(obj=row) if request.method == "GET" else CategoryForm()
    if form.validate_on_submit():
        breaches.save_category(row, form.populate_obj)
        flash(_("Category saved."))
        return redirect(url_for("admin.categories"), code=303)
    return render_template("admin/category.html", form=form, category=row), (
        422 if request.method == "POST" else 200)


# The audit log (head) ----------------------------------------------------------------------------

@bp.get("/audit")
@role_required("head")
def audit_log():
    """The log in sentences, newest first, 100 a page (found by the entry either side:
    `before=` or `after=` an entry's number), narrowed by who did it, which record and which
    days; with what the last check of the chain found (the chain is not walked here)."""
    form = AuditFilterForm(request.args, people=people_in_log())
    if not form.validate():
        return render_template("admin/audit.html", form=form, log=None,
                               last_check=last_check(current_user)), 400
    log = read_log(current_user, form.filters(), before=_entry_number("before"),
                   after=_entry_number("after"))
    return render_template("admin/audit.html", form=form, log=log,
                           last_check=log.last_check), 404 if log.missing else 200


def _entry_number(name: str) -> int | None:
    """An entry's number from the address; anything else (typed, damaged, too large) is
    ignored, which shows the newest entries."""
    value = request.args.get(name, "")
    if not (value.isascii() and value.isdigit() and len(value) <= 19):
        return None
    return int(value) if int(value) <= LARGEST_ID else None


@bp.post("/audit/check")
@role_required("head")
def audit_check():
    """Walk the whole chain now; the log records the check and the page shows what it found."""
    check_now(current_user)
    form = AuditFilterForm(request.args, people=people_in_log())
    filters = form.filters().args() if form.validate() else {}
    return redirect(url_for("admin.audit_log", **filters), code=303)


# Policy versions (head) --------------------------------------------------------------------------

LARGE_FORM_BYTES = 2 * 1024 * 1024  # a whole policy, or a roster spreadsheet
LARGE_FORM_ENDPOINTS = {"admin.policy", "admin.policy_preview", "admin.policy_paste",
                        "admin.roster_import"}
# Two pictures of up to 5 MB each (school.MAX_UPLOAD_BYTES), and the form around them. A larger
# picture within this is refused beside its field; beyond it, the 413 page says what to do.
PICTURES_FORM_BYTES = 11 * 1024 * 1024


def allow_large_forms() -> None:
    """The head's policy text, roster files and pictures may be larger than a visitor's form.
    Registered before the CSRF check, which is the first to read a form; only for the head
    signed in, so nobody else can make the server read megabytes."""
    if not (current_user.is_authenticated and current_user.role == "head"):
        return
    if request.endpoint in LARGE_FORM_ENDPOINTS:
        request.max_content_length = LARGE_FORM_BYTES
        request.max_form_memory_size = LARGE_FORM_BYTES
    elif request.endpoint == "admin.setup":
        request.max_content_length = PICTURES_FORM_BYTES
        # Werkzeug applies this to its read buffer too, which a picture's part can fill past a
        # visitor-sized limit; the set-up's text fields are small and checked by the form.
        request.max_form_memory_size = LARGE_FORM_BYTES


# The school's set-up (head) ----------------------------------------------------------------------

@bp.route("/setup", methods=["GET", "POST"])
@role_required("head")
def setup():
    """The school's first day, and any day after: name, logo, DSL, the public address, the
    policy's review date, the thank-you's next step, the privacy contact."""
    settings = school.settings()
    current = PolicyVersion.current()
    if request.method == "GET":
        form = SchoolSetupForm(obj=settings, review_due=current.review_due if current else None)
        form.school_name.data = form.school_name.data or school.school_name()
        form.thanks_next_step.data = form.thanks_next_step.data or school.DEFAULT_NEXT_STEP
    else:
        form = SchoolSetupForm()
    form.saved_review_due = current.review_due if current else None
    if form.validate_on_submit():
        first_time = not school.setup_complete()
        school.save_setup(school.SetupDetails(
            school_name=form.school_name.data, dsl_name=form.dsl_name.data,
            public_url=form.public_url.data or "", thanks_next_step=form.thanks_next_step.data,
            privacy_contact=form.privacy_contact.data, review_due=form.review_due.data,
            logo=form.logo_image, dsl_photo=form.dsl_photo_image,
            remove_logo=form.remove_logo.data, remove_dsl_photo=form.remove_dsl_photo.data))
        flash(_("Set-up saved. Next, add your staff and print the poster for the entrance.")
              if first_time else _("Set-up saved."))
        return redirect(url_for("admin.setup"), code=303)
    return render_template("admin/setup.html", form=form, current=current,
                           address_problem=school.public_url_problem(),
                           first_time=not school.setup_complete()), (
        422 if request.method == "POST" else 200)


@bp.route("/policy", methods=["GET", "POST"])
@role_required("head")
def policy():
    """Draft the next version with a preview and the changes against the current one; publishing
    saves the draft and asks for confirmation on the next page."""
    # Stored values fill the form only when it is opened: a post must carry every field itself.
    form = PolicyDraftForm(obj=policies.current_draft()) if request.method == "GET" else PolicyDraftForm()
    current = PolicyVersion.current()
    if form.validate_on_submit():
        draft = policies.save_draft(form.title.data, form.body.data, form.key_points.data,
                                    form.review_due.data)
        if request.form.get("action") != "publish":
            flash(_("Draft saved."))
            return redirect(url_for("admin.policy"), code=303)
        problem = policies.publish_problem(draft)
        if problem is None:
            return redirect(url_for("admin.policy_publish"), code=303)
        form.form_errors.append(problem)
    return render_template(
        "admin/policy.html", form=form, current=current, preview=policies.render_markdown(
            form.body.data or ""),
        changes=policies.changes_between(current, form.title.data or "", form.body.data or "",
                                         form.key_points.data or ""),
        versions=PolicyVersion.newest_first()), (
        422 if request.method == "POST" else 200)


@bp.route("/policy/publish", methods=["GET", "POST"])
@role_required("head")
def policy_publish():
    """Confirm publishing the saved draft: who on the roster will be asked to accept again, or
    publish it as a minor change that keeps their acceptances. Nothing is published without
    this second step."""
    try:
        plan = policies.publish_plan()
    except policies.PublishError as error:
        flash(str(error))
        return redirect(url_for("admin.policy"), code=303)
    # The safe choice is ticked when the page opens; a post must carry its own.
    form = (PolicyPublishForm(change="full", confirms=plan.confirms) if request.method == "GET"
            else PolicyPublishForm())
    if form.validate_on_submit():
        try:
            version = policies.publish(form.confirms.data, minor=form.change.data == "minor")
        except policies.PublishError as error:
            form.form_errors.append(str(error))
            form.confirms.data = plan.confirms  # what this page now shows is what is confirmed
        else:
            flash(_published_message(version, plan))
            return redirect(url_for("admin.policy"), code=303)
    return render_template("admin/policy_publish.html", form=form, plan=plan), (
        422 if request.method == "POST" else 200)


def _published_message(version: PolicyVersion, plan: policies.PublishPlan) -> str:
    if version.minor_change:
        return _("Published as version %(number)d, a minor change to version %(before)d. Nobody "
                 "is asked to accept it again.", number=version.number, before=version.number - 1)
    if not plan.accepted:
        return _("Published as version %(number)d. Nobody on the roster had accepted the version "
                 "before, so nobody more is asked to accept again. Visitors accept it at their "
                 "next visit.", number=version.number)
    return ngettext("Published as version %(number)d. %(num)d person on the roster who had "
                    "accepted the version before is now asked to accept it. Visitors accept it at "
                    "their next visit.",
                    "Published as version %(number)d. %(num)d people on the roster who had "
                    "accepted the version before are now asked to accept it. Visitors accept it "
                    "at their next visit.", plan.accepted, number=version.number)


@bp.post("/policy/preview")
@role_required("head")
def policy_preview():
    """The live preview: sanitised HTML and the changes, for the draft as typed so far."""
    body = clean_block(request.form.get("body", ""))
    changes = policies.changes_between(PolicyVersion.current(),
                                       clean_text(request.form.get("title", "")), body,
                                       clean_block(request.form.get("key_points", "")))
    return jsonify(html=policies.render_markdown(body),
                   changes=[{"kind": change.kind, "text": change.text} for change in changes])


@bp.post("/policy/paste")
@role_required("head")
def policy_paste():
    """What was pasted from Word or a web page, as safe Markdown for the editor to insert."""
    data = request.get_json(silent=True)
    html = data.get("html") if isinstance(data, dict) else None
    if not isinstance(html, str) or not html.strip():
        return jsonify(error=_("Nothing was pasted.")), 400
    try:
        markdown = pasted.pasted_markdown(html)
    except RecursionError:  # formatting nested thousands deep: no document a school writes
        return jsonify(error=_("What was pasted is nested too deeply to keep its formatting.")), 422
    if not markdown:
        return jsonify(error=_("Nothing in what was pasted could be kept.")), 422
    return jsonify(markdown=markdown)


# The roster (head) -------------------------------------------------------------------------------

@bp.route("/roster", methods=["GET", "POST"])
@role_required("head")
def roster_people():
    """Everyone in scope who must accept each version; add one by hand."""
    form = RosterPersonForm()
    if form.validate_on_submit():
        try:
            person = roster.add_person(form.full_name.data, form.email.data, form.role.data)
        except roster.RosterError as error:
            form.email.errors.append(str(error))
        else:
            flash(_("%(name)s was added.", name=person.full_name))
            return redirect(url_for("admin.roster_people"), code=303)
    listed = roster.listed_with_status(_id_arg("after"), _id_arg("before"))
    return render_template("admin/roster.html", form=form, people=listed.people, listed=listed,
                           current=PolicyVersion.current()), (
        422 if request.method == "POST" else 200)


def _id_arg(name: str) -> int | None:
    """A record's number from the address (?after=12), or None for anything else."""
    raw = request.args.get(name, "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None


@bp.route("/roster/import", methods=["GET", "POST"])
@role_required("head")
def roster_import():
    """Upload a CSV, see what each row will do or why it will be skipped, then import the rows
    that can be; the skipped ones are listed again after."""
    form = RosterImportForm()
    rows, problem, counts = None, None, None
    if form.validate_on_submit():
        text = form.csv_content()
        if text is not None:
            try:
                rows = roster.parse_import(text)
                if request.form.get("action") == "confirm":
                    counts = roster.apply_import(rows)
                    if not counts["skipped"]:
                        flash(_("Imported: %(added)s added, %(updated)s updated, "
                                "%(unchanged)s unchanged.", added=counts["add"],
                                updated=counts["update"], unchanged=counts["unchanged"]))
                        return redirect(url_for("admin.roster_people"), code=303)
                else:
                    form.csv_text.data = text
            except roster.RosterError as error:
                problem = str(error)
    code = 200 if request.method == "GET" or (rows is not None and not problem) else 422
    return render_template("admin/roster_import.html", form=form, rows=rows, problem=problem,
                           counts=counts), code


@bp.get("/roster/import/template.csv")
@role_required("head")
def roster_import_template():
    """A CSV to fill in: the columns, and an example line."""
    return Response(roster.IMPORT_TEMPLATE, mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="roster-template.csv"'})


@bp.get("/roster/<int(max=2147483647):person_id>")
@role_required("head")
def roster_person(person_id: int):
    """One person's personal link and QR code, to print or send."""
    person = get_or_404(RosterPerson, person_id)
    latest, accepted, current = roster.status_for(person)
    return render_template("admin/roster_person.html", person=person, latest=latest,
                           accepted=accepted, current=current, link=roster.shown_link(person),
                           left_on_form=LeftOnForm(formdata=None, left_on=person.left_on))


@bp.get("/roster/<int(max=2147483647):person_id>/qr.svg")
@role_required("head")
def roster_qr(person_id: int):
    """The QR code of one person's personal link."""
    person = get_or_404(RosterPerson, person_id)
    return Response(qr_svg(roster.personal_link(person)), mimetype="image/svg+xml")


@bp.post("/roster/<int(max=2147483647):person_id>/active")
@role_required("head")
def roster_active(person_id: int):
    """Take someone off the roster (their records stay), or put them back."""
    person = get_or_404(RosterPerson, person_id)
    active = request.form.get("active") == "yes"
    roster.set_active(person, active)
    if active:
        flash(_("%(name)s is back on the roster.", name=person.full_name))
    else:
        flash(_("%(name)s is off the roster.", name=person.full_name))
    return redirect(url_for("admin.roster_people"), code=303)


@bp.post("/roster/<int(max=2147483647):person_id>/new-link")
@role_required("head")
def roster_new_link(person_id: int):
    """Give someone a new personal link; the old one stops working at once."""
    person = roster.new_link(get_or_404(RosterPerson, person_id))
    flash(_("%(name)s has a new personal link. The old one no longer works.",
            name=person.full_name))
    return redirect(url_for("admin.roster_person", person_id=person.id), code=303)


@bp.get("/roster/outstanding")
@role_required("head")
def roster_outstanding():
    """Who has not accepted the current version, filterable by role."""
    role = request.args.get("role", "")
    entries = roster.outstanding(role or None)
    return render_template("admin/outstanding.html", entries=entries, role=role,
                           current=PolicyVersion.current(), can_email=mail.configured(),
                           email_gap=retention.in_words(current_app.config["KIOSK_REMINDER_MIN_DAYS"]))


@bp.get("/roster/letters")
@role_required("head")
def roster_letters():
    """A letter to print for each person still to accept: one A4 page each, with their QR code
    and personal link (for a school whose kiosk cannot send email)."""
    role = request.args.get("role", "")
    batch = roster.hand_out("letters", role or None,
                            page=request.args.get("page", 1, type=int) or 1)
    return render_template("admin/letters.html", batch=batch, letters=batch.items,
                           current=PolicyVersion.current(), qr=qr_data_uri, today=display.today(),
                           address_problem=school.public_url_problem(), role=role)


@bp.get("/roster/links")
@role_required("head")
def roster_links():
    """The names and personal links of everyone still to accept, as text to copy."""
    role = request.args.get("role", "")
    return render_template("admin/links.html", links=roster.hand_out("links", role or None).items,
                           address_problem=school.public_url_problem(), role=role)


@bp.post("/roster/remind")
@role_required("head")
def roster_remind():
    """Email a reminder with their personal link to everyone outstanding who may be reminded."""
    role = request.form.get("role", "")
    try:
        sent, skipped, failed = roster.send_reminders(current_user, role or None)
    except roster.RosterError as error:
        flash(str(error))
    else:
        if failed:
            flash(_("Reminders sent: %(sent)d. Not sent because reminded recently: %(skipped)d. "
                    "Could not be sent: %(failed)d.", sent=sent, skipped=skipped, failed=failed))
        else:
            flash(_("Reminders sent: %(sent)d. Not sent because reminded recently: %(skipped)d.",
                    sent=sent, skipped=skipped))
    return redirect(url_for("admin.roster_outstanding", role=role or None), code=303)


# Retention (head) --------------------------------------------------------------------------------

# The retention page counts what the next clean-up removes this far, and says "more than" past it.
DUE_COUNTED_UP_TO = 10_000


@bp.route("/retention", methods=["GET", "POST"])
@role_required("head", "chair")
def retention_settings():
    """How long each kind of record is kept (the head), and the safeguarding records due for
    review (the head; the chair for concerns about the head)."""
    if request.method == "POST" and current_user.role != "head":
        abort(403)
    saved = retention.all_settings()
    form = RetentionForm.showing(saved) if request.method == "GET" else RetentionForm()
    form.saved = saved
    if form.validate_on_submit():
        retention.set_periods(form.chosen_days())
        flash(_("Retention settings saved."))
        return redirect(url_for("admin.retention_settings"), code=303)
    last_purged = retention.last_purged_at()
    return render_template("admin/retention.html", form=form, kinds=retention.LABELS,
                           review=retention.due_for_review(current_user),
                           default_words={kind: retention.in_words(days)
                                          for kind, (_label, days) in retention.KINDS.items()},
                           last_purged=last_purged,
                           purge_overdue=retention.purge_overdue(last_purged),
                           due_to_go=(retention.plan_purge().counts(up_to=DUE_COUNTED_UP_TO)
                                      if current_user.role == "head" else None),
                           counted_up_to=DUE_COUNTED_UP_TO), (
        422 if request.method == "POST" else 200)


@bp.post("/retention/<public_id>")
@role_required("head", "chair")
def retention_decision(public_id: str):
    """Keep a safeguarding record for longer, or delete it."""
    record = find_visible(Breach, current_user, public_id)
    if record is None or record not in retention.due_for_review(current_user):
        abort(404)
    decision = request.form.get("decision")
    if decision == "delete":
        retention.delete_reviewed(record)
        flash(_("The record was deleted."))
    elif decision in ("1", "3", "6"):
        retention.keep(record, int(decision))
        flash(ngettext("The record will be kept for %(num)d more year.",
                       "The record will be kept for %(num)d more years.", int(decision)))
    else:
        abort(400)
    return redirect(url_for("admin.retention_settings"), code=303)


# Low-level concerns: the school's choices, and the day someone left (head; issue 12) -------------

@bp.route("/low-level-concerns", methods=["GET", "POST"])
@role_required("head")
def low_level_settings():
    """Who leads on low-level concerns about staff with the head, and the pattern threshold."""
    saved = low_level.settings()
    form = (LowLevelSettingsForm(lead=saved.lead, threshold=str(saved.threshold))
            if request.method == "GET" else LowLevelSettingsForm())
    if form.validate_on_submit():
        low_level.save_settings(form.lead.data, int(form.threshold.data))
        flash(_("Saved."))
        return redirect(url_for("admin.low_level_settings"), code=303)
    return render_template("admin/low_level.html", form=form), (
        422 if request.method == "POST" else 200)


@bp.post("/staff/<int(max=2147483647):user_id>/left-on")
@role_required("head")
def staff_left_on(user_id: int):
    """Record the day a member of staff left (their low-level concerns are reviewed then)."""
    user = _account(user_id)
    form = LeftOnForm(prefix=f"u{user.id}")
    if form.validate_on_submit():
        accounts.set_left_on(user, form.left_on.data)
        flash(_left_on_message(user.display_name, form.left_on.data))
        return redirect(url_for("admin.staff_accounts"), code=303)
    return _account_page(user, 422, form)


@bp.post("/roster/<int(max=2147483647):person_id>/left-on")
@role_required("head")
def roster_left_on(person_id: int):
    """Record the day someone on the roster stopped working or volunteering at the school."""
    person = get_or_404(RosterPerson, person_id)
    form = LeftOnForm()
    if form.validate_on_submit():
        roster.set_left_on(person, form.left_on.data)
        flash(_left_on_message(person.full_name, form.left_on.data))
        return redirect(url_for("admin.roster_person", person_id=person.id), code=303)
    latest, accepted, current = roster.status_for(person)
    return render_template("admin/roster_person.html", person=person, latest=latest,
                           accepted=accepted, current=current, link=roster.shown_link(person),
                           left_on_form=form), 422


def _left_on_message(name: str, day) -> str:
    if day is None:
        return _("%(name)s is recorded as still working at the school.", name=name)
    return _("%(name)s is recorded as leaving on %(day)s.", name=name, day=display.long_date(day))


# Declarations of family links (head) ----------------------------------------------------------------

@bp.get("/family-links")
@role_required("head")
def family_links():
    """Every declaration of a family link: who declared it, acknowledged or not, those not
    confirmed for over a year flagged, the ended ones apart."""
    listed = declarations.listed_for(current_user)
    audit.record("declaration.list_viewed", kind="declaration", list="all", shown=listed.shown)
    return render_template("admin/family_links.html", listed=listed,
                           needs_confirming=declarations.needs_confirming)


@bp.post("/family-links/<public_id>/acknowledge")
@role_required("head")
def acknowledge_family_link(public_id: str):
    """The head has read a declaration (once)."""
    declaration = find_visible(Declaration, current_user, public_id)
    if declaration is None:
        abort(404)
    try:
        declarations.acknowledge(declaration, current_user)
    except declarations.DeclarationError as error:
        flash(str(error))
    else:
        flash(_("Acknowledged %(name)s's link with %(who)s.",
                name=declaration.declarer.display_name, who=declaration.who))
    return redirect(url_for("admin.family_links"), code=303)


# Kiosk devices (head) ----------------------------------------------------------------------------

def _device_or_404(public_id: str) -> KioskDevice:
    try:
        key = uuid.UUID(public_id)
    except ValueError:
        abort(404)
    device = KioskDevice.get_or_none(KioskDevice.public_id == key)
    if device is None:
        abort(404)
    return device


def _devices_page(form: DeviceForm | None = None, code: str = "", paired_device=None,
                  silent_form: SilentHoursForm | None = None, status: int = 200):
    return render_template(
        "admin/devices.html", listed=devices.listing(), form=form or DeviceForm(formdata=None),
        code=code, code_for=paired_device, code_minutes=devices.CODE_MINUTES,
        silent_form=silent_form or SilentHoursForm(formdata=None, hours=devices.silent_hours()),
        silent_hours=devices.silent_hours(), release=devices.release(),
        pair_url=school.public_url() + url_for("public.pair_device")), status


@bp.route("/devices", methods=["GET", "POST"])
@role_required("head")
def kiosk_devices():
    """The school's kiosk tablets: add one (its pairing code is shown once, here), see when each
    was last seen and what it reported, revoke one."""
    if request.method == "GET":
        return _devices_page()
    form = DeviceForm()
    if not form.validate_on_submit():
        return _devices_page(form=form, status=422)
    device, code = devices.add(form.name.data)
    return _devices_page(code=code, paired_device=device)


@bp.post("/devices/<public_id>/code")
@role_required("head")
def device_code(public_id: str):
    """A new pairing code for a device (to pair it again)."""
    device = _device_or_404(public_id)
    try:
        code = devices.new_code(device)
    except devices.DeviceError as error:
        flash(str(error))
        return redirect(url_for("admin.kiosk_devices"), code=303)
    return _devices_page(code=code, paired_device=device)


@bp.post("/devices/<public_id>/revoke")
@role_required("head")
def device_revoke(public_id: str):
    device = _device_or_404(public_id)
    try:
        devices.revoke(device)
    except devices.DeviceError as error:
        flash(str(error))
    else:
        flash(_("“%(name)s” is no longer a kiosk. The tablet stops being one the next time it "
                "is used or checks in (within five minutes, if it is switched on).",
                name=device.name))
    return redirect(url_for("admin.kiosk_devices"), code=303)


@bp.post("/devices/silent")
@role_required("head")
def devices_silent():
    form = SilentHoursForm()
    if form.validate_on_submit():
        devices.set_silent_hours(form.hours.data)
        flash(_("Saved."))
        return redirect(url_for("admin.kiosk_devices"), code=303)
    return _devices_page(silent_form=form, status=422)


# Translations of the current policy version (kiosk/policy_translations.py).


def _version_to_translate() -> PolicyVersion:
    version = PolicyVersion.current()
    if version is None:
        abort(404)
    return version


@bp.get("/policy/translations")
@role_required("head")
def policy_translations_list():
    """The current version's translations: which languages have one, since when, by whom."""
    version = _version_to_translate()
    return render_template(
        "admin/policy_translations.html", version=version,
        languages=policy_translations.TRANSLATABLE,
        offered=policy_translations.current_translations(version),
        history=version.translations.order_by(PolicyTranslation.created_at.desc(),
                                              PolicyTranslation.id.desc()))


@bp.route("/policy/translations/<language>", methods=["GET", "POST"])
@role_required("head")
def policy_translation(language: str):
    """Add or replace the translation of the current version in one language."""
    if language not in policy_translations.TRANSLATABLE:
        abort(404)
    version = _version_to_translate()
    start = policy_translations.starting_text(version, language)
    form = PolicyTranslationForm(obj=start) if request.method == "GET" else PolicyTranslationForm()
    form.version = version
    if request.method == "GET":
        form.of_version.data = str(version.number)
        if start is None:
            form.english_applies.data = True
    if form.validate_on_submit():
        policy_translations.save(version, language, title=form.title.data, body=form.body.data,
                                 key_points=form.key_points.data,
                                 english_applies=form.english_applies.data,
                                 by=current_user.display_name)
        flash(_("Saved. The kiosk and phones now offer %(version)s in %(language)s.",
                version=version.label, language=policy_translations.TRANSLATABLE[language]))
        return redirect(url_for("admin.policy_translations_list"), code=303)
    return render_template(
        "admin/policy_translation.html", form=form, version=version, translating_to=language,
        language_name=policy_translations.TRANSLATABLE[language], start=start,
        language_direction=policy_translations.direction_of(language),
        replacing=PolicyTranslation.offered(version, language)), (
        422 if request.method == "POST" else 200)


@bp.post("/policy/translations/<int:translation_id>/withdraw")
@role_required("head")
def policy_translation_withdraw(translation_id: int):
    """Stop offering a translation; acceptances of it keep naming it."""
    translation = PolicyTranslation.get_or_none(PolicyTranslation.id == translation_id)
    if translation is None:
        abort(404)
    policy_translations.withdraw(translation)
    flash(_("The %(language)s translation is no longer offered. Readers in %(language)s see the "
            "English text.", language=policy_translations.TRANSLATABLE.get(
                translation.language, translation.language)))
    return redirect(url_for("admin.policy_translations_list"), code=303)
