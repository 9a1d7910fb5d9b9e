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
import yaml
from markdown_it import MarkdownIt

from . import audit, school
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
    """The policy file cannot be used as it is."""


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
        return (f"Please write between {KEY_POINTS_MIN} and {KEY_POINTS_MAX} key points, one per "
                f"line (there are {len(points)}).")
    if any(len(point) > KEY_POINT_LENGTH for point in points):
        return f"Please keep each key point under {KEY_POINT_LENGTH} characters."
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


@dataclass(frozen=True)
class DiffLine:
    kind: str  # same, added, removed
    text: str


def diff(old: str, new: str) -> list[DiffLine]:
    """What changed, paragraph by paragraph (a Markdown paragraph is a line or a block)."""
    old_parts = [part.strip() for part in old.split("\n\n") if part.strip()]
    new_parts = [part.strip() for part in new.split("\n\n") if part.strip()]
    lines = []
    for entry in difflib.ndiff(old_parts, new_parts):
        code, text = entry[:2], entry[2:]
        if code == "  ":
            lines.append(DiffLine("same", text))
        elif code == "- ":
            lines.append(DiffLine("removed", text))
        elif code == "+ ":
            lines.append(DiffLine("added", text))
    return lines


_PUBLISH_LOCK = 730_503


class PublishError(ValueError):
    """The draft cannot be published as it is; the message says why."""


def publish(draft: PolicyDraft) -> PolicyVersion:
    """Publish the draft as the next version; acceptances of older versions stay as they were."""
    if not draft.title.strip() or not draft.body.strip():
        raise PublishError("The new version needs a title and some text.")
    problem = key_points_problem(draft.key_points)
    if problem:
        raise PublishError(problem)
    new_hash = content_hash(draft.title, draft.body, draft.key_points)
    with db.atomic():  # the next number is read inside the transaction: two publishes queue
        serialize(_PUBLISH_LOCK)
        current = PolicyVersion.current()
        if current is not None and current.content_hash == new_hash:
            raise PublishError("The text is the same as the current version: nothing to publish.")
        version = PolicyVersion.create(
            number=(current.number + 1) if current else 1, title=draft.title,
            school=current.school if current else school.school_name(), body=draft.body,
            key_points=draft.key_points, content_hash=new_hash, review_due=draft.review_due)
        if draft.id is not None:
            PolicyDraft.delete().where(PolicyDraft.id == draft.id).execute()
        audit.record("policy.published", kind="policy_version", record_id=version.number,
                     content_hash=new_hash, review_due=version.review_due)
    return version


def review_overdue(today: dt.date | None = None) -> PolicyVersion | None:
    """The current version, if its review date has passed."""
    current = PolicyVersion.current()
    if current is None or current.review_due is None:
        return None
    return current if current.review_due < (today or utcnow().date()) else None
