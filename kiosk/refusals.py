"""Refused requests from people not signed in: counted and rate-limited, not each audited.

Anyone on the internet can ask for a staff page; writing each refusal to the audit chain let
them grow it at will (issue 13). Here each is counted, in the limiter's storage (`memory://` in
one process, Redis when the workers share it), by the hour; and once an hour has ended, ONE
event says how many were refused in it (`access.refused_anonymous`), written by whichever
process first notices: at its next refusal, or when the head opens the audit log. An address
refused more than `KIOSK_REFUSED_PER_MINUTE` times in a minute gets a 429 until the minute is
out. A signed-in member of staff refused a page is still audited one by one (`access.py`).

What a server restart or a stop loses is the count of the hour it was in. When the storage
cannot be reached (Redis away), a refusal is still a refusal, uncounted and with a logged
warning: counting must never turn a "please sign in" into a server error.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

from flask import Response, current_app, make_response
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from limits import RateLimitItemPerMinute
from limits.errors import StorageError

from . import audit
from .errors import render_error
from .extensions import limiter

PERIOD = 3600  # seconds: one summary event an hour at most (per process with memory://)
# How far back the head's opening of the log looks for hours not yet written (the counts
# are kept a little longer).
LOOK_BACK = 24
KEPT = (LOOK_BACK + 2) * PERIOD

_pending: set[int] = set()  # hours this process counted refusals in, not yet written
_lock = threading.Lock()


def _now() -> float:
    return time.time()


def _keys(hour: int) -> tuple[str, str, str]:
    """(the hour's refusals, how many of them were turned away, whether it was written)."""
    return (f"kiosk/refused/{hour}", f"kiosk/refused-limited/{hour}",
            f"kiosk/refused-written/{hour}")


def refuse_anonymous() -> bool:
    """Count one refused request from someone not signed in (and write the summaries of the
    hours that have ended). False when this address has been refused too often this minute:
    answer it with `too_many()`."""
    try:
        return _count_refusal()
    except (StorageError, OSError) as error:
        current_app.logger.warning("Refused requests cannot be counted: %s", error)
        return True


def _count_refusal() -> bool:
    hour = int(_now() // PERIOD)
    storage = limiter.storage
    counted, limited, _written = _keys(hour)
    storage.incr(counted, KEPT)
    with _lock:
        _pending.add(hour)
        ended = sorted(h for h in _pending if h < hour)
        _pending.difference_update(ended)
    _write_summaries(ended)
    per_minute = RateLimitItemPerMinute(current_app.config["KIOSK_REFUSED_PER_MINUTE"])
    if limiter.limiter.hit(per_minute, "refused-anonymous", get_remote_address()):
        return True
    storage.incr(limited, KEPT)
    return False


def write_summaries(hours: list[int] | None = None) -> None:
    """Write one event for each of these ended hours (by default, the last day's) that had
    refusals and that no process has written yet (none, with a logged warning, while the
    storage cannot be reached: the head's audit log still opens)."""
    try:
        _write_summaries(hours)
    except (StorageError, OSError) as error:
        current_app.logger.warning("Refused requests cannot be summed up: %s", error)


def _write_summaries(hours: list[int] | None) -> None:
    current = int(_now() // PERIOD)
    storage = limiter.storage
    for hour in hours if hours is not None else range(current - LOOK_BACK, current):
        counted, limited, written = _keys(hour)
        refused = storage.get(counted)
        if hour >= current or not refused or storage.incr(written, KEPT) != 1:
            continue
        start = dt.datetime.fromtimestamp(hour * PERIOD, dt.UTC).replace(tzinfo=None)
        audit.record("access.refused_anonymous", kind="page", visitor=True, actor_label="",
                     refused=refused, limited=storage.get(limited), start=start.isoformat(),
                     end=(start + dt.timedelta(seconds=PERIOD)).isoformat())


def too_many() -> Response:
    """The answer to an address refused too often: a plain page, or JSON for the API."""
    response = make_response(render_error(429, _("Too many requests"),
                                          _("Please wait a minute, then sign in and try again.")))
    response.headers["Retry-After"] = "60"
    return response
