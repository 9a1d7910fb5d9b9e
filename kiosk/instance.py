"""The instance folder holds the live database and the secret key: only the server's own user may
read it. The folder is 0700 and every file in it 0600, from the first start (a umask, so SQLite's
database and its -wal and -shm files are made that way) and for an install made before this (its
permissions are tightened at start-up, with a line in the log saying so)."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from urllib.parse import urlsplit

PRIVATE_UMASK = 0o077  # nothing the process makes from now on is readable by group or others
OPEN_TO_OTHERS = 0o077


def make_private(instance_path: str, logger: logging.Logger) -> None:
    """Make the instance folder (owner only), and tighten whatever is already in it."""
    os.umask(PRIVATE_UMASK)
    folder = Path(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    tighten(folder, logger)
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            tighten(Path(root) / name, logger)


def make_database_private(database_url: str, logger: logging.Logger) -> None:
    """The same for a SQLite database that DATABASE_URL puts outside the instance folder."""
    database = sqlite_file(database_url)
    if database is not None:
        for path in (database, *(Path(f"{database}{suffix}") for suffix in ("-wal", "-shm"))):
            tighten(path, logger)


def sqlite_file(database_url: str) -> Path | None:
    """The file of a sqlite:/// database; None for PostgreSQL or an in-memory database."""
    parts = urlsplit(database_url)
    if parts.scheme != "sqlite" or parts.path in ("", "/", "/:memory:"):
        return None
    return Path(parts.path[1:])  # as peewee reads it: sqlite:////abs/path, sqlite:///relative


def tighten(path: Path, logger: logging.Logger) -> None:
    """Take away group and other permissions from one file or folder (never following a link),
    and log it when there were any. A file we may not change is logged, not fatal."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    if stat.S_ISLNK(mode) or not mode & OPEN_TO_OTHERS:
        return
    old = stat.S_IMODE(mode)
    new = old & ~OPEN_TO_OTHERS
    try:
        os.chmod(path, new)
    except OSError as error:
        logger.warning("Could not make %s private (it is %04o): %s", path, old, error)
        return
    logger.warning("Made %s private: its permissions were %04o, now %04o", path, old, new)
