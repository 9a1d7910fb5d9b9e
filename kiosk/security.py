"""Response headers that every page gets: a strict Content-Security-Policy and no caching."""

from __future__ import annotations

import json

from flask import Flask, Response, abort, request

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


def init_app(app: Flask) -> None:
    app.before_request(refuse_nul_characters)
    app.after_request(add_security_headers)


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
