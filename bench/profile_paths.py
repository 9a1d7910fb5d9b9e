"""Where the time goes on the three hot paths: cProfile around the Flask test client.

    .venv/bin/python bench/profile_paths.py [home|form|api] [--requests 300] [--top 25]
                                            [--cost] [--checkout OTHER_CHECKOUT]

A fresh instance folder (migrated, seeded) under /tmp; prints the top functions by cumulative
time for N requests of the chosen path (after a few warm-up requests). `--cost` runs them without
the profiler and prints what one request costs: CPU time of this process (what the rate follows
when the cores are busy; a commit's wait for the disk is not CPU) and the time it took. With
`--checkout` the app is imported from another checkout (e.g. main's), so two versions can be
compared with the same script; with `--bare` the bare app of bench/compare.py (bench/bare_app.py)
is measured instead, for the kiosk's cost against the least the same request can cost.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("path", choices=("home", "form", "api"))
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--cost", action="store_true", help="no profiler: ms per request")
    parser.add_argument("--checkout", type=Path, help="import the app from this checkout")
    parser.add_argument("--bare", action="store_true", help="bench/bare_app.py instead")
    args = parser.parse_args()
    if args.bare:
        return run(args, bare_client())
    if args.checkout:
        sys.path.insert(0, str(args.checkout.resolve()))
    os.environ["KIOSK_INSTANCE_PATH"] = tempfile.mkdtemp(prefix="kiosk-profile-")
    os.environ["KIOSK_ENV"] = "development"
    from kiosk import create_app
    from kiosk.migrate import migrate_database
    from kiosk.policies import seed_default_policy

    app = create_app()
    with app.app_context():
        migrate_database()
        seed_default_policy()
    client = app.test_client()
    page = client.get("/accept?channel=kiosk").get_data(as_text=True)
    return run(args, client, re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1))


def bare_client():
    os.environ["BARE_DATABASE"] = str(Path(tempfile.mkdtemp(prefix="bare-profile-")) / "bare.db")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import bare_app

    return bare_app.app.test_client()


def run(args, client, csrf: str = "") -> int:
    """The warm-up requests, then N measured: profiled, or their cost."""
    counter = iter(range(10**9))

    def one() -> None:
        n = next(counter)
        if args.bare:
            response = (client.get("/") if args.path == "home" else client.post(
                "/accept", data={"full_name": f"Profile Visitor {n}"}) if args.path == "form"
                else client.post("/api/acceptances", json={"full_name": f"Profile Visitor {n}"}))
        elif args.path == "home":
            response = client.get("/")
        elif args.path == "form":
            response = client.post("/accept", data={
                "full_name": f"Profile Visitor {n}", "role": "visitor", "accept": "y",
                "client_uuid": str(uuid.uuid4()), "policy_version": "1", "channel": "kiosk",
                "csrf_token": csrf})
        else:
            response = client.post("/api/v1/acceptances", json={
                "full_name": f"Profile Visitor {n}", "role": "visitor", "accept": True,
                "policy_version": "1", "channel": "kiosk",
                "accepted_at": "2026-01-01T10:00:00Z"},
                headers={"X-Kiosk-Client": "outbox", "Idempotency-Key": str(uuid.uuid4())})
        if response.status_code >= 400:
            raise SystemExit(f"{response.status_code}: {response.get_data()[:500]!r}")

    for _ in range(10):
        one()
    if args.cost:
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(args.requests):
            one()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        print(f"{args.path}: {cpu / args.requests * 1000:.2f} ms CPU, "
              f"{wall / args.requests * 1000:.2f} ms in all, a request ({args.requests} requests)")
        return 0
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(args.requests):
        one()
    profile.disable()
    pstats.Stats(profile).sort_stats("cumulative").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
