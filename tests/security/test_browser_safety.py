"""What the server does to keep browsers safe: cookie flags, CORS, the Origin check on
cookie-authenticated writes in every app, and security headers."""

import pytest
from rest_framework.test import APIClient

from movies.models import Comment, Movie, Rating, WatchlistItem
from social.models import FriendRequest, Friendship
from tests.factories import (
    PASSWORD,
    CommentFactory,
    FriendRequestFactory,
    FriendshipFactory,
    MovieFactory,
    UserFactory,
    absent_pk,
)
from tests.test_settings import PRODUCTION_ENV, run_manage

pytestmark = pytest.mark.django_db

EVIL = "https://evil.example"
TRUSTED = "http://localhost:3000"


def cookie_login(client: APIClient, username: str = "alice", **extra):
    response = client.post(
        "/api/token/", {"username": username, "password": PASSWORD}, format="json", **extra
    )
    assert response.status_code == 201
    return response


# ------------------------------------------------------------------ cookies


@pytest.mark.parametrize("how", ["setting", "https"])
def test_auth_cookies_are_secure_httponly_lax_in_production(settings, user, how):
    if how == "setting":
        settings.AUTH_COOKIE_SECURE = True
        response = cookie_login(APIClient())
    else:  # AUTH_COOKIE_SECURE off, but the request came over HTTPS
        response = cookie_login(APIClient(), secure=True)
    for name, path in (("access_token", "/"), ("refresh_token", "/api/")):
        cookie = response.cookies[name]
        assert cookie["secure"] is True
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"
        assert cookie["path"] == path


def test_refreshed_cookies_are_secure_too(settings, user):
    settings.AUTH_COOKIE_SECURE = True
    client = APIClient()
    cookie_login(client)
    response = client.post("/api/token/refresh/")
    assert response.status_code == 200
    assert response.cookies["access_token"]["secure"] is True
    assert response.cookies["refresh_token"]["secure"] is True


def test_plain_http_development_cookies_are_not_secure(user):
    response = cookie_login(APIClient())
    assert not response.cookies["access_token"]["secure"]


# ------------------------------------------------------------------ CORS


@pytest.mark.parametrize(
    "path", ["/api/movies/popular/", "/api/friends/", "/api/user/profile/", "/api/movie/1/rate/"]
)
def test_cors_preflight_allows_credentials_only_for_the_allow_list(api_client, path):
    def preflight(origin):
        return api_client.options(
            path, HTTP_ORIGIN=origin, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
        )

    trusted = preflight(TRUSTED)
    assert trusted["Access-Control-Allow-Origin"] == TRUSTED
    assert trusted["Access-Control-Allow-Credentials"] == "true"
    for origin in (EVIL, "null", "http://localhost:3000.evil.example", "http://localhost"):
        response = preflight(origin)
        assert "Access-Control-Allow-Origin" not in response, origin


def test_cors_never_answers_wildcard(settings, api_client, user):
    client = APIClient()
    cookie_login(client)
    response = client.get("/api/user/profile/", HTTP_ORIGIN=TRUSTED)
    assert response["Access-Control-Allow-Origin"] == TRUSTED
    assert response["Access-Control-Allow-Origin"] != "*"
    assert "origin" in response["Vary"].lower()


# ------------------------------------------------------------------ Origin check, every app


@pytest.fixture
def world(user):
    bob = UserFactory(username="bob")
    carol = UserFactory(username="carol")
    movie = MovieFactory()
    FriendshipFactory(user_low=user, user_high=bob)
    return {
        "alice": user,
        "bob": bob,
        "carol": carol,
        "movie": movie,
        "comment": CommentFactory(author=user, movie=movie),
        "incoming": FriendRequestFactory(from_user=carol, to_user=user),
    }


