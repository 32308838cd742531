"""Reading the reset link back out of a mailed message, as the web client gets it."""

import re
from urllib.parse import parse_qs, urlsplit

from django.core import mail

LINK = re.compile(r"\S+/reset-password\?\S+")


def reset_link(body: str) -> str:
    links = [line.strip() for line in body.splitlines() if LINK.fullmatch(line.strip())]
    assert len(links) == 1, body
    return links[0]


def reset_params(body: str) -> dict[str, str]:
    """{"uid", "token"} from the one link in the message."""
    query = parse_qs(urlsplit(reset_link(body)).query)
    assert sorted(query) == ["token", "uid"]
    return {"uid": query["uid"][0], "token": query["token"][0]}


def request_reset(client, email: str) -> dict[str, str]:
    """Ask for a reset over HTTP and return the link's parameters from the (locmem) outbox."""
    sent = len(mail.outbox)
    response = client.post("/api/user/password-reset/", {"email": email}, format="json")
    assert response.status_code == 202
    assert len(mail.outbox) == sent + 1
    return reset_params(mail.outbox[-1].body)
