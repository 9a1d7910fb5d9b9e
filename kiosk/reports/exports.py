"""Spreadsheets: every acceptance, and the breaches a lead may see, safe to open in Excel."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from .. import audit
from ..models import Acceptance, Breach, BreachCategory, PolicyVersion, StaffUser, as_local, utcnow
from ..vocabulary import label

# A spreadsheet runs a cell starting with one of these as a formula (or a DDE command).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """A value a spreadsheet shows as text: one that could start a formula gets an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> tuple[str, int]:
    """A CSV document and how many data rows it holds. It starts with a byte-order mark, without
    which Excel reads UTF-8 as Windows-1252 and garbles names with accents."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
        count += 1
    return buffer.getvalue(), count


def _sheet_time(value: dt.datetime | None, zone: ZoneInfo) -> str:
    """A time a spreadsheet recognises, in the school's time zone."""
    return as_local(value, zone).strftime("%Y-%m-%d %H:%M") if value else ""


def yes_no(value: bool) -> str:
    return "Yes" if value else "No"


@dataclass(frozen=True)
class Download:
    filename: str
    body: str
    mimetype: str
    rows: int


def download_name(stem: str, zone: ZoneInfo, extension: str) -> str:
    return f"{stem}-{as_local(utcnow(), zone):%Y-%m-%d}.{extension}"


ACCEPTANCE_COLUMNS = ("Accepted (school time)", "Full name", "Role", "Organisation", "Reason for visit",
                      "Channel", "Policy version", "Policy title", "Reference")


def export_acceptances(zone: ZoneInfo) -> Download:
    """Every acceptance as CSV, oldest first; the export is audited with its row count."""
    query = (Acceptance.select(Acceptance, PolicyVersion).join(PolicyVersion)
             .order_by(Acceptance.accepted_at, Acceptance.id))
    body, count = write_csv(ACCEPTANCE_COLUMNS, (
        (_sheet_time(a.accepted_at, zone), a.full_name, label(a.role, "visitor_role"), a.organisation,
         a.reason, label(a.channel, "channel"), a.policy_version.number,
         a.policy_version.title, str(a.client_uuid))
        for a in query.iterator()))
    audit.record("export.acceptances", kind="export", rows=count)
    return Download(download_name("acceptances", zone, "csv"), body, "text/csv", count)


BREACH_COLUMNS = ("Happened (school time)", "Logged (school time)", "Category", "About", "Name",
                  "Location", "What happened", "Actions taken", "Safeguarding", "Restricted", "Status",
                  "Reported by", "Reference")


def export_breaches(user: StaffUser, zone: ZoneInfo) -> Download:
    """The breaches this user may see as CSV, oldest first (restricted ones only for the head);
    the export is audited with its row count."""
    query = (Breach.visible_to(user).select(Breach, BreachCategory, StaffUser)
             .join(BreachCategory).switch(Breach).join(StaffUser, on=Breach.reporter)
             .order_by(Breach.occurred_at, Breach.id))
    body, count = write_csv(BREACH_COLUMNS, (
        (_sheet_time(b.occurred_at, zone), _sheet_time(b.created_at, zone), b.category.label,
         label(b.subject_kind, "subject_kind"), b.subject_name, b.location,
         b.description, "; ".join(label(c, "breach_action") for c in b.action_codes),
         yes_no(b.safeguarding), yes_no(b.restricted), label(b.status, "breach_status"),
         b.reporter.display_name, str(b.public_id))
        for b in query.iterator()))
    audit.record("export.breaches", kind="export", rows=count)
    return Download(download_name("breaches", zone, "csv"), body, "text/csv", count)
