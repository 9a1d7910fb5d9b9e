"""Cost as the years add up: fill a database with a trust-sized history, then time every page.

    .venv/bin/python bench/scale.py [--scale 1.0] [--database sqlite|postgresql] [--repeats 5]
                                    [--verify] [--json FILE] [--code CHECKOUT] [--keep]

Fills a fresh database (a temporary instance folder; on PostgreSQL a throwaway server started
as tests/postgres.py does, or `DATABASE_URL` when it is set) with, at `--scale 1`: 2,000,000
acceptances over six years, 5,000,000 audit events forming one valid keyed chain, 50,000
breaches (record updates, safeguarding ones, concerns about staff classified as allegations,
low-level concerns and conduct, LADO referrals, welfare tasks, deletion requests), 2,000 people
on the roster, and a busy day (2,000 acceptances today). Rows go in through bulk inserts in one
transaction per table batch (`executemany` on SQLite, `COPY` on PostgreSQL), with ids given
here so that foreign keys need no reading back; name keys come from `kiosk.text.search_key`,
audit hashes from the same canonical form as `kiosk.audit.keyed_hash` (checked against it).

It then times, with the Flask test client, every GET route of tests/test_access.py's MATRIX
that a head, a DSL, a member of staff and the chair may open (real record ids from the fill):
median and max of `--repeats` requests, and the page's size. Exports (CSV and JSON downloads)
are timed to the first byte and to the end, with the Python memory they peaked at
(tracemalloc, a separate request). Last, the purge of a year's expired records (the retention
periods set to five years, so the oldest year is past them), while a second thread records an
acceptance through the API every 50 ms, to see how long the kiosk waits.

`--code CHECKOUT` runs another checkout's app (e.g. main, exported with `git archive`) with
this script: the "before" figures. `--verify` walks the whole audit chain after the fill.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import hmac
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import uuid
from pathlib import Path

from peewee import PostgresqlDatabase  # the pooled one is a subclass

HERE = Path(__file__).resolve().parent.parent

# At --scale 1 (issue 14).
ACCEPTANCES = 2_000_000
AUDIT_EVENTS = 5_000_000
BREACHES = 50_000
ROSTER = 2_000
BUSY_DAY = 2_000
STAFF = 100
YEARS = 6
BATCH = 50_000
TARGET_MS, TARGET_KB = 200, 100

FIRST = ("Amara Ben Chloe Dev Ella Femi Grace Harry Isla Jack Kai Lena Mo Nia Oscar Priya Quinn "
         "Rosa Sam Tom Uma Vik Will Xena Yusuf Zoe Émile Łukasz Özge Øyvind Aoife Bea Cal Dana "
         "Eli Fran Gus Hana Ivo Jude").split()
SYLLABLES = "an ber cot del eng far gil ham ing jor kel lan mor nel ost pan qui ras sel tor".split()


def surnames(rng: random.Random, count: int) -> list[str]:
    names = set()
    while len(names) < count:
        names.add("".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 3)))).title())
    return sorted(names)


# ------------------------------------------------------------------------------------------------
# Bulk writing

class Bulk:
    """Rows for one table, written in batches: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self, database, table: str, columns: list[str], parents: tuple = ()):
        self.database, self.table, self.columns = database, table, columns
        self.parents = parents  # written first: their rows are what these rows point at
        self.rows: list[tuple] = []
        self.written = 0
        self.postgres = isinstance(database, PostgresqlDatabase)
        marks = ", ".join([database.param] * len(columns))
        # The table and column names are this script's own constants.
        self.sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608

    def add(self, row: tuple) -> None:
        self.rows.append(row)
        if len(self.rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        for parent in self.parents:
            parent.flush()
        if not self.rows:
            return
        with self.database.atomic():
            cursor = self.database.cursor()
            if self.postgres:
                buffer = io.StringIO("".join("\t".join(map(_copy_text, row)) + "\n"
                                             for row in self.rows))
                cursor.copy_expert(f"COPY {self.table} ({', '.join(self.columns)}) FROM STDIN",
                                   buffer)
            else:
                cursor.executemany(self.sql, self.rows)
        self.written += len(self.rows)
        self.rows = []


def _copy_text(value) -> str:
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, dt.datetime):
        return value.isoformat(" ")
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
    return text


