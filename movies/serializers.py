import math
from decimal import Decimal, InvalidOperation
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.serializers import UserSummaryOutputSerializer
from mcbackend.validators import NOT_BLANK, has_visible_character
from movies.models import RATING_VALUES, Comment, Movie, Rating

POSTER_BASE_URL = "https://image.tmdb.org/t/p/w500"


@extend_schema_field({"type": "number", "minimum": 0.5, "maximum": 5, "multipleOf": 0.5})
class RatingValueField(serializers.Field):
    """0.5-5.0 in half steps. Numbers, or numeric strings from form posts; never booleans,
    null, NaN, infinities or containers (API.md "Ratings").
    """

    default_error_messages = {
        "invalid": "Rating must be a number from 0.5 to 5.0 in steps of 0.5.",
    }

    def to_internal_value(self, data: Any) -> Decimal:
        if isinstance(data, bool) or not isinstance(data, int | float | str):
            self.fail("invalid")
        if isinstance(data, str) and len(data) > 20:
            self.fail("invalid")
        if isinstance(data, float) and not math.isfinite(data):
            self.fail("invalid")
        try:
            value = Decimal(str(data).strip())
        except (InvalidOperation, ValueError):
            self.fail("invalid")
        if not value.is_finite() or value not in RATING_VALUES:
            self.fail("invalid")
        return value.quantize(Decimal("0.1"))

    def to_representation(self, value: Decimal) -> float:
        return float(value)


class MovieSummaryOutputSerializer(serializers.ModelSerializer):
    poster_url = serializers.SerializerMethodField()

    class Meta:
        model = Movie
        fields = ["id", "title", "poster_url", "overview", "release_date", "runtime", "adult"]

    def get_poster_url(self, movie: Movie) -> str | None:
        return f"{POSTER_BASE_URL}{movie.poster_path}" if movie.poster_path else None


def movie_summary(movie: Movie) -> dict[str, Any]:
    """MovieSummaryOutputSerializer's fields, built directly (feeds and lists render many)."""
    return {
        "id": movie.pk,
        "title": movie.title,
        "poster_url": f"{POSTER_BASE_URL}{movie.poster_path}" if movie.poster_path else None,
        "overview": movie.overview,
        "release_date": movie.release_date.isoformat() if movie.release_date else None,
        "runtime": movie.runtime,
        "adult": movie.adult,
    }


class RatedMovieOutputSerializer(MovieSummaryOutputSerializer):
    user_rating = serializers.FloatField()

    class Meta(MovieSummaryOutputSerializer.Meta):
        fields = [*MovieSummaryOutputSerializer.Meta.fields, "user_rating"]


class NameOutputSerializer(serializers.Serializer):
    name = serializers.CharField()


class MovieDetailPublicOutputSerializer(MovieSummaryOutputSerializer):
    """What every viewer sees the same way on a movie page (materialised: movies/catalogue.py)."""

    genres = NameOutputSerializer(many=True)
    actors = serializers.SerializerMethodField()
    directors = NameOutputSerializer(many=True)

    class Meta(MovieSummaryOutputSerializer.Meta):
        fields = [
            "id",
            "title",
            "poster_url",
            "overview",
            "runtime",
            "adult",
            "release_date",
            "genres",
            "actors",
            "directors",
        ]

    @extend_schema_field(NameOutputSerializer(many=True))
    def get_actors(self, movie: Movie) -> list[dict[str, str]]:
        return [{"name": credit.person.name} for credit in movie.cast_credits.all()]


