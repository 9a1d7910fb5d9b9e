"""A real SMTP server for the tests (aiosmtpd), on a free loopback port."""

from __future__ import annotations

import email
from email.message import Message

import pytest
from aiosmtpd.controller import Controller

from .postgres import start_on_a_free_port


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted"


@pytest.fixture
def smtp_server():
    inbox = Inbox()

    def start(port: int) -> Controller:
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()
        return controller

    controller = start_on_a_free_port(start)
    try:
        yield controller, inbox
    finally:
        controller.stop()
