"""Where the time goes on the three hot paths: cProfile around the Flask test client.

    .venv/bin/python bench/profile_paths.py [home|form|api] [--requests 300] [--top 25]

A fresh instance folder (migrated, seeded) under /tmp; prints the top functions by cumulative
time for N requests of the chosen path (after a few warm-up requests).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("path", choices=("home", "form", "api"))
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
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
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    counter = iter(range(10**9))

    def one() -> None:
        n = next(counter)
        if args.path == "home":
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
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(args.requests):
        one()
    profile.disable()
    pstats.Stats(profile).sort_stats("cumulative").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
