"""Reporting, one package: charts, the leads' dashboard, CSV exports, one adult's chronology and
evidence, and subject access. Its blueprint (`views.bp`) is named "reports", serves /reports and
renders templates/reports/."""

from __future__ import annotations

from flask import has_request_context
from flask_babel import gettext


def _(message: str, **values: object) -> str:
    """gettext while answering a request. The reports are also drawn in commands and tests,
    outside any request, where the language (chosen from the request) cannot be asked: English
    there."""
    if has_request_context():
        return gettext(message, **values)
    return message % values if values else message
