"""The CSV exports and the purge at a trust's size, before and after issue 14 (streamed exports,
batched purge), on SQLite.

    .venv/bin/python bench/exports_and_purge.py [--acceptances 2000000] [--breaches 50000]
        [--expired-acceptances 330000] [--expired-breaches 8000] [--before COMMIT]
        [--only purge exports] [--tracemalloc] [--keep | --database FILLED.sqlite3]

Fills a fresh SQLite database in a temporary folder in bulk (rows copied from one row made by
the app, so every column is as the app writes it): N acceptances over the last two years, of
which the expired ones are between one and two years old (visitors are kept one year), and
breaches over seven years, of which the expired ones are older than six years (one deletion
request each, and 2,000 expired deletion requests on their own; a tenth of the breaches are
safeguarding matters, and 1,000 recent breaches hold an expired acceptance).

Then, for the code of this checkout ("after") and of --before (default: main before issue 14's
point 4, loaded from git):

- each export, called as its view calls it (the audited count, then the rows): time to the
  first piece (the header), to the first rows, and to the end, and how far the process's
  resident memory rose (its high-water mark reset first); with --tracemalloc, tracemalloc's
  peak in a second run (tracemalloc slows Python down three times, so the times come from the
  first);
- the purge of what is past its period, on its own copy of the database, while another process
  (a kiosk) writes an acceptance every 20 ms in its own transaction: the purge's time, its
  longest transaction, and how long the kiosk's writes waited (longest, 99th percentile).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.util
import multiprocessing
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BEFORE = "9b0cd49"  # main before issue 14's point 4
NO_SIGN_IN = "!"  # the accounts here are only reporters and readers: no hash matches anything


def load_before(commit: str, module: str):
    """A module of kiosk as it was at a commit, imported beside today's (same package)."""
    path = module.replace(".", "/") + ".py"
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{commit}:{path}"], check=True,
                            capture_output=True, text=True).stdout
    package, _, name = module.rpartition(".")
    spec = importlib.util.spec_from_loader(f"{package}._before_{name}", loader=None)
    old = importlib.util.module_from_spec(spec)
    old.__package__ = package
    sys.modules[spec.name] = old  # dataclasses look their module up there
    exec(compile(source, f"{commit}:{path}", "exec"), old.__dict__)  # noqa: S102 (our own code)
    return old


def stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def template_rows(app) -> dict[str, dict]:
    """One acceptance, breach and deletion request made by the app, and the people."""
    from kiosk.breaches import BreachDetails, log_breach
    from kiosk.deletions import DeletionDetails, request_deletion
    from kiosk.models import Acceptance, BreachCategory, PolicyVersion, StaffUser, db, utcnow

    with app.app_context():
        head = StaffUser.create(email="head@example.org", display_name="Hedda Head", role="head",
                                password_hash=NO_SIGN_IN)
        teacher = StaffUser.create(email="teacher@example.org", display_name="Tess Teacher",
                                   role="staff", password_hash=NO_SIGN_IN)
        Acceptance.create(policy_version=PolicyVersion.current(), full_name="Template Visitor",
                          role="visitor", channel="kiosk", accepted_at=utcnow(),
                          organisation="Acme Ltd", reason="Fixing the boiler")
        log_breach(teacher, BreachDetails(
            client_uuid=uuid.uuid4(), subject_kind="visitor",
            category=BreachCategory.get(BreachCategory.slug == "commercial"), occurred_at=utcnow(),
            subject_name="Template Subject", location="Gate", description="Selling things.",
            actions=("asked_to_stop",)), "bench")
        request_deletion(teacher, DeletionDetails(
            client_uuid=uuid.uuid4(), material="photo", material_location="device",
            asked_at=utcnow(), person_name="Template Person"), "bench")
        db.close()
        ids = {"head": head.id, "teacher": teacher.id}
    return ids


