"""Moderators deleting comments in the admin: the movie's live stream hears `comment.deleted`,
as when the author deletes it (movies.services.comments_moderate_delete)."""

import pytest

from movies.models import Comment
from tests.factories import CommentFactory, MovieFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="moderator", is_staff=True, is_superuser=True))
    return client


def stream_events(layer_listener, movie):
    return [(m["event"], m["data"]) for m in layer_listener.drain(f"movie.{movie.pk}")]


def test_admin_delete_of_one_comment_publishes_comment_deleted(
    admin_client, layer_listener, django_capture_on_commit_callbacks
):
    movie = MovieFactory()
    comment = CommentFactory(movie=movie)
    layer_listener.join(f"movie.{movie.pk}")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/admin/movies/comment/{comment.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Comment.objects.exists()
    assert stream_events(layer_listener, movie) == [
        ("comment.deleted", {"movie_id": movie.pk, "comment_id": comment.pk})
    ]


def test_admin_bulk_delete_publishes_one_event_per_comment_on_its_movie(
    admin_client, layer_listener, django_capture_on_commit_callbacks
):
    heat, alien = MovieFactory(), MovieFactory()
    on_heat = CommentFactory(movie=heat)
    on_alien = [CommentFactory(movie=alien), CommentFactory(movie=alien)]
    kept = CommentFactory(movie=alien)
    layer_listener.join(f"movie.{heat.pk}")
    layer_listener.join(f"movie.{alien.pk}")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/movies/comment/",
            {
                "action": "delete_selected",
                "_selected_action": [on_heat.pk, *(c.pk for c in on_alien)],
                "post": "yes",
            },
        )

    assert response.status_code == 302
    assert list(Comment.objects.values_list("pk", flat=True)) == [kept.pk]
    assert stream_events(layer_listener, heat) == [
        ("comment.deleted", {"movie_id": heat.pk, "comment_id": on_heat.pk})
    ]
    assert stream_events(layer_listener, alien) == [
        ("comment.deleted", {"movie_id": alien.pk, "comment_id": c.pk}) for c in on_alien
    ]
