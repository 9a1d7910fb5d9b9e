"""Reporting, one package: charts, the leads' dashboard, CSV exports, one adult's chronology and
evidence, and subject access. Its blueprint (`views.bp`) is named "reports", serves /reports and
renders templates/reports/."""

from __future__ import annotations

# The package's modules take gettext from here. Outside a request (a command, a test) it
# answers in English: the language is chosen from the request (kiosk/i18n.py).
from flask_babel import gettext as _

__all__ = ["_"]
