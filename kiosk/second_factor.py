"""Two-step sign-in for the people who see the most (the DSL, the headteacher, the chair of
governors): after the password, a 6-digit code from an authenticator app (TOTP: 30 seconds,
6 digits, one step either side for a phone's clock), or one of ten single-use recovery codes.

- Set up at the first sign-in after the password: a secret shown as a QR code and as text,
  confirmed by its first code; then ten recovery codes, shown once, kept as argon2 hashes.
- No code works twice: the last accepted time step is stored, and only a later one is taken.
- Between the password and the code, the session holds only who is half-way (`begin`,
  `pending_user`) for five minutes: flask-login knows nobody, so no staff page opens.
- Reset by the head (a DSL's, another head's) or by the server's command (anyone's, the
  chair's included); the person sets it up again at their next sign-in.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

import pyotp
from argon2.exceptions import InvalidHashError, VerificationError
from flask import session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from . import accounts, audit
from .access import load_user
from .models import RecoveryCode, StaffUser, db, utcnow

ROLES = ("dsl", "head", "chair")
PENDING = "second_step"  # the session's key for someone between the password and the code
PENDING_SECONDS = 5 * 60
RECOVERY_CODES = 10
FEW_LEFT = 3  # at or below this many recovery codes left, the person is told to get more
UNSET = ""  # the stored secret of someone who has not set two-step sign-in up (yet, or again)
# No 0/o, 1/l/i: a recovery code is read off paper and typed.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_CODE_LENGTH = 10

NO_CODE = _l("Enter the 6-digit code from your authenticator app.")
WRONG_CODE = _l("That code is not right. Enter the newest code the app shows; if it is still "
                "refused, check the time on your phone is set automatically.")
USED_CODE = _l("That code has just been used. Wait for the app to show a new code, then enter "
               "that.")
WRONG_RECOVERY = _l("That recovery code is not right, or it has been used already.")


class CodeRefused(ValueError):
    """A code that does not let the person in; the message says why, for beside the field."""


@dataclass(frozen=True)
class Accepted:
    """A code that let someone in: whether it was a recovery code, and how many are left."""

    recovery: bool
    recovery_left: int


def required(user: StaffUser) -> bool:
    """Whether this account signs in with a second step (the DSL, the head, the chair)."""
    return user.role in ROLES


def is_set_up(user: StaffUser) -> bool:
    return bool(user.totp_secret) and user.totp_confirmed_at is not None


def reset_by_the_head(user: StaffUser) -> bool:
    """Whether this person asks the headteacher (a DSL) or their IT support (the head, the
    chair) when their phone and recovery codes are lost: the sentences that say so are whole
    ones, one for each, for translating."""
    return user.role == "dsl"


# Half-way through signing in --------------------------------------------------------------------

def begin(user: StaffUser, next_url: str | None) -> None:
    """The password was right: a new session that holds only who is half-way, and until when.
    Nothing from before survives (no fixation); flask-login is not told, so nothing opens."""
    session.clear()
    session[PENDING] = {"user": user.get_id(), "until": utcnow().timestamp() + PENDING_SECONDS,
                        "next": next_url or ""}


def pending_user() -> StaffUser | None:
    """Who is half-way through signing in on this session: the same account at the same
    session version, still active, within five minutes of their password. Else None (and the
    half-way state is dropped)."""
    state = session.get(PENDING)
    if not isinstance(state, dict):
        return None
    user = None
    if float(state.get("until", 0)) >= utcnow().timestamp():
        user = load_user(str(state.get("user", "")))
    if user is None:
        session.pop(PENDING, None)
    return user


def proved() -> bool:
    """Whether the person half-way here gave a right code in this session: the set-up's first
    code, before they are shown their recovery codes and continue."""
    state = session.get(PENDING)
    return isinstance(state, dict) and state.get("proved") is True


def _prove() -> None:
    state = session.get(PENDING)
    if isinstance(state, dict):
        session[PENDING] = {**state, "proved": True}


def pending_next() -> str:
    """Where the person was going before signing in (already checked as a path on this site)."""
    state = session.get(PENDING)
    return str(state.get("next", "")) if isinstance(state, dict) else ""


# Setting up -------------------------------------------------------------------------------------

def setup_secret(user: StaffUser) -> str:
    """The secret this person is setting up: made once and kept until it is confirmed, so a
    reload shows the same QR code as the one they may have scanned."""
    if not user.totp_secret:
        user.totp_secret = pyotp.random_base32()
        StaffUser.update(totp_secret=user.totp_secret).where(
            StaffUser.id == user.id, StaffUser.totp_secret == UNSET).execute()
        user.totp_secret = StaffUser.get_by_id(user.id).totp_secret  # another tab's, if first
    return user.totp_secret


def setup_address(user: StaffUser, issuer: str) -> str:
    """The otpauth:// address the QR code holds: the school as issuer, the email as the name."""
    return pyotp.TOTP(setup_secret(user)).provisioning_uri(name=user.email, issuer_name=issuer)


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def confirm(user: StaffUser, code: str) -> list[str]:
    """The first code proves the app holds the secret: the second step is set up, and the ten
    recovery codes are returned (the only time they exist unhashed)."""
    if is_set_up(user):
        raise CodeRefused(_("Two-step sign-in is already set up for this account."))
    _spend_totp(user, code, stage="setup")
    codes = [_new_recovery_code() for _n in range(RECOVERY_CODES)]
    with db.atomic():
        RecoveryCode.delete().where(RecoveryCode.user == user).execute()
        RecoveryCode.insert_many([{"user": user.id, "code_hash": accounts.hasher.hash(_plain(c))}
                                  for c in codes]).execute()
        user.totp_confirmed_at = utcnow()
        StaffUser.update(totp_confirmed_at=user.totp_confirmed_at).where(
            StaffUser.id == user.id).execute()
        audit.record("second_factor.set_up", kind="staff_user", record_id=user.id, actor=user)
    _prove()
    return codes


