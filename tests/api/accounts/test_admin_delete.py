"""Moderators deleting accounts in the admin get the same clean-up as a self-deletion."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from tests.factories import MovieFactory, UserFactory

pytestmark = pytest.mark.django_db


def rate(user: User, movie_id: int, value: str) -> None:
    client = APIClient()
    client.force_authenticate(user)
    assert (
        client.post(f"/api/movie/{movie_id}/rate/", {"rating": value}, format="json").status_code
        == 201
    )


@pytest.fixture
def admin_client(client):
    admin = UserFactory(username="moderator", is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


def test_admin_delete_keeps_movie_aggregates_exact(admin_client, user, other_user):
    movie = MovieFactory()
    rate(user, movie.id, "5.0")
    rate(other_user, movie.id, "3.0")

    response = admin_client.post(f"/admin/accounts/user/{user.id}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()
    movie.refresh_from_db()
    assert (movie.ratings_count, movie.ratings_sum) == (1, Decimal("3.0"))


def test_admin_bulk_delete_keeps_movie_aggregates_exact(admin_client, user, other_user):
    movie = MovieFactory()
    rate(user, movie.id, "4.5")
    rate(other_user, movie.id, "2.0")

    response = admin_client.post(
        "/admin/accounts/user/",
        {"action": "delete_selected", "_selected_action": [user.id, other_user.id], "post": "yes"},
    )

    assert response.status_code == 302
    movie.refresh_from_db()
    assert (movie.ratings_count, movie.ratings_sum) == (0, Decimal("0.0"))