class Chain:
    """Audit events appended to the stored chain, each keyed as kiosk.audit.keyed_hash does."""

    def __init__(self, database, key: bytes):
        from kiosk.models import AuditEvent

        last = AuditEvent.select().order_by(AuditEvent.id.desc()).first()
        self.previous = last.hash if last else "0" * 64
        self.next_id = (last.id if last else 0) + 1
        self.key = key
        self.bulk = Bulk(database, "audit_event", ["id", "at", "actor_id", "actor_label", "action",
                                                   "record_kind", "record_id", "detail",
                                                   "previous_hash", "hash"])
        self.checked = False

    def add(self, at: dt.datetime, action: str, kind: str, record_id: str = "", actor=None,
            label: str = "", detail: str = "") -> None:
        canonical = _CANONICAL.encode([self.previous, at.isoformat(timespec="microseconds"),
                                       str(actor or ""), label, action, kind, record_id,
                                       detail]).encode()
        digest = hmac.new(self.key, canonical, hashlib.sha256).hexdigest()
        if not self.checked:  # the same hash as the app's own function, once
            from types import SimpleNamespace

            from kiosk.audit import keyed_hash
            event = SimpleNamespace(previous_hash=self.previous, at=at, actor_id=actor,
                                    actor_label=label, action=action, record_kind=kind,
                                    record_id=record_id, detail=detail)
            if keyed_hash(event, self.key) != digest:
                raise SystemExit("kiosk.audit's canonical form changed: update Chain.add")
            self.checked = True
        self.bulk.add((self.next_id, at, actor, label, action, kind, record_id, detail,
                       self.previous, digest))
        self.previous = digest
        self.next_id += 1


# kiosk.audit._canonical's json.dumps arguments, made once.
_CANONICAL = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_DETAILS: dict[tuple, str] = {}


def _detail(**values) -> str:
    """An event's detail as kiosk.audit.record writes it (the same few, so kept once made)."""
    key = tuple(sorted((k, str(v)) for k, v in values.items()))
    if key not in _DETAILS:
        _DETAILS[key] = json.dumps(values, sort_keys=True, ensure_ascii=False, default=str)
    return _DETAILS[key]


def _next_id(model) -> int:
    from peewee import fn
    return (model.select(fn.MAX(model.id)).scalar() or 0) + 1


# ------------------------------------------------------------------------------------------------
# The fill

