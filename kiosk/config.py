"""Settings, read once from the environment (prefix ``KIOSK_``) and parsed strictly.

Every setting is listed in ``SETTINGS`` with its default and a one-line description; the README's
table is checked against this list by a test, so the two cannot drift apart.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PREFIX = "KIOSK_"

# Secret keys we refuse in production: well-known placeholders and anything short.
WEAK_SECRET_KEYS = {"dev", "secret", "changeme", "change-me", "development", "test", "password"}
MIN_SECRET_KEY_LENGTH = 32


class ConfigError(Exception):
    """A setting has a value we cannot use; start-up stops with this message."""


def parse_bool(name: str, raw: str) -> bool:
    """Turn a yes/no style value into a bool, refusing anything else."""
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, not {raw!r}")


def parse_int(name: str, raw: str, *, minimum: int, maximum: int) -> int:
    """Parse a whole number within bounds."""
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if not minimum <= value <= maximum:
        raise ConfigError(f"{name} must be between {minimum} and {maximum}, not {value}")
    return value


def parse_public_url(name: str, raw: str) -> str:
    """An absolute http(s) URL with no query or fragment, kept without a trailing slash."""
    value = raw.strip()
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(f"{name} must be an absolute http(s) address such as "
                          f"https://kiosk.westacre.sch.uk, not {raw!r}")
    return value.rstrip("/")


def parse_host_list(name: str, raw: str) -> tuple[str, ...]:
    """Host names (or IPv4 addresses) separated by commas; a leading dot allows every name under
    it (`.westacre.sch.uk`). No scheme, port or path: only the name a browser puts in Host."""
    hosts = tuple(part.strip().lower() for part in raw.split(",") if part.strip())
    for host in hosts:
        if not _HOST_NAME.fullmatch(host):
            raise ConfigError(f"{name} must be host names separated by commas, such as "
                              f"kiosk.westacre.sch.uk,192.168.1.20, not {raw!r}")
    return hosts


# What werkzeug's trusted-host check can compare: a name or an IPv4 address (not IPv6).
_HOST_NAME = re.compile(r"\.?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")


def parse_database_url(name: str, raw: str) -> str:
    """A sqlite:/// or postgresql:// URL."""
    value = raw.strip()
    scheme = urlsplit(value).scheme
    if scheme not in {"sqlite", "postgres", "postgresql", "postgresext"}:
        raise ConfigError(f"{name} must start with sqlite:/// or postgresql://, not {raw!r}")
    return value


def parse_limits_storage(name: str, raw: str) -> str:
    """memory:// (one process) or a Redis address (shared between processes)."""
    value = raw.strip()
    parts = urlsplit(value)
    redis = parts.scheme in {"redis", "rediss", "redis+unix"} and bool(parts.netloc or parts.path)
    if value != "memory://" and not redis:
        raise ConfigError(f"{name} must be memory:// or a Redis address such as "
                          f"redis://127.0.0.1:6379, not {raw!r}")
    return value


def parse_env(name: str, raw: str) -> str:
    value = raw.strip().lower()
    if value not in {"production", "development"}:
        raise ConfigError(f"{name} must be production or development, not {raw!r}")
    return value


def parse_timezone(name: str, raw: str) -> str:
    value = raw.strip()
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{name} must be a time zone such as Europe/London, not {raw!r}") from None
    return value


def parse_text(name: str, raw: str) -> str:
    value = raw.strip()
    if not value:
        raise ConfigError(f"{name} must not be empty")
    return value


@dataclass(frozen=True)
class Setting:
    name: str  # without the prefix
    config_key: str
    parse: Callable[[str, str], Any]
    default: Any
    doc: str


def _int(minimum: int, maximum: int) -> Callable[[str, str], int]:
    return lambda name, raw: parse_int(name, raw, minimum=minimum, maximum=maximum)