def _new_recovery_code() -> str:
    code = "".join(secrets.choice(_ALPHABET) for _ in range(_CODE_LENGTH))
    return f"{code[:5]}-{code[5:]}"


def _plain(code: str) -> str:
    """A code as compared: lower case, without the spaces and dashes people type in it."""
    return "".join(ch for ch in code.lower() if ch not in " -\t")


# Every later sign-in ----------------------------------------------------------------------------

def check(user: StaffUser, code: str) -> Accepted:
    """Let someone in with a code from their app, or a recovery code (which is then spent).
    A refusal raises CodeRefused, and is audited."""
    typed = _plain(code)
    if typed.isdigit():
        _spend_totp(user, typed, stage="sign_in")
        return Accepted(recovery=False, recovery_left=RecoveryCode.unused(user).count())
    for row in RecoveryCode.unused(user):
        try:
            accounts.hasher.verify(row.code_hash, typed)
        except (VerificationError, InvalidHashError):
            continue
        # Spent only if nobody spent it a moment ago (two tabs, two requests).
        if RecoveryCode.update(used_at=utcnow()).where(
                RecoveryCode.id == row.id, RecoveryCode.used_at.is_null()).execute() == 1:
            left = RecoveryCode.unused(user).count()
            audit.record("second_factor.recovery_used", kind="staff_user", record_id=user.id,
                         actor=user, left=left)
            return Accepted(recovery=True, recovery_left=left)
    _refused(user, "sign_in", "recovery")
    raise CodeRefused(str(WRONG_RECOVERY))


def _spend_totp(user: StaffUser, code: str, *, stage: str) -> None:
    """Accept a code for this step of 30 seconds or the one either side, once: its step must
    be later than the last one accepted, and is stored (atomically, so two requests with the
    same code cannot both pass)."""
    typed = _plain(code)
    totp = pyotp.TOTP(user.totp_secret)
    now = utcnow().timestamp()
    matched = [step for step in (totp.timecode(now + 30 * offset) for offset in (-1, 0, 1))
               if len(typed) == 6 and hmac.compare_digest(totp.generate_otp(step), typed)]
    if not matched:
        _refused(user, stage, "wrong")
        raise CodeRefused(str(WRONG_CODE))
    step = matched[-1]
    if StaffUser.update(totp_last_step=step).where(
            StaffUser.id == user.id, StaffUser.totp_last_step < step).execute() != 1:
        _refused(user, stage, "reused")
        raise CodeRefused(str(USED_CODE))
    user.totp_last_step = step


def _refused(user: StaffUser, stage: str, reason: str) -> None:
    audit.record("second_factor.failed", kind="staff_user", record_id=user.id, actor_label="",
                 stage=stage, reason=reason)


# Resetting --------------------------------------------------------------------------------------

def reset(user: StaffUser, *, by: StaffUser | None) -> None:
    """Forget the secret and the recovery codes: the person sets it up again when they next sign
    in, and is signed out everywhere now. `by` is the head who did it (None: the server's
    command)."""
    with db.atomic():
        RecoveryCode.delete().where(RecoveryCode.user == user).execute()
        StaffUser.update(totp_secret=UNSET, totp_confirmed_at=None, totp_last_step=0,
                         session_version=StaffUser.session_version + 1).where(
            StaffUser.id == user.id).execute()
        audit.record("second_factor.reset", kind="staff_user", record_id=user.id, actor=by,
                     actor_label=None if by else "", by_command=by is None)
    user.totp_secret, user.totp_confirmed_at, user.totp_last_step = "", None, 0
