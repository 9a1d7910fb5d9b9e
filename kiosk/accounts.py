"""Staff accounts: argon2id password hashes, the password rules, creating and changing accounts."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _
from flask_babel import ngettext

from . import audit
from .models import StaffUser, db
from .text import normalise_email
from .vocabulary import STAFF_ROLES

HEAD_MANAGED_ROLES = {role: label for role, label in STAFF_ROLES.items() if role != "chair"}
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256

# argon2-cffi's defaults are argon2id with the RFC 9106 low-memory profile; when a future version
# raises them, check_needs_rehash notices at the next sign-in.
hasher = PasswordHasher()
# Verifying against this when the email is unknown takes as long as a real check, so the time
# taken does not tell an attacker which addresses have accounts. It is the hash of a random
# phrase nobody kept, made once with the hasher's parameters (a test checks they still match):
# hashing one at start-up cost every process a third of a second of CPU.
_DUMMY_HASH = ("$argon2id$v=19$m=65536,t=3,p=4$kwrflDgX4r0Tn2XGedPwZA"
               "$HVZIXNVazYcijZ812dBVriXQoFMxUklW5Bg3eTBtiLc")


@functools.cache
def common_passwords() -> frozenset[str]:
    """zxcvbn's list of common passwords, read when a password is first set, not at start-up:
    its module holds every frequency list (about 13 MB), which a worker that only serves
    visitors never needs (docs/PERFORMANCE.md, Memory)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


class AccountError(ValueError):
    """A request about an account that cannot be carried out; the message says why."""


def password_problem(password: str) -> str | None:
    """The reason a new password is refused, or None. Length only, and not a common password.
    In the page's language (English outside a request: the create-user command)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return ngettext("Use at least %(num)d character.", "Use at least %(num)d characters.",
                        MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        return ngettext("Use at most %(num)d character.", "Use at most %(num)d characters.",
                        MAX_PASSWORD_LENGTH)
    if password.lower() in common_passwords():
        return _("That password is too common and easy to guess. Please choose another.")
    return None


def create_user(email: str, display_name: str, role: str, password: str, *,
                must_change_password: bool = False) -> StaffUser:
    """Add an account; refuses a used email, an unknown role and a weak password."""
    if role not in STAFF_ROLES:
        raise AccountError(_("The role must be one of: %(roles)s.", roles=", ".join(STAFF_ROLES)))
    problem = password_problem(password)
    if problem:
        raise AccountError(problem)
    email = normalise_email(email)
    with db.atomic():
        if StaffUser.select().where(StaffUser.email == email).exists():
            raise AccountError(_("There is already an account with that email address."))
        user = StaffUser.create(email=email, display_name=display_name.strip(), role=role,
                                password_hash=hasher.hash(password),
                                must_change_password=must_change_password)
        audit.record("account.created", kind="staff_user", record_id=user.id, email=email, role=role)
    return user


def authenticate(email: str, password: str) -> StaffUser | None:
    """The active account with this email and password, or None. Rehashes outdated hashes."""
    user = StaffUser.get_or_none(StaffUser.email == normalise_email(email))
    try:
        hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
        user.save(only=[StaffUser.password_hash])
    return user


def set_password(user: StaffUser, password: str, *, must_change: bool = False) -> None:
    """Change a password; every other session of this account ends."""
    problem = password_problem(password)
    if problem:
        raise AccountError(problem)
    with db.atomic():
        StaffUser.update(password_hash=hasher.hash(password), must_change_password=must_change,
                         session_version=StaffUser.session_version + 1
                         ).where(StaffUser.id == user.id).execute()
        audit.record("account.password_changed", kind="staff_user", record_id=user.id,
                     by_reset=must_change)
    user.session_version = StaffUser.get_by_id(user.id).session_version


def end_sessions(user: StaffUser) -> None:
    """Sign the account out on every device at once."""
    StaffUser.update(session_version=StaffUser.session_version + 1).where(
        StaffUser.id == user.id).execute()


def set_active(user: StaffUser, active: bool) -> None:
    """Deactivate (signed out everywhere at once) or reactivate an account."""
    with db.atomic():
        StaffUser.update(active=active, session_version=StaffUser.session_version + 1).where(
            StaffUser.id == user.id).execute()
        audit.record("account.activated" if active else "account.deactivated",
                     kind="staff_user", record_id=user.id)


def set_left_on(user: StaffUser, day: dt.date | None) -> None:
    """Record the day someone left the school's employment (None: they have not); their
    low-level concerns come up for review from then (audited)."""
    with db.atomic():
        StaffUser.update(left_on=day).where(StaffUser.id == user.id).execute()
        audit.record("account.left_on_set", kind="staff_user", record_id=user.id,
                     left_on=day.isoformat() if day else "")
    user.left_on = day


def temporary_password() -> str:
    """A password for the head to pass on; the person must change it when they sign in."""
    return "-".join(secrets.token_hex(3) for _ in range(3))


def setup_token(secret_key: str) -> str:
    """The token for /setup: the same in every process of this install, unknowable without the key."""
    return hmac.new(secret_key.encode(), b"policy-kiosk first head account",
                    hashlib.sha256).hexdigest()[:24]
