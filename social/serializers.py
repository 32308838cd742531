from typing import Any

from rest_framework import serializers

from accounts.models import User
from mcbackend.validators import NOT_BLANK, has_visible_character
from social.models import FriendRequest


class FriendRequestOutputSerializer(serializers.ModelSerializer):
    """API.md "Friend request": usernames for both ends."""

    from_user = serializers.CharField(source="from_user.username", read_only=True)
    to_user = serializers.CharField(source="to_user.username", read_only=True)

    class Meta:
        model = FriendRequest
        fields = ["id", "from_user", "to_user", "created_at", "accepted"]

    def to_representation(self, request: FriendRequest) -> dict[str, Any]:
        # The declared fields, built directly (a page of requests; DRF's per-field walk costs
        # more than the query).
        return {
            "id": request.pk,
            "from_user": request.from_user.username,
            "to_user": request.to_user.username,
            "created_at": _TIMESTAMP.to_representation(request.created_at),
            "accepted": request.accepted,
        }


_TIMESTAMP = serializers.DateTimeField()


class FriendRequestSentOutputSerializer(serializers.Serializer):
    message = serializers.CharField()
    request_id = serializers.IntegerField()


class FriendRequestConflictOutputSerializer(serializers.Serializer):
    message = serializers.CharField()
    incoming_request_id = serializers.IntegerField(required=False)


class UserPageOutputSerializer(serializers.ModelSerializer):
    """Another user's profile plus the viewer's relation (ids, or null)."""

    is_friend = serializers.IntegerField(allow_null=True, read_only=True)
    is_outgoing = serializers.IntegerField(allow_null=True, read_only=True)
    is_incoming = serializers.IntegerField(allow_null=True, read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "bio", "is_private", "is_friend", "is_outgoing", "is_incoming"]


class UserSearchInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, validators=[NOT_BLANK, has_visible_character])

    def validate_username(self, value: str) -> str:
        return User.normalize_username(value)  # stored names are NFKC: full-width finds them
