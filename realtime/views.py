"""The notifications inbox over REST: the same ids, types and data as the socket frames."""

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.auth import AuthenticatedRequest, values_read_with_authentication
from mcbackend.api import ArrayLimitOffsetPagination
from mcbackend.parsers import JSONParser
from realtime import inbox_cache
from realtime.models import Notification
from realtime.selectors import notification_list
from realtime.serializers import (
    MarkReadInputSerializer,
    MarkReadOutputSerializer,
    NotificationListInputSerializer,
    NotificationOutputSerializer,
    UnreadCountOutputSerializer,
)
from realtime.services import notifications_mark_read


class NotificationListView(ListAPIView):
    """The signed-in user's notifications, newest first, each with `read`."""

    request: AuthenticatedRequest  # behind IsAuthenticated

    serializer_class = NotificationOutputSerializer
    pagination_class = ArrayLimitOffsetPagination

    @extend_schema(summary="Notifications inbox", parameters=[NotificationListInputSerializer])
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Notification]:
        # A plain dict: an empty `?unread=` is a 400, not "absent" as in HTML form input.
        params = NotificationListInputSerializer(data=self.request.query_params.dict())
        params.is_valid(raise_exception=True)
        unread = params.validated_data.get("unread")
        return notification_list(
            user_id=self.request.user.pk, unread=None if unread is None else unread == "true"
        )


class NotificationUnreadCountView(APIView):
    @staticmethod
    def read_with_authentication(user_id: object) -> tuple[str, ...]:
        """The inbox stamps, read in the round trip that authenticates (accounts.auth)."""
        return inbox_cache.STAMPS.keys(user_id)

    @extend_schema(
        summary="Unread notifications (the bell badge)",
        responses={200: UnreadCountOutputSerializer},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        count = inbox_cache.unread_count(
            user_id=request.user.pk, read=values_read_with_authentication(request)
        )
        return Response({"unread": count.unread, "last_event_id": count.last_event_id})


class NotificationReadView(APIView):
    parser_classes = [JSONParser]  # part two's ids are JSON integers: no form posts

    @extend_schema(
        summary="Mark notifications read up to an id",
        request=MarkReadInputSerializer,
        responses={
            200: MarkReadOutputSerializer,
            400: OpenApiResponse(description="`up_to` missing or not a non-negative integer"),
        },
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        serializer = MarkReadInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        unread = notifications_mark_read(
            user_id=request.user.pk, up_to=serializer.validated_data["up_to"]
        )
        return Response({"unread": unread})
