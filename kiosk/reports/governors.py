"""The governors' termly summary for the chair: counts only, never a name.

What the governing body sees of the term: breaches by category, concerns about staff by how
their case manager classified them, allegations by KCSIE outcome, LADO referrals made late or
not yet made, deletion requests by outcome (refused ones called out), and how many people
accepted the policy. Concerns about the headteacher are left out of every printed count, since
the head reads (and usually presents) this summary; the chair alone sees how many there were.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from peewee import JOIN, fn

from .. import breaches
from ..display import long_date
from ..models import (
    Acceptance,
    AuditEvent,
    Breach,
    BreachCategory,
    DeletionRequest,
    RecordUpdate,
    StaffUser,
)
from ..vocabulary import ALLEGATION_OUTCOMES, CLASSIFICATIONS, OUTCOMES
from . import _
from .charts import day_start

# The school year's three terms as the summary counts them: whole months, so every day of the
# year falls in exactly one (the holidays with the term before them).
TERMS = (("autumn", (9, 1), (1, 1)),
         ("spring", (1, 1), (4, 1)),
         ("summer", (4, 1), (9, 1)))
TERM_CODE = re.compile(r"(?P<year>20[0-9]{2})-(?P<name>autumn|spring|summer)")
# Audit actions that mean an allegation was closed as malicious or false and its record removed:
# the record is gone, so its outcome is counted from the log (which keeps no names).
REMOVED_AT_CLOSING = ("allegation.removed",)


@dataclass(frozen=True)
class Term:
    code: str  # "2026-autumn"
    label: str  # "Autumn term 2026"
    start: dt.date
    end: dt.date  # the day after it

    @property
    def dates(self) -> str:
        return _("%(start)s to %(end)s", start=long_date(self.start),
                 end=long_date(self.end - dt.timedelta(days=1)))


def _term_label(code: str, year: int) -> str:
    """"Autumn term 2026": each term's name a whole message (its year's place differs)."""
    if code == "autumn":
        return _("Autumn term %(year)s", year=year)
    if code == "spring":
        return _("Spring term %(year)s", year=year)
    return _("Summer term %(year)s", year=year)


def _term(year: int, name: str) -> Term:
    for code, (start_month, start_day), (end_month, end_day) in TERMS:
        if code == name:
            end_year = year + 1 if end_month < start_month else year
            return Term(f"{year}-{code}", _term_label(code, year),
                        dt.date(year, start_month, start_day), dt.date(end_year, end_month, end_day))
    raise ValueError(name)


def term_containing(day: dt.date) -> Term:
    if day.month >= 9:
        return _term(day.year, "autumn")
    return _term(day.year, "spring" if day.month < 4 else "summer")


def recent_terms(today: dt.date, count: int = 6) -> list[Term]:
    """This term and the ones before it, newest first."""
    terms = [term_containing(today)]
    while len(terms) < count:
        terms.append(term_containing(terms[-1].start - dt.timedelta(days=1)))
    return terms


def parse_term(code: str) -> Term | None:
    match = TERM_CODE.fullmatch(code)
    return _term(int(match["year"]), match["name"]) if match else None


@dataclass
class Summary:
    term: Term
    acceptances: int = 0
    breaches: int = 0
    by_category: list[tuple[str, int]] = field(default_factory=list)
    about_staff: int = 0
    by_classification: list[tuple[str, int]] = field(default_factory=list)
    allegation_outcomes: list[tuple[str, int]] = field(default_factory=list)
    lado_late: int = 0
    deletion_outcomes: list[tuple[str, int]] = field(default_factory=list)
    deletions_refused: int = 0
    about_the_head: int | None = None  # shown to the chair only, never printed
    # Which row of `deletion_outcomes` is the refused requests' (called out when there are any):
    # found by its place, since its words are in the page's language.
    refused_row: int = list(OUTCOMES).index("refused")


def summary(term: Term, reader: StaffUser, zone: ZoneInfo) -> Summary:
    start, end = day_start(term.start, zone), day_start(term.end, zone)
    result = Summary(term)
    result.acceptances = (Acceptance.select()
                          .where(Acceptance.accepted_at >= start, Acceptance.accepted_at < end).count())
    # Counted by the database: a term of a big school's breaches is never read row by row. Only
    # the concerns about staff are read (the LADO's deadline is worked out in Python).
    in_term = Breach.select().where(Breach.created_at >= start, Breach.created_at < end)
    counted = in_term.where(~(Breach.restricted & Breach.concerns_head))
    categories = Counter(dict(
        counted.select(BreachCategory.label, fn.COUNT(Breach.id)).join(BreachCategory)
        .group_by(BreachCategory.label).tuples()))
    result.breaches = sum(categories.values())
    result.by_category = sorted(categories.items(), key=lambda item: (-item[1], item[0]))

    staff = list(counted.select(Breach.id, Breach.restricted, Breach.classification,
                                Breach.allegation_since).where(Breach.restricted))
    result.about_staff = len(staff)
    classified = Counter(b.classification for b in staff)
    result.by_classification = [(CLASSIFICATIONS[code], classified[code]) for code in CLASSIFICATIONS]
    result.by_classification.append((_("Not classified yet"), classified[""]))

    # Allegations closed this term (whenever they were logged): each one's last outcome in it.
    closed = {u.breach_id: u.new_value for u in RecordUpdate.select(
        RecordUpdate.breach, RecordUpdate.new_value).join(Breach, on=RecordUpdate.breach).where(
        RecordUpdate.kind == "allegation_outcome", RecordUpdate.at >= start, RecordUpdate.at < end,
        ~(Breach.restricted & Breach.concerns_head)).order_by(RecordUpdate.at, RecordUpdate.id)}
    outcomes = Counter(closed.values())
    for event in (AuditEvent.select(AuditEvent.detail)
                  .where(AuditEvent.action.in_(REMOVED_AT_CLOSING),
                         AuditEvent.at >= start, AuditEvent.at < end)):
        outcome = _removed_outcome(event.detail)
        if outcome and not _about_the_head(event.detail):
            outcomes[outcome] += 1
    result.allegation_outcomes = [(label, outcomes[code]) for code, label in ALLEGATION_OUTCOMES.items()]
    referrals = breaches.lado_referrals_for(staff)
    result.lado_late = sum(breaches.lado_overdue(b, referrals.get(b.id)) for b in staff)

    done = Counter(dict(
        DeletionRequest.select(DeletionRequest.outcome, fn.COUNT(DeletionRequest.id))
        .join(Breach, JOIN.LEFT_OUTER)
        .where(DeletionRequest.asked_at >= start, DeletionRequest.asked_at < end,
               DeletionRequest.breach.is_null() | ~(Breach.restricted & Breach.concerns_head))
        .group_by(DeletionRequest.outcome).tuples()))
    result.deletion_outcomes = [(label, done[code]) for code, label in OUTCOMES.items()]
    result.deletions_refused = done["refused"]

    if reader.role == "chair":
        result.about_the_head = in_term.where(Breach.restricted & Breach.concerns_head).count()
    return result


def _removed_outcome(detail: str) -> str:
    try:
        outcome = json.loads(detail or "{}").get("outcome", "")
    except (ValueError, AttributeError):
        return ""
    return outcome if outcome in ALLEGATION_OUTCOMES else ""


def _about_the_head(detail: str) -> bool:
    try:
        return bool(json.loads(detail or "{}").get("concerns_head"))
    except (ValueError, AttributeError):
        return False
