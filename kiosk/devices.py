"""Kiosk devices: tablets the head pairs as kiosks.

The head adds a device by name and gets a six-digit pairing code, good for ten minutes.
Entering it at /kiosk/pair on the tablet gives that browser a credential: a random token in an
HttpOnly cookie, of which only its SHA-256 is stored. Each request from the tablet names the
device (`identify`, before the view); acceptances taken on it record it; a few times an hour it
reports the app's version and how many records wait in its outbox (`report`). The head's list
flags a device not seen for longer than the school's set hours. A revoked device is not
recognised at its next request, and its cookie is cleared.

Codes are kept as an HMAC with the app's secret key, so a copy of the database does not give
them away; six digits against ten minutes and the rate limit on /kiosk/pair (a handful of tries
a minute from one address) leave a guess no real chance.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass

from flask import current_app, g, request
from flask_babel import gettext as _

from . import audit, school
from .models import KioskDevice, db, utcnow

COOKIE = "kiosk_device"
COOKIE_YEARS = 5  # long-lived; the head revokes it when the tablet goes
CODE_MINUTES = 10
CODE_DIGITS = 6
# A device's every request says it was seen; the row is written at most this often.
SEEN_EVERY = dt.timedelta(minutes=1)
SILENT_HOURS_LIMITS = (1, 24 * 14)


class DeviceError(ValueError):
    """The change cannot be made; the message says why (in the language of the page)."""


def _keyed(secret: str) -> str:
    key = str(current_app.secret_key).encode()
    return hmac.new(key, secret.encode(), hashlib.sha256).hexdigest()


def _credential_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def plain_digits(typed: str) -> str:
    """The digits typed, as 0-9 whatever keyboard typed them (full-width, Arabic-Indic); spaces
    dropped; "" if anything else is there."""
    digits = []
    for ch in typed:
        if ch.isspace():
            continue
        if not ch.isdecimal():
            return ""
        digits.append(str(unicodedata.decimal(ch)))
    return "".join(digits)


def _new_code() -> str:
    return f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


# The head's part --------------------------------------------------------------------------------

def add(name: str) -> tuple[KioskDevice, str]:
    """A new device and its pairing code (shown once)."""
    code = _new_code()
    with db.atomic():
        device = KioskDevice.create(name=name.strip(), pairing_code_hash=_keyed(code),
                                    pairing_expires_at=utcnow() + dt.timedelta(
                                        minutes=CODE_MINUTES))
        audit.record("device.added", kind="kiosk_device", record_id=device.public_id)
    return device, code


def new_code(device: KioskDevice) -> str:
    """A fresh pairing code for a device (to pair it again, on the same tablet or another: the
    credential it had stops working once the new one is used)."""
    if device.revoked_at is not None:
        raise DeviceError(_("This device was removed. Add it again to pair a tablet."))
    code = _new_code()
    with db.atomic():
        KioskDevice.update(pairing_code_hash=_keyed(code), pairing_expires_at=utcnow()
                           + dt.timedelta(minutes=CODE_MINUTES)).where(
            KioskDevice.id == device.id).execute()
        audit.record("device.code_made", kind="kiosk_device", record_id=device.public_id)
    return code


def revoke(device: KioskDevice) -> None:
    """The device stops being a kiosk at its next request; its record and its acceptances stay."""
    with db.atomic():
        changed = KioskDevice.update(revoked_at=utcnow(), credential_hash=None,
                                     pairing_code_hash="", pairing_expires_at=None).where(
            KioskDevice.id == device.id, KioskDevice.revoked_at.is_null()).execute()
        if not changed:
            raise DeviceError(_("This device was already removed."))
        audit.record("device.revoked", kind="kiosk_device", record_id=device.public_id)


def silent_hours() -> int:
    return school.settings().device_silent_hours


def set_silent_hours(hours: int) -> None:
    if not SILENT_HOURS_LIMITS[0] <= hours <= SILENT_HOURS_LIMITS[1]:
        raise DeviceError(_("Please give a number of hours from 1 to 336 (two weeks)."))
    school.save_one("device_silent_hours", hours, "device.silent_hours_changed", hours=hours)


@dataclass(frozen=True)
class Listed:
    device: KioskDevice
    silent: bool  # paired, in use, and not seen for longer than the school's hours
    code_open: bool  # a pairing code is waiting to be entered


def listing(now: dt.datetime | None = None) -> list[Listed]:
    now, hours = now or utcnow(), silent_hours()
    return [Listed(d, is_silent(d, now, hours), code_open(d, now))
            for d in KioskDevice.listed()]


def is_silent(device: KioskDevice, now: dt.datetime, hours: int) -> bool:
    if device.revoked_at is not None or device.paired_at is None:
        return False
    seen = device.last_seen_at or device.paired_at
    return now - seen > dt.timedelta(hours=hours)


def code_open(device: KioskDevice, now: dt.datetime | None = None) -> bool:
    return bool(device.pairing_code_hash) and device.pairing_expires_at is not None \
        and device.pairing_expires_at > (now or utcnow())


# The tablet's part ------------------------------------------------------------------------------

def pair(code: str) -> tuple[KioskDevice, str] | None:
    """The device whose open code this is, given a new credential (returned, to be set as the
    cookie); None for a wrong or expired code. The code is used up."""
    code = plain_digits(code)
    if len(code) != CODE_DIGITS:
        return None
    now = utcnow()
    device = KioskDevice.get_or_none(KioskDevice.pairing_code_hash == _keyed(code),
                                     KioskDevice.pairing_expires_at > now,
                                     KioskDevice.revoked_at.is_null())
    if device is None:
        return None
    token = secrets.token_urlsafe(32)
    with db.atomic():
        changed = KioskDevice.update(
            credential_hash=_credential_hash(token), paired_at=now, last_seen_at=now,
            pairing_code_hash="", pairing_expires_at=None).where(
            KioskDevice.id == device.id, KioskDevice.pairing_code_hash == _keyed(code)).execute()
        if not changed:  # the same code entered on two tablets at once: the first has it
            return None
        audit.record("device.paired", kind="kiosk_device", record_id=device.public_id,
                     visitor=True)
    return KioskDevice.get_by_id(device.id), token


def identify() -> None:
    """Before each request: the device this browser's cookie names (`current`), or, for a
    cookie no longer recognised (revoked, or paired again elsewhere), a note to clear it."""
    g.kiosk_device, g.kiosk_device_removed = None, False
    token = request.cookies.get(COOKIE)
    if not token or request.endpoint == "static":
        return
    device = KioskDevice.get_or_none(KioskDevice.credential_hash == _credential_hash(token[:100]))
    if device is None:
        g.kiosk_device_removed = True
        return
    g.kiosk_device = device
    now = utcnow()
    if device.last_seen_at is None or now - device.last_seen_at >= SEEN_EVERY:
        KioskDevice.update(last_seen_at=now).where(KioskDevice.id == device.id).execute()
        device.last_seen_at = now


def current() -> KioskDevice | None:
    """The paired kiosk this request comes from, if any."""
    return g.get("kiosk_device")


def finish(response):
    """After each request: a cookie no longer recognised is cleared."""
    if g.get("kiosk_device_removed"):
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="Lax")
    return response


def set_cookie(response, token: str) -> None:
    """The new credential, which an old cookie's clearing (`finish`) must not undo."""
    g.kiosk_device_removed = False
    secure = bool(current_app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure
    response.set_cookie(COOKIE, token, max_age=COOKIE_YEARS * 365 * 24 * 3600, path="/",
                        httponly=True, samesite="Lax", secure=secure)


def release() -> str:
    """The app's version as a paired tablet reports it: the fingerprint of the files shipped."""
    from .pwa import shipped_files_hash  # pwa's blueprint imports much; only needed here

    return shipped_files_hash(current_app.static_folder, current_app.template_folder)[:12]


def report(device: KioskDevice, version: str, waiting: int) -> None:
    """What the tablet said at its last contact: the app's version, records waiting to send."""
    KioskDevice.update(app_version=version[:40],  # last seen: written by `identify`
                       waiting_count=max(0, min(waiting, 1_000_000))).where(
        KioskDevice.id == device.id).execute()
