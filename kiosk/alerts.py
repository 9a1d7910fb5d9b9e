"""Email alerts for new concerns. They name no child, no subject and no detail: only that
something was logged, by whom and when, and where to sign in to read it."""

from __future__ import annotations

import smtplib

from flask import current_app, url_for

from . import audit, mail
from .display import local_time
from .models import CASE_MANAGER, Breach, StaffUser, WelfareTask


def recipients_for(breach: Breach) -> list[StaffUser]:
    """Restricted: the head (the chair when it concerns the head). Safeguarding: the DSLs."""
    if breach.restricted:
        role = "chair" if breach.concerns_head else "head"
    elif breach.safeguarding:
        role = "dsl"
    else:
        return []
    return list(StaffUser.with_role(role))


def alert_new_concern(breach: Breach) -> int:
    """Email the people who must know; return how many were sent. A mail failure is logged and
    audited, never raised: the record is already safe and counted on their home screen."""
    people = recipients_for(breach)
    if not people or not mail.configured():
        return 0
    message = mail.new_message(
        "A new concern was logged in Policy Kiosk", [person.email for person in people],
        f"A new concern was logged by {breach.reporter.display_name} at "
        f"{local_time(breach.created_at)}.\n\nSign in to read it: {_sign_in_url()}\n")
    try:
        with mail.connection() as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        current_app.logger.error("Could not send the concern alert: %s", error)
        audit.record("alert.failed", kind="breach", record_id=breach.public_id, error=str(error)[:200])
        return 0
    audit.record("alert.sent", kind="breach", record_id=breach.public_id, recipients=len(people))
    return len(people)


def _sign_in_url() -> str:
    base = current_app.config.get("KIOSK_PUBLIC_URL")
    path = url_for("auth.sign_in")
    return base + path if base else url_for("auth.sign_in", _external=True)


# Welfare tasks -----------------------------------------------------------------------------------

def _by(task: WelfareTask) -> str:
    named = task.named_as(task.created_by)
    return "the case manager" if named == CASE_MANAGER else named


def alert_welfare_task(task: WelfareTask) -> int:
    """Email the DSLs that a welfare task waits: by whom and when, nothing else (no child, no
    adult, no words). Like a concern's alert, a mail failure is logged and audited, not raised."""
    people = list(StaffUser.with_role("dsl"))
    if not people or not mail.configured():
        return 0
    message = mail.new_message(
        "A welfare task is waiting in Policy Kiosk", [person.email for person in people],
        f"A welfare task for the Designated Safeguarding Lead was recorded by "
        f"{_by(task)} at {local_time(task.created_at)}.\n\n"
        f"Sign in to read it now: {_sign_in_url()}\n")
    try:
        with mail.connection() as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        current_app.logger.error("Could not send the welfare alert: %s", error)
        audit.record("welfare_alert.failed", kind="welfare_task", record_id=task.public_id,
                     error=str(error)[:200])
        return 0
    audit.record("welfare_alert.sent", kind="welfare_task", record_id=task.public_id,
                 recipients=len(people))
    return len(people)
