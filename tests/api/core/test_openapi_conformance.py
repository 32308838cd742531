"""Real answers of every operation, successes and errors, validate against /api/schema/.

A generated client trusts the schema: a status, header or field it leaves out is one the client
cannot handle. Each call below is made through HTTP on a small world and its answer is checked
by tests.openapi_contract (status documented, body valid against a closed schema, required
headers present). Some errors are checked for every operation without being listed: 401 when
anonymous, 403 for a cookie request from an untrusted Origin, 405 for another method, 406 for an
`Accept` the API cannot meet.

`test_every_operation_is_covered` fails for an operation (new ones included) that has no call
for one of its documented statuses: add one line to CALLS.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.test import APIClient

from accounts.tokens import session_tokens_for_user
from tests.factories import (
    PASSWORD,
    CommentFactory,
    FriendRequestFactory,
    FriendshipFactory,
    MovieFactory,
    RatingFactory,
    UserFactory,
    WatchlistItemFactory,
)
from tests.openapi_contract import ResponseChecker, operations

pytestmark = pytest.mark.django_db

# Statuses no call has to show: the server answers them under load or outage (tests/faults,
# tests/security/test_login_abuse.py), or for bodies over the limit (tests/api/core).
NOT_DEMONSTRATED = {"413", "429", "500", "503"}
NEW_PASSWORD = "a long and unusual passphrase 42"


@dataclass(frozen=True)
class C:
    """One call: "METHOD /path/template/", the status it must answer, who calls (`alice`, or
    `anon`), and what it sends. Path ids default to the world's ids by parameter name
    (DEFAULT_IDS); a value "@name" anywhere is the world's id (or token) of that name."""

    op: str
    status: int
    as_: str = "alice"
    path: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, Any] | None = None
    body: Mapping[str, Any] | None = None
    cookies: Mapping[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.op} -> {self.status} {dict(self.path) or ''}{self.query or ''}".strip()


DEFAULT_IDS = {
    "movie_id": "movie",
    "user_id": "friend",
    "friend_id": "friend",
    "request_id": "incoming",
    "to_user_id": "stranger",
}
SIGNUP = {
    "username": "zoë.new",
    "email": "zoe@example.com",
    "password": NEW_PASSWORD,
    "birth_date": "1990-04-01",
}

