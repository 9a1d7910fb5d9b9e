"""Long lists a page at a time, by keyset.

A list of records that grows with the years (the leads' concerns, deletion requests, welfare
tasks, a teacher's own reports) shows `PAGE_SIZE` rows, newest first (`newest_first`) or, for a
queue worked through from the oldest, oldest first (`oldest_first`). Its "Older" link names the
oldest record shown and its "Newer" link the newest, by their public id, so the next page is
read from the index where this one ended (never with an OFFSET, which reads every row it
skips): a page in year six costs what a page in year one did. A cursor that names no record the
reader may see is read as the first page.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from peewee import Field, ModelSelect, Tuple

PAGE_SIZE = 50


@dataclass(frozen=True)
class Page:
    rows: list
    newer: str | None  # the newest row's public id, when there are newer rows
    older: str | None  # the oldest row's public id, when there are older rows
    descending: bool = True  # newest first


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value or ""))
    except ValueError:
        return None


def _anchor(query: ModelSelect, model, cursor: str | None):
    key = _uuid(cursor)
    return query.where(model.public_id == key).first() if key else None


def newest_first(query: ModelSelect, at: Field, *, older: str | None = None,
                 newer: str | None = None, size: int = PAGE_SIZE) -> Page:
    """One page of `query` (rows of a model with a public id), newest first by `at` then id:
    the page older than the row `older` names, newer than the row `newer` names, or the first."""
    return _page(query, at, older, newer, size, descending=True)


def oldest_first(query: ModelSelect, at: Field, *, older: str | None = None,
                 newer: str | None = None, size: int = PAGE_SIZE) -> Page:
    """The same, oldest first: the first page is the oldest."""
    return _page(query, at, older, newer, size, descending=False)


def _page(query: ModelSelect, at: Field, older: str | None, newer: str | None, size: int,
          descending: bool) -> Page:
    model = at.model
    key = Tuple(at, model.id)
    newest, oldest = (at.desc(), model.id.desc()), (at.asc(), model.id.asc())
    before, after = _anchor(query, model, older), None
    if before is None:
        after = _anchor(query, model, newer)
    if before is not None:
        rows = list(query.where(key < Tuple(getattr(before, at.name), before.id))
                    .order_by(*newest).limit(size + 1))
        more_older, more_newer = len(rows) > size, True
    elif after is not None:
        rows = list(query.where(key > Tuple(getattr(after, at.name), after.id))
                    .order_by(*oldest).limit(size + 1))
        more_older, more_newer = True, len(rows) > size
    else:
        rows = list(query.order_by(*(newest if descending else oldest)).limit(size + 1))
        more_older, more_newer = (len(rows) > size, False) if descending else (False, len(rows) > size)
    if not rows and (before or after):  # past either end (records removed meanwhile)
        return _page(query, at, None, None, size, descending)
    rows = rows[:size]
    if not rows:
        return Page([], None, None, descending)
    rows.sort(key=lambda row: (getattr(row, at.name), row.id), reverse=descending)
    newest_row, oldest_row = (rows[0], rows[-1]) if descending else (rows[-1], rows[0])
    return Page(rows, str(newest_row.public_id) if more_newer else None,
                str(oldest_row.public_id) if more_older else None, descending)
