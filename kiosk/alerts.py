"""Email alerts for new concerns. They name no child, no subject and no detail: only that
something was logged, by whom and when, and where to sign in to read it: a link to the kiosk's
configured address, never one made from the request (whose Host anyone can write), or without
one, the words for where to go."""

from __future__ import annotations

import smtplib
from collections.abc import Callable

from flask import current_app, url_for
from flask_babel import force_locale

from . import audit, mail, school
from .display import local_time
from .models import CASE_MANAGER, RAISED_IT, Breach, StaffUser, WelfareTask


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
    return _send(recipients_for(breach), "A new concern was logged in Policy Kiosk",
                 lambda: f"A new concern was logged by {breach.reporter.display_name} at "
                 f"{local_time(breach.created_at)}.\n\n{_where_to_read('Sign in to read it')}\n",
                 events=("alert.sent", "alert.failed"), kind="breach", record_id=breach.public_id)


def _send(people: list[StaffUser], subject: str, body: Callable[[], str], *,
          events: tuple[str, str], kind: str, record_id: object) -> int:
    """Send one alert to these people; return how many it went to (0 without a mail server).
    `body` is written only when there is someone to send it to. Audited as `events` (sent,
    failed); a failure is logged, never raised."""
    if not people or not mail.configured():
        return 0
    with force_locale("en"):  # read later by the DSL or head, whatever the page's language
        message = mail.new_message(subject, [person.email for person in people], body())
    try:
        with mail.connection() as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        current_app.logger.error("Could not send the alert (%s): %s", subject, error)
        audit.record(events[1], kind=kind, record_id=record_id, error=str(error)[:200])
        return 0
    audit.record(events[0], kind=kind, record_id=record_id, recipients=len(people))
    return len(people)


# Without a configured address an email says where to go in words: never a guessed link.
NO_ADDRESS = "Open Policy Kiosk on the school's network and sign in to read it."


def _where_to_read(sign_in: str) -> str:
    base = school.configured_public_url()
    return f"{sign_in}: {base}{url_for('auth.sign_in')}" if base else NO_ADDRESS


# Welfare tasks -----------------------------------------------------------------------------------

def _by(task: WelfareTask) -> str:
    named = task.named_as(task.created_by)
    return named[0].lower() + named[1:] if named in (CASE_MANAGER, RAISED_IT) else named


def alert_welfare_task(task: WelfareTask) -> int:
    """Email the DSLs that a welfare task waits: by whom and when, nothing else (no child, no
    adult, no words). Like a concern's alert, a mail failure is logged and audited, not raised."""
    return _send(list(StaffUser.with_role("dsl")), "A welfare task is waiting in Policy Kiosk",
                 lambda: f"A welfare task for the Designated Safeguarding Lead was recorded by "
                 f"{_by(task)} at {local_time(task.created_at)}.\n\n"
                 f"{_where_to_read('Sign in to read it now')}\n",
                 events=("welfare_alert.sent", "welfare_alert.failed"), kind="welfare_task",
                 record_id=task.public_id)