SETTINGS: tuple[Setting, ...] = (
    Setting("INSTANCE_PATH", "KIOSK_INSTANCE_PATH", parse_text, None,
            "The folder for the SQLite database and the generated secret key, kept readable by "
            "the server's user only (0700, its files 0600; tightened at start-up). Unset: "
            "`instance/` beside the code."),
    Setting("ENV", "KIOSK_ENV", parse_env, "development",
            "`production` refuses a weak `KIOSK_SECRET_KEY` or a missing `KIOSK_PUBLIC_URL`, and "
            "sends cookies only over HTTPS."),
    Setting("SECRET_KEY", "SECRET_KEY", parse_text, None,
            "Signs sessions and form tokens. Unset: a random key is generated into "
            "`instance/secret_key` on first run and reused."),
    Setting("DATABASE_URL", "DATABASE_URL", parse_database_url, None,
            "`postgresql://user:pass@host/db` for PostgreSQL. Unset: SQLite at "
            "`instance/kiosk.sqlite3`. `DATABASE_URL` without the prefix is read too."),
    Setting("PUBLIC_URL", "KIOSK_PUBLIC_URL", parse_public_url, None,
            "The address staff and phones open, e.g. `https://kiosk.westacre.sch.uk`: links in "
            "emails and printed QR codes point here (until the head sets one on the set-up "
            "screen), and the app answers only requests for this host (and "
            "`KIOSK_TRUSTED_HOSTS`). Required in production. Unset (development only): emails "
            "carry no link, QR codes use the address the page was requested on, any host is "
            "answered."),
    Setting("TRUSTED_HOSTS", "KIOSK_TRUSTED_HOSTS", parse_host_list, None,
            "Other host names the app answers to besides `KIOSK_PUBLIC_URL`'s, separated by "
            "commas, e.g. the server's address on the school network `192.168.1.20` (`.name` "
            "allows every name under it). A request for any other host is refused with 400. In "
            "development `localhost` and `127.0.0.1` are always allowed."),
    Setting("SCHOOL_NAME", "KIOSK_SCHOOL_NAME", parse_text, None,
            "The school's name on every page, until the head sets one on the set-up screen. "
            "Unset: the `school` of the current policy."),
    Setting("TIMEZONE", "KIOSK_TIMEZONE", parse_timezone, "Europe/London",
            "The school's time zone, for times shown on screen and what counts as today."),
    Setting("THANKS_SECONDS", "KIOSK_THANKS_SECONDS", _int(5, 300), 20,
            "How long the kiosk's thank-you screen stays before it returns home."),
    Setting("IDLE_SECONDS", "KIOSK_IDLE_SECONDS", _int(30, 3600), 120,
            "How long a half-filled kiosk screen waits untouched before it returns home."),
    Setting("UPDATE_CHECK_SECONDS", "KIOSK_UPDATE_CHECK_SECONDS", _int(5, 24 * 3600), 60,
            "How often a screen idle on its home page checks for a new version of the app or "
            "the policy."),
    Setting("STAFF_IDLE_MINUTES", "KIOSK_STAFF_IDLE_MINUTES", _int(1, 24 * 60), 30,
            "A signed-in member of staff is signed out after this long without using the app."),
    Setting("STAFF_SESSION_HOURS", "KIOSK_STAFF_SESSION_HOURS", _int(1, 24 * 7), 12,
            "...and after this long in all, however busy."),
    Setting("REFUSED_PER_MINUTE", "KIOSK_REFUSED_PER_MINUTE", _int(1, 100_000), 60,
            "How many staff pages one address may ask for in a minute without signing in; "
            "after that it is told to wait until the minute is out."),
    Setting("SMTP_HOST", "KIOSK_SMTP_HOST", parse_text, None,
            "The mail server for alerts to the DSL and headteacher. Unset: no email is sent "
            "(the counts on their home screens still show new concerns)."),
    Setting("SMTP_PORT", "KIOSK_SMTP_PORT", _int(1, 65535), 587, "The mail server's port."),
    Setting("SMTP_STARTTLS", "KIOSK_SMTP_STARTTLS", lambda n, r: parse_bool(n, r), True,
            "Upgrade the mail connection with STARTTLS."),
    Setting("SMTP_USERNAME", "KIOSK_SMTP_USERNAME", parse_text, None,
            "The mail server's user name, if it needs one."),
    Setting("SMTP_PASSWORD", "KIOSK_SMTP_PASSWORD", parse_text, None, "...and its password."),
    Setting("MAIL_FROM", "KIOSK_MAIL_FROM", parse_text, "policy-kiosk@localhost",
            "The From address of alert emails."),
    Setting("REMINDER_MIN_DAYS", "KIOSK_REMINDER_MIN_DAYS", _int(1, 365), 7,
            "A roster person is reminded to accept a new version at most once in this many days."),
    Setting("RATELIMIT_STORAGE", "RATELIMIT_STORAGE_URI", parse_limits_storage, "memory://",
            "Where sign-in attempt counts are kept; `memory://` is per process, "
            "`redis://127.0.0.1:6379` shares them between processes. Production with more than "
            "one worker process refuses to start on `memory://`. If Redis cannot be reached, "
            "nobody can sign in until it can."),
    Setting("WORKERS", "KIOSK_WORKERS", _int(1, 32), 2,
            "How many gunicorn worker processes serve (each with 4 threads), read by "
            "`kiosk/serve.py`; gunicorn's own `--workers` wins over it. More than one in "
            "production needs `KIOSK_RATELIMIT_STORAGE=redis://...`."),
    Setting("MAX_REQUEST_BYTES", "MAX_CONTENT_LENGTH", _int(1024, 10 * 1024 * 1024), 64 * 1024,
            "The largest request body accepted; anything bigger is refused with 413."),
    Setting("SECURE_COOKIES", "SESSION_COOKIE_SECURE", lambda n, r: parse_bool(n, r), None,
            "Send cookies only over HTTPS. Unset: on when `KIOSK_ENV=production` or "
            "`KIOSK_PUBLIC_URL` is https."),
    Setting("PROXY_COUNT", "KIOSK_PROXY_COUNT", _int(0, 5), 0,
            "How many reverse proxies sit in front of the app (trusts their X-Forwarded-* headers)."),
    Setting("AUDIT_KEY", "KIOSK_AUDIT_KEY", parse_text, None,
            "Seals the audit log (each entry and the checkpoints), so whoever can write to the "
            "database cannot rewrite it unnoticed. Unset: a random key is generated into "
            "`instance/audit_key` on first run and reused. Give the server and every command "
            "the same one, and keep a copy apart from the database's backups."),
    Setting("AUDIT_CHECKPOINTS", "KIOSK_AUDIT_CHECKPOINTS", parse_text, None,
            "The file the signed checkpoints of the audit log are added to (best on another disk "
            "or machine). Unset: `instance/audit-checkpoints.jsonl`."),
    Setting("AUDIT_CHECKPOINT_MINUTES", "KIOSK_AUDIT_CHECKPOINT_MINUTES", _int(1, 24 * 60), 60,
            "A checkpoint is written after an entry is added once the last one is this old "
            "(`flask --app kiosk audit-checkpoint` writes one at any time, e.g. from cron)."),
)


