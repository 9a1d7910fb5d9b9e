"""Pages anyone can open without signing in: the kiosk, the policy, accepting it, the QR poster."""

from __future__ import annotations

import uuid

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import logout_user

from . import devices, i18n, policy_translations, retention, school
from .acceptances import AcceptanceDetails, record_acceptance
from .extensions import limiter
from .forms.devices import PairForm, ReportForm
from .forms.public import AcceptForm
from .idempotency import Conflict, form_fingerprint
from .models import Acceptance, PolicyVersion, RosterPerson, utcnow
from .qr import qr_svg
from .templating import serves
from .vocabulary import CHANNELS

bp = Blueprint("public", __name__)
serves(bp, "public")
bp.url_defaults(i18n.carry_language)


def current_policy() -> PolicyVersion:
    version = PolicyVersion.current()
    if version is None:
        abort(503, "No policy has been published yet.")
    return version


# A roster role as the role an acceptance records.


def requested_channel() -> str:
    """Kiosk pages carry ?channel=kiosk; anything else is someone's own phone, except on a
    paired kiosk tablet, where every page is the kiosk's (no name offered from the last person,
    back to the start when left alone)."""
    if devices.current() is not None:
        return "kiosk"
    channel = request.values.get("channel", "phone")
    return channel if channel in ("kiosk", "phone") else "phone"


@bp.get("/")
def home():
    """The entrance tablet's home screen."""
    return render_template("home.html", policy=current_policy(), qr_url=school.phone_start_url())


@bp.get("/phone")
def phone():
    """Where the QR code points: the policy, on the visitor's own phone."""
    return redirect(url_for("public.policy", channel="phone"))


@bp.get("/policy")
def policy():
    """The current policy, rendered from Markdown and sanitised."""
    version = current_policy()
    return render_template("policy.html", policy=version, channel=requested_channel(),
                           reading=policy_translations.reading(version, i18n.language()))


@bp.get("/p/<token>")
def personal(token: str):
    """A roster person's own link: their status, the policy, and an accept form tied to them."""
    person = RosterPerson.with_link(token)
    if person is None:
        abort(404)
    version = current_policy()
    return render_template("personal.html", person=person, latest=person.latest_acceptance(),
                           accepted=person.current_acceptance(), policy=version,
                           reading=policy_translations.reading(version, i18n.language()))


@bp.route("/accept", methods=["GET", "POST"])
def accept():
    """Name, role and the tick; records the exact version the person was shown."""
    form = AcceptForm()
    if form.validate_on_submit():
        details = AcceptanceDetails(
            client_uuid=form.client_uuid.data,
            policy_version=form.version,
            full_name=form.full_name.data,
            role=form.role.data,
            organisation=form.organisation.data,
            reason=form.reason.data,
            channel=form.channel.data,
            accepted_at=utcnow(),
            roster_person=form.roster_person,
            device=devices.current(),
            translation=form.shown,
        )
        try:
            acceptance, _created = record_acceptance(details, form_fingerprint(request.form))
        except Conflict:
            form.form_errors.append(_("This form was already sent with other details. "
                                      "Please start again."))
        else:
            session["thanks"] = str(acceptance.client_uuid)
            return redirect(url_for("public.thanks", channel=acceptance.channel), code=303)
    elif request.method == "GET":
        form.client_uuid.data = str(uuid.uuid4())
        form.policy_version.data = str(current_policy().number)
        # The translation the policy page showed, if it is still this version's and in this
        # language (the head may have replaced it meanwhile); else the one offered now.
        shown = policy_translations.shown_to_reader(request.args.get("translation"),
                                                    current_policy())
        form.shown = shown if shown is not None and shown.language == i18n.language() else (
            policy_translations.reading(current_policy(), i18n.language()).translation)
        form.translation.data = str(form.shown.id) if form.shown else ""
        form.channel.data = requested_channel()
        person = RosterPerson.with_link(request.args.get("token"))
        if person is not None:
            form.channel.data, form.roster_token.data = "link", person.token
            form.full_name.data, form.role.data = person.full_name, person.role
    status = 200 if request.method == "GET" else 422
    channel = form.channel.data if form.channel.data in CHANNELS else requested_channel()
    return render_template("accept.html", form=form, policy=form.version or current_policy(),
                           channel=channel), status


@bp.get("/thanks")
def thanks():
    """Shown once: the details are taken out of the session as they are displayed."""
    client_uuid = session.pop("thanks", None)
    acceptance = Acceptance.by_client_uuid(client_uuid) if client_uuid else None
    return render_template("thanks.html", acceptance=acceptance, channel=requested_channel())


@bp.get("/qr.svg")
def qr_code():
    """The QR code that opens the policy on a phone."""
    return Response(qr_svg(school.phone_start_url()), mimetype="image/svg+xml",
                    headers={"Cache-Control": "no-cache"})


@bp.get("/poster")
def poster():
    """A printable A4 poster with the QR code and short instructions."""
    return render_template("poster.html", policy=current_policy(), qr_url=school.phone_start_url(),
                           address_problem=school.public_url_problem())


@bp.get("/privacy")
def privacy():
    """The privacy notice (UK GDPR Article 13), with how long records are kept as set now."""
    # A roster person's link goes back to their own form, still tied to them.
    token = request.args.get("token", "")[:64]
    return render_template("privacy.html", kept=retention.all_periods_in_words(),
                           contact=school.settings().privacy_contact, channel=requested_channel(),
                           token=token if token.replace("-", "").replace("_", "").isalnum() else "")


@bp.get("/school/<any(logo, dsl_photo):kind>")
def school_image(kind: str):
    """The school's logo or the DSL's photo; the address changes with the picture."""
    image = school.image(kind)
    if image is None:
        abort(404)
    versioned = request.args.get("v") == image.digest[:16]
    return Response(bytes(image.data), mimetype=image.content_type, headers={
        "Cache-Control": "public, max-age=31536000, immutable" if versioned else "no-cache"})


# Pairing this tablet as a kiosk (kiosk/devices.py) ----------------------------------------------

@bp.route("/kiosk/pair", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def pair_device():
    """Enter the six-digit code the head was shown: this browser becomes that kiosk."""
    form = PairForm()
    if form.validate_on_submit():
        paired = devices.pair(form.code.data)
        if paired is None:
            form.code.errors.append(_("That code is not right, or its ten minutes are over. "
                                      "Check it, or ask the headteacher for a new one."))
        else:
            device, token = paired
            # A head who added the device on this tablet is signed out: visitors use it now.
            logout_user()
            session.clear()
            flash(_("This tablet is now the kiosk “%(name)s”.", name=device.name))
            response = redirect(url_for("public.home"), code=303)
            devices.set_cookie(response, token)
            return response
    return render_template("kiosk_pair.html", form=form,
                           device=devices.current()), 200 if request.method == "GET" else 422


@bp.post("/kiosk/report")
def device_report():
    """A paired tablet's page reports the app's version and how many records wait to send."""
    device = devices.current()
    if device is None:
        abort(404)
    form = ReportForm()
    if not form.validate_on_submit():
        abort(400)
    devices.report(device, form.version.data or "", form.waiting.data)
    return Response(status=204)
