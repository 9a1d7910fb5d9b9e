"""Template filters that show stored UTC times and dates the way a UK school reads them."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Flask, current_app


def to_local(value: dt.datetime) -> dt.datetime:
    """A stored naive-UTC time in the school's time zone."""
    return value.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(current_app.config["KIOSK_TIMEZONE"]))


def long_date(value: dt.date) -> str:
    """30 September 2019."""
    return f"{value.day} {value:%B %Y}"


def local_time(value: dt.datetime) -> str:
    """2:05pm on 24 November 2026, in the school's time zone."""
    local = to_local(value)
    hour = local.hour % 12 or 12
    return f"{hour}:{local:%M}{'am' if local.hour < 12 else 'pm'} on {long_date(local.date())}"


def init_app(app: Flask) -> None:
    app.add_template_filter(long_date)
    app.add_template_filter(local_time)
