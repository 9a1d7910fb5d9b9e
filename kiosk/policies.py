"""Policy texts: reading a Markdown file with front matter, rendering it safely, seeding version 1."""

from __future__ import annotations

import calendar
import datetime as dt
import difflib
import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import nh3
from flask_babel import gettext as _
from flask_babel import ngettext
from markdown_it import MarkdownIt

from . import audit, display, roster, school
from .models import PolicyDraft, PolicyVersion, db, serialize, utcnow

DEFAULT_POLICY = Path(__file__).parent / "content" / "westacre-social-media-and-mobile-phone-policy.md"

FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)

# The HTML a policy may contain once rendered: text structure only, no images, forms or styles.
ALLOWED_TAGS = {
    "h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "ul", "ol", "li", "strong", "em", "b",
    "i", "a", "blockquote", "code", "pre", "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href"}, "ol": {"start"}, "th": {"scope"}}

_markdown = MarkdownIt("commonmark").enable("table")


class PolicyFileError(ValueError):
    """The policy file cannot be used as it is (said in English: it is the server's)."""


@dataclass(frozen=True)
class PolicyText:
    title: str
    school: str
    body: str
    review_due: dt.date | None
    key_points: str = ""

    @property
    def content_hash(self) -> str:
        return content_hash(self.title, self.body, self.key_points)


def content_hash(title: str, body: str, key_points: str = "") -> str:
    """A fingerprint of what a reader sees, so an unchanged text is recognised. Key points are
    added only when there are some, so versions published before they existed keep their hash."""
    text = f"{title}\n\n{body}" + (f"\n\n{key_points}" if key_points else "")
    return hashlib.sha256(text.encode()).hexdigest()


KEY_POINTS_MIN, KEY_POINTS_MAX, KEY_POINT_LENGTH = 3, 6, 200


def clean_key_points(text: str) -> str:
    """One point per line: blank lines and list markers dropped, spaces folded."""
    points = []
    for line in text.replace("\r\n", "\n").split("\n"):
        point = " ".join(re.sub(r"^\s*(?:[-*•]|\d+[.)])\s+", "", line).split())
        if point:
            points.append(point)
    return "\n".join(points)


def key_points_problem(text: str) -> str | None:
    """Why these key points cannot be published, in a sentence; None when they can."""
    points = [line for line in text.split("\n") if line]
    if not KEY_POINTS_MIN <= len(points) <= KEY_POINTS_MAX:
        return _("Please write between %(fewest)d and %(most)d key points, one per line (there "
                 "are %(count)d).", fewest=KEY_POINTS_MIN, most=KEY_POINTS_MAX, count=len(points))
    if any(len(point) > KEY_POINT_LENGTH for point in points):
        return _("Please keep each key point under %(length)d characters.",
                 length=KEY_POINT_LENGTH)
    return None


