"""Spreadsheets: every acceptance, and the breaches a lead may see, safe to open in Excel.

A download is a record handed to others, so it is in English whatever the page's language
(`english`, `in_english`). An export is streamed: the rows are read from the database a batch at
a time, by keyset (the sort key of the last row sent), and sent as they are written, so a
download of two million acceptances takes the memory of one batch and its first bytes leave at
once."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from peewee import SQL, Field, Model, ModelSelect, Select, fn

from .. import audit
from ..models import Acceptance, Breach, BreachCategory, PolicyVersion, StaffUser, as_local, utcnow
from ..vocabulary import label

# A spreadsheet runs a cell starting with one of these as a formula (or a DDE command).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Rows read from the database in one query, and written out as one piece of the download: big
# enough that the queries cost little, small enough that memory stays flat (about 200 KB).
BATCH_ROWS = 1000

# Without it Excel reads UTF-8 as Windows-1252 and garbles names with accents.
BYTE_ORDER_MARK = "\ufeff"


def english(code: str | None, vocabulary: str) -> str:
    """The words for a stored code, as a download gives them: always English (call it inside
    `in_english`: the vocabulary's words are translated as they are read)."""
    return str(label(code, vocabulary))


def in_english(pieces: Iterable[str]) -> Iterator[str]:
    """The pieces of a download made in English whatever language the page was read in: a
    streamed download is written after the view returns, so the language is set as it is."""
    with force_locale("en"):
        yield from pieces


def safe_cell(value: object) -> object:
    """A value a spreadsheet shows as text: one that could start a formula gets an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_pieces(header: Sequence[str], rows: Iterable[Sequence[object]],
               rows_per_piece: int | None = None) -> Iterator[str]:
    """A CSV document in pieces to send as they come: the byte-order mark and the header first,
    then the rows, `rows_per_piece` at a time, each cell safe for a spreadsheet; in English."""
    return in_english(_csv_pieces(header, rows, rows_per_piece))


def _csv_pieces(header: Sequence[str], rows: Iterable[Sequence[object]],
                rows_per_piece: int | None = None) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BYTE_ORDER_MARK)
    writer.writerow(header)
    yield _taken(buffer)
    rows_per_piece = rows_per_piece or BATCH_ROWS
    waiting = 0
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
        waiting += 1
        if waiting == rows_per_piece:
            yield _taken(buffer)
            waiting = 0
    if waiting:
        yield _taken(buffer)


def _taken(buffer: io.StringIO) -> str:
    """What the buffer holds, leaving it empty for the next piece."""
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def in_batches(query: ModelSelect, first: Field, then: Field,
               size: int | None = None) -> Iterator[dict[str, Any]]:
    """The rows of a query in the order (first, then), as dicts of its columns, read `size` at
    a time: each batch starts after the last row of the one before (a keyset), so no batch
    rereads or skips a row, the database's index on `first` finds each start, and on PostgreSQL
    the driver (which reads a whole result into memory) holds one batch at a time. `then` must
    be unique (the id). Dicts, not model instances: building a model for each row of a joined
    query costs more than writing the row."""
    size = size or BATCH_ROWS
    after = None
    while True:
        batch = query.order_by(first, then)
        if after is not None:
            # (first, then) > after, written so that SQLite uses the index on `first`.
            batch = batch.where((first >= after[0]) & ((first > after[0]) | (then > after[1])))
        rows = list(batch.limit(size).dicts())
        yield from rows
        if len(rows) < size:
            return
        after = (rows[-1][first.name], rows[-1][then.name])


def _sheet_time(value: dt.datetime | None, zone: ZoneInfo) -> str:
    """A time a spreadsheet recognises, in the school's time zone."""
    return as_local(value, zone).strftime("%Y-%m-%d %H:%M") if value else ""


def yes_no(value: bool) -> str:
    return "Yes" if value else "No"


@dataclass(frozen=True)
class Download:
    """A file to download: its body whole (a string) or in pieces to stream."""

    filename: str
    body: str | Iterator[str]
    mimetype: str
    rows: int


def download_name(stem: str, zone: ZoneInfo, extension: str) -> str:
    return f"{stem}-{as_local(utcnow(), zone):%Y-%m-%d}.{extension}"


def _newest(model: type[Model]) -> int:
    """The id of the newest row now: an export sends the rows up to it, so a row added while it
    is being sent is left for the next export and the audited count is the rows sent."""
    return model.select(fn.MAX(model.id)).scalar() or 0


def _count_up_to(model: type[Model], newest: int) -> int:
    """How many rows have an id up to `newest`: every row, less those after it. SQLite counts
    a whole table from its smallest index (35 ms for two million rows) but a range of ids by
    reading the table itself (800 ms); one statement, so both counts see the same moment."""
    every, after = (Select(columns=[model.select(fn.COUNT(SQL("*"))),
                                    model.select(fn.COUNT(SQL("*"))).where(model.id > newest)])
                    .bind(model._meta.database).tuples().get())
    return every - after


ACCEPTANCE_COLUMNS = ("Accepted (school time)", "Full name", "Role", "Organisation", "Reason for visit",
                      "Channel", "Policy version", "Policy title", "Reference")


def export_acceptances(zone: ZoneInfo) -> Download:
    """Every acceptance as CSV, oldest first, streamed; the export is audited with its row count
    when it is asked for, before the first row is sent."""
    # Only the columns the sheet shows: a whole policy version (its text) on every row would be
    # read, and held, a batch at a time.
    newest = _newest(Acceptance)
    count = _count_up_to(Acceptance, newest)
    query = Acceptance.select(
        Acceptance.id, Acceptance.accepted_at, Acceptance.full_name, Acceptance.role,
        Acceptance.organisation, Acceptance.reason, Acceptance.channel, Acceptance.client_uuid,
        PolicyVersion.number, PolicyVersion.title).join(PolicyVersion).where(Acceptance.id <= newest)
    audit.record("export.acceptances", kind="export", rows=count)
    rows = ((_sheet_time(a["accepted_at"], zone), a["full_name"], english(a["role"], "visitor_role"),
             a["organisation"], a["reason"], english(a["channel"], "channel"), a["number"], a["title"],
             str(a["client_uuid"]))
            for a in in_batches(query, Acceptance.accepted_at, Acceptance.id))
    return Download(download_name("acceptances", zone, "csv"), csv_pieces(ACCEPTANCE_COLUMNS, rows),
                    "text/csv", count)


BREACH_COLUMNS = ("Happened (school time)", "Logged (school time)", "Category", "About", "Name",
                  "Location", "What happened", "Actions taken", "Safeguarding", "Restricted", "Status",
                  "Reported by", "Reference")


def export_breaches(user: StaffUser, zone: ZoneInfo) -> Download:
    """The breaches this user may see as CSV, oldest first (restricted ones only for the head),
    streamed; the export is audited with its row count when it is asked for."""
    chosen = Breach.visible_to(user).where(Breach.id <= _newest(Breach))
    count = chosen.count()
    query = chosen.select(
        Breach.id, Breach.occurred_at, Breach.created_at, Breach.subject_kind, Breach.subject_name,
        Breach.location, Breach.description, Breach.actions, Breach.safeguarding, Breach.restricted,
        Breach.status, Breach.public_id, BreachCategory.label, StaffUser.display_name).join(
        BreachCategory).switch(Breach).join(StaffUser, on=Breach.reporter)
    audit.record("export.breaches", kind="export", rows=count)
    rows = ((_sheet_time(b["occurred_at"], zone), _sheet_time(b["created_at"], zone), b["label"],
             english(b["subject_kind"], "subject_kind"), b["subject_name"], b["location"],
             b["description"],
             "; ".join(english(c, "breach_action") for c in b["actions"].split(",") if c),
             yes_no(b["safeguarding"]), yes_no(b["restricted"]), english(b["status"], "breach_status"),
             b["display_name"], str(b["public_id"]))
            for b in in_batches(query, Breach.occurred_at, Breach.id))
    return Download(download_name("breaches", zone, "csv"), csv_pieces(BREACH_COLUMNS, rows),
                    "text/csv", count)
