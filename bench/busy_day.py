"""A busy day (a school fair): the four staff pages that offer today's visitors, with 2,000 of
today's acceptances, their size and time through the Flask test client.

    .venv/bin/python bench/busy_day.py [--rounds 3] [--visitors 2000] [CHECKOUT ...]

Each CHECKOUT (default: this one; another is a folder such as `git archive` of an earlier
commit, run with this .venv) is measured in a process of its own, on a fresh SQLite database in
a temporary folder, with a signed-in teacher; the checkouts alternate round by round. Each
page is fetched 7 times a round; the table shows the bytes and the median time over all rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess  # nosec B404: runs this script again, for one checkout
import sys
import tempfile
import time

PAGES = {
    "breach, who step": "/staff/breaches/new",
    "breach, details step": "/staff/breaches/new?who=visitor&category=photographing",
    "deletion request form": "/staff/deletions/new",
    "today's visitors": "/staff/visitors",
    "who step, a search": "/staff/breaches/new?search=olwen",
}


def measure_one(visitors: int) -> dict[str, list]:
    """In the checkout this process runs in: fill a day, then fetch each page."""
    import datetime as dt

    from kiosk import create_app
    from kiosk.migrate import migrate_database
    from kiosk.models import db, utcnow
    from kiosk.policies import seed_default_policy
    from tests.helpers import make_acceptance, make_user, sign_in_as

    app = create_app({"KIOSK_INSTANCE_PATH": tempfile.mkdtemp() + "/instance", "TESTING": True})
    with app.app_context():
        migrate_database()
        seed_default_policy()
        newest = utcnow() - dt.timedelta(minutes=1)
        with db.atomic():
            for i in range(visitors):
                name = "Olwen Price" if i == visitors * 3 // 4 else f"Fair Visitor {i:04d}"
                make_acceptance(full_name=name, accepted_at=newest - dt.timedelta(seconds=i))
        teacher = make_user("staff")
    client = app.test_client()
    sign_in_as(client, teacher)
    results = {}
    for label, url in PAGES.items():
        times = []
        for _ in range(7):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
        results[label] = [len(response.data), times]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkouts", nargs="*", default=[os.getcwd()])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--visitors", type=int, default=2000)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure_one(args.visitors)))
        return
    found: dict[str, dict[str, list]] = {c: {} for c in args.checkouts}
    for round_number in range(args.rounds):
        order = args.checkouts if round_number % 2 == 0 else list(reversed(args.checkouts))
        for checkout in order:
            out = subprocess.run(  # nosec B603: this interpreter, this script, our own arguments
                [sys.executable, os.path.abspath(__file__), "--one", "--visitors",
                 str(args.visitors)], cwd=checkout, capture_output=True, text=True, check=True,
                env={**os.environ, "PYTHONPATH": os.path.abspath(checkout)})
            for label, (size, times) in json.loads(out.stdout.strip().splitlines()[-1]).items():
                found[checkout].setdefault(label, [size, []])[1].extend(times)
    for checkout, pages in found.items():
        print(f"\n{checkout} ({args.visitors:,} of today's acceptances, {args.rounds} rounds)")
        print(f"{'page':26s} {'bytes':>10s} {'median ms':>10s} {'worst ms':>10s}")
        for label, (size, times) in pages.items():
            print(f"{label:26s} {size:>10,} {statistics.median(times):>10.1f} {max(times):>10.1f}")


if __name__ == "__main__":
    main()
