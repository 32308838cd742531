"""The reset mail end to end: through Django's SMTP backend to a real local SMTP server."""

import email
import email.policy
import socket
import threading

import pytest
from aiosmtpd.controller import Controller

from tests.api.accounts.reset import reset_params

pytestmark = pytest.mark.django_db

ARRIVAL_TIMEOUT = 10.0  # seconds to wait for the background send; not a speed target


class Inbox:
    """aiosmtpd handler: keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        self.arrived.set()
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_SEND_SYNC = False  # the production path: sent off the request thread
    yield inbox
    controller.stop()


def test_reset_mail_arrives_over_smtp_and_its_link_works_once(api_client, user, smtp_server):
    response = api_client.post("/api/user/password-reset/", {"email": "Alice@EXAMPLE.com"})
    assert response.status_code == 202

    assert smtp_server.arrived.wait(ARRIVAL_TIMEOUT)
    [(recipients, message)] = smtp_server.messages
    assert recipients == ["alice@example.com"]
    assert message["To"] == "alice@example.com"
    assert message["Subject"] == "Reset your MovieConnect password"
    assert message["From"] == "MovieConnect <no-reply@localhost>"
    params = reset_params(message.get_content())

    new_password = "Sent-Over-Smtp-Passphrase-7"
    confirm = api_client.post(
        "/api/user/password-reset/confirm/", {**params, "password": new_password}
    )
    assert confirm.status_code == 200
    login = api_client.post("/api/token/", {"username": "alice", "password": new_password})
    assert login.status_code == 201
    reuse = api_client.post(
        "/api/user/password-reset/confirm/", {**params, "password": "Another-Passphrase-8"}
    )
    assert reuse.status_code == 400
    assert list(reuse.json()) == ["token"]


def test_unknown_address_sends_nothing_over_smtp(api_client, user, smtp_server):
    response = api_client.post("/api/user/password-reset/", {"email": "nobody@example.com"})
    known = api_client.post("/api/user/password-reset/", {"email": "alice@example.com"})

    assert response.status_code == known.status_code == 202
    assert response.json() == known.json()
    assert smtp_server.arrived.wait(ARRIVAL_TIMEOUT)  # alice's mail, sent after nobody's request
    assert [recipients for recipients, _ in smtp_server.messages] == [["alice@example.com"]]
