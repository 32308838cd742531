import pytest

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def search(client, term, **params):
    return client.get("/api/user/search/", {"username": term, **params})


def names(response):
    return [u["username"] for u in response.json()]


def test_finds_usernames_containing_the_term_any_case(auth_client):
    for name in ["Bobby", "kabob", "bo", "BOB", "alfred", "bobcat", "rob"]:
        UserFactory(username=name)

    response = search(auth_client, "bob")

    assert response.status_code == 200
    # exact (any case) first, then prefix matches, then the rest; each alphabetical
    assert names(response) == ["BOB", "Bobby", "bobcat", "kabob"]
    assert response["X-Total-Count"] == "4"
    bob = User.objects.get(username="BOB")
    assert response.json()[0] == {"id": bob.id, "username": "BOB"}


def test_without_trailing_slash(auth_client):
    UserFactory(username="bob")
    assert names(auth_client.get("/api/user/search?username=bob")) == ["bob"]


def test_term_is_trimmed(auth_client):
    UserFactory(username="bob")
    assert names(search(auth_client, "  bob ")) == ["bob"]


def test_searcher_and_private_users_are_included(auth_client, user):
    UserFactory(username="alicia", is_private=True)
    assert names(search(auth_client, "ali")) == ["alice", "alicia"]


def test_imported_movielens_users_are_included(auth_client):
    imported = User.objects.create(username="ml_user_7", movielens_id=7)
    imported.set_unusable_password()
    imported.save()
    assert names(search(auth_client, "ml_user")) == ["ml_user_7"]


def test_like_wildcards_are_literal(auth_client):
    UserFactory(username="a_b")
    UserFactory(username="axb")
    UserFactory(username="100%")
    assert names(search(auth_client, "_")) == ["a_b"]
    assert names(search(auth_client, "%")) == ["100%"]


def test_no_match_is_an_empty_list(auth_client):
    response = search(auth_client, "nobody-here")
    assert response.status_code == 200
    assert response.json() == []
    assert response["X-Total-Count"] == "0"


@pytest.mark.parametrize("params", [{}, {"username": ""}, {"username": "   "}])
def test_missing_or_blank_term_is_400(auth_client, params):
    response = auth_client.get("/api/user/search/", params)
    assert response.status_code == 400
    assert "username" in response.json()


@pytest.mark.parametrize("term", ["\u0301", "\u0301\u0308", "\u200b", "\ufe0f", "\u202e\u2066"])
def test_term_of_only_marks_or_invisible_characters_is_400(auth_client, term):
    UserFactory(username="bob")
    response = search(auth_client, term)
    assert response.status_code == 400
    assert response.json() == {
        "username": ["Must contain more than accents, spaces or invisible characters."]
    }


def test_nul_character_is_400(auth_client):
    assert search(auth_client, "bo\x00b").status_code == 400


def test_paginated(auth_client):
    for i in range(5):
        UserFactory(username=f"zz{i}")

    response = search(auth_client, "zz", limit=2, offset=2)

    assert names(response) == ["zz2", "zz3"]
    assert response["X-Total-Count"] == "5"


def test_bad_limit_is_400(auth_client):
    assert search(auth_client, "a", limit=-1).status_code == 400


def test_anonymous_gets_401(api_client):
    assert search(api_client, "bob").status_code == 401


def test_query_count_does_not_grow_with_rows(auth_client, django_assert_num_queries):
    UserFactory(username="qq0")
    with django_assert_num_queries(1):  # the page with its total
        assert len(search(auth_client, "qq").json()) == 1
    for i in range(1, 5):
        UserFactory(username=f"qq{i}")
    with django_assert_num_queries(1):
        assert len(search(auth_client, "qq").json()) == 5
