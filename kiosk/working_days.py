"""Working days: Monday to Friday, except the bank holidays of England and Wales.

The bank holidays come from the `holidays` package (England's, which Wales shares), never a
list kept here. "Within one working day" counts 24 hours of working days in the school's time
zone: a concern raised at 3pm on a Friday is due by 3pm on Monday; one raised on a Saturday, or
on a bank holiday, is due by the end of the next working day.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import ngettext

from .models import as_local, as_stored

if TYPE_CHECKING:
    import holidays


@cache
def _bank_holidays(year: int) -> holidays.HolidayBase:
    # Imported on first use (a LADO deadline), not at start-up: every country's calendars, about
    # 3 MB per worker that most never need (docs/PERFORMANCE.md, Memory).
    import holidays

    return holidays.country_holidays("GB", subdiv="ENG", years=year)


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def after_one_working_day(stored: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """The stored (naive UTC) moment one working day after `stored`, counted in `zone`."""
    local = as_local(stored, zone)
    day = local.date()
    if not is_working_day(day):
        # Raised on a day off: the clock starts at the next working day's midnight.
        day += dt.timedelta(days=1)
        while not is_working_day(day):
            day += dt.timedelta(days=1)
        local = dt.datetime.combine(day, dt.time(0), zone)
    # The same time on the next working day.
    day += dt.timedelta(days=1)
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return as_stored(dt.datetime.combine(day, local.timetz().replace(tzinfo=None), zone))


def after_working_days(stored: dt.datetime, zone: ZoneInfo, days: int) -> dt.datetime:
    """The stored moment `days` working days after `stored` (one working day, `days` times)."""
    for _day in range(days):
        stored = after_one_working_day(stored, zone)
    return stored


def time_left_in_words(deadline: dt.datetime, now: dt.datetime) -> str:
    """"5 hours left", "1 day 3 hours left", "overdue by 2 hours" (both stored naive UTC), in
    the page's language."""
    seconds = (deadline - now).total_seconds()
    words = _span(abs(seconds))
    if seconds >= 0:
        # Translators: the time left before a deadline, e.g. "1 day 3 hours left"
        return _("%(span)s left", span=words)
    # Translators: how long ago a deadline passed, e.g. "overdue by 2 hours"
    return _("overdue by %(span)s", span=words)


def _span(seconds: float) -> str:
    minutes = int(seconds // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if days:
        parts.append(ngettext("%(num)d day", "%(num)d days", days))
    if hours:
        parts.append(ngettext("%(num)d hour", "%(num)d hours", hours))
    if not days and (minutes or not hours):
        parts.append(ngettext("%(num)d minute", "%(num)d minutes", minutes))
    return " ".join(parts)