def parse_review_due(value: object) -> dt.date | None:
    """Accept a date, 'YYYY-MM-DD' or 'YYYY-MM' (meaning the last day of that month)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}", text):
            year, month = map(int, text.split("-"))
            return dt.date(year, month, calendar.monthrange(year, month)[1])
        return dt.date.fromisoformat(text)
    except ValueError:
        raise PolicyFileError(f"review_due {text!r} is not a date like 2025-09 or 2025-09-30") from None


def parse_policy(source: str) -> PolicyText:
    """Split front matter (title, school, review_due) from the Markdown body."""
    match = FRONT_MATTER.match(source)
    if not match:
        raise PolicyFileError("the policy file must begin with front matter between --- lines")
    import yaml  # only when a policy file is read (seeding, the server's command): 0.5 MiB

    meta = yaml.safe_load(match.group(1)) or {}
    if not isinstance(meta, dict):
        raise PolicyFileError("the front matter must be a list of 'key: value' lines")
    title, school = str(meta.get("title") or "").strip(), str(meta.get("school") or "").strip()
    if not title or not school:
        raise PolicyFileError("the front matter must give a title and a school")
    body = source[match.end():].strip() + "\n"
    points = meta.get("key_points") or []
    if not isinstance(points, list):
        raise PolicyFileError("key_points must be a list of short lines, each starting with '- '")
    return PolicyText(title=title, school=school, body=body,
                      review_due=parse_review_due(meta.get("review_due")),
                      key_points=clean_key_points("\n".join(str(p) for p in points)))


@lru_cache(maxsize=16)
def render_markdown(body: str) -> str:
    """Markdown to HTML, then sanitised: a policy can never carry script or styling."""
    html = _markdown.render(body)
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer")


def seed_default_policy(path: Path = DEFAULT_POLICY) -> PolicyVersion | None:
    """Publish the file as version 1 when no version exists yet; return it, or None if one did.

    A review date already past is the original document's, not this school's plan: it is left
    out, and the set-up screen asks the head for one."""
    text = parse_policy(path.read_text(encoding="utf-8"))
    review_due = text.review_due if text.review_due and text.review_due >= utcnow().date() else None
    with db.atomic():
        if PolicyVersion.select().exists():
            return None
        version = PolicyVersion.create(
            number=1, title=text.title, school=text.school, body=text.body,
            key_points=text.key_points, content_hash=text.content_hash, review_due=review_due,
        )
        audit.record("policy.published", kind="policy_version", record_id=version.number,
                     actor_label="seed", content_hash=version.content_hash)
        return version


# Drafting and publishing a new version (the head) -------------------------------------------------

def current_draft() -> PolicyDraft:
    """The draft being written, or a new one starting from the current version's text."""
    draft = PolicyDraft.select().order_by(PolicyDraft.id.desc()).first()
    if draft is not None:
        return draft
    current = PolicyVersion.current()
    return PolicyDraft(title=current.title if current else "", body=current.body if current else "",
                       key_points=current.key_points if current else "",
                       review_due=current.review_due if current else None)


def save_draft(title: str, body: str, key_points: str, review_due: dt.date | None) -> PolicyDraft:
    """Keep the draft (there is only ever one)."""
    with db.atomic():
        draft = PolicyDraft.select().order_by(PolicyDraft.id.desc()).first() or PolicyDraft()
        draft.title, draft.body, draft.review_due = title, body.strip() + "\n", review_due
        draft.key_points = clean_key_points(key_points)
        draft.updated_at = utcnow()
        draft.save()
    return draft


# What changed, in the school's words ---------------------------------------------------------------

@dataclass(frozen=True)
class Change:
    kind: str  # added, removed, changed, moved
    text: str  # a sentence: "New section: Use of mobile phones"


_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s")
_START = ""  # the text before the first heading


