"""Policy Kiosk against a bare Flask + peewee app, side by side, under the same gunicorn.

    .venv/bin/python bench/compare.py [--seconds 8] [--rounds 3] [--connections 16 64]
                                      [--baseline OTHER_CHECKOUT]

Starts both on loopback ports, each with a fresh folder: Policy Kiosk migrated and seeded
(`flask migrate`, `flask seed-policy`) and served with `gunicorn --config python:kiosk.serve`
(its workers and threads), SQLite with the app's own settings; the bare app (bench/bare_app.py)
with the same workers and threads and the same SQLite pragmas. Then, for each round and each
connection count, runs wrk (-t2, --latency) for each figure on both apps, the order alternating
each round: GET the kiosk home, POST the accept form (a session cookie and CSRF token fetched
first), POST /api/v1/acceptances as the outbox sends it; the bare app's GET /, POST /accept and
POST /api/acceptances. Every POST carries a unique name and UUID (bench/wrk.lua).

After each POST run it counts the rows made and checks them against wrk: every successful answer
(2xx/3xx) made exactly one row (nothing lost, nothing doubled); a request still being answered
when wrk stops may add a row wrk never saw, so up to one per connection more is allowed and shown.
Prints, per figure: requests a second (median of the rounds, and the range), p50 and p99 (the
median and the worst round), errors (non-2xx/3xx and socket errors, all rounds), the kiosk/bare
ratio of the medians, and peak RSS per worker (VmHWM of each gunicorn worker at the end).
Takes about rounds x connection counts x 6 x seconds, plus start-up.

`--baseline OTHER_CHECKOUT` (a folder with another version of Policy Kiosk, e.g. `git worktree
add /tmp/before main`, with its .venv) starts that version too, as "before", and runs it in
the same rounds, so before and after are measured side by side in one run, each against the
same bare app: on a shared machine, figures from two separate runs do not compare.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import socket
import sqlite3
import statistics
import subprocess  # nosec B404: runs gunicorn, flask and wrk, all named here
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
LUA = ROOT / "bench" / "wrk.lua"
sys.path.insert(0, str(ROOT))

from kiosk import serve  # noqa: E402  (the workers and threads `make run` uses)

FIGURES = ("home", "form", "api")
TITLES = {"home": "GET home", "form": "POST accept form", "api": "POST API acceptance"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (our own loopback server)
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@dataclass
class Server:
    name: str
    port: int
    database: Path
    paths: dict[str, str]
    process: subprocess.Popen | None = None
    env: dict[str, str] = field(default_factory=dict)
    cookie: str = ""
    csrf: str = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rows(self) -> int:
        with sqlite3.connect(self.database, timeout=30) as conn:
            return conn.execute("SELECT COUNT(*) FROM acceptance").fetchone()[0]

    def distinct_names(self) -> int:
        with sqlite3.connect(self.database, timeout=30) as conn:
            return conn.execute(
                "SELECT COUNT(DISTINCT full_name) FROM acceptance").fetchone()[0]

    def workers(self) -> list[int]:
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return [int(c) for c in children]

    def peak_rss_mb(self) -> list[float]:
        peaks = []
        for pid in self.workers():
            status = Path(f"/proc/{pid}/status").read_text()
            kb = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))
            peaks.append(kb / 1024)
        return peaks

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()


def start_kiosk(folder: Path, log, name: str = "kiosk", checkout: Path = ROOT) -> Server:
    instance = folder / f"{name}-instance"
    env = {**os.environ, "KIOSK_INSTANCE_PATH": str(instance), "KIOSK_ENV": "development"}
    for setting in ("DATABASE_URL", "KIOSK_DATABASE_URL", "KIOSK_PUBLIC_URL",
                    "KIOSK_TRUSTED_HOSTS"):
        env.pop(setting, None)
    binaries = checkout / ".venv" / "bin"
    for command in ("migrate", "seed-policy"):
        subprocess.run([str(binaries / "flask"), "--app", "kiosk", command], cwd=checkout,  # nosec
                       env=env, check=True, stdout=log, stderr=log)
    server = Server(name, free_port(), instance / "kiosk.sqlite3",
                    {"home": "/", "form": "/accept", "api": "/api/v1/acceptances"}, env=env)
    server.process = subprocess.Popen(  # nosec B603
        [str(binaries / "gunicorn"), "--config", "python:kiosk.serve", "--bind",
         f"127.0.0.1:{server.port}", "wsgi:app"], cwd=checkout, env=env, stdout=log,
        stderr=log)
    wait_for(server.url + "/")
    # A visitor's session and form token, as the kiosk's browser would have them.
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(server.url + "/accept?channel=kiosk").read().decode()
    server.csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    server.cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return server


def start_bare(folder: Path, log) -> Server:
    database = folder / "bare.sqlite3"
    env = {**os.environ, "BARE_DATABASE": str(database)}
    server = Server("bare", free_port(), database,
                    {"home": "/", "form": "/accept", "api": "/api/acceptances"}, env=env)
    server.process = subprocess.Popen(  # nosec B603
        [str(BIN / "gunicorn"), "--workers", str(serve.workers), "--worker-class",
         serve.worker_class, "--threads", str(serve.threads), "--bind",
         f"127.0.0.1:{server.port}", "--chdir", str(ROOT / "bench"), "bare_app:app"],
        cwd=ROOT, env=env, stdout=log, stderr=log)
    wait_for(server.url + "/")
    return server


@dataclass
class Run:
    rate: float
    p50_ms: float
    p99_ms: float
    errors: int
    ok: int
    rows: int | None = None
    problem: str = ""


def run_wrk(server: Server, figure: str, connections: int, seconds: int) -> Run:
    mode = {"home": "get", "form": "form", "api": "json"}[figure]
    env = {**os.environ, "BENCH_MODE": mode, "BENCH_PATH": server.paths[figure],
           "BENCH_RUN": secrets.token_hex(4), "BENCH_CSRF": server.csrf,
           "BENCH_COOKIE": server.cookie, "BENCH_ORIGIN": server.url}
    before = server.rows() if figure != "home" else 0
    names_before = server.distinct_names() if figure != "home" else 0
    out = subprocess.run(  # nosec B603
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s",
         "-s", str(LUA), server.url + server.paths[figure]],
        env=env, capture_output=True, text=True, check=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("BENCH "))
    w = json.loads(line[len("BENCH "):])
    errors = w["status_errors"] + w["connect"] + w["read"] + w["write"] + w["timeout"]
    ok = w["requests"] - w["status_errors"]
    run = Run(w["requests"] / (w["duration_us"] / 1e6), w["p50_us"] / 1000, w["p99_us"] / 1000,
              errors, ok)
    if figure != "home":
        time.sleep(0.5)  # let the last answers wrk stopped waiting for finish
        run.rows = server.rows() - before
        doubled = run.rows - (server.distinct_names() - names_before)
        if run.rows < ok:
            run.problem = f"{ok - run.rows} successful answers made no row"
        elif run.rows > min(ok + connections, w["sent"]):
            run.problem = f"{run.rows - ok} more rows than successful answers"
        if doubled:
            run.problem += f" {doubled} rows doubled"
    return run


def table(results: dict, servers: dict, figures: list[str], connections: list[int]) -> str:
    """One line per figure: each Policy Kiosk (this one, and "before" if given), then the bare
    app, then each kiosk's ratio to the bare app (of the median rates)."""
    kiosks = [name for name in servers if name != "bare"]
    head = ["figure", "conns"]
    for name in [*kiosks, "bare"]:
        head += [f"{name} req/s (range)", "p50 / p99 ms", "errors"]
    head += [f"ratio {name}" for name in kiosks]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for figure in figures:
        for conns in connections:
            cells = [TITLES[figure], str(conns)]
            medians = {}
            for name in [*kiosks, "bare"]:
                runs = results[(name, figure, conns)]
                rates = [r.rate for r in runs]
                medians[name] = statistics.median(rates)
                cells.append(f"{medians[name]:,.0f} ({min(rates):,.0f}-{max(rates):,.0f})")
                cells.append(f"{statistics.median(r.p50_ms for r in runs):.1f} / "
                             f"{statistics.median(r.p99_ms for r in runs):.1f} "
                             f"(worst {max(r.p99_ms for r in runs):.1f})")
                cells.append(str(sum(r.errors for r in runs)))
            cells += [f"{medians[name] / medians['bare']:.2f}" for name in kiosks]
            lines.append("| " + " | ".join(cells) + " |")
    rss = {name: server.peak_rss_mb() for name, server in servers.items()}
    lines.append("")
    lines.append("Peak RSS per worker (VmHWM): " + "; ".join(
        f"{name} " + ", ".join(f"{mb:.1f} MB" for mb in peaks) for name, peaks in rss.items()))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--only", choices=FIGURES, nargs="+", default=list(FIGURES))
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--baseline", type=Path, help="another checkout, run as \"before\"")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is needed (apt-get install wrk)", file=sys.stderr)
        return 2
    folder = Path(tempfile.mkdtemp(prefix="kiosk-bench-"))
    log = open(folder / "servers.log", "w")
    servers: dict[str, Server] = {}
    try:
        servers["kiosk"] = start_kiosk(folder, log)
        if args.baseline:
            servers["before"] = start_kiosk(folder, log, "before", args.baseline.resolve())
        servers["bare"] = start_bare(folder, log)
        results: dict[tuple, list[Run]] = {}
        problems = []
        for round_number in range(args.rounds):
            # Each server goes first in turn, so none always runs straight after another.
            names = list(servers)
            shift = round_number % len(names)
            order = names[shift:] + names[:shift]
            for conns in args.connections:
                for figure in args.only:
                    for name in order:
                        run = run_wrk(servers[name], figure, conns, args.seconds)
                        results.setdefault((name, figure, conns), []).append(run)
                        rows = "" if run.rows is None else f", {run.rows} rows"
                        print(f"round {round_number + 1} {name:6} {TITLES[figure]:20} c{conns:<3} "
                              f"{run.rate:8,.0f} req/s  p50 {run.p50_ms:6.1f} ms  "
                              f"p99 {run.p99_ms:6.1f} ms  errors {run.errors}{rows} "
                              f"{run.problem}", flush=True)
                        if run.problem:
                            problems.append(f"{name} {figure} c{conns}: {run.problem}")
        print()
        print(f"{os.cpu_count()} CPUs, {serve.workers} workers x {serve.threads} threads "
              f"({serve.worker_class}) each side, wrk -t2, {args.seconds} s x {args.rounds} rounds")
        print(table(results, servers, args.only, args.connections))
        if problems:
            print("\nROWS DO NOT MATCH:\n" + "\n".join(problems))
            return 1
        print("\nRows: every successful POST made exactly one row, on both sides.")
        return 0
    finally:
        for server in servers.values():
            server.stop()
        log.close()
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"kept {folder}")


if __name__ == "__main__":
    sys.exit(main())
