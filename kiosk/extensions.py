"""The Flask extensions, made once here and bound to the app in `create_app`.

- `csrf`: a token on every form (the API has its own defence, see `api.py`).
- `limiter`: its storage (`RATELIMIT_STORAGE_URI`: memory, or Redis shared between processes) is
  where `sign_in_limits.py` counts sign-in attempts, itself, before a password is checked (a
  decorator's `deduct_when` counts only after the response, which many requests at once outrun).
  A decorator limit added here is audited when refused. No default or blueprint-wide limits:
  flask-limiter's look for them before every request is taken out (`init_app` below).
- `login_manager`: who is signed in; its loader and handlers are in `access.py`.
"""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from . import audit


def _audit_rate_limited(limit) -> None:
    audit.record("signin.rate_limited", kind="staff_user", actor_label="", limit=str(limit.limit))


csrf = CSRFProtect()

limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True,
                  on_breach=_audit_rate_limited)

login_manager = LoginManager()
login_manager.login_view = "auth.sign_in"
login_manager.login_message = _l("Please sign in to continue.")  # flashed with str() (access.py)
login_manager.session_protection = None  # we renew the session at sign-in and check versions


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    limiter.init_app(app)
    # flask-limiter looks, before every request, for the limits that apply to it: a default or
    # a blueprint's limit, of which there are none here (a decorator's limit is checked by its
    # own wrapper; the sign-in limits are counted in `sign_in_limits.py`). That look was 0.5-1 ms
    # of each request (docs/PERFORMANCE.md), so it is taken out; a default or blueprint limit
    # added later needs it back.
    checks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in checks:  # not there when RATELIMIT_ENABLED is False
        checks.remove(limiter._check_request_limit)
    login_manager.init_app(app)