def unsafe_requests(w):
    movie = w["movie"].pk
    return [
        ("post", f"/api/movie/{movie}/rate/", {"rating": 5}),
        ("post", f"/api/movie/{movie}/comment/", {"body": "forged"}),
        ("delete", f"/api/movie/{movie}/comment/?comment_id={w['comment'].pk}", None),
        ("post", f"/api/movie/{movie}/watch/", None),
        ("post", f"/api/send-friend-request/{w['carol'].pk}/", None),
        ("post", f"/api/friend-requests/update/{w['incoming'].pk}/", None),
        ("delete", f"/api/friend-requests/update/{w['incoming'].pk}/", None),
        ("delete", f"/api/user/remove-friend/{w['bob'].pk}/", None),
        ("patch", "/api/user/update/", {"bio": "forged"}),
        ("post", "/api/movie/search/?title=x", None),
        ("post", "/api/user/logout/", None),
        ("delete", "/api/user/delete/", None),
    ]


def _state(w):
    return (
        Rating.objects.count(),
        sorted(Comment.objects.values_list("pk", "body")),
        WatchlistItem.objects.count(),
        sorted(FriendRequest.objects.values_list("pk", "accepted")),
        Friendship.objects.count(),
        type(w["alice"]).objects.filter(pk=w["alice"].pk, bio="").exists(),
    )


@pytest.mark.parametrize("origin", [EVIL, "null"])
def test_cookie_writes_from_foreign_origins_are_refused_in_every_app(world, origin):
    client = APIClient()
    cookie_login(client)
    before = _state(world)
    for method, path, body in unsafe_requests(world):
        response = getattr(client, method)(path, body, format="json", HTTP_ORIGIN=origin)
        assert response.status_code == 403, path
        assert response.json() == {"message": "Cross-site request refused: untrusted Origin."}
    assert _state(world) == before
    assert client.get("/api/user/profile/").status_code == 200  # still signed in


def test_cookie_writes_from_the_allow_list_pass(world):
    client = APIClient()
    cookie_login(client)
    movie = world["movie"].pk
    response = client.post(
        f"/api/movie/{movie}/rate/", {"rating": 5}, format="json", HTTP_ORIGIN=TRUSTED
    )
    assert response.status_code == 201


# ------------------------------------------------------------------ security headers

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@pytest.mark.parametrize(
    ("path", "status", "signed_in"),
    [
        ("/api/user/profile/", 200, True),
        ("/api/user/profile/", 401, False),
        ("/api/movie/{absent}/", 404, True),
        ("/api/movie/search/", 400, True),
        ("/api/no-such-endpoint/", 404, True),
        ("/api/health/", 200, False),
        ("/api/schema/", 200, False),
    ],
)
def test_security_headers_on_api_responses(user, path, status, signed_in):
    client = APIClient()
    if signed_in:
        client.force_authenticate(user)
    response = client.get(path.format(absent=absent_pk(Movie)))
    assert response.status_code == status
    for header, value in HEADERS.items():
        assert response[header] == value, header


def test_hsts_over_https_with_production_settings(settings, user):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    client = APIClient()
    client.force_authenticate(user)
    response = client.get("/api/user/profile/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_production_settings_keep_the_headers_and_secure_cookies():
    code = (
        "from django.conf import settings as s;"
        "print(s.SECURE_CONTENT_TYPE_NOSNIFF, s.X_FRAME_OPTIONS, s.SECURE_REFERRER_POLICY,"
        " s.SECURE_CROSS_ORIGIN_OPENER_POLICY, s.AUTH_COOKIE_SECURE, s.CORS_ALLOW_ALL_ORIGINS"
        " if hasattr(s, 'CORS_ALLOW_ALL_ORIGINS') else False, s.CORS_ALLOWED_ORIGINS)"
    )
    result = run_manage("shell", "-c", code, env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == [
        "True",
        "DENY",
        "same-origin",
        "same-origin",
        "True",
        "False",
        "['https://movieconnect.example']",
    ]
