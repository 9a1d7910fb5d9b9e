"""Reporting, one package: charts, the leads' dashboard, CSV exports, one adult's chronology and
evidence, and subject access. Its blueprint (`views.bp`) is named "reports", serves /reports and
renders templates/reports/."""
