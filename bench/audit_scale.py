"""The head's audit page and "Check now" at five million events.

    .venv/bin/python bench/audit_scale.py fill --instance DIR [--events 5000000] [--database-url URL]
    .venv/bin/python bench/audit_scale.py time --instance DIR [--database-url URL] [--code CHECKOUT]
                                               [--full]

`fill` migrates a fresh database in DIR and adds the events in bulk (one INSERT of many rows at a
time, each with its real keyed hash, chained), over five years: views of 500 breaches, sign-ins
and sign-outs of 40 staff, the lists that showed breaches, acceptances by visitors. A checkpoint
is written at the end, then 1,000 more events are added as the app adds them.

`time` opens the same database with the code of CHECKOUT (default: this one; give another
checkout, e.g. main exported with `git archive`, to time "before"), migrates it (timing the
migration), and times through the Flask test client, as the head: the newest page, a page deep
in the log, the page narrowed to one person, to one breach and to one day, then "Check now"
(and with --full the check of every event, which takes minutes). Each page's time is the median
of five loads after one warm-up, with its size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
import types
import uuid
from pathlib import Path

KEY = "bench-audit-key-" + "x" * 40


def _app(args):
    if args.code:
        sys.path.insert(0, str(Path(args.code).resolve()))
    else:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ["KIOSK_ENV"] = "development"
    from kiosk import create_app

    config = {"KIOSK_INSTANCE_PATH": str(Path(args.instance).resolve()), "TESTING": True,
              "KIOSK_AUDIT_KEY": KEY}
    if args.database_url:
        config["DATABASE_URL"] = args.database_url
    return create_app(config)


def fill(args) -> None:
    app = _app(args)
    from kiosk import audit
    from kiosk.migrate import migrate_database
    from kiosk.models import AuditEvent, Breach, BreachCategory, StaffUser, db, utcnow
    from kiosk.policies import seed_default_policy

    with app.app_context():
        migrate_database()
        seed_default_policy()
        staff = [StaffUser.create(email=f"staff{n}@westacre.sch.uk", display_name=f"Staff {n}",
                                  role="staff" if n else "head", password_hash="x")  # noqa: S106
                 for n in range(40)]
        category = BreachCategory.select().first()
        breaches = []
        for n in range(500):
            breaches.append(Breach.create(
                client_uuid=uuid.uuid4(), reporter=staff[1 + n % 39], subject_kind="visitor",
                subject_name=f"Visitor {n}", category=category, occurred_at=utcnow(),
                description="A photo was taken."))
        keys = [str(b.public_id) for b in breaches]
        key = str(KEY).encode()
        last = AuditEvent.select().order_by(AuditEvent.id.desc()).first()
        previous = last.hash
        start = utcnow() - dt.timedelta(days=5 * 365)
        step = dt.timedelta(days=5 * 365) / args.events
        sql = ("INSERT INTO audit_event (at, actor_id, actor_label, action, record_kind, "
               "record_id, detail, previous_hash, hash) VALUES ")
        one = "(" + ", ".join([db.param] * 9) + ")"
        began = time.time()
        rows: list = []
        for i in range(args.events):
            kind = i % 20
            who = staff[1 + i % 39]
            if kind < 8:
                event = ("breach.viewed", "breach", keys[(i * 7) % 500], "", who)
            elif kind < 12:
                event = ("signin" if kind % 2 else "signout", "staff_user", str(who.id), "", who)
            elif kind < 15:
                shown = [keys[(i + j * 13) % 500] for j in range(10)]
                event = ("breach.list_viewed", "breach", "", json.dumps({"shown": shown}), who)
            else:
                event = ("acceptance.created", "acceptance", str(uuid.UUID(int=i)),
                         json.dumps({"channel": "kiosk"}), None)
            action, record_kind, record_id, detail, actor = event
            row = types.SimpleNamespace(
                previous_hash=previous, at=start + step * i,
                actor_id=actor.id if actor else None, actor_label=actor.email if actor else "",
                action=action, record_kind=record_kind, record_id=record_id, detail=detail)
            row.hash = audit.keyed_hash(row, key)
            previous = row.hash
            at = row.at if args.database_url else str(row.at)
            rows.append((at, row.actor_id, row.actor_label, action, record_kind, record_id,
                         detail, row.previous_hash, row.hash))
            if len(rows) == 500 or i == args.events - 1:
                with db.atomic():
                    db.execute_sql(sql + ", ".join([one] * len(rows)),
                                   [value for r in rows for value in r])
                rows = []
            if i % 500_000 == 0 and i:
                print(f"{i:,} events, {time.time() - began:.0f} s", flush=True)
        print(f"filled {args.events:,} events in {time.time() - began:.0f} s", flush=True)
        audit.write_checkpoint()
        for n in range(1000):
            audit.record("breach.viewed", kind="breach", record_id=keys[n % 500],
                         actor=staff[1 + n % 39])
        if not args.database_url:
            db.execute_sql("ANALYZE")
        else:
            db.execute_sql("ANALYZE audit_event")
        print(json.dumps({"head": staff[0].id, "breach": keys[3], "staff": staff[5].id}))
        (Path(args.instance) / "bench.json").write_text(json.dumps(
            {"head": staff[0].id, "breach": keys[3], "staff": staff[5].id}))


def _median_ms(client, url: str, rounds: int = 5) -> tuple[float, float, int, int]:
    """The median wall-clock and CPU (this process's) milliseconds of a page, its size, status.
    On a shared machine the CPU time is the steadier figure."""
    client.get(url)  # warm-up
    times, cpu, size, status = [], [], 0, 0
    for _ in range(rounds):
        began, began_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        times.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
        size, status = len(response.get_data()), response.status_code
    return statistics.median(times), statistics.median(cpu), size, status


def timing(args) -> None:
    app = _app(args)
    from kiosk import audit
    from kiosk.migrate import migrate_database
    from kiosk.models import AuditEvent, StaffUser

    known = json.loads((Path(args.instance) / "bench.json").read_text())
    with app.app_context():
        began = time.time()
        migrate_database()
        print(f"migrate: {time.time() - began:.1f} s")
        head = StaffUser.get_by_id(known["head"])
        newest = AuditEvent.select(AuditEvent.id).order_by(AuditEvent.id.desc()).first().id
        day = (AuditEvent.get_by_id(newest // 2).at).date()
        # The worst case for the record filter: a breach no entry names, so every list is read.
        from kiosk.models import Breach
        first = Breach.select().order_by(Breach.id).first()  # viewed all through the years
        known["breach"] = str(first.public_id)
        unseen = Breach.create(client_uuid=uuid.uuid4(), reporter=first.reporter_id,
                               subject_kind="visitor", subject_name="Unseen", occurred_at=first.at
                               if hasattr(first, "at") else first.occurred_at,
                               category=first.category_id, description="")
    client = app.test_client()
    with client.session_transaction() as session:
        now = time.time()
        session.update({"_user_id": head.get_id(), "_fresh": True, "signed_in_at": now,
                        "last_seen": now})
    deep = (f"/admin/audit?page={newest // 200}" if args.code
            else f"/admin/audit?before={newest // 2}")
    pages = {
        "newest page": "/admin/audit",
        "a page half-way back": deep,
        "one person": f"/admin/audit?who={known['staff']}",
        "one breach": f"/admin/audit?breach={known['breach']}",
        "a breach no entry names (every list read)": f"/admin/audit?breach={unseen.public_id}",
        "one day": f"/admin/audit?start={day:%d/%m/%Y}&end={day:%d/%m/%Y}",
    }
    for name, url in pages.items():
        ms, cpu, size, status = _median_ms(client, url)
        print(f"{name}: {ms:,.0f} ms (CPU {cpu:,.0f} ms), {size / 1024:.0f} KB, status {status}  "
              f"({url})", flush=True)
    if args.pages_only:
        return
    with app.app_context():
        for _ in range(1000):
            audit.record("signin", kind="staff_user", record_id=head.id, actor=head)
        began, began_cpu = time.perf_counter(), time.process_time()
        checked, problem = audit.check_chain(head)
        print(f"check now, 1,000 new events: {(time.perf_counter() - began) * 1000:,.0f} ms "
              f"(CPU {(time.process_time() - began_cpu) * 1000:,.0f} ms), {checked:,} events "
              f"read, problem {problem}", flush=True)
        if args.full:
            began, began_cpu = time.perf_counter(), time.process_time()
            result = audit.check_chain(head, full=True) if not args.code else audit.check_chain()
            print(f"full check: {time.perf_counter() - began:,.1f} s (CPU "
                  f"{time.process_time() - began_cpu:,.1f} s), {result[0]:,} events read, "
                  f"problem {result[1]}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=("fill", "time"))
    parser.add_argument("--instance", required=True)
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--database-url")
    parser.add_argument("--code")
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--pages-only", action="store_true")
    args = parser.parse_args()
    fill(args) if args.what == "fill" else timing(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
