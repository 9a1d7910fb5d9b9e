"""Reports and evidence: the leads' dashboard and its charts, CSV exports, one person's evidence of
acceptance, and a subject access download of everything held about one adult."""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import io
import itertools
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape
from peewee import fn

from . import audit, breaches, deletions
from .models import (
    Acceptance,
    Breach,
    BreachCategory,
    DeletionRequest,
    LadoReferral,
    PolicyVersion,
    Reminder,
    RosterPerson,
    StaffUser,
    utcnow,
)
from .vocabulary import VISITOR_ROLES, label

WEEKS = 12
MONTHS = 12


def clean_name(value: str) -> str:
    """A name as typed, with runs of spaces collapsed; at most 100 characters, as stored."""
    return " ".join(value.split())[:100]


def _local(value: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC).astimezone(zone)


def _utc(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """Midnight at the start of a school day, as a stored (naive UTC) time."""
    return dt.datetime.combine(day, dt.time(), zone).astimezone(dt.UTC).replace(tzinfo=None)


# Periods and charts -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    """A week or a month in the school's calendar."""

    start: dt.date
    end: dt.date  # the day after it
    axis: tuple[str, ...]  # one or two short lines under its bar
    label: str  # in full, for the table
    during: str  # in a sentence: "in the week beginning 3 March 2025"


def last_weeks(today: dt.date, count: int = WEEKS) -> list[Period]:
    """The last `count` weeks, Monday to Sunday, ending with this one."""
    monday = today - dt.timedelta(days=today.weekday())
    starts = [monday - dt.timedelta(weeks=n) for n in range(count - 1, -1, -1)]
    return [Period(d, d + dt.timedelta(weeks=1), (f"{d.day} {d:%b}",), f"Week beginning {d.day} {d:%B %Y}",
                   f"the week beginning {d.day} {d:%B %Y}") for d in starts]


def last_months(today: dt.date, count: int = MONTHS) -> list[Period]:
    """The last `count` calendar months, ending with this one."""
    index = today.year * 12 + today.month - 1
    starts = [dt.date(i // 12, i % 12 + 1, 1) for i in range(index - count + 1, index + 2)]
    return [Period(d, after, (f"{d:%b}", f"{d:%Y}"), f"{d:%B %Y}", f"{d:%B %Y}")
            for d, after in itertools.pairwise(starts)]


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    counts: tuple[int, ...]


@dataclass(frozen=True)
class Chart:
    """Counts per period, split into series, drawn as stacked bars with a table beside them."""

    slug: str  # for element ids
    title: str
    span: str  # "the last 12 weeks"
    periods: list[Period]
    series: list[Series]

    @property
    def totals(self) -> list[int]:
        return [sum(s.counts[i] for s in self.series) for i in range(len(self.periods))]

    @property
    def total(self) -> int:
        return sum(self.totals)

    @property
    def rows(self) -> list[tuple[Period, list[int], int]]:
        """(period, count per series, total) for the table."""
        return [(p, [s.counts[i] for s in self.series], self.totals[i]) for i, p in enumerate(self.periods)]

    @property
    def summary(self) -> str:
        """One sentence a screen reader hears before the table."""
        if not self.total:
            return f"None in {self.span}."
        busiest = max(range(len(self.periods)), key=lambda i: self.totals[i])
        return (f"{self.total} in {self.span}; the most, {self.totals[busiest]}, in "
                f"{self.periods[busiest].during}. The table after the chart gives every number.")

    @property
    def svg(self) -> Markup:
        return chart_svg(self)


def count_by_period(rows: Iterable[tuple[dt.datetime, object]], periods: Sequence[Period],
                    zone: ZoneInfo) -> dict[object, list[int]]:
    """Count (stored time, key) pairs into the school-calendar periods they fall in, per key."""
    starts = [p.start for p in periods]
    end = periods[-1].end
    counts: dict[object, list[int]] = {}
    for at, key in rows:
        day = _local(at, zone).date()
        # A device with a fast clock can record a time after today; it belongs to no period shown.
        if day < starts[0] or day >= end:
            continue
        counts.setdefault(key, [0] * len(periods))[bisect.bisect_right(starts, day) - 1] += 1
    return counts


def acceptances_chart(zone: ZoneInfo, today: dt.date) -> Chart:
    """Acceptances per week by role, the last 12 weeks."""
    periods = last_weeks(today)
    rows = (Acceptance.select(Acceptance.accepted_at, Acceptance.role)
            .where(Acceptance.accepted_at >= _utc(periods[0].start, zone)).tuples())
    counts = count_by_period(rows, periods, zone)
    # Known roles in the form's order, then anything older or unexpected.
    keys = ([k for k in VISITOR_ROLES if k in counts]
            + sorted(str(k) for k in counts if k not in VISITOR_ROLES))
    return Chart("acceptances", "Acceptances per week, by role", f"the last {WEEKS} weeks", periods,
                 [Series(k, label(k, "visitor_role"), tuple(counts[k])) for k in keys])


def breaches_chart(user: StaffUser, zone: ZoneInfo, today: dt.date) -> Chart:
    """Breaches this user may see, per month by category, the last 12 months."""
    periods = last_months(today)
    rows = (Breach.visible_to(user).where(Breach.occurred_at >= _utc(periods[0].start, zone))
            .select(Breach.occurred_at, Breach.category).tuples())
    counts = count_by_period(rows, periods, zone)
    categories = BreachCategory.select().where(BreachCategory.id.in_(list(counts))) if counts else []
    ordered = sorted(categories, key=lambda c: (c.position, c.id))
    return Chart("breaches", "Breaches per month, by category", f"the last {MONTHS} months", periods,
                 [Series(c.slug, c.label, tuple(counts[c.id])) for c in ordered])


# Drawing. GOV.UK's palette: each colour has at least 3:1 contrast with the white page.
PALETTE = ("#1d70b8", "#d4351c", "#00703c", "#4c2c92", "#b58840", "#28a197", "#d53880", "#505a5f",
           "#003078", "#912b88", "#6f72af", "#0b0c0c")
_WIDTH, _LEFT, _RIGHT, _TOP, _PLOT_HEIGHT, _AXIS_HEIGHT, _LEGEND_LINE = 640, 44, 8, 12, 200, 46, 22


def _nice_step(top: int) -> int:
    """A step of 1, 2 or 5 times a power of ten giving about four gridlines."""
    if top <= 4:
        return 1
    rough = top / 4
    power = 10 ** math.floor(math.log10(rough))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= rough)


def chart_svg(chart: Chart) -> Markup:
    """Stacked bars as inline SVG: presentation attributes only, since the page's CSP allows no
    inline styles. role="img" with a title and description, so it is announced as one picture."""
    n = len(chart.periods)
    plot_width = _WIDTH - _LEFT - _RIGHT
    legend_top = _TOP + _PLOT_HEIGHT + _AXIS_HEIGHT
    height = legend_top + _LEGEND_LINE * max(len(chart.series), 1) + 4
    step = _nice_step(max(chart.totals, default=0))
    top = max(step, math.ceil(max(chart.totals, default=0) / step) * step)
    scale = _PLOT_HEIGHT / top
    bottom = _TOP + _PLOT_HEIGHT
    slot = plot_width / n
    ident = f"{chart.slug}-chart"

    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_WIDTH} {height}" '
        f'role="img" aria-labelledby="{ident}-title" aria-describedby="{ident}-desc" '
        f'font-size="12" fill="#0b0c0c">',
        f'<title id="{ident}-title">{escape(chart.title)}</title>',
        f'<desc id="{ident}-desc">Stacked bar chart. {escape(chart.summary)}</desc>',
    ]
    for value in range(0, top + 1, step):
        y = bottom - value * scale
        parts.append(f'<line x1="{_LEFT}" x2="{_WIDTH - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="{"#0b0c0c" if value == 0 else "#b1b4b6"}" stroke-width="1"/>')
        parts.append(f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{value}</text>')
    for i, period in enumerate(chart.periods):
        x = _LEFT + slot * i + slot * 0.2
        y = bottom
        for colour, series in zip(_colours(len(chart.series)), chart.series, strict=True):
            count = series.counts[i]
            if not count:
                continue
            h = count * scale
            y -= h
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.6:.1f}" height="{h:.1f}" '
                         f'fill="{colour}" stroke="#ffffff" stroke-width="1">'
                         f'<title>{escape(period.label)}: {escape(series.label)}, {count}</title></rect>')
        centre = _LEFT + slot * (i + 0.5)
        for line, text in enumerate(period.axis):
            parts.append(f'<text x="{centre:.1f}" y="{bottom + 16 + 14 * line}" text-anchor="middle" '
                         f'font-size="11">{escape(text)}</text>')
    for line, (colour, series) in enumerate(zip(_colours(len(chart.series)), chart.series, strict=True)):
        y = legend_top + _LEGEND_LINE * line
        parts.append(f'<rect x="{_LEFT}" y="{y}" width="14" height="14" fill="{colour}"/>')
        parts.append(f'<text x="{_LEFT + 22}" y="{y + 12}">{escape(series.label)} '
                     f'({sum(series.counts)})</text>')
    if not chart.series:
        parts.append(f'<text x="{_LEFT}" y="{legend_top + 12}">None recorded.</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every piece of text above is escaped)


def _colours(count: int) -> list[str]:
    return [PALETTE[i % len(PALETTE)] for i in range(count)]


# The dashboard ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Dashboard:
    acceptances: Chart
    breaches: Chart
    open_deletions: int
    overdue_deletions: int
    deletions_needing_attention: list[DeletionRequest]
    lado_overdue: list[tuple[Breach, LadoReferral | None]] | None  # None: not this user's to see
    policy: PolicyVersion | None
    review_overdue: bool

    @property
    def shown(self) -> list[str]:
        """The records named on the page, for the audit log."""
        return ([str(r.public_id) for r in self.deletions_needing_attention]
                + [str(b.public_id) for b, _ in self.lado_overdue or []])


def dashboard(user: StaffUser, zone: ZoneInfo, now: dt.datetime | None = None) -> Dashboard:
    """Everything on the head's and the DSL's dashboard, as this user may see it."""
    now = now or utcnow()
    today = _local(now, zone).date()
    waiting = list(DeletionRequest.visible_to(user)
                   .where(DeletionRequest.outcome.in_(("pending", "refused", "not_done")))
                   .order_by(DeletionRequest.due_by))
    policy = PolicyVersion.current()
    return Dashboard(
        acceptances=acceptances_chart(zone, today),
        breaches=breaches_chart(user, zone, today),
        open_deletions=sum(r.outcome == "pending" for r in waiting),
        overdue_deletions=sum(deletions.is_overdue(r, now) for r in waiting),
        deletions_needing_attention=[r for r in waiting if deletions.needs_attention(r, now)],
        lado_overdue=overdue_lado_referrals(user, now) if user.role == "head" else None,
        policy=policy,
        review_overdue=bool(policy and policy.review_due and policy.review_due < today),
    )


def overdue_lado_referrals(user: StaffUser, now: dt.datetime | None = None
                           ) -> list[tuple[Breach, LadoReferral | None]]:
    """Restricted concerns still open that were not referred to the LADO within a working day.

    A closed concern that was referred late stays flagged on its own page; here it would only be
    noise, since nothing more can be done about it."""
    rows = list(Breach.visible_to(user).where(Breach.restricted, Breach.status != "closed")
                .order_by(Breach.created_at))
    referrals = breaches.lado_referrals_for(rows)
    return [(b, referrals.get(b.id)) for b in rows if breaches.lado_overdue(b, referrals.get(b.id), now)]


# CSV -----------------------------------------------------------------------------------------------

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
    return _local(value, zone).strftime("%Y-%m-%d %H:%M") if value else ""


def _yes(value: bool) -> str:
    return "Yes" if value else "No"


@dataclass(frozen=True)
class Download:
    filename: str
    body: str
    mimetype: str
    rows: int


def _filename(stem: str, zone: ZoneInfo, extension: str) -> str:
    return f"{stem}-{_local(utcnow(), zone):%Y-%m-%d}.{extension}"


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
    return Download(_filename("acceptances", zone, "csv"), body, "text/csv", count)


BREACH_COLUMNS = ("Happened (school time)", "Logged (school time)", "Category", "About", "Name",
                  "Location", "What happened", "Actions taken", "Safeguarding", "Restricted", "Status",
                  "Reported by", "Reference")


def export_breaches(user: StaffUser, zone: ZoneInfo) -> Download:
    """The breaches this user may see as CSV, oldest first (restricted ones only for the head);
    the export is audited with its row count."""
    query = (Breach.visible_to(user).select(Breach, BreachCategory, StaffUser)
             .join(BreachCategory).switch(Breach).join(StaffUser)
             .order_by(Breach.occurred_at, Breach.id))
    body, count = write_csv(BREACH_COLUMNS, (
        (_sheet_time(b.occurred_at, zone), _sheet_time(b.created_at, zone), b.category.label,
         label(b.subject_kind, "subject_kind"), b.subject_name, b.location,
         b.description, "; ".join(label(c, "breach_action") for c in b.action_codes),
         _yes(b.safeguarding), _yes(b.restricted), label(b.status, "breach_status"),
         b.reporter.display_name, str(b.public_id))
        for b in query.iterator()))
    audit.record("export.breaches", kind="export", rows=count)
    return Download(_filename("breaches", zone, "csv"), body, "text/csv", count)


# Evidence for one person --------------------------------------------------------------------------

@dataclass(frozen=True)
class Evidence:
    name: str
    person: RosterPerson | None  # when looked up through their roster entry
    acceptances: list[Acceptance]
    roster_matches: list[RosterPerson]  # roster entries with the name searched for


def evidence_for(name: str = "", person: RosterPerson | None = None) -> Evidence:
    """What one person accepted, oldest first: by exact name (any case), or through their roster
    entry. A roster lookup shows only acceptances tied to that entry: a name alone could be
    someone else's."""
    query = Acceptance.select(Acceptance, PolicyVersion).join(PolicyVersion)
    if person is not None:
        query = query.where(Acceptance.roster_person == person)
        name, matches = person.full_name, []
    else:
        query = query.where(fn.LOWER(Acceptance.full_name) == name.lower())
        matches = list(RosterPerson.select().where(fn.LOWER(RosterPerson.full_name) == name.lower())
                       .order_by(RosterPerson.full_name, RosterPerson.id))
    return Evidence(name, person, list(query.order_by(Acceptance.accepted_at, Acceptance.id)), matches)


# Subject access --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SubjectRecords:
    """Everything held about one named adult that the head may see."""

    name: str
    acceptances: list[Acceptance]
    breaches: list[Breach]
    deletion_requests: list[DeletionRequest]
    roster: list[RosterPerson]
    reminders: list[Reminder]

    @property
    def counts(self) -> dict[str, int]:
        return {"acceptances": len(self.acceptances), "breaches": len(self.breaches),
                "deletion_requests": len(self.deletion_requests), "roster": len(self.roster),
                "reminders": len(self.reminders)}


def chronology(name: str, viewer: StaffUser) -> list[tuple[dt.datetime, str, object]]:
    """One adult's acceptances, breaches and deletion requests by their name (any case), in date
    order, as (when, kind, row); breaches and requests only as the viewer may see them."""
    lowered = name.lower()
    events: list[tuple[dt.datetime, str, object]] = []
    for row in Acceptance.select().where(fn.LOWER(Acceptance.full_name) == lowered):
        events.append((row.accepted_at, "acceptance", row))
    for row in Breach.visible_to(viewer).where(fn.LOWER(Breach.subject_name) == lowered):
        events.append((row.occurred_at, "breach", row))
    for row in DeletionRequest.visible_to(viewer).where(
            fn.LOWER(DeletionRequest.person_name) == lowered):
        events.append((row.asked_at, "deletion", row))
    events.sort(key=lambda e: e[0])
    return events


def subject_records(name: str, viewer: StaffUser, person: RosterPerson | None = None) -> SubjectRecords:
    """Records about the person of this name (any case), and about their roster entry: the one
    given, or every entry of that name. Breaches and deletion requests only as the viewer may see
    them, so a concern about the head never appears in the head's download."""
    lowered = name.lower()
    roster = ([person] if person is not None else
              list(RosterPerson.select().where(fn.LOWER(RosterPerson.full_name) == lowered)
                   .order_by(RosterPerson.id)))
    by_name = fn.LOWER(Acceptance.full_name) == lowered
    if roster:
        by_name |= Acceptance.roster_person.in_([p.id for p in roster])
    acceptances = list(Acceptance.select(Acceptance, PolicyVersion).join(PolicyVersion).where(by_name)
                       .order_by(Acceptance.accepted_at, Acceptance.id))
    theirs = [a.id for a in acceptances]

    def named_or_linked(model, name_field):
        condition = fn.LOWER(name_field) == lowered
        if theirs:
            condition |= model.acceptance.in_(theirs)
        return condition

    found = list(Breach.visible_to(viewer).where(named_or_linked(Breach, Breach.subject_name))
                 .order_by(Breach.occurred_at, Breach.id))
    requests = list(DeletionRequest.visible_to(viewer)
                    .where(named_or_linked(DeletionRequest, DeletionRequest.person_name))
                    .order_by(DeletionRequest.asked_at, DeletionRequest.id))
    reminders = (list(Reminder.select(Reminder, PolicyVersion).join(PolicyVersion)
                      .where(Reminder.person.in_([p.id for p in roster])).order_by(Reminder.sent_at))
                 if roster else [])
    return SubjectRecords(name, acceptances, found, requests, roster, reminders)


def _iso(value: dt.datetime | None, zone: ZoneInfo) -> str:
    return _local(value, zone).isoformat(timespec="minutes") if value else ""


def subject_entries(records: SubjectRecords, zone: ZoneInfo) -> list[tuple[str, str, dict[str, object]]]:
    """(kind of record, reference, fields) for each record, in the words a reader would use.

    Left out on purpose: the roster's link secret, the staff who logged or handled a record
    (third parties), and the triage notes, which the head reviews for others' data by hand."""
    entries: list[tuple[str, str, dict[str, object]]] = []
    for a in records.acceptances:
        entries.append(("acceptance", str(a.client_uuid), {
            "accepted_at": _iso(a.accepted_at, zone), "received_at": _iso(a.received_at, zone),
            "full_name": a.full_name, "role": label(a.role, "visitor_role"), "organisation": a.organisation,
            "reason": a.reason, "channel": label(a.channel, "channel"),
            "language": a.language, "policy_version": a.policy_version.number,
            "policy_title": a.policy_version.title,
            "roster_entry": str(a.roster_person_id) if a.roster_person_id else "",
        }))
    for b in records.breaches:
        entries.append(("breach", str(b.public_id), {
            "occurred_at": _iso(b.occurred_at, zone), "logged_at": _iso(b.created_at, zone),
            "category": b.category.label,
            "about": label(b.subject_kind, "subject_kind"),
            "name": b.subject_name, "location": b.location, "description": b.description,
            "actions": [label(c, "breach_action") for c in b.action_codes],
            "safeguarding": b.safeguarding, "restricted": b.restricted,
            "status": label(b.status, "breach_status"),
            "acceptance": str(b.acceptance.client_uuid) if b.acceptance_id else "",
        }))
    for r in records.deletion_requests:
        entries.append(("deletion_request", str(r.public_id), {
            "asked_at": _iso(r.asked_at, zone), "due_by": _iso(r.due_by, zone),
            "material": label(r.material, "material"),
            "where": label(r.material_location, "location"),
            "link": r.link, "name": r.person_name,
            "outcome": label(r.outcome, "outcome"), "outcome_note": r.outcome_note,
            "checked_at": _iso(r.checked_at, zone),
            "breach": str(r.breach.public_id) if r.breach_id else "",
            "acceptance": str(r.acceptance.client_uuid) if r.acceptance_id else "",
        }))
    for p in records.roster:
        entries.append(("roster_entry", str(p.id), {
            "full_name": p.full_name, "email": p.email, "role": label(p.role, "roster_role"),
            "active": p.active, "added_at": _iso(p.created_at, zone),
        }))
    for m in records.reminders:
        entries.append(("reminder", str(m.id), {
            "sent_at": _iso(m.sent_at, zone), "policy_version": m.policy_version.number,
            "roster_entry": str(m.person_id),
        }))
    return entries


# Said in every download, so whoever answers the request knows what to review by hand.
NOT_INCLUDED = ("Staff triage notes, the history of each record and LADO referral details are "
                "not included: the school reviews them by hand before disclosing any of them. "
                "Names of staff who logged or handled a record are left out as other people's data.")


def subject_access_json(records: SubjectRecords, school: str, zone: ZoneInfo) -> Download:
    """Every record about the person as one JSON document; audited with counts, never the name."""
    groups: dict[str, list[dict[str, object]]] = {
        "acceptance": [], "breach": [], "deletion_request": [], "roster_entry": [], "reminder": []}
    for kind, reference, fields in subject_entries(records, zone):
        groups[kind].append({"reference": reference, **fields})
    document = {
        "subject": records.name, "school": school, "produced_at": _iso(utcnow(), zone),
        "acceptances": groups["acceptance"], "breaches": groups["breach"],
        "deletion_requests": groups["deletion_request"], "roster_entries": groups["roster_entry"],
        "reminders": groups["reminder"],
        "not_included": NOT_INCLUDED,
    }
    audit.record("subject_access.downloaded", kind="subject_access", format="json", **records.counts)
    body = json.dumps(document, indent=2, ensure_ascii=False)
    return Download(_filename("subject-access", zone, "json"), body, "application/json",
                    sum(records.counts.values()))


def subject_access_csv(records: SubjectRecords, zone: ZoneInfo) -> Download:
    """Every record about the person as CSV, one field a row (the records differ in shape);
    audited with counts, never the name."""
    def lines():
        for kind, reference, fields in subject_entries(records, zone):
            for field, value in fields.items():
                if isinstance(value, bool):
                    value = _yes(value)
                elif isinstance(value, list):
                    value = "; ".join(value)
                yield kind, reference, field, value

    body, _ = write_csv(("Record", "Reference", "Field", "Value"), lines())
    audit.record("subject_access.downloaded", kind="subject_access", format="csv", **records.counts)
    return Download(_filename("subject-access", zone, "csv"), body, "text/csv",
                    sum(records.counts.values()))
