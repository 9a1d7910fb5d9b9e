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
    """What a browser would send of a page's inputs: hidden ones, filled-in ones, ticked ones."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden: dict[str, str] = {}
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        name, kind = attributes.get("name"), attributes.get("type", "text")
        if tag != "input" or not name:
            return
        if kind == "hidden":
            self.hidden[name] = attributes.get("value") or ""
        if kind in ("radio", "checkbox"):
            if "checked" in attributes:
                self.values[name] = attributes.get("value") or "y"
        elif attributes.get("value"):
            self.values[name] = attributes["value"]


def hidden_fields(html: str) -> dict[str, str]:
    """The hidden inputs of a page (the CSRF token, the form's UUID...), as a browser sends them."""
    parser = _InputCollector()
    parser.feed(html)
    return parser.hidden


PASSWORD = "correct horse battery staple"


def make_user(role: str = "staff", **kw):
    """An active account with the test password."""
    from kiosk.accounts import hasher
    from kiosk.models import StaffUser

    count = StaffUser.select().count() + 1
    defaults = dict(email=f"{role}{count}@westacre.sch.uk", display_name=f"{role.title()} {count}",
                    role=role, password_hash=hasher.hash(PASSWORD))
    defaults.update(kw)
    return StaffUser.create(**defaults)


def sign_in_as(client, user) -> None:
    """Put a signed-in session for this user into the test client's cookie, as sign-in would."""
    from kiosk.models import utcnow

    now = utcnow().timestamp()
    with client.session_transaction() as session:
        session.clear()
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session["signed_in_at"] = now
        session["last_seen"] = now


def make_breach(reporter, category: str = "photographing", **kw):
    from kiosk.breaches import BreachDetails, log_breach
    from kiosk.models import BreachCategory

    details = dict(client_uuid=uuid.uuid4(), subject_kind="visitor",
                   category=BreachCategory.get(BreachCategory.slug == category), occurred_at=utcnow(),
                   subject_name="Pat Visitor")
    details.update(kw)
    breach, _ = log_breach(reporter, BreachDetails(**details), "test")
    return breach


def make_deletion_request(asked_by, **kw):
    from kiosk.deletions import DeletionDetails, request_deletion

    details = dict(client_uuid=uuid.uuid4(), material="photo", material_location="device",
                   asked_at=utcnow(), person_name="Pat Visitor")
    details.update(kw)
    request, _ = request_deletion(asked_by, DeletionDetails(**details), "test")
    return request


def form_page(client, url: str) -> dict[str, str]:
    """GET a page with a form and return what a browser would send if nothing more were typed."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    parser = _InputCollector()
    parser.feed(response.get_data(as_text=True))
    return parser.values
