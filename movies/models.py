"""The catalogue: movies with their metadata, and what users do with them (ratings, comments,
watch list). Movie.pk equals the MovieLens movieId for imported movies.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone

RATING_VALUES = [Decimal(n) / 2 for n in range(1, 11)]  # 0.5, 1.0, ... 5.0


def rounded_average(*, total: Decimal, count: int) -> float | None:
    """The mean to one decimal, halves rounded up (3.25 -> 3.3); None without ratings."""
    if not count:
        return None
    mean = (Decimal(total) / count).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return float(mean)


class Genre(models.Model):
    name = models.CharField(max_length=100, unique=True)

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    name = models.CharField(max_length=255, unique=True)

    class Meta:
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return self.name


class Keyword(models.Model):
    name = models.CharField(max_length=255, unique=True)

    def __str__(self) -> str:
        return self.name


class Movie(models.Model):
    movielens_id = models.PositiveIntegerField(null=True, blank=True, unique=True)
    tmdb_id = models.PositiveIntegerField(null=True, blank=True, db_index=True)
    imdb_id = models.CharField(max_length=20, null=True, blank=True)  # noqa: DJ001
    title = models.CharField(max_length=500)
    # Lowercase, accents stripped (movies.text.normalize_title): what search matches on.
    title_normalized = models.CharField(max_length=500, db_index=True, editable=False)
    overview = models.TextField(null=True, blank=True)  # noqa: DJ001
    poster_path = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    runtime = models.PositiveIntegerField(null=True, blank=True)
    adult = models.BooleanField(default=False)
    release_date = models.DateField(null=True, blank=True)
    genres = models.ManyToManyField(Genre, related_name="movies", blank=True)
    directors = models.ManyToManyField(Person, related_name="directed_movies", blank=True)
    keywords = models.ManyToManyField(Keyword, related_name="movies", blank=True)
    # Denormalised, kept exact inside the rating transaction (movies.services).
    ratings_count = models.PositiveIntegerField(default=0)
    ratings_sum = models.DecimalField(max_digits=12, decimal_places=1, default=Decimal("0.0"))
    # When TMDb metadata was last applied (import_tmdb / fetch_tmdb); null = never.
    tmdb_synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["-ratings_count"], name="movie_ratings_count_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def average_rating(self) -> float | None:
        return rounded_average(total=self.ratings_sum, count=self.ratings_count)


class CastCredit(models.Model):
    movie = models.ForeignKey(Movie, on_delete=models.CASCADE, related_name="cast_credits")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="cast_credits")
    order = models.PositiveSmallIntegerField()  # billing order, 0 = top-billed

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["movie", "order"], name="castcredit_movie_order_unique"
            ),
            models.UniqueConstraint(
                fields=["movie", "person"], name="castcredit_movie_person_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.movie_id} (#{self.order})"


class Rating(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ratings"
    )
    movie = models.ForeignKey(Movie, on_delete=models.CASCADE, related_name="ratings")
    value = models.DecimalField(max_digits=2, decimal_places=1)
    timestamp = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "movie"], name="rating_user_movie_unique"),
            models.CheckConstraint(
                condition=models.Q(value__in=RATING_VALUES), name="rating_value_half_steps"
            ),
        ]
        indexes = [models.Index(fields=["user", "-timestamp"], name="rating_user_recent_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} rated {self.movie_id}: {self.value}"


class Comment(models.Model):
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments"
    )
    movie = models.ForeignKey(Movie, on_delete=models.CASCADE, related_name="comments")
    body = models.TextField(max_length=2000)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["movie", "-created", "-id"], name="comment_movie_recent_idx"),
            # Friends' activity: one author's newest comments (movies.feed).
            models.Index(fields=["author", "-created", "-id"], name="comment_author_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"Comment {self.pk} by {self.author_id} on {self.movie_id}"


class WatchlistItem(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watchlist_items"
    )
    movie = models.ForeignKey(Movie, on_delete=models.CASCADE, related_name="watchlist_items")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "movie"], name="watchlist_user_movie_unique"),
        ]
        indexes = [
            models.Index(fields=["user", "-added_at", "-id"], name="watchlist_user_recent_idx")
        ]

    def __str__(self) -> str:
        return f"{self.movie_id} on {self.user_id}'s watch list"
