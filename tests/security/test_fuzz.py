"""Schemathesis against our own OpenAPI schema (/api/schema/), every operation, as a real user.

Each operation is one test: seeded data (movies, a friend, pending requests, a comment), a
Bearer token from a real login, then a bounded, derandomized set of generated requests (valid
and invalid) through Django's WSGI handler in this process, so the test database is shared.
Checks: schemathesis's defaults (no 5xx, status codes, content types, bodies and headers as
documented, invalid data rejected, valid data accepted, 405 for undocumented methods) plus
`ignored_auth` (the same request without or with a bad token is refused), `use_after_free`, and
`schema_is_complete`: every required header of the documented answer is there and parses, and the
body has every required field and no field the schema leaves out (tests/openapi_contract.py).
"""

import os
from contextlib import contextmanager

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, settings
from rest_framework.test import APIClient
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    ignored_auth,
    response_headers_conformance,
    use_after_free,
)

from accounts.models import RevokedSession, User
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
from tests.openapi_contract import ResponseChecker

pytestmark = pytest.mark.django_db

# CI bounds. A deeper run:
#   FUZZ_MAX_EXAMPLES=300 FUZZ_WORKFLOWS=300 pytest tests/security/test_fuzz.py
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "25"))  # per operation
WORKFLOWS = int(os.environ.get("FUZZ_WORKFLOWS", "40"))

# Valid by the schema but refused by rules no JSON Schema can state, as API.md specifies:
# weak, common or user-like passwords, birth dates in the future, names already taken, a
# friend request to yourself or blocking yourself, group picks naming someone who is not a
# friend, a feed cursor that is not an item id, an address Django's email validator refuses, a
# reset link the server never mailed. For these operations a 400 is an acceptable answer to
# valid data.
BUSINESS_RULE_400 = [
    "/api/user/signup/",
    "/api/user/update/",
    "/api/send-friend-request/{to_user_id}/",
    "/api/movie/search/",  # POST: `title` in the query string or the body, one of them
    "/api/recommendations/group/",
    "/api/user/{user_id}/block/",  # blocking yourself
    "/api/feed/",  # a `before` the server never issued
    "/api/user/password-reset/",  # addresses valid by `format: email` that Django refuses
    "/api/user/password-reset/confirm/",  # a uid and token the server never mailed
]
CONFIG = SchemathesisConfig.from_dict(
    {
        "operations": [
            {
                "include-path": path,
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "400", "401", "403", "404", "409", "429"]
                    }
                },
            }
            for path in BUSINESS_RULE_400
        ]
    }
)
schema = schemathesis.openapi.from_wsgi("/api/schema/", WSGIHandler(), config=CONFIG)
CONTRACT = ResponseChecker(schema.raw_schema)


def schema_is_complete(ctx, response, case):
    """The answer carries what the schema promises and nothing it leaves out: a client generated
    from the schema can read every field and header, and none is typed optional in vain."""
    if response.request.method.upper() != case.operation.method.upper():
        return  # a probe with another method (405 and OPTIONS: schemathesis's own checks)
    headers = {name: ", ".join(values) for name, values in response.headers.items()}
    problems = CONTRACT.problems(
        case.operation.method.upper(),
        case.operation.path,
        response.status_code,
        headers,
        response.content,
    )
    if problems:
        raise AssertionError("; ".join(problems))


CHECKS = [response_headers_conformance, schema_is_complete, ignored_auth, use_after_free]


