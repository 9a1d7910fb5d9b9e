"""gunicorn's settings for `make run` (`gunicorn --config python:kiosk.serve wsgi:app`).

Two worker processes (`KIOSK_WORKERS`; gunicorn's own `--workers` wins) with a few threads
each suit a school's server; the address comes from `--bind`. Once gunicorn is listening, the
set-up address is printed with the port it really listens on, so it opens as printed. In
production, more than one worker needs the sign-in limits in Redis (`KIOSK_RATELIMIT_STORAGE`):
gunicorn refuses to start otherwise.
"""

from __future__ import annotations

import os
import sys

# Every name at the top of this module that gunicorn knows is read as one of its settings (even
# `config`): only gunicorn's settings and private names here, the app's modules imported inside.


def _workers(environ) -> int:
    """`KIOSK_WORKERS`, parsed as strictly as every other setting (a bad value stops gunicorn
    with the sentence, before anything starts)."""
    from kiosk import config

    setting = next(s for s in config.SETTINGS if s.name == "WORKERS")
    raw = environ.get(config.PREFIX + setting.name)
    try:
        return setting.default if raw is None else setting.parse(config.PREFIX + setting.name, raw)
    except config.ConfigError as e:
        raise SystemExit(f"Policy Kiosk cannot start: {e}") from None


def _without_postgres_driver(environ) -> None:
    """On SQLite, keep PostgreSQL's driver out of every worker: peewee imports psycopg2 whenever
    it is installed (4 MiB a process: docs/PERFORMANCE.md, Memory). A module set to None in
    `sys.modules` is one Python's import system reports as missing, which peewee takes as "no
    driver". Done before the app (and peewee) is imported; PostgreSQL's URL leaves it alone."""
    url = environ.get("KIOSK_DATABASE_URL")
    if url is None:
        url = environ.get("DATABASE_URL")
    if (url is None or url.strip().startswith("sqlite:")) and "peewee" not in sys.modules:
        for name in ("psycopg2", "psycopg2cffi", "psycopg"):
            sys.modules.setdefault(name, None)


def _one_malloc_arena() -> None:
    """glibc's malloc gives each new thread an arena of its own (up to eight per core) and keeps
    what each held at its peak: with four threads a worker peaked about 4 MB higher than with
    them sharing one (56-57 MB against 52, docs/PERFORMANCE.md, Memory). Python holds the GIL
    while it allocates, so its threads gain next to nothing from arenas of their own. Set in
    each worker as it starts, before its threads (`post_fork`), not at import: a process that
    only reads these settings (a test) is left as it is. `MALLOC_ARENA_MAX` in the
    environment, when set, is left to glibc."""
    if os.environ.get("MALLOC_ARENA_MAX") or not sys.platform.startswith("linux"):
        return
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(-8, 1)  # M_ARENA_MAX
    except (OSError, AttributeError):  # not glibc (musl has no per-thread arenas to limit)
        pass


_without_postgres_driver(os.environ)
workers = _workers(os.environ)
worker_class = "gthread"
threads = 4
# No access log: it would keep every visitor's address and browser, and personal links' secret
# tokens, with nothing to delete them (the privacy notice promises neither is recorded).
accesslog = None
# The app is made once, in the master process, before the workers are forked: they share its
# memory rather than each importing and building its own (docs/PERFORMANCE.md, Memory). Nothing
# made then is held open across the fork: the database's connections are closed before each fork
# (`pre_fork`), a Redis client reconnects in each worker, and the sign-in
# counts in memory:// start empty in each. An upgrade therefore needs a restart, not a HUP.
preload_app = True
# No runtime control socket in the home folder: nothing here uses it, and two servers on one
# machine would fight over it.
control_socket_disable = True


def on_starting(server) -> None:
    """Before any worker starts: refuse production with per-process sign-in limits and several
    workers (each would count on its own). `server.cfg.workers` is the number gunicorn will
    really start: `KIOSK_WORKERS`, or `--workers` when given."""
    from kiosk import config

    try:
        config.check_workers(config.from_environment(os.environ, ""), server.cfg.workers)
    except config.ConfigError as e:
        raise SystemExit(f"Policy Kiosk cannot start: {e}") from None


def pre_fork(server, worker) -> None:
    """Just before each worker is forked: no database connection is carried across it (SQLite's
    must never be: the set-up check's goes back to the connection pool, which would hand the same
    one to every worker), and what the master has made so far is moved out of the garbage
    collector's sight, so collections in the workers do not write to (and so copy) the pages
    they share with it."""
    import gc

    from kiosk.models import db

    if db.obj is not None:
        if not db.is_closed():
            db.close()
        if hasattr(db.obj, "close_all"):  # the pool (SQLite's or PostgreSQL's): its kept ones too
            db.obj.close_all()
    gc.collect()
    gc.freeze()


def post_fork(server, worker) -> None:
    """In each worker as soon as it is forked, before it starts its threads."""
    _one_malloc_arena()


def when_ready(server) -> None:
    """Print the one-time set-up address while no account exists (in the master process, with
    the app it has loaded for the workers)."""
    from urllib.parse import urlsplit

    from kiosk.auth import announce_setup
    from kiosk.config import host_trusted
    from kiosk.models import db

    for listener in server.LISTENERS:
        address = str(listener)
        if address.startswith("http"):
            # An address that means "every interface" cannot be opened as it is: this machine's
            # own loopback address can (a tablet uses the server's address on the network).
            address = address.replace("//0.0.0.0:", "//127.0.0.1:").replace("//[::]:", "//[::1]:")
            app = server.app.wsgi()
            if not host_trusted(app.config, urlsplit(address).hostname or ""):
                # Production answers only at its public address (behind the proxy).
                address = app.config["KIOSK_PUBLIC_URL"]
            try:
                announce_setup(app, address)
            finally:
                if not db.is_closed():
                    db.close()
            return
