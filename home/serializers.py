"""Home page rows and group picks (API.md part two). The row and pick reasons are tagged unions
on `type`; each variant is its own component so a client can generate a type per reason."""

from typing import Any

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from accounts.serializers import UserSummaryOutputSerializer
from movies.serializers import MovieSummaryOutputSerializer

MAX_GROUP_FRIENDS = 7
MAX_RAW_IDS = 100  # longer lists are refused before any lookup
NOT_A_FRIEND = "Every id must be one of your friends."


def _type(name: str) -> serializers.CharField:
    """The union's tag: a one-value string (inline, so no shared enum component per tag)."""

    @extend_schema_field({"type": "string", "enum": [name], "description": f'Always "{name}".'})
    class TagField(serializers.CharField):
        pass

    return TagField()


class MovieRefOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


# ---------------------------------------------------------------- row reasons


class ModelRowReasonOutputSerializer(serializers.Serializer):
    type = _type("model")
    model_version = serializers.CharField(help_text="The deployed model that ranked the row.")


class BecauseYouLikedReasonOutputSerializer(serializers.Serializer):
    """The row's reason and each of its movies' reasons alike."""

    type = _type("because_you_liked")
    movie = MovieRefOutputSerializer(help_text="The movie the user liked (rated 4 or more).")


class FriendsRowReasonOutputSerializer(serializers.Serializer):
    type = _type("friends")


class TrendingRowReasonOutputSerializer(serializers.Serializer):
    type = _type("trending")
    days = serializers.IntegerField(
        allow_null=True,
        help_text="The window used: 7, widened to 30, then 365 while fewer than 50 ratings fall "
        "inside it; null: all time.",
    )


class PopularReasonOutputSerializer(serializers.Serializer):
    """The row's reason and each of its movies' reasons alike."""

    type = _type("popular")


ROW_REASON = PolymorphicProxySerializer(
    component_name="HomeRowReason",
    serializers={
        "model": ModelRowReasonOutputSerializer,
        "because_you_liked": BecauseYouLikedReasonOutputSerializer,
        "friends": FriendsRowReasonOutputSerializer,
        "trending": TrendingRowReasonOutputSerializer,
        "popular": PopularReasonOutputSerializer,
    },
    resource_type_field_name="type",
)


# ---------------------------------------------------------------- each movie's reason


class ModelPickReasonOutputSerializer(serializers.Serializer):
    type = _type("model")
    because = MovieRefOutputSerializer(
        many=True,
        help_text="Up to 3 movies the user rated 3.5 or more that contributed most to this pick "
        "in the model's score, largest first; empty only when the user rated nothing 3.5 or more.",
    )


class FriendsPickReasonOutputSerializer(serializers.Serializer):
    type = _type("friends")
    friends = UserSummaryOutputSerializer(
        many=True, help_text="Up to 3 of those friends, highest rating first."
    )
    count = serializers.IntegerField(help_text="How many friends rated it 4 or more.")


class TrendingPickReasonOutputSerializer(serializers.Serializer):
    type = _type("trending")
    ratings = serializers.IntegerField(help_text="Ratings of this movie inside the window.")


PICK_REASON = PolymorphicProxySerializer(
    component_name="HomePickReason",
    serializers={
        "model": ModelPickReasonOutputSerializer,
        "because_you_liked": BecauseYouLikedReasonOutputSerializer,
        "friends": FriendsPickReasonOutputSerializer,
        "trending": TrendingPickReasonOutputSerializer,
        "popular": PopularReasonOutputSerializer,
    },
    resource_type_field_name="type",
)


class HomePickOutputSerializer(MovieSummaryOutputSerializer):
    reason = serializers.SerializerMethodField()

    class Meta(MovieSummaryOutputSerializer.Meta):
        fields = [*MovieSummaryOutputSerializer.Meta.fields, "reason"]

    @extend_schema_field(PICK_REASON)
    def get_reason(self, obj: Any) -> dict[str, Any]:
        return obj["reason"]


class HomeRowOutputSerializer(serializers.Serializer):
    key = serializers.ChoiceField(
        choices=["top_picks", "because_you_liked", "friends", "trending", "popular"],
        help_text="Rows come in this order; because_you_liked up to twice, the others once.",
    )
    title = serializers.CharField(help_text='For display, e.g. "Because you liked Alien".')
    reason = serializers.SerializerMethodField()
    movies = HomePickOutputSerializer(many=True, help_text="Never empty; at most `limit`.")

    @extend_schema_field(ROW_REASON)
    def get_reason(self, obj: Any) -> dict[str, Any]:
        return obj["reason"]


# ---------------------------------------------------------------- group picks


def group_friend_ids(data: Any, *, own: int) -> list[int]:
    """The friends a group request names: its JSON integers in order, without repeats or the
    user's own id. ValueError with the rule broken (`invalid`, `empty`, `too_many`); whether
    they are all friends is home.selectors.group_members'."""
    if not isinstance(data, list):
        raise ValueError("invalid")
    if len(data) > MAX_RAW_IDS:
        raise ValueError("too_many")
    if any(type(item) is not int for item in data):  # bools and "12" are refused
        raise ValueError("invalid")
    ids = list(dict.fromkeys(item for item in data if item != own))
    if not ids:
        raise ValueError("empty")
    if len(ids) > MAX_GROUP_FRIENDS:
        raise ValueError("too_many")
    return ids


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "integer"},
        "minItems": 1,
        "description": "1 to 7 friends' user ids (JSON integers). Your own id and repeated ids "
        "are dropped before counting.",
    }
)
class UserIdListField(serializers.Field):
    default_error_messages = {
        "invalid": "Must be a list of user ids (JSON integers).",
        "empty": "Name at least one friend.",
        "too_many": f"At most {MAX_GROUP_FRIENDS} friends.",
    }

    def to_internal_value(self, data: Any) -> list[int]:
        try:
            return group_friend_ids(data, own=self.context["user"].pk)
        except ValueError as error:
            self.fail(str(error))

    def to_representation(self, value: list[int]) -> list[int]:
        return value


class GroupPicksInputSerializer(serializers.Serializer):
    user_ids = UserIdListField()


class MemberPredictionOutputSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    rating = serializers.FloatField(
        min_value=0.5, max_value=5.0, help_text="Predicted stars, rounded to 1 decimal."
    )


class GroupPickOutputSerializer(MovieSummaryOutputSerializer):
    score = serializers.FloatField(
        help_text="The group's score (README): the mean of the members' standardised ranking "
        "scores less half the gap to the least satisfied member; unitless, higher is better; "
        "`movies` are sorted by it."
    )
    predicted = MemberPredictionOutputSerializer(
        many=True, help_text="Every member's predicted stars, in `members` order."
    )

    class Meta(MovieSummaryOutputSerializer.Meta):
        fields = [*MovieSummaryOutputSerializer.Meta.fields, "score", "predicted"]


class GroupPicksOutputSerializer(serializers.Serializer):
    members = UserSummaryOutputSerializer(many=True, help_text="The signed-in user first.")
    movies = GroupPickOutputSerializer(many=True, help_text="None rated by any member, best first.")