CALLS = [
    C("GET /api/health/", 200, as_="anon"),
    C("POST /api/user/signup/", 201, as_="anon", body=SIGNUP),
    C("POST /api/user/signup/", 400, as_="anon", body={**SIGNUP, "username": "zoë new"}),
    C("POST /api/token/", 201, as_="anon", body={"username": "alice", "password": PASSWORD}),
    C("POST /api/token/", 400, as_="anon", body={"username": "alice"}),
    C("POST /api/token/", 401, as_="anon", body={"username": "alice", "password": "wrong"}),
    C("POST /api/token/refresh/", 200, as_="anon", body={"refresh": "@refresh"}),
    C("POST /api/token/refresh/", 200, as_="anon", cookies={"refresh_token": "@refresh"}),
    C("POST /api/token/refresh/", 400, as_="anon", body={"refresh": ["a", "list"]}),
    C("POST /api/token/refresh/", 401, as_="anon", body={"refresh": "not-a-token"}),
    C("POST /api/user/logout/", 200, cookies={"refresh_token": "@refresh"}),
    C("POST /api/user/logout/", 200, body={"refresh": "@refresh"}),
    C("POST /api/user/logout/", 400, body={"refresh": 0}),
    C("POST /api/user/password-reset/", 202, as_="anon", body={"email": "Alice@example.com"}),
    C("POST /api/user/password-reset/", 400, as_="anon", body={"email": "not-an-email"}),
    C(
        "POST /api/user/password-reset/confirm/",
        200,
        as_="anon",
        body={"uid": "@reset_uid", "token": "@reset_token", "password": NEW_PASSWORD},
    ),
    C(
        "POST /api/user/password-reset/confirm/",
        400,
        as_="anon",
        body={"uid": "@reset_uid", "token": "not-the-token", "password": NEW_PASSWORD},
    ),
    C("DELETE /api/user/delete/", 204),
    C("GET /api/user/profile/", 200),
    C("PUT /api/user/update/", 200, body={"bio": "", "is_private": True}),
    C("PUT /api/user/update/", 400, body={"is_private": "maybe"}),
    C("PATCH /api/user/update/", 200, body={"password": NEW_PASSWORD}),
    C("PATCH /api/user/update/", 400, body={"username": "BOB"}),
    C("GET /api/user/movies/rated/", 200),
    C("GET /api/user/movies/rated/", 400, query={"limit": "-1"}),
    C("GET /api/user/movies/", 200, query={"limit": 5}),
    C("GET /api/user/movies/", 400, query={"limit": "many"}),
    C("GET /api/movies/popular/", 200),
    C("GET /api/movies/popular/", 400, query={"offset": "-3"}),
    C("GET /api/movies/watch/", 200),
    C("GET /api/movies/watch/", 400, query={"limit": "x"}),
    C("GET /api/friends/", 200),
    C("GET /api/friends/", 400, query={"limit": "x"}),
    C("DELETE /api/user/remove-friend/{friend_id}/", 204),
    C("DELETE /api/user/remove-friend/{friend_id}/", 404, path={"friend_id": "stranger"}),
    C("GET /api/friend-requests/incoming/", 200),
    C("GET /api/friend-requests/incoming/", 400, query={"limit": "x"}),
    C("GET /api/friend-requests/outgoing/", 200),
    C("GET /api/friend-requests/outgoing/", 400, query={"offset": "x"}),
    C("POST /api/friend-requests/update/{request_id}/", 200),
    C("POST /api/friend-requests/update/{request_id}/", 404, path={"request_id": "outgoing"}),
    C("DELETE /api/friend-requests/update/{request_id}/", 204),
    C("DELETE /api/friend-requests/update/{request_id}/", 404, path={"request_id": "missing"}),
    C("DELETE /api/friend-requests/cancel/{request_id}/", 204, path={"request_id": "outgoing"}),
    C("DELETE /api/friend-requests/cancel/{request_id}/", 404),
    C("GET /api/user/search/", 200, query={"username": "bo"}),
    C("GET /api/user/search/", 400, query={"username": "  "}),
    C("GET /api/movie/search/", 200, query={"title": "ali", "limit": 1, "offset": 1}),
    C("GET /api/movie/search/", 400, query={"title": ""}),
    C("POST /api/movie/search/", 200, body={"title": "ali"}),
    C("POST /api/movie/search/", 200, query={"title": "ali", "limit": 1}, body={}),
    C("POST /api/movie/search/", 400, body={}),
    C("GET /api/movie/{movie_id}/", 200),
    C("GET /api/movie/{movie_id}/", 404, path={"movie_id": "missing"}),
    C("GET /api/movie/{movie_id}/comments/", 200),
    C("GET /api/movie/{movie_id}/comments/", 400, query={"limit": "x"}),
    C("GET /api/movie/{movie_id}/comments/", 404, path={"movie_id": "missing"}),
    C("GET /api/movie/{movie_id}/similar/", 200),
    C("GET /api/movie/{movie_id}/similar/", 404, path={"movie_id": "missing"}),
    C("POST /api/movie/{movie_id}/rate/", 201, path={"movie_id": "unrated"}, body={"rating": 4}),
    C("POST /api/movie/{movie_id}/rate/", 200, body={"rating": 4.5}),
    C("POST /api/movie/{movie_id}/rate/", 400, body={"rating": 6}),
    C("POST /api/movie/{movie_id}/rate/", 404, path={"movie_id": "missing"}, body={"rating": 4}),
    C("POST /api/movie/{movie_id}/comment/", 201, body={"body": "Still the best."}),
    C("POST /api/movie/{movie_id}/comment/", 400, body={"body": "   "}),
    C("POST /api/movie/{movie_id}/comment/", 404, path={"movie_id": "missing"}, body={"body": "x"}),
    C("DELETE /api/movie/{movie_id}/comment/", 204, query={"comment_id": "@comment"}),
    C("DELETE /api/movie/{movie_id}/comment/", 400),
    C("DELETE /api/movie/{movie_id}/comment/", 404, query={"comment_id": "@others_comment"}),
    C("POST /api/movie/{movie_id}/watch/", 201),
    C("POST /api/movie/{movie_id}/watch/", 404, path={"movie_id": "missing"}),
    C("DELETE /api/movie/{movie_id}/watch/", 204),
    C("DELETE /api/movie/{movie_id}/watch/", 404, path={"movie_id": "missing"}),
    C("GET /api/user/{user_id}/profile/", 200, path={"user_id": "private"}),
    C("GET /api/user/{user_id}/profile/", 404, path={"user_id": "missing"}),
    C("GET /api/user/{user_id}/friends/", 200),
    C("GET /api/user/{user_id}/friends/", 400, query={"limit": "x"}),
    C("GET /api/user/{user_id}/friends/", 403, path={"user_id": "private"}),
    C("GET /api/user/{user_id}/friends/", 404, path={"user_id": "missing"}),
    C("GET /api/user/{user_id}/movies/rated/", 200),
    C("GET /api/user/{user_id}/movies/rated/", 400, query={"limit": "x"}),
    C("GET /api/user/{user_id}/movies/rated/", 403, path={"user_id": "private"}),
    C("GET /api/user/{user_id}/movies/rated/", 404, path={"user_id": "missing"}),
    C("POST /api/send-friend-request/{to_user_id}/", 201),
    C("POST /api/send-friend-request/{to_user_id}/", 400, path={"to_user_id": "alice"}),
    C("POST /api/send-friend-request/{to_user_id}/", 404, path={"to_user_id": "missing"}),
    C("POST /api/send-friend-request/{to_user_id}/", 409, path={"to_user_id": "friend"}),
    C("POST /api/send-friend-request/{to_user_id}/", 409, path={"to_user_id": "private"}),
    C("GET /api/user/movies/lists/", 200, query={"limit": 3}),
    C("GET /api/user/movies/lists/", 400, query={"limit": "x"}),
    C("POST /api/recommendations/group/", 200, body={"user_ids": ["@friend"]}),
    C("POST /api/recommendations/group/", 400, body={"user_ids": ["@stranger"]}),
    C("GET /api/feed/", 200, query={"limit": 5}),
    C("GET /api/feed/", 400, query={"before": "not-an-item"}),
    C("GET /api/notifications/", 200, query={"unread": "true"}),
    C("GET /api/notifications/", 400, query={"unread": "maybe"}),
    C("GET /api/notifications/unread-count/", 200),
    C("POST /api/notifications/read/", 200, body={"up_to": 10}),
    C("POST /api/notifications/read/", 400, body={"up_to": -1}),
    C("POST /api/user/{user_id}/block/", 201, path={"user_id": "stranger"}),
    C("POST /api/user/{user_id}/block/", 400, path={"user_id": "alice"}),
    C("POST /api/user/{user_id}/block/", 404, path={"user_id": "missing"}),
    C("DELETE /api/user/{user_id}/block/", 204),
    C("DELETE /api/user/{user_id}/block/", 404, path={"user_id": "missing"}),
    C("GET /api/user/blocked/", 200),
    C("GET /api/user/blocked/", 400, query={"limit": "x"}),
]


