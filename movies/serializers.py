import math
from decimal import Decimal, InvalidOperation
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from mcbackend.validators import NOT_BLANK
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


class RatedMovieOutputSerializer(MovieSummaryOutputSerializer):
    user_rating = serializers.FloatField()

    class Meta(MovieSummaryOutputSerializer.Meta):
        fields = [*MovieSummaryOutputSerializer.Meta.fields, "user_rating"]


class NameOutputSerializer(serializers.Serializer):
    name = serializers.CharField()


class MovieDetailOutputSerializer(MovieSummaryOutputSerializer):
    genres = NameOutputSerializer(many=True)
    actors = serializers.SerializerMethodField()
    directors = NameOutputSerializer(many=True)
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

    def get_actors(self, movie: Movie) -> list[dict[str, str]]:
        return [{"name": credit.person.name} for credit in movie.cast_credits.all()]

    def get_rated(self, movie: Movie) -> float:
        """The viewer's rating, or 0 when they have not rated it."""
        value = getattr(movie, "viewer_rating", None)
        return float(value) if value is not None else 0


class CommentOutputSerializer(serializers.ModelSerializer):
    timestamp = serializers.DateTimeField(source="created")
    username = serializers.CharField(source="author.username")

    class Meta:
        model = Comment
        fields = ["id", "body", "timestamp", "username"]


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
        validators=[NOT_BLANK],
        help_text='In the query string; for POST also instead in the body: `{"title": ...}`.',
    )
