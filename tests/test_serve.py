"""`make run` serves with gunicorn (kiosk/serve.py), which prints the set-up address with the port
it really listens on."""

from __future__ import annotations

import queue
import re
import signal
import subprocess
import sys
import threading
import time
import types
import urllib.request
from pathlib import Path

import pytest

from kiosk.accounts import setup_token

from .live import ROOT, LiveServer


def gunicorn(instance: Path, bind: str) -> subprocess.Popen:
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--config", "python:kiosk.serve",
         "--bind", bind, "--workers", "1", "wsgi:app"],
        cwd=ROOT, env={**LiveServer(instance, {}).env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")


def stop(process: subprocess.Popen) -> None:
    """SIGINT is gunicorn's quick shutdown (SIGTERM waits up to 30 s for its workers, which a
    loaded machine can take); a server that still lingers is killed, never left running. Its
    output pipe is closed by the thread reading it (read_until), once nothing writes to it."""
    try:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    finally:
        if getattr(process, "kiosk_lines", None) is None:
            process.stdout.close()


def _lines(process: subprocess.Popen) -> queue.Queue:
    """The server's output, a line at a time (None once it ends), read by a thread of its own for
    as long as the server runs: so a full pipe never stops the server, and a server that goes
    quiet makes read_until time out rather than wait on the pipe for ever."""
    lines = getattr(process, "kiosk_lines", None)
    if lines is None:
        lines = process.kiosk_lines = queue.Queue()

        def pump() -> None:
            try:
                with process.stdout:
                    for line in process.stdout:
                        lines.put(line)
            finally:  # however the reading ends, read_until hears of it at once
                lines.put(None)
        threading.Thread(target=pump, daemon=True).start()
    return lines


def read_until(process: subprocess.Popen, pattern: str, seconds: float = 20) -> str:
    """Lines of the server's output until one matches (or it ends, or time runs out)."""
    lines, seen, deadline = _lines(process), [], time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
        if re.search(pattern, line):
            return "".join(seen)
    raise AssertionError("the server never printed " + pattern + ":\n" + "".join(seen))


@pytest.fixture
def instance(tmp_path):
    server = LiveServer(tmp_path / "instance", {})
    server.instance.mkdir(parents=True)
    server.flask("migrate")
    server.flask("seed-policy")
    return server


def test_the_setup_address_names_the_port_gunicorn_really_listens_on(instance):
    # Port 0: the system picks a free one; only the server knows which.
    process = gunicorn(instance.instance, "127.0.0.1:0")
    try:
        output = read_until(process, r"/setup\?token=")
        listening = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", output).group(1)
        address = re.search(r"(http://\S+/setup\?token=\S+)", output).group(1)
        assert address.startswith(f"http://127.0.0.1:{listening}/setup?token=")
        token = setup_token((instance.instance / "secret_key").read_text().strip())
        assert address.endswith(f"?token={token}")
        read_until(process, r"Booting worker")
        deadline = time.monotonic() + 15
        while True:
            try:
                with urllib.request.urlopen(address, timeout=2) as page:
                    status, html = page.status, page.read().decode()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert status == 200 and "Create the headteacher" in html
    finally:
        stop(process)


def test_nothing_is_printed_once_an_account_exists(instance):
    instance.flask("create-user", "--role", "head", "--email", "head@example.org",
                   "--name", "Hana Head", "--password", "a long pass phrase")
    process = gunicorn(instance.instance, "127.0.0.1:0")
    try:
        output = read_until(process, r"Booting worker")
        assert "setup?token" not in output
    finally:
        stop(process)


def test_production_with_two_workers_refuses_per_process_sign_in_limits(tmp_path):
    """Each worker would count sign-in attempts on its own: gunicorn stops before serving."""
    env = {**LiveServer(tmp_path / "instance", {}).env, "KIOSK_ENV": "production",
           "KIOSK_PUBLIC_URL": "https://kiosk.westacre.sch.uk"}
    env.pop("KIOSK_RATELIMIT_STORAGE", None)
    done = subprocess.run(
        [str(Path(sys.executable).parent / "gunicorn"), "--config", "python:kiosk.serve",
         "--bind", "127.0.0.1:0", "wsgi:app"],  # kiosk.serve's two workers
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode != 0
    assert "Policy Kiosk cannot start: 2 worker processes would each count sign-in attempts" \
           in done.stderr
    assert "KIOSK_RATELIMIT_STORAGE=redis://" in done.stderr and "Booting worker" not in done.stderr


def gunicorn_config(monkeypatch, env: dict[str, str], *args: str):
    """gunicorn's settings as `gunicorn --config python:kiosk.serve ARGS wsgi:app` reads them,
    without starting it: kiosk.serve is imported afresh under `env`."""
    from gunicorn.app.wsgiapp import WSGIApplication

    for name in ("WEB_CONCURRENCY", "GUNICORN_CMD_ARGS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delitem(sys.modules, "kiosk.serve", raising=False)
    monkeypatch.setattr(sys, "argv", ["gunicorn", "--config", "python:kiosk.serve", *args,
                                      "wsgi:app"])
    return WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").cfg


@pytest.mark.parametrize(("env", "args", "workers"), [
    ({}, (), 2),  # the default
    ({"KIOSK_WORKERS": "1"}, (), 1),
    ({"KIOSK_WORKERS": " 5 "}, (), 5),
    ({"KIOSK_WORKERS": "5"}, ("--workers", "3"), 3),  # gunicorn's own option wins
])
def test_the_number_of_workers_comes_from_kiosk_workers(monkeypatch, env, args, workers):
    assert gunicorn_config(monkeypatch, env, *args).workers == workers


@pytest.mark.parametrize(("raw", "said"), [
    ("0", "KIOSK_WORKERS must be between 1 and 32, not 0"),
    ("33", "KIOSK_WORKERS must be between 1 and 32, not 33"),
    ("two", "KIOSK_WORKERS must be a whole number, not 'two'"),
])
def test_a_bad_number_of_workers_stops_gunicorn_with_a_sentence(monkeypatch, raw, said):
    with pytest.raises(SystemExit) as stopped:
        gunicorn_config(monkeypatch, {"KIOSK_WORKERS": raw})
    assert str(stopped.value) == f"Policy Kiosk cannot start: {said}"


PRODUCTION = {"KIOSK_ENV": "production", "KIOSK_PUBLIC_URL": "https://kiosk.westacre.sch.uk"}


@pytest.mark.parametrize(("env", "args", "refused"), [
    ({"KIOSK_WORKERS": "3"}, (), "3 worker processes"),
    ({"KIOSK_WORKERS": "1"}, ("--workers", "4"), "4 worker processes"),
    ({"KIOSK_WORKERS": "1"}, (), None),
    ({"KIOSK_WORKERS": "4"}, ("--workers", "1"), None),
])
def test_the_production_check_counts_the_workers_gunicorn_will_start(monkeypatch, env, args,
                                                                     refused):
    """Per-process sign-in limits (memory://) are refused for the number really started."""
    cfg = gunicorn_config(monkeypatch, {**PRODUCTION, **env}, *args)
    from kiosk import serve

    server = types.SimpleNamespace(cfg=cfg)
    if refused is None:
        serve.on_starting(server)
    else:
        with pytest.raises(SystemExit, match=refused):
            serve.on_starting(server)


def test_the_app_is_made_once_before_the_workers_fork(monkeypatch):
    """preload_app: the workers share the master's app and modules (docs/PERFORMANCE.md); what
    it holds before each fork is frozen, so the workers' garbage collections leave it shared."""
    import gc

    assert gunicorn_config(monkeypatch, {}).preload_app is True
    from kiosk import serve

    gc.unfreeze()
    try:
        serve.pre_fork(types.SimpleNamespace(), types.SimpleNamespace())
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


@pytest.mark.sqlite_only("SQLite's pooled connections must not cross gunicorn's fork")
def test_no_database_connection_is_carried_into_a_worker(app):
    """SQLite's connections must never cross a fork. The set-up check in the master returns its
    connection to the pool, which would hand that one connection to every worker: the master
    closes them all just before forking."""
    from kiosk import serve
    from kiosk.models import db

    with app.app_context():
        db.connect(reuse_if_open=True)
        db.execute_sql("SELECT 1")
        db.close()  # back to the pool, still open
        assert len(db.obj._connections) == 1
        try:
            serve.pre_fork(types.SimpleNamespace(), types.SimpleNamespace())
        finally:
            import gc

            gc.unfreeze()
        assert db.obj._connections == [] and db.is_closed()


# Four threads alive at once, each allocating through malloc (objects over 512 bytes), then
# glibc's own count of its arenas (malloc_stats prints one "Arena N:" each, to stderr). The
# school's server is Debian's (glibc), as is every machine `make test` runs on.
ARENAS = """
import ctypes, threading
{before}
ready = threading.Barrier(5)
def work():
    kept = [bytearray(4000) for _ in range(100)]
    ready.wait()
    ready.wait()
threads = [threading.Thread(target=work) for _ in range(4)]
for thread in threads:
    thread.start()
ready.wait()
ctypes.CDLL("libc.so.6").malloc_stats()
ready.wait()
"""


@pytest.mark.parametrize(("before", "environment", "one"), [
    # What gunicorn runs in each worker as it is forked, before the worker's threads start.
    ("import kiosk.serve; kiosk.serve.post_fork(None, None)", {}, True),
    ("import kiosk.serve", {}, False),  # reading the settings alone changes nothing
    ("", {}, False),  # nor does nothing: each thread has its own, and the test can tell
    ("import kiosk.serve; kiosk.serve.post_fork(None, None)", {"MALLOC_ARENA_MAX": "3"},
     False),  # the school's own setting wins
])
def test_a_workers_threads_share_one_malloc_arena(tmp_path_factory, before, environment, one):
    # (tmp_path_factory, not tmp_path: no database is involved, so it runs once, not on each.)
    env = {**LiveServer(tmp_path_factory.mktemp("arena") / "instance", {}).env, **environment}
    result = subprocess.run([sys.executable, "-c", ARENAS.format(before=before)], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=60, check=True)
    arenas = len(re.findall(r"^Arena \d+:", result.stderr, re.MULTILINE))
    assert arenas == 1 if one else arenas > 1, result.stderr