class MovieDetailOutputSerializer(MovieDetailPublicOutputSerializer):
    """The movie page: the public part plus the exact average and the viewer's fields."""

    average_rating = serializers.FloatField(allow_null=True)
    rated = serializers.SerializerMethodField()
    on_watchlist = serializers.BooleanField()

    class Meta(MovieSummaryOutputSerializer.Meta):
        fields = [
            "id",
            "title",
            "poster_url",
            "overview",
            "runtime",
            "adult",
            "release_date",
            "genres",
            "actors",
            "directors",
            "average_rating",
            "rated",
            "on_watchlist",
        ]

    def get_rated(self, movie: Movie) -> float:
        """The viewer's rating, or 0 when they have not rated it."""
        value = getattr(movie, "viewer_rating", None)
        return float(value) if value is not None else 0


_TIMESTAMP = serializers.DateTimeField()


class CommentOutputSerializer(serializers.ModelSerializer):
    timestamp = serializers.DateTimeField(source="created")
    username = serializers.CharField(source="author.username")

    class Meta:
        model = Comment
        fields = ["id", "body", "timestamp", "username"]

    def to_representation(self, comment: Comment) -> dict[str, Any]:
        """The declared fields, built directly: a page of comments is the movie page's hot
        read, and DRF's per-field walk cost more than the query (the body: test_comments.py)."""
        return {
            "id": comment.pk,
            "body": comment.body,
            "timestamp": _TIMESTAMP.to_representation(comment.created),
            "username": comment.author.username,
        }


class CommentCreateInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=2000, trim_whitespace=True, validators=[NOT_BLANK])


class CommentCreateOutputSerializer(serializers.Serializer):
    message = serializers.CharField()
    data = CommentOutputSerializer()  # type: ignore[assignment]  # a field, not .data


class CommentDeleteInputSerializer(serializers.Serializer):
    comment_id = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        help_text='In the query string, or instead in the body: `{"comment_id": ...}`.',
    )


class RatingInputSerializer(serializers.Serializer):
    rating = RatingValueField()


class RatingOutputSerializer(serializers.ModelSerializer):
    rating = RatingValueField(source="value")

    class Meta:
        model = Rating
        fields = ["id", "movie", "user", "rating", "timestamp"]


class RatingUpsertOutputSerializer(serializers.Serializer):
    message = serializers.CharField()
    data = RatingOutputSerializer()  # type: ignore[assignment]  # a field, not .data


class MovieSearchInputSerializer(serializers.Serializer):
    title = serializers.CharField(
        max_length=500,
        trim_whitespace=True,
        validators=[NOT_BLANK, has_visible_character],
        help_text='In the query string; for POST also instead in the body: `{"title": ...}`.',
    )


class StringOnlyCharField(serializers.CharField):
    """A string, as the schema says: DRF's CharField would also take numbers."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class MovieSearchBodyInputSerializer(serializers.Serializer):
    """POST search: `title` in the query string or in the body; one of them is needed."""

    title = StringOnlyCharField(
        max_length=500,
        trim_whitespace=True,
        validators=[NOT_BLANK, has_visible_character],
        required=False,
        help_text="In the query string or the body (the query string wins); one is required.",
    )


class FeedInputSerializer(serializers.Serializer):
    before = serializers.CharField(
        required=False,
        max_length=64,
        help_text="An item `id` from the feed: continue with the items older than it.",
    )

    def validate_before(self, value: str) -> Any:
        from movies.feed import feed_position_parse  # the feed renders with this module

        position = feed_position_parse(value)
        if position is None:
            raise serializers.ValidationError("Not a feed item id.")
        return position


class FeedItemOutputSerializer(serializers.Serializer):
    """Documentation of one feed item (movies.feed builds the dicts)."""

    id = serializers.CharField(help_text="Stable while the item is unchanged; use as `before`.")
    type = serializers.ChoiceField(choices=["rating", "comment"])
    ts = serializers.CharField(help_text="UTC ISO-8601 with milliseconds and Z.")
    actor = UserSummaryOutputSerializer()
    movie = MovieSummaryOutputSerializer()
    data = serializers.DictField(  # type: ignore[assignment]  # a field, not .data
        help_text='`{"rating"}` for a rating, `{"comment_id", "body"}` for a comment.'
    )
