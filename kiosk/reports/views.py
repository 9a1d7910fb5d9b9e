"""The reports pages for the head and the DSL (/reports): the dashboard, CSV exports, one
person's chronology and evidence of acceptance, and the head's subject access download."""

from __future__ import annotations

import re

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from .. import audit
from ..access import LEADS, get_or_404, role_required
from ..display import school_zone, today
from ..models import RosterPerson, utcnow
from ..school import school_name
from ..templating import serves
from ..text import search_name
from . import dashboard as board
from . import evidence as person_records
from . import exports
from . import governors as termly
from . import subject_access as access_request

bp = Blueprint("reports", __name__, url_prefix="/reports")
serves(bp, "staff")


def _download(download: exports.Download) -> Response:
    """The file as an attachment; one in pieces is streamed, with the request (and its database
    connection) kept until the last piece is sent."""
    body = download.body if isinstance(download.body, str) else stream_with_context(download.body)
    response = Response(body, mimetype=download.mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{download.filename}"'
    return response


def _roster_person() -> RosterPerson | None:
    """The roster entry named by ?person=, if any; a number that matches nobody is a 404."""
    if "person" not in request.args:
        return None
    raw = request.args.get("person", "")
    if not re.fullmatch(r"[0-9]{1,9}", raw):
        abort(404)
    return get_or_404(RosterPerson, int(raw))


@bp.get("/")
@role_required(*LEADS)
def dashboard():
    """Acceptances and breaches over time, what is waiting, and the policy's review date."""
    shown = board.dashboard(current_user, school_zone())
    audit.record("reports.dashboard_viewed", kind="report", shown=shown.shown)
    return render_template("reports/dashboard.html", board=shown)


@bp.get("/acceptances.csv")
@role_required(*LEADS)
def export_acceptances():
    """Every acceptance, as a spreadsheet."""
    return _download(exports.export_acceptances(school_zone()))


@bp.get("/breaches.csv")
@role_required(*LEADS)
def export_breaches():
    """The breaches this lead may see, as a spreadsheet."""
    return _download(exports.export_breaches(current_user, school_zone()))


@bp.get("/chronology")
@role_required(*LEADS, "chair")
def chronology():
    """One adult's acceptances, breaches and deletion requests, in date order (the chair: the
    concerns about the head only)."""
    name = search_name(request.args.get("name", ""))
    events = []
    if len(name) >= 2:
        events = person_records.chronology(name, current_user)
        audit.record("chronology.viewed", kind="person", records=len(events),
                     shown=[str(getattr(e[2], "public_id", e[2].client_uuid)) for e in events])
    return render_template("reports/chronology.html", name=name, events=events)


@bp.get("/evidence")
@role_required(*LEADS)
def evidence():
    """A printable record of what one person accepted, when and how."""
    person = _roster_person()
    name = search_name(request.args.get("name", ""))
    found = person_records.evidence_for(name, person) if person or len(name) >= 2 else None
    if found is not None:
        audit.record("evidence.viewed", kind="roster_person" if person else "person",
                     record_id=person.id if person else "", records=len(found.acceptances),
                     shown=[str(a.client_uuid) for a in found.acceptances])
    return render_template("reports/evidence.html", name=name, evidence=found, produced_at=utcnow())


def _subject() -> access_request.SubjectRecords | None:
    person = _roster_person()
    name = search_name(request.args.get("name", "")) or (person.full_name if person else "")
    return access_request.subject_records(name, current_user, person) if len(name) >= 2 else None


@bp.get("/subject-access")
@role_required("head")
def subject_access():
    """Find every record about one adult and see how many there are before downloading them."""
    records = _subject()
    if records is not None:
        audit.record("subject_access.previewed", kind="subject_access", **records.counts)
    return render_template("reports/subject_access.html", records=records,
                           name=search_name(request.args.get("name", "")),
                           person=request.args.get("person", type=int))


def _subject_download(build) -> Response:
    records = _subject()
    if records is None:
        flash(_("Please enter the person's full name."))
        return redirect(url_for("reports.subject_access"))
    return _download(build(records))


@bp.get("/subject-access.json")
@role_required("head")
def subject_access_json():
    """Every record about one adult, as JSON."""
    return _subject_download(lambda records: access_request.subject_access_json(
        records, school_name(), school_zone()))


@bp.get("/subject-access.csv")
@role_required("head")
def subject_access_csv():
    """Every record about one adult, as CSV."""
    return _subject_download(lambda records: access_request.subject_access_csv(records, school_zone()))


@bp.get("/governors")
@role_required("head", "chair")
def governors():
    """The termly summary for the governing body: counts, no names; printable."""
    terms = termly.recent_terms(today())
    code = request.args.get("term", terms[0].code)
    term = termly.parse_term(code)
    if term is None:
        return render_template("reports/governors.html", terms=terms, chosen=terms[0].code,
                               error=_("Please choose a term from the list."), summary=None), 400
    shown = termly.summary(term, current_user, school_zone())
    audit.record("reports.governors_viewed", kind="report", term=term.code)
    return render_template("reports/governors.html", terms=terms, chosen=term.code, error="",
                           summary=shown, produced_at=utcnow())
