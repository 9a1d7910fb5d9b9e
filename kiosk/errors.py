"""Error pages: a plain sentence and the right status, never a stack trace."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from .security import NestedTooDeeply

MESSAGES = {
    400: (_l("Something was wrong with that request"), _l("Please go back and try again.")),
    403: (_l("You cannot do that"), _l("You do not have permission to see this page.")),
    404: (_l("Page not found"), _l("Check the address, or go back to the start.")),
    405: (_l("That did not work"), _l("Please go back to the start and try again.")),
    413: (_l("That was too much to send"), _l("Please shorten what you typed and try again.")),
    429: (_l("Too many attempts"), _l("For safety, please wait 15 minutes and try again, or ask "
                                      "the headteacher to reset your password.")),
    503: (_l("Not ready yet"), _l("The policy has not been set up yet. Please ask at the office.")),
    500: (_l("Something went wrong on our side"),
          _l("Nothing was saved. Please try again, or tell the office.")),
}


ERROR_CODES = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
               413: "too_large", 415: "not_json", 429: "too_many", 500: "server_error",
               503: "not_ready"}


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, csrf_failed)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, unexpected_error)


def render_error(status: int, heading: str | None = None, message: str | None = None):
    """The error page, or JSON for the API, in the language of the request."""
    default_heading, default_message = MESSAGES.get(status, MESSAGES[400])
    heading, message = str(heading or default_heading), str(message or "")
    if request.path.startswith("/api/") or request.is_json:  # JSON asked, JSON answered
        return jsonify(error=ERROR_CODES.get(status, "error"),
                       message=message or sentences(heading, str(default_message))), status
    return render_template("error.html", status=status, heading=heading,
                           message=message or str(default_message)), status


def sentences(heading: str, message: str) -> str:
    """A page's heading and its message as one text (an answer in JSON has no heading)."""
    # Translators: an error's heading then its message, as one text; keep or change the full stop
    return _("%(heading)s. %(message)s", heading=heading, message=message)


def csrf_failed(error: CSRFError):
    """The form's token was missing or stale: nothing was saved; say so plainly."""
    return render_error(400, _("This page had expired"),
                        _("Nothing was saved. Please go back to the start and fill the form in "
                          "again."))


def http_error(error: HTTPException):
    if error.code == 413 and request.endpoint == "admin.setup":
        return render_error(413, _("Those pictures were too large"),
                            _("Nothing was saved. Please go back and choose pictures under 5 MB "
                              "each."))
    if isinstance(error, NestedTooDeeply):
        return render_error(400, _("That could not be read"), error.description)
    if getattr(error, "heading", None):  # a refusal that says its own words (sign_in_limits)
        page, status = render_error(error.code, error.heading, error.description)
        return page, status, [(k, v) for k, v in error.get_headers() if k == "Retry-After"]
    page, status = render_error(error.code or 500)
    # A 405 names the methods that would work, as HTTP asks (werkzeug's own page would).
    return page, status, [(k, v) for k, v in error.get_headers() if k == "Allow"]


def unexpected_error(error: Exception):
    # Logged with its traceback for the server's owner; the person sees only a plain sentence.
    from flask import current_app

    current_app.logger.exception("Unhandled error", exc_info=error)
    return render_error(InternalServerError.code)