@contextmanager
def connection_kept():
    """As Django's test client does: a request must not close the test's database connection
    (Django's own client reconnects these handlers after each of its requests)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


class Alice:
    """The fuzzed user. Cases may delete her, rename her or change her password: before each
    case she is put back and, when her old token no longer works, logs in again."""

    def __init__(self) -> None:
        self.user = UserFactory(username="alice", email="alice@example.com")
        self.headers: dict[str, str] = {}

    def login(self) -> None:
        response = APIClient().post(
            "/api/token/", {"username": "alice", "password": PASSWORD}, format="json"
        )
        assert response.status_code == 201, response.content
        self.headers = {"Authorization": f"Bearer {response.cookies['access_token'].value}"}

    def refresh(self) -> None:
        current = User.objects.filter(pk=self.user.pk).first()
        if current is None:
            User.objects.filter(username__iexact="alice").delete()
            self.user = UserFactory(username="alice", email="alice@example.com")
            self.login()
        elif (
            current.username != "alice"
            or current.auth_generation != self.user.auth_generation
            or not self.headers
            or RevokedSession.objects.filter(user=current).exists()  # she logged out
        ):
            RevokedSession.objects.filter(user=current).delete()
            User.objects.filter(username__iexact="alice").exclude(pk=current.pk).delete()
            current.username = "alice"
            current.set_password(PASSWORD)
            current.save()
            self.user = current
            self.login()


PLACEHOLDER = "Bearer alice-token"


@schema.auth(refresh_interval=None)
class AliceBearer:
    """Explicit credentials, so `ignored_auth` knows every success came with a real token."""

    def get(self, case, ctx):
        # Some cases are built while pytest collects, before alice exists: the test puts her
        # current token in place of this one before each call.
        return PLACEHOLDER

    def set(self, case, data, ctx):
        case.headers = {**(case.headers or {}), "Authorization": data}


@pytest.fixture
def alice(db, settings):
    """A little world with ids to find; alice's token comes from a real login."""
    # Thousands of requests in a minute: the per-user limit is tested in tests/api, not here.
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "user": "1000000/m"}
    alice = Alice()
    bob = UserFactory(username="bob", email="bob@example.com")
    carol = UserFactory(username="carol", email="carol@example.com", is_private=True)
    dave = UserFactory(username="dave", email="dave@example.com")
    movies = [MovieFactory(title=title) for title in ("Alien", "Aliens", "Heat", "Amélie")]
    FriendshipFactory(user_low=alice.user, user_high=bob)
    FriendRequestFactory(from_user=carol, to_user=alice.user)
    FriendRequestFactory(from_user=alice.user, to_user=dave)
    RatingFactory(user=alice.user, movie=movies[0])
    RatingFactory(user=bob, movie=movies[1])
    CommentFactory(author=alice.user, movie=movies[0])
    CommentFactory(author=bob, movie=movies[0])
    WatchlistItemFactory(user=alice.user, movie=movies[2])
    return alice


def _values(body: object) -> list[object]:
    return list(body.values()) if isinstance(body, dict) else []


def prepare(case, alice: Alice) -> None:
    """Alice's live token in place of the placeholder; forms Django can read."""
    alice.refresh()
    if (case.headers or {}).get("Authorization") == PLACEHOLDER:
        # Otherwise the case is about missing or made-up credentials: leave them as generated.
        case.headers["Authorization"] = alice.headers["Authorization"]
    if (case.media_type or "").startswith("multipart/") and "" in _values(case.body):
        # Werkzeug's test client encodes an empty multipart field without the line break that
        # ends it, so Django never sees the field; a urlencoded form carries the same data.
        case.media_type = "application/x-www-form-urlencoded"


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, alice):
    prepare(case, alice)
    with connection_kept():
        case.call_and_validate(additional_checks=CHECKS)


def test_api_workflows(alice):
    """Sequences along the links schemathesis infers (list -> item -> delete -> read again...),
    so the stateful checks (`use_after_free`, resource availability) see related calls."""

    class Workflow(schema.as_state_machine()):
        """Each example starts from the same data: its writes are rolled back afterwards, and
        throttle counters cleared, so every run of a sequence sees the same answers."""

        def setup(self):
            cache.clear()
            self._atomic = transaction.atomic()
            self._atomic.__enter__()

        def teardown(self):
            transaction.set_rollback(True)
            self._atomic.__exit__(None, None, None)

        def before_call(self, case):
            prepare(case, alice)

        def call(self, case, **kwargs):
            with connection_kept():
                return case.call(**kwargs)

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            with connection_kept():  # the auth checks send probes of their own
                super().validate_response(response, case, additional_checks=CHECKS, **kwargs)

    Workflow.run(
        settings=settings(
            max_examples=WORKFLOWS,
            stateful_step_count=6,
            derandomize=True,
            # Rows are rolled back between examples but database sequences are not, so a replay
            # sees other ids: shrinking would report FlakyStrategyDefinition, not the failure.
            phases=[Phase.explicit, Phase.generate],
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )
