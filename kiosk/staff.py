"""Signed-in staff on the classroom iPad: quick actions, logging a breach, deletion requests."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from . import (
    audit,
    breaches,
    declarations,
    deletions,
    disclosures,
    permissions,
    school,
    todays_visitors,
    welfare,
)
from .access import ALL_STAFF, LEADS, find_visible, role_required
from .display import today
from .forms.declarations import DeclarationForm
from .forms.records import BreachForm, DeletionRequestForm, TodaysVisitorSearch
from .forms.welfare import DisclosureForm
from .idempotency import Conflict, form_fingerprint
from .models import (
    Acceptance,
    Breach,
    BreachCategory,
    utcnow,
)
from .paging import PAGE_SIZE
from .templating import serves
from .vocabulary import SUBJECT_KINDS

bp = Blueprint("staff", __name__, url_prefix="/staff")
serves(bp, "staff")


def _searched() -> TodaysVisitorSearch:
    """The search for one of today's visitors, as the address gives it (none on a POST)."""
    return TodaysVisitorSearch(request.args)


def _offer(chosen: str = "") -> todays_visitors.Offer:
    """Today's visitors to offer as tiles: the newest, or those the search found, with the one
    already chosen on the form."""
    return todays_visitors.offer(current_app.config["KIOSK_TIMEZONE"],
                                 _searched().search.data, chosen)


@bp.get("/")
@role_required(*ALL_STAFF)
def home():
    """Large tiles for the common jobs; the leads also see what is waiting for them."""
    user = current_user
    waiting = breaches.new_concerns_count(user) if user.role in LEADS else 0
    attention = deletions.attention_count(user) if user.role in LEADS else 0
    # A child's disclosure the page's script sent: the thank-you for it (only for one of theirs
    # the server holds, so nobody is told "the DSL has been told" when it has not).
    thanks = disclosures.thanks_for(user, request.args.get("saved", ""))
    if thanks:
        flash(thanks)
    permission_waiting = permissions.waiting_counts() if user.role == "head" else (0, 0)
    return render_template("staff/home.html", waiting=waiting, attention=attention,
                           permission_waiting=permission_waiting,
                           welfare_waiting=welfare.waiting_count(user) if user.role in LEADS else 0,
                           setup_done=school.setup_complete(),
                           **_family_link_callouts(user))


@bp.get("/visitors")
@role_required(*ALL_STAFF)
def visitors():
    """Today's acceptances, newest first a page at a time, how many, and a search by name."""
    search = _searched()
    listing = todays_visitors.listing(current_app.config["KIOSK_TIMEZONE"], search.search.data,
                                      request.args.get("before", ""))
    return render_template("staff/visitors.html", listing=listing, search=search)


# Logging a breach: who, then what, then details ---------------------------------------------------

@bp.get("/breaches/new")
@role_required(*ALL_STAFF)
def new_breach():
    """Step 1, who; step 2, what (the kinds that fit who it was); step 3, the details form.
    Each step is one tap."""
    who = request.args.get("who", "")
    category_slug = request.args.get("category", "")
    acceptance = Acceptance.by_client_uuid(request.args.get("acceptance", ""))
    if acceptance is not None and who not in SUBJECT_KINDS:
        who = breaches.SUBJECT_FOR_ROLE.get(acceptance.role, "unknown")
    if who not in SUBJECT_KINDS:
        return render_template("staff/breach_who.html", today=_offer(), search=_searched())
    category = BreachCategory.in_use_by_slug(category_slug)
    if category is None or not breaches.category_fits(who, category):
        # An address put together by hand (a staff-only kind for a visitor) is answered with
        # the kinds that fit, and why the other one is not among them.
        return render_template("staff/breach_what.html", who=who, acceptance=acceptance,
                               categories=breaches.categories_for(who),
                               refused=category), 400 if category else 200
    form = BreachForm(formdata=None)
    form.client_uuid.data = str(uuid.uuid4())
    form.subject_kind.data = who
    form.category.data = category.slug
    form.acceptance.data = str(acceptance.client_uuid) if acceptance else ""
    form.subject_name.data = acceptance.full_name if acceptance else ""
    form.occurred_at.data = utcnow()
    form.safeguarding.data = category.safeguarding
    return _breach_details(form, category, acceptance, 200)


