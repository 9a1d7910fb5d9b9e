"""Working days for the LADO's deadline: weekends and England and Wales's bank holidays (from the
`holidays` package) do not count; the school's clock does."""

import datetime as dt
import os
import subprocess
import sys
from zoneinfo import ZoneInfo

import pytest

from kiosk.models import as_stored
from kiosk.working_days import after_one_working_day, is_working_day, time_left_in_words

from .live import ROOT

LONDON = ZoneInfo("Europe/London")


def at(*parts) -> dt.datetime:
    """A stored time for a London wall-clock time."""
    return as_stored(dt.datetime(*parts, tzinfo=LONDON))


@pytest.mark.parametrize(("raised", "due", "why"), [
    (at(2027, 3, 2, 10, 15), at(2027, 3, 3, 10, 15), "a Tuesday: Wednesday at the same time"),
    (at(2027, 3, 5, 15, 0), at(2027, 3, 8, 15, 0), "a Friday: over the weekend to Monday"),
    (at(2027, 3, 6, 11, 0), at(2027, 3, 9, 0, 0), "a Saturday: the end of Monday"),
    (at(2027, 3, 25, 15, 0), at(2027, 3, 30, 15, 0),
     "the Thursday before Easter: not Good Friday, the weekend or Easter Monday"),
    (at(2027, 3, 26, 9, 0), at(2027, 3, 31, 0, 0), "Good Friday itself: the end of Tuesday"),
    (at(2027, 12, 24, 16, 0), at(2027, 12, 29, 16, 0),
     "Christmas Eve 2027: Christmas and Boxing Day fall at a weekend, so the 27th and 28th are off"),
    (at(2026, 12, 24, 16, 0), at(2026, 12, 29, 16, 0),
     "Christmas Eve 2026: Christmas Day, the weekend and Boxing Day observed on the 28th"),
])
def test_one_working_day_skips_weekends_and_bank_holidays(raised, due, why):
    assert after_one_working_day(raised, LONDON) == due, why


def test_the_count_is_on_the_schools_clock_across_the_clocks_going_forward():
    # 10am on Friday 26 March 2027 (GMT) is due at 10am on Monday 29 March (BST)... except
    # Good Friday is 26 March 2027. Take the Friday before: 19 March, GMT, due on Monday 22nd.
    assert after_one_working_day(at(2027, 3, 19, 10, 0), LONDON) == at(2027, 3, 22, 10, 0)
    # Friday 27 March 2026 at 10am GMT is due Monday 30 March at 10am BST (an hour less in UTC).
    due = after_one_working_day(at(2026, 3, 27, 10, 0), LONDON)
    assert due == at(2026, 3, 30, 10, 0)
    assert due.hour == 9  # stored UTC: the clocks went forward that Sunday


def test_bank_holidays_come_from_the_holidays_package_not_a_fixed_list():
    assert not is_working_day(dt.date(2031, 4, 11))  # Good Friday 2031
    assert not is_working_day(dt.date(2031, 4, 14))  # Easter Monday 2031
    assert is_working_day(dt.date(2031, 4, 15))
    assert not is_working_day(dt.date(2027, 1, 2))  # a Saturday
    assert is_working_day(dt.date(2027, 1, 4))


@pytest.mark.parametrize(("deadline", "now", "words"), [
    (at(2027, 3, 3, 10, 0), at(2027, 3, 3, 5, 0), "5 hours left"),
    (at(2027, 3, 4, 13, 0), at(2027, 3, 3, 10, 0), "1 day 3 hours left"),
    (at(2027, 3, 3, 10, 0), at(2027, 3, 3, 9, 35), "25 minutes left"),
    (at(2027, 3, 3, 10, 0), at(2027, 3, 3, 12, 0), "overdue by 2 hours"),
    (at(2027, 3, 3, 10, 0), at(2027, 3, 5, 10, 0), "overdue by 2 days"),
])
def test_the_time_left_reads_in_words(deadline, now, words):
    assert time_left_in_words(deadline, now) == words


def test_the_holidays_package_is_not_loaded_until_a_deadline_is_worked_out(tmp_path):
    """Every country's calendars (about 3 MB) stay out of a worker that never needs a LADO
    deadline; the first working day asked for loads them (the tests above: rightly)."""
    code = ("import sys, datetime, wsgi; from kiosk.working_days import is_working_day; "
            "print('holidays' in sys.modules); "
            "print(is_working_day(datetime.date(2025, 12, 25))); "
            "print('holidays' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "KIOSK_INSTANCE_PATH": str(tmp_path)}, check=True)
    assert done.stdout.splitlines() == ["False", "False", "True"]