class World:
    """alice (who calls) with a friend (bob), a private stranger who asked her to be friends
    (carol), a public stranger (erin), her request to dave, ratings, comments, a watch list."""

    def __init__(self) -> None:
        self.alice = UserFactory(username="alice", email="alice@example.com", bio="Hi.")
        bob = UserFactory(username="bob", email="bob@example.com")
        carol = UserFactory(username="carol", email="carol@example.com", is_private=True)
        dave = UserFactory(username="dave", email="dave@example.com")
        erin = UserFactory(username="erin", email="erin@example.com")
        movie = MovieFactory(title="Alien", overview="In space.", runtime=117)
        MovieFactory(title="Aliens")
        unrated = MovieFactory(title="Heat")
        FriendshipFactory(user_low=self.alice, user_high=bob)
        incoming = FriendRequestFactory(from_user=carol, to_user=self.alice)
        outgoing = FriendRequestFactory(from_user=self.alice, to_user=dave)
        RatingFactory(user=self.alice, movie=movie)
        RatingFactory(user=bob, movie=movie)
        RatingFactory(user=bob, movie=unrated)
        comment = CommentFactory(author=self.alice, movie=movie)
        others = CommentFactory(author=bob, movie=movie)
        WatchlistItemFactory(user=self.alice, movie=unrated)
        self.access, refresh = session_tokens_for_user(self.alice)
        self.ids: dict[str, Any] = {
            "alice": self.alice.pk,
            "friend": bob.pk,
            "private": carol.pk,
            "stranger": erin.pk,
            "movie": movie.pk,
            "unrated": unrated.pk,
            "incoming": incoming.pk,
            "outgoing": outgoing.pk,
            "comment": comment.pk,
            "others_comment": others.pk,
            "missing": 999_999,
            "refresh": refresh,
            "reset_uid": urlsafe_base64_encode(force_bytes(erin.pk)),
            "reset_token": default_token_generator.make_token(erin),
        }

    def resolve(self, value: Any) -> Any:
        if isinstance(value, str) and value.startswith("@"):
            return self.ids[value[1:]]
        if isinstance(value, Mapping):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value

    def url(self, template: str, overrides: Mapping[str, str] | None = None) -> str:
        names = {**DEFAULT_IDS, **(overrides or {})}
        path = template
        for param, name in names.items():
            path = path.replace("{" + param + "}", str(self.ids[name]))
        assert "{" not in path, f"no id for a parameter of {template}"
        return path

    def client(self, as_: str) -> APIClient:
        client = APIClient()
        if as_ == "alice":
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {self.access}")
        return client


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict[str, Any]:
    with django_db_blocker.unblock():
        return APIClient().get("/api/schema/", {"format": "json"}).json()