# Whom today's visitors are offered for on the details step: people who sign in at the door.
NOT_SIGNED_IN_AT_THE_DOOR = ("staff", "pupil")


def _breach_details(form, category, acceptance, status):
    form.offer_actions_for(category)
    today = None if acceptance or form.subject_kind.data in NOT_SIGNED_IN_AT_THE_DOOR \
        else _offer()
    return render_template("staff/breach_details.html", form=form, category=category,
                           acceptance=acceptance, today=today, search=_searched(),
                           seen_by=_who_will_see(form, category),
                           permission_check=_permission_check(form, category, acceptance)), status


def _permission_check(form: BreachForm, category: BreachCategory | None, acceptance
                      ) -> dict | None:
    """For posting without the head's permission: the approvals the head gave the person named
    so far (the page's script asks again, `staff.permissions_matching`, as the name changes)."""
    if category is None or category.slug != "reference_without_permission":
        return None
    name = acceptance.full_name if acceptance else (form.subject_name.data or "")
    return permissions.check_for(name, today(), "breach_form")


def _who_will_see(form: BreachForm, category: BreachCategory | None) -> dict | None:
    """Who will see the record as the form stands, and the one tick that changes it with the
    sentence either way (the page's script swaps them; without it, the server's sentence for
    what was sent stands)."""
    if category is None:
        return None
    who = form.subject_kind.data
    if breaches.is_restricted(who, category):
        tick = "concerns_head"
    elif not category.safeguarding:
        tick = "safeguarding"
    else:
        tick = None

    def sentence(ticked: bool) -> str:
        return breaches.who_will_see(who, category, **({tick: ticked} if tick else {}))

    return {"tick": tick, "now": sentence(bool(tick and form[tick].data)),
            "ticked": sentence(True), "unticked": sentence(False)}


@bp.post("/breaches")
@role_required(*ALL_STAFF)
def create_breach():
    """Save the breach (once, however often it is sent; logging it alerts whoever must know)."""
    form = BreachForm()
    if form.validate_on_submit():
        try:
            breach, _created = breaches.log_breach(current_user, form.details(),
                                                  form_fingerprint(request.form))
        except Conflict:
            form.form_errors.append(_("This form was already sent with other details. "
                                      "Please start again."))
        else:
            flash(breaches.thanks_for(breach))
            return redirect(url_for("staff.my_reports"), code=303)
    return _breach_details(form, form.category_row, form.acceptance_row, 422)


@bp.get("/my-reports")
@role_required(*ALL_STAFF)
def my_reports():
    """What I reported. A restricted one shows only that it was received."""
    if request.args.get("saved"):  # the page's script sends the record's UUID
        saved = breaches.own_saved(current_user, request.args["saved"])
        flash(breaches.thanks_for(saved) if saved else str(breaches.THANKS))  # str: if it is lazy
    page = breaches.own_reports(current_user, request.args.get("older"),
                                request.args.get("newer"))
    audit.record("breach.list_viewed", kind="breach", list="own",
                 shown=[str(b.public_id) for b in page.rows if not b.restricted])
    return render_template("staff/my_reports.html", breaches=page.rows, page=page,
                           deletions=deletions.asked_by(current_user).limit(PAGE_SIZE + 1),
                           page_size=PAGE_SIZE)


# Deletion requests -------------------------------------------------------------------------------

@bp.route("/deletions/new", methods=["GET", "POST"])
@role_required(*ALL_STAFF)
def new_deletion():
    """Record that someone was asked to delete material (from a breach, or on its own)."""
    form = DeletionRequestForm()
    linked = find_visible(Breach, current_user, request.values.get("breach", "")) \
        if request.values.get("breach") else None
    if request.values.get("breach") and linked is None:
        abort(404)
    if request.method == "GET":
        form.client_uuid.data = str(uuid.uuid4())
        form.asked_at.data = utcnow()
        form.breach.data = str(linked.public_id) if linked else ""
        if linked is not None:
            form.person_name.data = linked.subject_name
            form.acceptance.data = str(linked.acceptance.client_uuid) if linked.acceptance else ""
            form.material.data = linked.category.material or None
    elif form.validate_on_submit():
        try:
            created, _created = deletions.request_deletion(current_user, form.details(linked),
                                                    form_fingerprint(request.form))
        except Conflict:
            form.form_errors.append(_("This form was already sent with other details. "
                                      "Please start again."))
        else:
            flash(_("Saved. Record what happened when you know."))
            return redirect(url_for("records.deletion", public_id=created.public_id), code=303)
    return render_template("staff/deletion_new.html", form=form, breach=linked,
                           today=None if linked else _offer(form.acceptance.data or ""),
                           search=_searched()), 200 if request.method == "GET" else 422


