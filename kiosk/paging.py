"""Long lists a page at a time, newest first, by keyset.

A list of records that grows with the years (the leads' concerns, deletion requests, welfare
tasks, a teacher's own reports) shows `PAGE_SIZE` rows; its "Older" link names the last record
shown and its "Newer" link the first, by their public id, so the next page is read from the
index where this one ended (never with an OFFSET, which reads every row it skips). A page in
year six costs what a page in year one did. A cursor that names no record the reader may see
is read as the first page.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from peewee import Field, ModelSelect, Tuple

PAGE_SIZE = 50


@dataclass(frozen=True)
class Page:
    rows: list
    newer: str | None  # the first row's public id, when there are newer rows
    older: str | None  # the last row's public id, when there are older rows


def _anchor(query: ModelSelect, model, cursor: str | None):
    try:
        key = uuid.UUID(str(cursor or ""))
    except ValueError:
        return None
    return query.where(model.public_id == key).first()


def newest_first(query: ModelSelect, at: Field, *, older: str | None = None,
                 newer: str | None = None, size: int = PAGE_SIZE) -> Page:
    """One page of `query` (rows of a model with a public id), newest first by `at` then id:
    the page after the row `older` names, the page before the row `newer` names, or the first."""
    model = at.model
    key = Tuple(at, model.id)
    anchor = _anchor(query, model, older) or _anchor(query, model, newer)
    if anchor is None:
        rows = list(query.order_by(at.desc(), model.id.desc()).limit(size + 1))
        more_older, more_newer = len(rows) > size, False
        rows = rows[:size]
    else:
        point = Tuple(getattr(anchor, at.name), anchor.id)
        if anchor.public_id == _uuid(older):
            rows = list(query.where(key < point).order_by(at.desc(), model.id.desc())
                        .limit(size + 1))
            more_older, more_newer = len(rows) > size, True
            rows = rows[:size]
        else:
            rows = list(query.where(key > point).order_by(at.asc(), model.id.asc())
                        .limit(size + 1))
            more_newer, more_older = len(rows) > size, True
            rows = list(reversed(rows[:size]))
    if not rows and anchor is not None:  # past either end (records removed meanwhile)
        return newest_first(query, at, size=size)
    return Page(rows, str(rows[0].public_id) if more_newer else None,
                str(rows[-1].public_id) if more_older else None)


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value or ""))
    except ValueError:
        return None