@pytest.fixture(scope="module")
def checker(schema) -> ResponseChecker:
    return ResponseChecker(schema)


@pytest.fixture
def world(settings) -> World:
    settings.ML_REFRESH_SYNC = True  # no background refresh thread outliving the test
    return World()


def _send(client: APIClient, method: str, url: str, **kwargs: Any) -> Any:
    return client.generic(method, url, **kwargs)


def _check(checker: ResponseChecker, method: str, template: str, response: Any) -> list[str]:
    headers = dict(response.headers)
    if response.cookies:  # Django keeps Set-Cookie apart from the other headers
        headers["Set-Cookie"] = response.cookies.output(header="", sep=",").strip()
    return checker.problems(method, template, response.status_code, headers, response.content)


@pytest.mark.parametrize("call", CALLS, ids=str)
def test_answer_matches_the_schema(call: C, world: World, checker: ResponseChecker):
    method, template = call.op.split(" ", 1)
    client = world.client(call.as_)
    for name, value in call.cookies.items():
        client.cookies[name] = world.resolve(value)
    url = world.url(template, call.path)
    query = world.resolve(call.query) if call.query else None
    body = world.resolve(call.body) if call.body is not None else None
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    kwargs: dict[str, Any] = {}
    if body is not None:
        kwargs = {"data": APIClient()._encode_json(body, "application/json")}
        kwargs["content_type"] = "application/json"
    response = _send(client, method, url, **kwargs)

    assert response.status_code == call.status, response.content
    assert _check(checker, method, template, response) == []
    if body and response.status_code < 300:  # what the server took, the schema must admit
        assert checker.request_problems(method, template, body) == []


def test_every_operation_is_covered(schema: dict[str, Any]):
    """Each documented status of each operation is shown by a call in CALLS (or checked for
    every operation below), and every call names an operation of the schema."""
    covered: dict[str, set[str]] = {}
    for call in CALLS:
        covered.setdefault(call.op, set()).add(str(call.status))
    missing = []
    known = set()
    for method, template, operation in operations(schema):
        op = f"{method} {template}"
        known.add(op)
        automatic = {"405", "406"}
        if operation.get("security"):
            automatic.add("401")
            if method != "GET":
                automatic.add("403")
        needed = set(operation["responses"]) - NOT_DEMONSTRATED - automatic
        if method != "GET" and operation.get("security") and "403" in needed:
            needed.discard("403")
        missing += [
            f'    C("{op}", {status}, ...),' for status in sorted(needed - covered.get(op, set()))
        ]
    unknown = sorted(set(covered) - known)
    assert not missing, "operations with a documented status no call shows; add to CALLS:\n" + (
        "\n".join(missing)
    )
    assert not unknown, f"calls to operations the schema does not have: {unknown}"


def test_anonymous_calls_answer_401_as_documented(schema, world: World, checker):
    problems = []
    for method, template, operation in operations(schema):
        if not operation.get("security"):
            continue
        response = _send(APIClient(), method, world.url(template))
        if response.status_code != 401:
            problems.append(f"{method} {template}: anonymous got {response.status_code}")
        problems += _check(checker, method, template, response)
    assert problems == []


def test_cookie_writes_from_an_untrusted_origin_answer_403_as_documented(
    schema, world: World, checker
):
    problems = []
    for method, template, operation in operations(schema):
        if method == "GET" or not operation.get("security"):
            continue
        client = APIClient()
        client.cookies["access_token"] = world.access
        response = _send(client, method, world.url(template), HTTP_ORIGIN="https://evil.example")
        if response.status_code != 403:
            problems.append(f"{method} {template}: untrusted Origin got {response.status_code}")
        problems += _check(checker, method, template, response)
    assert problems == []


def test_other_methods_answer_405_as_documented(schema, world: World, checker):
    problems = []
    for template, item in schema["paths"].items():
        documented = [m.upper() for m in item if m in ("get", "post", "put", "patch", "delete")]
        other = next(m for m in ("PUT", "PATCH", "DELETE", "POST", "GET") if m not in documented)
        response = _send(world.client("alice"), other, world.url(template))
        if response.status_code != 405:
            problems.append(f"{other} {template}: got {response.status_code}")
        for method in documented:  # every operation of the path documents the same answer
            problems += _check(checker, method, template, response)
    assert problems == []


def test_unacceptable_accept_answers_406_as_documented(schema, world: World, checker):
    problems = []
    for method, template, _operation in operations(schema):
        response = _send(
            world.client("alice"), method, world.url(template), HTTP_ACCEPT="text/html"
        )
        if response.status_code != 406:
            problems.append(f"{method} {template}: Accept text/html got {response.status_code}")
        problems += _check(checker, method, template, response)
    assert problems == []
