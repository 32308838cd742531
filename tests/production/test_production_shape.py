"""The production shape end to end: nginx (deploy/ configs) in front of gunicorn HTTP workers
and a daphne socket worker, on Postgres and Redis, with production settings.

Needs nginx, Postgres (DATABASE_URL) and Redis (REDIS_URL): an HTTP worker and a socket worker
only meet through them. Without them these tests are skipped, except in CI, which sets
REQUIRE_PRODUCTION_SHAPE=1 and so fails instead (.ci/run installs nginx).
"""

import asyncio
import json
import os
import secrets
import subprocess
import sys
from typing import Any

import pytest
import requests
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from websockets.asyncio.client import connect

from mcbackend.healthcheck import check
from tests.factories import MovieFactory, UserFactory
from tests.production.stack import NGINX, ROOT, start_stack

HOST = "movieconnect.example"
TIMEOUT = 10
_missing = [
    name
    for name, ok in (
        ("nginx", NGINX is not None),
        ("Postgres (DATABASE_URL)", "postgresql" in settings.DATABASES["default"]["ENGINE"]),
        ("Redis (REDIS_URL)", bool(settings.REDIS_URL)),
    )
    if not ok
]
if _missing and os.environ.get("REQUIRE_PRODUCTION_SHAPE") == "1":
    raise RuntimeError(f"production-shape tests need {', '.join(_missing)}")
pytestmark = [
    pytest.mark.skipif(bool(_missing), reason=f"needs {', '.join(_missing)}"),
    pytest.mark.django_db(transaction=True),
]


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture(scope="module")
def stack(django_db_setup, django_db_blocker, tmp_path_factory):
    layer = settings.CHANNEL_LAYERS["default"]["CONFIG"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mcbackend.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": HOST,  # not localhost: the health check must still pass
        "TRUSTED_ORIGINS": f"https://{HOST}",
        "DJANGO_SECURE_SSL_REDIRECT": "true",
        "AUTH_COOKIE_SECURE": "false",  # Secure follows the request's scheme then
        "NUM_PROXIES": "1",
        "DATABASE_URL": _database_url(),
        "CHANNEL_LAYER_PREFIX": layer["prefix"],
        "CACHE_KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"],
        "ML_MODEL_DIR": str(settings.ML_MODEL_DIR),
        "LOG_LEVEL": "INFO",
    }
    running = start_stack(tmp_path_factory.mktemp("stack"), env)
    yield running
    running.stop()


def production_user(password: str) -> Any:
    """A user whose password production's hasher accepts (not the test settings' MD5)."""
    user = UserFactory()
    user.password = PBKDF2PasswordHasher().encode(password, PBKDF2PasswordHasher().salt())
    user.save(update_fields=["password"])
    return user


def login(stack: Any, user: Any, password: str) -> requests.Response:
    response = requests.post(
        f"{stack.url}/api/token/",
        json={"username": user.username, "password": password},
        headers=https(),
        timeout=TIMEOUT,
    )
    assert response.status_code == 201, response.text
    return response


def token(stack: Any, user: Any, password: str) -> str:
    """An access token signed by the stack's secret key, through the login endpoint."""
    return login(stack, user, password).cookies["access_token"]


def https(**headers: str) -> dict[str, str]:
    """What a TLS terminator in front of nginx sends."""
    return {"Host": HOST, "X-Forwarded-Proto": "https", **headers}


def test_rest_write_on_an_http_worker_reaches_a_socket_on_the_socket_worker(stack, password):
    movie = MovieFactory()
    alice, bob = production_user(password), production_user(password)
    alice_token, bob_token = token(stack, alice, password), token(stack, bob, password)

    async def scenario() -> list[dict[str, Any]]:
        headers = {"Authorization": f"Bearer {alice_token}"}
        async with connect(
            stack.ws_url, origin=f"https://{HOST}", additional_headers=headers, open_timeout=TIMEOUT
        ) as ws:
            frames = [json.loads(await ws.recv())]  # hello
            await ws.send(
                json.dumps({"action": "subscribe", "stream": "movie", "movie_id": movie.id})
            )
            frames.append(json.loads(await ws.recv()))
            bob_auth = https(Authorization=f"Bearer {bob_token}")
            comment = await asyncio.to_thread(
                requests.post,
                f"{stack.url}/api/movie/{movie.id}/comment/",
                json={"body": "Through nginx and gunicorn"},
                headers=bob_auth,
                timeout=TIMEOUT,
            )
            assert comment.status_code == 201, comment.text
            friend = await asyncio.to_thread(
                requests.post,
                f"{stack.url}/api/send-friend-request/{alice.id}/",
                headers=bob_auth,
                timeout=TIMEOUT,
            )
            assert friend.status_code == 201, friend.text
            for _ in range(2):
                frames.append(json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT)))
            return frames

    frames = asyncio.run(scenario())

    assert [f["type"] for f in frames] == [
        "hello",
        "subscribed",
        "comment.created",
        "friend_request.received",
    ]
    assert frames[2]["data"]["comment"]["body"] == "Through nginx and gunicorn"
    assert frames[3]["data"]["request"]["from_user"] == bob.username


