"""The leads' dashboard: acceptances and breaches over time, and what is waiting for them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from .. import breaches, deletions
from ..models import (
    Acceptance,
    Breach,
    BreachCategory,
    DeletionRequest,
    LadoReferral,
    PolicyVersion,
    StaffUser,
    as_local,
    utcnow,
)
from ..vocabulary import VISITOR_ROLES, label
from . import _
from .charts import MONTHS, WEEKS, Chart, Series, count_by_period, last_months, last_weeks

# How many refused or overdue deletion requests the dashboard names; the list has them all.
ATTENTION_SHOWN = 10


def acceptances_chart(zone: ZoneInfo, today: dt.date) -> Chart:
    """Acceptances per week by role, the last 12 weeks."""
    periods = last_weeks(today)
    counts = count_by_period(Acceptance.select(), Acceptance.accepted_at, Acceptance.role,
                             periods, zone)
    # Known roles in the form's order, then anything older or unexpected.
    keys = ([k for k in VISITOR_ROLES if k in counts]
            + sorted(str(k) for k in counts if k not in VISITOR_ROLES))
    return Chart("acceptances", _("Acceptances per week, by role"),
                 _("the last %(weeks)s weeks", weeks=WEEKS), periods,
                 [Series(k, label(k, "visitor_role"), tuple(counts[k])) for k in keys])


def breaches_chart(user: StaffUser, zone: ZoneInfo, today: dt.date) -> Chart:
    """Breaches this user may see, per month by category, the last 12 months."""
    periods = last_months(today)
    counts = count_by_period(Breach.visible_to(user), Breach.occurred_at, Breach.category,
                             periods, zone)
    categories = BreachCategory.select().where(BreachCategory.id.in_(list(counts))) if counts else []
    ordered = sorted(categories, key=lambda c: (c.position, c.id))
    return Chart("breaches", _("Breaches per month, by category"),
                 _("the last %(months)s months", months=MONTHS), periods,
                 [Series(c.slug, c.label, tuple(counts[c.id])) for c in ordered])


@dataclass(frozen=True)
class Dashboard:
    acceptances: Chart
    breaches: Chart
    open_deletions: int
    overdue_deletions: int
    deletions_needing_attention: list[DeletionRequest]  # the latest deadlines, a few
    deletions_attention_total: int
    lado_overdue: list[tuple[Breach, LadoReferral | None]] | None  # None: not this user's to see
    policy: PolicyVersion | None
    review_overdue: bool

    @property
    def shown(self) -> list[str]:
        """The records named on the page, for the audit log."""
        return ([str(r.public_id) for r in self.deletions_needing_attention]
                + [str(b.public_id) for b, _referral in self.lado_overdue or []])


def dashboard(user: StaffUser, zone: ZoneInfo, now: dt.datetime | None = None) -> Dashboard:
    """Everything on the head's and the DSL's dashboard, as this user may see it."""
    now = now or utcnow()
    today = as_local(now, zone).date()
    visible = DeletionRequest.visible_to(user)
    pending = visible.where(DeletionRequest.outcome == "pending")
    attention = deletions.needing_attention(user, now)
    shown = list(attention.order_by(DeletionRequest.due_by.desc(), DeletionRequest.id.desc())
                 .limit(ATTENTION_SHOWN))
    policy = PolicyVersion.current()
    return Dashboard(
        acceptances=acceptances_chart(zone, today),
        breaches=breaches_chart(user, zone, today),
        open_deletions=pending.count(),
        overdue_deletions=pending.where(DeletionRequest.due_by < now).count(),
        deletions_needing_attention=shown,
        deletions_attention_total=(len(shown) if len(shown) < ATTENTION_SHOWN
                                   else attention.count()),
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
