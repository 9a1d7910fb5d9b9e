"""What every request and response gets: a request for a host the app does not serve, and input
no view can use, refused with a 400 before any view sees it (a NUL, a lone surrogate, JSON nested
too deeply); a strict Content-Security-Policy, HSTS over HTTPS, and no caching."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask, Response, abort, current_app, jsonify, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import escape
from werkzeug.exceptions import BadRequest, SecurityError

from . import i18n

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


# Browsers that once reached the kiosk over HTTPS never try plain HTTP for it for a year.
HSTS = "max-age=31536000; includeSubDomains"


def init_app(app: Flask) -> None:
    app.json = BoundedJSON(app)
    app.register_error_handler(SecurityError, untrusted_host)
    app.before_request(refuse_unstorable_input)
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


# Nothing we take is nested more than two deep (an object of lists of strings). Python's own
# parser gives up (RecursionError, a 500) somewhere near a thousand.
MAX_JSON_NESTING = 16


class NestedTooDeeply(BadRequest):
    """A JSON body nested deeper than any record: a 400, even where the reader asked to be
    silent about bodies it cannot read (silence only covers a ValueError)."""

    description = _l("It was nested too deeply to read. Nothing was saved.")


class BoundedJSON(DefaultJSONProvider):
    """Flask's JSON, but a request body nested past MAX_JSON_NESTING is refused, so no view
    (or `repr`, or `json.dumps` of it) ever recurses through one."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            raise NestedTooDeeply() from None
        if nesting(value) > MAX_JSON_NESTING:
            raise NestedTooDeeply()
        return value


def nesting(value: Any) -> int:
    """How deep lists and objects are nested in a parsed JSON value (a string or number is 0),
    found without recursing, and no further than one level past MAX_JSON_NESTING."""
    deepest, waiting = 0, [(value, 1)]
    while waiting and deepest <= MAX_JSON_NESTING:
        item, depth = waiting.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is not None:
            deepest = max(deepest, depth)
            waiting.extend((child, depth + 1) for child in children)
    return deepest


def refuse_unstorable_input():
    """A NUL character is never meaningful input, and PostgreSQL cannot store one (nor can either
    database store a lone surrogate, which only a JSON escape can make): refuse them everywhere,
    the address included, with a 400 before any view sees them, so nothing is half-written and
    no refusal is audited with them."""
    values = [request.path, *request.args.values(), *request.form.values()]
    if request.is_json:
        body = request.get_json(silent=True)
        text = json.dumps(body, ensure_ascii=False) if body is not None else ""
        try:
            text.encode()
        except UnicodeEncodeError:
            abort(400)
        values.append(text)
    if any("\x00" in value or "\\u0000" in value for value in values):
        abort(400)
    return None


def refuse_untrusted_host() -> None:
    """A request whose Host is not one of TRUSTED_HOSTS (set from KIOSK_PUBLIC_URL): Flask found
    it while routing; stop it before anything else runs (the database, the session), since no
    address can be built for it."""
    if isinstance(request.routing_exception, SecurityError):
        raise request.routing_exception


UNTRUSTED_HOST_PAGE = """<!doctype html>
<html lang="{lang}" dir="{direction}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{heading}</title></head>
<body><main><h1>{heading}</h1><p>{message}</p></main></body>
</html>
"""
UNTRUSTED_HOST = (_l("This is not the kiosk's address"),
                  _l("Please open Policy Kiosk at the address the school gave you."))


def untrusted_host(error: SecurityError):
    """A plain page (or JSON for the API), with no link: no address can be trusted for this
    request, and it is refused before the templates, which build addresses, could run."""
    heading, message = map(str, UNTRUSTED_HOST)  # in the language of the request
    if request.path.startswith("/api/") or request.is_json:
        # Translators: an error's heading then its message, as one text; keep or change the full stop
        return jsonify(error="bad_request", message=_("%(heading)s. %(message)s", heading=heading,
                                                      message=message)), 400
    lang = i18n.language()
    page = UNTRUSTED_HOST_PAGE.format(heading=escape(heading), message=escape(message),
                                      lang="en-GB" if lang == i18n.DEFAULT else lang,
                                      direction=i18n.direction())
    return Response(page, status=400, mimetype="text/html")


def add_security_headers(response: Response) -> Response:
    """Set the CSP and friends; pages are never stored, so Back cannot show someone's details."""
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:  # behind a proxy, as it says (KIOSK_PROXY_COUNT); never on plain HTTP
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    if request.endpoint != "static" and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response