def test_the_terminators_https_reaches_django(stack):
    # With DJANGO_SECURE_SSL_REDIRECT on, a request the terminator says was HTTPS is served...
    served = requests.get(f"{stack.url}/api/movies/popular/", headers=https(), timeout=TIMEOUT)
    assert served.status_code == 401
    # ... and one that reached nginx over plain HTTP is redirected to HTTPS, once.
    plain = requests.get(
        f"{stack.url}/api/movies/popular/",
        headers={"Host": HOST},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert plain.status_code == 301
    assert plain.headers["Location"] == f"https://{HOST}/api/movies/popular/"


def test_cookies_are_secure_behind_the_terminator(stack, password):
    response = login(stack, production_user(password), password)
    cookies = response.headers["Set-Cookie"]
    assert "access_token=" in cookies
    assert "Secure" in cookies


def test_metrics_are_private_to_the_workers(stack):
    assert requests.get(f"{stack.url}/metrics", headers=https(), timeout=TIMEOUT).status_code == 404
    assert (
        requests.get(f"{stack.url}/metrics/", headers=https(), timeout=TIMEOUT).status_code == 404
    )
    requests.get(f"{stack.url}/api/health/", headers=https(), timeout=TIMEOUT)
    # Scraped by the container's address, whatever the allowed hosts say.
    web = requests.get(f"{stack.web_url}/metrics", timeout=TIMEOUT)
    assert web.status_code == 200
    assert 'mc_http_requests_total{method="GET",route="/api/health/",status="200"}' in web.text
    assert "mc_model_info" in web.text
    ws = requests.get(f"{stack.ws_direct_url}/metrics", timeout=TIMEOUT)
    assert ws.status_code == 200
    assert "mc_ws_open_sockets" in ws.text
    assert "mc_channel_layer_publish_to_send_seconds" in ws.text


def test_logs_show_the_address_nginx_saw_not_a_forged_one(stack, password):
    access = token(stack, production_user(password), password)

    async def handshake() -> None:
        headers = {
            "Authorization": f"Bearer {access}",
            "X-Forwarded-For": "203.0.113.66",
        }
        async with connect(
            stack.ws_url, origin=f"https://{HOST}", additional_headers=headers, open_timeout=TIMEOUT
        ) as ws:
            await ws.recv()

    asyncio.run(handshake())
    requests.get(
        f"{stack.url}/api/health/", headers=https(**{"X-Forwarded-For": "203.0.113.66"}),
        timeout=TIMEOUT,
    )  # fmt: skip

    for log in ("ws.log", "web.log", "access.log"):
        text = stack.log(log)
        assert "127.0.0.1" in text, log
        assert "203.0.113.66" not in text, log


def test_healthcheck_passes_whatever_the_allowed_hosts(stack):
    # A bare request to localhost is refused (DisallowedHost) once the hosts name the domain...
    assert requests.get(f"{stack.web_url}/api/health/", timeout=TIMEOUT).status_code == 400
    # ... and compose's health check command still passes, on both kinds of worker.
    for url in (stack.web_url, stack.ws_direct_url):
        assert check(f"{url}/api/health/", allowed_hosts=f"{HOST},www.{HOST}")
        result = subprocess.run(
            [sys.executable, "-m", "mcbackend.healthcheck", f"{url}/api/health/"],
            cwd=ROOT,
            env={**os.environ, "DJANGO_ALLOWED_HOSTS": HOST},
            check=False,
        )
        assert result.returncode == 0
