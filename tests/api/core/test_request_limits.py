"""Bad and oversized requests get a quick 4xx with a message, never a 500."""

import json

import pytest

pytestmark = pytest.mark.django_db


def test_oversized_body_is_413(auth_client):
    body = json.dumps({"bio": "x" * 300_000})
    response = auth_client.patch("/api/user/update/", body, content_type="application/json")

    assert response.status_code == 413
    assert response.json() == {"message": "Request body too large."}


def test_deeply_nested_json_is_400(auth_client):
    body = "[" * 50_000 + "]" * 50_000
    response = auth_client.patch("/api/user/update/", body, content_type="application/json")

    assert response.status_code == 400
    assert "message" in response.json()


@pytest.mark.parametrize(
    "body",
    [b"\xff\xfe\x00garbage", b'{"bio": NaN}', b'{"bio": Infinity}', b"", b"null", b'"text"'],
)
def test_malformed_json_bodies_are_400(auth_client, body):
    response = auth_client.patch("/api/user/update/", body, content_type="application/json")
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert response.json()
    else:  # an empty body is an empty partial update
        assert body == b""


def test_non_utf8_form_body_is_not_a_server_error(auth_client):
    response = auth_client.patch(
        "/api/user/update/", b"bio=\xff\xfe", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code < 500