def fill(app, scale: float, seed: int = 14) -> dict:
    """Fill the database; return the records the timed pages are opened with and the times."""
    from kiosk.models import (
        Acceptance,
        Breach,
        BreachCategory,
        DeletionRequest,
        PolicyVersion,
        RosterPerson,
        StaffUser,
        WelfareTask,
        db,
        utcnow,
    )
    from kiosk.text import search_key

    rng = random.Random(seed)  # noqa: S311  (made-up records, the same every run)
    sizes = {"acceptances": int(ACCEPTANCES * scale), "audit_events": int(AUDIT_EVENTS * scale),
             "breaches": int(BREACHES * scale), "roster": max(20, int(ROSTER * scale)),
             "busy_day": int(BUSY_DAY * min(1.0, max(scale, 0.5)))}
    times: dict[str, float] = {}
    now = utcnow()
    start_day = (now - dt.timedelta(days=365 * YEARS)).date()
    days = (now.date() - start_day).days  # today is the busy day, filled on its own
    keys: dict[str, str] = {}

    def key_of(name: str) -> str:
        if name not in keys:
            keys[name] = search_key(name)
        return keys[name]

    last_names = surnames(rng, 1500)
    names = [f"{rng.choice(FIRST)} {rng.choice(last_names)}" for _ in range(30_000)]
    database = db.obj
    version = PolicyVersion.current()
    if not isinstance(database, PostgresqlDatabase):
        # Random keys (UUIDs, hashes) go into big indexes: a 1 GB page cache for this
        # connection, instead of SQLite's 2 MB, keeps those inserts in memory until each commit.
        database.execute_sql("PRAGMA cache_size = -1048576")

    with app.app_context():
        clock = time.perf_counter()
        # Staff: plain rows (no usable password: the timing signs in by session).
        staff_bulk = Bulk(database, "staff_user", ["id", "email", "display_name", "name_key", "role",
                                                   "password_hash", "must_change_password",
                                                   "active", "session_version", "created_at",
                                                   "totp_secret", "totp_confirmed_at",
                                                   "totp_last_step"])
        first_staff = _next_id(StaffUser)
        roles = ["head", "dsl", "chair"] + ["staff"] * STAFF
        for offset, role in enumerate(roles):
            name = f"{rng.choice(FIRST)} {rng.choice(last_names)}"
            staff_bulk.add((first_staff + offset, f"{role}{offset}@trust.example", name,
                            key_of(name), role, "!", False, True, 1,
                            now - dt.timedelta(days=365 * YEARS),
                            "" if role == "staff" else "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
                            None if role == "staff" else now, 0))
        staff_bulk.flush()
        head_id, dsl_id, chair_id = first_staff, first_staff + 1, first_staff + 2
        staff_ids = list(range(first_staff + 3, first_staff + len(roles)))
        # One teacher reports far more than the rest: their "my reports" is the longest.
        reporter_id = staff_ids[0]

        roster_bulk = Bulk(database, "roster_person", ["id", "full_name", "name_key", "email",
                                                       "role", "token", "active", "created_at"])
        first_person = _next_id(RosterPerson)
        roster = []
        for offset in range(sizes["roster"]):
            name = names[offset]
            roster.append((first_person + offset, name))
            roster_bulk.add((first_person + offset, name, key_of(name),
                             f"person{offset}@example.org", rng.choice(("pta", "volunteer",
                                                                        "governor", "staff")),
                             uuid.uuid4().hex + uuid.uuid4().hex, offset % 40 != 0,
                             now - dt.timedelta(days=rng.randrange(365 * YEARS))))
        roster_bulk.flush()
        times["staff and roster"] = time.perf_counter() - clock

        # Acceptances, breaches and the audit chain, one day at a time in time order.
        clock = time.perf_counter()
        chain = Chain(database, str(app.config["KIOSK_AUDIT_KEY"]).encode())
        acceptance_bulk = Bulk(database, "acceptance", [
            "id", "client_uuid", "request_hash", "policy_version_id", "roster_person_id",
            "full_name", "name_key", "role", "organisation", "reason", "channel", "language",
            "accepted_at", "received_at"])
        next_acceptance = _next_id(Acceptance)
        categories = list(BreachCategory.select())
        open_categories = [c for c in categories if not c.restricted]
        staff_categories = [c for c in categories if c.restricted]
        breach_columns = ["id", "public_id", "client_uuid", "request_hash", "reporter_id",
                          "occurred_at", "location", "subject_kind", "subject_name", "name_key",
                          "category_id", "description", "actions", "safeguarding", "restricted",
                          "concerns_head", "classification", "allegation_since",
                          "allegation_outcome", "subject_staff_id", "status", "created_at"]
        breach_bulk = Bulk(database, "breach", breach_columns)
        deletion_bulk = Bulk(database, "deletion_request", [
            "id", "public_id", "client_uuid", "request_hash", "breach_id", "material",
            "material_location", "link", "person_name", "name_key", "asked_at", "asked_by_id",
            "due_by", "outcome", "outcome_note", "checked_by_id", "checked_at", "created_at"],
            (breach_bulk,))
        update_bulk = Bulk(database, "record_update", [
            "breach_id", "deletion_request_id", "author_id", "at", "welfare_task_id", "kind",
            "old_value", "new_value", "detail", "text"], (breach_bulk,))
        lado_bulk = Bulk(database, "lado_referral", ["breach_id", "referred_at", "reference", "advice",
                                                     "police_involved", "outcome", "updated_at"],
                         (breach_bulk,))
        task_bulk = Bulk(database, "welfare_task", [
            "id", "public_id", "client_uuid", "request_hash", "kind", "breach_id", "concerns_head",
            "pupils", "occurred_at", "child_words", "safeguarding_ref", "created_by_id",
            "created_at", "status"], (breach_bulk,))
        next_breach, next_deletion, next_task = (_next_id(Breach), _next_id(DeletionRequest),
                                                 _next_id(WelfareTask))
        breach_ids: list[tuple[int, str]] = []  # (id, public id) of breaches so far, to view
        per_day_acceptances = sizes["acceptances"] / days
        per_day_breaches = sizes["breaches"] / days
        # What the audit log holds besides one event per acceptance and per breach.
        other_events = max(0, sizes["audit_events"] - sizes["acceptances"] - 2 * sizes["breaches"])
        per_day_other = other_events / days
        owed = [0.0, 0.0, 0.0]
        visitor_roles = ["visitor"] * 5 + ["parent"] * 4 + ["contractor", "volunteer", "pta",
                                                            "governor", "other"]
        for day_number in range(days):
            day = start_day + dt.timedelta(days=day_number)
            base = dt.datetime.combine(day, dt.time(7))
            owed = [owed[0] + per_day_acceptances, owed[1] + per_day_breaches,
                    owed[2] + per_day_other]
            counts = [int(owed[0]), int(owed[1]), int(owed[2])]
            owed = [owed[0] - counts[0], owed[1] - counts[1], owed[2] - counts[2]]
            moments = sorted((base + dt.timedelta(seconds=rng.random() * 36_000), kind)
                             for kind, count in zip("abo", counts, strict=True)
                             for _ in range(count))
            age_days = days - day_number
            for at, kind in moments:
                if kind == "a":
                    person = roster[rng.randrange(len(roster))] if rng.random() < 0.05 else None
                    name = person[1] if person else (
                        "Pat Visitor" if rng.random() < 0.0001 else names[rng.randrange(len(names))])
                    client = uuid.uuid4()
                    channel = "link" if person else rng.choice(("kiosk", "kiosk", "phone"))
                    acceptance_bulk.add((
                        next_acceptance, client.hex, "", version.id, person[0] if person else None,
                        name, key_of(name), "volunteer" if person else rng.choice(visitor_roles),
                        "", "", channel, "en", at, at + dt.timedelta(seconds=1)))
                    next_acceptance += 1
                    chain.add(at, "acceptance.created", "acceptance", str(client),
                              detail=_detail(channel=channel, policy_version=version.number))
                elif kind == "b":
                    about_staff = rng.random() < 0.03
                    category = rng.choice(staff_categories if about_staff else open_categories)
                    reporter = reporter_id if rng.random() < 0.02 else rng.choice(staff_ids)
                    name = names[rng.randrange(len(names))]
                    classification = ""
                    if about_staff:
                        classification = rng.choice(("allegation", "low_level", "low_level",
                                                     "conduct", ""))
                    status = ("closed" if age_days > 60 and rng.random() < 0.97
                              else rng.choice(("open", "in_review")))
                    delete = bool(category.material) and rng.random() < 0.5
                    public = uuid.uuid4()
                    created = at + dt.timedelta(minutes=10)
                    concerns_head = about_staff and rng.random() < 0.05
                    breach_bulk.add((
                        next_breach, public.hex, uuid.uuid4().hex, "", reporter, at,
                        "Playground", "staff" if about_staff else "visitor", name, key_of(name),
                        category.id, "What was seen, in a sentence or two.",
                        "asked_to_stop,asked_to_delete" if delete else "asked_to_stop",
                        category.safeguarding or about_staff, about_staff, concerns_head,
                        classification, created if classification == "allegation" else None,
                        "", rng.choice(staff_ids) if classification == "low_level" else None,
                        status, created))
                    chain.add(created, "breach.created", "breach", str(public), reporter,
                              f"staff{reporter}@trust.example",
                              _detail(restricted=about_staff,
                                      safeguarding=category.safeguarding or about_staff))
                    lead = head_id if about_staff else dsl_id
                    update_bulk.add((next_breach, None, lead, created + dt.timedelta(hours=2),
                                     None, "note", "", "", "", "Spoke to them at the gate."))
                    if status != "open":
                        update_bulk.add((next_breach, None, lead, created + dt.timedelta(days=1),
                                         None, "status", "open", status, "", "Dealt with."))
                    if classification == "allegation":
                        lado_bulk.add((next_breach, created + dt.timedelta(hours=20), "LADO/123",
                                       "Advice given.", False, "", created))
                    if about_staff and rng.random() < 0.5:
                        task_bulk.add((next_task, uuid.uuid4().hex, uuid.uuid4().hex, "",
                                       "staff_concern", next_breach, concerns_head, "A pupil",
                                       at, "", "", reporter, created,
                                       "done" if age_days > 30 else "open"))
                        next_task += 1
                    if delete:
                        outcome = ("pending" if age_days < 8 else
                                   rng.choice(["deleted_in_front"] * 10 + ["confirmed_removed"] * 5
                                              + ["refused", "not_done"]))
                        deletion_bulk.add((
                            next_deletion, uuid.uuid4().hex, uuid.uuid4().hex, "", next_breach,
                            category.material, "device" if category.material == "photo" else
                            "online", "", name, key_of(name), at, reporter,
                            at + dt.timedelta(days=1), outcome, "",
                            None if outcome == "pending" else dsl_id,
                            None if outcome == "pending" else at + dt.timedelta(days=1), created))
                        next_deletion += 1
                    breach_ids.append((next_breach, str(public)))
                    next_breach += 1
                else:
                    actor = rng.choice(staff_ids + [dsl_id, head_id] * 10)
                    roll = rng.random()
                    if roll < 0.6 and breach_ids:
                        viewed = breach_ids[-1 - rng.randrange(min(len(breach_ids), 500))]
                        chain.add(at, "breach.viewed", "breach", viewed[1], actor,
                                  f"staff{actor}@trust.example")
                    elif roll < 0.85:
                        chain.add(at, "signin", "staff_user", str(actor), actor,
                                  f"staff{actor}@trust.example")
                    else:
                        chain.add(at, "breach.list_viewed", "breach", "", actor,
                                  f"staff{actor}@trust.example",
                                  _detail(list="concerns:open", shown=[]))
        # A few standalone deletion requests (not part of a breach) and disclosures.
        for _ in range(sizes["breaches"] // 10):
            at = now - dt.timedelta(days=rng.randrange(365 * YEARS), hours=rng.randrange(24))
            name = names[rng.randrange(len(names))]
            old = now - at > dt.timedelta(days=8)
            deletion_bulk.add((next_deletion, uuid.uuid4().hex, uuid.uuid4().hex, "", None,
                               "photo", "device", "", name, key_of(name), at,
                               rng.choice(staff_ids), at + dt.timedelta(days=1),
                               "deleted_in_front" if old else "pending", "",
                               dsl_id if old else None, at + dt.timedelta(days=1) if old else None,
                               at))
            next_deletion += 1
        for _ in range(sizes["breaches"] // 50):
            at = now - dt.timedelta(days=rng.randrange(365 * YEARS), hours=rng.randrange(24))
            task_bulk.add((next_task, uuid.uuid4().hex, uuid.uuid4().hex, "", "disclosure", None,
                           False, "A pupil", at, "", "CPOMS 1", rng.choice(staff_ids), at,
                           "done" if now - at > dt.timedelta(days=30) else "open"))
            next_task += 1
        for bulk in (acceptance_bulk, breach_bulk, deletion_bulk, update_bulk, lado_bulk,
                     task_bulk, chain.bulk):
            bulk.flush()
        times["history (acceptances, breaches, audit chain)"] = time.perf_counter() - clock

        # The busy day: a school fair, everyone through the kiosk today.
        clock = time.perf_counter()
        from zoneinfo import ZoneInfo

        from kiosk.models import as_stored
        zone = ZoneInfo(app.config["KIOSK_TIMEZONE"])
        midnight = as_stored(dt.datetime.now(zone).replace(hour=0, minute=0, second=0,
                                                           microsecond=0))
        span = max(1.0, (now - midnight).total_seconds() - 60)
        for at in sorted(midnight + dt.timedelta(seconds=rng.random() * span)
                         for _ in range(sizes["busy_day"])):
            name = names[rng.randrange(len(names))]
            client = uuid.uuid4()
            acceptance_bulk.add((next_acceptance, client.hex, "", version.id, None, name,
                                 key_of(name), rng.choice(visitor_roles), "", "", "kiosk", "en",
                                 at, at))
            next_acceptance += 1
            chain.add(at, "acceptance.created", "acceptance", str(client),
                      detail=_detail(channel="kiosk", policy_version=version.number))
        acceptance_bulk.flush()
        chain.bulk.flush()
        times["busy day"] = time.perf_counter() - clock

        if isinstance(database, PostgresqlDatabase):
            for table in ("staff_user", "roster_person", "acceptance", "breach",
                          "deletion_request", "welfare_task", "audit_event"):
                sql = (f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                       f"(SELECT MAX(id) FROM {table}))")
                database.execute_sql(sql)
        clock = time.perf_counter()
        database.execute_sql("ANALYZE")
        times["ANALYZE"] = time.perf_counter() - clock
    written = {"acceptances": acceptance_bulk.written, "audit events": chain.bulk.written,
               "breaches": breach_bulk.written, "deletion requests": deletion_bulk.written,
               "record updates": update_bulk.written, "welfare tasks": task_bulk.written,
               "LADO referrals": lado_bulk.written, "roster people": roster_bulk.written}
    return {"times": times, "written": written,
            "users": {"head": head_id, "dsl": dsl_id, "chair": chair_id,
                      "reporter": reporter_id, "staff": staff_ids[1]}}


def world(app, users: dict) -> dict:
    """The records tests/test_access.py's MATRIX names, logged now by the busiest reporter
    through the app's own functions (as the test's `world` fixture does)."""
    from kiosk.models import Breach, RosterPerson, StaffUser, WelfareTask
    from tests.helpers import make_breach, make_deletion_request
    from tests.test_access import classified

    with app.app_context():
        author = StaffUser.get_by_id(users["reporter"])
        restricted = make_breach(author, subject_kind="staff", category="pupil_contact",
                                 pupils="Polly Pupil")
        about_head = make_breach(author, subject_kind="staff", category="pupil_contact",
                                 concerns_head=True, pupils="Peter Pupil")
        person = RosterPerson.select().where(RosterPerson.active).order_by(RosterPerson.id).first()
        return {
            "breach": make_breach(author).public_id,
            "restricted": restricted.public_id,
            "about_head": about_head.public_id,
            "allegation": classified(author, "allegation").public_id,
            "low_level": classified(author, "low_level").public_id,
            "conduct": classified(author, "conduct").public_id,
            "about_head_allegation": classified(author, "allegation", concerns_head=True).public_id,
            "task": WelfareTask.get(WelfareTask.breach == restricted).public_id,
            "head_task": WelfareTask.get(WelfareTask.breach == about_head).public_id,
            "deletion": make_deletion_request(author).public_id,
            "restricted_deletion": make_deletion_request(author, breach=restricted).public_id,
            "user": users["staff"], "lead": users["dsl"], "person": person.id,
            "token": person.token, "breaches": Breach.select().count(),
        }


# ------------------------------------------------------------------------------------------------
# Timing

ROLES = ("head", "dsl", "reporter", "chair")


def _rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def time_pages(app, users: dict, ids: dict, repeats: int) -> list[dict]:
    from kiosk.models import StaffUser
    from tests.helpers import sign_in_as
    from tests.test_access import MATRIX

    app.config["KIOSK_REFUSED_PER_MINUTE"] = 10_000
    results = []
    for role in ROLES:
        client = app.test_client()
        with app.app_context():
            sign_in_as(client, StaffUser.get_by_id(users[role]))
        for endpoint, method, template, expected in MATRIX:
            if method != "GET" or expected.get(role) != 200:
                continue
            path = template.format(**ids)
            timings, size, first_byte, mimetype = [], 0, [], ""
            rss_before = _rss_kb("VmRSS")
            try:
                Path("/proc/self/clear_refs").write_text("5")  # reset the peak RSS (VmHWM)
            except OSError:
                pass
            for _ in range(repeats):
                clock = time.perf_counter()
                response = client.get(path, buffered=False)
                chunks = iter(response.response)
                first = next(chunks, b"")
                first_byte.append((time.perf_counter() - clock) * 1000)
                size = len(first) + sum(len(chunk) for chunk in chunks)
                response.close()
                timings.append((time.perf_counter() - clock) * 1000)
                mimetype = response.mimetype
                if response.status_code != 200:
                    raise SystemExit(f"{role} {path}: {response.status_code}")
                if sum(timings) > 20_000:  # a very slow page: enough to know
                    break
            row = {"endpoint": endpoint, "path": template, "role": role, "ms": timings,
                   "median": statistics.median(timings), "max": max(timings),
                   "kb": size / 1024, "mimetype": mimetype}
            if "attachment" in response.headers.get("Content-Disposition", ""):
                row["first_byte"] = statistics.median(first_byte)
                row["rss_growth_kb"] = max(0, _rss_kb("VmHWM") - rss_before)
                row["peak_kb"] = None
                if max(timings) < 5_000:  # tracemalloc slows a request several times over
                    tracemalloc.start()
                    response = client.get(path, buffered=False)
                    for _chunk in response.response:
                        pass
                    response.close()
                    row["peak_kb"] = tracemalloc.get_traced_memory()[1] / 1024
                    tracemalloc.stop()
            results.append(row)
            print(f"  {row['median']:9.1f} {row['max']:9.1f} {row['kb']:9.1f}  {role:8} "
                  f"{template}", flush=True)
    return results


def time_purge(app) -> dict:
    """Purge the oldest year (retention set to five years) while the kiosk keeps accepting."""
    from kiosk import retention

    with app.app_context():
        retention.set_periods({kind: 5 * 365 for kind in retention.KINDS})
    waits: list[float] = []
    stop = threading.Event()

    def kiosk():
        client = app.test_client()
        while not stop.is_set():
            clock = time.perf_counter()
            response = client.post("/api/v1/acceptances", json={
                "full_name": "Fair Visitor", "role": "visitor", "accept": True,
                "policy_version": "1", "channel": "kiosk",
                "accepted_at": dt.datetime.now(dt.UTC).isoformat()},
                headers={"X-Kiosk-Client": "outbox", "Idempotency-Key": str(uuid.uuid4())})
            waits.append((time.perf_counter() - clock) * 1000)
            if response.status_code >= 400:
                raise SystemExit(f"kiosk during purge: {response.status_code}")
            time.sleep(0.05)

    writer = threading.Thread(target=kiosk)
    writer.start()
    time.sleep(0.3)
    clock = time.perf_counter()
    try:
        with app.app_context():
            counts = retention.purge()
    except Exception as error:  # at full scale main's purge fails: say how
        counts = {"failed": f"{type(error).__name__}: {error}"}
    finally:
        took = time.perf_counter() - clock
        time.sleep(0.3)
        stop.set()  # the kiosk's thread stops whatever the purge did
        writer.join()
    return {"seconds": took, "counts": counts, "kiosk_max_ms": max(waits),
            "kiosk_median_ms": statistics.median(waits), "kiosk_posts": len(waits)}


# ------------------------------------------------------------------------------------------------

def start_postgres() -> tuple[str, callable]:
    """A throwaway PostgreSQL server, as tests/postgres.py starts one; returns (url, stop)."""
    import shutil

    from tests.postgres import _as_owner, _bin, start_on_a_free_port

    folder = tempfile.mkdtemp(prefix="kiosk-scale-pg-")
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data = os.path.join(folder, "data")
    subprocess.run(_as_owner([_bin("initdb"), "-D", data, "-U", "kiosk", "-A", "trust",
                              "--no-sync", "-E", "UTF8"]), check=True, capture_output=True)

    def start(port: int) -> int:
        subprocess.run(_as_owner([_bin("pg_ctl"), "-D", data, "-l", os.path.join(folder, "log"),
                                  "-w", "-o", f"-p {port} -k {folder} -c listen_addresses=127.0.0.1"
                                  " -c fsync=off -c max_wal_size=4GB", "start"]),
                       check=True, capture_output=True)
        return port

    port = start_on_a_free_port(start)
    import psycopg2
    conn = psycopg2.connect(f"postgresql://kiosk@127.0.0.1:{port}/postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute('CREATE DATABASE "kiosk_scale"')
    conn.close()

    def stop():
        subprocess.run(_as_owner([_bin("pg_ctl"), "-D", data, "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)

    return f"postgresql://kiosk@127.0.0.1:{port}/kiosk_scale", stop


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--verify", action="store_true", help="walk the audit chain after the fill")
    parser.add_argument("--no-purge", action="store_true")
    parser.add_argument("--json", help="write every figure to this file")
    parser.add_argument("--code", help="the checkout whose app is timed (default: this one)")
    parser.add_argument("--keep", action="store_true", help="keep the instance folder")
    args = parser.parse_args()

    code = Path(args.code).resolve() if args.code else HERE
    sys.path.insert(0, str(code))
    instance = tempfile.mkdtemp(prefix="kiosk-scale-")
    os.environ["KIOSK_INSTANCE_PATH"] = instance
    os.environ["KIOSK_ENV"] = "development"
    stop_postgres = None
    if args.database == "postgresql":
        if os.environ.get("DATABASE_URL", "").startswith("postgres"):
            url = os.environ["DATABASE_URL"]
        else:
            url, stop_postgres = start_postgres()
            os.environ["DATABASE_URL"] = url
    else:
        os.environ.pop("DATABASE_URL", None)
    try:
        return run(args, code, instance)
    finally:
        if stop_postgres:
            stop_postgres()
        if not args.keep:
            import shutil
            shutil.rmtree(instance, ignore_errors=True)


def run(args, code: Path, instance: str) -> int:
    from kiosk import create_app
    from kiosk.migrate import migrate_database
    from kiosk.policies import seed_default_policy

    app = create_app()
    with app.app_context():
        migrate_database()
        seed_default_policy()
    print(f"code: {code} ({_commit(code)}); database: {args.database}; scale {args.scale}; "
          f"instance {instance}", flush=True)
    clock = time.perf_counter()
    with app.app_context():
        filled = fill(app, args.scale)
    filled["times"]["total"] = time.perf_counter() - clock
    for what, seconds in filled["times"].items():
        print(f"fill: {what}: {seconds:.1f} s")
    print("rows: " + ", ".join(f"{n:,} {what}" for what, n in filled["written"].items()), flush=True)
    if args.verify:
        from kiosk import audit
        clock = time.perf_counter()
        with app.app_context():
            checked, problem = audit.verify_chain()
        print(f"audit chain: {checked:,} events checked in {time.perf_counter() - clock:.1f} s, "
              f"{'no problem' if problem is None else problem}", flush=True)
        if problem is not None:
            return 1
    ids = world(app, filled["users"])
    print("   median       max        KB  role     page", flush=True)
    pages = time_pages(app, filled["users"], ids, args.repeats)
    purge = None if args.no_purge else time_purge(app)
    report(pages, purge)
    if args.json:
        Path(args.json).write_text(json.dumps({
            "code": str(code), "commit": _commit(code), "database": args.database,
            "scale": args.scale, "fill": filled["times"], "rows": filled["written"],
            "pages": pages, "purge": purge}, indent=1, default=str))
    return 0


def _commit(code: Path) -> str:
    if (code / "COMMIT").exists():  # an exported checkout says which commit it is
        return (code / "COMMIT").read_text().strip()
    found = subprocess.run(["git", "-C", str(code), "rev-parse", "--short", "HEAD"],
                           capture_output=True, text=True)
    return found.stdout.strip() or "?"


def report(pages: list[dict], purge: dict | None) -> None:
    print("\n| page | role | ms median / max | KB | over target? |")
    print("|---|---|---|---|---|")
    for row in pages:
        over = []
        if row["median"] > TARGET_MS:
            over.append("time")
        if row["kb"] > TARGET_KB and "first_byte" not in row:
            over.append("size")
        print(f"| `{row['path']}` | {row['role']} | {row['median']:.0f} / {row['max']:.0f} | "
              f"{row['kb']:.0f} | {', '.join(over) or 'no'} |")
    downloads = [row for row in pages if "first_byte" in row]
    if downloads:
        print("\n| export | role | first byte ms | total ms | KB | peak Python memory KB | "
              "RSS growth KB |")
        print("|---|---|---|---|---|---|---|")
        for row in downloads:
            print(f"| `{row['path']}` | {row['role']} | {row['first_byte']:.0f} | "
                  f"{row['median']:.0f} | {row['kb']:.0f} | "
                  f"{'not measured' if row['peak_kb'] is None else round(row['peak_kb'])} | "
                  f"{row['rss_growth_kb']} |")
    if purge:
        print(f"\npurge: {purge['seconds']:.1f} s, {purge['counts']}; an acceptance through the "
              f"API meanwhile: median {purge['kiosk_median_ms']:.0f} ms, longest "
              f"{purge['kiosk_max_ms']:.0f} ms ({purge['kiosk_posts']} sent)")


if __name__ == "__main__":
    sys.exit(main())
