"""How many sign-in attempts are let through: counted before the password is checked, shared
between processes through the limits' storage, and a device the account has signed in on before
kept apart from the lock-out a stranger can cause.

- Each attempt is taken from its limits (an atomic increment in the storage) *before* argon2
  checks the password, so forty attempts at once against a limit of ten check ten passwords.
  Only failures count: a successful sign-in gives its attempt back.
- An attempt from a device without a known-device cookie for the account counts against the
  account (10 per 15 minutes) and the address (60 per 15 minutes, generous: a school's staff share
  one public address).
- A device that has signed in to the account before carries a signed cookie naming it (the
  OWASP "device cookie"). Its attempts count against that device only (10 per 15 minutes), so
  ten wrong guesses from elsewhere do not lock the owner out. The cookie holds a fingerprint of
  the account's password hash: a new password (a reset) ends every cookie issued before it.
- The storage is the limiter's (`extensions.limiter`, `KIOSK_RATELIMIT_STORAGE`). When it cannot
  be reached, sign-in fails closed: `LimitsUnavailable`, a 503, never an unlimited guess.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import math
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import after_this_request, current_app, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import MemoryStorage
from werkzeug.exceptions import ServiceUnavailable, TooManyRequests

from . import audit
from .display import long_date, short_time, to_local, today
from .extensions import limiter
from .models import StaffUser
from .text import normalise_email

PER_ACCOUNT = parse("10 per 15 minutes")
# Everyone in a school shares one public address, so the per-address limit is generous.
PER_ADDRESS = parse("60 per 15 minutes")
PER_KNOWN_DEVICE = parse("10 per 15 minutes")
KNOWN_DEVICE_DAYS = 365
KNOWN_DEVICE_COOKIE = "kiosk_device_{}"
_SALT = "policy-kiosk known device"

# The memory storage locks each increment but reads the total after letting go of the lock, so
# two threads can both see the second's total; one lock per process makes the count exact (the
# memory storage is per process anyway). Redis increments atomically on its own.
_memory_lock = threading.Lock()


def _password_advice(when: str) -> str:
    """When a password may be tried again, and what else to do (one whole sentence each, so each
    translates as one: `when` is the time, from `_when`)."""
    return _("Try again after %(time)s, or ask the headteacher to reset your password.", time=when)


def _code_advice_head(when: str) -> str:
    return _("Try again after %(time)s, or if your phone is lost, ask the headteacher to reset "
             "your two-step sign-in.", time=when)


def _code_advice_it(when: str) -> str:
    return _("Try again after %(time)s, or if your phone is lost, ask your IT support to reset "
             "your two-step sign-in.", time=when)


class TooManyAttempts(TooManyRequests):
    """Refused before the password was checked; `description` says when to try again."""

    heading = _l("Too many attempts")

    def __init__(self, retry_at: float, advice: Callable[[str], str] = _password_advice):
        super().__init__(advice(_when(retry_at)),
                         retry_after=max(1, math.ceil(retry_at - time.time())))


class LimitsUnavailable(ServiceUnavailable):
    """The attempt counts could not be read: sign-in is refused rather than left unlimited."""

    heading = _l("Signing in is paused")
    description = _l("We cannot check sign-in limits just now, so nobody can sign in. Please try "
                     "again in a few minutes. If it goes on, ask IT support to check that the "
                     "kiosk's Redis server is running.")


@dataclass
class Attempt:
    """One sign-in attempt let through; give it back with `succeeded` if the password was right."""

    taken: list[str] = field(default_factory=list)  # storage keys, one per limit counted
    device: str | None = None  # the known device's id, when the attempt came from one

    def succeeded(self, user: StaffUser) -> None:
        """Only failures count: return the attempt, and remember this device for the account."""
        self.refund()
        remember_device(user, self.device)

    def refund(self) -> None:
        """Give the attempt back: it was right, and only failures count."""
        _refund(self.taken)


def take_attempt(email: str) -> Attempt:
    """Count a sign-in attempt for this email before its password is checked; raise
    TooManyAttempts (audited once per lock-out) when a limit is used up."""
    email = normalise_email(email)
    user = StaffUser.get_or_none(StaffUser.email == email)
    device = known_device(user) if user is not None else None
    if device is not None:
        limits = [(PER_KNOWN_DEVICE, "device", device)]
    else:
        limits = [(PER_ACCOUNT, "account", email),
                  (PER_ADDRESS, "address", request.remote_addr or "")]
    return Attempt(_take(limits, email), device)


def take_code_attempt(user: StaffUser) -> Attempt:
    """Count a code given at the second step of signing in (`second_step`), before it is
    checked: per account, with the same numbers as passwords, whichever device or session it
    comes from, and as atomically; give it back with `refund` when it was right."""
    from .second_factor import reset_by_the_head  # which imports the modules this one serves

    return Attempt(_take([(PER_ACCOUNT, "second-step", str(user.id))], user.email,
                         _code_advice_head if reset_by_the_head(user) else _code_advice_it))


def _take(limits: list[tuple[RateLimitItem, str, str]], email: str,
          advice: Callable[[str], str] = _password_advice) -> list[str]:
    """Take one from each limit, or none and raise TooManyAttempts when one is used up."""
    taken: list[str] = []
    for item, scope, identifier in limits:
        key = item.key_for("signin", scope, identifier)
        count = _count(key, item)
        if count > item.amount:
            # Give back what this attempt took from the other limits: it checked no password.
            _refund(taken)
            if count == item.amount + 1:  # the first refusal of this lock-out, exactly once
                audit.record("signin.rate_limited", kind="staff_user", actor_label="",
                             limit=str(item), scope=scope, email=email[:254])
            raise TooManyAttempts(_storage_call(limiter.storage.get_expiry, key), advice)
        taken.append(key)
    return taken


def remember_device(user: StaffUser, device: str | None = None) -> None:
    """Give this browser (after this response) a long-lived cookie saying it signed in to this
    account; `device` keeps the id it already had, so its count carries on."""
    current = StaffUser.get_by_id(user.id)  # the password may have changed in this request
    token = _serializer().dumps([user.id, device or secrets.token_urlsafe(9),
                                 _fingerprint(current)])

    @after_this_request
    def set_cookie(response):
        response.set_cookie(
            KNOWN_DEVICE_COOKIE.format(user.id), token, max_age=KNOWN_DEVICE_DAYS * 24 * 3600,
            path="/signin", httponly=True, samesite="Strict",
            secure=bool(current_app.config["SESSION_COOKIE_SECURE"] or request.is_secure))
        return response


def known_device(user: StaffUser) -> str | None:
    """The id of this browser as a known device of the account, if its cookie is genuine, not
    expired, for this account, and issued since the account's password last changed."""
    token = request.cookies.get(KNOWN_DEVICE_COOKIE.format(user.id))
    if not token:
        return None
    try:
        account, device, fingerprint = _serializer().loads(
            token, max_age=KNOWN_DEVICE_DAYS * 24 * 3600)
    except (BadSignature, TypeError, ValueError):  # forged, expired or malformed
        return None
    if account != user.id or not isinstance(device, str) or not isinstance(fingerprint, str) \
            or not hmac.compare_digest(fingerprint, _fingerprint(user)):
        return None
    return device


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def _fingerprint(user: StaffUser) -> str:
    """Changes whenever the password does (each hash has its own salt); reveals nothing of it."""
    return hmac.new(current_app.config["SECRET_KEY"].encode(), user.password_hash.encode(),
                    hashlib.sha256).hexdigest()[:16]


def _count(key: str, item: RateLimitItem, amount: int = 1) -> int:
    """Add to a count and read the total in one step."""
    storage = limiter.storage
    lock = _memory_lock if isinstance(storage, MemoryStorage) else contextlib.nullcontext()
    with lock:
        return _storage_call(storage.incr, key, item.get_expiry(), amount)


def _refund(keys: list[str]) -> None:
    for key in keys:
        _count(key, PER_ACCOUNT, -1)  # the expiry is only used for a new key


def _storage_call(method, *args):
    try:
        return method(*args)
    except (StorageError, OSError) as error:
        current_app.logger.error("Sign-in limits unavailable: %s", error)
        raise LimitsUnavailable() from error


def _when(moment: float) -> str:
    """The next whole minute after `moment`, as the school says it: 10:45am (today), or with the
    date when that is another day."""
    stored = dt.datetime.fromtimestamp(math.ceil(moment / 60) * 60, dt.UTC).replace(tzinfo=None)
    day = to_local(stored).date()
    if day == today():
        return short_time(stored)
    # Translators: a time on another day, as in "Try again after 10:45am on Tuesday 3 March".
    return _("%(time)s on %(date)s", time=short_time(stored), date=long_date(day))
