"""Policy Kiosk: visitors read and accept the school's policy; staff log breaches."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config, instance

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then the environment, then the test mapping (if any)."""
    # The app's modules are imported here, not when the package is: gunicorn's settings
    # (kiosk/serve.py) must run before peewee is first imported (docs/PERFORMANCE.md, Memory).
    from . import (
        access,
        admin,
        api,
        audit,
        auth,
        cli,
        devices,
        errors,
        extensions,
        health,
        i18n,
        permission_views,  # noqa: F401 (its routes join the staff, public and admin blueprints)
        public,
        pwa,
        records,
        second_step,
        security,
        staff,
        templating,
        viewed,
    )
    from .models import db, open_database
    from .reports import views as reports_views

    overrides = dict(test_config or {})
    instance_path = (overrides.pop("KIOSK_INSTANCE_PATH", None)
                     or os.environ.get("KIOSK_INSTANCE_PATH")
                     or str(PROJECT_ROOT / "instance"))
    app = Flask(
        __name__,
        instance_path=str(Path(instance_path).resolve()),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    # Owner only (0700, its files 0600), before the secret key or the database is written.
    instance.make_private(app.instance_path, app.logger)
    try:
        settings = config.from_environment(os.environ, app.instance_path)
        settings.update(overrides)
        config.finish(settings, app.instance_path)
    except config.ConfigError as e:
        # A clear sentence, not a traceback: the person starting the server needs only this.
        raise SystemExit(f"Policy Kiosk cannot start: {e}") from None
    app.config.update(settings)
    instance.make_database_private(app.config["DATABASE_URL"], app.logger)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="kiosk_session",
        # A form token lives as long as the browser session: a visitor may read for a while.
        WTF_CSRF_TIME_LIMIT=None,
        MAX_FORM_MEMORY_SIZE=app.config["MAX_CONTENT_LENGTH"],
    )

    if app.config["KIOSK_PROXY_COUNT"]:
        n = app.config["KIOSK_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)

    # First of all: a request for a host the app does not serve (TRUSTED_HOSTS) stops here.
    app.before_request(security.refuse_untrusted_host)
    db.initialize(open_database(app.config["DATABASE_URL"]))
    app.before_request(_connect_db)
    app.teardown_appcontext(_close_db)
    # A paired kiosk is named by its cookie on every request (kiosk/devices.py).
    app.before_request(devices.identify)
    app.after_request(devices.finish)

    app.before_request(admin.allow_large_forms)
    extensions.init_app(app)
    access.init_app(app)
    audit.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    templating.init_app(app)
    i18n.init_app(app)
    viewed.init_app(app)
    cli.init_app(app)
    for blueprint in (health.bp, public.bp, pwa.bp, auth.bp, second_step.bp, staff.bp, records.bp,
                      admin.bp, api.bp, reports_views.bp):
        app.register_blueprint(blueprint)
    # The API has its own cross-site defence (see kiosk/api.py): a replay may come a day later.
    extensions.csrf.exempt(api.bp)
    return app


def _connect_db() -> None:
    from .models import db

    db.connect(reuse_if_open=True)


def _close_db(exc: BaseException | None) -> None:
    from .models import db

    if not db.is_closed():
        db.close()