def _database_default(instance_path: str) -> str:
    return f"sqlite:///{Path(instance_path) / 'kiosk.sqlite3'}"


def load_secret_key(instance_path: str, filename: str = "secret_key") -> str:
    """Read the instance's secret key (or another key, such as `audit_key`), generating it on
    first run (owner-only permissions)."""
    path = Path(instance_path) / filename
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: when two processes start at once, only one writes; the other reads its key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(48))
    key = path.read_text().strip()
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(f"{path} holds a key that is too short; delete it to make a new one")
    return key


def from_environment(environ: Mapping[str, str], instance_path: str) -> dict[str, Any]:
    """Build the Flask config mapping from the environment; raise ConfigError on a bad value."""
    config: dict[str, Any] = {}
    for setting in SETTINGS:
        env_name = PREFIX + setting.name
        raw = environ.get(env_name)
        if raw is None and setting.name == "DATABASE_URL":
            env_name, raw = "DATABASE_URL", environ.get("DATABASE_URL")
        config[setting.config_key] = (
            setting.parse(env_name, raw) if raw is not None else setting.default
        )
    return config


def finish(config: dict[str, Any], instance_path: str) -> None:
    """Fill in the defaults that depend on other settings, and refuse unsafe combinations."""
    production = config["KIOSK_ENV"] == "production"
    _key(config, "SECRET_KEY", "KIOSK_SECRET_KEY", instance_path, "secret_key", production)
    _finish_audit(config, instance_path, production)
    if config.get("DATABASE_URL") is None:
        config["DATABASE_URL"] = _database_default(instance_path)
    if config.get("SESSION_COOKIE_SECURE") is None:
        public = config.get("KIOSK_PUBLIC_URL") or ""
        config["SESSION_COOKIE_SECURE"] = production or public.startswith("https://")

    public = config.get("KIOSK_PUBLIC_URL")
    if production and not public:
        raise ConfigError(
            "KIOSK_PUBLIC_URL must be set in production: the address staff and phones open, such "
            "as https://kiosk.westacre.sch.uk (links in emails point there, and requests for any "
            "other host are refused)")
    if config.get("TRUSTED_HOSTS") is None:
        config["TRUSTED_HOSTS"] = trusted_hosts(public, config.get("KIOSK_TRUSTED_HOSTS") or (),
                                                production=production)
    # A storage error becomes limits' StorageError (sign_in_limits refuses the sign-in with a
    # 503); an unreachable Redis answers within seconds rather than holding the request.
    config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"wrap_exceptions": True} | (
        {} if config["RATELIMIT_STORAGE_URI"] == "memory://"
        else {"socket_connect_timeout": 3, "socket_timeout": 3}))


