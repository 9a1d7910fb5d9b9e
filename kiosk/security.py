"""Response headers that every page gets: a strict Content-Security-Policy and no caching."""

from __future__ import annotations

import json
import re

from flask import Flask, Response, abort, current_app, request

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


# The outbox keeps in this cookie how many records are waiting on the device (static/js/offline.js):
# if the browser later empties the outbox's database while the cookie still counts some, they
# were wiped, and the page says so. A first visit has no cookie, so no warning.
WAITING_COOKIE = "kiosk_waiting"
WAITING_COOKIE_DAYS = 400  # the longest browsers keep a cookie
_WAITING_COUNT = re.compile(r"[1-9][0-9]{0,4}")


def init_app(app: Flask) -> None:
    app.before_request(refuse_nul_characters)
    app.after_request(add_security_headers)
    app.after_request(keep_waiting_count)


def keep_waiting_count(response: Response) -> Response:
    """Send the outbox's own cookie back from the server. Safari keeps a cookie that a script
    wrote for at most seven days, and clears a site's databases after seven days unused: set by
    the server, the count outlives the database it stands witness for."""
    count = request.cookies.get(WAITING_COOKIE, "")
    if _WAITING_COUNT.fullmatch(count) and response.mimetype == "text/html" \
            and WAITING_COOKIE not in response.headers.get("Set-Cookie", ""):
        # Not HttpOnly: the outbox reads it and clears it once everything is sent.
        response.set_cookie(WAITING_COOKIE, count, max_age=WAITING_COOKIE_DAYS * 86400,
                            httponly=False, samesite="Strict",
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


def refuse_nul_characters():
    """A NUL character is never meaningful input, and PostgreSQL cannot store one: refuse it
    everywhere with a 400 before any view sees it."""
    values = [*request.args.values(), *request.form.values()]
    if request.is_json:
        body = request.get_json(silent=True)
        values.append(json.dumps(body) if body is not None else "")
    if any("\x00" in value or "\\u0000" in value for value in values):
        abort(400)
    return None


def add_security_headers(response: Response) -> Response:
    """Set the CSP and friends; pages are never stored, so Back cannot show someone's details."""
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.endpoint != "static" and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response