def _plain(heading: str) -> str:
    """A heading as a reader sees it: without links' addresses or emphasis marks."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    return " ".join(re.sub(r"[*_`]+", "", text).split())


def _sections(body: str) -> list[tuple[str, list[str]]]:
    """The text as (heading, blocks) in order; a block is a paragraph or a list."""
    sections: list[tuple[str, list[str]]] = [(_START, [])]
    lines: list[str] = []

    def close() -> None:
        sections[-1][1].extend(block.strip() for block in "\n".join(lines).split("\n\n")
                               if block.strip())
        lines.clear()

    for line in body.replace("\r\n", "\n").split("\n"):
        heading = _HEADING.match(line)
        if heading:
            close()
            sections.append((_plain(heading.group(2) or ""), []))
        else:
            lines.append("" if not line.strip() else line)
    close()
    return sections


def _counted(blocks: list[str]) -> str:
    """'2 paragraphs', '1 list', '1 paragraph and 1 list'."""
    lists = sum(bool(_LIST_ITEM.match(block)) for block in blocks)
    paragraphs = len(blocks) - lists
    paragraphs_words = ngettext("%(num)d paragraph", "%(num)d paragraphs", paragraphs)
    lists_words = ngettext("%(num)d list", "%(num)d lists", lists)
    if paragraphs and lists:
        # Translators: what changed in a section of the policy, e.g. "2 paragraphs and 1 list"
        return _("%(paragraphs)s and %(lists)s", paragraphs=paragraphs_words, lists=lists_words)
    return paragraphs_words if paragraphs else lists_words


def _changed_in(heading: str, blocks: list[str]) -> Change:
    what = _counted(blocks)
    if heading == _START:
        # Translators: %(what)s is e.g. "2 paragraphs and 1 list"
        return Change("changed", _("Changed: %(what)s at the start, before the first heading",
                                   what=what))
    # Translators: %(what)s is e.g. "2 paragraphs and 1 list", %(heading)s a section's heading
    return Change("changed", _("Changed: %(what)s in '%(heading)s'", what=what, heading=heading))


def _added_to(heading: str, blocks: list[str]) -> Change:
    what = _counted(blocks)
    if heading == _START:
        # Translators: %(what)s is e.g. "2 paragraphs and 1 list"
        return Change("added", _("Added: %(what)s at the start, before the first heading",
                                 what=what))
    # Translators: %(what)s is e.g. "2 paragraphs and 1 list", %(heading)s a section's heading
    return Change("added", _("Added: %(what)s to '%(heading)s'", what=what, heading=heading))


def _taken_from(heading: str, blocks: list[str]) -> Change:
    what = _counted(blocks)
    if heading == _START:
        # Translators: %(what)s is e.g. "2 paragraphs and 1 list"
        return Change("removed", _("Taken out: %(what)s at the start, before the first heading",
                                   what=what))
    # Translators: %(what)s is e.g. "2 paragraphs and 1 list", %(heading)s a section's heading
    return Change("removed", _("Taken out: %(what)s from '%(heading)s'", what=what,
                               heading=heading))


def _section_changes(heading: str, old: list[str], new: list[str]) -> list[Change]:
    """What changed inside one section: paragraphs and lists reworded, added or taken out."""
    changed, added, removed = [], [], []
    for code, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if code == "replace":
            paired = min(i2 - i1, j2 - j1)
            changed += new[j1:j1 + paired]
            added += new[j1 + paired:j2]
            removed += old[i1 + paired:i2]
        elif code == "insert":
            added += new[j1:j2]
        elif code == "delete":
            removed += old[i1:i2]
    changes = []
    if changed:
        changes.append(_changed_in(heading, changed))
    if added:
        changes.append(_added_to(heading, added))
    if removed:
        changes.append(_taken_from(heading, removed))
    return changes


def _similar(old: list[str], new: list[str]) -> bool:
    """Mostly the same text: a section whose heading alone was reworded."""
    return difflib.SequenceMatcher(None, "\n\n".join(old), "\n\n".join(new),
                                   autojunk=False).ratio() >= 0.6


def changes_between(current: PolicyVersion | None, title: str, body: str,
                    key_points: str) -> list[Change]:
    """What a reader of the current version would find different in this text, as the school
    would say it: new, renamed, moved and removed sections, paragraphs changed in a section,
    the title and the key points."""
    result = []
    if current is not None and title.strip() and title.strip() != current.title:
        result.append(Change("changed", _("New title: '%(title)s'", title=title.strip())))
    if current is not None and clean_key_points(key_points) != current.key_points:
        result.append(Change("changed", _("Key points changed")))
    old_sections = _sections(current.body if current else "")
    new_sections = _sections(body)
    # Sections are matched by heading; a heading used twice is told apart by its place.
    def keyed(sections):
        seen: dict[str, int] = {}
        out = {}
        for heading, blocks in sections:
            seen[heading] = seen.get(heading, 0) + 1
            out[(heading, seen[heading])] = blocks
        return out
    old, new = keyed(old_sections), keyed(new_sections)
    renamed = {}
    gone = [key for key in old if key not in new]
    for key in (key for key in new if key not in old):
        match = next((g for g in gone if g[0] != _START and _similar(old[g], new[key])), None)
        if match is not None and key[0] != _START:
            gone.remove(match)
            renamed[key] = match
    old_order = [key for key in old if key in new or key in renamed.values()]
    new_order = [renamed.get(key, key) for key in new if key in old or key in renamed]
    in_place = set()
    for block in difflib.SequenceMatcher(None, old_order, new_order, autojunk=False).get_matching_blocks():
        in_place.update(old_order[block.a:block.a + block.size])
    for key, blocks in new.items():
        heading = key[0]
        if key in renamed:
            result.append(Change("changed", _("Heading changed: '%(old)s' is now '%(new)s'",
                                              old=renamed[key][0], new=heading)))
            was = old[renamed[key]]
        elif key in old:
            was = old[key]
        else:
            result.append(Change("added", _("New section: %(heading)s",
                                            heading=heading or _("(no heading)"))))
            continue
        if key != (_START, 1) and renamed.get(key, key) not in in_place:
            result.append(Change("moved", _("Moved: '%(heading)s'", heading=heading)))
        result += _section_changes(heading, was, blocks)
    for key in gone:  # never the start: every text has one, if only empty
        result.append(Change("removed", _("Section taken out: %(heading)s", heading=key[0])))
    return result


_PUBLISH_LOCK = 730_503


class PublishError(ValueError):
    """The draft cannot be published as it is; the message says why, in the page's language."""