# Always answered in development, so `make run` and the tests work on the machine itself.
LOOPBACK_NAMES = ("localhost", "127.0.0.1")


def trusted_hosts(public_url: str | None, extra: tuple[str, ...], *,
                  production: bool) -> list[str] | None:
    """The hosts the app answers to (Flask's TRUSTED_HOSTS): the public address's and the extra
    ones, and in development the machine's own names too. None (any host) only in development
    with neither set: then nothing takes an address from the request but the QR code."""
    hosts = list(extra)
    if public_url:
        host = urlsplit(public_url).hostname or ""
        if not _HOST_NAME.fullmatch(host):
            raise ConfigError("KIOSK_PUBLIC_URL must use a host name or an IPv4 address, "
                              f"not {host!r}")
        hosts.insert(0, host)
    if not hosts:
        return None
    if not production:
        hosts += [name for name in LOOPBACK_NAMES if name not in hosts]
    return hosts


def host_trusted(config: Mapping[str, Any], host: str) -> bool:
    """Whether the app answers requests for this host name (no port)."""
    hosts = config.get("TRUSTED_HOSTS")
    if not hosts:
        return True
    host = host.lower()
    return any(host == name or (name.startswith(".") and (host.endswith(name) or host == name[1:]))
               for name in hosts)


def check_workers(config: Mapping[str, Any], workers: int) -> None:
    """Refuse production with sign-in limits kept per process when more than one process
    serves: each would count on its own, multiplying the limits."""
    if config["KIOSK_ENV"] == "production" and workers > 1 \
            and config["RATELIMIT_STORAGE_URI"] == "memory://":
        raise ConfigError(
            f"{workers} worker processes would each count sign-in attempts on their own: set "
            f"KIOSK_RATELIMIT_STORAGE=redis://127.0.0.1:6379 (a Redis server) so they share "
            f"the counts, or serve with one worker (--workers 1)")


def _key(config: dict[str, Any], config_key: str, env_name: str, instance_path: str,
         filename: str, production: bool) -> None:
    """A key: generated into the instance folder when unset; refused in production when weak."""
    if config.get(config_key) is None:
        config[config_key] = load_secret_key(instance_path, filename)
        return
    key = config[config_key] = str(config[config_key])
    if production and (len(key) < MIN_SECRET_KEY_LENGTH or key.lower() in WEAK_SECRET_KEYS):
        raise ConfigError(
            f"{env_name} is too weak for production: use at least {MIN_SECRET_KEY_LENGTH} "
            f"random characters, or unset it to have one generated")


def _finish_audit(config: dict[str, Any], instance_path: str, production: bool) -> None:
    """The audit log's key (generated like the secret key when unset, refused in production
    when weak) and where its checkpoints go."""
    _key(config, "KIOSK_AUDIT_KEY", "KIOSK_AUDIT_KEY", instance_path, "audit_key", production)
    if production and config["KIOSK_AUDIT_KEY"] == str(config["SECRET_KEY"]):
        raise ConfigError("KIOSK_AUDIT_KEY must not be the same as KIOSK_SECRET_KEY")
    if config.get("KIOSK_AUDIT_CHECKPOINTS") is None:
        config["KIOSK_AUDIT_CHECKPOINTS"] = str(Path(instance_path) / "audit-checkpoints.jsonl")
