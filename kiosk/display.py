"""Template filters that show stored UTC times and dates the way a UK school reads them."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app

from .models import as_local


def school_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["KIOSK_TIMEZONE"])


def to_local(value: dt.datetime) -> dt.datetime:
    """A stored naive-UTC time in the school's time zone."""
    return as_local(value, school_zone())


def today() -> dt.date:
    """Today's date in the school's time zone."""
    return dt.datetime.now(school_zone()).date()


def long_date(value: dt.date) -> str:
    """30 September 2019."""
    return f"{value.day} {value:%B %Y}"


def local_date(value: dt.datetime) -> str:
    """30 September 2019: the day a stored time fell on, in the school's time zone."""
    return long_date(to_local(value).date())


def short_time(value: dt.datetime) -> str:
    """2:05pm, in the school's time zone."""
    local = to_local(value)
    return f"{local.hour % 12 or 12}:{local:%M}{'am' if local.hour < 12 else 'pm'}"


def local_time(value: dt.datetime) -> str:
    """2:05pm on 24 November 2026, in the school's time zone."""
    return f"{short_time(value)} on {long_date(to_local(value).date())}"


def weekday_date(value: dt.date) -> str:
    """Tuesday 3 March 2026."""
    return f"{value:%A} {long_date(value)}"


def weekday_time(value: dt.datetime) -> str:
    """5:40pm on Tuesday 3 March 2026, in the school's time zone."""
    return f"{short_time(value)} on {weekday_date(to_local(value).date())}"
