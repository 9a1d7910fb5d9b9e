"""Small factories and helpers shared by the tests. Each makes one thing, with defaults."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
import re
import reprlib
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from html import unescape
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

from peewee import fn

from kiosk.models import MODELS, Acceptance, AuditEvent, PolicyVersion, utcnow
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
        content_hash=content_hash(title, body),
        review_due=kw.pop("review_due", utcnow().date() + dt.timedelta(days=365)),  # a year ahead
        **kw)


# Key points as the head types them on the policy page: three short lines, one per point.
KEY_POINTS = "Phones away near children.\nNo photos of pupils.\nSpeak to the DSL if worried."


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
            if "checked" in attributes:  # "y" stands for a box with no value; "" is a value
                value = attributes.get("value")
                self.values[name] = "y" if value is None else value
        elif attributes.get("value"):
            self.values[name] = attributes["value"]


def hidden_fields(html: str) -> dict[str, str]:
    """The hidden inputs of a page (the CSRF token, the form's UUID...), as a browser sends them."""
    parser = _InputCollector()
    parser.feed(html)
    return parser.hidden


PASSWORD = "correct horse battery staple"


def totp_secret_for(email: str) -> str:
    """The authenticator app's secret a test account of a role with two-step sign-in has: worked
    out from its email, so a test (or the browser's sign-in helper) can make its codes."""
    digest = hashlib.sha256(f"test second factor {email}".encode()).digest()
    return base64.b32encode(digest[:20]).decode()


def totp_code(email: str, at: float | None = None) -> str:
    """The code the account's authenticator app shows at `at` (now by default)."""
    import pyotp

    return pyotp.TOTP(totp_secret_for(email)).at(time.time() if at is None else at)


def make_user(role: str = "staff", **kw):
    """An active account with the test password. The DSL, the head and the chair have two-step
    sign-in set up already (`totp_secret_for` their email), unless `totp_secret=""` is given."""
    from kiosk.accounts import hasher
    from kiosk.models import StaffUser
    from kiosk.second_factor import ROLES

    count = StaffUser.select().count() + 1
    defaults = dict(email=f"{role}{count}@westacre.sch.uk", display_name=f"{role.title()} {count}",
                    role=role, password_hash=hasher.hash(PASSWORD))
    defaults.update(kw)
    if role in ROLES and "totp_secret" not in kw:
        defaults.update(totp_secret=totp_secret_for(defaults["email"]),
                        totp_confirmed_at=utcnow())
    return StaffUser.create(**defaults)


def setup_key(html: str) -> str:
    """The secret the set-up page shows for typing into an app (grouped in fours), as one."""
    found = re.search(r'<p class="setup-key"><code>([A-Z2-7 ]+)</code></p>', html)
    assert found, "the set-up page shows no key"
    return found.group(1).replace(" ", "")


def recovery_codes(html: str) -> list[str]:
    """The recovery codes a page shows."""
    return re.findall(r'<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>', html)


def set_up_second_step(client) -> list[str]:
    """After the password, set up two-step sign-in as a person would (the key typed into the
    app, its first code), keep the recovery codes and continue. Returns the codes."""
    import pyotp

    html = client.get("/signin/set-up").get_data(as_text=True)
    response = client.post("/signin/set-up", data={
        **hidden_fields(html), "code": pyotp.TOTP(setup_key(html)).now()})
    assert response.status_code == 200, response.get_data(as_text=True)
    codes = recovery_codes(response.get_data(as_text=True))
    assert len(codes) == 10
    kept = client.post("/signin/recovery-codes", data=hidden_fields(response.get_data(as_text=True)))
    assert kept.status_code == 303
    return codes


def enter_code(client, user, code: str | None = None):
    """After the password, the second step: the code the user's app shows now, or `code`."""
    fields = form_page(client, "/signin/code")
    return client.post("/signin/code", data={**fields, "code": code or totp_code(user.email)})


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


def make_permission_request(*, staff=None, person=None, **kw):
    """A request to post about the school, asked as its form would ask it."""
    import datetime as dt

    from kiosk.permissions import Asked, ask

    details = dict(client_uuid=uuid.uuid4(), what="Photos of the summer fair",
                   where="The PTA's Facebook page", post_on=dt.date.today() + dt.timedelta(days=7),
                   shows=["pupils"], consent_answer="yes")
    details.update(kw)
    row, _ = ask(Asked(**details), "test", staff=staff, person=person)
    return row


def form_page(client, url: str) -> dict[str, str]:
    """GET a page with a form and return what a browser would send if nothing more were typed."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    parser = _InputCollector()
    parser.feed(response.get_data(as_text=True))
    return parser.values


# Times from the clock ----------------------------------------------------------------------------

SCHOOL_ZONE = ZoneInfo("Europe/London")  # KIOSK_TIMEZONE's default, which the tests' app keeps


def typed(moment: dt.datetime) -> str:
    """A stored (naive UTC) time as a person types it in a date-and-time field: school time, to
    the minute."""
    return moment.replace(tzinfo=dt.UTC).astimezone(SCHOOL_ZONE).strftime("%Y-%m-%dT%H:%M")


# A refused write ---------------------------------------------------------------------------------

# What a refusal itself writes to the audit log, on purpose: a refused access (kiosk/access.py,
# the chair's account in kiosk/admin.py) and a failed or rate-limited sign-in (kiosk/auth.py).
# They record the refusal; the write that was refused must leave no event of its own.
ACCESS_REFUSED = ("access.refused",)

# A form sent back with its errors (422) shows the whole record again, and every render of a
# record is audited as a view of it (kiosk/viewed.py): the one event a refused write on a
# record's page leaves, beside the refusal.
VIEWED = ("breach.viewed", "deletion_request.viewed", "welfare_task.viewed",
          "permission_request.viewed")


# Each table's "every row, in order" statement, built once per kind of database: peewee builds
# a query's SQL in Python, and a refused request is checked against some thirty tables twice.
_EVERY_ROW_SQL: dict[tuple[type, str], tuple[str, list]] = {}


def _every_row(app) -> tuple[dict[str, list[tuple]], int]:
    """Every row of every table but the audit log (as the database gives them), and the audit
    log's last event."""
    from kiosk.models import db

    with app.app_context():
        kind = type(db.obj)
        tables = {}
        for model in MODELS:
            if model is AuditEvent:
                continue
            key = (kind, model._meta.table_name)
            if key not in _EVERY_ROW_SQL:
                _EVERY_ROW_SQL[key] = model.select().order_by(model.id).sql()
            tables[model._meta.table_name] = db.execute_sql(*_EVERY_ROW_SQL[key]).fetchall()
        last = db.execute_sql(*AuditEvent.select(fn.MAX(AuditEvent.id)).sql()).fetchone()[0]
    return tables, last or 0


def _short(rows: list[tuple]) -> str:
    return reprlib.Repr(maxstring=40, maxother=40, maxlist=3, maxtuple=20).repr(rows)


@contextmanager
def nothing_written(app, allow: tuple[str, ...] = (), except_tables: tuple[str, ...] = ()
                    ) -> Iterator[list[str]]:
    """Around a request that must be refused: afterwards every table (but `except_tables`) holds
    exactly the rows it held before, none added, changed or removed, and the audit log has no new
    event except the refusal's own, named in `allow`. Yields a list that then holds the new
    events' actions."""
    before, last = _every_row(app)
    events: list[str] = []
    yield events
    after, _ = _every_row(app)
    with app.app_context():
        events.extend(e.action for e in AuditEvent.select().where(AuditEvent.id > last)
                      .order_by(AuditEvent.id))
    changed = {table: f"{_short([r for r in rows if r not in after[table]])} became "
                      f"{_short([r for r in after[table] if r not in rows])}"
               for table, rows in before.items()
               if after[table] != rows and table not in except_tables}
    assert changed == {}, f"a refused request wrote to {sorted(changed)}: {changed}"
    assert [action for action in events if action not in allow] == [], (
        f"a refused request was audited as {events}")


def field_error(html: str, field_id: str) -> str | None:
    """The words of the error shown beside a field (without the hidden "Error:"), or None."""
    found = re.search(rf'<p class="error-message" id="{re.escape(field_id)}-error">'
                      r'<span class="visually-hidden">Error:</span> (.*?)</p>', html, re.S)
    return unescape(found.group(1)) if found else None


def publish_policy(client, change: str = "full", **draft) -> str:
    """As the head (signed in on `client`): type a new version, choose Publish, then confirm it
    as a `change` ("full" or "minor") on the confirmation page. The text defaults to a short
    one of its own, new each time. Returns the page the head is sent to afterwards."""
    fields = form_page(client, "/admin/policy")
    data = {**fields, "body": f"## Our policy\n\nRevised text {uuid.uuid4().hex[:8]}.",
            "key_points": KEY_POINTS, **draft, "action": "publish"}
    response = client.post("/admin/policy", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/admin/policy/publish")
    confirm = form_page(client, "/admin/policy/publish")
    published = client.post("/admin/policy/publish", data={**confirm, "change": change})
    assert published.status_code == 303, published.get_data(as_text=True)
    return client.get(published.headers["Location"]).get_data(as_text=True)


def make_allegation(reporter, **kw):
    """A concern about a member of staff that its case manager classified as an allegation from
    the first, so its LADO day counts from when it was logged. Set directly: classifying through
    the page is tested in test_staff_concerns.py."""
    from kiosk.models import Breach

    breach = make_breach(reporter, **{"subject_kind": "staff", "category": "pupil_contact", **kw})
    Breach.update(classification="allegation", allegation_since=breach.created_at).where(
        Breach.id == breach.id).execute()
    return Breach.get_by_id(breach.id)


@contextmanager
def queries_run() -> Iterator[list[str]]:
    """The SQL statements peewee runs inside the block (it logs each one at DEBUG)."""
    seen: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            if isinstance(record.msg, tuple):  # (sql, params); the pool logs plain messages
                seen.append(str(record.msg[0]))

    logger, handler = logging.getLogger("peewee"), Collect(logging.DEBUG)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield seen
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def make_declaration(declarer, **kw):
    """A declaration of a family link, as the form would make it; `declared_at` (and
    `confirmed_at`, `ended_at`) set afterwards when given."""
    from kiosk.declarations import DeclarationDetails, declare
    from kiosk.models import Declaration

    details = dict(client_uuid=uuid.uuid4(), who="Amy Jones in Year 2, and her mum",
                   relationship="I am Amy's aunt", since="2019")
    times = {key: kw.pop(key) for key in ("declared_at", "confirmed_at", "ended_at") if key in kw}
    details.update(kw)
    declaration, _ = declare(declarer, DeclarationDetails(**details), "test")
    if times:
        Declaration.update(**times).where(Declaration.id == declaration.id).execute()
        declaration = Declaration.get_by_id(declaration.id)
    return declaration
