import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

import factory
from django.db.models import F, Max, Model
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
from social.models import Block, FriendRequest, Friendship

PASSWORD = "Corr3ct-Horse-Battery"


def absent_pk(*models: type[Model]) -> int:
    """An id that no row of these models has: tests of "unknown id" must not guess one (which
    ids exist depends on the database, its sequences and the tests that ran before)."""
    return 1000 + max((m.objects.aggregate(top=Max("pk"))["top"] or 0) for m in models)


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


class BlockFactory(DjangoModelFactory):
    class Meta:
        model = Block

    blocker = factory.SubFactory(UserFactory)
    blocked = factory.SubFactory(UserFactory)


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


# ---------------------------------------------------------------- recommender


@dataclass
class PlantedCatalogue:
    action: list[Movie]
    romance: list[Movie]
    users: list[User]  # users[0], users[2], ... love action; users[1], users[3], ... romance


def planted_catalogue(*, n_users: int = 40, seed: int = 0) -> PlantedCatalogue:
    """Two genres of 20 movies and `n_users` users with opposite tastes (tests/ml's planted set)."""
    rng = random.Random(seed)
    action_genre, romance_genre = GenreFactory(name="Action"), GenreFactory(name="Romance")
    action = [MovieFactory(title=f"Action {i}", genres=[action_genre]) for i in range(20)]
    romance = [MovieFactory(title=f"Romance {i}", genres=[romance_genre]) for i in range(20)]
    users = UserFactory.create_batch(n_users)
    now = timezone.now()
    rows = []
    for position, user in enumerate(users):
        likes, dislikes = (action, romance) if position % 2 == 0 else (romance, action)
        for movie in rng.sample(likes, 12):
            value = Decimal(rng.choice(["4.0", "4.5", "5.0"]))
            rows.append(Rating(user=user, movie=movie, value=value, timestamp=now))
        for movie in rng.sample(dislikes, 3):
            value = Decimal(rng.choice(["1.0", "1.5", "2.0"]))
            rows.append(Rating(user=user, movie=movie, value=value, timestamp=now))
    Rating.objects.bulk_create(rows)
    for movie in [*action, *romance]:
        values = [r.value for r in rows if r.movie is movie]
        Movie.objects.filter(pk=movie.pk).update(
            ratings_count=len(values), ratings_sum=sum(values, Decimal("0.0"))
        )
    return PlantedCatalogue(action=action, romance=romance, users=users)
