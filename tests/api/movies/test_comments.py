import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from movies.models import Comment, Movie
from movies.services import comment_create
from tests.factories import CommentFactory, MovieFactory, UserFactory, absent_pk

pytestmark = pytest.mark.django_db


def _iso(value: datetime.datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


# ---------------------------------------------------------------- list


def test_comments_newest_first(auth_client, other_user):
    movie = MovieFactory()
    now = timezone.now()
    old = CommentFactory(movie=movie, author=other_user, body="First!", created=now)
    new = CommentFactory(
        movie=movie, author=other_user, body="Second", created=now + datetime.timedelta(1)
    )
    CommentFactory(body="another movie")

    response = auth_client.get(f"/api/movie/{movie.id}/comments/")

    assert response.status_code == 200
    assert response["X-Total-Count"] == "2"
    assert response.json() == [
        {"id": new.id, "body": "Second", "timestamp": _iso(new.created), "username": "bob"},
        {"id": old.id, "body": "First!", "timestamp": _iso(old.created), "username": "bob"},
    ]


def test_comments_paginate(auth_client):
    movie = MovieFactory()
    now = timezone.now()
    comments = [
        CommentFactory(movie=movie, created=now + datetime.timedelta(seconds=i)) for i in range(5)
    ]

    response = auth_client.get(f"/api/movie/{movie.id}/comments?limit=2&offset=1")

    assert response["X-Total-Count"] == "5"
    assert [c["id"] for c in response.json()] == [comments[3].id, comments[2].id]


@pytest.mark.parametrize(
    ("query", "ids_from_newest"),
    [("limit=2&offset=3", [3, 4]), ("limit=2&offset=5", []), ("limit=2&offset=99", []),
     ("limit=0", [])],
)  # fmt: skip
def test_comments_total_on_every_page_and_past_the_end(auth_client, query, ids_from_newest):
    """The total comes with the page's rows; past the last page, or with limit=0, it is still
    the whole count."""
    movie = MovieFactory()
    now = timezone.now()
    comments = [
        CommentFactory(movie=movie, created=now - datetime.timedelta(seconds=i)) for i in range(5)
    ]

    response = auth_client.get(f"/api/movie/{movie.id}/comments/?{query}")

    assert response.status_code == 200
    assert response["X-Total-Count"] == "5"
    assert [c["id"] for c in response.json()] == [comments[i].id for i in ids_from_newest]


def test_comments_limit_is_clamped_to_200(auth_client):
    movie = MovieFactory()
    CommentFactory.create_batch(3, movie=movie)
    response = auth_client.get(f"/api/movie/{movie.id}/comments/?limit=100000")
    assert response.status_code == 200
    assert len(response.json()) == 3


@pytest.mark.parametrize("limit", ["abc", "-1", "1e3"])
def test_comments_bad_limit_is_400(auth_client, limit):
    movie = MovieFactory()
    response = auth_client.get(f"/api/movie/{movie.id}/comments/?limit={limit}")
    assert response.status_code == 400
    assert "limit" in response.json()


def test_comments_of_unknown_movie_404(auth_client):
    response = auth_client.get(f"/api/movie/{absent_pk(Movie)}/comments/")
    assert response.status_code == 404
    assert response.json() == {"message": "Movie not found"}


def test_comments_anonymous_401(api_client):
    assert api_client.get(f"/api/movie/{MovieFactory().id}/comments/").status_code == 401


@pytest.mark.parametrize("rows", [1, 5])
def test_comments_query_count_is_constant(auth_client, django_assert_num_queries, rows):
    movie = MovieFactory()
    for _ in range(rows):
        CommentFactory(movie=movie, author=UserFactory())
    # The movie's summary (materialised: read once per process), then the page with its total
    # (COUNT(*) OVER ()) and the authors joined.
    with django_assert_num_queries(2):
        response = auth_client.get(f"/api/movie/{movie.id}/comments/")
    assert len(response.json()) == rows


# ---------------------------------------------------------------- create


def test_user_adds_comment(auth_client, user):
    movie = MovieFactory()

    response = auth_client.post(
        f"/api/movie/{movie.id}/comment/", {"body": "  Loved it!  "}, format="json"
    )

    assert response.status_code == 201
    comment = Comment.objects.get()
    assert (comment.author, comment.movie, comment.body) == (user, movie, "Loved it!")
    assert response.json() == {
        "message": "Comment added.",
        "data": {
            "id": comment.id,
            "body": "Loved it!",
            "timestamp": _iso(comment.created),
            "username": "alice",
        },
    }


def test_comment_form_post_without_slash(auth_client):
    movie = MovieFactory()
    response = auth_client.post(f"/api/movie/{movie.id}/comment", {"body": "Nice"})
    assert response.status_code == 201


def test_comment_of_2000_characters_is_accepted(auth_client):
    movie = MovieFactory()
    response = auth_client.post(
        f"/api/movie/{movie.id}/comment/", {"body": "x" * 2000}, format="json"
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    "payload",
    [{}, {"body": ""}, {"body": "   \n "}, {"body": "x" * 2001}, {"body": None}, {"body": ["a"]}],
)
def test_invalid_comment_is_400(auth_client, payload):
    movie = MovieFactory()
    response = auth_client.post(f"/api/movie/{movie.id}/comment/", payload, format="json")
    assert response.status_code == 400
    assert "body" in response.json()
    assert not Comment.objects.exists()


def test_comment_on_unknown_movie_404(auth_client):
    response = auth_client.post(
        f"/api/movie/{absent_pk(Movie)}/comment/", {"body": "Hi"}, format="json"
    )
    assert response.status_code == 404
    assert response.json() == {"message": "Movie not found"}


def test_comment_anonymous_401(api_client):
    movie = MovieFactory()
    response = api_client.post(f"/api/movie/{movie.id}/comment/", {"body": "Hi"}, format="json")
    assert response.status_code == 401


def test_comment_created_event(auth_client, layer_listener, django_capture_on_commit_callbacks):
    movie = MovieFactory()
    layer_listener.join(f"movie.{movie.id}")

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post(
            f"/api/movie/{movie.id}/comment/", {"body": "Live!"}, format="json"
        )

    messages = layer_listener.drain(f"movie.{movie.id}")
    assert len(messages) == 1
    assert messages[0]["event"] == "comment.created"
    assert messages[0]["data"] == {"movie_id": movie.id, "comment": response.json()["data"]}


def test_failed_transaction_publishes_nothing(
    user, layer_listener, django_capture_on_commit_callbacks
):
    movie = MovieFactory()
    layer_listener.join(f"movie.{movie.id}")

    def comment_then_fail() -> None:
        with transaction.atomic():
            comment_create(author=user, movie=movie, body="Never seen")
            raise RuntimeError("boom")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        comment_then_fail()

    assert layer_listener.drain(f"movie.{movie.id}") == []
    assert not Comment.objects.exists()


# ---------------------------------------------------------------- delete


def test_author_deletes_comment_by_body(auth_client, user):
    comment = CommentFactory(author=user)

    response = auth_client.delete(
        f"/api/movie/{comment.movie_id}/comment/", {"comment_id": comment.id}, format="json"
    )

    assert response.status_code == 204
    assert not Comment.objects.exists()


def test_author_deletes_comment_by_query_string(auth_client, user):
    comment = CommentFactory(author=user)

    response = auth_client.delete(f"/api/movie/{comment.movie_id}/comment?comment_id={comment.id}")

    assert response.status_code == 204
    assert not Comment.objects.exists()


def test_someone_elses_comment_is_404(auth_client, other_user):
    comment = CommentFactory(author=other_user)

    response = auth_client.delete(
        f"/api/movie/{comment.movie_id}/comment/", {"comment_id": comment.id}, format="json"
    )

    assert response.status_code == 404
    assert response.json() == {"message": "Comment not found"}
    assert Comment.objects.filter(pk=comment.pk).exists()


def test_comment_of_another_movie_is_404(auth_client, user):
    comment = CommentFactory(author=user)
    other_movie = MovieFactory()

    response = auth_client.delete(
        f"/api/movie/{other_movie.id}/comment/", {"comment_id": comment.id}, format="json"
    )

    assert response.status_code == 404
    assert Comment.objects.filter(pk=comment.pk).exists()


@pytest.mark.parametrize(
    "payload", [{}, {"comment_id": "abc"}, {"comment_id": None}, {"comment_id": 10**30}]
)
def test_delete_without_valid_comment_id_is_400(auth_client, payload):
    movie = MovieFactory()
    response = auth_client.delete(f"/api/movie/{movie.id}/comment/", payload, format="json")
    assert response.status_code == 400
    assert "comment_id" in response.json()


def test_delete_without_comment_id_says_it_is_required(auth_client):
    movie = MovieFactory()
    response = auth_client.delete(f"/api/movie/{movie.id}/comment/")
    assert response.status_code == 400
    assert response.json() == {"comment_id": ["This field is required."]}


def test_delete_unknown_comment_is_404(auth_client):
    movie = MovieFactory()
    response = auth_client.delete(f"/api/movie/{movie.id}/comment/?comment_id={absent_pk(Comment)}")
    assert response.status_code == 404


def test_delete_on_unknown_movie_is_404(auth_client):
    response = auth_client.delete(
        f"/api/movie/{absent_pk(Movie)}/comment/?comment_id={absent_pk(Comment)}"
    )
    assert response.status_code == 404
    assert response.json() == {"message": "Movie not found"}


def test_delete_anonymous_401(api_client):
    comment = CommentFactory()
    response = api_client.delete(f"/api/movie/{comment.movie_id}/comment/?comment_id={comment.id}")
    assert response.status_code == 401


def test_comment_deleted_event(
    auth_client, user, layer_listener, django_capture_on_commit_callbacks
):
    comment = CommentFactory(author=user)
    layer_listener.join(f"movie.{comment.movie_id}")

    with django_capture_on_commit_callbacks(execute=True):
        auth_client.delete(f"/api/movie/{comment.movie_id}/comment/?comment_id={comment.id}")

    messages = layer_listener.drain(f"movie.{comment.movie_id}")
    assert [(m["event"], m["data"]) for m in messages] == [
        ("comment.deleted", {"movie_id": comment.movie_id, "comment_id": comment.id})
    ]
