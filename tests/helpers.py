"""Small factories and helpers shared by the tests. Each makes one thing, with defaults."""

from __future__ import annotations

import datetime as dt
import uuid
from html.parser import HTMLParser

from kiosk.models import Acceptance, PolicyVersion, utcnow
from kiosk.policies import content_hash


def make_policy(number: int | None = None, **kw) -> PolicyVersion:
    """A published policy version; the next number unless one is given."""
    if number is None:
        latest = PolicyVersion.current()
        number = latest.number + 1 if latest else 1
    title = kw.pop("title", "Social Media and Mobile Phone Policy")
    body = kw.pop("body", f"## Introduction\n\nVersion {number} of the text.\n")
    return PolicyVersion.create(
        number=number, title=title, body=body, school=kw.pop("school", "Westacre Infant School"),
        content_hash=content_hash(title, body), review_due=kw.pop("review_due", dt.date(2030, 9, 30)),
        **kw)


def make_acceptance(**kw) -> Acceptance:
    defaults = dict(
        client_uuid=uuid.uuid4(), full_name="Ann Visitor", role="visitor", channel="kiosk",
        accepted_at=utcnow(), received_at=utcnow(),
    )
    defaults.update(kw)
    if "policy_version" not in defaults:
        defaults["policy_version"] = PolicyVersion.current() or make_policy()
    return Acceptance.create(**defaults)


class _InputCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hidden: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "input" and attributes.get("type") == "hidden" and attributes.get("name"):
            self.hidden[attributes["name"]] = attributes.get("value") or ""


def hidden_fields(html: str) -> dict[str, str]:
    """The hidden inputs of a page (the CSRF token, the form's UUID...), as a browser sends them."""
    parser = _InputCollector()
    parser.feed(html)
    return parser.hidden
