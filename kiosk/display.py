"""Template filters that show stored UTC times and dates the way a UK school reads them.

Each function gives English ("5:40pm on Tuesday 3 March 2026"), as emails, exports and stored
texts need whatever the language of the request that makes them. Pages get the same dates in
the request's language: the template filters pass `in_language=True`, as may Python building a
sentence for a page. In English, or outside a request, the words are the same either way.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app, has_request_context
from flask_babel import format_date, format_time
from flask_babel import gettext as _

from . import i18n
from .models import as_local


def school_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["KIOSK_TIMEZONE"])


def to_local(value: dt.datetime) -> dt.datetime:
    """A stored naive-UTC time in the school's time zone."""
    return as_local(value, school_zone())


def today() -> dt.date:
    """Today's date in the school's time zone."""
    return dt.datetime.now(school_zone()).date()


def _other_language(in_language: bool) -> bool:
    """Whether to write a date in the words of a request whose language is not English."""
    return in_language and has_request_context() and i18n.language() != i18n.DEFAULT


# Babel's patterns for the dates below; the language gives the month's and day's names (and
# their grammatical case: Polish "3 marca").
LONG_DATE = "d MMMM y"
WEEKDAY_DATE = "EEEE d MMMM y"


def long_date(value: dt.date, *, in_language: bool = False) -> str:
    """30 September 2019."""
    if _other_language(in_language):
        return format_date(value, LONG_DATE, rebase=False)
    return f"{value.day} {value:%B %Y}"


def local_date(value: dt.datetime, *, in_language: bool = False) -> str:
    """30 September 2019: the day a stored time fell on, in the school's time zone."""
    return long_date(to_local(value).date(), in_language=in_language)


def short_time(value: dt.datetime, *, in_language: bool = False) -> str:
    """2:05pm, in the school's time zone (in another language, its own way: 14:05)."""
    local = to_local(value)
    if _other_language(in_language):
        return format_time(local.time(), "short", rebase=False)
    return f"{local.hour % 12 or 12}:{local:%M}{'am' if local.hour < 12 else 'pm'}"


def _time_on(time: str, date: str) -> str:
    # Translators: a time on a day, e.g. "2:05pm on 24 November 2026" (both already in words)
    return _("%(time)s on %(date)s", time=time, date=date)


def local_time(value: dt.datetime, *, in_language: bool = False) -> str:
    """2:05pm on 24 November 2026, in the school's time zone."""
    if _other_language(in_language):
        return _time_on(short_time(value, in_language=True),
                        long_date(to_local(value).date(), in_language=True))
    return f"{short_time(value)} on {long_date(to_local(value).date())}"


def weekday_date(value: dt.date, *, in_language: bool = False) -> str:
    """Tuesday 3 March 2026."""
    if _other_language(in_language):
        return format_date(value, WEEKDAY_DATE, rebase=False)
    return f"{value:%A} {long_date(value)}"


def weekday_time(value: dt.datetime, *, in_language: bool = False) -> str:
    """5:40pm on Tuesday 3 March 2026, in the school's time zone."""
    if _other_language(in_language):
        return _time_on(short_time(value, in_language=True),
                        weekday_date(to_local(value).date(), in_language=True))
    return f"{short_time(value)} on {weekday_date(to_local(value).date())}"


def _shown(function):
    """The filter a template uses: `function` in the words of the page's language."""
    def in_words(value):
        return function(value, in_language=True)

    in_words.__name__ = function.__name__
    in_words.__doc__ = function.__doc__
    return in_words


# The template filters (registered by templating.py): the page's language.
FILTERS = {function.__name__: _shown(function)
           for function in (long_date, local_date, local_time, short_time, weekday_date, weekday_time)}
