"""Hostile query strings, ids and forms across every endpoint: a quick 4xx or a bounded
answer, never a 500 (the body limits themselves: tests/api/core/test_request_limits.py)."""

import pytest

from accounts.models import User
from mcbackend.throttling import RateLimit
from movies.models import Comment, Movie
from social.models import FriendRequest
from tests.factories import CommentFactory, FriendRequestFactory, MovieFactory, absent_pk

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"  # beyond a 64-bit integer


@pytest.fixture
def ids(user, other_user):
    movie = MovieFactory(title="Alien")
    for _ in range(3):
        CommentFactory(movie=movie, author=user)
    FriendRequestFactory(from_user=other_user, to_user=user)
    return {"movie": movie.pk, "user": other_user.pk}


def list_paths(ids):
    return [
        "/api/friends/",
        "/api/friend-requests/incoming/",
        "/api/friend-requests/outgoing/",
        "/api/movies/watch/",
        "/api/movies/popular/",
        "/api/user/movies/rated/",
        f"/api/movie/{ids['movie']}/comments/",
        "/api/user/search/?username=a",
        "/api/movie/search/?title=alien",
        f"/api/user/{ids['user']}/friends/",
        f"/api/user/{ids['user']}/movies/rated/",
    ]


def with_query(path, query):
    return f"{path}{'&' if '?' in path else '?'}{query}"


def test_huge_limits_are_clamped_or_refused_on_every_list(auth_client, ids):
    for path in list_paths(ids):
        clamped = auth_client.get(with_query(path, "limit=999999999999"))
        assert clamped.status_code == 200, path
        assert isinstance(clamped.json(), list)
        far = auth_client.get(with_query(path, "offset=999999999999"))
        assert (far.status_code, far.json()) == (200, []), path
        for bad in (f"limit={HUGE}", f"offset={HUGE}", "limit=-1", "limit=1e3", "limit=NaN"):
            response = auth_client.get(with_query(path, bad))
            assert response.status_code == 400, (path, bad)
            assert response.json() == {bad.split("=")[0]: ["Must be a non-negative integer."]}


def test_limit_is_clamped_to_the_maximum(auth_client, ids):
    for _ in range(205):
        CommentFactory(movie_id=ids["movie"])
    response = auth_client.get(f"/api/movie/{ids['movie']}/comments/?limit=999999999999")
    assert len(response.json()) == 200
    assert response["X-Total-Count"] == "208"


@pytest.mark.parametrize(
    ("path", "field", "limit"),
    [("/api/movie/search/", "title", 500), ("/api/user/search/", "username", 150)],
)
def test_100_kb_search_terms_are_a_quick_400(auth_client, path, field, limit):
    response = auth_client.get(path, {field: "a" * 100_000})
    assert response.status_code == 400
    assert response.json() == {field: [f"Ensure this field has no more than {limit} characters."]}
    post = auth_client.post("/api/movie/search/", {"title": "é" * 100_000}, format="json")
    assert post.status_code == 400


def test_long_query_strings_are_ignored_beyond_known_parameters(auth_client, ids):
    junk = "x=" + "y" * 100_000
    for path in list_paths(ids):
        assert auth_client.get(with_query(path, junk)).status_code == 200, path


@pytest.mark.parametrize(
    "query", ["title=%ff%fe", "title=%C0%AF", "title=a%00b", "username=%ff", "limit=%ff", "%ff=1"]
)
def test_non_utf8_and_nul_query_strings_are_not_server_errors(auth_client, ids, query):
    for path in [*list_paths(ids), "/api/movie/search/", "/api/user/search/"]:
        base = path.split("?")[0]
        response = auth_client.get(base, QUERY_STRING=query)
        assert response.status_code in (200, 400), (path, query, response.status_code)


def test_absurd_ids_are_404_everywhere(auth_client, ids):
    # Rows of every kind exist (ids), and the zero-padded id is one that none of them has.
    missing = absent_pk(User, Movie, Comment, FriendRequest)
    for method, path in [
        ("get", "/api/movie/{id}/"),
        ("get", "/api/movie/{id}/comments/"),
        ("get", "/api/movie/{id}/similar/"),
        ("post", "/api/movie/{id}/rate/"),
        ("post", "/api/movie/{id}/comment/"),
        ("delete", f"/api/movie/{{id}}/comment/?comment_id={missing}"),
        ("post", "/api/movie/{id}/watch/"),
        ("delete", "/api/movie/{id}/watch/"),
        ("get", "/api/user/{id}/profile/"),
        ("get", "/api/user/{id}/friends/"),
        ("get", "/api/user/{id}/movies/rated/"),
        ("post", "/api/send-friend-request/{id}/"),
        ("post", "/api/friend-requests/update/{id}/"),
        ("delete", "/api/friend-requests/update/{id}/"),
        ("delete", "/api/friend-requests/cancel/{id}/"),
        ("delete", "/api/user/remove-friend/{id}/"),
    ]:
        for absurd in (HUGE, "9223372036854775808", "0", str(missing).zfill(26)):
            body = {"rating": 3, "body": "hi"} if method == "post" else None
            response = getattr(auth_client, method)(path.format(id=absurd), body, format="json")
            assert response.status_code == 404, (method, path, absurd, response.content)
            assert "message" in response.json()


def test_absurd_comment_ids_are_400_or_404(auth_client):
    movie = MovieFactory()
    for comment_id, status in ((HUGE, 400), ("-1", 400), ("abc", 400), ("12345", 404)):
        response = auth_client.delete(f"/api/movie/{movie.pk}/comment/?comment_id={comment_id}")
        assert response.status_code == status, comment_id


def test_form_patch_means_what_json_means(auth_client, user):
    """A form without `is_private` must not read as is_private=false (DRF's HTML-form rule),
    and a blank field is blank (400 where blank is not allowed), not absent."""
    user.is_private = True
    user.save()
    response = auth_client.patch(
        "/api/user/update/", "bio=hello", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.bio, user.is_private) == ("hello", True)

    for fmt in ("multipart", None):
        kwargs = {"format": fmt} if fmt else {"content_type": "application/x-www-form-urlencoded"}
        data = {"password": ""} if fmt else "password="
        response = auth_client.patch("/api/user/update/", data, **kwargs)
        assert response.status_code == 400, fmt
        assert response.json() == {"password": ["This field may not be blank."]}


def test_form_rating_still_takes_a_numeric_string(auth_client):
    movie = MovieFactory()
    response = auth_client.post(
        f"/api/movie/{movie.pk}/rate/", {"rating": "4.5"}, format="multipart"
    )
    assert response.status_code == 201
    assert response.json()["data"]["rating"] == 4.5


def test_throttle_keys_stay_short_and_printable_for_any_username(api_client, user):
    weird = "\x00\n é " + "x" * 140
    key = RateLimit("login_failures_username", weird).key
    assert key.isascii()
    assert key.isprintable()
    assert len(key) < 100
    for username in (weird, "é x\t"):
        response = api_client.post(
            "/api/token/", {"username": username, "password": "x"}, format="json"
        )
        assert response.status_code in (400, 401)
