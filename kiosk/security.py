"""Response headers that every page gets: a strict Content-Security-Policy and no caching."""

from __future__ import annotations

import json
import secrets

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


DEVICE_COOKIE = "kiosk_device"
DEVICE_COOKIE_DAYS = 400  # the longest browsers keep a cookie


def init_app(app: Flask) -> None:
    app.before_request(refuse_nul_characters)
    app.after_request(add_security_headers)
    app.after_request(remember_device)
    app.context_processor(lambda: {"device_known": lambda: DEVICE_COOKIE in request.cookies})


def remember_device(response: Response) -> Response:
    """A long-lived, meaningless cookie: a device that has it but whose offline database is
    empty had that database wiped by the browser, and the outbox says so."""
    if DEVICE_COOKIE not in request.cookies and request.endpoint != "static" \
            and response.mimetype == "text/html":
        response.set_cookie(DEVICE_COOKIE, secrets.token_urlsafe(12), max_age=DEVICE_COOKIE_DAYS * 86400,
                            httponly=True, samesite="Lax",
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
