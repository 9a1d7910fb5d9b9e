"""`GET /healthz`, for the reverse proxy and monitoring: is this process able to serve?

200 `{"status": "ok"}` when the database answers and no migration is waiting; otherwise 503
`{"status": "unavailable", "problem": "database"}` (or `"migrations"`). Nothing else: no record,
no version, no session, no audit event (and, like every answer, `Cache-Control: no-store`).
One query once the migrations have been found current (remembered for the life of the process:
a migration only arrives with new code, which means a restart). The host check (`TRUSTED_HOSTS`)
still applies: a check on the server itself names an address in `KIOSK_TRUSTED_HOSTS`, such as
127.0.0.1.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from peewee import PeeweeException

from . import migrate
from .models import db

bp = Blueprint("health", __name__)

# app.extensions[...] is True once no migration was waiting.
CURRENT = "kiosk_migrations_current"


@bp.get("/healthz")
def healthz():
    db.execute_sql("SELECT 1")
    if not current_app.extensions.get(CURRENT):
        if migrate.pending():
            return unavailable("migrations")
        current_app.extensions[CURRENT] = True
    return jsonify(status="ok")


@bp.errorhandler(PeeweeException)
def database_unavailable(error: PeeweeException):
    """The database cannot be reached or read, here or in the app's own connect before the view
    (this blueprint's handler applies to any error while answering its URL)."""
    current_app.logger.warning("Health check: the database did not answer: %s", error)
    return unavailable("database")


def unavailable(problem: str):
    response = jsonify(status="unavailable", problem=problem)
    response.status_code = 503
    return response
