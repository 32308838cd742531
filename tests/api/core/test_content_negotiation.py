"""Each process remembers the renderer chosen per Accept header (mcbackend.negotiation): the
answers must stay DRF's, whatever the order in which clients send their headers."""

import pytest

pytestmark = pytest.mark.django_db

UNREAD = "/api/notifications/unread-count/"


def test_a_refused_accept_header_is_refused_every_time(auth_client):
    for _ in range(2):
        response = auth_client.get(UNREAD, HTTP_ACCEPT="text/html")
        assert response.status_code == 406
        assert response.json()["message"]

    assert auth_client.get(UNREAD, HTTP_ACCEPT="application/json").status_code == 200
    assert auth_client.get(UNREAD, HTTP_ACCEPT="text/html").status_code == 406


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("text/html, application/json;q=0.5", "application/json"),
        ("application/json; indent=4", "application/json"),
    ],
)
def test_the_accepted_media_type_is_answered(auth_client, accept, content_type):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    for _ in range(2):  # the second answer comes from the remembered choice
        response = auth_client.get(UNREAD, **headers)
        assert response.status_code == 200
        assert response["Content-Type"] == content_type
        assert response.json() == {"unread": 0, "last_event_id": 0}


def test_the_format_override_is_honoured(auth_client):
    assert auth_client.get(UNREAD, {"format": "json"}).status_code == 200
    for _ in range(2):
        assert auth_client.get(UNREAD, {"format": "xml"}).status_code == 404
    assert auth_client.get(UNREAD, {"format": "json"}).status_code == 200
