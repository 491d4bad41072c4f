"""Meridian's email travels over a real SMTP conversation, and its links work."""

import re
import socket
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, cast
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller

from meridian.workspaces.services import invitation_create
from meridian.workspaces.tasks import invitation_email_send
from tests import factories


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts, with its envelope recipients."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        self.received.append((list(envelope.rcpt_tos), cast(EmailMessage, message)))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_inbox(settings):
    """A local SMTP server for the test; Meridian's default mailer talks to it."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }
    yield inbox
    controller.stop()


def link_in(message: EmailMessage, path_pattern: str) -> str:
    """The path of the first absolute link in the message's text whose path matches."""
    body = cast(EmailMessage, message.get_body(preferencelist=("plain",))).get_content()
    found = re.search(rf"https?://[^\s/]+({path_pattern})", body)
    assert found is not None, body
    return urlsplit(found.group(0)).path


def test_an_invitation_reaches_the_smtp_server_with_a_working_link(client, admin, smtp_inbox):
    invitation, _ = invitation_create(acting=admin, email="new.person@example.com")

    invitation_email_send.call(invitation_id=invitation.pk)

    [(recipients, message)] = smtp_inbox.received
    assert recipients == ["new.person@example.com"]
    assert message["To"] == "new.person@example.com"
    assert message["Subject"] == f"{admin.profile.display_name} invited you to Acme on Meridian"
    page = client.get(link_in(message, r"/invitations/[^\s/]+/"))
    assert page.status_code == 200
    assert "Acme" in page.content.decode()


def test_a_password_reset_email_leads_to_a_set_password_form(client, db, smtp_inbox):
    person = factories.user(email="forgetful@example.com")

    response = client.post("/accounts/password/reset/", {"email": person.email})

    assert response.status_code == 302
    [(recipients, message)] = smtp_inbox.received
    assert recipients == ["forgetful@example.com"]
    page = client.get(link_in(message, r"/accounts/password/reset/key/[^\s]+/"), follow=True)
    assert page.status_code == 200
    assert 'name="password1"' in page.content.decode()
    assert 'name="password2"' in page.content.decode()
