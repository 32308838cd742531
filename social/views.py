from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.serializers import MessageOutputSerializer, UserSummaryOutputSerializer
from mcbackend.api import ArrayLimitOffsetPagination
from social.models import FriendRequest
from social.selectors import (
    blocked_list,
    friend_list,
    friend_list_for_viewer,
    friend_request_get_for_recipient,
    friend_request_get_for_sender,
    friend_request_list_incoming,
    friend_request_list_outgoing,
    user_get,
    user_profile_get,
    user_search,
)
from social.serializers import (
    FriendRequestConflictOutputSerializer,
    FriendRequestOutputSerializer,
    FriendRequestSentOutputSerializer,
    UserPageOutputSerializer,
    UserSearchInputSerializer,
)
from social.services import (
    friend_request_accept,
    friend_request_cancel,
    friend_request_deny,
    friend_request_send,
    friendship_remove,
    user_block,
    user_unblock,
)

NOT_FOUND = OpenApiResponse(MessageOutputSerializer, description="Not found")
NOT_VISIBLE = OpenApiResponse(
    MessageOutputSerializer, description="That user is private and not your friend"
)


@extend_schema_view(get=extend_schema(summary="List your friends"))
class FriendListView(ListAPIView):
    """GET /api/friends/: the signed-in user's friends."""

    serializer_class = UserSummaryOutputSerializer
    pagination_class = ArrayLimitOffsetPagination

    def get_queryset(self) -> QuerySet[User]:
        return friend_list(user=self.request.user)


class FriendRemoveView(APIView):
    @extend_schema(summary="Remove a friend", request=None, responses={204: None, 404: NOT_FOUND})
    def delete(self, request: Request, friend_id: int) -> Response:
        friendship_remove(user=request.user, friend_id=friend_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(get=extend_schema(summary="List pending friend requests to you"))
class FriendRequestIncomingListView(ListAPIView):
    serializer_class = FriendRequestOutputSerializer
    pagination_class = ArrayLimitOffsetPagination

    def get_queryset(self) -> QuerySet[FriendRequest]:
        return friend_request_list_incoming(user=self.request.user)


@extend_schema_view(get=extend_schema(summary="List your pending friend requests"))
class FriendRequestOutgoingListView(ListAPIView):
    serializer_class = FriendRequestOutputSerializer
    pagination_class = ArrayLimitOffsetPagination

    def get_queryset(self) -> QuerySet[FriendRequest]:
        return friend_request_list_outgoing(user=self.request.user)


class FriendRequestUpdateView(APIView):
    """POST accepts a pending request to the signed-in user; DELETE denies (deletes) it."""

    @extend_schema(
        summary="Accept a friend request",
        request=None,
        responses={200: MessageOutputSerializer, 404: NOT_FOUND},
    )
    def post(self, request: Request, request_id: int) -> Response:
        fr = friend_request_get_for_recipient(request_id=request_id, user=request.user)
        friend_request_accept(friend_request=fr, acting_user=request.user)
        return Response({"message": "Friend request accepted."})

    @extend_schema(
        summary="Deny a friend request", request=None, responses={204: None, 404: NOT_FOUND}
    )
    def delete(self, request: Request, request_id: int) -> Response:
        fr = friend_request_get_for_recipient(request_id=request_id, user=request.user)
        friend_request_deny(friend_request=fr, acting_user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FriendRequestCancelView(APIView):
    @extend_schema(
        summary="Cancel your friend request", request=None, responses={204: None, 404: NOT_FOUND}
    )
    def delete(self, request: Request, request_id: int) -> Response:
        fr = friend_request_get_for_sender(request_id=request_id, user=request.user)
        friend_request_cancel(friend_request=fr, acting_user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FriendRequestSendView(APIView):
    @extend_schema(
        summary="Send a friend request",
        request=None,
        responses={
            201: FriendRequestSentOutputSerializer,
            400: OpenApiResponse(MessageOutputSerializer, description="Request to yourself"),
            404: NOT_FOUND,
            409: OpenApiResponse(
                FriendRequestConflictOutputSerializer,
                description="Already pending or already friends; `incoming_request_id` when "
                "that user has already asked you (accept that one instead)",
            ),
        },
    )
    def post(self, request: Request, to_user_id: int) -> Response:
        to_user = user_get(user_id=to_user_id, viewer=request.user)
        fr = friend_request_send(from_user=request.user, to_user=to_user)
        return Response(
            {"message": "Friend request sent.", "request_id": fr.pk},
            status=status.HTTP_201_CREATED,
        )


class UserProfileView(APIView):
    @extend_schema(
        operation_id="user_page_retrieve",
        summary="Another user's profile and your relation to them",
        request=None,
        responses={200: UserPageOutputSerializer, 404: NOT_FOUND},
    )
    def get(self, request: Request, user_id: int) -> Response:
        user = user_profile_get(user_id=user_id, viewer=request.user)
        return Response(UserPageOutputSerializer(user).data)


class UserFriendListView(ListAPIView):
    """Another user's friends: 403 when that user is private and not a friend."""

    serializer_class = UserSummaryOutputSerializer
    pagination_class = ArrayLimitOffsetPagination

    @extend_schema(
        summary="List another user's friends",
        responses={
            200: UserSummaryOutputSerializer(many=True),
            403: NOT_VISIBLE,
            404: NOT_FOUND,
        },
    )
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[User]:
        return friend_list_for_viewer(user_id=self.kwargs["user_id"], viewer=self.request.user)


class UserSearchView(ListAPIView):
    """Usernames containing `?username=` (any case), exact match first, then prefix matches."""

    serializer_class = UserSummaryOutputSerializer
    pagination_class = ArrayLimitOffsetPagination

    @extend_schema(summary="Search users by username", parameters=[UserSearchInputSerializer])
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[User]:
        params = UserSearchInputSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return user_search(username=params.validated_data["username"], viewer=self.request.user)


class UserBlockView(APIView):
    """POST blocks the user (idempotent); DELETE lifts your block (also when there is none)."""

    @extend_schema(
        summary="Block a user",
        request=None,
        responses={
            201: MessageOutputSerializer,
            400: OpenApiResponse(MessageOutputSerializer, description="Blocking yourself"),
            404: NOT_FOUND,
        },
    )
    def post(self, request: Request, user_id: int) -> Response:
        user_block(user=request.user, other_id=user_id)
        return Response({"message": "User blocked."}, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Unblock a user", request=None, responses={204: None, 404: NOT_FOUND})
    def delete(self, request: Request, user_id: int) -> Response:
        user_unblock(user=request.user, other_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BlockedListView(ListAPIView):
    """The users you blocked, most recently blocked first."""

    serializer_class = UserSummaryOutputSerializer
    pagination_class = ArrayLimitOffsetPagination

    @extend_schema(summary="Users you blocked")
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[User]:
        return blocked_list(user=self.request.user)
