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
    for _ in range(days):
        stored = after_one_working_day(stored, zone)
    return stored


def time_left_in_words(deadline: dt.datetime, now: dt.datetime) -> str:
    """"5 hours left", "1 day 3 hours left", "overdue by 2 hours" (both stored naive UTC)."""
    seconds = (deadline - now).total_seconds()
    words = _span(abs(seconds))
    return f"{words} left" if seconds >= 0 else f"overdue by {words}"


def _span(seconds: float) -> str:
    minutes = int(seconds // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if not days and (minutes or not hours):
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)
