"""Hot lists build their JSON directly; the serializers that document them must agree."""

import datetime

import pytest
from rest_framework import serializers

from accounts.serializers import UserSummaryOutputSerializer
from movies.serializers import CommentOutputSerializer, MovieSummaryOutputSerializer, movie_summary
from social.serializers import FriendRequestOutputSerializer
from tests.factories import CommentFactory, FriendRequestFactory, MovieFactory

pytestmark = pytest.mark.django_db


def declared(serializer_class, instance):
    """What DRF's per-field walk gives for the serializer's declared fields."""
    return dict(serializers.ModelSerializer.to_representation(serializer_class(), instance))


@pytest.mark.parametrize(
    "fields",
    [{}, {"poster_path": "", "release_date": None, "runtime": None},
     {"release_date": datetime.date(1977, 5, 25), "poster_path": "/sw.jpg"}],
)  # fmt: skip
def test_movie_summaries_match_their_serializer(fields):
    movie = MovieFactory(**fields)
    assert movie_summary(movie) == declared(MovieSummaryOutputSerializer, movie)


def test_comments_users_and_requests_match_their_serializers():
    comment = CommentFactory()
    request = FriendRequestFactory()
    for serializer_class, instance in [
        (CommentOutputSerializer, comment),
        (UserSummaryOutputSerializer, comment.author),
        (FriendRequestOutputSerializer, request),
    ]:
        assert serializer_class(instance).data == declared(serializer_class, instance)
