"""The checkpoint file: where the head of the audit chain is written down outside the database.

Each line is one checkpoint, JSON: the id of the newest event, its hash, how many events the log
held up to it, the time (UTC), and `sig`, an HMAC-SHA256 of those four with the audit key. The
file is only ever appended to, created owner-only (0600). Someone who can write to the database
but not to this file (or who has not got the key) cannot make the log agree with it again after
removing or rewriting events: `audit.verify_chain` compares the chain with every checkpoint.

This module knows the file's format and signature; when a checkpoint is due and what a mismatch
means are `audit.py`'s.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Checkpoint:
    event: int  # the newest event's id
    hash: str  # its hash
    count: int  # events in the log up to it
    at: dt.datetime  # when it was written, naive UTC as stored

    def _fields(self) -> list:
        return [self.event, self.hash, self.count, self.at.isoformat(timespec="microseconds")]


@dataclass(frozen=True)
class Reading:
    checkpoints: list[Checkpoint]  # those whose signature holds, oldest first
    bad_lines: list[int]  # line numbers (from 1) that are damaged or fail their signature


def signature(key: bytes, checkpoint: Checkpoint) -> str:
    message = json.dumps(["checkpoint", *checkpoint._fields()], separators=(",", ":")).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def append(path: Path, key: bytes, checkpoint: Checkpoint) -> None:
    """Add one signed line to the file, creating it (and its folder) owner-only if needed."""
    fields = dict(zip(("event", "hash", "count", "at"), checkpoint._fields(), strict=True))
    line = json.dumps({**fields, "sig": signature(key, checkpoint)}, separators=(",", ":")) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_APPEND: two processes writing at once each add a whole line.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def _parse(text: str, key: bytes) -> Checkpoint | None:
    try:
        fields = json.loads(text)
        checkpoint = Checkpoint(event=fields["event"], hash=fields["hash"], count=fields["count"],
                                at=dt.datetime.fromisoformat(fields["at"]))
        sig = fields["sig"]
    except (ValueError, KeyError, TypeError):
        return None
    if not (isinstance(checkpoint.event, int) and isinstance(checkpoint.count, int)
            and isinstance(checkpoint.hash, str) and isinstance(sig, str)
            and checkpoint.at.tzinfo is None):
        return None
    return checkpoint if hmac.compare_digest(sig, signature(key, checkpoint)) else None


def read(path: Path, key: bytes) -> Reading:
    """Every checkpoint in the file (none if there is no file yet), and the lines that fail."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except (FileNotFoundError, NotADirectoryError):
        return Reading([], [])
    good, bad = [], []
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        checkpoint = _parse(text, key)
        if checkpoint is None:
            bad.append(number)
        else:
            good.append(checkpoint)
    return Reading(good, bad)
