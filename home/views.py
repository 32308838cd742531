import orjson
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.auth import AuthenticatedRequest, values_read_with_authentication
from home.member_cache import group_stamp_keys
from home.selectors import group_members, group_picks_json, home_rows_json, home_rows_key
from home.serializers import (
    NOT_A_FRIEND,
    GroupPicksInputSerializer,
    GroupPicksOutputSerializer,
    HomeRowOutputSerializer,
    group_friend_ids,
)
from mcbackend.api import ArrayLimitOffsetPagination


class RowLimitPagination(ArrayLimitOffsetPagination):
    """Only `limit` is read: movies per row (default 10, clamped to 50; bad values 400)."""

    default_limit = 10
    max_limit = 50


def _limit_parameter(what: str) -> OpenApiParameter:
    return OpenApiParameter(
        "limit",
        {"type": "integer", "minimum": 0, "maximum": 10**12 - 1},
        required=False,
        allow_blank=True,
        description=f"{what} (default 10; values above 50 are clamped).",
    )


BAD_LIMIT = OpenApiResponse(description='`limit` is not a non-negative integer: `{"limit": [..]}`.')


class HomeRowsView(APIView):
    @staticmethod
    def read_with_authentication(user_id: int) -> tuple[str, ...]:
        """The cached rows, read in the round trip that authenticates (accounts.auth)."""
        return (home_rows_key(user_id),)

    @extend_schema(
        summary="The home page's rows, each movie with its reason",
        description="Rows best first: top_picks, because_you_liked (up to two), friends, "
        "trending, popular (only while the model cannot personalise). Rows with no movies are "
        "left out; no row holds a movie the user rated.",
        parameters=[_limit_parameter("Movies per row")],
        responses={
            200: HomeRowOutputSerializer(many=True),
            400: BAD_LIMIT,
            401: OpenApiResponse(description="Not signed in."),
        },
    )
    def get(self, request: AuthenticatedRequest) -> HttpResponse:
        limit = RowLimitPagination().get_limit(request)
        # The body the JSON renderer would produce, joined from the cached rows' JSON
        # (home.selectors); content negotiation still ran (JSON is the only renderer).
        body = home_rows_json(
            user=request.user, limit=limit, read=values_read_with_authentication(request)
        )
        return HttpResponse(body, content_type="application/json")


def _ids_in_body(request: Request, user_id: int) -> list[int]:
    """The friends the body names, by the serializer's rule (`group_friend_ids`), or [] for any
    body it refuses (it answers for those): read before authentication only to name stamps."""
    try:
        return group_friend_ids(orjson.loads(request._request.body)["user_ids"], own=user_id)
    except Exception:  # not JSON, not an object, too large, a broken rule...: the view says so
        return []


class GroupPicksView(APIView):
    def read_with_authentication(self, user_id: int) -> tuple[str, ...]:
        """The stamps a repeat request needs (membership, the members' ratings), read in the
        round trip that authenticates (accounts.auth)."""
        return group_stamp_keys(user_id, _ids_in_body(self.request, user_id))

    @extend_schema(
        summary="Movies for you and up to 7 friends (movie night)",
        request=GroupPicksInputSerializer,
        parameters=[_limit_parameter("How many movies")],
        responses={
            200: GroupPicksOutputSerializer,
            400: OpenApiResponse(
                description='`{"user_ids": [message]}`: missing, empty, not a list of JSON '
                "integers, more than 7 friends, or an id that is not a friend (unknown ids, "
                'strangers and blocked users get the same message); or `{"limit": [...]}`.'
            ),
            401: OpenApiResponse(description="Not signed in."),
        },
    )
    def post(self, request: AuthenticatedRequest) -> HttpResponse:
        limit = RowLimitPagination().get_limit(request)
        serializer = GroupPicksInputSerializer(data=request.data, context={"user": request.user})
        serializer.is_valid(raise_exception=True)
        read = values_read_with_authentication(request)
        members = group_members(
            user=request.user, friend_ids=serializer.validated_data["user_ids"], read=read
        )
        if members is None:
            # Unknown ids, strangers and blocked users alike: the message names no id.
            raise ValidationError({"user_ids": [NOT_A_FRIEND]})
        # The body the JSON renderer would produce for GroupPicksOutputSerializer (home.selectors).
        body = group_picks_json(members=members, limit=limit, read=read)
        return HttpResponse(body, content_type="application/json")
