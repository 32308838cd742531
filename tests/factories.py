import datetime
from decimal import Decimal

import factory
from django.db.models import F
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.models import User
from movies.models import (
    CastCredit,
    Comment,
    Genre,
    Keyword,
    Movie,
    Person,
    Rating,
    WatchlistItem,
)
from movies.text import normalize_title
from social.models import FriendRequest, Friendship

PASSWORD = "Corr3ct-Horse-Battery"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    birth_date = datetime.date(1990, 5, 17)
    bio = ""
    is_private = False
    password = factory.django.Password(PASSWORD)


class FriendRequestFactory(DjangoModelFactory):
    class Meta:
        model = FriendRequest

    from_user = factory.SubFactory(UserFactory)
    to_user = factory.SubFactory(UserFactory)
    accepted = False


class FriendshipFactory(DjangoModelFactory):
    """Pass `user_low`/`user_high` in either order; they are stored smaller id first."""

    class Meta:
        model = Friendship

    user_low = factory.SubFactory(UserFactory)
    user_high = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        low, high = sorted((kwargs.pop("user_low"), kwargs.pop("user_high")), key=lambda u: u.pk)
        return super()._create(model_class, *args, user_low=low, user_high=high, **kwargs)


# ---------------------------------------------------------------- movies


class GenreFactory(DjangoModelFactory):
    class Meta:
        model = Genre
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Genre {n}")


class PersonFactory(DjangoModelFactory):
    class Meta:
        model = Person
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Person {n}")


class KeywordFactory(DjangoModelFactory):
    class Meta:
        model = Keyword
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"keyword {n}")


class MovieFactory(DjangoModelFactory):
    """A movie with no ratings. Aggregates follow RatingFactory rows only via movies.services;
    use `rating_upsert` (or pass ratings_count/ratings_sum) when a test needs averages."""

    class Meta:
        model = Movie
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Movie {n}")
    title_normalized = factory.LazyAttribute(lambda m: normalize_title(m.title))
    overview = "A film."
    poster_path = None
    runtime = 100
    adult = False
    release_date = datetime.date(2000, 1, 1)

    @factory.post_generation
    def genres(self, create, extracted, **kwargs):
        if create and extracted:
            self.genres.set(extracted)

    @factory.post_generation
    def directors(self, create, extracted, **kwargs):
        if create and extracted:
            self.directors.set(extracted)

    @factory.post_generation
    def keywords(self, create, extracted, **kwargs):
        if create and extracted:
            self.keywords.set(extracted)

    @factory.post_generation
    def cast(self, create, extracted, **kwargs):
        """`cast=[person, ...]` in billing order."""
        if create and extracted:
            for order, person in enumerate(extracted):
                CastCredit.objects.create(movie=self, person=person, order=order)


class RatingFactory(DjangoModelFactory):
    """A rating whose value is added to the movie's aggregates (as the service would)."""

    class Meta:
        model = Rating

    user = factory.SubFactory(UserFactory)
    movie = factory.SubFactory(MovieFactory)
    value = Decimal("4.0")
    timestamp = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        rating = super()._create(model_class, *args, **kwargs)
        Movie.objects.filter(pk=rating.movie_id).update(
            ratings_count=F("ratings_count") + 1, ratings_sum=F("ratings_sum") + rating.value
        )
        rating.movie.refresh_from_db(fields=["ratings_count", "ratings_sum"])
        return rating


class CommentFactory(DjangoModelFactory):
    class Meta:
        model = Comment

    author = factory.SubFactory(UserFactory)
    movie = factory.SubFactory(MovieFactory)
    body = factory.Sequence(lambda n: f"Comment {n}")
    created = factory.LazyFunction(timezone.now)


class WatchlistItemFactory(DjangoModelFactory):
    class Meta:
        model = WatchlistItem

    user = factory.SubFactory(UserFactory)
    movie = factory.SubFactory(MovieFactory)
    added_at = factory.LazyFunction(timezone.now)
