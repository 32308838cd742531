"""Sending email off the request thread: no answer waits on the mail server, or shows its state.

A send that fails (server down, refused, timed out after EMAIL_TIMEOUT) is logged and dropped:
the answer the user got does not change, so it cannot tell whether a message was due.
"""

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from django.conf import settings
from django.core.mail import EmailMessage

logger = logging.getLogger(__name__)

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _get_executor() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="mail")
        return _executor


def _send(message: EmailMessage, label: str) -> None:
    try:
        message.send()
    except Exception:
        logger.exception("Could not send email (%s)", label)


def email_send(*, message: EmailMessage, label: str) -> Future[None] | None:
    """Send in the background (inline with EMAIL_SEND_SYNC). `label` names the message in logs
    without the recipient's address, e.g. "password reset for user 12"."""
    if settings.EMAIL_SEND_SYNC:
        _send(message, label)
        return None
    return _get_executor().submit(_send, message, label)
