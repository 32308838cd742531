"""The username rule the server applies is the pattern the schema states, in any regex dialect."""

import re

import pytest

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NAMES = [
    ("alice", True),
    ("Zoë.o'", False),
    ("Zoë.o", True),
    ("李小龙", True),
    ("Ωmega_7+@-", True),
    ("user😀", True),  # astral: one code point in Python, two code units in JavaScript
    ("a b", False),
    ("a/b", False),
    ("a\u200bb", False),  # zero-width space
    ("a\u00a0b", False),  # no-break space
    ("a\u202eb", False),  # right-to-left override
    ("ta\tb", False),
]


@pytest.fixture(scope="module")
def pattern(django_db_blocker) -> str:
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    properties = schema["components"]["schemas"]["SignupInputRequest"]["properties"]
    return properties["username"]["pattern"]


def test_schema_pattern_uses_no_dialect_dependent_syntax(pattern):
    # \w, \s, \d and \p{...} mean different things in JavaScript, Python and PCRE.
    assert not re.search(r"\\[wWsSdDpPu]", pattern)


@pytest.mark.parametrize(("name", "valid"), NAMES)
def test_server_accepts_exactly_what_the_pattern_admits(api_client, pattern, name, valid):
    response = api_client.post(
        "/api/user/signup/",
        {
            "username": name,
            "email": "x@example.com",
            "password": PASSWORD * 2,
            "birth_date": "1990-01-01",
        },
        format="json",
    )

    assert (re.search(pattern, name) is not None) is valid
    assert response.status_code == (201 if valid else 400), response.json()
    if not valid:
        assert "username" in response.json()


def test_lone_surrogates_are_refused_not_stored(api_client):
    response = api_client.post(
        "/api/user/signup/",
        '{"username": "a\\ud800", "email": "x@example.com", "password": "%s",'
        ' "birth_date": "1990-01-01"}' % (PASSWORD * 2),
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "username" in response.json()