def fill(path: Path, args) -> None:
    """Copy the template rows in bulk, straight through sqlite3."""
    from kiosk.text import search_key

    con = sqlite3.connect(path)
    con.row_factory = sqlite3.Row
    con.execute("PRAGMA synchronous=OFF")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)

    def template(table: str) -> dict:
        return dict(con.execute(f'SELECT * FROM "{table}" ORDER BY id LIMIT 1').fetchone())  # noqa: S608

    def insert(table: str, rows) -> None:
        rows = iter(rows)
        first = next(rows)
        columns = list(first)
        sql = (f'INSERT INTO "{table}" ({", ".join(columns)}) '  # noqa: S608
               f'VALUES ({", ".join("?" for _ in columns)})')
        con.executemany(sql, ([row[c] for c in columns] for row in _chain(first, rows)))

    acceptance, breach, request = template("acceptance"), template("breach"), template("deletion_request")
    for row in (acceptance, breach, request):
        row.pop("id")
    con.execute('DELETE FROM "deletion_request"')
    con.execute('DELETE FROM "breach"')
    con.execute('DELETE FROM "acceptance"')

    n, expired = args.acceptances, args.expired_acceptances
    year = dt.timedelta(days=365)

    def acceptances():
        old_start, old_span = now - 2 * year, year - dt.timedelta(days=2)
        new_start, new_span = now - year + dt.timedelta(days=1), year - dt.timedelta(days=2)
        for i in range(n):
            if i < expired:
                at = old_start + old_span * (i / expired)
            else:
                at = new_start + new_span * ((i - expired) / max(1, n - expired))
            name = f"Visitor {i}"
            yield {**acceptance, "client_uuid": uuid.uuid4().hex, "full_name": name,
                   "name_key": search_key(name), "accepted_at": stamp(at), "received_at": stamp(at)}

    started = time.perf_counter()
    insert("acceptance", acceptances())
    con.commit()
    print(f"  {n:,} acceptances in {time.perf_counter() - started:.0f} s", flush=True)

    b, old_b = args.breaches, args.expired_breaches
    seven_years, six_years = 7 * year, 6 * year
    expired_acceptance_ids = [r[0] for r in con.execute(
        "SELECT id FROM acceptance ORDER BY id LIMIT 1000")]

    def breaches():
        for i in range(b):
            if i < old_b:
                at = now - seven_years + (year - dt.timedelta(days=2)) * (i / old_b)
                safeguarding = 0
            else:
                at = now - six_years + dt.timedelta(days=1) + (six_years - dt.timedelta(days=2)) * (
                    (i - old_b) / max(1, b - old_b))
                safeguarding = int(i % 10 == 0)
            held = expired_acceptance_ids[i - old_b] if 0 <= i - old_b < 1000 else None
            yield {**breach, "public_id": uuid.uuid4().hex, "client_uuid": uuid.uuid4().hex,
                   "occurred_at": stamp(at), "created_at": stamp(at), "safeguarding": safeguarding,
                   "acceptance_id": held}

    insert("breach", breaches())
    old_breach_ids = [r[0] for r in con.execute("SELECT id FROM breach ORDER BY id LIMIT ?", (old_b,))]

    def requests():
        for breach_id in old_breach_ids:
            yield {**request, "public_id": uuid.uuid4().hex, "client_uuid": uuid.uuid4().hex,
                   "breach_id": breach_id, "asked_at": stamp(now - seven_years)}
        for _ in range(2000):
            yield {**request, "public_id": uuid.uuid4().hex, "client_uuid": uuid.uuid4().hex,
                   "breach_id": None, "asked_at": stamp(now - 3 * year)}

    insert("deletion_request", requests())
    con.commit()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.execute("ANALYZE")
    con.close()


def _chain(first, rest):
    yield first
    yield from rest


# Exports ---------------------------------------------------------------------------------------

def _rss_mb(field: str) -> float:
    """This process's resident memory now (VmRSS) or its high-water mark (VmHWM), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise LookupError(field)


def measure_export(app, call, streamed: bool, traced: bool) -> dict[str, float]:
    """Times to the first piece, the first rows and the end, and how far the process's resident
    memory rose above where it was (its high-water mark is reset first); with `traced`, a
    second run under tracemalloc for its peak (tracemalloc slows Python down, so the times come
    from the first)."""
    figures: dict[str, float] = {}
    for tracing in (False, True) if traced else (False,):
        with app.test_request_context():
            if tracing:
                tracemalloc.start()
            else:
                Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to VmRSS
                resident = _rss_mb("VmRSS")
            started = time.perf_counter()
            download = call()
            size = 0
            if streamed:
                body = iter(download.body)
                size += len(next(body))
                header_at = time.perf_counter()
                size += len(next(body, ""))
                rows_at = time.perf_counter()
                for piece in body:
                    size += len(piece)
            else:
                size = len(download.body)
                header_at = rows_at = time.perf_counter()
            ended = time.perf_counter()
            if tracing:
                figures["traced_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
                tracemalloc.stop()
            else:
                figures.update(first_byte_ms=(header_at - started) * 1000,
                               first_rows_ms=(rows_at - started) * 1000,
                               total_s=ended - started, rows=download.rows, mb=size / 2**20,
                               rss_mb=_rss_mb("VmHWM") - resident)
            del download
        from kiosk.models import db
        db.close()
    if streamed:
        # Asked again at once: the database's pages are in the cache now, as on a server that
        # has been answering (the first figures include reading them from the disk).
        with app.test_request_context():
            started = time.perf_counter()
            body = iter(call().body)
            next(body)
            figures["again_first_byte_ms"] = (time.perf_counter() - started) * 1000
            next(body, "")
            figures["again_first_rows_ms"] = (time.perf_counter() - started) * 1000
            body.close()
        db.close()
    return figures


def exports_at_scale(app, user_id: int, before: str, traced: bool) -> None:
    from kiosk.display import school_zone
    from kiosk.models import StaffUser
    from kiosk.reports import exports

    old = load_before(before, "kiosk.reports.exports") if before else None
    print("\nexport | code | rows | first byte | first rows | whole file | size | resident memory "
          "added | asked again: first byte, first rows" + (" | tracemalloc peak" if traced else ""),
          flush=True)
    for name in ("acceptances", "breaches"):
        for label, module, streamed in (("after", exports, True), ("before", old, False)):
            if module is None:
                continue

            def call(module=module, name=name):
                zone = school_zone()
                if name == "acceptances":
                    return module.export_acceptances(zone)
                return module.export_breaches(StaffUser.get_by_id(user_id), zone)

            f = measure_export(app, call, streamed, traced)
            print(f"{name} | {label} | {f['rows']:,} | {f['first_byte_ms']:,.0f} ms | "
                  f"{f['first_rows_ms']:,.0f} ms | {f['total_s']:.1f} s | {f['mb']:.0f} MB | "
                  f"{f['rss_mb']:.1f} MB | " + (
                      f"{f['again_first_byte_ms']:,.0f} ms, {f['again_first_rows_ms']:,.0f} ms"
                      if streamed else "the same") + (f" | {f['traced_mb']:.1f} MB" if traced else ""),
                  flush=True)


# The purge ---------------------------------------------------------------------------------------

def kiosk_writer(path: str, stop, results) -> None:
    """A kiosk: an acceptance every 20 ms, each in its own IMMEDIATE transaction, as the app
    writes (busy timeout 10 s); how long each write took, start to commit."""
    con = sqlite3.connect(path, timeout=10, isolation_level=None)
    con.execute("PRAGMA synchronous=FULL")
    template = dict(zip([d[0] for d in con.execute("SELECT * FROM acceptance LIMIT 1").description],
                        con.execute("SELECT * FROM acceptance ORDER BY id DESC LIMIT 1").fetchone(),
                        strict=True))
    template.pop("id")
    columns = list(template)
    sql = (f'INSERT INTO acceptance ({", ".join(columns)}) '  # noqa: S608
           f'VALUES ({", ".join("?" for _ in columns)})')
    waits, failed = [], 0
    while not stop.is_set():
        now = stamp(dt.datetime.now(dt.UTC).replace(tzinfo=None))
        row = {**template, "client_uuid": uuid.uuid4().hex, "accepted_at": now, "received_at": now}
        started = time.perf_counter()
        try:
            con.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:  # "database is locked": the 10 s are up, as in the app
            failed += 1
            waits.append(time.perf_counter() - started)
            continue
        con.execute(sql, [row[c] for c in columns])
        con.execute("COMMIT")
        waits.append(time.perf_counter() - started)
        time.sleep(0.02)
    con.close()
    results.put((waits, failed))


class TimedTransactions:
    """Stands in for `db` in the purge's module: every atomic() block is timed."""

    def __init__(self, db):
        self._db, self.durations = db, []

    def __getattr__(self, name):
        return getattr(self._db, name)

    @contextlib.contextmanager
    def atomic(self, *args, **kwargs):
        started = time.perf_counter()
        with self._db.atomic(*args, **kwargs):
            yield
        self.durations.append(time.perf_counter() - started)


def purge_at_scale(source: Path, workdir: Path, before: str) -> None:
    from kiosk import create_app, retention
    from kiosk.models import db

    print("\npurge | code | removed | time | transactions | longest transaction | kiosk writes "
          "during it | kiosk's longest wait | kiosk's p99 wait")
    variants = [("after", retention)]
    if before:
        variants.append(("before", None))
    for label, module in variants:
        copy = workdir / f"purge-{label}.sqlite3"
        with sqlite3.connect(source) as checkpoint:
            checkpoint.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copy(source, copy)
        app = create_app({"KIOSK_INSTANCE_PATH": str(workdir / f"instance-{label}"),
                          "DATABASE_URL": f"sqlite:///{copy}"})
        with app.app_context():
            module = module or load_before(before, "kiosk.retention")
            timed = TimedTransactions(db)
            module.db = timed
            stop, results = multiprocessing.Event(), multiprocessing.Queue()
            writer = multiprocessing.Process(target=kiosk_writer, args=(str(copy), stop, results))
            writer.start()
            time.sleep(1)  # the kiosk writes on its own for a moment first
            started = time.perf_counter()
            try:
                counts = module.purge()
            except Exception as error:  # the code before may fail at this size
                counts = {f"nothing: it failed ({type(error).__name__}: {error})": 0}
            took = time.perf_counter() - started
            time.sleep(0.5)
            stop.set()
            waits, failed = results.get(timeout=60)
            writer.join()
            module.db = db
            db.close()
        if not timed.durations:  # it failed inside its one transaction
            timed.durations.append(took)
        removed = ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in counts.items())
        if failed:
            removed += f"; {failed} kiosk write(s) failed, the database locked for over 10 s"
        waits_ms = sorted(w * 1000 for w in waits)
        p99 = waits_ms[int(len(waits_ms) * 0.99) - 1] if waits_ms else 0
        # The transactions include the audit event's own (a few ms).
        print(f"purge | {label} | {removed} | {took:.1f} s | {len(timed.durations)} | "
              f"{max(timed.durations) * 1000:,.0f} ms | {len(waits_ms)} | {waits_ms[-1]:,.0f} ms | "
              f"{p99:,.0f} ms (median {statistics.median(waits_ms):.0f} ms)", flush=True)
        copy.unlink()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--acceptances", type=int, default=2_000_000)
    parser.add_argument("--expired-acceptances", type=int, default=330_000)
    parser.add_argument("--breaches", type=int, default=50_000)
    parser.add_argument("--expired-breaches", type=int, default=8_000)
    parser.add_argument("--before", default=BEFORE, help="commit to compare with ('' for none)")
    parser.add_argument("--only", nargs="+", choices=("exports", "purge"), default=("purge", "exports"))
    parser.add_argument("--tracemalloc", action="store_true",
                        help="also run each export under tracemalloc for its peak (slow)")
    parser.add_argument("--database", type=Path,
                        help="a database this script filled before (kept with --keep): no fill")
    parser.add_argument("--keep", action="store_true", help="keep the filled database")
    args = parser.parse_args()

    os.environ["KIOSK_ENV"] = "development"
    from kiosk import create_app
    from kiosk.migrate import migrate_database
    from kiosk.models import StaffUser
    from kiosk.policies import seed_default_policy

    workdir = Path(tempfile.mkdtemp(prefix="kiosk-scale-"))
    database = args.database or workdir / "kiosk.sqlite3"
    app = create_app({"KIOSK_INSTANCE_PATH": str(workdir / "instance"),
                      "DATABASE_URL": f"sqlite:///{database}"})
    if args.database:
        with app.app_context():
            head = StaffUser.get(StaffUser.role == "head").id
    else:
        with app.app_context():
            migrate_database()
            seed_default_policy()
        head = template_rows(app)["head"]
        print(f"Filling {database} ...", flush=True)
        started = time.perf_counter()
        fill(database, args)
        print(f"  filled in {time.perf_counter() - started:.0f} s "
              f"({database.stat().st_size / 2**20:,.0f} MB)", flush=True)
    try:
        for part in args.only:
            if part == "purge":
                purge_at_scale(database, workdir, args.before)
            else:
                # The database is bound globally by each app made: the purge's copies were the
                # last, so the exports get an app of their own on the filled database.
                app = create_app({"KIOSK_INSTANCE_PATH": str(workdir / "instance"),
                                  "DATABASE_URL": f"sqlite:///{database}"})
                exports_at_scale(app, head, args.before, args.tracemalloc)
    finally:
        if args.keep and not args.database:
            print(f"The database is kept: {database}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
