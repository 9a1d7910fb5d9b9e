"""Today's visitors as staff pick and read them, on a quiet day or a busy one (a school fair:
two thousand since midnight): the newest few as tiles, a search by name for the rest, and the
whole list a page at a time. Nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import format_number, ngettext
from flask_babel import gettext as _

from .models import Acceptance
from .text import search_key

# The forms offer the 12 newest of today's visitors as tiles. A teacher with a class waiting
# usually wants someone who has just come in (a fair's last few minutes), 12 fill four rows of
# three tiles on a landscape iPad or six of two in portrait, and they cost about 6 KB of page
# whatever the day: anyone earlier is one search away.
TILES = 12
# "Today's visitors" lists this many a page, newest first, with "Show earlier visitors".
LIST_PAGE = 50


# Each sentence below is one whole message for translating ("2,000 people who signed in today
# match “fair”"), its count written in the page's own language's way (`format_number`).

def _matched(count: int, search: str) -> str:
    """What a search found, as a heading (no full stop)."""
    if count == 0:
        return _("No one who signed in today has “%(search)s” in their name", search=search)
    return ngettext("%(count)s person who signed in today matches “%(search)s”",
                    "%(count)s people who signed in today match “%(search)s”",
                    count, count=format_number(count), search=search)


def _matched_sentence(count: int, search: str) -> str:
    """What a search found, as a sentence above the tiles."""
    if count == 0:
        return _("No one who signed in today has “%(search)s” in their name.", search=search)
    if count > TILES:
        return ngettext("%(count)s person who signed in today matches “%(search)s”: the %(tiles)d "
                        "most recent are shown. Type more of the name to find someone else.",
                        "%(count)s people who signed in today match “%(search)s”: the %(tiles)d "
                        "most recent are shown. Type more of the name to find someone else.",
                        count, count=format_number(count), search=search, tiles=TILES)
    return ngettext("%(count)s person who signed in today matches “%(search)s”.",
                    "%(count)s people who signed in today match “%(search)s”.",
                    count, count=format_number(count), search=search)


@dataclass(frozen=True)
class Offer:
    """Today's visitors to offer on a form as tiles, and the words above them."""

    people: list[Acceptance]
    total: int  # everyone who signed in today
    search: str  # the name searched for, as typed; "" for none
    matched: int  # how many of today's match the search (the total without one)

    @property
    def searchable(self) -> bool:
        """A search is offered only when there is someone the tiles leave out (or one is on)."""
        return bool(self.search) or self.total > TILES

    @property
    def heading(self) -> str:
        """What the tiles are, in words: the newest of how many, or what the search found."""
        if self.search:
            return _matched_sentence(self.matched, self.search)
        if self.total > TILES:
            return ngettext("The %(tiles)d most recent of the %(count)s person who signed in "
                            "today. Search for anyone else.",
                            "The %(tiles)d most recent of the %(count)s people who signed in "
                            "today. Search for anyone else.",
                            self.total, count=format_number(self.total), tiles=TILES)
        return ""


def offer(timezone: str, search: str = "", chosen: str = "") -> Offer:
    """Today's visitors to offer as tiles: those whose name holds `search` (a part of it, any
    case, any accents), else the newest; at most TILES of them. The one already `chosen` on
    the form (an acceptance's UUID, sent back with an error, or found by an earlier search) is
    always among them, first if it would not be, so choosing someone is never undone."""
    search = search if search_key(search) else ""
    matching = Acceptance.today(timezone, search)
    shown = list(matching.limit(TILES))
    total = Acceptance.today(timezone).count()
    matched = (len(shown) if len(shown) < TILES else matching.count()) if search else total
    picked = Acceptance.by_client_uuid(chosen) if chosen else None
    if picked is not None and picked.id not in {a.id for a in shown}:
        shown.insert(0, picked)
    return Offer(people=shown, total=total, search=search, matched=matched)


@dataclass(frozen=True)
class Listing:
    """A page of "Today's visitors", newest first."""

    rows: list[Acceptance]
    total: int
    search: str
    matched: int
    earlier: bool  # this page starts after the most recent (a "Show earlier visitors" page)
    next_before: str  # the UUID to start the next page after; "" on the last page

    @property
    def summary(self) -> str:
        if not self.total:
            return _("Nobody has accepted the policy yet today.")
        return ngettext("%(count)s person has signed in today.",
                        "%(count)s people have signed in today.",
                        self.total, count=format_number(self.total))

    @property
    def heading(self) -> str:
        if self.search:
            return _matched(self.matched, self.search)
        if self.earlier:
            return _("Earlier today")
        if self.next_before:
            return ngettext("The %(num)d most recent", "The %(num)d most recent", LIST_PAGE)
        return _("Most recent first")


def listing(timezone: str, search: str = "", before: str = "") -> Listing:
    """One page of today's visitors (those whose name holds `search`, if given), newest first,
    starting after the acceptance `before` names: a keyset page, as quick at the end of a fair
    as at its start. An unknown `before` starts again at the most recent."""
    search = search if search_key(search) else ""
    query = Acceptance.today(timezone, search)
    start = Acceptance.by_client_uuid(before) if before else None
    if start is not None:
        query = query.where((Acceptance.accepted_at < start.accepted_at)
                            | ((Acceptance.accepted_at == start.accepted_at)
                               & (Acceptance.id < start.id)))
    rows = list(query.limit(LIST_PAGE + 1))
    more = len(rows) > LIST_PAGE
    rows = rows[:LIST_PAGE]
    total = Acceptance.today(timezone).count()
    matched = Acceptance.today(timezone, search).count() if search else total
    return Listing(rows=rows, total=total, search=search, matched=matched,
                   earlier=start is not None,
                   next_before=str(rows[-1].client_uuid) if more else "")

