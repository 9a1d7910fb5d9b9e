"""Sending email through the configured SMTP server (KIOSK_SMTP_*)."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage

from flask import current_app


def configured() -> bool:
    return bool(current_app.config.get("KIOSK_SMTP_HOST"))


def new_message(subject: str, to: str | list[str], body: str) -> EmailMessage:
    message = EmailMessage()
    # One line, whatever it was made from: a title saved before line separators were refused
    # would otherwise make the header refuse it (ValueError), and nobody would be emailed.
    message["Subject"] = " ".join(subject.splitlines())
    message["From"] = current_app.config["KIOSK_MAIL_FROM"]
    message["To"] = to if isinstance(to, str) else ", ".join(to)
    message.set_content(body)
    return message


@contextmanager
def connection() -> Iterator[smtplib.SMTP]:
    """An open, signed-in SMTP connection; raises OSError or SMTPException if it cannot be had."""
    config = current_app.config
    with smtplib.SMTP(config["KIOSK_SMTP_HOST"], config["KIOSK_SMTP_PORT"], timeout=10) as smtp:
        if config["KIOSK_SMTP_STARTTLS"]:
            smtp.starttls()
        if config.get("KIOSK_SMTP_USERNAME"):
            smtp.login(config["KIOSK_SMTP_USERNAME"], config.get("KIOSK_SMTP_PASSWORD") or "")
        yield smtp