# A child told me something ------------------------------------------------------------------------

@bp.route("/disclosures/new", methods=["GET", "POST"])
@role_required(*ALL_STAFF)
def new_disclosure():
    """The school's procedure in plain words, then what the child said: the DSL is told at once
    (once, however often it is sent)."""
    form = DisclosureForm()
    if request.method == "GET":
        form.client_uuid.data = str(uuid.uuid4())
        form.told_at.data = utcnow()
    elif form.validate_on_submit():
        try:
            task, _created = disclosures.record_disclosure(current_user, form.details(),
                                                          form_fingerprint(request.form))
        except Conflict:
            form.form_errors.append(_("This form was already sent with other details. "
                                      "Please start again."))
        else:
            flash(disclosures.thanks_for(current_user, str(task.client_uuid)))
            return redirect(url_for("staff.home"), code=303)
    return render_template("staff/disclosure_new.html", form=form), \
        200 if request.method == "GET" else 422


# Declarations of family links ---------------------------------------------------------------------

def _family_link_callouts(user) -> dict:
    """The home's callouts: my declarations due their yearly confirmation; for the head, how
    many wait to be acknowledged."""
    return {"links_to_confirm": declarations.confirming_count(user),
            "links_to_acknowledge": declarations.waiting_count(user)}


@bp.get("/family-links")
@role_required(*ALL_STAFF)
def family_links():
    """My declarations of family links: end one, or confirm they are all still correct."""
    listed = declarations.own(current_user)
    audit.record("declaration.list_viewed", kind="declaration", list="own", shown=listed.shown)
    return render_template("staff/family_links.html", listed=listed,
                           to_confirm=declarations.confirming_count(current_user),
                           needs_confirming=declarations.needs_confirming)


@bp.route("/family-links/new", methods=["GET", "POST"])
@role_required(*ALL_STAFF)
def new_family_link():
    """Declare a family or friendship link with a pupil's family to the headteacher (once,
    however often it is sent)."""
    form = DeclarationForm()
    if request.method == "GET":
        form.client_uuid.data = str(uuid.uuid4())
    elif form.validate_on_submit():
        try:
            declarations.declare(current_user, form.details(), form_fingerprint(request.form))
        except Conflict:
            form.form_errors.append(_("This form was already sent with other details. "
                                      "Please start again."))
        else:
            flash(_("Thank you. Your declaration is with the headteacher."))
            return redirect(url_for("staff.family_links"), code=303)
    return render_template("staff/family_link_new.html", form=form), \
        200 if request.method == "GET" else 422


@bp.post("/family-links/<public_id>/end")
@role_required(*ALL_STAFF)
def end_family_link(public_id: str):
    """One of my declarations no longer applies."""
    declaration = declarations.own_or_none(current_user, public_id)
    if declaration is None:
        abort(404)
    try:
        declarations.end(declaration, current_user)
    except declarations.DeclarationError as error:
        flash(str(error))
    else:
        flash(_("Your link with %(name)s is marked as ended.", name=declaration.who))
    return redirect(url_for("staff.family_links"), code=303)


@bp.post("/family-links/confirm")
@role_required(*ALL_STAFF)
def confirm_family_links():
    """My declarations are all still correct (the yearly confirmation)."""
    confirmed = declarations.confirm_all(current_user)
    flash(_("Thank you. Your declarations are confirmed as still correct.") if confirmed
          else _("You have no declarations in force to confirm."))
    return redirect(url_for("staff.family_links"), code=303)
