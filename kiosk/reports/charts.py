"""Periods of the school calendar and the bar charts drawn from them, as SVG (no script)."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_date
from flask import has_app_context
from flask_babel import format_date as page_date
from markupsafe import Markup, escape
from peewee import Case, Field, ModelSelect, fn

from ..models import as_stored
from . import _

WEEKS = 12
MONTHS = 12


def day_start(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """Midnight at the start of a school day, as a stored (naive UTC) time."""
    return as_stored(dt.datetime.combine(day, dt.time(), zone))


@dataclass(frozen=True)
class Period:
    """A week or a month in the school's calendar."""

    start: dt.date
    end: dt.date  # the day after it
    axis: tuple[str, ...]  # one or two short lines under its bar
    label: str  # in full, for the table
    during: str  # in a sentence: "in the week beginning 3 March 2025"


def format_date(day: dt.date, pattern: str) -> str:
    """A date in the page's language; in English outside the app (a test of the calendar)."""
    return page_date(day, pattern) if has_app_context() else babel_date(day, pattern, locale="en")


def last_weeks(today: dt.date, count: int = WEEKS) -> list[Period]:
    """The last `count` weeks, Monday to Sunday, ending with this one."""
    monday = today - dt.timedelta(days=today.weekday())
    starts = [monday - dt.timedelta(weeks=n) for n in range(count - 1, -1, -1)]
    return [Period(d, d + dt.timedelta(weeks=1), (format_date(d, "d MMM"),),
                   _("Week beginning %(day)s", day=_in_full(d)),
                   _("the week beginning %(day)s", day=_in_full(d))) for d in starts]


def _in_full(day: dt.date) -> str:
    """"3 March 2025", in the page's language (English outside a request)."""
    return format_date(day, "d MMMM y")


def last_months(today: dt.date, count: int = MONTHS) -> list[Period]:
    """The last `count` calendar months, ending with this one."""
    index = today.year * 12 + today.month - 1
    starts = [dt.date(i // 12, i % 12 + 1, 1) for i in range(index - count + 1, index + 2)]
    return [Period(d, after, (format_date(d, "LLL"), f"{d:%Y}"), format_date(d, "LLLL y"),
                   format_date(d, "LLLL y"))
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
            # Translators: %(span)s is "the last 12 weeks" or "the last 12 months"
            return _("None in %(span)s.", span=self.span)
        busiest = max(range(len(self.periods)), key=lambda i: self.totals[i])
        # Translators: %(during)s is "the week beginning 3 March 2025" or "March 2025"
        return _("%(total)s in %(span)s; the most, %(most)s, in %(during)s. The table after the "
                 "chart gives every number.", total=self.total, span=self.span,
                 most=self.totals[busiest], during=self.periods[busiest].during)

    @property
    def svg(self) -> Markup:
        return chart_svg(self)


def count_by_period(query: ModelSelect, at: Field, key: Field, periods: Sequence[Period],
                    zone: ZoneInfo) -> dict[object, list[int]]:
    """Count the rows of `query` into the school-calendar periods their time `at` falls in, per
    `key`, in the database: one query, one row per key, one sum per period, whatever the number
    of rows. A period runs from midnight to midnight in the school's zone (`day_start`); a time
    after the last period (a device with a fast clock) belongs to none."""
    bounds = [day_start(p.start, zone) for p in periods] + [day_start(periods[-1].end, zone)]
    sums = [fn.SUM(Case(None, [((at >= start) & (at < end), 1)], 0))
            for start, end in itertools.pairwise(bounds)]
    rows = (query.select(key, *sums).where(at >= bounds[0], at < bounds[-1])
            .group_by(key).tuples())
    return {row[0]: [int(n or 0) for n in row[1:]] for row in rows}


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

    kind = _("Stacked bar chart.")  # outside the f-strings, where extraction finds it
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_WIDTH} {height}" '
        f'role="img" aria-labelledby="{ident}-title" aria-describedby="{ident}-desc" '
        f'font-size="12" fill="#0b0c0c">',
        f'<title id="{ident}-title">{escape(chart.title)}</title>',
        f'<desc id="{ident}-desc">{escape(kind)} {escape(chart.summary)}</desc>',
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
        none = _("None recorded.")  # outside the f-string, where extraction finds it
        parts.append(f'<text x="{_LEFT}" y="{legend_top + 12}">{escape(none)}</text>')
    parts.append("</svg>")
    # Markup is safe here (ruff S704, bandit B704): every piece of text above is escaped, the
    # rest is numbers, colours and fixed names.
    svg = "".join(parts)
    return Markup(svg)  # nosec B704  # noqa: S704


def _colours(count: int) -> list[str]:
    return [PALETTE[i % len(PALETTE)] for i in range(count)]