def publish_problem(draft: PolicyDraft) -> str | None:
    """Why the draft cannot be published, in a sentence; None when it can."""
    if not draft.title.strip() or not draft.body.strip():
        return _("The new version needs a title and some text.")
    problem = key_points_problem(draft.key_points)
    if problem:
        return problem
    current = PolicyVersion.current()
    if current is not None and current.content_hash == draft_hash(draft):
        return _("The text is the same as the current version: nothing to publish.")
    return None


def draft_hash(draft: PolicyDraft) -> str:
    return content_hash(draft.title, draft.body, draft.key_points)


@dataclass(frozen=True)
class PublishPlan:
    """What publishing the draft would do, for the head to confirm."""

    number: int  # the new version's
    current: PolicyVersion | None
    floor: PolicyVersion | None  # the version whose acceptance counts now
    accepted: int  # people on the roster whose acceptance counts now: asked again, unless minor
    not_yet: int  # people on the roster who have still to accept, whichever is chosen
    changes: list[Change]
    confirms: str  # carried by the confirmation: this draft, after this version

    @property
    def minor_allowed(self) -> bool:
        return self.current is not None


def _confirms(draft: PolicyDraft, current: PolicyVersion | None) -> str:
    review_due = draft.review_due.isoformat() if draft.review_due else ""
    return f"{current.number if current else 0}:{review_due}:{draft_hash(draft)}"


def _publishable_draft() -> PolicyDraft:
    """The saved draft, if it can be published; PublishError says why not."""
    draft = PolicyDraft.select().order_by(PolicyDraft.id.desc()).first()
    if draft is None:
        raise PublishError(_("There is no draft to publish: write the changes first."))
    problem = publish_problem(draft)
    if problem:
        raise PublishError(problem)
    return draft


def publish_plan() -> PublishPlan:
    """What publishing the saved draft would do: the new version's number, who on the roster
    would be asked to accept again, what changed. Raises PublishError when it cannot be."""
    draft = _publishable_draft()
    current = PolicyVersion.current()
    accepted, not_yet = roster.accepted_count()
    return PublishPlan(
        number=(current.number + 1) if current else 1, current=current,
        floor=PolicyVersion.current_acceptance_floor(), accepted=accepted, not_yet=not_yet,
        changes=changes_between(current, draft.title, draft.body, draft.key_points),
        confirms=_confirms(draft, current))


def publish(confirms: str, minor: bool = False) -> PolicyVersion:
    """Publish the saved draft as the next version, as the head confirmed it: `confirms` is the
    PublishPlan's, so a draft changed since (in another tab) is not published unseen. A minor
    change keeps acceptances of the version before counting; otherwise everyone on the roster
    is asked to accept again. Acceptances of older versions stay as they were."""
    with db.atomic():  # the next number is read inside the transaction: two publishes queue
        serialize(_PUBLISH_LOCK)
        draft = _publishable_draft()
        current = PolicyVersion.current()
        if confirms != _confirms(draft, current):
            raise PublishError(_("The draft or the current version changed since you were asked "
                                 "to confirm. Please check it and publish again."))
        if minor and current is None:
            raise PublishError(_("The first version cannot be a minor change."))
        version = PolicyVersion.create(
            number=(current.number + 1) if current else 1, title=draft.title,
            school=current.school if current else school.school_name(), body=draft.body,
            key_points=draft.key_points, content_hash=draft_hash(draft),
            review_due=draft.review_due, minor_change=minor)
        PolicyDraft.delete().execute()
        audit.record("policy.published", kind="policy_version", record_id=version.number,
                     content_hash=version.content_hash, review_due=version.review_due,
                     change="minor" if minor else "full")
    return version


def review_overdue(today: dt.date | None = None) -> PolicyVersion | None:
    """The current version, if its review date has passed."""
    current = PolicyVersion.current()
    if current is None or current.review_due is None:
        return None
    return current if current.review_due < (today or display.today()) else None
